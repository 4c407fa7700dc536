/**
 * A real streaming replica (src/db/replica.ts) made from an embedded primary while it serves:
 * rows written on the primary appear on the replica, which refuses writes; with replay paused
 * the lag is observed and reported, and resuming catches up; a replica SIGKILLed in the middle
 * of the primary's writes restarts and catches up with every committed row, the primary's slot
 * having kept the WAL it missed.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureMajor, parseMajor } from '../../src/db/embedded.js';
import { startCluster, type Cluster } from '../../src/db/lifecycle.js';
import { startReplica, type Replica } from '../../src/db/replica.js';

// The run's PostgreSQL major (`npm run test:pg -- 15`), else the one npm start ships.
const major = process.env.TEST_PG_MAJOR ? parseMajor(process.env.TEST_PG_MAJOR) : undefined;

let tmp: string;
let primary: Cluster;
let replica: Replica | undefined;
const clients: pg.Client[] = [];

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {}); // the replica's connections die with it; the next query says so
  await client.connect();
  clients.push(client);
  return client;
}

/** Inserts numbered rows in autocommit until told to stop; `acked` gets a number once its INSERT returned. */
async function writer(client: pg.Client, id: number, acked: number[], stop: { now: boolean }): Promise<void> {
  for (let n = 0; !stop.now; n++) {
    await client.query('insert into public.events (writer, n) values ($1, $2)', [id, n]);
    acked.push(n);
  }
}

async function count(client: pg.Client): Promise<number> {
  const { rows: [row] } = await client.query<{ n: number }>('select count(*)::int as n from public.events');
  return row!.n;
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pg-replica-'));
  // As root the servers run as user postgres, which must reach their folders (mkdtemp makes them 0700).
  await chmod(tmp, 0o755);
  if (major !== undefined) await ensureMajor(major);
  primary = await startCluster({ dir: path.join(tmp, 'primary'), superuserPassword: randomBytes(12).toString('hex'), persistent: false, major });
  const setup = await connect(primary.adminUrl);
  await setup.query('create table public.events (writer int, n int, primary key (writer, n))');
  await setup.query(`insert into public.events select -1, g from generate_series(1, 1000) g`);
});

afterAll(async () => {
  for (const client of clients) await client.end().catch(() => {});
  await replica?.stop();
  await primary?.stop();
  await rm(tmp, { recursive: true, force: true });
});

