/**
 * Over real HTTP: bodies over HTTP_BODY_LIMIT_BYTES are refused with 413 before they are
 * buffered, 503s say when to come back, and no engine message (JSON.parse, V8) reaches a client.
 */
import type http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { createPool } from '../../src/db/pool.js';
import { createHttpServer, listen } from '../../src/server/http.js';
import { PASSWORD, unique, useTestApp } from '../support/app.js';

const app = useTestApp();
const servers: http.Server[] = [];
const LIMIT = 64 * 1024;

async function serve(options: Partial<Parameters<typeof createHttpServer>[0]> = {}) {
  const server = await createHttpServer({
    ...app.services,
    config: { ...app.services.config, NODE_ENV: 'production', HTTP_BODY_LIMIT_BYTES: LIMIT },
    trustedProxies: '',
    ...options,
  });
  servers.push(server);
  return { url: await listen(server, 0, '127.0.0.1'), server };
}

let base: string;
let serverBytesRead = 0;
beforeAll(async () => {
  const { url, server } = await serve();
  // What the server read from its sockets, body included: the measure of what it took in.
  server.on('connection', (socket: net.Socket) => socket.on('close', () => void (serverBytesRead += socket.bytesRead)));
  base = url;
});
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/**
 * Starts a POST of `total` bytes of JSON whitespace and keeps sending until the server closes
 * the connection (or all is sent). Returns the status line, the body and how much was sent.
 */
async function sendHuge(url: string, path: string, total: number, chunked: boolean): Promise<{ head: string; body: string; sent: number }> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  await new Promise((resolve) => socket.once('connect', resolve));
  let received = '';
  let ended = false;
  socket.on('data', (data) => void (received += data.toString()));
  const closed = new Promise<void>((resolve) => {
    const end = () => {
      ended = true;
      resolve();
    };
    socket.once('end', end);
    socket.once('close', end);
    socket.once('error', end); // EPIPE / ECONNRESET: the server is gone, which is the point
  });
  const length = chunked ? 'transfer-encoding: chunked' : `content-length: ${total}`;
  socket.write(`POST ${path} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\n${length}\r\n\r\n`);
  const piece = Buffer.alloc(64 * 1024, ' ');
  const frame = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
  let sent = 0;
  while (!ended && sent < total) {
    sent += piece.length;
    if (!socket.write(frame)) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), closed]);
  }
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
  socket.destroy();
  const [head = '', body = ''] = received.split('\r\n\r\n');
  return { head, body, sent };
}

const HUGE = 600 * 1024 * 1024;

/** The JSON of a raw response body (Node may frame it as chunked). */
const jsonOf = (body: string) => JSON.parse(body.slice(body.indexOf('{'), body.lastIndexOf('}') + 1));

