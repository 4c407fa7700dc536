/**
 * Read replicas with read-your-writes (src/db/replicas.ts), against a real streaming replica
 * (src/db/replica.ts) made inside this file from a primary of its own: the shared test server
 * holds every file's database, too much to copy for a base backup, and may not be embedded.
 *
 * The primary commits synchronously, as `npm start`'s durable server does: the position a
 * mutation returns (pg_current_wal_lsn() after its COMMIT) then covers its commit record.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { ConfigError, loadConfig, QUEUE_DEFAULTS } from '../../src/config.js';
import { ensureMajor, parseMajor } from '../../src/db/embedded.js';
import { provisionOwner, startCluster, withCredentials, OWNER_ROLE, type Cluster } from '../../src/db/lifecycle.js';
import { formatLsn, hasReplayed, parseLsn } from '../../src/db/lsn.js';
import { migrate } from '../../src/db/migrate.js';
import { createPool } from '../../src/db/pool.js';
import { createReplicaSet, type ReplicaSet } from '../../src/db/replicas.js';
import { startReplica, type Replica } from '../../src/db/replica.js';
import { createLogger } from '../../src/logger.js';
import { requestInfoFromHttp, trustedProxies, type Services } from '../../src/server/context.js';
import { createHttpServer, listen } from '../../src/server/http.js';
import { PASSWORD } from '../support/app.js';

// The run's PostgreSQL major (`npm run test:pg -- 15`), else the one npm start ships.
const major = process.env.TEST_PG_MAJOR ? parseMajor(process.env.TEST_PG_MAJOR) : undefined;

const config = {
  DB_POOL_SIZE: 4,
  DB_POOL_TIMEOUT_MS: 5000,
  DB_STATEMENT_TIMEOUT_MS: 10_000,
  DB_NAMED_STATEMENTS: true,
  AUTH_SESSION_TTL_HOURS: 24,
  NODE_ENV: 'test' as const,
  LOGIN_LIMIT_PER_EMAIL: 1000,
  LOGIN_LIMIT_PER_IP: 1000,
  LOGIN_LIMIT_WINDOW_SECONDS: 900,
  REGISTER_LIMIT_PER_IP: 1000,
  REGISTER_LIMIT_WINDOW_SECONDS: 3600,
  ...QUEUE_DEFAULTS,
};
const log = createLogger({ LOG_LEVEL: (process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent' });

let tmp: string;
let primary: Cluster;
let replica: Replica;
let ownerUrl: string;
let replicaOwnerUrl: string;
let pool: pg.Pool;
let set: ReplicaSet;
let server: http.Server;
let url: string;
const cleanups: Array<() => Promise<unknown>> = [];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` holds (a replica set sees a change within a poll or two). */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await check()); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function replicaStatus(of: ReplicaSet = set) {
  return of.status().replicas[0]!;
}

/** Reads routed so far: to the replica and to the primary. */
function reads(of: ReplicaSet = set): { replica: number; primary: number } {
  const status = of.status();
  return { replica: status.replicas[0]!.reads, primary: status.primary.reads };
}

/** A user registered and logged in through the typed client (mutations: it then carries their position). */
async function newUser(label: string) {
  let token: string | undefined;
  const api = createClient(url, { token: () => token });
  const email = `${label}${randomBytes(3).toString('hex')}@example.com`;
  await api.auth.register.mutate({ email, username: email.split('@')[0]!, password: PASSWORD });
  token = (await api.auth.login.mutate({ email, password: PASSWORD })).token;
  return { api, email, token: token! };
}

/** The primary's WAL position now, after a synchronous commit of nothing in particular. */
async function primaryLsn(): Promise<string> {
  const { rows: [row] } = await pool.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn');
  return row!.lsn;
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pg-replicas-'));
  // As root the servers run as user postgres, which must reach their folders (mkdtemp makes them 0700).
  await chmod(tmp, 0o755);
  if (major !== undefined) await ensureMajor(major);
  primary = await startCluster({
    dir: path.join(tmp, 'primary'),
    superuserPassword: randomBytes(12).toString('hex'),
    persistent: false,
    major,
    postgresFlags: ['-c', 'synchronous_commit=on'],
  });
  const ownerPassword = randomBytes(12).toString('hex');
  ownerUrl = await provisionOwner(primary.adminUrl, { database: 'app', password: ownerPassword });
  await migrate(ownerUrl, { direction: 'up' });
  replica = await startReplica(primary, { dir: path.join(tmp, 'replica'), postgresFlags: ['-c', 'fsync=off'] });
  await replica.waitForReplay();
  // The replica is a copy of the whole cluster: the same owner, password and database.
  replicaOwnerUrl = withCredentials(replica.adminUrl, OWNER_ROLE, ownerPassword, 'app');
  pool = createPool(ownerUrl, config, log);
  // A table of the test's own, to write WAL with (the app's tables are under forced RLS), in a
  // schema the owner owns (on PostgreSQL 15 the owner may not create in public).
  await pool.query('create table core.replica_probe (n int)');
  set = createReplicaSet([replicaOwnerUrl], config, log, undefined, { primaryUrl: ownerUrl });
  const services: Services = { pool, config, log, configKey: randomBytes(32) };
  server = await createHttpServer({ ...services, trustedProxies: '', replicaSet: set });
  url = await listen(server, 0, '127.0.0.1');
  await set.refresh();
}, 180_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await set?.close();
  await pool?.end();
  await replica?.stop().catch(() => {});
  await primary?.stop();
  await rm(tmp, { recursive: true, force: true });
}, 60_000);

