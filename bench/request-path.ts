/**
 * The request path (DESIGN.md, Performance), against a bare named point query (a user's row by
 * id) on connections that act as that user once, for good:
 *  - auth.me through the server-side caller, sequential            target >= 0.80
 *    (beside its two statements in one Envelope without tRPC: what no tRPC work can beat)
 *  - the same, 32 calls in flight on 4 connections                  target >= 0.45
 *  - the generated point select through our adapter, 4 in flight on 4 connections, beside
 *    Drizzle's prepared statement and PgTyped's stock run()         target >= 0.95
 *  - a one-row mutation (socrates.projects.create, 32 in flight) against a raw autocommit INSERT
 */
import { initTRPC } from '@trpc/server';
import { eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { jsonb, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { hashToken } from '../src/auth/tokens.js';
import { envelopeConnection, pgTypedConnection } from '../src/db/connection.js';
import { Envelope } from '../src/db/envelope.js';
import { createPool } from '../src/db/pool.js';
import type { Services } from '../src/server/context.js';
import { startRequest } from '../sql/core/request.queries.js';
import { findUserById } from '../sql/core/users.queries.js';
import { compareRates, type BenchDatabase, type Result } from './measure.js';
import { POINT_SELECT, caller, closeRawPool, newUser, userSessionPool } from './support.js';

/** core.users as Drizzle declares it: the same columns as POINT_SELECT and findUserById. */
const users = pgSchema('core').table('users', {
  id: uuid('id').primaryKey(),
  username: text('username'),
  email: text('email').notNull(),
  fullName: text('full_name'),
  firstName: text('first_name'),
  lastName: text('last_name'),
  bio: text('bio'),
  avatarUrl: text('avatar_url'),
  role: text('role').notNull(),
  status: text('status').notNull(),
  preferences: jsonb('preferences').notNull(),
  lastLoginAt: timestamp('last_login_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
});

export async function benchRequestPath(db: BenchDatabase, services: Services): Promise<Result[]> {
  const { id: userId, token } = await newUser(services);

  // The bare query reads the row as its owner would: in the request role with the user set.
  const client = new pg.Client({ connectionString: db.ownerUrl });
  await client.connect();
  await client.query(`select set_config('role', 'app_request', false), set_config('app.user_id', $1, false)`, [userId]);
  const floorClient = new pg.Client({ connectionString: db.ownerUrl });
  await floorClient.connect();
  const n = 1500;
  const pool = createPool(db.ownerUrl, { DB_POOL_SIZE: 4, DB_POOL_TIMEOUT_MS: 5000, DB_STATEMENT_TIMEOUT_MS: 0 }, services.log);
  const barePool = userSessionPool(db.ownerUrl, userId, 4);
  const adapterPool = userSessionPool(db.ownerUrl, userId, 4, false);
  try {
    const me = caller(services, token);
    // One context per call, as HTTP makes one per request (calls on one context that start
    // together would share a read connection, like a batch).
    const concurrent = () => caller({ ...services, pool }, token);
    // The same statements a query procedure sends, without tRPC: the floor of this design.
    const setupParams = { tokenHash: hashToken(token), clientIp: '127.0.0.1', userAgent: 'bench', requestId: 'bench', readOnly: true, expectedSessionId: null, expectedRole: null };
    const envelopeOnly = async () => {
      const envelope = new Envelope({ namedStatements: true, idleTimeoutMs: 0 });
      envelope.start(floorClient);
      const statements = [startRequest.run(setupParams, envelopeConnection(envelope)), findUserById.run({ id: userId }, envelopeConnection(envelope))];
      await Promise.all([...statements, envelope.end()]);
    };
    // ... and inside a bare tRPC procedure (no middleware, no context): what tRPC itself costs.
    const bare = initTRPC.create();
    const bareCaller = bare.createCallerFactory(bare.router({ me: bare.procedure.query(envelopeOnly) }))({});
    const sequential = await compareRates(
      [
        { name: 'point select: raw pg, named statement', fn: () => client.query({ name: 'bench_point', text: POINT_SELECT, values: [userId] }) },
        { name: 'auth.me: procedure (setup + query, one round trip) (target >= 0.80)', fn: () => me.auth.me() },
        { name: "auth.me's two statements in one Envelope, no tRPC (this design's floor)", fn: envelopeOnly },
        { name: 'the same in a bare tRPC procedure (createCaller, no middleware)', fn: () => bareCaller.me() },
      ],
      n,
    );
    const loaded = await compareRates(
      [
        { name: 'point select: raw pg named, 32 in flight on 4 connections', fn: () => barePool.query({ name: 'bench_point', text: POINT_SELECT, values: [userId] }), concurrency: 32 },
        { name: 'auth.me: procedure, 32 in flight on 4 connections (target >= 0.45)', fn: () => concurrent().auth.me(), concurrency: 32 },
      ],
      n * 2,
    );
    // Our adapter on a checked-out client, as the CLIs use it (pool.query checks one out too).
    const viaAdapter = async () => {
      const client = await adapterPool.connect();
      try {
        return await findUserById.run({ id: userId }, pgTypedConnection(client, true));
      } finally {
        client.release();
      }
    };
    const prepared = drizzle(barePool).select().from(users).where(eq(users.id, sql.placeholder('id'))).prepare('bench_drizzle_point');
    const adapter = await compareRates(
      [
        { name: 'point select: raw pg named, 4 in flight on 4 connections', fn: () => barePool.query({ name: 'bench_point', text: POINT_SELECT, values: [userId] }), concurrency: 4 },
        { name: 'point select: PgTyped through our adapter (target >= 0.95)', fn: viaAdapter, concurrency: 4 },
        { name: 'point select: Drizzle prepared statement', fn: () => prepared.execute({ id: userId }), concurrency: 4 },
        { name: "point select: PgTyped's stock run() (unnamed)", fn: () => findUserById.run({ id: userId }, barePool), concurrency: 4 },
      ],
      n * 2,
    );
    // A one-row mutation: BEGIN block, setup, insert (its audit row by trigger), durable COMMIT.
    let k = 0;
    const writes = await compareRates(
      [
        {
          name: 'insert a SOCRATES project: raw pg, autocommit, 32 in flight on 4 connections',
          fn: () => barePool.query({ name: 'bench_insert', text: `insert into socrates.projects (owner_id, name) values ($1, $2)`, values: [userId, `raw ${k++}`] }),
          concurrency: 32,
        },
        { name: 'socrates.projects.create: procedure, 32 in flight on 4 connections', fn: () => concurrent().socrates.projects.create({ name: `ours ${k++}` }), concurrency: 32 },
      ],
      500,
      3,
    );
    return [...sequential, ...loaded, ...adapter, ...writes];
  } finally {
    await pool.end();
    await closeRawPool(barePool);
    await closeRawPool(adapterPool);
    await client.end();
    await floorClient.end();
  }
}
