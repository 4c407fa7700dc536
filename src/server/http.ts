/**
 * The HTTP front: tRPC under /trpc, REST under /api (described at /openapi.json), liveness at
 * /healthz, readiness at /readyz.
 *
 * Request bodies are limited (HTTP_BODY_LIMIT_BYTES): a declared Content-Length over the limit
 * is refused with 413 before any of the body is read, and a body sent without one is counted
 * as it streams and refused the moment it passes the limit. Either way the connection is then
 * closed, so the client stops sending and the server never holds more than the limit.
 */
import { TRPCError, type AnyRouter } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import type { Config } from '../config.js';
import { migrationNames, pendingMigrations } from '../db/migrate.js';
import type { ReplicaSet } from '../db/replicas.js';
import { appRouter } from '../routers/_app.js';
import { createContext, requestInfoFromHttp, trustedProxies, type Services } from './context.js';
import { createMetrics, observeResponse, serveMetrics, type Metrics } from './metrics.js';
import { API_PREFIX, createRestHandler, openApiDocument } from './openapi.js';
import { retryAfterSeconds, UNAVAILABLE_RETRY_AFTER_SECONDS } from './trpc.js';

/** The default of HTTP_BODY_LIMIT_BYTES (src/config.ts), for servers built without it. */
const DEFAULT_BODY_LIMIT_BYTES = 32 * 1024 * 1024;

export interface HttpOptions extends Services {
  config: Services['config'] & Partial<Pick<Config, 'HTTP_BODY_LIMIT_BYTES' | 'METRICS_TOKEN'>>;
  trustedProxies: string;
  /** The router to serve; the app's own unless a test serves another. */
  router?: AnyRouter;
  /** What /metrics reports; by default a registry of this server's own with its pool as `primary` (and each replica's). */
  metrics?: Metrics;
  /** Read replicas (src/db/replicas.ts): query procedures may run on them; /readyz and /metrics report each. */
  replicaSet?: ReplicaSet | undefined;
}

const READY_TIMEOUT_MS = 1000;

