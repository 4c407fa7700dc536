/**
 * The REST surface (/api/*) and its OpenAPI document (/openapi.json), over real HTTP with plain
 * `fetch`, no tRPC client: the same auth, validation, error mapping and body limit as /trpc.
 * Every published operation is called for real at least once (the last test checks that).
 */
import type http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { appRouter } from '../../src/routers/_app.js';
import { createHttpServer, listen } from '../../src/server/http.js';
import { judge, strings } from '../fuzz/wire.js';
import { PASSWORD, unique, useTestApp } from '../support/app.js';

const app = useTestApp();
const LIMIT = 64 * 1024;
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = await createHttpServer({
    ...app.services,
    config: { ...app.services.config, NODE_ENV: 'production', HTTP_BODY_LIMIT_BYTES: LIMIT },
    trustedProxies: '',
  });
  base = await listen(server, 0, '127.0.0.1');
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** JSON as a client without our types sees it. */
type Json = any;

interface Reply {
  status: number;
  headers: Headers;
  body: Json;
}

/** Operations answered with 2xx, as "METHOD /path/{param}", for the coverage check at the end. */
const called = new Set<string>();
const ID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * One REST call with plain fetch. Every error answer is checked for leaks (SQL, constraint
 * internals, engine messages, stack frames) with the fuzzer's oracle, and none may be a 500.
 */
