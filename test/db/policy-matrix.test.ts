/**
 * docs/schema/policies.md, the committed row-level security matrix, against the database: every
 * cell (table x actor x operation) runs for real as that actor on the db:seed data, in a
 * savepoint rolled back after it, and must come out as the page says (triggers off: their own
 * rules, such as status and counter guards, are tested with their tables, not here). Then single policies and
 * grants are changed (in a transaction, rolled back) to show that the check notices.
 *
 * How it covers every policy: each cell's expectation is read from the page, which
 * src/db/policy-matrix.ts derives from pg_policy and the privileges; a changed policy, grant or
 * RLS flag either changes what some actor can do to a fixture row (the behaviour check below
 * fails) or only what it can do to rows the fixtures lack (the page regenerated from this
 * database then differs from the committed one: the second test, and db:gen:check in CI).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatCell,
  generatePoliciesDoc,
  OPERATIONS,
  parseCell,
  parseExpression,
  parsePoliciesDoc,
  POLICIES_FILE,
  type Cell,
  type Operation,
} from '../../src/db/policy-matrix.js';
import { TEST_USER } from '../../src/seed/core.js';
import { seedAll } from '../../src/seed/index.js';
import { useTestApp } from '../support/app.js';

const app = useTestApp();
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * One or more rows of every table in the matrix, from db:seed (plus two settings made below):
 * `owner` is SQL over the row `t` naming the user it belongs to (null: a table without owners,
 * whose rows the test user plays the owner of); each of `rows` picks one row, first by key.
 * A table of the page without an entry here fails the test: a new table needs its fixture.
 */
