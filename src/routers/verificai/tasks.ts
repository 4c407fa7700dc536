import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { verificaiAnalysisTasksTaskTypeSchema } from '../../db/generated/catalog.js';
import { one } from '../../db/errors.js';
import {
  claimPendingTasks,
  claimSessionTasks,
  completeTask,
  failTask,
  heartbeatTask,
  insertTask,
  listTasks,
  reclaimStaleTasks,
  setTaskProgress,
} from '../../../sql/verificai/analysis_tasks.queries.js';
import { cursorInput, idKey, limitInput, page } from '../../server/cursor.js';
import { adminProcedure, authedProcedure, router } from '../../server/trpc.js';
import { leaseSecondsInput, textInput, workerIdInput } from './inputs.js';

/** A claim's lease unless the worker asks for its own (leaseSeconds on claim, heartbeat and progress). */
export const TASK_LEASE_SECONDS = 300;
/** Expired leases ended per reclaim: a bound on one transaction's work, the rest comes next time. */
const RECLAIM_BATCH = 100;

const leaseInput = z.object({ id: z.uuid(), leaseToken: z.uuid() });

/** The row of a lease-guarded update; none means the caller no longer holds that lease. */
function leased<T>(rows: readonly T[], id: string): T {
  const row = rows[0];
  if (row === undefined) {
    throw new TRPCError({
      code: 'CONFLICT',
      message: `leaseToken: task ${id} is not leased with this token (it was reclaimed, finished, or never claimed so)`,
    });
  }
  return row;
}

// The work queue of componentforge.documents (README "Work queues"): claim with SKIP LOCKED
// under a lease, heartbeat, complete or fail with the lease token, reclaim expired leases.
// Session owners queue tasks; admins are the workers.
export const tasksRouter = router({
  /** Queues a task of one of the caller's sessions under the worker system's taskId (unique), pending; maxAttempts bounds its reclaims. */
  enqueue: authedProcedure
    .input(
      z.object({
        analysisSessionId: z.uuid(),
        taskId: textInput(255),
        taskType: verificaiAnalysisTasksTaskTypeSchema,
        maxAttempts: z.number().int().min(1).max(100).default(3),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      return one(await insertTask.run({ sessionId: input.analysisSessionId, ...input }, ctx.db), 'analysis task');
    }),

  /** A session's tasks newest first, keyset-paginated. */
  list: authedProcedure.input(z.object({ analysisSessionId: z.uuid(), cursor: cursorInput, limit: limitInput })).query(async ({ ctx, input }) => {
    const rows = await listTasks.run({ sessionId: input.analysisSessionId, before: idKey(input.cursor), limit: input.limit }, ctx.db);
    return page(rows, input.limit, (row) => [row.id]);
  }),

  /**
   * Admins (the workers): claim up to `limit` of the oldest pending tasks (of one session when
   * `analysisSessionId` is given: a worker dedicated to a run), moving them to running under a
   * lease for `workerId` (each with its own leaseToken). Concurrent workers never get the same
   * task (SKIP LOCKED). Expired leases are reclaimed first.
   */
  claim: adminProcedure
    .input(
      z.object({
        limit: z.number().int().min(1).max(100).default(10),
        workerId: workerIdInput,
        leaseSeconds: leaseSecondsInput,
        analysisSessionId: z.uuid().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      await reclaimStaleTasks.run({ limit: RECLAIM_BATCH }, ctx.db);
      const params = { limit: input.limit, workerId: input.workerId, leaseSeconds: input.leaseSeconds ?? TASK_LEASE_SECONDS };
      return input.analysisSessionId
        ? claimSessionTasks.run({ ...params, sessionId: input.analysisSessionId }, ctx.db)
        : claimPendingTasks.run(params, ctx.db);
    }),

  /** Admins (workers): renew the lease of a task this worker holds; CONFLICT once it was reclaimed or finished. */
  heartbeat: adminProcedure.input(leaseInput.extend({ leaseSeconds: leaseSecondsInput })).mutation(async ({ ctx, input }) => {
    const leaseSeconds = input.leaseSeconds ?? TASK_LEASE_SECONDS;
    return leased(await heartbeatTask.run({ id: input.id, leaseToken: input.leaseToken, leaseSeconds }, ctx.db), input.id);
  }),

  /** Admins (workers): record progress (0-100, never backwards: BAD_REQUEST) of a task this worker holds; it renews the lease too. */
  progress: adminProcedure
    .input(leaseInput.extend({ progress: z.number().int().min(0).max(100), leaseSeconds: leaseSecondsInput }))
    .mutation(async ({ ctx, input }) => {
      const leaseSeconds = input.leaseSeconds ?? TASK_LEASE_SECONDS;
      return leased(await setTaskProgress.run({ ...input, leaseSeconds }, ctx.db), input.id);
    }),

  /** Admins (workers): a task this worker holds is done (progress 100). */
  complete: adminProcedure.input(leaseInput).mutation(async ({ ctx, input }) => {
    return leased(await completeTask.run(input, ctx.db), input.id);
  }),

  /** Admins (workers): a task this worker holds failed for good; the reason is kept with it. */
  fail: adminProcedure.input(leaseInput.extend({ error: textInput(2000) })).mutation(async ({ ctx, input }) => {
    return leased(await failTask.run(input, ctx.db), input.id);
  }),

  /**
   * Admins (workers, monitoring): end the leases that expired (the worker stopped
   * heart-beating): back to pending with the attempt counted and progress 0, or failed once the
   * task's maxAttempts are used, the reason kept in lastError (and errorMessage when failed).
   * `claim` does this too.
   */
  reclaimStale: adminProcedure
    .input(z.object({ limit: z.number().int().min(1).max(1000).default(RECLAIM_BATCH) }).default({ limit: RECLAIM_BATCH }))
    .mutation(async ({ ctx, input }) => {
      return reclaimStaleTasks.run({ limit: input.limit }, ctx.db);
    }),
});