// Servers start and copy files: on a busy 2-core machine that outlasts the default 30 s.
describe('a streaming replica of the embedded primary', () => {
  it('is made while the primary serves, streams its rows, and refuses writes', async () => {
    const onPrimary = await connect(primary.adminUrl);
    const stop = { now: false };
    const acked: number[] = [];
    const writing = writer(await connect(primary.adminUrl), 0, acked, stop);
    replica = await startReplica(primary, { dir: path.join(tmp, 'replica'), postgresFlags: ['-c', 'fsync=off'] });
    stop.now = true;
    await writing;
    await onPrimary.query(`insert into public.events values (-2, 1)`);

    await replica.waitForReplay();
    const onReplica = await connect(replica.adminUrl);
    expect(await count(onReplica)).toBe(await count(onPrimary));
    expect(acked.length).toBeGreaterThan(0);
    const { rows: [state] } = await onReplica.query<{ standby: boolean }>('select pg_is_in_recovery() as standby');
    expect(state!.standby).toBe(true);
    await expect(onReplica.query(`insert into public.events values (-3, 1)`)).rejects.toMatchObject({ code: '25006' });
    // The primary streams to it through its slot.
    const { rows: senders } = await onPrimary.query<{ state: string; slot: string }>(
      `select r.state, s.slot_name as slot from pg_stat_replication r join pg_replication_slots s on s.active_pid = r.pid where r.application_name = $1`,
      [replica.slot],
    );
    expect(senders).toEqual([{ state: 'streaming', slot: replica.slot }]);
  }, 90_000);

  it('with replay paused, lags behind by what the primary wrote since, and catches up when resumed', async ({ annotate }) => {
    const onPrimary = await connect(primary.adminUrl);
    const onReplica = await connect(replica!.adminUrl);
    await replica!.waitForReplay();
    const before = await count(onReplica);
    await replica!.pauseReplay();
    // A synchronous commit (the throwaway primary runs without): flushed, so it is sent at once.
    await onPrimary.query('begin');
    await onPrimary.query('set local synchronous_commit = on');
    await onPrimary.query(`insert into public.events select -4, g from generate_series(1, 5000) g`);
    await onPrimary.query('commit');
    const { rows: [written] } = await onPrimary.query<{ lsn: string }>('select pg_current_wal_flush_lsn()::text as lsn');

    // Received, not applied: the rows are not visible and the lag is the WAL in between.
    for (;;) {
      const { rows: [received] } = await onReplica.query<{ done: boolean }>('select pg_last_wal_receive_lsn() >= $1::pg_lsn as done', [written!.lsn]);
      if (received!.done) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const paused = await replica!.lag();
    expect(paused.replayPaused).toBe(true);
    expect(paused.replayLagBytes).toBeGreaterThan(100_000); // 5,000 rows of WAL
    expect(await count(onReplica)).toBe(before);

    await replica!.resumeReplay();
    const caughtUp = await replica!.waitForReplay();
    expect(await count(onReplica)).toBe(before + 5000);
    const figures = `replica lag: ${paused.replayLagBytes} bytes behind (replay ${paused.replayLsn}, received ${paused.receiveLsn}, primary ${paused.primaryLsn}) while paused; after resume ${caughtUp.replayLagBytes} bytes`;
    console.log(figures);
    await annotate(figures);
  }, 90_000);

  it('killed (SIGKILL) while the primary keeps writing, restarts and catches up with every committed row', async ({ annotate }) => {
    const onPrimary = await connect(primary.adminUrl);
    const stop = { now: false };
    const acked = [[], []] as number[][];
    const writers = await Promise.all(acked.map(() => connect(primary.adminUrl)));
    const writing = Promise.all(writers.map((client, id) => writer(client, 10 + id, acked[id]!, stop)));
    const waitRows = async (n: number) => {
      const target = acked.map((rows) => rows.length + n);
      while (acked.some((rows, id) => rows.length < target[id]!)) await new Promise((resolve) => setTimeout(resolve, 10));
    };

    await waitRows(200);
    const killedPid = replica!.pid();
    await replica!.kill();
    expect(replica!.pid()).toBeUndefined();
    const atKill = acked.map((rows) => rows.length);
    // The primary notices, and its slot, now inactive, holds the WAL the replica misses.
    for (;;) {
      const { rows } = await onPrimary.query('select 1 from pg_stat_replication where application_name = $1', [replica!.slot]);
      if (!rows.length) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await waitRows(500);
    const { rows: [slot] } = await onPrimary.query<{ active: boolean; retained: string }>(
      `select active, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint::text as retained from pg_replication_slots where slot_name = $1`,
      [replica!.slot],
    );
    expect(slot!.active).toBe(false);

    const restarted = Date.now();
    await replica!.restart();
    expect(replica!.pid()).not.toBe(killedPid);
    await waitRows(200);
    stop.now = true;
    await writing;
    const caughtUp = await replica!.waitForReplay();
    const ms = Date.now() - restarted;

    const onReplica = await connect(replica!.adminUrl);
    const { rows } = await onReplica.query<{ writer: number; n: number }>('select writer, n from public.events where writer >= 10');
    const found = new Set(rows.map((row) => `${row.writer}:${row.n}`));
    const committed = acked.flatMap((numbers, id) => numbers.map((n) => `${10 + id}:${n}`));
    const missing = committed.filter((key) => !found.has(key));
    const duringDowntime = acked.reduce((sum, rows, id) => sum + rows.length - atKill[id]!, 0);
    const figures =
      `replica killed: ${committed.length} rows committed on the primary (${duringDowntime} after the kill), ` +
      `${Number(slot!.retained)} bytes of WAL kept by the slot while it was down; restarted and caught up in ${ms} ms ` +
      `(lag ${caughtUp.replayLagBytes} bytes), ${missing.length} rows missing`;
    console.log(figures);
    await annotate(figures);
    expect({ missing: missing.length, some: missing.slice(0, 10) }).toEqual({ missing: 0, some: [] });
    expect(await count(onReplica)).toBe(await count(onPrimary));
  }, 90_000);
});