const FIXTURES: Record<string, { owner: string | null; rows: string[] }> = {
  'componentforge.conversations': { owner: 't.user_id', rows: ['true'] },
  'componentforge.document_chunks': { owner: '(select d.user_id from componentforge.documents d where d.id = t.document_id)', rows: ['true'] },
  'componentforge.documents': { owner: 't.user_id', rows: ['true'] },
  'componentforge.embedding_models': { owner: null, rows: ['true'] },
  'componentforge.evaluation_runs': { owner: null, rows: ['true'] },
  'componentforge.messages': { owner: '(select c.user_id from componentforge.conversations c where c.id = t.conversation_id)', rows: ['true'] },
  'componentforge.requirement_exports': { owner: 't.user_id', rows: ['true'] },
  'core.api_rate_limits': { owner: null, rows: ['true'] },
  'core.audit_log': { owner: null, rows: ['true'] },
  'core.auth_sessions': { owner: 't.user_id', rows: ['t.revoked_at is null', 't.revoked_at is not null'] },
  // The test user (argon2id) and seed 004's developer, imported with a bcrypt hash.
  'core.system_configurations': { owner: null, rows: ['not t.is_sensitive', 't.is_sensitive'] },
  'core.user_preferences': { owner: 't.user_id', rows: ['true'] },
  'core.users': { owner: 't.id', rows: [`t.email = 'test@example.com'`, `t.email = 'dev@componentforge.com'`] },
  'exportsathi.action_plan_progress': { owner: '(select r.user_id from exportsathi.reports r where r.id = t.report_id)', rows: ['true'] },
  'exportsathi.business_profiles': { owner: 't.user_id', rows: ['true'] },
  // Of the live report, and of the soft-deleted copy made below.
  'exportsathi.certification_progress': {
    owner: '(select r.user_id from exportsathi.reports r where r.id = t.report_id)',
    rows: ['(select r.deleted_at is null from exportsathi.reports r where r.id = t.report_id)', '(select r.deleted_at is not null from exportsathi.reports r where r.id = t.report_id)'],
  },
  'exportsathi.chat_messages': { owner: '(select s.user_id from exportsathi.chat_sessions s where s.id = t.session_id)', rows: ['true'] },
  'exportsathi.chat_sessions': { owner: 't.user_id', rows: ['true'] },
  'exportsathi.finance_analysis': { owner: '(select r.user_id from exportsathi.reports r where r.id = t.report_id)', rows: ['true'] },
  'exportsathi.generated_documents': { owner: '(select r.user_id from exportsathi.reports r where r.id = t.report_id)', rows: ['true'] },
  'exportsathi.logistics_analysis': { owner: '(select r.user_id from exportsathi.reports r where r.id = t.report_id)', rows: ['true'] },
  'exportsathi.reports': { owner: 't.user_id', rows: ['t.deleted_at is null', 't.deleted_at is not null'] },
  'exportsathi.user_metrics': { owner: 't.user_id', rows: ['true'] },
  // Private, public, and public but tagged private.
  'scraper.artifacts': { owner: 't.user_id', rows: ['not t.is_public', 't.is_public and not t.has_privacy_tag', 't.has_privacy_tag'] },
  'scraper.content_extractions': {
    owner: '(select a.user_id from scraper.artifacts a where a.id = t.artifact_id)',
    rows: ['(select a.is_public from scraper.artifacts a where a.id = t.artifact_id)', '(select not a.is_public from scraper.artifacts a where a.id = t.artifact_id)'],
  },
  'scraper.job_configurations': { owner: '(select j.user_id from scraper.scraping_jobs j where j.id = t.job_id)', rows: ['true'] },
  'scraper.metadata_tags': {
    owner: '(select a.user_id from scraper.artifacts a where a.id = t.artifact_id)',
    rows: ['(select a.is_public and not a.has_privacy_tag from scraper.artifacts a where a.id = t.artifact_id)', `t.tag_type = 'privacy'`],
  },
  'scraper.scraping_jobs': { owner: 't.user_id', rows: [`t.status = 'pending'`, `t.status = 'failed'`] },
  'socrates.documents': { owner: 't.owner_id', rows: ['true'] },
  'socrates.messages': { owner: 't.user_id', rows: ['true'] },
  'socrates.projects': { owner: 't.owner_id', rows: ['true'] },
  'socrates.sessions': { owner: 't.owner_id', rows: ['true'] },
  'verificai.analysis_results': { owner: '(select s.user_id from verificai.analysis_sessions s where s.id = t.analysis_session_id)', rows: ['true'] },
  'verificai.analysis_sessions': { owner: 't.user_id', rows: ['true'] },
  'verificai.analysis_tasks': { owner: '(select s.user_id from verificai.analysis_sessions s where s.id = t.analysis_session_id)', rows: ['true'] },
  'verificai.configurations': { owner: 't.user_id', rows: ['true'] },
  'verificai.file_uploads': { owner: '(select s.user_id from verificai.analysis_sessions s where s.id = t.analysis_session_id)', rows: ['true'] },
};

const ident = (name: string) => name.split('.').map((p) => pg.escapeIdentifier(p)).join('.');

interface Fixture {
  table: string;
  name: string;
  columns: { name: string; type: string }[];
  /** The primary key. */
  key: string[];
  /** The primary key and the unique constraints. */
  keys: string[][];
  owner: string;
  /** Every column's value as text (null stays null). */
  values: Record<string, string | null>;
}

/** Who the request acts for in a cell: [user id, role] for core.act_as. */
type Context = [string | null, string | null];

interface Users {
  test: string;
  other: string;
  admin: string;
}

