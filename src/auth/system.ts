/**
 * Work done by the system rather than a user (promotion, imports): on the owner's connection,
 * one transaction through core.begin_request (request role, no user) and core.act_as(null,
 * 'admin'), so RLS, the guard triggers and the audit log all apply as they do to requests.
 */
import type pg from 'pg';
import type { IDatabaseConnection } from '@pgtyped/runtime';
import { actAs, beginRequest } from '../../sql/core/request.queries.js';
import { pgTypedConnection } from '../db/connection.js';

/** Runs `work` in one transaction as the system acting as an admin; commits its result, rolls back if it throws. */
export async function asSystem<T>(client: pg.ClientBase, userAgent: string, work: (db: IDatabaseConnection) => Promise<T>): Promise<T> {
  const db = pgTypedConnection(client, false);
  await client.query('begin');
  try {
    await beginRequest.run(
      { tokenHash: null, clientIp: null, userAgent, requestId: null, expectedSessionId: null, expectedRole: null },
      db,
    );
    await actAs.run({ userId: null, userRole: 'admin' }, db);
    const result = await work(db);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback');
    throw err;
  }
}
