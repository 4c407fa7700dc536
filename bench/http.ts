/**
 * The HTTP path, loaded by autocannon in a process of its own (32 connections, keep-alive), all
 * on loopback, servers in this process:
 *  - tRPC v11 standalone + one hand-written pg query (superjson, the query on a pool whose
 *    connections act as the user once, for good)                      = 1.00 for `auth.me`
 *  - our server: auth.me (setup + query in one round trip)             target >= 0.90
 *  - raw node:http + pg, the same query, calls/s                        = 1.00 for the batch rows
 *  - our server: batches of 10 auth.me, calls/s                         target >= 0.75
 *  - tRPC standalone batches of 10 of the hand-written query, calls/s   (reference)
 * Every server gets an 8-connection pool.
 */
import { initTRPC } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import superjson from 'superjson';
import { createPool } from '../src/db/pool.js';
import type { Services } from '../src/server/context.js';
import { createHttpServer } from '../src/server/http.js';
import { interleavedMedians, type BenchDatabase, type Result } from './measure.js';
import { POINT_SELECT, closeRawPool, newUser, userSessionPool } from './support.js';

const AUTOCANNON = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../node_modules/autocannon/autocannon.js');
const CONNECTIONS = 32;
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 3);
const POOL_SIZE = 8;

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

interface Load {
  name: string;
  url: string;
  headers?: string[];
  /** Procedure calls per HTTP request (batches). */
  callsPerRequest?: number;
}

/** Requests per second autocannon sustained against `url`; fails on any non-2xx answer or error. */
async function cannon(load: Load, seconds: number): Promise<number> {
  const args = [AUTOCANNON, '-c', String(CONNECTIONS), '-d', String(seconds), '-j', ...(load.headers ?? []).flatMap((h) => ['-H', h]), load.url];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
  const result = JSON.parse(stdout) as { requests: { average: number }; non2xx: number; errors: number; timeouts: number };
  if (result.non2xx || result.errors || result.timeouts) {
    throw new Error(`${load.name}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return result.requests.average * (load.callsPerRequest ?? 1);
}

/** Interleaved rounds (the order rotates), a short warm-up first; the median of each. */
async function compareLoads(loads: Load[]): Promise<number[]> {
  for (const load of loads) await cannon(load, 1);
  return interleavedMedians(loads.length, ROUNDS, (i) => cannon(loads[i]!, SECONDS));
}

export async function benchHttp(db: BenchDatabase, services: Services): Promise<Result[]> {
  const { id: userId, token } = await newUser(services);

  const barePool = userSessionPool(db.ownerUrl, userId, POOL_SIZE);
  const ourPool = createPool(db.ownerUrl, { DB_POOL_SIZE: POOL_SIZE, DB_POOL_TIMEOUT_MS: 5000, DB_STATEMENT_TIMEOUT_MS: 0 }, services.log);

  const raw = http.createServer(async (_req, res) => {
    const { rows } = await barePool.query({ name: 'bench_http_point', text: POINT_SELECT, values: [userId] });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(rows[0]));
  });

  const t = initTRPC.create({ transformer: superjson });
  const plainRouter = t.router({
    userById: t.procedure.query(async () => (await barePool.query({ name: 'bench_http_point', text: POINT_SELECT, values: [userId] })).rows[0]),
  });
  const plainHandler = createHTTPHandler({ router: plainRouter, basePath: '/trpc/' });
  const plain = http.createServer((req, res) => plainHandler(req, res));

  const ours = await createHttpServer({ ...services, pool: ourPool, trustedProxies: '' });
  const servers = [raw, plain, ours];
  try {
    const [rawUrl, plainUrl, ourUrl] = await Promise.all(servers.map(listen));
    const auth = [`authorization=Bearer ${token}`];
    const batchOf = (name: string) => `${Array(10).fill(name).join(',')}?batch=1&input=%7B%7D`;
    const loads: Load[] = [
      { name: 'tRPC standalone + one hand-written pg query', url: `${plainUrl}/trpc/userById` },
      { name: 'our auth.me (target >= 0.90)', url: `${ourUrl}/trpc/auth.me`, headers: auth },
      { name: 'raw node:http + pg, calls/s', url: rawUrl! },
      { name: 'our auth.me, batches of 10, calls/s (target >= 0.75)', url: `${ourUrl}/trpc/${batchOf('auth.me')}`, headers: auth, callsPerRequest: 10 },
      { name: 'tRPC standalone batches of 10, calls/s (reference)', url: `${plainUrl}/trpc/${batchOf('userById')}`, callsPerRequest: 10 },
    ];
    const [plainRate, ourRate, rawRate, ourBatch, plainBatch] = await compareLoads(loads);
    const unit = 'req/s';
    return [
      { name: loads[0]!.name, value: plainRate!, unit, baseline: plainRate },
      { name: loads[1]!.name, value: ourRate!, unit, baseline: plainRate },
      { name: loads[2]!.name, value: rawRate!, unit: 'call/s', baseline: rawRate },
      { name: loads[3]!.name, value: ourBatch!, unit: 'call/s', baseline: rawRate },
      { name: loads[4]!.name, value: plainBatch!, unit: 'call/s', baseline: rawRate },
    ];
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => { s.closeAllConnections(); s.close(resolve); })));
    await closeRawPool(barePool);
    await ourPool.end();
  }
}