async function rest(
  method: string,
  path: string,
  options: { token?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${base}/api${path}`, { method, headers, body });
  const text = await response.text();
  const reply: Reply = { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  expect(response.headers.get('content-type')).toBe('application/json');
  if (response.status >= 400) {
    expect(response.status, text).toBeLessThan(500);
    // The oracle reads tRPC's wire shape; the procedure's own path is not a leak.
    const echoes = [path, ...path.split(/[/?&=]/), ...strings(options.json)].filter((s) => s.length <= 200);
    expect(judge({ status: response.status, text: JSON.stringify({ error: reply.body }) }, reply.body?.data?.path ?? '', echoes)).toBeUndefined();
    expect(text).not.toMatch(/"stack"|"issues"/);
  } else {
    called.add(`${method} ${path.split('?')[0]!.replace(ID, '{id}')}`);
  }
  return reply;
}

async function newUser(): Promise<{ token: string; id: string; email: string }> {
  const username = unique('rest');
  const email = `${username}@example.com`;
  const registered = await rest('POST', '/auth/register', { json: { username, email, password: PASSWORD } });
  expect(registered.status).toBe(200);
  const login = await rest('POST', '/auth/login', { json: { email, password: PASSWORD } });
  expect(login.status).toBe(200);
  return { token: login.body.token, id: registered.body.id, email };
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document of the published procedures: paths, parameters, bearer security, resolvable refs', async () => {
    const response = await fetch(`${base}/openapi.json`);
    expect(response.status).toBe(200);
    const doc: Json = await response.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(doc.servers).toEqual([{ url: '/api' }]);
    expect(doc.components.securitySchemes).toEqual({ bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer' }) });

    // Every procedure with openapi meta is in the document, at its method and path.
    const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { meta?: { openapi?: { method: string; path: string } } } }>;
    const published = Object.entries(procedures)
      .filter(([, p]) => p._def.meta?.openapi)
      .map(([name, p]) => ({ name, ...p._def.meta!.openapi! }));
    expect(published.length).toBeGreaterThanOrEqual(25);
    const operationIds = new Set<string>();
    for (const { name, method, path } of published) {
      const operation = doc.paths[path]?.[method.toLowerCase()];
      expect(operation, `${method} ${path}`).toBeDefined();
      operationIds.add(operation.operationId);
      expect(operation.responses['200']).toBeDefined();
      // Each {param} of the path is declared as a required path parameter.
      for (const [, param] of path.matchAll(/\{(\w+)\}/g)) {
        expect(operation.parameters).toContainEqual(expect.objectContaining({ in: 'path', name: param, required: true }));
      }
      // Only registration and login go without a token.
      const open = name === 'auth.register' || name === 'auth.login';
      expect(operation.security, name).toEqual(open ? undefined : [{ bearerAuth: [] }]);
    }
    expect(operationIds.size).toBe(published.length);
    expect(doc.paths['/socrates/projects'].get.parameters).toContainEqual(
      expect.objectContaining({ in: 'query', name: 'limit', schema: expect.objectContaining({ type: 'integer', minimum: 1, maximum: 200 }) }),
    );
    // Every $ref points at a component that exists, and errors are described as they are sent.
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of refs) {
      const name = ref.slice('"$ref":"#/components/schemas/'.length, -1);
      expect(doc.components.schemas[name], ref).toBeDefined();
    }
    expect(doc.components.schemas['error.BAD_REQUEST'].properties.data.properties.fieldErrors).toBeDefined();
  });
});

describe('auth over REST', () => {
  it('registers, logs in, reads /auth/me with the token (401 without it or after logout); the request id is echoed', async () => {
    const username = unique('rest');
    const email = `${username}@example.com`;
    const registered = await rest('POST', '/auth/register', { json: { username, email, password: PASSWORD } });
    expect(registered.status).toBe(200);
    expect(registered.body).toMatchObject({ username, email, role: 'user', status: 'ACTIVE' });
    expect(registered.body.createdAt).toMatch(ISO); // dates are ISO 8601 strings
    expect(registered.body).not.toHaveProperty('passwordHash');

    const login = await rest('POST', '/auth/login', { json: { email, password: PASSWORD }, headers: { 'x-request-id': 'rest-login-1' } });
    expect(login.status).toBe(200);
    expect(login.headers.get('x-request-id')).toBe('rest-login-1');
    expect(login.body).toMatchObject({ token: expect.any(String), sessionId: expect.any(String), user: { id: registered.body.id } });
    expect(login.body.expiresAt).toMatch(ISO);
    const token = login.body.token as string;

    const anonymous = await rest('GET', '/auth/me');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(anonymous.body).toMatchObject({ code: 'UNAUTHORIZED', message: 'Log in first: this needs a bearer token', data: { httpStatus: 401 } });
    expect(anonymous.body.data.requestId).toBe(anonymous.headers.get('x-request-id'));
    expect((await rest('GET', '/auth/me', { token: 'not-a-token' })).status).toBe(401);

    const me = await rest('GET', '/auth/me', { token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: registered.body.id, username, email });
    expect(me.body.lastLoginAt).toMatch(ISO);

    const wrong = await rest('POST', '/auth/login', { json: { email, password: 'Wrong-Password-1' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.message).toBe('email or password is incorrect');

    const logout = await rest('POST', '/auth/logout', { token });
    expect(logout).toMatchObject({ status: 200, body: { revoked: true } });
    const after = await rest('GET', '/auth/me', { token });
    expect(after.status).toBe(401);
    expect(after.body.message).toBe('The session has expired or was revoked; log in again');
  });

  it('a database rule maps as on /trpc: the same email twice is 409 naming the field', async () => {
    const { email } = await newUser();
    const again = await rest('POST', '/auth/register', { json: { email: email.toUpperCase(), password: PASSWORD } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('CONFLICT');
    expect(Object.keys(again.body.data.fieldErrors)).toEqual(['email']);
  });

  it('login is throttled per email as on /trpc: 429 with Retry-After', async () => {
    const { email } = await newUser(); // one login used; the test config allows 5 per email
    let last: Reply | undefined;
    for (let i = 0; i < 5; i += 1) last = await rest('POST', '/auth/login', { json: { email, password: 'Wrong-Password-1' } });
    expect(last!.status).toBe(429);
    expect(last!.body.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.body.data.retryAfterSeconds).toBe(Number(last!.headers.get('retry-after')));
  });

  it('PATCH /users/me changes the own profile; bad input is 400 naming the field and changes nothing', async () => {
    const { token } = await newUser();
    const patched = await rest('PATCH', '/users/me', { token, json: { bio: 'Writes SQL', fullName: 'Ada L' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ bio: 'Writes SQL', fullName: 'Ada L' });
    const bad = await rest('PATCH', '/users/me', { token, json: { bio: 'changed', avatarUrl: 'ftp://example.com/a.png' } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('BAD_REQUEST');
    expect(bad.body.data.fieldErrors).toEqual({ avatarUrl: ['avatarUrl must be an http(s) URL'] });
    expect((await rest('GET', '/auth/me', { token })).body.bio).toBe('Writes SQL');
    expect((await rest('PATCH', '/users/me', { json: { bio: 'x' } })).status).toBe(401);
  });
});

/**
 * One application's resource, through its REST operations: create, read, list (query string
 * numbers read as numbers), update, delete; then the row is gone (404) and a stranger sees none of it.
 */
async function crud(options: {
  collection: string;
  create: unknown;
  update: { method?: string; suffix?: string; json?: unknown; expect: Record<string, unknown> };
  listQuery?: string;
}) {
  const owner = await newUser();
  const stranger = await newUser();
  const { token } = owner;
  const first = await rest('POST', options.collection, { token, json: options.create });
  expect(first.status, JSON.stringify(first.body)).toBe(200);
  const second = await rest('POST', options.collection, { token, json: options.create });
  const id = first.body.id as string;
  expect(first.body.createdAt).toMatch(ISO);

  const got = await rest('GET', `${options.collection}/${id}`, { token });
  expect(got.status).toBe(200);
  expect(got.body).toEqual(first.body);

  const page = await rest('GET', `${options.collection}?limit=1${options.listQuery ?? ''}`, { token });
  expect(page.status, JSON.stringify(page.body)).toBe(200);
  expect(page.body.items.map((r: { id: string }) => r.id)).toEqual([second.body.id]);
  const next = await rest('GET', `${options.collection}?limit=1&cursor=${encodeURIComponent(page.body.nextCursor)}${options.listQuery ?? ''}`, { token });
  expect(next.body.items.map((r: { id: string }) => r.id)).toEqual([id]);
  expect((await rest('GET', options.collection, { token: stranger.token })).body.items).toEqual([]);

  const updated = await rest(options.update.method ?? 'PATCH', `${options.collection}/${id}${options.update.suffix ?? ''}`, { token, json: options.update.json });
  expect(updated.status, JSON.stringify(updated.body)).toBe(200);
  expect(updated.body).toMatchObject(options.update.expect);

  expect((await rest('GET', `${options.collection}/${id}`, { token: stranger.token })).status).toBe(404);
  expect((await rest('DELETE', `${options.collection}/${id}`, { token: stranger.token })).status).toBe(404);
  const deleted = await rest('DELETE', `${options.collection}/${id}`, { token });
  expect(deleted.status).toBe(200);
  const gone = await rest('GET', `${options.collection}/${id}`, { token });
  expect(gone.status).toBe(404);
  expect(gone.body.code).toBe('NOT_FOUND');
  expect(gone.body.message).toContain(id);
  expect((await rest('GET', `${options.collection}/${id}`)).status).toBe(401);
}

describe('each application over REST', () => {
  it('SOCRATES projects: create, get, list, update, delete', async () => {
    await crud({
      collection: '/socrates/projects',
      create: { name: 'Tutor', technologyStack: ['TypeScript', 'PostgreSQL'] },
      update: { json: { name: 'Tutor 2', description: null }, expect: { name: 'Tutor 2', description: null, technologyStack: ['TypeScript', 'PostgreSQL'] } },
      listQuery: '&status=PLANNING',
    });
  });

  it('ComponentForge conversations: create, get, list, update, delete', async () => {
    await crud({
      collection: '/componentforge/conversations',
      create: { title: 'Buttons', temperature: 0.5 },
      update: { json: { title: 'Buttons, archived', status: 'archived' }, expect: { title: 'Buttons, archived', status: 'archived' } },
    });
  });

  it('VerificAI analysis sessions: create, get, list, rename, delete', async () => {
    await crud({
      collection: '/verificai/sessions',
      create: { sessionName: 'Audit' },
      update: { json: { sessionName: 'Audit, renamed' }, expect: { sessionName: 'Audit, renamed' } },
      listQuery: '&status=created',
    });
  });

  it('Scraper jobs: create, get, list, cancel, delete', async () => {
    await crud({
      collection: '/scraper/jobs',
      create: { jobType: 'web', keywords: ['export compliance'] },
      update: { method: 'POST', suffix: '/cancel', expect: { status: 'failed' } },
      listQuery: '&jobType=web',
    });
  });

  it('ExportSathi reports: create, get, list, update, soft delete; numeric values are exact strings', async () => {
    await crud({
      collection: '/exportsathi/reports',
      create: { productName: 'Turmeric', hsCode: '091030', destinationCountry: 'DE', estimatedCost: '1250.50', reportData: { summary: 'ok' } },
      update: { json: { riskScore: 40, estimatedCost: '99.90' }, expect: { riskScore: 40, estimatedCost: '99.90', productName: 'Turmeric' } },
    });
  });
});

describe('errors over REST', () => {
  it('bad input: 400 with fieldErrors naming the field, from the body, the query string and the path', async () => {
    const { token } = await newUser();
    const body = await rest('POST', '/socrates/projects', { token, json: { name: '   ', status: 'NOPE' } });
    expect(body.status).toBe(400);
    expect(Object.keys(body.body.data.fieldErrors).sort()).toEqual(['name', 'status']);
    expect(body.body.message).toMatch(/^name: .*; status: /);

    for (const limit of ['0', 'abc', '1.5', '']) {
      const query = await rest('GET', `/socrates/projects?limit=${limit}`, { token });
      expect(query.status, limit).toBe(400);
      expect(Object.keys(query.body.data.fieldErrors)).toEqual(['limit']);
    }
    const path = await rest('GET', '/socrates/projects/not-a-uuid', { token });
    expect(path.status).toBe(400);
    expect(Object.keys(path.body.data.fieldErrors)).toEqual(['id']);
    const missing = await rest('POST', '/auth/register', {});
    expect(missing.status).toBe(400);
    expect(Object.keys(missing.body.data.fieldErrors).sort()).toEqual(['email', 'password']);
    const notObject = await rest('POST', '/socrates/projects', { token, json: ['a'] });
    expect(notObject.status).toBe(400);
    expect(Object.keys(notObject.body.data.fieldErrors)).toEqual(['(input)']);
    // Nothing was written by any of them.
    expect((await rest('GET', '/socrates/projects', { token })).body.items).toEqual([]);
  });

  it('not JSON: 400 without the parser text; another content type: 415; an unknown operation: 404; a wrong method: 405', async () => {
    const { token } = await newUser();
    const broken = await rest('POST', '/socrates/projects', { token, body: '{"name": ', headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ code: 'PARSE_ERROR', message: 'The request body is not valid JSON' });
    const text = await rest('POST', '/socrates/projects', { token, body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(text.status).toBe(415);
    const unknown = await rest('GET', '/socrates/nothing-here', { token });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
    const method = await rest('PUT', '/socrates/projects', { token, json: {} });
    expect(method.status).toBe(405);
    expect(method.body.message).toContain('GET or POST');
  });

  it('a __proto__ key in the query string or the body sets no prototype', async () => {
    const { token } = await newUser();
    const query = await rest('GET', '/socrates/projects?__proto__=x&limit=2', { token });
    expect(query.status).toBe(200);
    const body = await rest('PATCH', '/users/me', { token, body: '{"preferences": {"__proto__": {"polluted": true}}}', headers: { 'content-type': 'application/json' } });
    expect(body.status).toBe(400);
    expect(body.body.data.fieldErrors).toEqual({ preferences: ['must not use the key "__proto__"'] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('bodies over HTTP_BODY_LIMIT_BYTES: 413 and the connection closed, declared or streamed', async () => {
    const { token } = await newUser();
    const declared = await rest('POST', '/socrates/projects', { token, json: { name: 'x'.repeat(LIMIT) } });
    expect(declared.status).toBe(413);
    expect(declared.headers.get('connection')).toBe('close');
    expect(declared.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: `The request body is larger than the limit of ${LIMIT} bytes` });

    // Chunked, with no Content-Length: refused once past the limit, the rest never read.
    const { hostname, port } = new URL(base);
    const socket = net.connect(Number(port), hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    let received = '';
    socket.on('data', (data) => void (received += data.toString()));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => {}); // EPIPE once the server closes: expected
    socket.write(`POST /api/socrates/projects HTTP/1.1\r\nhost: ${hostname}\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`);
    const piece = Buffer.alloc(16 * 1024, ' ');
    for (let i = 0; i < 16 && !socket.destroyed; i += 1) socket.write(Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]));
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    expect(received.toLowerCase()).toContain('connection: close');
    expect(received).toContain('"code":"PAYLOAD_TOO_LARGE"');
  });

  it('REST calls leave the shared input schemas as they were: /trpc still refuses a number sent as a string', async () => {
    const { token } = await newUser();
    expect((await rest('GET', '/socrates/projects?limit=2', { token })).status).toBe(200);
    const client = createClient(base, { token });
    await expect(client.socrates.projects.list.query({ limit: '2' as unknown as number })).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
  });
});

describe('coverage', () => {
  it('every published operation was called for real above and answered 2xx', async () => {
    const doc: Json = await (await fetch(`${base}/openapi.json`)).json();
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.filter((op) => !called.has(op))).toEqual([]);
  });
});