describe('WAL positions', () => {
  it('are parsed as 64-bit numbers, compared across the high word, and malformed ones refused', () => {
    expect(parseLsn('0/3000148')).toBe(0x3000148n);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
    expect(parseLsn('FFFFFFFF/FFFFFFFF')).toBe(2n ** 64n - 1n);
    // As text '0/FFFFFFFF' sorts after '1/0'; as positions it is before.
    expect(parseLsn('1/0')! > parseLsn('0/FFFFFFFF')!).toBe(true);
    expect(parseLsn('A/10')! > parseLsn('9/FFFFFFF0')!).toBe(true);
    expect(formatLsn(parseLsn('16/b374d848')!)).toBe('16/B374D848');
    for (const bad of ['', '0', '0/', '/1', '0/1/2', 'G/1', '0/123456789', ' 0/1', '0/1 ', '-1/0', '0x1/0', '0/1;drop']) {
      expect(parseLsn(bad)).toBeUndefined();
    }
    expect(parseLsn(undefined)).toBeUndefined();
  });

  it('a replay stopped at a page end holds a position just past the next page header, and nothing further', () => {
    expect(hasReplayed(parseLsn('0/3000148')!, parseLsn('0/3000148')!)).toBe(true);
    expect(hasReplayed(parseLsn('0/3000147')!, parseLsn('0/3000148')!)).toBe(false);
    expect(hasReplayed(parseLsn('0/3002000')!, parseLsn('0/3002018')!)).toBe(true); // short header, 24 bytes
    expect(hasReplayed(parseLsn('0/4000000')!, parseLsn('0/4000028')!)).toBe(true); // a segment's long header, 40 bytes
    expect(hasReplayed(parseLsn('0/4000000')!, parseLsn('0/4000029')!)).toBe(false);
    expect(hasReplayed(parseLsn('0/3002001')!, parseLsn('0/3002018')!)).toBe(false); // not at a page end
  });

  it('x-min-lsn is taken only as X/Y hex; anything else is ignored', () => {
    const proxies = trustedProxies('');
    const request = (headers: Record<string, string | string[]>) =>
      requestInfoFromHttp({ headers, socket: { remoteAddress: '127.0.0.1' } } as unknown as http.IncomingMessage, proxies);
    expect(request({ 'x-min-lsn': '0/3000148' }).minLsn).toBe('0/3000148');
    for (const bad of ['garbage', '0/3000148; select 1', '', '1/2/3', 'ffffffffff/0']) expect(request({ 'x-min-lsn': bad }).minLsn).toBeUndefined();
    expect(request({ 'x-min-lsn': ['0/1', '0/2'] }).minLsn).toBeUndefined();
  });
});

describe('configuration', () => {
  it('DATABASE_REPLICA_URLS is a comma-separated list of postgres URLs; REPLICA_MAX_LAG_MS a bound in ms', () => {
    expect(loadConfig({})).toMatchObject({ DATABASE_REPLICA_URLS: [], REPLICA_MAX_LAG_MS: 5000 });
    expect(loadConfig({ DATABASE_REPLICA_URLS: 'postgres://a:b@r1:5432/app, postgresql://a:b@r2/app,', REPLICA_MAX_LAG_MS: '250' })).toMatchObject({
      DATABASE_REPLICA_URLS: ['postgres://a:b@r1:5432/app', 'postgresql://a:b@r2/app'],
      REPLICA_MAX_LAG_MS: 250,
    });
    expect(() => loadConfig({ DATABASE_REPLICA_URLS: 'postgres://r1/app,mysql://r2/app' })).toThrowError(/DATABASE_REPLICA_URLS\.1: must be comma-separated postgres/);
    expect(() => loadConfig({ REPLICA_MAX_LAG_MS: 'soon' })).toThrowError(ConfigError);
    expect(() => loadConfig({ REPLICA_MAX_LAG_MS: '-1' })).toThrowError(/REPLICA_MAX_LAG_MS:/);
  });
});

