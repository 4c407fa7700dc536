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
import type { Services } from '../src/server/context.js';
import { createPool } from '../src/db/pool.js';
import { compareRates, type BenchDatabase, type Result } from './measure.js';
import { POINT_SELECT, caller, closeRawPool, newUser, userSessionPool } from './support.js';


export async function benchRequestPath(db: BenchDatabase, services: Services): Promise<Result[]> {
  const { id: userId, token } = await newUser(services);

  // Raw comparisons read the row as its owner would see it: inside the request role with the user set.
  const client = new pg.Client({ connectionString: db.ownerUrl });
  await client.connect();
  await client.query(`select set_config('role', 'app_request', false), set_config('app.user_id', $1, false)`, [userId]);
  const n = 1500;
  const pool = createPool(db.ownerUrl, { DB_POOL_SIZE: 4, DB_POOL_TIMEOUT_MS: 5000, DB_STATEMENT_TIMEOUT_MS: 0 }, services.log);
  const barePool = userSessionPool(db.ownerUrl, userId, 4);
  try {
    const ours = pgTypedConnection(client, true);
    const me = caller(services, token);
    const concurrent = caller({ ...services, pool }, token);
    const sequential = await compareRates(
      [
        { name: 'point select: raw pg, named statement', fn: () => client.query({ name: 'bench_point', text: POINT_SELECT, values: [userId] }) },
        { name: 'point select: raw pg, unnamed', fn: () => client.query(POINT_SELECT, [userId]) },
        { name: "point select: PgTyped's stock run() on a pg client (unnamed)", fn: () => findUserById.run({ id: userId }, client) },
        { name: 'point select: PgTyped through our adapter (target >= 0.95)', fn: () => findUserById.run({ id: userId }, ours) },
        { name: 'auth.me: procedure, transaction + RLS context (target >= 0.7)', fn: () => me.auth.me() },
      ],
      n,
    );
    // Under load: 32 calls in flight over 4 connections, against the same bare query spread the same way.
    const loaded = await compareRates(
      [
        { name: 'point select: raw pg named, 32 in flight on 4 connections', fn: () => barePool.query({ name: 'bench_point', text: POINT_SELECT, values: [userId] }), concurrency: 32 },
        { name: 'auth.me: procedure, 32 in flight on 4 connections', fn: () => concurrent.auth.me(), concurrency: 32 },
      ],
      n * 2,
    );
    return [...sequential, ...loaded];
  } finally {
    await pool.end();
    await closeRawPool(barePool);
    await client.end();
  }
}
