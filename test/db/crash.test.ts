/**
 * The embedded server under `.data/` holds a user's real data: a write it acknowledged must
 * survive a crash. This starts a persistent cluster of its own (exactly as `npm start` does,
 * apart from the folder), runs concurrent writers, SIGKILLs the postmaster and its children
 * in the middle of their writes, restarts the cluster on the same folder (crash recovery) and
 * looks for every row whose INSERT was acknowledged.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureMajor, parseMajor } from '../../src/db/embedded.js';
import { startCluster, type Cluster } from '../../src/db/lifecycle.js';

const WRITERS = 8;
const WRITE_MS = 2_000;
// The run's PostgreSQL major (`npm run test:pg -- 15`), else the one npm start ships.
const major = process.env.TEST_PG_MAJOR ? parseMajor(process.env.TEST_PG_MAJOR) : undefined;

let tmp: string | undefined;
let running: Cluster | undefined;

afterAll(async () => {
  await running?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** A process's parent pid and state, from /proc/<pid>/stat; undefined once it is gone. */
function procStat(pid: number): { ppid: number; state: string } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
  const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(ppid), state: state! };
}

/** The pids of a process's children (every PostgreSQL backend and auxiliary process is the postmaster's child). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((child) => procStat(child)?.ppid === pid);
}

/** Waits until every pid has exited (a zombie has exited: it holds no shared memory or socket). */
async function waitGone(pids: number[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const alive = pids.filter((pid) => {
      const stat = procStat(pid);
      return stat !== undefined && stat.state !== 'Z';
    });
    if (!alive.length) return;
    if (Date.now() > deadline) throw new Error(`processes ${alive.join(', ')} survived SIGKILL`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * kill -9 of the whole server, as the OOM killer or a killed container would do it. The
 * postmaster is stopped first so that it cannot fork while its children are listed; then it and
 * every child die at once. Backends start their own sessions (setsid), so the process group of
 * the postmaster, which is this test's own, would not reach them.
 */
async function crash(dir: string): Promise<number[]> {
  const postmaster = Number((await readFile(path.join(dir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  process.kill(postmaster, 'SIGSTOP');
  const pids = [postmaster, ...childrenOf(postmaster)];
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  await waitGone(pids);
  return pids;
}

/**
 * Inserts numbered rows on its own connection until the connection dies; `acked` gets a row's
 * number only once its INSERT (an autocommit transaction) has been acknowledged.
 */
async function writer(url: string, id: number, acked: number[]): Promise<unknown> {
  const client = new pg.Client({ connectionString: url });
  // The crash also surfaces as an 'error' event; the failing INSERT below is what ends the loop.
  client.on('error', () => {});
  await client.connect();
  try {
    for (let n = 0; ; n++) {
      await client.query('insert into public.crash_writes (writer, n) values ($1, $2)', [id, n]);
      acked.push(n);
    }
  } catch (err) {
    return err;
  } finally {
    void client.end().catch(() => {});
  }
}

describe.skipIf(process.platform !== 'linux')('the persistent embedded server (the `.data/` one) under a crash', () => {
  it('keeps every acknowledged write of 8 concurrent writers through a SIGKILL of the postmaster and its restart', async ({ annotate }) => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'pg-crash-'));
    // As root the server runs as user postgres, which must reach its folder (mkdtemp makes it 0700).
    await chmod(tmp, 0o755);
    const dir = path.join(tmp, 'pg');
    const superuserPassword = randomBytes(12).toString('hex');
    // Installed already unless the run's own server is not an embedded one.
    if (major !== undefined) await ensureMajor(major);
    const first = await startCluster({ dir, superuserPassword, persistent: true, major });
    running = first;
    expect(first.startedHere).toBe(true);

    const setup = new pg.Client({ connectionString: first.adminUrl });
    await setup.connect();
    await setup.query('create table public.crash_writes (writer int, n int, primary key (writer, n))');
    await setup.end();

    const acked = Array.from({ length: WRITERS }, () => [] as number[]);
    const writers = acked.map((rows, id) => writer(first.adminUrl, id, rows));
    await new Promise((resolve) => setTimeout(resolve, WRITE_MS));
    // The first cluster's handle is dead from here on: its stop() would wait for an exit that already happened.
    running = undefined;
    const killed = await crash(dir);
    const stoppedBy = await Promise.all(writers);

    const log: string[] = [];
    const second = await startCluster({ dir, superuserPassword, persistent: true, major, log: (line) => log.push(line) });
    running = second;
    expect(second.startedHere).toBe(true);
    // It really crashed: the restart replayed the WAL instead of finding a clean shutdown.
    expect(log.join('\n')).toContain('automatic recovery in progress');

    const check = new pg.Client({ connectionString: second.adminUrl });
    await check.connect();
    const { rows } = await check.query<{ writer: number; n: number }>('select writer, n from public.crash_writes');
    const { rows: settings } = await check.query<{ name: string; setting: string }>(
      `select name, setting from pg_settings where name in ('fsync', 'synchronous_commit', 'full_page_writes') order by name`,
    );
    const { rows: [server] } = await check.query<{ version: string }>(`select current_setting('server_version') as version`);
    await check.end();
    const found = new Set(rows.map((row) => `${row.writer}:${row.n}`));
    const acknowledged = acked.flatMap((numbers, id) => numbers.map((n) => `${id}:${n}`));
    const missing = acknowledged.filter((key) => !found.has(key));

    const figures = `crash test (PostgreSQL ${server!.version}): ${acknowledged.length} acknowledged writes, ${rows.length} rows after recovery, ${missing.length} acknowledged rows missing (${killed.length} processes killed)`;
    console.log(figures);
    await annotate(figures);

    // The kill landed in the middle of the writes: every writer had rows acknowledged and was stopped by the crash.
    expect(acked.map((numbers) => numbers.length > 0)).toEqual(acked.map(() => true));
    expect(stoppedBy.map((err) => err instanceof Error)).toEqual(acked.map(() => true));
    expect({ missing: missing.length, someMissing: missing.slice(0, 10) }).toEqual({ missing: 0, someMissing: [] });
    // What a killed process cannot show: against a power loss the WAL must also reach the disk
    // (fsync) and a page torn mid-write must be repairable from it (full_page_writes).
    expect(Object.fromEntries(settings.map((row) => [row.name, row.setting]))).toEqual({ fsync: 'on', full_page_writes: 'on', synchronous_commit: 'on' });
  });
});
