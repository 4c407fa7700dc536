/**
 * db:seed --scale: every application table gets the planned rows, through RLS with every trigger
 * running, audited as the seed; the data reads back through the API; a rerun adds a new batch.
 */
import { describe, expect, it } from 'vitest';
import { APP_SCHEMAS } from '../../src/db/catalog.js';
import { progressMeter, SCALE_PASSWORD, SCALE_USER_AGENT, scaleIdentity, scalePlan, scaleToken, seedScale } from '../../src/seed/scale.js';
import { useTestApp } from '../support/app.js';

const app = useTestApp();
const USERS = 5;
/** Written by the system acting as an admin: the users, the global catalogs, and what workers write. */
const SYSTEM_TABLES = [
  'core.users', 'componentforge.embedding_models', 'componentforge.evaluation_runs', 'componentforge.document_chunks',
  'verificai.analysis_results', 'verificai.analysis_tasks', 'scraper.artifacts', 'scraper.metadata_tags', 'scraper.content_extractions',
];

/** Rows per table of every application table but the log and the tables the seed leaves alone. */
async function tableCounts(): Promise<Record<string, number>> {
  const { rows } = await app.sql<{ name: string }>(
    `select n.nspname || '.' || c.relname as name
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and not c.relispartition and n.nspname = any($1)
        and (n.nspname, c.relname) not in (('core', 'audit_log'), ('core', 'api_rate_limits'), ('core', 'system_configurations'))
      order by 1`,
    [APP_SCHEMAS],
  );
  const counts: Record<string, number> = {};
  for (const { name } of rows) counts[name] = (await app.sql<{ n: number }>(`select count(*)::int as n from ${name}`)).rows[0]!.n;
  return counts;
}

const seed = (options: { jobs?: number } = {}) =>
  seedScale({ url: app.url, log: app.services.log, configKey: app.services.configKey, sessionTtlHours: 24 }, { users: USERS, seedValue: 'test', sessions: true, jobs: options.jobs ?? 2, chunkSize: 2 });

