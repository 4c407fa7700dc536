/**
 * The request path (DESIGN.md, Performance):
 *  - point select by uuid on one connection, sequential: raw pg with a named prepared
 *    statement (= 1.00), raw pg unnamed, PgTyped's stock run() on a pg client (unnamed), and
 *    our adapter (named) — target >= 0.95;
 *  - a point read through a procedure (transaction, RLS context, query, commit: auth.me via
 *    the server-side caller) against one bare named query — target >= 0.7;
 *  - the same through 32 concurrent callers on a 4-connection pool (pipelined setup).
 */
import pg from 'pg';
import { pgTypedConnection } from '../src/db/connection.js';
import { findUserById } from '../sql/core/users.queries.js';
import { appRouter } from '../src/routers/_app.js';
import { createContext, type Services } from '../src/server/context.js';
import { createCallerFactory } from '../src/server/trpc.js';
import { createPool } from '../src/db/pool.js';
import { compareRates, type BenchDatabase, type Result } from './measure.js';

const POINT_SELECT =
  'select id, username, email, full_name, first_name, last_name, bio, avatar_url, role, status, preferences, last_login_at, created_at, updated_at from core.users where id = $1';

export async function benchRequestPath(db: BenchDatabase, services: Services): Promise<Result[]> {
  const anonymous = createCallerFactory(appRouter)(createContext(services, { clientIp: '127.0.0.1' }));
  const username = `bench${Date.now()}`;
  const user = await anonymous.auth.register({ username, email: `${username}@example.com`, password: 'Bench-Password-1' });
  const { token } = await anonymous.auth.login({ email: `${username}@example.com`, password: 'Bench-Password-1' });

  // Raw comparisons read the row as its owner would see it: inside the request role with the user set.
  const client = new pg.Client({ connectionString: db.ownerUrl });
  await client.connect();
  await client.query(`select set_config('role', 'app_request', false), set_config('app.user_id', $1, false)`, [user.id]);
  const n = 1500;
  const pool = createPool(db.ownerUrl, { DB_POOL_SIZE: 4, DB_POOL_TIMEOUT_MS: 5000, DB_STATEMENT_TIMEOUT_MS: 0 }, services.log);
  // The bare comparison reads as the same user under the same RLS, set once per connection.
  const barePool = createPool(db.ownerUrl, { DB_POOL_SIZE: 4, DB_POOL_TIMEOUT_MS: 5000, DB_STATEMENT_TIMEOUT_MS: 0 }, services.log);
  barePool.on('connect', (c) => void c.query(`select set_config('role', 'app_request', false), set_config('app.user_id', $1, false)`, [user.id]));
  try {
    const ours = pgTypedConnection(client, true);
    const me = createCallerFactory(appRouter)(createContext(services, { token, clientIp: '127.0.0.1' }));
    const concurrent = createCallerFactory(appRouter)(createContext({ ...services, pool }, { token, clientIp: '127.0.0.1' }));
    const sequential = await compareRates(
      [
        { name: 'point select: raw pg, named statement', fn: () => client.query({ name: 'bench_point', text: POINT_SELECT, values: [user.id] }) },
        { name: 'point select: raw pg, unnamed', fn: () => client.query(POINT_SELECT, [user.id]) },
        { name: "point select: PgTyped's stock run() on a pg client (unnamed)", fn: () => findUserById.run({ id: user.id }, client) },
        { name: 'point select: PgTyped through our adapter (target >= 0.95)', fn: () => findUserById.run({ id: user.id }, ours) },
        { name: 'auth.me: procedure, transaction + RLS context (target >= 0.7)', fn: () => me.auth.me() },
      ],
      n,
    );
    // Under load: 32 calls in flight over 4 connections, against the same bare query spread the same way.
    const loaded = await compareRates(
      [
        { name: 'point select: raw pg named, 32 in flight on 4 connections', fn: () => barePool.query({ name: 'bench_point', text: POINT_SELECT, values: [user.id] }), concurrency: 32 },
        { name: 'auth.me: procedure, 32 in flight on 4 connections', fn: () => concurrent.auth.me(), concurrency: 32 },
      ],
      n * 2,
    );
    return [...sequential, ...loaded];
  } finally {
    await pool.end();
    await barePool.end();
    await client.end();
  }
}