describe('a replica set over a real streaming replica', () => {
  it('sends reads to the replica once it has replayed the position asked for, else to the primary', async () => {
    await set.refresh();
    expect(replicaStatus()).toMatchObject({ name: 'replica1', state: 'up' });
    const replicaPool = set.pools[0]!.pool;
    expect(set.poolFor()).toBe(replicaPool);
    // A position the primary will not reach for a long time: only the primary can serve it.
    expect(set.poolFor('FF/0')).toBeUndefined();
    // A malformed position is ignored, as if none was given.
    expect(set.poolFor('not a position')).toBe(replicaPool);

    await replica.pauseReplay();
    try {
      await pool.query('insert into core.replica_probe values (1)');
      const lsn = await primaryLsn();
      await set.refresh();
      expect(set.poolFor(lsn)).toBeUndefined();
      // Without a position the replica still serves: its lag is within the bound.
      expect(set.poolFor()).toBe(replicaPool);
      expect(replicaStatus().lagBytes).toBeGreaterThan(0);
    } finally {
      await replica.resumeReplay();
    }
    const lsn = await primaryLsn();
    await replica.waitForReplay(lsn);
    await set.refresh();
    expect(set.poolFor(lsn)).toBe(replicaPool);
  }, 60_000);

  it('skips a replica lagging beyond the bound until it catches up', async ({ annotate }) => {
    const strict = createReplicaSet([replicaOwnerUrl], config, log, undefined, { primaryUrl: ownerUrl, maxLagMs: 300 });
    cleanups.push(() => strict.close());
    await strict.refresh();
    expect(replicaStatus(strict).state).toBe('up');
    await replica.pauseReplay();
    let lagging;
    try {
      await pool.query('insert into core.replica_probe values (2)');
      await until('the replica to count as lagging', async () => {
        await strict.refresh();
        return replicaStatus(strict).state === 'lagging';
      });
      lagging = replicaStatus(strict);
      expect(lagging.lagMs).toBeGreaterThan(300);
      expect(lagging.reason).toMatch(/behind the primary \(bound 300 ms\)/);
      expect(strict.poolFor()).toBeUndefined();
    } finally {
      await replica.resumeReplay();
    }
    await until('the replica to catch up', async () => {
      await strict.refresh();
      return replicaStatus(strict).state === 'up';
    });
    expect(strict.poolFor()).toBe(strict.pools[0]!.pool);
    const figures = `replica paused: skipped as lagging after ${lagging.lagMs} ms (${lagging.lagBytes} bytes behind, bound 300 ms); up again after resume`;
    console.log(figures);
    await annotate(figures);
  }, 60_000);
});

