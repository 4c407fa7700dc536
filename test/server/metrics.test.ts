/**
 * /metrics: Prometheus text from a registry of the server's own; procedure latency by
 * procedure, type and outcome (each call of a batch apart); pool gauges per named pool; database
 * errors by SQLSTATE class; and who may scrape (METRICS_TOKEN, else loopback only).
 */
import type http from 'node:http';
import os from 'node:os';
import type pg from 'pg';
import { register as globalRegistry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createPool } from '../../src/db/pool.js';
import { createHttpServer, listen } from '../../src/server/http.js';
import { addPool, createMetrics, metricsAccess, observeProcedure, type Metrics } from '../../src/server/metrics.js';
import { appRouter } from '../../src/routers/_app.js';
import { PASSWORD, unique, useTestApp } from '../support/app.js';

const app = useTestApp();
const servers: http.Server[] = [];
const pools: pg.Pool[] = [];
const TOKEN = 'metrics-token-0123456789abcdef';

async function serve(options: { token?: string; host?: string; pool?: pg.Pool; metrics?: Metrics } = {}): Promise<string> {
  const server = await createHttpServer({
    ...app.services,
    pool: options.pool ?? app.pool,
    config: { ...app.services.config, NODE_ENV: 'production', METRICS_TOKEN: options.token },
    trustedProxies: '',
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  servers.push(server);
  return listen(server, 0, options.host ?? '127.0.0.1');
}

/** A pool of its own (the file's pool is shared by its tests), closed after the file. */
function smallPool(max: number): pg.Pool {
  const pool = createPool(app.url, { DB_POOL_SIZE: max, DB_POOL_TIMEOUT_MS: 5000, DB_STATEMENT_TIMEOUT_MS: 10_000 }, app.services.log);
  pools.push(pool);
  return pool;
}

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  for (const pool of pools) await pool.end();
});