async function loadFixtures(db: pg.ClientBase, tables: string[], users: Users): Promise<Fixture[]> {
  const fixtures: Fixture[] = [];
  for (const table of tables) {
    const spec = FIXTURES[table]!;
    const { rows: columns } = await db.query<{ name: string; type: string }>(
      `select attname as name, format_type(atttypid, atttypmod) as type from pg_attribute
        where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum`,
      [table],
    );
    // The primary key, then the unique constraints by name (src/db/policy-matrix.ts names rows so).
    const { rows: keyRows } = await db.query<{ columns: string[] }>(
      `select array(select a.attname::text from unnest(k.conkey) with ordinality as u(attnum, ord)
                      join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum order by u.ord) as columns
         from pg_constraint k where k.conrelid = $1::regclass and k.contype in ('p', 'u') order by k.contype = 'u', k.conname`,
      [table],
    );
    const keys = keyRows.map((k) => k.columns);
    const key = keys[0]!;
    for (const where of spec.rows) {
      const texts = columns.map((c) => `${pg.escapeLiteral(c.name)}, t.${pg.escapeIdentifier(c.name)}::text`).join(', ');
      // Rows of the test's other user and admin are no fixtures: they act on the owner's rows.
      const { rows } = await db.query<{ values: Record<string, string | null>; owner: string | null }>(
        `select json_build_object(${texts}) as values, (${spec.owner ?? 'null'})::text as owner
           from ${ident(table)} t where (${where}) and coalesce((${spec.owner ?? 'null'})::text, '') <> all($1)
          order by ${key.map((k) => `t.${pg.escapeIdentifier(k)}`).join(', ')} limit 1`,
        [[users.other, users.admin]],
      );
      if (!rows[0]) throw new Error(`fixture of ${table}: no row where ${where}`);
      fixtures.push({ table, name: `${table} (${where})`, columns, key, keys, owner: rows[0].owner ?? users.test, values: rows[0].values });
    }
  }
  return fixtures;
}

/** The request contexts an actor's cells run in: internal roles run inside anyone's request. */
function contextsOf(label: string, owner: string, users: Users): { role: string | undefined; context: Context; note: string }[] {
  switch (label) {
    case 'anonymous':
      return [{ role: 'app_request', context: [null, null], note: '' }];
    case 'owner':
      return [{ role: 'app_request', context: [owner, 'user'], note: '' }];
    case 'other user':
      return [{ role: 'app_request', context: [users.other, 'user'], note: '' }];
    case 'admin':
      return [{ role: 'app_request', context: [users.admin, 'admin'], note: '' }];
    default: {
      // An internal role (app_auth, ...) or the owner role (undefined: the table's owner).
      const role = label === 'owner role' ? undefined : label;
      return [
        { role, context: [null, null], note: ' (nobody acting)' },
        { role, context: [users.admin, 'admin'], note: ' (an admin acting)' },
      ];
    }
  }
}

/**
 * Runs every cell of `tables` (default: all of the page) and returns the mismatches, one line
 * each. `db` is a superuser connection inside a transaction; every cell is rolled back.
 */
async function checkMatrix(
  db: pg.ClientBase,
  doc: ReturnType<typeof parsePoliciesDoc>,
  fixtures: Fixture[],
  users: Users,
  tables?: string[],
  counts = { cells: 0, allowed: 0 },
): Promise<string[]> {
  const mismatches: string[] = [];
  const owners = new Map<string, string>();
  const cache: PrivilegeCache = new Map();
  for (const f of fixtures) {
    if (tables && !tables.includes(f.table)) continue;
    if (!owners.has(f.table)) {
      const { rows } = await db.query<{ owner: string }>(`select pg_get_userbyid(relowner) as owner from pg_class where oid = $1::regclass`, [f.table]);
      owners.set(f.table, rows[0]!.owner);
    }
    const tableOwner = owners.get(f.table)!;
    const alias = pg.escapeIdentifier(f.table.split('.')[1]!);
    const rowSql = `select ${typed(f, f.columns.map((c) => c.name)).map((v, i) => `${v} as ${pg.escapeIdentifier(f.columns[i]!.name)}`).join(', ')}`;
    const allValues = f.columns.map((c) => f.values[c.name]);

    for (const [label, cells] of Object.entries(doc.get(f.table)!)) {
      for (const { role: maybeRole, context, note } of contextsOf(label, f.owner, users)) {
        const role = maybeRole ?? tableOwner;
        for (const op of OPERATIONS) {
          const cell = cells[op];
          const where = `${f.name}, ${label}${note}, ${op}`;
          const result = await runCell(db, { f, op, cell, role, context, alias, rowSql, allValues, tableOwner, cache });
          counts.cells += 1;
          if (cell.allowed) counts.allowed += 1;
          if (result) mismatches.push(`${where}: page says "${cell.scope}${cell.condition ? ` if ${cell.condition}` : ''}", ${result}`);
        }
      }
    }
  }
  return mismatches;
}

