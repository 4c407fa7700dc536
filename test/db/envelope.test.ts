/**
 * The Envelope (src/db/envelope.ts): a transaction's statements as one stream of extended-
 * protocol messages ended by one Sync, on a plain pg client.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Envelope, StatementSkipped } from '../../src/db/envelope.js';
import { useTestApp } from '../support/app.js';

const app = useTestApp();
let client: pg.Client;

beforeEach(async () => {
  client = new pg.Client({ connectionString: app.url });
  client.on('error', () => {});
  await client.connect();
  await client.query('create temporary table t (n int primary key)');
});

afterEach(async () => {
  await client.end().catch(() => {});
});

function envelope(idleTimeoutMs = 0, namedStatements = true): Envelope {
  const e = new Envelope({ namedStatements, idleTimeoutMs });
  e.start(client);
  return e;
}

describe('an Envelope', () => {
  it('runs its statements as one transaction that commits at the Sync, with no BEGIN or COMMIT', async () => {
    const e = envelope();
    const [a, b] = await Promise.all([e.query('insert into t values (1) returning txid_current() as x'), e.query('select txid_current() as x, count(*)::int as n from t')]);
    expect(a.rows[0]![0]).toBe(b.rows[0]![0]);
    expect(b.rows[0]![1]).toBe(1);
    expect(await e.end()).toBe('I');
    expect((await client.query('select count(*)::int as n from t')).rows[0].n).toBe(1);
  });

  it('rolls everything back when a statement fails, and skips the statements behind it', async () => {
    const e = envelope();
    const first = e.query('insert into t values (1)');
    const failing = e.query('insert into t values (1)');
    const behind = e.query('insert into t values (2)');
    await first;
    await expect(failing).rejects.toMatchObject({ code: '23505' });
    await expect(behind).rejects.toBeInstanceOf(StatementSkipped);
    expect(e.failed).toBe(true);
    expect(await e.end()).toBe('I');
    expect((await client.query('select count(*)::int as n from t')).rows[0].n).toBe(0);
  });

  it('keeps named statements usable after a failure cut a batch short (parsed ones known, skipped ones parsed again)', async () => {
    for (let round = 0; round < 3; round++) {
      const e = envelope();
      const ok = e.query('select $1::int + 1 as n', [round]);
      const bad = e.query('select 1 / $1::int as n', [0]);
      const skipped = e.query(`select 'never parsed before round ${round}' as s`);
      expect((await ok).rows).toEqual([[round + 1]]);
      await expect(bad).rejects.toMatchObject({ code: '22012' });
      await expect(skipped).rejects.toBeInstanceOf(StatementSkipped);
      await e.end();
    }
    const e = envelope();
    const rows = await Promise.all([e.query('select 1 / $1::int as n', [1]), e.query(`select 'never parsed before round 2' as s`)]);
    expect(rows.map((r) => r.rows)).toEqual([[[1]], [['never parsed before round 2']]]);
    await e.end();
  });

  it('describes a named statement once per connection: later runs get no RowDescription and parse their columns the same', async () => {
    const described: string[] = [];
    (client as unknown as { connection: NodeJS.EventEmitter }).connection.on('rowDescription', (msg: { fields: Array<{ name: string }> }) => described.push(msg.fields.map((f) => f.name).join()));
    const text = `select $1::int8 as big, now() as at, '{"a": 1}'::jsonb as doc, null::text as nothing`;
    const runs = [];
    for (let round = 0; round < 3; round++) {
      const e = envelope();
      runs.push((await Promise.all([e.query(text, [round]), e.end()]))[0]);
    }
    expect(described).toEqual(['big,at,doc,nothing']);
    for (const [round, run] of runs.entries()) {
      expect(run.fields.map((f) => f.name)).toEqual(['big', 'at', 'doc', 'nothing']);
      expect(run.rows[0]).toEqual([String(round), expect.any(Date), { a: 1 }, null]);
    }
    // A statement parsed again (the connection's prepared statements were dropped) is described again.
    await client.query('deallocate all');
    (client as unknown as { connection: { parsedStatements: Record<string, string> } }).connection.parsedStatements = {};
    const e = envelope();
    const again = (await Promise.all([e.query(text, [7]), e.end()]))[0];
    expect(described).toEqual(['big,at,doc,nothing', 'big,at,doc,nothing']);
    expect(again.rows[0]?.[0]).toBe('7');
  });

  it('gives a client that failed before anything was written its own error on the first statement, "skipped" on the rest', async () => {
    await client.end();
    const e = envelope();
    const first = e.query('select 1');
    const behind = e.query('select 2');
    await expect(first).rejects.toThrow(/not queryable/);
    await expect(first).rejects.not.toBeInstanceOf(StatementSkipped);
    await expect(behind).rejects.toBeInstanceOf(StatementSkipped);
    await expect(e.end()).rejects.toThrow(/not queryable/);
  });

  it('works with unnamed statements (behind a transaction pooler)', async () => {
    const e = envelope(0, false);
    const [a, b] = await Promise.all([e.query('select $1::text as a', ['x']), e.query('select $1::int * 2 as b', [21])]);
    expect([a.rows, b.rows]).toEqual([[['x']], [[42]]]);
    await e.end();
  });

  it('ends a transaction the application leaves idle longer than its bound by closing the connection', async () => {
    const e = envelope(200);
    const pid = (await e.query('insert into t values (1) returning pg_backend_pid() as pid')).rows[0]?.[0];
    await new Promise((resolve) => setTimeout(resolve, 400));
    await expect(e.end()).rejects.toThrow();
    await expect.poll(async () => (await app.sql('select count(*)::int as n from pg_stat_activity where pid = $1', [pid])).rows[0]!.n).toBe(0);
  });

  it('leaves a transaction that keeps working alone, however long it takes', async () => {
    const e = envelope(200);
    for (let i = 0; i < 4; i++) {
      await e.query('select pg_sleep(0.1)');
    }
    expect(await e.end()).toBe('I');
  });
});