/** The samples of the exposition text: `name{a="x",b="y"}` -> value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

function key(name: string, labels: Record<string, string> = {}): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return parts.length ? `${name}{${parts.join(',')}}` : name;
}

async function scrape(base: string, headers: Record<string, string> = {}): Promise<Map<string, number>> {
  const res = await fetch(`${base}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return samples(await res.text());
}

describe('who may scrape /metrics', () => {
  it('without METRICS_TOKEN: a loopback peer, unless a proxy forwarded the request', async () => {
    const base = await serve();
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    for (const headers of [{ 'x-forwarded-for': '203.0.113.9' }, { forwarded: 'for=203.0.113.9' }] as Record<string, string>[]) {
      const res = await fetch(`${base}/metrics`, { headers });
      expect(res.status).toBe(403);
      expect(await res.text()).toMatch(/served to this machine only \(set METRICS_TOKEN/);
    }
  });

  it('without METRICS_TOKEN: refuses a peer that is not loopback', async () => {
    const fake = (remoteAddress: string, headers: Record<string, string> = {}) => ({ socket: { remoteAddress }, headers }) as unknown as http.IncomingMessage;
    expect(metricsAccess(fake('127.0.0.1'), undefined)).toEqual({ allowed: true });
    expect(metricsAccess(fake('::1'), undefined)).toEqual({ allowed: true });
    expect(metricsAccess(fake('::ffff:127.0.0.1'), undefined)).toEqual({ allowed: true });
    for (const peer of ['10.0.0.5', '192.168.1.2', '::ffff:10.0.0.5', '2001:db8::1', '128.0.0.1']) {
      expect(metricsAccess(fake(peer), undefined)).toMatchObject({ allowed: false, status: 403 });
    }
    // And over a real socket, when this machine has an address other than loopback.
    const external = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
    if (external) {
      const base = await serve({ host: '0.0.0.0' });
      const res = await fetch(`http://${external.address}:${new URL(base).port}/metrics`);
      expect(res.status).toBe(403);
    }
  });

  it('with METRICS_TOKEN: its bearer token from anywhere, nothing without it (loopback included)', async () => {
    const base = await serve({ token: TOKEN });
    const none = await fetch(`${base}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    for (const wrong of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, 'Bearer ']) {
      expect((await fetch(`${base}/metrics`, { headers: { authorization: wrong } })).status).toBe(401);
    }
    await scrape(base, { authorization: `Bearer ${TOKEN}` });
    const fake = { socket: { remoteAddress: '198.51.100.7' }, headers: { authorization: `Bearer ${TOKEN}` } } as unknown as http.IncomingMessage;
    expect(metricsAccess(fake, TOKEN)).toEqual({ allowed: true });
  });

  it('METRICS_TOKEN is refused at start-up when too short to be a secret', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN: must be at least 16 characters/);
    expect(loadConfig({ METRICS_TOKEN: TOKEN }).METRICS_TOKEN).toBe(TOKEN);
  });

  it('answers only GET and HEAD', async () => {
    const base = await serve();
    expect((await fetch(`${base}/metrics`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${base}/metrics`, { method: 'DELETE' })).status).toBe(405);
  });
});

describe('what /metrics reports', () => {
  let base: string;
  let token: string;
  beforeAll(async () => {
    base = await serve();
    const username = unique('metrics');
    const client = createClient(base);
    await client.auth.register.mutate({ username, email: `${username}@example.com`, password: PASSWORD });
    token = (await client.auth.login.mutate({ email: `${username}@example.com`, password: PASSWORD })).token;
  });

  it('times each call of a batch apart, by procedure, type and outcome (ok or the tRPC code)', async () => {
    const before = await scrape(base);
    const client = createClient(base, { token });
    // Called in one tick: one HTTP request carrying both calls.
    const [me, refused] = await Promise.allSettled([client.auth.me.query(), client.monitoring.tableSizes.query({})]);
    expect(me.status).toBe('fulfilled');
    expect(refused.status).toBe('rejected');
    const after = await scrape(base);
    const count = (labels: Record<string, string>) => key('trpc_procedure_duration_seconds_count', labels);
    const delta = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
    expect(delta(count({ procedure: 'auth.me', type: 'query', outcome: 'ok' }))).toBe(1);
    expect(delta(count({ procedure: 'monitoring.tableSizes', type: 'query', outcome: 'FORBIDDEN' }))).toBe(1);
    // A histogram: buckets up to +Inf, and a sum of seconds.
    expect(after.get(key('trpc_procedure_duration_seconds_bucket', { le: '+Inf', procedure: 'auth.me', type: 'query', outcome: 'ok' }))).toBe(
      after.get(count({ procedure: 'auth.me', type: 'query', outcome: 'ok' })),
    );
    expect(after.get(key('trpc_procedure_duration_seconds_sum', { procedure: 'auth.me', type: 'query', outcome: 'ok' }))).toBeGreaterThan(0);
  });

  it('labels a path that is no procedure "(unknown)", so that clients cannot add series', async () => {
    const before = await scrape(base);
    const res = await fetch(`${base}/trpc/no.such.procedure${'x'.repeat(40)}`);
    expect(res.status).toBe(404);
    const after = await scrape(base);
    // tRPC cannot tell the type of a procedure it does not have.
    const k = key('trpc_procedure_duration_seconds_count', { procedure: '(unknown)', type: 'unknown', outcome: 'NOT_FOUND' });
    expect((after.get(k) ?? 0) - (before.get(k) ?? 0)).toBe(1);
    expect([...after.keys()].some((s) => s.includes('no.such.procedure'))).toBe(false);
  });

  it('counts database errors by SQLSTATE class, once each', async () => {
    const before = await scrape(base);
    const client = createClient(base);
    const username = unique('dup');
    await client.auth.register.mutate({ username, email: `${username}@example.com`, password: PASSWORD });
    // The same username again: a unique violation (23505), mapped to CONFLICT.
    await expect(client.auth.register.mutate({ username, email: `${username}-2@example.com`, password: PASSWORD })).rejects.toThrow();
    const after = await scrape(base);
    const k = key('db_errors_total', { sqlstate_class: '23' });
    expect((after.get(k) ?? 0) - (before.get(k) ?? 0)).toBe(1);
  });

  it('reads each named pool when scraped: connections, in use, waiting and the maximum', async () => {
    const primary = smallPool(2);
    const replica = smallPool(3);
    const metrics = createMetrics({ pools: [{ name: 'primary', pool: primary }], router: appRouter });
    addPool(metrics, 'replica', replica);
    expect(() => addPool(metrics, 'replica', replica)).toThrow(/already reported/);
    const url = await serve({ pool: primary, metrics });
    const held = [await primary.connect(), await primary.connect()];
    const waiting = primary.connect();
    try {
      const m = await scrape(url);
      expect(m.get(key('db_pool_connections', { pool: 'primary' }))).toBe(2);
      expect(m.get(key('db_pool_connections_in_use', { pool: 'primary' }))).toBe(2);
      expect(m.get(key('db_pool_waiting_clients', { pool: 'primary' }))).toBe(1);
      expect(m.get(key('db_pool_max_connections', { pool: 'primary' }))).toBe(2);
      expect(m.get(key('db_pool_waiting_clients', { pool: 'replica' }))).toBe(0);
      expect(m.get(key('db_pool_max_connections', { pool: 'replica' }))).toBe(3);
    } finally {
      for (const client of held) client.release();
      (await waiting).release();
    }
    const m = await scrape(url);
    expect(m.get(key('db_pool_connections_in_use', { pool: 'primary' }))).toBe(0);
    expect(m.get(key('db_pool_waiting_clients', { pool: 'primary' }))).toBe(0);
    expect(m.get(key('db_pool_connections', { pool: 'primary' }))).toBe(2);
  });

  it("has a registry per server: another server's calls are not in it, nor in prom-client's global registry", async () => {
    const other = await serve();
    const before = await scrape(other);
    await createClient(base, { token }).auth.me.query();
    const after = await scrape(other);
    const k = key('trpc_procedure_duration_seconds_count', { procedure: 'auth.me', type: 'query', outcome: 'ok' });
    expect(after.get(k) ?? 0).toBe(before.get(k) ?? 0);
    expect(await globalRegistry.metrics()).not.toContain('trpc_procedure_duration_seconds');
    expect(before.has(key('process_cpu_user_seconds_total'))).toBe(true);
  });
});

describe('observeProcedure (called by the procedures middleware in src/server/trpc.ts)', () => {
  it('records a call by path, type and outcome; unknown paths are "(unknown)"; without metrics it does nothing', async () => {
    const metrics = createMetrics({ pools: [], router: appRouter });
    observeProcedure(metrics, 'auth.me', 'query', 'ok', 0.003);
    observeProcedure(metrics, 'auth.me', 'query', 'UNAUTHORIZED', 0.001);
    observeProcedure(metrics, 'made.up', 'mutation', 'NOT_FOUND', 0.001);
    observeProcedure(undefined, 'auth.me', 'query', 'ok', 1);
    const m = samples(await metrics.registry.metrics());
    expect(m.get(key('trpc_procedure_duration_seconds_count', { procedure: 'auth.me', type: 'query', outcome: 'ok' }))).toBe(1);
    expect(m.get(key('trpc_procedure_duration_seconds_sum', { procedure: 'auth.me', type: 'query', outcome: 'ok' }))).toBeCloseTo(0.003);
    expect(m.get(key('trpc_procedure_duration_seconds_count', { procedure: 'auth.me', type: 'query', outcome: 'UNAUTHORIZED' }))).toBe(1);
    expect(m.get(key('trpc_procedure_duration_seconds_count', { procedure: '(unknown)', type: 'mutation', outcome: 'NOT_FOUND' }))).toBe(1);
  });

  it('once it runs, the HTTP-level stand-in counts only paths that are no procedure, so that no call is counted twice', async () => {
    const metrics = createMetrics({ pools: [{ name: 'primary', pool: app.pool }], router: appRouter });
    const url = await serve({ metrics });
    const client = createClient(url, { token: (await app.newUser()).token });
    const k = key('trpc_procedure_duration_seconds_count', { procedure: 'auth.me', type: 'query', outcome: 'ok' });
    const count = async () => samples(await metrics.registry.metrics()).get(k);
    await client.auth.me.query();
    // Counted once, by the procedures' middleware (src/server/trpc.ts) or else by the HTTP level.
    expect(await count()).toBe(1);
    const byMiddleware = metrics.byProcedure;
    observeProcedure(metrics, 'auth.me', 'query', 'ok', 0.002); // as the middleware does
    expect(await count()).toBe(2);
    await client.auth.me.query();
    // The HTTP level is quiet now: only a middleware that calls observeProcedure counts this call.
    expect(await count()).toBe(byMiddleware ? 3 : 2);
    // Except for paths that are no procedure: no middleware sees them.
    expect((await fetch(`${url}/trpc/no.such.procedure`)).status).toBe(404);
    const unknown = key('trpc_procedure_duration_seconds_count', { procedure: '(unknown)', type: 'unknown', outcome: 'NOT_FOUND' });
    expect(samples(await metrics.registry.metrics()).get(unknown)).toBe(1);
  });
});