interface CellRun {
  f: Fixture;
  op: Operation;
  cell: Cell;
  role: string;
  context: Context;
  alias: string;
  rowSql: string;
  cache: PrivilegeCache;
  allValues: (string | null | undefined)[];
  tableOwner: string;
}

/** Columns of the cell's privilege: listed, all but some, or all. */
function allowedColumns(cell: Cell, f: Fixture): string[] {
  if (cell.columns) return cell.columns;
  const except = cell.exceptColumns ?? [];
  return f.columns.map((c) => c.name).filter((c) => !except.includes(c));
}

async function attempt(db: pg.ClientBase, text: string, values: unknown[]): Promise<'done' | 'none' | string> {
  await db.query('savepoint attempt');
  try {
    const { rowCount } = await db.query(text, values);
    await db.query('release savepoint attempt');
    return rowCount ? 'done' : 'none';
  } catch (err) {
    await db.query('rollback to savepoint attempt');
    const e = err as { code?: string; message?: string };
    return e.code === '42501' ? '42501' : `error ${e.code}: ${e.message}`;
  }
}

type PrivilegeCache = Map<string, { select: string[]; update: string[] }>;

/** The columns `role` may read and update (once per check: a change under test may revoke some). */
async function privilegesOf(db: pg.ClientBase, cache: PrivilegeCache, table: string, role: string): Promise<{ select: string[]; update: string[] }> {
  const key = `${table}|${role}`;
  if (!cache.has(key)) {
    const { rows } = await db.query<{ select: string[]; update: string[] }>(
      `select array_agg(attname::text order by attnum) filter (where has_column_privilege($2, attrelid, attnum, 'SELECT')) as select,
              array_agg(attname::text order by attnum) filter (where has_column_privilege($2, attrelid, attnum, 'UPDATE')) as update
         from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped`,
      [table, role],
    );
    cache.set(key, { select: rows[0]!.select ?? [], update: rows[0]!.update ?? [] });
  }
  return cache.get(key)!;
}

