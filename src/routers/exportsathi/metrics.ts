import { z } from 'zod';
import { one } from '../../db/errors.js';
import { findMetrics } from '../../../sql/exportsathi/user_metrics.queries.js';
import { authedProcedure, router } from '../../server/trpc.js';

export const metricsRouter = router({
  /** The caller's metrics (admins: any user's), counted by the database; zeros before the first count. */
  get: authedProcedure.input(z.object({ userId: z.uuid().optional() }).default({})).query(async ({ ctx, input }) => {
    const userId = input.userId && ctx.user.role === 'admin' ? input.userId : ctx.user.id;
    return one(await findMetrics.run({ userId }, ctx.db), 'metrics');
  }),
});
