/**
 * monitoring.*: seed 003's monitoring queries for admins, through the request path (app_request),
 * with what app_request may not read coming from app_monitor's SECURITY DEFINER functions.
 */
import { TRPCError } from '@trpc/server';
import pg from 'pg';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { withCredentials } from '../../src/db/lifecycle.js';
import { useTestApp } from '../support/app.js';
import { failure } from '../support/errors.js';
import { rowsAs } from '../support/probe.js';

const app = useTestApp();
let admin: { id: string; token: string };
let user: { id: string; token: string };

beforeAll(async () => {
  admin = await app.newAdmin();
  user = await app.newUser();
});

/** The fields a validation failure names (the HTTP error formatter turns them into data.fieldErrors). */
function invalidFields(err: TRPCError): string[] {
  return ((err.cause as { issues?: Array<{ path: PropertyKey[] }> }).issues ?? []).map((i) => i.path.join('.'));
}

/** A superuser connection to another database of the server, named so it can be recognised. */
async function elsewhere(applicationName: string): Promise<pg.Client> {
  const server = inject('testServer');
  const url = new URL(server.adminUrl);
  const client = new pg.Client({
    connectionString: withCredentials(server.adminUrl, decodeURIComponent(url.username), decodeURIComponent(url.password), 'postgres'),
    application_name: applicationName,
  });
  await client.connect();
  return client;
}