describe('request bodies over HTTP_BODY_LIMIT_BYTES', () => {
  it('a declared Content-Length over the limit: 413 before any of the body is read, then the connection is closed', async () => {
    const before = serverBytesRead;
    const { head, body, sent } = await sendHuge(base, '/trpc/auth.login', HUGE, false);
    expect(head).toMatch(/^HTTP\/1\.1 413 /);
    expect(head.toLowerCase()).toContain('connection: close');
    expect(jsonOf(body).error.json.message).toBe(`The request body is larger than the limit of ${LIMIT} bytes`);
    expect(jsonOf(body).error.json.data.code).toBe('PAYLOAD_TOO_LARGE');
    // Cut short: the client got about 4 MB out (socket buffers), not 600 MB; the server read about the limit.
    expect(sent).toBeLessThan(64 * 1024 * 1024);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(serverBytesRead - before).toBeLessThan(1024 * 1024); // measured: about 98 kB
  });

  it('a body without Content-Length (chunked): counted as it streams, 413 once past the limit, then the connection is closed', async () => {
    const before = serverBytesRead;
    const { head, body, sent } = await sendHuge(base, '/trpc/auth.login', HUGE, true);
    expect(head).toMatch(/^HTTP\/1\.1 413 /);
    expect(head.toLowerCase()).toContain('connection: close');
    expect(jsonOf(body).error.json.data.code).toBe('PAYLOAD_TOO_LARGE');
    expect(body).not.toMatch(/0x1fffffe8|Cannot create a string/);
    expect(sent).toBeLessThan(64 * 1024 * 1024);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(serverBytesRead - before).toBeLessThan(1024 * 1024); // measured: about 98 kB
  });

  it('Expect: 100-continue with a body over the limit: 413 at once, the client is never told to send it', async () => {
    const { hostname, port } = new URL(base);
    const socket = net.connect(Number(port), hostname);
    let received = '';
    socket.on('data', (data) => void (received += data.toString()));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write(`POST /trpc/auth.login HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: ${HUGE}\r\nexpect: 100-continue\r\n\r\n`);
    await closed; // the server closes: no body was sent at all
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    expect(received).not.toContain('100 Continue');
  });

  it('outside /trpc too: a declared body over the limit gets 413 and the connection is closed', async () => {
    const { head, sent } = await sendHuge(base, '/healthz', HUGE, false);
    expect(head).toMatch(/^HTTP\/1\.1 413 /);
    expect(head.toLowerCase()).toContain('connection: close');
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });

  it('a body within the limit is served as usual', async () => {
    const client = createClient(base);
    const username = unique('small');
    const user = await client.auth.register.mutate({ username, email: `${username}@example.com`, password: PASSWORD });
    expect(user.username).toBe(username);
    const response = await fetch(`${base}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ json: { email: `${username}@example.com`, password: PASSWORD, padding: ' '.repeat(LIMIT - 1000) } }),
    });
    expect(response.status).toBe(200);
  });
});

describe('503s say when to come back', () => {
  it('a procedure whose database is unreachable answers 503 with Retry-After; so does /readyz', async () => {
    const pool = createPool('postgresql://nobody:x@127.0.0.1:1/none', { DB_POOL_SIZE: 1, DB_POOL_TIMEOUT_MS: 500, DB_STATEMENT_TIMEOUT_MS: 0 }, app.services.log);
    try {
      const { url } = await serve({ pool });
      const response = await fetch(`${url}/trpc/auth.me`);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      const body = (await response.json()) as { error: { json: { message: string; data: { retryAfterSeconds: number } } } };
      expect(body.error.json.data.retryAfterSeconds).toBe(5);
      expect(body.error.json.message).toBe('The database is unavailable; try again shortly');
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      expect(ready.headers.get('retry-after')).toBe('5');
    } finally {
      await pool.end();
    }
  });
});

describe('engine messages never reach the client', () => {
  const ENGINE_TEXT = /Unexpected token|Unexpected end|JSON at position|SyntaxError|RangeError|Maximum call stack|Cannot create a string|is not valid JSON: /;

  it('a body that is not JSON: 400 in our words, not JSON.parse text', async () => {
    for (const body of ['{"json": ', 'not json', '{"json": {"email": "a@b.c",}}']) {
      const response = await fetch(`${base}/trpc/auth.login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await response.text();
      expect(response.status, `${body} -> ${text}`).toBe(400);
      expect(JSON.parse(text).error.json.message).toBe('The request is not valid JSON');
      expect(text).not.toMatch(ENGINE_TEXT);
    }
    const user = await app.newUser();
    const query = await fetch(`${base}/trpc/socrates.projects.get?input=${encodeURIComponent('{"json": [')}`, { headers: { authorization: `Bearer ${user.token}` } });
    expect(query.status).toBe(400);
    const text = await query.text();
    expect(JSON.parse(text).error.json.message).toBe('The request is not valid JSON');
    expect(text).not.toMatch(ENGINE_TEXT);
  });

  it('a malformed meta is refused in our words', async () => {
    const response = await fetch(`${base}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ json: { email: 'a@b.c' }, meta: { values: { 'email.x.y': ['Date'] }, v: 1 } }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { json: { message: string } } }).error.json.message).toBe('meta.values names a path that is not in json');
  });

  it('JSON nested too deep for a recursive validator: 400 without V8 text', async () => {
    const user = await app.newUser();
    const deep = `${'['.repeat(30_000)}1${']'.repeat(30_000)}`;
    const session = await app.caller({ token: user.token }).socrates.sessions.start({});
    for (const [path, body] of [
      ['socrates.messages.append', `{"json": {"sessionId": "${session.id}", "role": "user", "content": "x", "metadata": {"d": ${deep}}}}`],
      ['users.updateProfile', `{"json": {"preferences": {"d": ${deep}}}}`],
    ] as const) {
      const response = await fetch(`${base}/trpc/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
        body,
      });
      const text = await response.text();
      expect(response.status, path).toBe(400);
      expect(text).not.toMatch(ENGINE_TEXT);
    }
  });
});
