/**
 * Admins: seed 003's monitoring queries (active connections, slowest statements, table sizes)
 * and index sizes, through the normal request path (one transaction as app_request). What the
 * request role may not read itself (other roles' connections and statement texts) comes from
 * SECURITY DEFINER functions of the role app_monitor (migrations/*_monitoring.sql), which
 * check for an admin again. Process metrics for Prometheus are elsewhere: /metrics (src/server/metrics.ts).
 */
import { z } from 'zod';
import pg from 'pg';
import { ruleError } from '../../db/errors.js';
import {
  countServerConnections,
  listConnections,
  listIndexSizes,
  listSlowestStatements,
  listTableSizes,
} from '../../../sql/core/monitoring.queries.js';
import { adminProcedure, router } from '../../server/trpc.js';

const STATEMENTS_DEFAULT = 10;
const SIZES_DEFAULT = 50;

const topInput = (max: number, fallback: number) =>
  z.object({ limit: z.number().int().min(1).max(max).default(fallback) }).default({ limit: fallback });

/**
 * A statistic the server cannot give yet: pg_stat_statements missing or not loaded, or
 * app_monitor without pg_read_all_stats. The functions say so with SQLSTATE 55000 in words
 * that name what to run; that is PRECONDITION_FAILED, the server's set-up, not the request.
 */
async function statistics<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof pg.DatabaseError && err.code === '55000' && err.routine === 'exec_stmt_raise') {
      throw ruleError('PRECONDITION_FAILED', err.message);
    }
    throw err;
  }
}

export const monitoringRouter = router({
  /**
   * This database's client connections by state, role and application (seed 003's "active
   * connections"), their total, and the whole server's against max_connections. Sent together.
   */
  connections: adminProcedure.query(async ({ ctx }) => {
    const [groups, [server]] = await statistics(() => Promise.all([listConnections.run(undefined, ctx.db), countServerConnections.run(undefined, ctx.db)]));
    return {
      databaseConnections: groups.reduce((sum, g) => sum + g.connections, 0),
      serverConnections: server!.serverConnections,
      maxConnections: server!.maxConnections,
      groups,
    };
  }),

  /**
   * This database's statements with the highest mean execution time (seed 003's "slow
   * queries", pg_stat_statements); times in milliseconds, counters as exact strings (bigint).
   * PRECONDITION_FAILED, saying what to do, when the server does not collect them.
   */
  slowestStatements: adminProcedure.input(topInput(100, STATEMENTS_DEFAULT)).query(async ({ ctx, input }) => {
    return statistics(() => listSlowestStatements.run({ limit: input.limit }, ctx.db));
  }),

  /** The application schemas' tables, largest first (seed 003's "table sizes"), bytes as exact strings. */
  tableSizes: adminProcedure.input(topInput(500, SIZES_DEFAULT)).query(async ({ ctx, input }) => {
    return listTableSizes.run({ limit: input.limit }, ctx.db);
  }),

  /** The application schemas' indexes, largest first, with their scans (an unscanned large index may be dropped). */
  indexSizes: adminProcedure.input(topInput(500, SIZES_DEFAULT)).query(async ({ ctx, input }) => {
    return listIndexSizes.run({ limit: input.limit }, ctx.db);
  }),
});
