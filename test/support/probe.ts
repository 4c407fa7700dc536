/**
 * Test-only procedures that run raw SQL through the real transaction wrapper, to observe
 * what a procedure sees (role, settings, RLS) without adding such procedures to the app.
 */
import { z } from 'zod';
import { adminProcedure, authedProcedure, publicProcedure, router } from '../../src/server/trpc.js';

const sqlInput = z.object({ text: z.string(), values: z.array(z.unknown()).default([]) });

export const probeRouter = router({
  /** Runs statements in order in one procedure (one transaction); returns each one's rows. */
  sql: publicProcedure.input(z.array(sqlInput)).mutation(async ({ ctx, input }) => {
    const results: Record<string, unknown>[][] = [];
    for (const statement of input) results.push((await ctx.db.query(statement.text, statement.values)).rows);
    return results;
  }),
  /** The same as a query procedure: a READ ONLY transaction. */
  sqlQuery: publicProcedure.input(z.array(sqlInput)).query(async ({ ctx, input }) => {
    const results: Record<string, unknown>[][] = [];
    for (const statement of input) results.push((await ctx.db.query(statement.text, statement.values)).rows);
    return results;
  }),
  /** Runs statements, then fails with an error that is not a TRPCError. */
  sqlThenThrow: publicProcedure.input(z.array(sqlInput)).mutation(async ({ ctx, input }) => {
    for (const statement of input) await ctx.db.query(statement.text, statement.values);
    throw new Error('secret internal detail: select * from core.users');
  }),
  /** What the procedure knows about the caller. */
  whoami: publicProcedure.query(({ ctx }) => ctx.user),
  signedIn: authedProcedure.query(({ ctx }) => ctx.user.id),
  adminOnly: adminProcedure.query(({ ctx }) => ctx.user.id),
  /** Mutations that mark the caller's profile, to see that a refused one never ran. */
  signedInWrite: authedProcedure.mutation(async ({ ctx }) => {
    await ctx.db.query(`update core.users set bio = 'signedInWrite' where id = $1`, [ctx.user.id]);
    return ctx.user.id;
  }),
  adminWrite: adminProcedure.mutation(async ({ ctx }) => {
    await ctx.db.query(`update core.users set bio = 'adminWrite' where id = $1`, [ctx.user.id]);
    return ctx.user.id;
  }),
});

/** The rows of a single statement run as the caller. */
export async function rowsAs<T = Record<string, unknown>>(
  caller: { sql(input: Array<{ text: string; values?: unknown[] }>): Promise<Record<string, unknown>[][]> },
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const [rows] = await caller.sql([{ text, values }]);
  return rows as T[];
}
