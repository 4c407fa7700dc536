/**
 * Several API instances on one database behave as one service (issue 14 item 4): two HTTP
 * servers, each with its own pg pool and its own copy of the server's modules (as two processes
 * would have: the session guesses of src/server/trpc.ts are per process), on this file's
 * database, called over plain HTTP; then two real `npm start` processes (src/cli/start.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http, { request as httpRequest } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PASSWORD, unique, useTestApp } from '../support/app.js';

const app = useTestApp();

/** Small login limits, so that a few attempts reach them; a day's window cannot roll over mid-test (but at 00:00 UTC). */
const LIMITS = { LOGIN_LIMIT_PER_EMAIL: 4, LOGIN_LIMIT_PER_IP: 4, LOGIN_LIMIT_WINDOW_SECONDS: 86_400, REGISTER_LIMIT_PER_IP: 2, REGISTER_LIMIT_WINDOW_SECONDS: 86_400 };

interface Instance {
  name: string;
  url: string;
  server: http.Server;
  pool: pg.Pool;
  /** Every value bound to a statement on this instance's connections, in order. */
  bound: unknown[][];
  /** This copy of src/server/trpc.ts (a separate module instance per server). */
  trpcModule: unknown;
}

type Modules = [typeof import('../../src/server/http.js'), typeof import('../../src/db/pool.js'), typeof import('../../src/server/trpc.js')];

const instances: Instance[] = [];
let A: Instance;
let B: Instance;

async function start(name: string, [httpModule, poolModule, trpcModule]: Modules): Promise<Instance> {
  const config = { ...app.services.config, ...LIMITS, NODE_ENV: 'production' as const };
  const pool = poolModule.createPool(app.url, { DB_POOL_SIZE: 5, DB_POOL_TIMEOUT_MS: 5000, DB_STATEMENT_TIMEOUT_MS: 10_000 }, app.services.log);
  const bound: unknown[][] = [];
  // Watches what this instance sends (pg's Connection.bind: each statement's parameters), to
  // tell a request made on a guessed session from one made cold.
  pool.on('connect', (client) => {
    const connection = (client as unknown as { connection: { bind(config: { values?: unknown[] }): void } }).connection;
    const bind = connection.bind.bind(connection);
    connection.bind = (config) => {
      bound.push(config.values ?? []);
      bind(config);
    };
  });
  // As src/cli/start.ts builds it, behind a proxy on loopback so that tests can pick the client ip.
  const server = await httpModule.createHttpServer({ ...app.services, pool, config, trustedProxies: '127.0.0.1/32' });
  const instance = { name, url: await httpModule.listen(server, 0, '127.0.0.1'), server, pool, bound, trpcModule };
  instances.push(instance);
  return instance;
}

beforeAll(async () => {
  const load = () => Promise.all([import('../../src/server/http.js'), import('../../src/db/pool.js'), import('../../src/server/trpc.js')]);
  A = await start('A', await load());
  // A second copy of every module of src/ for B: nothing held in module state is shared.
  vi.resetModules();
  B = await start('B', await load());
});

afterAll(async () => {
  for (const { server, pool } of instances) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    if (!pool.ended) await pool.end();
  }
});

interface Reply {
  status: number;
  headers: Headers;
  /** The result of a call that succeeded. */
  data?: any;
  /** The error of a call that failed: its tRPC code, message and retryAfterSeconds. */
  error?: { code: string; message: string; retryAfterSeconds?: number };
}

interface CallOptions {
  input?: unknown;
  token?: string | undefined;
  /** The client's ip, as the trusted proxy forwards it (else one of its own). */
  ip?: string;
}

let addresses = 0;

function headers(options: CallOptions): Record<string, string> {
  // A call that names no ip comes from an address of its own, far from the small per-ip limits.
  addresses += 1;
  return {
    'content-type': 'application/json',
    'x-forwarded-for': options.ip ?? `10.${process.pid % 250}.${Math.floor(addresses / 250) % 250}.${addresses % 250}`,
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
  };
}

async function reply(response: Response): Promise<Reply> {
  const body = (await response.json()) as { result?: { data: { json: unknown } }; error?: { json: { message: string; data: { code: string; retryAfterSeconds?: number } } } };
  if (body.error) {
    const { message, data } = body.error.json;
    return { status: response.status, headers: response.headers, error: { code: data.code, message, ...(data.retryAfterSeconds ? { retryAfterSeconds: data.retryAfterSeconds } : {}) } };
  }
  return { status: response.status, headers: response.headers, data: body.result!.data.json };
}