/** Runs one cell; returns what went differently from the page, or undefined. */
async function runCell(db: pg.ClientBase, run: CellRun): Promise<string | undefined> {
  const { f, op, cell, role } = run;
  const privileges = await privilegesOf(db, run.cache, f.table, role);
  // The row is named by the first key the role may read (the primary key when none).
  const locator = f.keys.find((key) => key.every((k) => privileges.select.includes(k))) ?? f.key;
  const where = (key: string[]) => key.map((k, i) => `${pg.escapeIdentifier(k)} = $${i + 1}::${f.columns.find((c) => c.name === k)!.type}`).join(' and ');
  const keyWhere = where(locator);
  const keyValues = locator.map((k) => f.values[k]);
  // Which column an update sets: one the page allows, else one the role may update at all.
  let updateColumn: string | undefined;
  if (op === 'update') {
    const candidates = cell.allowed ? allowedColumns(cell, f) : privileges.update;
    const choice = candidates.filter((c) => !f.key.includes(c));
    updateColumn = choice.includes('updated_at') ? 'updated_at' : (choice[0] ?? f.columns.find((c) => !f.key.includes(c.name))!.name);
  }
  const literal = (v: string | null | undefined) => (v == null ? 'null' : pg.escapeLiteral(v));
  const type = (name: string) => f.columns.find((c) => c.name === name)!.type;
  // One round trip: triggers off (foreign keys included: the page is about policies and
  // privileges, and a trigger's own rule, a status or counter guard, would otherwise answer
  // first); an insert puts the row in anew, so it is taken out first; then act.
  await db.query(
    [
      'savepoint cell',
      'set local session_replication_role = replica',
      ...(op === 'insert' ? [`delete from ${ident(f.table)} where ${f.key.map((k) => `${pg.escapeIdentifier(k)} = ${literal(f.values[k])}::${type(k)}`).join(' and ')}`] : []),
      `select core.act_as(${literal(run.context[0])}, ${literal(run.context[1])})`,
      `set local role ${pg.escapeIdentifier(role)}`,
    ].join('; '),
  );
  try {
    // The cell's condition, evaluated as the actor (subqueries see what the actor sees) on the row's values.
    let expected = cell.allowed;
    if (expected && (cell.condition || cell.newRow)) {
      const text = `select (${cell.condition ?? 'true'}) and (${cell.newRow ?? 'true'}) as ok from (${run.rowSql}) as ${run.alias}`;
      await db.query('savepoint condition');
      try {
        expected = (await db.query<{ ok: boolean | null }>(text, run.allValues)).rows[0]!.ok === true;
        await db.query('release savepoint condition');
      } catch (err) {
        await db.query('rollback to savepoint condition');
        if ((err as { code?: string }).code !== '42501') throw err;
        expected = false;
      }
    }

    let statement: string;
    let values: unknown[];
    if (op === 'select') {
      statement = `select 1 from ${ident(f.table)} where ${keyWhere}`;
      values = keyValues;
    } else if (op === 'delete') {
      statement = `delete from ${ident(f.table)} where ${keyWhere}`;
      values = keyValues;
    } else if (op === 'insert') {
      const names = cell.allowed ? allowedColumns(cell, f) : f.columns.map((c) => c.name);
      statement = `insert into ${ident(f.table)} (${names.map((n) => pg.escapeIdentifier(n)).join(', ')}) values (${typed(f, names).join(', ')})`;
      values = names.map((n) => f.values[n]);
    } else {
      const type = f.columns.find((c) => c.name === updateColumn)!.type;
      statement = `update ${ident(f.table)} set ${pg.escapeIdentifier(updateColumn!)} = $${locator.length + 1}::${type} where ${keyWhere}`;
      values = [...keyValues, f.values[updateColumn!]];
    }
    // No savepoint of its own: after a failure the cell is rolled back anyway.
    let got: string;
    try {
      got = (await db.query(statement, values)).rowCount ? 'done' : 'none';
    } catch (err) {
      const e = err as { code?: string; message?: string };
      got = e.code === '42501' ? '42501' : `error ${e.code}: ${e.message}`;
    }
    const noGrant = /grant|on the key/.test(cell.scope);
    if (expected && got !== 'done') return `got ${got === 'none' ? 'no row' : got}`;
    if (!expected && got === 'done') return 'it succeeded';
    if (!expected && noGrant && got !== '42501') return `got ${got === 'none' ? 'no row' : got}, not permission denied`;
    if (!expected && got !== 'none' && got !== '42501') return `got ${got}`;

    // The column privileges: a column outside the page's list is refused (unless the statement
    // failed, which left nothing to try it in).
    if (got !== '42501' && cell.allowed && (op === 'select' || op === 'update') && (cell.columns || cell.exceptColumns)) {
      const allowed = allowedColumns(cell, f);
      const outside = f.columns.map((c) => c.name).find((c) => !allowed.includes(c))!;
      const type = f.columns.find((c) => c.name === outside)!.type;
      const probe =
        op === 'select'
          ? await attempt(db, `select ${pg.escapeIdentifier(outside)} from ${ident(f.table)} where ${keyWhere}`, keyValues)
          : await attempt(db, `update ${ident(f.table)} set ${pg.escapeIdentifier(outside)} = $${locator.length + 1}::${type} where ${keyWhere}`, [...keyValues, f.values[outside]]);
      if (probe !== '42501') return `column ${outside}, outside the page's columns, got ${probe === 'done' ? 'allowed' : probe}`;
    }
    return undefined;
  } finally {
    await db.query('rollback to savepoint cell');
  }
}

function typed(f: Fixture, names: string[]): string[] {
  return names.map((n, i) => `$${i + 1}::${f.columns.find((c) => c.name === n)!.type}`);
}