/** Ready when the database answers within a second and no migration is pending. */
async function readiness(pool: pg.Pool, onDisk: string[]): Promise<{ ready: boolean; reason?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the database did not answer within 1 s')), READY_TIMEOUT_MS);
  });
  try {
    const pending = await Promise.race([pendingMigrations(pool, onDisk), timeout]);
    return pending.length ? { ready: false, reason: `pending migrations: ${pending.join(', ')}` } : { ready: true };
  } catch (err) {
    return { ready: false, reason: err instanceof Error && err.message.includes('1 s') ? err.message : 'the database is unreachable' };
  } finally {
    clearTimeout(timer);
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

/** The declared body size, when the request declares one. */
function declaredLength(req: http.IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  return header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined;
}

export async function createHttpServer(options: HttpOptions): Promise<http.Server> {
  const proxies = trustedProxies(options.trustedProxies);
  const pools = [{ name: 'primary', pool: options.pool }, ...(options.replicaSet?.pools ?? [])];
  const metrics = options.metrics ?? createMetrics({ pools, router: options.router ?? appRouter });
  const services: Services = { pool: options.pool, config: options.config, log: options.log, configKey: options.configKey, metrics, replicas: options.replicaSet ?? options.replicas };
  // When each request arrived, for the HTTP-level procedure timing (observeResponse in metrics.ts).
  const arrivals = new WeakMap<object, number>();
  const onDisk = await migrationNames();
  const bodyLimit = options.config.HTTP_BODY_LIMIT_BYTES ?? DEFAULT_BODY_LIMIT_BYTES;
  const tooLarge = `The request body is larger than the limit of ${bodyLimit} bytes`;
  const declaredTooLarge = (req: http.IncomingMessage) => (declaredLength(req) ?? 0) > bodyLimit;
  const trpc = createHTTPHandler({
    router: options.router ?? appRouter,
    basePath: '/trpc/',
    // A body without Content-Length (chunked) is counted as it streams; tRPC answers
    // PAYLOAD_TOO_LARGE as soon as it passes the limit.
    maxBodySize: bodyLimit,
    // A declared Content-Length over the limit is refused before any of the body is read:
    // every call of the request fails with PAYLOAD_TOO_LARGE, through the error formatter.
    middleware: (req, _res, next) => {
      next(declaredTooLarge(req) ? new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message: tooLarge }) : undefined);
    },
    createContext: ({ req, res }) => {
      const ctx = createContext(services, requestInfoFromHttp(req, proxies));
      arrivals.set(ctx.request, performance.now());
      res.setHeader('x-request-id', ctx.request.requestId);
      return ctx;
    },
    responseMeta: ({ errors, ctx, info, data, eagerGeneration }) => {
      const arrived = ctx && arrivals.get(ctx.request);
      if (arrived !== undefined && !eagerGeneration) observeResponse(metrics, info?.calls, info?.type ?? 'unknown', data, (performance.now() - arrived) / 1000);
      const headers: Record<string, string> = {};
      const retryAfter = Math.max(0, ...errors.map((e) => retryAfterSeconds(e) ?? 0));
      if (retryAfter > 0) headers['retry-after'] = String(retryAfter);
      // The rest of an oversized body is not wanted: closing the connection stops the client.
      if (errors.some((e) => e.code === 'PAYLOAD_TOO_LARGE')) headers.connection = 'close';
      // Where the primary's WAL stood after this request's mutation committed: the client sends
      // it back (x-min-lsn) so that its next reads see its writes on a replica.
      if (ctx?.request.commitLsn) headers['x-commit-lsn'] = ctx.request.commitLsn;
      return { headers };
    },
    onError: ({ error, path, ctx }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        (ctx?.log ?? options.log).error({ err: error.cause ?? error, path }, 'request failed');
      }
    },
  });
  // The REST surface (src/server/openapi.ts): the same procedures, context and body limit.
  const rest = createRestHandler({
    router: options.router ?? appRouter,
    createContext: (req) => createContext(services, requestInfoFromHttp(req, proxies)),
    bodyLimit,
    log: options.log,
  });
  const openapi = openApiDocument(options.router ?? appRouter);
  // Responses not yet answered, and whether the server was told to stop (see server.close below).
  const unanswered = new Set<http.ServerResponse>();
  let closing = false;
  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (closing) res.shouldKeepAlive = false;
    unanswered.add(res);
    res.once('close', () => unanswered.delete(res));
    const url = req.url ?? '/';
    if (url.startsWith('/trpc/')) return trpc(req, res);
    if (url.startsWith(`${API_PREFIX}/`)) return rest(req, res);
    // Nothing else reads a body: one that was sent anyway is not waited for (the connection closes).
    const unwanted: Record<string, string> = req.headers['transfer-encoding'] || declaredLength(req) ? { connection: 'close' } : {};
    if (declaredTooLarge(req)) return sendJson(res, 413, { error: tooLarge }, unwanted);
    if (url === '/healthz') return sendJson(res, 200, { status: 'ok' }, unwanted);
    if (url === '/metrics') {
      void serveMetrics(metrics, req, res, options.config.METRICS_TOKEN).catch((err: unknown) => {
        options.log.error({ err }, 'metrics failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'metrics failed' }, unwanted);
      });
      return;
    }
    if (url === '/openapi.json') return sendJson(res, 200, openapi, unwanted);
    if (url === '/readyz') {
      void readiness(options.pool, onDisk).then((r) => {
        // Each replica as its last background poll found it (no query here). Readiness is the
        // primary's alone: without replicas, reads go to the primary.
        const replicas = options.replicaSet ? { replicas: options.replicaSet.status().replicas } : {};
        if (r.ready) sendJson(res, 200, { status: 'ready', ...replicas }, unwanted);
        else sendJson(res, 503, { status: 'not ready', reason: r.reason, ...replicas }, { ...unwanted, 'retry-after': String(UNAVAILABLE_RETRY_AFTER_SECONDS) });
      });
      return;
    }
    sendJson(res, 404, { error: 'not found' }, unwanted);
  };
  const server = http.createServer(handle);
  // Draining (src/cli/start.ts: close, then wait): the requests still running are answered with
  // `Connection: close`, and so is any request that still arrives on a kept-alive connection.
  // Otherwise a keep-alive client goes on sending requests here, and close() waits for its
  // connection until the shutdown's deadline cuts it, with a request in flight.
  const close = server.close.bind(server);
  server.close = (callback?: (err?: Error) => void) => {
    closing = true;
    for (const res of unanswered) if (!res.headersSent) res.shouldKeepAlive = false;
    return close(callback);
  };
  // `Expect: 100-continue` (curl sends it for large bodies): a body over the limit is refused
  // before the client is told to send it.
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!declaredTooLarge(req)) res.writeContinue();
    handle(req, res);
  });
  return server;
}

export function listen(server: http.Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      resolve(`http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`);
    });
  });
}
