/**
 * Helpers of the ComponentForge measurements: users made through the procedures, and the
 * hand-written baseline's request transaction on a raw pg pool.
 */
import pg from 'pg';
import { hashToken } from '../src/auth/tokens.js';
import { appRouter } from '../src/routers/_app.js';
import { createContext, type Services } from '../src/server/context.js';
import { createCallerFactory } from '../src/server/trpc.js';

const createCaller = createCallerFactory(appRouter);

export type Caller = ReturnType<typeof createCaller>;

export function caller(services: Services, token?: string): Caller {
  return createCaller(createContext(services, { token, clientIp: '127.0.0.1', userAgent: 'bench' }));
}

/** A fresh user, registered and logged in through the procedures. */
export async function newUser(services: Services): Promise<{ id: string; token: string }> {
  const username = `bench${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const password = 'Bench-Password-42';
  const anonymous = caller(services);
  const user = await anonymous.auth.register({ username, email: `${username}@example.com`, password });
  const { token } = await anonymous.auth.login({ email: `${username}@example.com`, password });
  return { id: user.id, token };
}

/**
 * A pool for the hand-written baselines, as the owner role, pipelined like the server's.
 * pool.end() resolves before a pipelined connection has said goodbye, so a server stopping
 * right after may still reach one: end it with `closeRawPool`.
 */
export function rawPool(ownerUrl: string, size = 4, pipeline = true): pg.Pool {
  const pool = new pg.Pool({ connectionString: ownerUrl, max: size, pipeline });
  pool.on('error', (err) => {
    if (!closing.has(pool)) console.warn(`bench: idle baseline connection failed: ${err.message}`);
  });
  return pool;
}

const closing = new WeakSet<pg.Pool>();

export async function closeRawPool(pool: pg.Pool): Promise<void> {
  closing.add(pool);
  await pool.end();
}

/**
 * The baseline's request: one transaction that starts with the same core.begin_request as a
 * procedure (role app_request, RLS, the audit context), pipelined with BEGIN, so that both
 * sides pay for the same security and triggers and only the layers differ.
 */
export async function rawRequest<T>(pool: pg.Pool, token: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await Promise.all([client.query('begin'), client.query(`select * from core.begin_request($1, '127.0.0.1', 'bench', null)`, [hashToken(token)])]);
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback');
    throw err;
  } finally {
    client.release();
  }
}

/** The point read the request-path measurements compare: a user's profile by id, as auth.me reads it. */
export const POINT_SELECT =
  'select id, username, email, full_name, first_name, last_name, bio, avatar_url, role, status, preferences, last_login_at, created_at, updated_at from core.users where id = $1';

/**
 * A pool whose connections act as one user under RLS for good (set once per connection): the
 * hand-written baseline pays for RLS like a procedure, but not for a transaction per call.
 * `pipeline: false` for our adapter, whose Envelope pg allows only outside its pipeline mode.
 */
export function userSessionPool(ownerUrl: string, userId: string, size: number, pipeline = true): pg.Pool {
  const pool = rawPool(ownerUrl, size, pipeline);
  pool.on('connect', (c) => void c.query(`select set_config('role', 'app_request', false), set_config('app.user_id', $1, false)`, [userId]));
  return pool;
}
