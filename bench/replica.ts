/**
 * Read replicas (README, "Read replicas"): a primary of its own, durable like `npm start`'s, and
 * one streaming replica made from it (src/db/replica.ts), on this same machine.
 *  - read throughput: auth.me through the server-side caller, 16 in flight, on the primary
 *    alone (= 1.00) and with the replica set (every read then goes to the replica);
 *  - replica lag while 8 writers run mutations flat out, sampled every 20 ms: the replica
 *    set's own measure (src/db/replicas.ts, to within its 50 ms poll) in ms and bytes, and
 *    the primary's pg_stat_replication.replay_lag (commit flushed here to applied there);
 *  - read-your-writes: how often a read made right after the client's own mutation (with its
 *    commit position) could already go to the replica rather than the primary.
 * Both servers share the machine's cores: the throughput shows what the routing costs and
 * what a replica takes over, not what a replica on a machine of its own would add.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { OWNER_ROLE, provisionOwner, startCluster, withCredentials } from '../src/db/lifecycle.js';
import { migrate } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import { startReplica } from '../src/db/replica.js';
import { createReplicaSet } from '../src/db/replicas.js';
import type { Logger } from '../src/logger.js';
import { appRouter } from '../src/routers/_app.js';
import { createContext, type Services } from '../src/server/context.js';
import { createCallerFactory } from '../src/server/trpc.js';
import { compareRates, median, type Result } from './measure.js';
import { caller, newUser } from './support.js';

const createCaller = createCallerFactory(appRouter);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function benchReplica(log: Logger): Promise<Result[]> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'bench-replica-'));
  // As root the servers run as user postgres, which must reach their folders.
  await chmod(scratch, 0o755);
  const cluster = await startCluster({ dir: path.join(scratch, 'primary'), superuserPassword: randomBytes(12).toString('hex'), persistent: true });
  const ownerPassword = randomBytes(12).toString('hex');
  const ownerUrl = await provisionOwner(cluster.adminUrl, { database: 'bench', password: ownerPassword });
  const config = { ...loadConfig({}), DB_POOL_SIZE: 8, LOGIN_LIMIT_PER_EMAIL: 1_000_000, LOGIN_LIMIT_PER_IP: 1_000_000, REGISTER_LIMIT_PER_IP: 1_000_000 };
  await migrate(ownerUrl, { direction: 'up' });
  const replica = await startReplica(cluster, { dir: path.join(scratch, 'replica') });
  const pool = createPool(ownerUrl, config, log);
  const set = createReplicaSet([withCredentials(replica.adminUrl, OWNER_ROLE, ownerPassword, 'bench')], config, log, undefined, { primaryUrl: ownerUrl });
  try {
    const primaryOnly: Services = { pool, config, log, configKey: randomBytes(32) };
    const withReplica: Services = { ...primaryOnly, replicas: set };
    const { token } = await newUser(primaryOnly);
    await replica.waitForReplay();
    await set.refresh();
    const onPrimary = caller(primaryOnly, token);
    const onReplica = caller(withReplica, token);
    const before = set.status().replicas[0]!.reads;
    const throughput = await compareRates(
      [
        { name: 'auth.me, 16 in flight: primary alone', fn: () => onPrimary.auth.me(), concurrency: 16 },
        { name: 'auth.me, 16 in flight: with one replica (reads on it)', fn: () => onReplica.auth.me(), concurrency: 16 },
      ],
      2000,
      5,
    );
    if (set.status().replicas[0]!.reads === before) throw new Error('bench: no read went to the replica');

    // Lag under write load, and where a read right after one's own write can go.
    const writers = await Promise.all(Array.from({ length: 8 }, () => newUser(primaryOnly)));
    await replica.waitForReplay();
    await set.refresh();
    const stop = { now: false };
    let ownReads = 0;
    let ownReadsOnReplica = 0;
    const writing = writers.map(async ({ token: writerToken }, i) => {
      for (let n = 0; !stop.now; n++) {
        const ctx = createContext(withReplica, { token: writerToken, clientIp: '127.0.0.1', userAgent: 'bench' });
        await createCaller(ctx).users.updateProfile({ bio: `writer ${i} update ${n}` });
        const minLsn = ctx.request.commitLsn;
        ownReads += 1;
        if (set.poolFor(minLsn)) ownReadsOnReplica += 1;
        await createCaller(createContext(withReplica, { token: writerToken, clientIp: '127.0.0.1', userAgent: 'bench', minLsn })).auth.me();
      }
    });
    const lagMs: number[] = [];
    const lagBytes: number[] = [];
    const replayLagMs: number[] = [];
    const admin = new pg.Client({ connectionString: cluster.adminUrl });
    await admin.connect();
    try {
      await sleep(500);
      for (const until = Date.now() + 5_000; Date.now() < until; ) {
        const status = set.status().replicas[0]!;
        if (status.lagMs !== null) lagMs.push(status.lagMs);
        if (status.lagBytes !== null) lagBytes.push(status.lagBytes);
        const { rows } = await admin.query<{ ms: number | null }>(
          `select extract(epoch from replay_lag) * 1000 as ms from pg_catalog.pg_stat_replication where application_name = $1`,
          [replica.slot],
        );
        if (rows[0]?.ms != null) replayLagMs.push(Number(rows[0].ms));
        await sleep(20);
      }
    } finally {
      stop.now = true;
      await Promise.all(writing);
      await admin.end();
    }
    return [
      ...throughput,
      { name: 'replica lag under 8 writers: median', value: median(lagMs), unit: 'ms' },
      { name: 'replica lag under 8 writers: worst', value: Math.max(...lagMs), unit: 'ms' },
      { name: 'replica lag under 8 writers: median', value: median(lagBytes), unit: 'bytes' },
      { name: 'replica lag under 8 writers: worst', value: Math.max(...lagBytes), unit: 'bytes' },
      { name: 'pg_stat_replication.replay_lag under 8 writers: median', value: median(replayLagMs), unit: 'ms' },
      { name: 'pg_stat_replication.replay_lag under 8 writers: worst', value: Math.max(...replayLagMs), unit: 'ms' },
      { name: `reads right after one's own write served by the replica (of ${ownReads})`, value: (100 * ownReadsOnReplica) / Math.max(1, ownReads), unit: '%' },
    ];
  } finally {
    await set.close();
    await pool.end();
    await replica.stop().catch(() => {});
    await cluster.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}
