/**
 * Audit partitions when maintenance lapsed: rows that landed in the default partition are
 * moved into their months as those are created, none lost; and months are UTC months
 * whatever the session's TimeZone. Its own file (own database): it creates far-off months.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runMaintenance } from '../../src/db/maintenance.js';
import { useTestApp } from '../support/app.js';

const app = useTestApp();

/** Runs `fn` on one owner connection whose session time zone is `timeZone`. */
async function inTimeZone<T>(timeZone: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: app.url });
  await client.connect();
  try {
    await client.query(`select set_config('timezone', $1, false)`, [timeZone]);
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A partition's bounds as a UTC session prints them. */
async function boundsOf(partition: string): Promise<string | undefined> {
  const { rows } = await app.sql<{ bound: string }>(
    `select pg_get_expr(c.relpartbound, c.oid) as bound from pg_class c
      where c.relnamespace = 'core'::regnamespace and c.relname = $1`,
    [partition],
  );
  return rows[0]?.bound;
}

const count = async (sql: string, values: unknown[] = []) => (await app.sql<{ n: number }>(sql, values)).rows[0]!.n;

describe('audit partitions after a maintenance lapse', () => {
  it('maintenance moves the rows of the default partition into their new months; no row lost, none left behind', async () => {
    // Months no partition covers: a far future (a lapse of years) and a far past (a clock that was wrong).
    const stray = ['2031-03-01 00:00:00+00', '2031-03-31 23:59:59.999999+00', '2031-04-15 12:00:00+00', '2019-07-04 09:30:00+00'];
    await app.sql(
      `insert into core.audit_log (occurred_at, action, details) select t::timestamptz, 'LOGIN', jsonb_build_object('at', t) from unnest($1::text[]) t`,
      [stray],
    );
    expect(await count(`select count(*)::int as n from core.audit_log_default`)).toBe(4);
    const before = await app.sql(`select to_jsonb(a) as row from core.audit_log a order by occurred_at, id`);
    // What the old maintenance ran into: a partition of that month cannot simply be created.
    expect(
      await app.sqlError(`create table core.audit_log_scratch partition of core.audit_log for values from ('2031-03-01 00:00+00') to ('2031-04-01 00:00+00')`),
    ).toMatchObject({ code: '23514' });

    const result = await runMaintenance(app.pool, { AUDIT_RETENTION_MONTHS: 0 });
    expect(result).toMatchObject({ partitionsCreated: 3, auditRowsMoved: 4, partitionsDropped: [] });

    expect(await count(`select count(*)::int as n from core.audit_log_default`)).toBe(0);
    const after = await app.sql(`select to_jsonb(a) as row from core.audit_log a order by occurred_at, id`);
    expect(after.rows).toEqual(before.rows);
    const { rows: placed } = await app.sql<{ at: string; partition: string }>(
      `select details->>'at' as at, tableoid::regclass::text as partition from core.audit_log where details ? 'at' order by occurred_at`,
    );
    expect(placed).toEqual([
      { at: stray[3], partition: 'core.audit_log_y2019m07' },
      { at: stray[0], partition: 'core.audit_log_y2031m03' },
      { at: stray[1], partition: 'core.audit_log_y2031m03' },
      { at: stray[2], partition: 'core.audit_log_y2031m04' },
    ]);
    // Full partitions: the parent's indexes and CHECKs, and new rows of the month go there.
    const indexes = `select count(*)::int as n from pg_index i join pg_inherits h on h.inhrelid = i.indexrelid where i.indrelid = $1::regclass`;
    expect(await count(indexes, ['core.audit_log_y2031m03'])).toBe(await count(`select count(*)::int as n from pg_index where indrelid = 'core.audit_log'::regclass`));
    expect(await app.sqlError(`insert into core.audit_log_y2031m03 (occurred_at, action) values ('2031-03-02', 'NOT AN ACTION')`)).toEqual({
      code: '23514',
      constraint: 'audit_log_action_check',
    });
    // Inherited, not local copies: a later migration that changes a CHECK of the log changes it here too.
    const { rows: local } = await app.sql(`select conname from pg_constraint where conrelid = 'core.audit_log_y2031m03'::regclass and conislocal`);
    expect(local).toEqual([]);
    await app.sql(`insert into core.audit_log (occurred_at, action) values ('2031-03-20', 'LOGOUT')`);
    expect(await count(`select count(*)::int as n from core.audit_log_y2031m03`)).toBe(3);
    expect(await count(`select count(*)::int as n from core.audit_log_default`)).toBe(0);

    // Nothing left to do: a second run creates and moves nothing.
    expect(await runMaintenance(app.pool, { AUDIT_RETENTION_MONTHS: 0 })).toMatchObject({ partitionsCreated: 0, auditRowsMoved: 0 });
  });

  it('a write of a month being created waits for it and lands in it, never in the default partition', async () => {
    await app.sql(`insert into core.audit_log (occurred_at, action) values ('2034-02-10', 'LOGIN')`);
    const maintainer = await app.superClient();
    const writer = new pg.Client({ connectionString: app.superUrl });
    await writer.connect();
    const pid = (await writer.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    try {
      await maintainer.query('begin');
      await maintainer.query(`select * from core.audit_log_create_partitions('2034-02-01', 1)`);
      // A concurrent write to the month: it must wait for the attach, not slip into the default.
      const writing = writer.query(`insert into core.audit_log (occurred_at, action) values ('2034-02-11', 'LOGIN')`);
      while (!(await count(`select count(*)::int as n from pg_stat_activity where pid = $1 and wait_event_type = 'Lock'`, [pid]))) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await maintainer.query('commit');
      await writing;
    } finally {
      maintainer.release();
      await writer.end();
    }
    const { rows } = await app.sql(`select tableoid::regclass::text as partition, count(*)::int as n from core.audit_log where occurred_at >= '2034-02-01' group by 1`);
    expect(rows).toEqual([{ partition: 'core.audit_log_y2034m02', n: 2 }]);
  });
});

describe('audit partitions are UTC months', () => {
  it('whatever the session time zone, a month runs from UTC midnight to UTC midnight', async () => {
    // UTC+14: the old function, reading dates in the session zone, made 2032-01 start at 2031-12-31 10:00 UTC.
    const created = await inTimeZone('Pacific/Kiritimati', async (client) => {
      const { rows } = await client.query(`select partition_name from core.audit_log_create_partitions('2032-01-01', 2)`);
      return rows.map((r) => r.partition_name as string);
    });
    expect(created).toEqual(['audit_log_y2032m01', 'audit_log_y2032m02']);
    expect(await boundsOf('audit_log_y2032m01')).toBe(`FOR VALUES FROM ('2032-01-01 00:00:00+00') TO ('2032-02-01 00:00:00+00')`);
    expect(await boundsOf('audit_log_y2032m02')).toBe(`FOR VALUES FROM ('2032-02-01 00:00:00+00') TO ('2032-03-01 00:00:00+00')`);
    // 2032-01-31 23:30 UTC is already February 1 in Kiritimati; it belongs to January.
    await app.sql(`insert into core.audit_log (occurred_at, action) values ('2032-01-31 23:30:00+00', 'LOGIN')`);
    expect(await count(`select count(*)::int as n from core.audit_log_y2032m01 where occurred_at = '2032-01-31 23:30:00+00'`)).toBe(1);
  });

  it('maintenance in a far-off time zone creates the same UTC months', async () => {
    const pool = new pg.Pool({ connectionString: app.url, max: 1, options: '-c TimeZone=America/Adak' });
    try {
      await runMaintenance(pool, { AUDIT_RETENTION_MONTHS: 0 });
    } finally {
      await pool.end();
    }
    const now = new Date();
    const month = (offset: number) => {
      const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
      return d.toISOString().slice(0, 10);
    };
    const name = `audit_log_y${month(0).slice(0, 4)}m${month(0).slice(5, 7)}`;
    expect(await boundsOf(name)).toBe(`FOR VALUES FROM ('${month(0)} 00:00:00+00') TO ('${month(1)} 00:00:00+00')`);
    const ahead = `audit_log_y${month(3).slice(0, 4)}m${month(3).slice(5, 7)}`;
    expect(await boundsOf(ahead)).toBe(`FOR VALUES FROM ('${month(3)} 00:00:00+00') TO ('${month(4)} 00:00:00+00')`);
  });

  it('next to a month made in another time zone, a new month starts or ends where it does: no gap, no overlap', async () => {
    // As the old function made it under Europe/Berlin (UTC+2 in summer).
    await app.sql(`create table core.audit_log_y2033m05 partition of core.audit_log for values from ('2033-05-01 00:00+02') to ('2033-06-01 00:00+02')`);
    const { rows } = await app.sql(`select partition_name from core.audit_log_create_partitions('2033-04-01', 3)`);
    expect(rows.map((r) => r.partition_name)).toEqual(['audit_log_y2033m04', 'audit_log_y2033m06']);
    expect(await boundsOf('audit_log_y2033m04')).toBe(`FOR VALUES FROM ('2033-04-01 00:00:00+00') TO ('2033-04-30 22:00:00+00')`);
    expect(await boundsOf('audit_log_y2033m06')).toBe(`FOR VALUES FROM ('2033-05-31 22:00:00+00') TO ('2033-07-01 00:00:00+00')`);
  });

  it('retention drops a month by its real end, not by its name read in the session time zone', async () => {
    await app.sql(`select * from core.audit_log_create_partitions('2020-03-01', 1)`);
    const dropped = await inTimeZone('Pacific/Kiritimati', async (client) => {
      // 12 hours before March ends in UTC: the partition still covers time after that, so it stays.
      const early = await client.query(`select core.audit_log_drop_partitions('2020-03-31 12:00:00+00') as name`);
      const onTime = await client.query(`select core.audit_log_drop_partitions('2020-04-01 00:00:00+00') as name`);
      return [early.rows.map((r) => r.name), onTime.rows.map((r) => r.name)];
    });
    expect(dropped[0]).not.toContain('audit_log_y2020m03');
    expect(dropped[1]).toContain('audit_log_y2020m03');
  });
});
