/**
 * The HTTP path (DESIGN.md, Performance), all on loopback, 16 requests in flight on keep-alive
 * connections:
 *  - raw node:http + pg (one named query)                          = 1.00 for the batched row
 *  - tRPC standalone + one hand-written pg query (no transaction)  = 1.00 for our procedure
 *  - our server: auth.me (transaction, RLS context, named query)    target >= 0.9 of tRPC + pg
 *  - our server: 10 auth.me calls per batched request, in calls/s   target >= 0.75 of raw
 */
import { initTRPC } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import superjson from 'superjson';
import { createPool } from '../src/db/pool.js';
import type { Services } from '../src/server/context.js';
import { createHttpServer } from '../src/server/http.js';
import { compareRates, type BenchDatabase, type Result } from './measure.js';
import { POINT_SELECT, closeRawPool, newUser, userSessionPool } from './support.js';


function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function get(url: string, headers: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode} from ${url}`))));
      })
      .on('error', reject);
  });
}

export async function benchHttp(db: BenchDatabase, services: Services): Promise<Result[]> {
  const { id: userId, token } = await newUser(services);

  const barePool = userSessionPool(db.ownerUrl, userId, 8);
  const ourPool = createPool(db.ownerUrl, { DB_POOL_SIZE: 8, DB_POOL_TIMEOUT_MS: 5000, DB_STATEMENT_TIMEOUT_MS: 0 }, services.log);

  const raw = http.createServer(async (req, res) => {
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
    const auth = { authorization: `Bearer ${token}` };
    const batch = `${ourUrl}/trpc/${Array(10).fill('auth.me').join(',')}?batch=1&input=%7B%7D`;
    const n = 1000;
    const single = await compareRates(
      [
        { name: 'tRPC standalone + one hand-written pg query', fn: () => get(`${plainUrl}/trpc/userById`), concurrency: 16 },
        { name: 'our auth.me over HTTP (target >= 0.9)', fn: () => get(`${ourUrl}/trpc/auth.me`, auth), concurrency: 16 },
      ],
      n,
      5,
    );
    const batched = await compareRates(
      [
        { name: 'raw node:http + pg, calls/s', fn: () => get(rawUrl!), concurrency: 16 },
        { name: 'our auth.me, batches of 10', fn: () => get(batch, auth), concurrency: 16 },
      ],
      n,
      5,
    );
    const [rawRow, batchRow] = batched as [Result, Result];
    const callsPerSecond = { ...batchRow, name: 'our auth.me, batches of 10, calls/s (target >= 0.75)', value: batchRow.value * 10 };
    return [...single, rawRow, callsPerSecond];
  } finally {
    agent.destroy();
    await Promise.all(servers.map((s) => new Promise((resolve) => { s.closeAllConnections(); s.close(resolve); })));
    await closeRawPool(barePool);
    await ourPool.end();
  }
}
