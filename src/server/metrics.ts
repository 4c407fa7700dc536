/**
 * /metrics in Prometheus's text format (prom-client), one Registry per server (never the
 * global default: a process may run several servers, as the tests do):
 *   trpc_procedure_duration_seconds{procedure,type,outcome}  histogram; outcome 'ok' or the tRPC error code
 *   db_pool_connections{pool} / db_pool_connections_in_use{pool} / db_pool_waiting_clients{pool} / db_pool_max_connections{pool}
 *   db_errors_total{sqlstate_class}  database errors as src/db/errors.ts mapped them (process-wide)
 *   and prom-client's process and Node.js defaults (CPU, memory, event loop lag, GC).
 * Pools are read when scraped, never polled. Who may scrape: see metricsAccess().
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { AnyRouter } from '@trpc/server';
import type pg from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { databaseErrorsByClass } from '../db/errors.js';

/** A pool to report, by name: `primary`, and replicas as they come. */
export interface NamedPool {
  name: string;
  pool: pg.Pool;
}

export interface Metrics {
  readonly registry: Registry;
  readonly procedureDuration: Histogram<'procedure' | 'type' | 'outcome'>;
  readonly pools: NamedPool[];
  /** The router's procedure paths: any other path is labelled '(unknown)', so clients cannot add series. */
  readonly procedures: ReadonlySet<string> | undefined;
  /** Set by the first observeProcedure(): from then on the HTTP-level stand-in (observeResponse) counts only unknown paths. */
  byProcedure: boolean;
}

/** Seconds: from a named point read (~1 ms) to a statement timeout (10 s by default). */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const UNKNOWN_PROCEDURE = '(unknown)';

export function createMetrics(options: { pools: NamedPool[]; router?: AnyRouter | undefined }): Metrics {
  const registry = new Registry();
  const pools = [...options.pools];
  collectDefaultMetrics({ register: registry });
  const procedureDuration = new Histogram({
    name: 'trpc_procedure_duration_seconds',
    help: 'Time to run a tRPC procedure call (each call of a batch apart), by procedure path, type and outcome (ok or the tRPC error code)',
    labelNames: ['procedure', 'type', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const poolGauge = (name: string, help: string, read: (pool: pg.Pool) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['pool'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const named of pools) this.set({ pool: named.name }, read(named.pool));
      },
    });
  poolGauge('db_pool_connections', 'Connections the pool holds open, idle or in use', (p) => p.totalCount);
  poolGauge('db_pool_connections_in_use', 'Connections checked out of the pool', (p) => p.totalCount - p.idleCount);
  poolGauge('db_pool_waiting_clients', 'Requests waiting for a connection because every one is in use', (p) => p.waitingCount);
  poolGauge('db_pool_max_connections', 'The most connections the pool opens (DB_POOL_SIZE)', (p) => p.options.max ?? 10);
  new Counter({
    name: 'db_errors_total',
    help: 'Database errors since the process started, by SQLSTATE class (first two characters; 08 also for connections that failed before the server answered)',
    labelNames: ['sqlstate_class'] as const,
    registers: [registry],
    collect() {
      // The tally lives where errors are mapped (src/db/errors.ts): copied in at each scrape.
      this.reset();
      for (const [sqlClass, count] of databaseErrorsByClass()) this.inc({ sqlstate_class: sqlClass }, count);
    },
  });
  const procedures = options.router ? new Set(Object.keys(options.router._def.procedures as Record<string, unknown>)) : undefined;
  return { registry, procedureDuration, pools, procedures, byProcedure: false };
}

/** Reports one more pool (a replica), by a name of its own. */
export function addPool(metrics: Metrics, name: string, pool: pg.Pool): void {
  if (metrics.pools.some((p) => p.name === name)) throw new Error(`a pool named ${name} is already reported`);
  metrics.pools.push({ name, pool });
}

function procedureLabel(metrics: Metrics, path: string): string {
  return !metrics.procedures || metrics.procedures.has(path) ? path : UNKNOWN_PROCEDURE;
}

/**
 * Records one procedure call: its path, type (query, mutation, subscription), outcome ('ok' or
 * the tRPC error code) and duration in seconds. A no-op without metrics (createCaller in tests).
 * Called by the transaction middleware of every procedure in src/server/trpc.ts with the time
 * of its transaction (redone ones included) and the outcome's code after mapping.
 */
export function observeProcedure(metrics: Metrics | undefined, path: string, type: string, outcome: string, seconds: number): void {
  if (!metrics) return;
  metrics.byProcedure = true;
  metrics.procedureDuration.observe({ procedure: procedureLabel(metrics, path), type, outcome }, seconds);
}

/**
 * The HTTP-level stand-in while no procedure middleware calls observeProcedure(): each call of
 * an HTTP request (a batch counts each apart) with the outcome tRPC answered it with, timed
 * from the request's arrival to its answer (a batch's calls share that time). Once
 * observeProcedure() has run, it counts only calls of paths that are no procedure (NOT_FOUND,
 * as '(unknown)'): no middleware sees those, and no call is counted twice.
 */
export function observeResponse(
  metrics: Metrics,
  calls: ReadonlyArray<{ path: string }> | undefined,
  type: string,
  data: ReadonlyArray<unknown>,
  seconds: number,
): void {
  if (!calls) return;
  calls.forEach((call, i) => {
    if (metrics.byProcedure && (!metrics.procedures || metrics.procedures.has(call.path))) return;
    const response = data[i] as { error?: { data?: { code?: unknown } } } | undefined;
    if (response === undefined) return; // a streamed answer: its outcome is not known here
    const code = response.error?.data?.code;
    const outcome = response.error ? (typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR') : 'ok';
    metrics.procedureDuration.observe({ procedure: procedureLabel(metrics, call.path), type, outcome }, seconds);
  });
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const bare = address.startsWith('::ffff:') ? address.slice(7) : address;
  return bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/**
 * Who may scrape /metrics. With METRICS_TOKEN set: a request carrying `Authorization: Bearer
 * <that token>`, from anywhere (compared in constant time, as SHA-256 digests of equal length).
 * Without it: only a peer on this machine's loopback whose request no proxy forwarded (a
 * reverse proxy on the same machine connects from loopback too: its X-Forwarded-For or
 * Forwarded header marks the request as someone else's).
 */
export function metricsAccess(req: http.IncomingMessage, token: string | undefined): { allowed: true } | { allowed: false; status: 401 | 403; reason: string } {
  const auth = req.headers.authorization;
  if (token !== undefined) {
    const given = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    if (given && timingSafeEqual(digest(given), digest(token))) return { allowed: true };
    return { allowed: false, status: 401, reason: 'metrics need the bearer token of METRICS_TOKEN' };
  }
  const forwarded = req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined;
  if (isLoopback(req.socket.remoteAddress) && !forwarded) return { allowed: true };
  return { allowed: false, status: 403, reason: 'metrics are served to this machine only (set METRICS_TOKEN to scrape from elsewhere)' };
}

/** GET /metrics: the registry's text, to those metricsAccess() lets in. */
export async function serveMetrics(metrics: Metrics, req: http.IncomingMessage, res: http.ServerResponse, token: string | undefined): Promise<void> {
  const access = metricsAccess(req, token);
  const send = (status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
    res.end(body);
  };
  if (!access.allowed) return send(access.status, `${access.reason}\n`, access.status === 401 ? { 'www-authenticate': 'Bearer' } : {});
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'use GET\n', { allow: 'GET, HEAD' });
  const body = await metrics.registry.metrics();
  res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}