describe('who may call monitoring.*', () => {
  it('anonymous callers are UNAUTHORIZED and users FORBIDDEN, for every procedure', async () => {
    const anonymous = app.caller();
    const signedIn = app.caller({ token: user.token });
    for (const call of [
      (c: typeof anonymous) => c.monitoring.connections(),
      (c: typeof anonymous) => c.monitoring.slowestStatements({}),
      (c: typeof anonymous) => c.monitoring.tableSizes({}),
      (c: typeof anonymous) => c.monitoring.indexSizes({}),
    ]) {
      expect((await failure(call(anonymous))).code).toBe('UNAUTHORIZED');
      expect((await failure(call(signedIn))).code).toBe('FORBIDDEN');
    }
  });

  it('the SQL functions refuse a request that does not act as an admin (FORBIDDEN), whatever the API checks', async () => {
    const probe = app.probe({ token: user.token });
    for (const fn of ['core.monitor_connections()', 'core.monitor_server_connections()', 'core.monitor_slowest_statements(5)']) {
      const err = await failure(rowsAs(probe, `select * from ${fn}`));
      expect(err.code).toBe('FORBIDDEN');
      expect(err.message).toMatch(/only an admin may read/);
    }
  });

  it('the functions run as app_monitor, the only role here with pg_read_all_stats; the request role has neither it nor direct use of anything else', async () => {
    const { rows: functions } = await app.sql<{ name: string; owner: string; definer: boolean; config: string[]; acl: string }>(
      `select p.proname as name, p.proowner::regrole::text as owner, p.prosecdef as definer, p.proconfig as config, p.proacl::text as acl
         from pg_proc p where p.pronamespace = 'core'::regnamespace and p.proname like 'monitor\\_%' order by 1`,
    );
    expect(functions.map((f) => f.name)).toEqual(['monitor_connections', 'monitor_server_connections', 'monitor_slowest_statements']);
    for (const f of functions) {
      expect(f).toMatchObject({ owner: 'app_monitor', definer: true, config: ['search_path=pg_catalog, pg_temp'] });
      // Executable by app_request (and the owner app_monitor), not by PUBLIC ("=X/...").
      expect(f.acl).toContain('app_request=X/app_monitor');
      expect(f.acl).not.toMatch(/(^|[{,])=X/);
    }
    const { rows: roles } = await app.sql<{ rolname: string; stats: boolean; login: boolean }>(
      `select r.rolname, pg_has_role(r.oid, 'pg_read_all_stats', 'USAGE') as stats, r.rolcanlogin as login
         from pg_roles r where r.rolname in ('app_monitor', 'app_request', $1) order by 1`,
      [inject('testServer').owner],
    );
    expect(roles).toEqual(
      [
        { rolname: 'app_monitor', stats: true, login: false },
        { rolname: 'app_request', stats: false, login: false },
        { rolname: inject('testServer').owner, stats: false, login: true },
      ].sort((a, b) => a.rolname.localeCompare(b.rolname)),
    );
  });
});

describe('monitoring.connections', () => {
  it("gives this database's connections by state, role and application (this request's own among them), and the server's total", async () => {
    const other = await elsewhere('monitoring-test-other-db');
    try {
      const result = await app.caller({ token: admin.token }).monitoring.connections();
      // The request that asks is an active connection of the owner role, as the pool connects.
      expect(result.groups).toContainEqual(
        expect.objectContaining({ state: 'active', roleName: inject('testServer').owner, applicationName: 'pg-trpc-persistence' }),
      );
      expect(result.groups.every((g) => g.connections >= 1 && g.waiting >= 0)).toBe(true);
      expect(result.databaseConnections).toBe(result.groups.reduce((n, g) => n + g.connections, 0));
      // Another database's connection counts for the server only; its details stay hidden.
      expect(result.groups.map((g) => g.applicationName)).not.toContain('monitoring-test-other-db');
      expect(result.serverConnections).toBeGreaterThan(result.databaseConnections);
      const { rows } = await app.sql<{ max: number }>(`select current_setting('max_connections')::int as max`);
      expect(result.maxConnections).toBe(rows[0]!.max);
    } finally {
      await other.end();
    }
  });
});

describe('monitoring.slowestStatements', () => {
  it("gives this database's statements of every role with their text and timings, slowest mean first; other databases' stay out", async () => {
    const { rows } = await app.sql<{ loaded: boolean }>(
      `select exists (select from unnest(string_to_array(current_setting('shared_preload_libraries'), ',')) l where trim(l) = 'pg_stat_statements') as loaded`,
    );
    const caller = app.caller({ token: admin.token });
    if (!rows[0]!.loaded) {
      // A server that does not load it (TEST_DATABASE_URL, testcontainers): a clear precondition.
      const err = await failure(caller.monitoring.slowestStatements({}));
      expect(err.code).toBe('PRECONDITION_FAILED');
      expect(err.message).toMatch(/not loaded: the server needs shared_preload_libraries = pg_stat_statements/);
      return;
    }
    const other = await elsewhere('monitoring-test-marker');
    try {
      await other.query('select 424242 as other_database_marker');
      // Statements that app_request runs (another role than app_monitor): their text must show.
      await caller.users.list({});
      const statements = await caller.monitoring.slowestStatements({ limit: 100 });
      expect(statements.length).toBeGreaterThan(0);
      expect(statements.length).toBeLessThanOrEqual(100);
      expect(statements.map((s) => s.query)).not.toContain('<insufficient privilege>');
      expect(statements.some((s) => s.roleName === 'app_request' && /from core\.users/.test(s.query))).toBe(true);
      expect(statements.some((s) => s.query.includes('other_database_marker'))).toBe(false);
      for (const s of statements) {
        expect(Number(s.calls)).toBeGreaterThan(0);
        expect(s.meanMs).toBeGreaterThanOrEqual(0);
        expect(s.maxMs).toBeGreaterThanOrEqual(s.meanMs);
      }
      const means = statements.map((s) => s.meanMs);
      expect(means).toEqual([...means].sort((a, b) => b - a));
      expect(await caller.monitoring.slowestStatements({ limit: 1 })).toHaveLength(1);
    } finally {
      await other.end();
    }
  });

  it('refuses a limit out of 1-100 naming the field', async () => {
    const caller = app.caller({ token: admin.token });
    for (const limit of [0, 101, 1.5]) {
      const err = await failure(caller.monitoring.slowestStatements({ limit }));
      expect(err.code).toBe('BAD_REQUEST');
      expect(invalidFields(err)).toEqual(['limit']);
    }
  });
});

describe('monitoring.tableSizes and monitoring.indexSizes', () => {
  it('lists the application tables largest first; a partitioned table counts its partitions and they are not listed apart', async () => {
    const sizes = await app.caller({ token: admin.token }).monitoring.tableSizes({ limit: 500 });
    const names = sizes.map((t) => `${t.schema}.${t.table}`);
    expect(names).toEqual(expect.arrayContaining(['core.users', 'core.audit_log', 'componentforge.documents', 'exportsathi.reports']));
    expect(new Set(sizes.map((t) => t.schema))).toEqual(new Set(['core', 'verificai', 'scraper', 'socrates', 'exportsathi', 'componentforge']));
    expect(names.filter((n) => n.startsWith('core.audit_log_'))).toEqual([]);
    const totals = sizes.map((t) => BigInt(t.totalBytes));
    expect(totals).toEqual([...totals].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)));
    const users = sizes.find((t) => t.table === 'users' && t.schema === 'core')!;
    expect(BigInt(users.totalBytes)).toBe(BigInt(users.tableBytes) + BigInt(users.indexBytes));
    expect(BigInt(users.indexBytes)).toBeGreaterThan(0n);
    // The audit log has rows (every registration wrote some) in its partitions, not in the parent.
    const audit = sizes.find((t) => t.table === 'audit_log' && t.schema === 'core')!;
    const { rows } = await app.sql<{ total: string }>(
      `select sum(pg_total_relation_size(relid))::text as total from pg_partition_tree('core.audit_log')`,
    );
    expect(audit.totalBytes).toBe(rows[0]!.total);
    expect(BigInt(audit.totalBytes)).toBeGreaterThan(0n);
    expect(await app.caller({ token: admin.token }).monitoring.tableSizes({ limit: 3 })).toHaveLength(3);
  });

  it('lists the application indexes largest first with their table, size and scans', async () => {
    const caller = app.caller({ token: admin.token });
    const before = (await caller.monitoring.indexSizes({ limit: 500 })).find((i) => i.index === 'users_pkey')!;
    expect(before).toMatchObject({ schema: 'core', table: 'users', unique: true, primary: true });
    expect(BigInt(before.sizeBytes)).toBeGreaterThan(0n);
    const indexes = await caller.monitoring.indexSizes({ limit: 500 });
    expect(indexes.every((i) => ['core', 'verificai', 'scraper', 'socrates', 'exportsathi', 'componentforge'].includes(i.schema))).toBe(true);
    const bytes = indexes.map((i) => BigInt(i.sizeBytes));
    expect(bytes).toEqual([...bytes].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)));
    expect(await caller.monitoring.indexSizes({ limit: 2 })).toHaveLength(2);
    expect((await failure(caller.monitoring.indexSizes({ limit: 501 }))).code).toBe('BAD_REQUEST');
  });
});