describe('db:seed --scale', () => {
  it('fills every application table with the planned rows, as the seed, triggers and policies applied', async () => {
    const otherAgents = async () => (await app.sql<{ n: number }>(`select count(*)::int as n from core.audit_log where user_agent is distinct from $1`, [SCALE_USER_AGENT])).rows[0]!.n;
    const before = await tableCounts();
    const othersBefore = await otherAgents();
    const report = await seed();
    const after = await tableCounts();
    const plan = scalePlan(USERS, { sessions: true });

    expect(report).toMatchObject({ batch: 1, users: USERS, tables: plan, rows: Object.values(plan).reduce((a, b) => a + b, 0) });
    // Every table got rows, exactly as many as the plan says (the plan names every table).
    const added = Object.fromEntries(Object.keys(after).map((t) => [t, after[t]! - (before[t] ?? 0)]));
    expect(added).toEqual(plan);
    expect(Object.values(added).every((n) => n > 0)).toBe(true);

    // The audit log has a CREATE row for each of them, all with the seed's user agent: the users,
    // the global catalogs and the workers' rows made by the system acting as an admin, every
    // other row by the user it belongs to.
    const { rows: audit } = await app.sql<{ entity: string; creates: number; agents: string[]; roles: string[]; anonymous: number; foreign: number }>(
      // A table may log a bulk statement as one audit row naming its ids ({"rows": n, "ids": [...]},
      // migration 1763800000017): such a row covers n rows.
      `select entity, sum(covered)::int as creates, array_agg(distinct user_agent) as agents, array_agg(distinct actor_role) as roles,
              coalesce(sum(covered) filter (where actor_id is null), 0)::int as anonymous,
              count(*) filter (where coalesce(new_value ->> 'user_id', new_value ->> 'owner_id') <> actor_id::text)::int as foreign
         from (select entity_schema || '.' || entity_table as entity, user_agent, actor_role, actor_id, new_value,
                      case when entity_id is null and new_value ? 'ids' then (new_value ->> 'rows')::int else 1 end as covered
                 from core.audit_log where action = 'CREATE') a
        group by 1`,
    );
    const byEntity = Object.fromEntries(audit.map((r) => [r.entity, r]));
    for (const [table, n] of Object.entries(plan)) {
      const row = byEntity[table];
      expect(row?.creates, table).toBe(n);
      expect(row?.agents, table).toEqual([SCALE_USER_AGENT]);
      expect(row?.foreign, table).toBe(0);
      if (SYSTEM_TABLES.includes(table)) {
        expect([row?.roles, row?.anonymous], table).toEqual([['admin'], n]);
      } else {
        expect([row?.roles, row?.anonymous], table).toEqual([['user'], 0]);
      }
    }
    // Nothing else was written: no audit row of the run lacks the seed's user agent.
    expect(await otherAgents()).toBe(othersBefore);

    // The counters the triggers keep followed the rows.
    const { rows: [counters] } = await app.sql(
      `select (select array_agg(distinct chunk_count) from componentforge.documents where processing_status = 'completed') as chunks,
              (select array_agg(distinct message_count) from componentforge.conversations) as messages,
              (select array_agg(distinct (status, total_files, processed_files)::text order by (status, total_files, processed_files)::text) from verificai.analysis_sessions) as files,
              (select count(*)::int from scraper.artifacts where has_privacy_tag) as private,
              (select sum(reports_generated)::int from exportsathi.user_metrics) as reports`,
    );
    expect(counters).toEqual({
      chunks: [50], messages: [4],
      files: ['(completed,20,20)', '(failed,20,20)', '(uploading,20,0)'],
      private: USERS * 2 * 1, reports: USERS * 2,
    });

    // Encrypted columns hold enc:v2 envelopes that the API opens; the derived token and the
    // shared password both work.
    const { rows: [profile] } = await app.sql(`select iec, gstin from exportsathi.business_profiles limit 1`);
    expect(profile!.iec).toMatch(/^enc:v2:[0-9a-f]{16}:/);
    expect(profile!.gstin).toMatch(/^enc:v2:[0-9a-f]{16}:/);
    const { rows: [user] } = await app.sql<{ id: string; email: string }>(
      `select id, email::text from core.users where email like $1`, [`%.3.b1@seed-scale.example`]);
    const caller = app.caller({ token: scaleToken('test', 1, 3) });
    expect((await caller.auth.me()).id).toBe(user!.id);
    const read = await caller.exportsathi.profile.get({});
    expect(read?.iec).toMatch(/^([A-Z]{5}[0-9]{4}[A-Z])$/);
    expect(read?.gstin).toMatch(/^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z]1Z[0-9A-Z]$/);
    expect((await caller.exportsathi.finance.list({ reportId: (await caller.exportsathi.reports.list({})).items[0]!.id })).items).toHaveLength(1);
    await expect(app.caller().auth.login({ email: user!.email, password: SCALE_PASSWORD })).resolves.toMatchObject({ user: { id: user!.id } });
  });

  it('a rerun adds a second batch of distinct users with the same content for the same seed value', async () => {
    const before = await tableCounts();
    const report = await seed();
    expect(report.batch).toBeGreaterThan(1);
    const after = await tableCounts();
    expect(after['core.users']! - before['core.users']!).toBe(USERS);
    const names = async (batch: number) =>
      (await app.sql<{ names: string[] }>(
        `select array_agg(p.name || '|' || p.status || '|' || p.technology_stack::text order by p.name, p.status) as names
           from socrates.projects p join core.users u on u.id = p.owner_id
          where u.email::text like $1`,
        [`%.2.b${batch}@seed-scale.example`],
      )).rows[0]!.names;
    expect(await names(report.batch)).toEqual(await names(report.batch - 1));
  });

  it('stops at a chunk that fails, keeping the chunks committed before it and nothing of the failed one', async () => {
    const { rows: [last] } = await app.sql<{ n: number }>(`select count(distinct substring(email::text from '\\.b([0-9]+)@'))::int as n from core.users where email::text like '%@seed-scale.example'`);
    const batch = last!.n + 1;
    // Someone already took the username the next batch's fourth user would get.
    await app.newUser({ username: scaleIdentity('test', batch, 4).username, email: 'taken@example.com' });
    const before = await tableCounts();
    await expect(seed({ jobs: 1 })).rejects.toThrow(`db:seed --scale: batch ${batch} stopped after 2 of ${USERS} users: duplicate key value violates unique constraint "users_username_key"`);
    const after = await tableCounts();
    // Users 1-2 (the first chunk) are in with their data; 3-4 (the failed chunk) and 5 are not.
    expect(after['core.users']! - before['core.users']!).toBe(2);
    expect(after['socrates.projects']! - before['socrates.projects']!).toBe(scalePlan(2, { sessions: true })['socrates.projects']);
  });
});

describe('progress', () => {
  const stream = (isTTY: boolean) => {
    const out: string[] = [];
    return { out, stream: { isTTY, write: (s: string) => (out.push(s), true) } as unknown as NodeJS.WritableStream & { isTTY: boolean } };
  };

  it('redraws one line with a bar on a terminal, and ends it', () => {
    const { out, stream: s } = stream(true);
    const meter = progressMeter(200, s);
    meter.add(100);
    meter.finish();
    expect(out[0]).toMatch(/^\r\[#{15}\.{15}\] 50% 100\/200 rows, [0-9,]+ rows\/s/);
    expect(out.at(-1)).toMatch(/^\r\[#{15}\.{15}\] 50% .*\n$/);
  });

  it('writes whole lines elsewhere', () => {
    const { out, stream: s } = stream(false);
    const meter = progressMeter(200, s);
    meter.add(200);
    meter.finish();
    expect(out.every((line) => line.startsWith('db:seed --scale: ') && line.endsWith('\n') && !line.includes('\r'))).toBe(true);
    expect(out.at(-1)).toMatch(/100% 200\/200 rows, [0-9,]+ rows\/s/);
  });
});