describe('the policy matrix rule', () => {
  it('refuses to classify a policy that reads the request context other than through core.current_user_id() and core.is_admin()', () => {
    expect(() => parseExpression(`(user_id = (nullif(current_setting('app.user_id'::text, true), ''::text))::uuid)`)).toThrow(/cannot classify/);
    expect(() => parseExpression(`(( SELECT core.current_user_role() AS current_user_role) = 'admin'::text)`)).toThrow(/cannot classify/);
    expect(() => parseExpression(`(owner = CURRENT_USER)`)).toThrow(/cannot classify/);
    // What it knows: the acting user, admins, the signed-in test, and conditions on the row.
    expect(parseExpression(`((user_id = ( SELECT core.current_user_id() AS current_user_id)) OR ( SELECT core.is_admin() AS is_admin))`)).toEqual({
      t: 'or',
      xs: [{ t: 'own', column: 'user_id' }, { t: 'admin' }],
    });
    expect(parseExpression(`((NOT is_sensitive) AND (( SELECT core.current_user_id() AS current_user_id) IS NOT NULL))`)).toEqual({
      t: 'and',
      xs: [{ t: 'not', x: { t: 'atom', sql: 'is_sensitive' } }, { t: 'signedIn' }],
    });
  });

  it('writes cells the test reads back as they were', () => {
    const cells: Cell[] = [
      { allowed: false, scope: 'no (no UPDATE grant)' },
      { allowed: true, scope: 'own rows' },
      { allowed: true, scope: 'all rows', condition: `(a || b) = 'x|y'`, newRow: `status = 'failed'::text`, exceptColumns: ['password_hash'] },
      { allowed: true, scope: 'all rows', columns: ['iec', 'gstin'] },
    ];
    for (const cell of cells) expect(parseCell(formatCell(cell))).toEqual(cell);
  });
});