describe('without pg_read_all_stats for app_monitor', () => {
  it('the functions refuse with 55000 naming the grant to run, instead of hiding rows as "<insufficient privilege>"', async () => {
    const client = await app.superClient();
    try {
      // Role membership is transactional: the revoke is rolled back, and no other session sees it.
      await client.query('begin');
      await client.query('revoke pg_read_all_stats from app_monitor');
      await client.query(`select set_config('app.user_role', 'admin', true)`);
      await client.query('set local role app_request');
      for (const fn of ['core.monitor_connections()', 'core.monitor_slowest_statements(5)']) {
        await client.query('savepoint attempt');
        const err = await client.query(`select * from ${fn}`).then(
          () => undefined,
          (e: pg.DatabaseError) => e,
        );
        expect(err).toMatchObject({ code: '55000', routine: 'exec_stmt_raise' });
        expect(err!.message).toMatch(/app_monitor may not read other roles' .*: a superuser runs "grant pg_read_all_stats to app_monitor"/);
        await client.query('rollback to savepoint attempt');
      }
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});

// Last: it drops the extension from this file's database.
describe('without pg_stat_statements in the database', () => {
  it('slowestStatements is PRECONDITION_FAILED saying what a superuser runs, and changes nothing', async () => {
    await app.sql('drop extension if exists pg_stat_statements');
    const err = await failure(app.caller({ token: admin.token }).monitoring.slowestStatements({}));
    expect(err.code).toBe('PRECONDITION_FAILED');
    expect(err.message).toBe(
      'pg_stat_statements is not installed in this database: a superuser runs "create extension pg_stat_statements" ' +
        '(and the server loads it with shared_preload_libraries = pg_stat_statements)',
    );
    // The rest of monitoring does not depend on it.
    expect((await app.caller({ token: admin.token }).monitoring.connections()).databaseConnections).toBeGreaterThan(0);
  });
});
