/**
 * The HTTP front: tRPC under /trpc, liveness at /healthz, readiness at /readyz.
 */
import type { AnyRouter } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { migrationNames, pendingMigrations } from '../db/migrate.js';
import { appRouter } from '../routers/_app.js';
import { createContext, requestInfoFromHttp, trustedProxies, type Services } from './context.js';
import { RateLimited } from './rate-limit.js';

export interface HttpOptions extends Services {
  trustedProxies: string;
  /** The router to serve; the app's own unless a test serves another. */
  router?: AnyRouter;
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

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export async function createHttpServer(options: HttpOptions): Promise<http.Server> {
  const proxies = trustedProxies(options.trustedProxies);
  const services: Services = { pool: options.pool, config: options.config, log: options.log, configKey: options.configKey };
  const onDisk = await migrationNames();
  const trpc = createHTTPHandler({
    router: options.router ?? appRouter,
    basePath: '/trpc/',
    createContext: ({ req, res }) => {
      const ctx = createContext(services, requestInfoFromHttp(req, proxies));
      res.setHeader('x-request-id', ctx.request.requestId);
      return ctx;
    },
    responseMeta: ({ errors }) => {
      const limited = errors.find((e) => e.cause instanceof RateLimited);
      return limited?.cause instanceof RateLimited ? { headers: { 'retry-after': String(limited.cause.retryAfterSeconds) } } : {};
    },
    onError: ({ error, path, ctx }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        (ctx?.log ?? options.log).error({ err: error.cause ?? error, path }, 'request failed');
      }
    },
  });
  return http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (url === '/readyz') {
      void readiness(options.pool, onDisk).then((r) =>
        sendJson(res, r.ready ? 200 : 503, r.ready ? { status: 'ready' } : { status: 'not ready', reason: r.reason }),
      );
      return;
    }
    if (url.startsWith('/trpc/')) return trpc(req, res);
    sendJson(res, 404, { error: 'not found' });
  });
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