/** A tRPC query over plain HTTP (GET). */
async function query(on: Instance, path: string, options: CallOptions = {}): Promise<Reply> {
  const input = options.input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify({ json: options.input }))}`;
  return reply(await fetch(`${on.url}/trpc/${path}${input}`, { headers: headers(options) }));
}

/** A tRPC mutation over plain HTTP (POST). */
async function mutate(on: Instance, path: string, options: CallOptions = {}): Promise<Reply> {
  return reply(await fetch(`${on.url}/trpc/${path}`, { method: 'POST', headers: headers(options), body: JSON.stringify({ json: options.input ?? null }) }));
}

/** Several queries in one batched request (one shared read transaction on the server). */
async function batch(on: Instance, paths: string[], options: CallOptions = {}): Promise<{ status: number; codes: string[] }> {
  const response = await fetch(`${on.url}/trpc/${paths.join(',')}?batch=1&input=%7B%7D`, { headers: headers(options) });
  const body = (await response.json()) as Array<{ result?: unknown; error?: { json: { data: { code: string } } } }>;
  return { status: response.status, codes: body.map((r) => (r.error ? r.error.json.data.code : 'OK')) };
}

/** A tRPC call through a node:http agent (whose kept-alive connection the test controls). */
function viaAgent(agent: http.Agent, method: 'GET' | 'POST', url: string, options: CallOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method, agent, headers: headers(options) }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const fetched = new Response(Buffer.concat(chunks), { status: response.statusCode!, headers: response.headers as Record<string, string> });
        resolve(reply(fetched));
      });
    });
    request.on('error', reject);
    request.end(method === 'POST' ? JSON.stringify({ json: options.input ?? null }) : undefined);
  });
}

/** Registers on one instance and logs in on another; returns the user and the session. */
async function signUp(register: Instance, login: Instance = register) {
  const username = unique('inst');
  const email = `${username}@example.com`;
  const user = await mutate(register, 'auth.register', { input: { username, email, password: PASSWORD } });
  expect(user.status).toBe(200);
  const session = await mutate(login, 'auth.login', { input: { email, password: PASSWORD } });
  expect(session.status).toBe(200);
  return { id: user.data.id as string, email, token: session.data.token as string, sessionId: session.data.sessionId as string };
}

/** Whether any statement `on` sent since `from` was bound with `value` (a guessed session's id, say). */
function sentSince(on: Instance, from: number, value: string): boolean {
  return on.bound.slice(from).some((values) => values.includes(value));
}

async function adminToken(): Promise<string> {
  return (await app.newAdmin()).token;
}

describe('two API instances on one database', () => {
  it('have separate pools and separate module state, as two processes', () => {
    expect(A.pool).not.toBe(B.pool);
    expect(A.trpcModule).not.toBe(B.trpcModule);
    expect(A.url).not.toBe(B.url);
  });

  it('a token from a login on A works on B; after a logout on A, B refuses it on the very next call (B having guessed the session)', async () => {
    const user = await signUp(A);
    // B learns the session: its next calls assume it and send the procedure's query right behind the check.
    expect((await query(B, 'auth.me', { token: user.token })).data).toMatchObject({ id: user.id });
    const warm = B.bound.length;
    expect((await query(B, 'auth.me', { token: user.token })).status).toBe(200);
    expect(sentSince(B, warm, user.sessionId)).toBe(true);

    expect(await mutate(A, 'auth.logout', { token: user.token })).toMatchObject({ status: 200, data: { revoked: true } });

    const after = B.bound.length;
    const me = await query(B, 'auth.me', { token: user.token });
    expect(me).toMatchObject({ status: 401, error: { code: 'UNAUTHORIZED', message: 'The session has expired or was revoked; log in again' } });
    // B did assume the session it had seen (the database refused the assumption).
    expect(sentSince(B, after, user.sessionId)).toBe(true);
    expect((await mutate(B, 'preferences.update', { token: user.token, input: { theme: 'dark' } })).status).toBe(401);
    expect(await batch(B, ['auth.me', 'auth.sessions.list', 'preferences.get'], { token: user.token })).toEqual({ status: 401, codes: ['UNAUTHORIZED', 'UNAUTHORIZED', 'UNAUTHORIZED'] });
    expect((await query(A, 'auth.me', { token: user.token })).status).toBe(401);
  });

  it('a session revoked on A before B ever saw the token is refused by B (cold)', async () => {
    const user = await signUp(A);
    const other = await mutate(A, 'auth.login', { input: { email: user.email, password: PASSWORD } });
    expect(other.status).toBe(200);
    expect((await query(A, 'auth.me', { token: user.token })).status).toBe(200);
    expect(await mutate(A, 'auth.sessions.revoke', { token: user.token, input: { sessionId: other.data.sessionId } })).toMatchObject({ status: 200 });
    expect(await mutate(A, 'auth.logout', { token: user.token })).toMatchObject({ status: 200 });

    const before = B.bound.length;
    expect((await query(B, 'auth.me', { token: user.token })).error?.code).toBe('UNAUTHORIZED');
    expect((await query(B, 'auth.me', { token: other.data.token })).error?.code).toBe('UNAUTHORIZED');
    expect((await mutate(B, 'auth.logout', { token: other.data.token })).error?.code).toBe('UNAUTHORIZED');
    // Nothing guessed: B had never seen these sessions.
    expect(sentSince(B, before, user.sessionId) || sentSince(B, before, other.data.sessionId)).toBe(false);
  });

  it('a user suspended by an admin on A is refused on B at once, and reactivation does not bring old tokens back', async () => {
    const admin = await adminToken();
    const user = await signUp(B);
    expect((await query(B, 'auth.me', { token: user.token })).status).toBe(200);
    expect((await query(B, 'auth.me', { token: user.token })).status).toBe(200);

    expect(await mutate(A, 'users.setStatus', { token: admin, input: { id: user.id, status: 'SUSPENDED' } })).toMatchObject({ status: 200, data: { status: 'SUSPENDED' } });
    expect((await query(B, 'auth.me', { token: user.token })).error?.code).toBe('UNAUTHORIZED');
    expect((await mutate(B, 'auth.login', { input: { email: user.email, password: PASSWORD } })).error).toMatchObject({ code: 'FORBIDDEN', message: 'this account is suspended' });

    expect((await mutate(A, 'users.setStatus', { token: admin, input: { id: user.id, status: 'ACTIVE' } })).status).toBe(200);
    expect((await query(B, 'auth.me', { token: user.token })).error?.code).toBe('UNAUTHORIZED');
    const again = await mutate(B, 'auth.login', { input: { email: user.email, password: PASSWORD } });
    expect((await query(A, 'auth.me', { token: again.data.token })).data).toMatchObject({ id: user.id, status: 'ACTIVE' });
  });

  it('a promotion and a demotion on A hold on B from its next call, a query or a mutation, whatever role B last saw', async () => {
    const admin = await adminToken();
    for (const first of ['query', 'mutation'] as const) {
      const user = await signUp(A);
      // B sees a plain user, twice (its guess is now role user); admin procedures refuse before any query.
      expect((await query(B, 'users.list', { token: user.token, input: {} })).error?.code).toBe('FORBIDDEN');
      expect((await query(B, 'users.list', { token: user.token, input: {} })).error?.code).toBe('FORBIDDEN');

      expect((await mutate(A, 'users.setRole', { token: admin, input: { id: user.id, role: 'admin' } })).data).toMatchObject({ role: 'admin' });
      const list = () => query(B, 'users.list', { token: user.token, input: {} });
      const setStatus = () => mutate(B, 'users.setStatus', { token: user.token, input: { id: user.id, status: 'ACTIVE' } });
      for (const call of first === 'query' ? [list, setStatus] : [setStatus, list]) expect((await call()).status).toBe(200);

      expect((await mutate(A, 'users.setRole', { token: admin, input: { id: user.id, role: 'user' } })).data).toMatchObject({ role: 'user' });
      for (const call of first === 'query' ? [list, setStatus] : [setStatus, list]) expect((await call()).error?.code).toBe('FORBIDDEN');
      expect((await query(B, 'auth.me', { token: user.token })).data).toMatchObject({ role: 'user' });
    }
  });

  it('a password change on A revokes the sessions opened on B at once, and B checks the new password', async () => {
    const user = await signUp(A);
    const onB = await mutate(B, 'auth.login', { input: { email: user.email, password: PASSWORD } });
    expect((await query(B, 'auth.me', { token: onB.data.token })).status).toBe(200);
    expect((await query(B, 'auth.me', { token: user.token })).status).toBe(200);

    const changed = await mutate(A, 'auth.changePassword', { token: user.token, input: { currentPassword: PASSWORD, newPassword: 'Another-Horse-43' } });
    expect(changed).toMatchObject({ status: 200, data: { sessionsRevoked: 1 } });

    expect((await query(B, 'auth.me', { token: onB.data.token })).error?.code).toBe('UNAUTHORIZED');
    // The session that changed it stays, on either instance.
    expect((await query(B, 'auth.me', { token: user.token })).status).toBe(200);
    expect((await mutate(B, 'auth.login', { input: { email: user.email, password: PASSWORD } })).error?.code).toBe('UNAUTHORIZED');
    expect((await mutate(B, 'auth.login', { input: { email: user.email, password: 'Another-Horse-43' } })).status).toBe(200);
  });

  it('settings written on one instance are read on the other at once (nothing cached)', async () => {
    const admin = await adminToken();
    const key = unique('inst.setting');
    expect((await mutate(A, 'config.set', { token: admin, input: { key, type: 'integer', value: 1 } })).status).toBe(200);
    expect((await query(B, 'config.get', { token: admin, input: { key } })).data).toMatchObject({ key, value: 1 });
    expect((await mutate(B, 'config.set', { token: admin, input: { key, type: 'integer', value: 2 } })).status).toBe(200);
    expect((await query(A, 'config.get', { token: admin, input: { key } })).data).toMatchObject({ value: 2 });
    const secret = unique('inst.secret');
    expect((await mutate(A, 'config.set', { token: admin, input: { key: secret, type: 'string', value: 'hidden', isSensitive: true } })).status).toBe(200);
    expect((await mutate(B, 'config.reveal', { token: admin, input: { key: secret } })).data).toMatchObject({ value: 'hidden' });
  });
});

describe('rate limits across instances', () => {
  /** When the fixed window of a counter ends, in whole seconds from now, as the database has it. */
  async function windowLeft(subject: string): Promise<number> {
    const { rows } = await app.sql<{ count: number; left: number }>(
      `select request_count as count, extract(epoch from window_start + make_interval(secs => $2) - clock_timestamp())::float8 as left
       from core.api_rate_limits where endpoint = 'auth.login' and subject = $1`,
      [subject, LIMITS.LOGIN_LIMIT_WINDOW_SECONDS],
    );
    expect(rows).toHaveLength(1);
    return rows[0]!.left;
  }

  it('the login limit per email counts attempts on A and B together; both refuse with the same Retry-After', async () => {
    const user = await signUp(A); // its login on A is the first attempt
    const wrong = { email: user.email, password: 'Wrong-Password-1' };
    const answers = [];
    for (const on of [B, A, B]) answers.push((await mutate(on, 'auth.login', { input: wrong })).error?.code);
    expect(answers).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED', 'UNAUTHORIZED']);

    // The fifth attempt, on either instance and from any ip, is over the limit of 4; the right password too.
    const onA = await mutate(A, 'auth.login', { input: wrong });
    const onB = await mutate(B, 'auth.login', { input: { email: user.email, password: PASSWORD } });
    const left = await windowLeft(`email:${user.email.toLowerCase()}`);
    for (const refused of [onA, onB]) {
      expect(refused).toMatchObject({ status: 429, error: { code: 'TOO_MANY_REQUESTS' } });
      const header = Number(refused.headers.get('retry-after'));
      expect(refused.error!.retryAfterSeconds).toBe(header);
      // The window's end as the database keeps it, whichever instance answers.
      expect(Math.abs(header - left)).toBeLessThanOrEqual(2);
    }
    expect(Math.abs(Number(onA.headers.get('retry-after')) - Number(onB.headers.get('retry-after')))).toBeLessThanOrEqual(1);
    const { rows } = await app.sql(`select request_count from core.api_rate_limits where subject = $1`, [`email:${user.email.toLowerCase()}`]);
    expect(rows).toEqual([{ request_count: 6 }]);
  });

  it('the login limit per ip counts attempts on A and B together; another ip is not limited', async () => {
    const ip = '203.0.113.77';
    const codes = [];
    for (const on of [A, B, A, B]) codes.push((await mutate(on, 'auth.login', { input: { email: `${unique('nobody')}@example.com`, password: 'Wrong-Password-1' }, ip })).error?.code);
    expect(codes).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED', 'UNAUTHORIZED', 'UNAUTHORIZED']);
    const refused = await mutate(A, 'auth.login', { input: { email: `${unique('nobody')}@example.com`, password: 'Wrong-Password-1' }, ip });
    expect(refused).toMatchObject({ status: 429, error: { code: 'TOO_MANY_REQUESTS' } });
    expect(Math.abs(Number(refused.headers.get('retry-after')) - (await windowLeft(`ip:${ip}`)))).toBeLessThanOrEqual(2);
    expect((await mutate(B, 'auth.login', { input: { email: `${unique('nobody')}@example.com`, password: 'Wrong-Password-1' }, ip })).status).toBe(429);
    expect((await mutate(B, 'auth.login', { input: { email: `${unique('nobody')}@example.com`, password: 'Wrong-Password-1' }, ip: '203.0.113.78' })).status).toBe(401);
  });

  it('the registration limit per ip counts registrations on A and B together', async () => {
    const ip = '192.0.2.55';
    const register = (on: Instance) => {
      const username = unique('reg');
      return mutate(on, 'auth.register', { input: { username, email: `${username}@example.com`, password: PASSWORD }, ip });
    };
    expect((await register(A)).status).toBe(200);
    expect((await register(B)).status).toBe(200);
    expect((await register(A)).error?.code).toBe('TOO_MANY_REQUESTS');
    expect((await register(B)).error?.code).toBe('TOO_MANY_REQUESTS');
  });
});

describe('shutting one instance down', () => {
  it('A drains (its running request finishes, new connections are refused) while B serves the same clients without an error', async () => {
    const user = await signUp(A);
    expect((await query(A, 'auth.me', { token: user.token })).status).toBe(200);
    expect((await query(B, 'auth.me', { token: user.token })).status).toBe(200);

    // A request that A is still running when it is told to stop: the user's row is locked.
    // The client of the running request keeps its connections alive (one at most), as browsers and proxies do.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const locker = await app.superClient();
    let running: Promise<Reply> | undefined;
    let drained: Promise<void> | undefined;
    let closed = false;
    try {
      await locker.query('begin');
      // NO KEY: B's writes of the user's preferences (their foreign key shares the row) go on.
      await locker.query('select 1 from core.users where id = $1 for no key update', [user.id]);
      running = viaAgent(agent, 'POST', `${A.url}/trpc/users.updateProfile`, { token: user.token, input: { bio: 'finished while draining' } });
      // Until A's UPDATE waits for the lock (polled; no fixed sleep).
      for (;;) {
        const { rows } = await app.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
        if (rows[0]!.n > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }

      // What SIGTERM does in src/cli/start.ts: stop listening, close idle connections, wait for
      // the running requests, then end the pool.
      drained = new Promise<void>((resolve, reject) => A.server.close((err) => (err ? reject(err) : resolve()))).then(() => void (closed = true));
      A.server.closeIdleConnections();

      // A new connection is refused (node:http without an agent: a fresh connection each time).
      const refused = await new Promise<string | undefined>((resolve) => {
        httpRequest(`${A.url}/healthz`, { agent: false }, () => resolve('answered'))
          .on('error', (err: NodeJS.ErrnoException) => resolve(err.code))
          .end();
      });
      expect(refused).toBe('ECONNREFUSED');
      // B serves the same client meanwhile: reads and writes.
      for (let i = 0; i < 5; i++) {
        expect((await query(B, 'auth.me', { token: user.token })).status).toBe(200);
        expect((await mutate(B, 'preferences.update', { token: user.token, input: { llmMaxTokens: 1000 + i } })).status).toBe(200);
      }
      expect(closed).toBe(false);
      await locker.query('commit');
    } finally {
      await locker.query('rollback').catch(() => {});
      locker.release();
    }

    const finished = await running!;
    expect(finished).toMatchObject({ status: 200, data: { bio: 'finished while draining' } });
    // Its connection ends with it: the client's next request to A is not sent on it (A would
    // answer it), and A's close() does not wait for the connection to idle out.
    expect(finished.headers.get('connection')).toBe('close');
    const next = await viaAgent(agent, 'GET', `${A.url}/trpc/auth.me`, { token: user.token }).then(
      (response) => response.status,
      (err: NodeJS.ErrnoException) => err.code,
    );
    expect(next).toBe('ECONNREFUSED');
    agent.destroy();
    await drained;
    expect(closed).toBe(true);
    await A.pool.end();
    expect(A.pool.totalCount).toBe(0);

    // The write A finished is there for B; the token still works on B; B's pool is untouched.
    expect((await query(B, 'auth.me', { token: user.token })).data).toMatchObject({ bio: 'finished while draining' });
    expect((await query(B, 'preferences.get', { token: user.token })).data).toMatchObject({ llmMaxTokens: 1004 });
    expect(B.pool.ended).toBe(false);
  });
});

describe('two npm start processes', () => {
  /** node-pg-migrate's advisory lock key (PG_MIGRATE_LOCK_ID), which src/db/migrate.ts leaves as is. */
  const MIGRATION_LOCK_ID = '7241865325823964';
  const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  /** `npm start` on this file's database (DATABASE_URL: nothing to migrate); resolves with its URL once it serves. */
  function npmStart(key: string): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'start.ts')], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: app.url, CONFIG_ENCRYPTION_KEY: key, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', NODE_ENV: 'production', MIGRATION_LOCK_TIMEOUT_MS: '60000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let output = '';
    return new Promise((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const serving = /"url":"(http:[^"]+)\/trpc"[^\n]*"msg":"serving"|"msg":"serving"[^\n]*"url":"(http:[^"]+)\/trpc"/.exec(output);
        if (serving) resolve({ child, url: (serving[1] ?? serving[2])!, exited });
      });
      child.stderr!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
      void exited.then((code) => reject(new Error(`npm start exited with ${code} before serving:\n${output}`)));
    });
  }

  it('a logout through one is refused by the other; SIGTERM drains one (its running request answered, exit 0) while the other serves', async () => {
    // Both start while another migration runner holds node-pg-migrate's advisory lock (a third
    // instance migrating, say): each waits for it, then finds nothing pending and serves.
    const key = randomBytes(32).toString('base64');
    const holder = await app.superClient();
    let starting: Promise<Awaited<ReturnType<typeof npmStart>>[]>;
    try {
      await holder.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
      starting = Promise.all([npmStart(key), npmStart(key)]);
      starting.catch(() => {});
      for (;;) {
        const { rows } = await app.sql<{ n: number }>(`select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())`);
        if (rows[0]!.n === 2) break;
        await Promise.race([starting, new Promise((resolve) => setTimeout(resolve, 20))]);
      }
    } finally {
      await holder.query('select pg_advisory_unlock_all()');
      holder.release();
    }
    const [P, Q] = (await starting) as [Awaited<ReturnType<typeof npmStart>>, Awaited<ReturnType<typeof npmStart>>];
    const p = { url: P.url } as Instance;
    const q = { url: Q.url } as Instance;

    const user = await signUp(p, q);
    expect((await query(p, 'auth.me', { token: user.token })).status).toBe(200);
    expect((await query(p, 'auth.me', { token: user.token })).status).toBe(200);
    expect((await mutate(q, 'auth.logout', { token: user.token })).status).toBe(200);
    expect((await query(p, 'auth.me', { token: user.token })).error?.code).toBe('UNAUTHORIZED');

    const again = await mutate(q, 'auth.login', { input: { email: user.email, password: PASSWORD } });
    const token = again.data.token as string;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const locker = await app.superClient();
    let running: Promise<Reply> | undefined;
    try {
      await locker.query('begin');
      await locker.query('select 1 from core.users where id = $1 for no key update', [user.id]);
      running = viaAgent(agent, 'POST', `${P.url}/trpc/users.updateProfile`, { token, input: { bio: 'drained by SIGTERM' } });
      for (;;) {
        const { rows } = await app.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
        if (rows[0]!.n > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      P.child.kill('SIGTERM');
      // Until P has stopped listening (the signal is handled asynchronously); Q answers meanwhile.
      for (;;) {
        const answer = await new Promise<string | number | undefined>((resolve) => {
          httpRequest(`${P.url}/healthz`, { agent: false }, (response) => {
            response.resume();
            resolve(response.statusCode);
          })
            .on('error', (err: NodeJS.ErrnoException) => resolve(err.code))
            .end();
        });
        expect((await query(q, 'auth.me', { token })).status).toBe(200);
        if (answer === 'ECONNREFUSED') break;
        // Answered before the signal took effect, or accepted just before and closed as idle.
        expect([200, 'ECONNRESET']).toContain(answer);
      }
      expect((await mutate(q, 'preferences.update', { token, input: { theme: 'light' } })).status).toBe(200);
      await locker.query('commit');
    } finally {
      await locker.query('rollback').catch(() => {});
      locker.release();
    }
    const finished = await running!;
    expect(finished).toMatchObject({ status: 200, data: { bio: 'drained by SIGTERM' } });
    expect(finished.headers.get('connection')).toBe('close');
    agent.destroy();
    expect(await P.exited).toBe(0);

    expect((await query(q, 'auth.me', { token })).data).toMatchObject({ id: user.id, bio: 'drained by SIGTERM' });
    Q.child.kill('SIGTERM');
    expect(await Q.exited).toBe(0);
  }, 90_000);
});
