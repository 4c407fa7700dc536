import { TRPCClientError, createTRPCClient, httpBatchLink } from '@trpc/client';
import type http from 'node:http';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { createPool } from '../../src/db/pool.js';
import { createHttpServer, listen } from '../../src/server/http.js';
import { PASSWORD, unique, useTestApp } from '../support/app.js';
import { probeRouter } from '../support/probe.js';

const app = useTestApp();
const servers: http.Server[] = [];

async function serve(options: Partial<Parameters<typeof createHttpServer>[0]> = {}): Promise<{ url: string; server: http.Server }> {
  const server = await createHttpServer({
    ...app.services,
    config: { ...app.services.config, NODE_ENV: 'production' },
    trustedProxies: '',
    ...options,
  });
  servers.push(server);
  return { url: await listen(server, 0, '127.0.0.1'), server };
}

let base: string;
let requests = 0;
beforeAll(async () => {
  const { url, server } = await serve();
  server.on('request', () => void (requests += 1));
  base = url;
});
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('the HTTP server with the typed client', () => {
  it('registers, logs in and reads auth.me over HTTP; dates arrive as Dates', async () => {
    let token: string | undefined;
    const client = createClient(base, { token: () => token });
    const username = unique('http');
    const user = await client.auth.register.mutate({ username, email: `${username}@example.com`, password: PASSWORD });
    expect(user.createdAt).toBeInstanceOf(Date);
    const login = await client.auth.login.mutate({ email: `${username}@example.com`, password: PASSWORD });
    token = login.token;
    const me = await client.auth.me.query();
    expect(me).toMatchObject({ id: user.id, username, role: 'user' });
    expect(me.lastLoginAt).toBeInstanceOf(Date);
  });

  it('core flow over HTTP: register, log in, update preferences, list and revoke sessions; an admin reads the audit trail', async () => {
    let token: string | undefined;
    const client = createClient(base, { token: () => token });
    const username = unique('flow');
    const email = `${username}@example.com`;
    const user = await client.auth.register.mutate({ username, email, password: PASSWORD });
    token = (await client.auth.login.mutate({ email, password: PASSWORD })).token;
    const other = await client.auth.login.mutate({ email, password: PASSWORD });

    const prefs = await client.preferences.update.mutate({ theme: 'light', llmMaxTokens: 4096 });
    expect(prefs).toMatchObject({ theme: 'light', llmMaxTokens: 4096 });
    expect((await client.preferences.get.query()).theme).toBe('light');

    const sessions = await client.auth.sessions.list.query();
    expect(sessions).toHaveLength(2);
    await client.auth.sessions.revoke.mutate({ sessionId: other.sessionId });
    expect(await client.auth.sessions.list.query()).toHaveLength(1);
    const revokedClient = createClient(base, { token: other.token });
    await expect(revokedClient.auth.me.query()).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });

    const admin = await app.newAdmin();
    const adminClient = createClient(base, { token: admin.token });
    const trail = await adminClient.audit.list.query({ actorId: user.id, limit: 200 });
    const actions = trail.items.map((e) => `${e.action} ${e.entityTable ?? ''}`.trim());
    expect(actions).toEqual(
      expect.arrayContaining(['CREATE users', 'LOGIN auth_sessions', 'CREATE user_preferences', 'UPDATE user_preferences', 'UPDATE auth_sessions', 'SESSION_REVOKE auth_sessions']),
    );
    expect(trail.items.every((e) => e.ip === '127.0.0.1')).toBe(true);
    expect(trail.items[0]!.occurredAt).toBeInstanceOf(Date);
  });

  it('a throttled login answers 429 with Retry-After', async () => {
    const user = await app.newUser();
    const body = JSON.stringify({ json: { email: user.email, password: 'Wrong-Password-1' } });
    let response: Response | undefined;
    for (let i = 0; i < 10 && response?.status !== 429; i++) {
      response = await fetch(`${base}/trpc/auth.login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    }
    expect(response!.status).toBe(429);
    expect(Number(response!.headers.get('retry-after'))).toBeGreaterThan(0);
    const payload = (await response!.json()) as { error: { json: { data: { retryAfterSeconds: number } } } };
    expect(payload.error.json.data.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('batches calls made together into one HTTP request', async () => {
    const user = await app.newUser();
    const client = createClient(`${base}/trpc`, { token: user.token });
    const before = requests;
    const [a, b, c] = await Promise.all([client.auth.me.query(), client.auth.me.query(), client.auth.me.query()]);
    expect(requests - before).toBe(1);
    expect(a.id).toBe(user.id);
    expect(b.id).toBe(c.id);
  });

  it('/healthz answers while the process is up; /readyz when the database answers and nothing is pending', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('/readyz is 503 while a migration is pending', async () => {
    const { rows } = await app.sql<{ name: string; run_on: Date }>(`delete from public.pgmigrations where id = (select max(id) from public.pgmigrations) returning name, run_on`);
    try {
      const response = await fetch(`${base}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'not ready', reason: `pending migrations: ${rows[0]!.name}` });
    } finally {
      await app.sql(`insert into public.pgmigrations (name, run_on) values ($1, $2)`, [rows[0]!.name, rows[0]!.run_on]);
    }
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('/readyz is 503 when the database does not answer', async () => {
    const pool = createPool('postgresql://nobody:x@127.0.0.1:1/none', { DB_POOL_SIZE: 1, DB_POOL_TIMEOUT_MS: 500, DB_STATEMENT_TIMEOUT_MS: 0 }, app.services.log);
    try {
      const { url } = await serve({ pool });
      const response = await fetch(`${url}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ status: 'not ready' });
    } finally {
      await pool.end();
    }
  });

  it('errors carry a clear message and field errors, never SQL, constraint internals or stacks', async () => {
    const user = await app.newUser();
    const response = await fetch(`${base}/trpc/auth.register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ json: { username: unique('dupe'), email: user.email, password: PASSWORD } }),
    });
    expect(response.status).toBe(409);
    const text = await response.text();
    const body = JSON.parse(text);
    expect(body.error.json.message).toBe('email is already registered');
    expect(body.error.json.data.fieldErrors).toEqual({ email: ['email is already registered'] });
    expect(text).not.toMatch(/insert into|users_email_key|stack|\.ts:/i);

    const invalid = await fetch(`${base}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ json: { email: 'not an email', password: '' } }),
    });
    expect(invalid.status).toBe(400);
    const invalidBody = (await invalid.json()) as { error: { json: { message: string; data: { fieldErrors: Record<string, string[]> } } } };
    expect(Object.keys(invalidBody.error.json.data.fieldErrors).sort()).toEqual(['email', 'password']);
    expect(invalidBody.error.json.message).toMatch(/^email: /);

    // An unexpected failure: the log gets the detail, the client a generic message.
    const { url } = await serve({ router: probeRouter });
    const probe = createTRPCClient<typeof probeRouter>({ links: [httpBatchLink({ url: `${url}/trpc`, transformer: superjson })] });
    const err = await probe.sqlThenThrow.mutate([]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect((err as TRPCClientError<typeof probeRouter>).message).toBe('Internal server error');
    expect(JSON.stringify((err as TRPCClientError<typeof probeRouter>).shape)).not.toMatch(/secret|select|stack/);
    const sqlErr = await probe.sql.mutate([{ text: 'select * from core.no_such_table' }]).catch((e: unknown) => e);
    expect(JSON.stringify((sqlErr as TRPCClientError<typeof probeRouter>).shape)).not.toMatch(/no_such_table|relation|stack/);
  });

  it('takes the client ip from X-Forwarded-For only behind a trusted proxy, and echoes the request id', async () => {
    const query = [{ text: `select current_setting('app.client_ip') as ip, current_setting('app.request_id') as rid` }];
    const ask = async (url: string) => {
      const probe = createTRPCClient<typeof probeRouter>({
        links: [httpBatchLink({ url: `${url}/trpc`, transformer: superjson, headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.9', 'x-request-id': 'abc-123' } })],
      });
      const [[row]] = (await probe.sql.mutate(query)) as [[{ ip: string; rid: string }]];
      return row;
    };
    const trusted = await serve({ router: probeRouter, trustedProxies: '127.0.0.1/32' });
    expect(await ask(trusted.url)).toEqual({ ip: '203.0.113.9', rid: 'abc-123' });
    const untrusted = await serve({ router: probeRouter, trustedProxies: '' });
    expect(await ask(untrusted.url)).toEqual({ ip: '127.0.0.1', rid: 'abc-123' });
    const response = await fetch(`${untrusted.url}/trpc/whoami`, { headers: { 'x-request-id': 'trace-9' } });
    expect(response.headers.get('x-request-id')).toBe('trace-9');
  });
});