describe('the RLS policy matrix (docs/schema/policies.md)', () => {
  let text: string;
  let doc: ReturnType<typeof parsePoliciesDoc>;
  let users: Users;
  let fixtures: Fixture[];
  let db: pg.PoolClient;

  beforeAll(async () => {
    text = await readFile(path.join(ROOT, POLICIES_FILE), 'utf8');
    doc = parsePoliciesDoc(text);
    await seedAll(app.services);
    // Settings are no part of db:seed: one plain, one sensitive.
    await app.sqlAsAdmin(
      `insert into core.system_configurations (config_key, config_value, config_type, is_sensitive)
       values ('matrix.plain', '1', 'integer', false), ('matrix.secret', 'enc:v1:aXY:dGFn:Y2lwaGVy', 'string', true)`,
    );
    // A soft-deleted copy of the seed's report with one certification (triggers off: as it was
    // before the purge's window, without going through the procedures' order of things).
    const setup = await app.superClient();
    try {
      await setup.query('begin');
      await setup.query('set local session_replication_role = replica');
      const clone = (table: string, changes: string, from: string) =>
        `insert into ${table} select (jsonb_populate_record(null::${table}, to_jsonb(x) || ${changes})).*
           from (select * from ${table} ${from} order by id limit 1) x returning id`;
      const { rows: [report] } = await setup.query<{ id: string }>(
        clone('exportsathi.reports', `jsonb_build_object('id', core.uuidv7(), 'deleted_at', now())`, ''),
      );
      await setup.query(clone('exportsathi.certification_progress', `jsonb_build_object('id', core.uuidv7(), 'report_id', $1::uuid)`, ''), [report!.id]);
      await setup.query('commit');
    } finally {
      setup.release();
    }
    // db:seed logs its session out: one live session of the test user besides.
    await app.caller().auth.login({ email: TEST_USER.email, password: TEST_USER.password });
    const other = await app.newUser();
    const admin = await app.newAdmin();
    const { rows } = await app.sql<{ id: string }>(`select id from core.users where email = 'test@example.com'`);
    users = { test: rows[0]!.id, other: other.id, admin: admin.id };
    db = await app.superClient();
    fixtures = await loadFixtures(db, [...doc.keys()].filter((t) => FIXTURES[t]), users);
  }, 60_000);
  afterAll(() => db?.release());

  it('has a fixture for every table on the page, and every table of the database is on the page', async () => {
    expect([...doc.keys()].filter((t) => !FIXTURES[t])).toEqual([]);
    expect(Object.keys(FIXTURES).filter((t) => !doc.has(t))).toEqual([]);
    // Every fixture row belongs to a plain user, as the owner column assumes.
    const { rows } = await app.sql<{ id: string }>(`select id from core.users where id = any($1) and role <> 'user'`, [fixtures.map((f) => f.owner)]);
    expect(rows).toEqual([]);
  });

  it('is what the catalog of a migrated database gives (the page cannot drift from the migrations)', async () => {
    expect(await generatePoliciesDoc(db)).toBe(text);
  });

  it('every cell behaves as the page says, for every actor on every fixture row', async () => {
    await db.query('begin');
    try {
      const counts = { cells: 0, allowed: 0 };
      expect(await checkMatrix(db, doc, fixtures, users, undefined, counts)).toEqual([]);
      // Every actor's four operations on every fixture row ran (internal roles twice: nobody and an admin acting).
      const actors = Object.keys(doc.values().next().value!);
      const perRow = actors.reduce((n, label) => n + (['anonymous', 'owner', 'other user', 'admin'].includes(label) ? 1 : 2), 0) * OPERATIONS.length;
      expect(counts.cells).toBe(fixtures.length * perRow);
      expect(counts.allowed).toBeGreaterThan(counts.cells / 10);
    } finally {
      await db.query('rollback');
    }
  }, 120_000);

  // One change each, in a transaction rolled back after it: the check must name the cells it moved.
  const changes: Array<{ what: string; table: string; sql: string; expect: RegExp }> = [
    {
      what: "a SELECT policy's USING made true: other users see SOCRATES projects",
      table: 'socrates.projects',
      sql: `alter policy "Owners see their projects; admins see all" on socrates.projects using (true)`,
      expect: /socrates\.projects .*other user, select: .*it succeeded/,
    },
    {
      what: "an UPDATE policy's WITH CHECK loosened: owners set any status of their scraping jobs",
      table: 'scraper.scraping_jobs',
      sql: `alter policy "Owners cancel their jobs; admins (the workers) run any" on scraper.scraping_jobs
              with check ((select core.is_admin()) or user_id = (select core.current_user_id()))`,
      expect: /scraper\.scraping_jobs \(t\.status = 'pending'\), owner, update: .*it succeeded/,
    },
    {
      what: 'a DELETE policy dropped: admins no longer delete users',
      table: 'core.users',
      sql: `drop policy "Only admins delete users" on core.users`,
      expect: /core\.users .*admin, delete: .*got no row/,
    },
    {
      what: "an internal role's policy widened: app_auth sees live ExportSathi reports",
      table: 'exportsathi.reports',
      sql: `alter policy "The purge sees soft-deleted reports" on exportsathi.reports using (true)`,
      expect: /exportsathi\.reports .*app_auth \(nobody acting\), select: .*it succeeded/,
    },
    {
      what: 'a column grant revoked: owners can no longer move their files along',
      table: 'verificai.file_uploads',
      sql: `revoke update (upload_status) on verificai.file_uploads from app_request`,
      expect: /verificai\.file_uploads .*owner, update: .*got 42501/,
    },
  ];

  for (const change of changes) {
    it(`notices ${change.what}`, async () => {
      await db.query('begin');
      try {
        await db.query(change.sql);
        const mismatches = await checkMatrix(db, doc, fixtures, users, [change.table]);
        expect(mismatches.join('\n')).toMatch(change.expect);
        // And the page regenerated from the changed catalog is no longer the committed one.
        expect(await generatePoliciesDoc(db)).not.toBe(text);
      } finally {
        await db.query('rollback');
      }
    });
  }
});