describe('read-your-writes over HTTP', () => {
  it('a client reads its own write at once, from the primary while the replica has not replayed it', async () => {
    const { api } = await newUser('ryw');
    await until('the replica to replay the registration', async () => {
      await set.refresh();
      return set.poolFor(await primaryLsn()) !== undefined;
    });
    await replica.pauseReplay();
    try {
      const before = reads();
      const updated = await api.users.updateProfile.mutate({ bio: 'written while the replica is paused' });
      expect(updated.bio).toBe('written while the replica is paused');
      const me = await api.auth.me.query();
      expect(me.bio).toBe('written while the replica is paused');
      const after = reads();
      // The read went to the primary: the replica cannot have the row (its replay is paused).
      expect(after.primary - before.primary).toBe(1);
      expect(after.replica - before.replica).toBe(0);
      // As the superuser (no RLS): the replica has the user, not the new bio.
      const superuser = new pg.Client({ connectionString: replica.url('app') });
      await superuser.connect();
      try {
        const { rows: [onReplica] } = await superuser.query<{ bio: string | null }>('select bio from core.users where id = $1', [me.id]);
        expect(onReplica).toEqual({ bio: null });
      } finally {
        await superuser.end();
      }
    } finally {
      await replica.resumeReplay();
    }
  }, 60_000);

  it('a client that has not written reads from the replica, and sees an older state while replay is paused', async () => {
    const { api, token } = await newUser('stale');
    await until('the replica to replay the registration', async () => {
      await set.refresh();
      return set.poolFor(await primaryLsn()) !== undefined;
    });
    // A fresh client of the same user: it carries no position.
    const reader = createClient(url, { token });
    let before = reads();
    expect((await reader.auth.me.query()).bio).toBeNull();
    expect(reads().replica - before.replica).toBe(1);

    await replica.pauseReplay();
    try {
      await api.users.updateProfile.mutate({ bio: 'not yet on the replica' });
      before = reads();
      expect((await reader.auth.me.query()).bio).toBeNull();
      expect(reads().replica - before.replica).toBe(1);
      // The writer's own client, meanwhile, sees its write (from the primary).
      expect((await api.auth.me.query()).bio).toBe('not yet on the replica');
    } finally {
      await replica.resumeReplay();
    }
    await until('the reader to see the write from the replica', async () => (await reader.auth.me.query()).bio === 'not yet on the replica');
  }, 60_000);

  it('mutations and queries marked writes run on the primary; the position comes back as x-commit-lsn', async () => {
    const { api, token } = await newUser('writes');
    await until('the replica to replay the registration', async () => {
      await set.refresh();
      return set.poolFor(await primaryLsn()) !== undefined;
    });
    const before = reads();
    // core.preferences.get creates the row on first read: .meta({ writes: true }).
    await api.preferences.get.query();
    expect(reads()).toEqual(before);

    const response = await fetch(`${url}/trpc/users.updateProfile`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-min-lsn': 'garbage' },
      body: JSON.stringify({ json: { bio: 'over plain HTTP' } }),
    });
    expect(response.status).toBe(200);
    const commitLsn = response.headers.get('x-commit-lsn');
    expect(parseLsn(commitLsn)).toBeDefined();
    expect(parseLsn(commitLsn)! <= parseLsn(await primaryLsn())!).toBe(true);
    // A query answers without a position; a malformed x-min-lsn is ignored, never a 500.
    const query = await fetch(`${url}/trpc/auth.me`, { headers: { authorization: `Bearer ${token}`, 'x-min-lsn': '0/1/2' } });
    expect(query.status).toBe(200);
    expect(query.headers.get('x-commit-lsn')).toBeNull();
  }, 60_000);

  it('a replica killed mid-run: reads carry on from the primary, /readyz reports it down, and it is used again once restarted', async ({ annotate }) => {
    const { token } = await newUser('kill');
    await until('the replica to replay the registration', async () => {
      await set.refresh();
      return set.poolFor(await primaryLsn()) !== undefined;
    });
    const reader = createClient(url, { token });
    const stop = { now: false };
    const failures: Array<{ code: unknown }> = [];
    let calls = 0;
    const readers = Array.from({ length: 4 }, async () => {
      while (!stop.now) {
        try {
          await reader.auth.me.query();
        } catch (err) {
          failures.push({ code: (err as { data?: { code?: unknown } }).data?.code });
        }
        calls += 1;
      }
    });
    try {
      await until('reads on the replica', () => reads().replica > 20);
      const killedAt = Date.now();
      await replica.kill();
      await set.refresh();
      const noticed = Date.now();
      const onReplicaAtNotice = reads().replica;
      expect(replicaStatus().state).toBe('down');
      const readyz = await fetch(`${url}/readyz`);
      expect(readyz.status).toBe(200);
      expect(await readyz.json()).toMatchObject({ status: 'ready', replicas: [{ name: 'replica1', state: 'down', replayLsn: expect.any(String) }] });
      const afterNotice = calls;
      await until('more reads', () => calls > afterNotice + 50);
      // Reads that failed were in flight on the replica when it died (one per reader at most),
      // and failed as a 503, which says to retry; their answers may reach the client after the notice.
      const failed = failures.length;
      expect(failed).toBeLessThanOrEqual(4);
      expect(failures.filter((f) => f.code !== 'SERVICE_UNAVAILABLE')).toEqual([]);
      // Once the set has noticed, every read goes to the primary and succeeds.
      const settled = calls;
      await until('more reads from the primary', () => calls > settled + 50);
      expect(failures.length).toBe(failed);
      expect(reads().replica).toBe(onReplicaAtNotice);

      await replica.restart();
      await until('the restarted replica to be up', async () => {
        await set.refresh();
        return replicaStatus().state === 'up';
      });
      const atRestart = reads().replica;
      await until('reads on the restarted replica', () => reads().replica > atRestart + 20);
      const figures =
        `replica killed under 4 concurrent readers: ${failures.length} of ${calls} reads failed (503, in flight on it when it died), ` +
        `noticed within ${noticed - killedAt} ms; used again after restart`;
      console.log(figures);
      await annotate(figures);
    } finally {
      stop.now = true;
      await Promise.all(readers);
    }
    const readyz = await fetch(`${url}/readyz`);
    expect(await readyz.json()).toMatchObject({ replicas: [{ name: 'replica1', state: 'up' }] });
  }, 90_000);
});
