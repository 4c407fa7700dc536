/**
 * Per test file: a database copied from the migrated template, a pool as the owner role
 * (exactly as the server connects), a superuser client for inspecting raw rows, and
 * helpers to call procedures as anonymous, a user or an admin.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { QUEUE_DEFAULTS } from '../../src/config.js';
import { createDatabase, withCredentials } from '../../src/db/lifecycle.js';
import { createPool } from '../../src/db/pool.js';
import { createLogger } from '../../src/logger.js';
import { appRouter } from '../../src/routers/_app.js';
import { createContext, type RequestInfo, type Services } from '../../src/server/context.js';
import { createCallerFactory } from '../../src/server/trpc.js';
import { probeRouter } from './probe.js';

export const PASSWORD = 'Correct-Horse-42';

export interface TestApp {
  name: string;
  /** The owner role's connection string to this file's database. */
  url: string;
  /** Superuser connection string to this file's database: bypasses RLS, for inspecting rows. */
  superUrl: string;
  pool: pg.Pool;
  services: Services;
  /** A caller of the app router with the given request context (and configuration overrides). */
  caller(request?: Partial<RequestInfo>, config?: Partial<Services['config']>): ReturnType<typeof createCaller>;
  /** A caller of the test-only probe procedures (raw SQL through the same transaction wrapper). */
  probe(request?: Partial<RequestInfo>): ReturnType<typeof createProbeCaller>;
  /** Registers and logs in a fresh user; returns its id and token. */
  newUser(overrides?: { username?: string; email?: string }): Promise<{ id: string; token: string; email: string; username: string }>;
  /** Registers, logs in and promotes a fresh user to admin. */
  newAdmin(): Promise<{ id: string; token: string; email: string; username: string }>;
  /** Runs SQL as the superuser acting as an admin (the guard trigger asks for one). */
  sqlAsAdmin(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  /** The SQLSTATE and constraint a statement fails with as the superuser (no RLS, no API validation); throws if it succeeds. */
  sqlError(text: string, values?: unknown[], options?: { triggers?: boolean }): Promise<{ code?: string; constraint?: string }>;
  /** A pooled superuser connection to this file's database (release it). */
  superClient(): Promise<pg.PoolClient>;
  /** Runs SQL as the superuser on this file's database. */
  sql<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

const createCaller = createCallerFactory(appRouter);
const createProbeCaller = createCallerFactory(probeRouter);

let counter = 0;
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}${process.pid}x${counter}x${randomBytes(2).toString('hex')}`;
}

async function createTestApp(): Promise<TestApp & { close(): Promise<void> }> {
  const server = inject('testServer');
  const name = `${server.template}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  try {
    await createDatabase(admin, name, server.template, server.owner);
  } finally {
    await admin.end();
  }
  const url = withCredentials(server.adminUrl, server.owner, server.ownerPassword, name);
  const superUrl = withCredentials(server.adminUrl, decodeURIComponent(new URL(server.adminUrl).username), decodeURIComponent(new URL(server.adminUrl).password), name);
  const log = createLogger({ LOG_LEVEL: process.env.TEST_LOG_LEVEL as 'info' | undefined ?? 'silent' });
  const config = {
    DB_POOL_SIZE: 10,
    DB_POOL_TIMEOUT_MS: 5000,
    DB_STATEMENT_TIMEOUT_MS: 10_000,
    DB_NAMED_STATEMENTS: true,
    AUTH_SESSION_TTL_HOURS: 24,
    NODE_ENV: 'test' as const,
    LOGIN_LIMIT_PER_EMAIL: 5,
    LOGIN_LIMIT_PER_IP: 1000,
    LOGIN_LIMIT_WINDOW_SECONDS: 900,
    // Test files register many users from one address; the registration test tightens this.
    REGISTER_LIMIT_PER_IP: 1_000_000,
    REGISTER_LIMIT_WINDOW_SECONDS: 3600,
    ...QUEUE_DEFAULTS,
  };
  const pool = createPool(url, config, log);
  const superPool = new pg.Pool({ connectionString: superUrl, max: 2 });
  // As for the app's pool (src/db/pool.ts): an idle connection that the server ends must not crash the run.
  superPool.on('error', (err) => log.warn({ err }, 'idle superuser connection failed'));
  const services: Services = { pool, config, log, configKey: randomBytes(32) };

  const app: TestApp & { close(): Promise<void> } = {
    name,
    url,
    superUrl,
    pool,
    services,
    caller: (request = {}, config = {}) => createCaller(createContext({ ...services, config: { ...services.config, ...config } }, request)),
    probe: (request = {}) => createProbeCaller(createContext(services, request)),
    sql: (text, values) => superPool.query(text, values),
    superClient: () => superPool.connect(),
    async sqlError(text, values, options = {}) {
      const client = await superPool.connect();
      try {
        await client.query('begin');
        // Triggers off (replica role) to reach the constraint behind a guard trigger.
        if (options.triggers === false) await client.query('set local session_replication_role = replica');
        await client.query(text, values);
      } catch (err) {
        const e = err as { code?: string; constraint?: string };
        return { code: e.code, constraint: e.constraint };
      } finally {
        await client.query('rollback');
        client.release();
      }
      throw new Error(`expected to fail: ${text}`);
    },
    async newUser(overrides = {}) {
      const username = overrides.username ?? unique('user');
      const email = overrides.email ?? `${username}@example.com`;
      const anonymous = app.caller();
      const user = await anonymous.auth.register({ username, email, password: PASSWORD });
      const { token } = await anonymous.auth.login({ email, password: PASSWORD });
      return { id: user.id, token, email, username };
    },
    async newAdmin() {
      const user = await app.newUser({ username: unique('admin') });
      await app.sqlAsAdmin(`update core.users set role = 'admin' where id = $1`, [user.id]);
      return user;
    },
    async sqlAsAdmin(text, values) {
      const client = await superPool.connect();
      try {
        await client.query('begin');
        await client.query(`select set_config('app.user_role', 'admin', true)`);
        const result = await client.query(text, values);
        await client.query('commit');
        return result;
      } catch (err) {
        await client.query('rollback');
        throw err;
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
      await superPool.end();
      const dropper = new pg.Client({ connectionString: server.adminUrl });
      await dropper.connect();
      try {
        await dropper.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
  return app;
}

/** Sets up this file's database before its tests and drops it after them. */
export function useTestApp(): TestApp {
  const holder = {} as TestApp & { close(): Promise<void> };
  beforeAll(async () => {
    Object.assign(holder, await createTestApp());
  });
  afterAll(async () => {
    await holder.close?.();
  });
  return holder;
}

export interface BlankDatabase {
  name: string;
  /** The owner role's connection string, as a deployment's DATABASE_URL. */
  ownerUrl: string;
  /** Superuser connection string, for inspecting it. */
  superUrl: string;
}

/**
 * A database of this file's own with nothing in it (not a copy of the migrated template), owned
 * by the run's owner role, for tests that run migrations themselves; dropped after the file.
 */
export function useBlankDatabase(label: string): BlankDatabase {
  const server = inject('testServer');
  const name = `${server.template}_${label}_${randomBytes(4).toString('hex')}`;
  const admin = new URL(server.adminUrl);
  const blank: BlankDatabase = {
    name,
    ownerUrl: withCredentials(server.adminUrl, server.owner, server.ownerPassword, name),
    superUrl: withCredentials(server.adminUrl, decodeURIComponent(admin.username), decodeURIComponent(admin.password), name),
  };
  const onAdmin = async (work: (client: pg.Client) => Promise<unknown>) => {
    const client = new pg.Client({ connectionString: server.adminUrl });
    await client.connect();
    try {
      await work(client);
    } finally {
      await client.end();
    }
  };
  beforeAll(() => onAdmin((client) => createDatabase(client, name, undefined, server.owner)));
  afterAll(() => onAdmin((client) => client.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`)));
  return blank;
}
