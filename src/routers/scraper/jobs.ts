import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { scraperScrapingJobsJobTypeSchema, scraperScrapingJobsStatusSchema } from '../../db/generated/catalog.js';
import { one } from '../../db/errors.js';
import { recordAccess } from '../../../sql/scraper/access_audit.queries.js';
import { exportJobArtifacts } from '../../../sql/scraper/artifacts.queries.js';
import { deleteJobConfiguration, listJobConfigurations, setJobConfiguration } from '../../../sql/scraper/job_configurations.queries.js';
import {
  cancelJob,
  claimPendingJobs,
  claimUserJobs,
  completeJob,
  deleteJob,
  failJob,
  findJob,
  heartbeatJob,
  insertJob,
  listUserJobs,
  listUserJobsByKeyword,
  listUserJobsByStatus,
  listUserJobsByType,
  reclaimStaleJobs,
  reportJobProgress,
} from '../../../sql/scraper/scraping_jobs.queries.js';
import { cursorInput, idKey, limitInput, page } from '../../server/cursor.js';
import { adminProcedure, authedProcedure, rateLimitedProcedure, router } from '../../server/trpc.js';
import { idInput, keywordInput, leaseSecondsInput, perUserLimit, textInput, workerIdInput } from './inputs.js';

/** A claim's lease unless the worker asks for its own (leaseSeconds on claim, heartbeat and progress). */
export const JOB_LEASE_SECONDS = 300;
/** Expired leases ended per reclaim: a bound on one transaction's work, the rest comes next time. */
const RECLAIM_BATCH = 100;
/** Job creations per user per minute while core.system_configurations has no `scraper.rate_limit.jobs_create_per_minute`. */
export const JOBS_CREATE_PER_MINUTE = 30;
/** A job's settings returned by configure.get: more than any job needs. */
const MAX_JOB_SETTINGS = 1000;

const isAdmin = (user: { role: string }) => user.role === 'admin';

/** Job creation: counted per user before its transaction, then signed-in callers only (authedProcedure's check). */
const createJobProcedure = rateLimitedProcedure(perUserLimit('scraper.jobs.create', 'scraper.rate_limit.jobs_create_per_minute', JOBS_CREATE_PER_MINUTE), 'user');

const leaseInput = z.object({ id: z.uuid(), leaseToken: z.uuid() });

/** The row of a lease-guarded update; none means the caller no longer holds that lease. */
function leased<T>(rows: readonly T[], id: string): T {
  const row = rows[0];
  if (row === undefined) {
    throw new TRPCError({
      code: 'CONFLICT',
      message: `leaseToken: job ${id} is not leased with this token (it was reclaimed, finished, or never claimed so)`,
    });
  }
  return row;
}

const configureRouter = router({
  /** Creates or replaces one setting of a job of the caller's (configKey unique per job); a null value keeps the key without a value. */
  set: authedProcedure
    .input(
      z.object({
        jobId: z.uuid(),
        configKey: z.string().regex(/^[a-z][a-z0-9_.-]{0,99}$/, 'must be 1-100 characters of a-z, 0-9, _ . -, starting with a letter'),
        configValue: z.string().max(10_000).nullable(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      return one(await setJobConfiguration.run(input, ctx.db), 'job setting');
    }),

  /** A job's settings in key order (the owner's; admins: any job's). */
  get: authedProcedure.input(z.object({ jobId: z.uuid() })).query(async ({ ctx, input }) => {
    one(await findJob.run({ id: input.jobId }, ctx.db), 'scraping job', input.jobId);
    return listJobConfigurations.run({ jobId: input.jobId, limit: MAX_JOB_SETTINGS }, ctx.db);
  }),

  /** Removes one setting of a job of the caller's. */
  unset: authedProcedure.input(z.object({ jobId: z.uuid(), configKey: z.string().min(1).max(100) })).mutation(async ({ ctx, input }) => {
    return one(await deleteJobConfiguration.run(input, ctx.db), 'job setting', input.configKey);
  }),
});

// The work queue of componentforge.documents (README "Work queues"): claim with SKIP LOCKED
// under a lease, heartbeat, progress, complete or fail with the lease token, reclaim expired
// leases. Users create jobs; admins are the workers.
export const jobsRouter = router({
  /** Creates a pending job for the caller. Limited per user (TOO_MANY_REQUESTS with retryAfterSeconds). */
  create: createJobProcedure
    .meta({ openapi: { method: 'POST', path: '/scraper/jobs', tags: ['scraper'], summary: 'Create a pending scraping job (limited per user)' } })
    .input(
      z.object({
        jobType: scraperScrapingJobsJobTypeSchema,
        keywords: z.array(keywordInput).min(1).max(100),
        expandedKeywords: z.array(keywordInput).max(500).nullable().optional(),
        maxAttempts: z.number().int().min(1).max(100).default(3),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const rows = await insertJob.run(
        { userId: ctx.user.id, jobType: input.jobType, keywords: input.keywords, expandedKeywords: input.expandedKeywords ?? null, maxAttempts: input.maxAttempts },
        ctx.db,
      );
      return one(rows, 'scraping job');
    }),

  /** One job (the caller's own; admins: any). */
  get: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/scraper/jobs/{id}', tags: ['scraper'], summary: 'One scraping job' } })
    .input(idInput).query(async ({ ctx, input }) => {
    return one(await findJob.run({ id: input.id }, ctx.db), 'scraping job', input.id);
  }),

  /**
   * The caller's jobs newest first (admins: `userId`'s), keyset pages, by at most one of status,
   * jobType or keyword (each shape has its own index).
   */
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/scraper/jobs', tags: ['scraper'], summary: "The caller's jobs, newest first, keyset pages" } })
    .input(
      z
        .object({
          userId: z.uuid().optional(),
          status: scraperScrapingJobsStatusSchema.optional(),
          jobType: scraperScrapingJobsJobTypeSchema.optional(),
          keyword: keywordInput.optional(),
          cursor: cursorInput,
          limit: limitInput,
        })
        .refine((i) => [i.status, i.jobType, i.keyword].filter((f) => f !== undefined).length <= 1, {
          message: 'filter by at most one of status, jobType and keyword',
          path: ['status'],
        }),
    )
    .query(async ({ ctx, input }) => {
      const userId = input.userId ?? ctx.user.id;
      if (userId !== ctx.user.id && !isAdmin(ctx.user)) throw new TRPCError({ code: 'FORBIDDEN', message: "userId: only an admin may list another user's jobs" });
      const before = idKey(input.cursor);
      const { limit } = input;
      const rows = input.status
        ? await listUserJobsByStatus.run({ userId, status: input.status, before, limit }, ctx.db)
        : input.jobType
          ? await listUserJobsByType.run({ userId, jobType: input.jobType, before, limit }, ctx.db)
          : input.keyword
            ? await listUserJobsByKeyword.run({ userId, keyword: input.keyword, before, limit }, ctx.db)
            : await listUserJobs.run({ userId, before, limit }, ctx.db);
      return page(rows, limit, (row) => [row.id]);
    }),

  /** Cancels a pending or running job of the caller's: failed, "cancelled" as its error; a finished job is BAD_REQUEST. */
  cancel: authedProcedure
    .meta({ openapi: { method: 'POST', path: '/scraper/jobs/{id}/cancel', tags: ['scraper'], summary: 'Cancel a pending or running job' } })
    .input(idInput).mutation(async ({ ctx, input }) => {
    const [row] = await cancelJob.run({ id: input.id, reason: 'cancelled by its owner' }, ctx.db);
    if (row) return row;
    const job = one(await findJob.run({ id: input.id }, ctx.db), 'scraping job', input.id);
    throw new TRPCError({ code: 'BAD_REQUEST', message: `status: the job is already ${job.status} and cannot be cancelled` });
  }),

  /** Deletes a job of the caller's (admins: any) with its settings and artifacts. */
  delete: authedProcedure
    .meta({ openapi: { method: 'DELETE', path: '/scraper/jobs/{id}', tags: ['scraper'], summary: 'Delete a job with its settings and artifacts' } })
    .input(idInput).mutation(async ({ ctx, input }) => {
    return one(await deleteJob.run({ id: input.id }, ctx.db), 'scraping job', input.id);
  }),

  /**
   * One page of a job's results (artifacts newest first, each with its tags and extractions, in
   * one query), audited as JOB_EXPORT with the page's size.
   */
  export: authedProcedure
    .meta({ writes: true })
    .input(z.object({ id: z.uuid(), cursor: cursorInput, limit: limitInput }))
    .query(async ({ ctx, input }) => {
      const job = one(await findJob.run({ id: input.id }, ctx.db), 'scraping job', input.id);
      const rows = await exportJobArtifacts.run({ jobId: input.id, before: idKey(input.cursor), limit: input.limit }, ctx.db);
      await recordAccess.run(
        { action: 'JOB_EXPORT', resourceType: 'scraping_jobs', resourceId: input.id, details: { artifacts: rows.length, firstPage: input.cursor === undefined } },
        ctx.db,
      );
      return { job, ...page(rows, input.limit, (row) => [row.id]) };
    }),

  configure: configureRouter,

  /**
   * Admins (the workers): claim up to `limit` of the oldest pending jobs (of one user when
   * `userId` is given: a worker dedicated to one account), moving them to running
   * under a lease for `workerId` (each with its own leaseToken). Concurrent workers never get
   * the same job (SKIP LOCKED). Expired leases are reclaimed first.
   */
  claim: adminProcedure
    .input(
      z.object({
        limit: z.number().int().min(1).max(100).default(10),
        workerId: workerIdInput,
        leaseSeconds: leaseSecondsInput,
        userId: z.uuid().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      await reclaimStaleJobs.run({ limit: RECLAIM_BATCH }, ctx.db);
      const params = { limit: input.limit, workerId: input.workerId, leaseSeconds: input.leaseSeconds ?? JOB_LEASE_SECONDS };
      return input.userId ? claimUserJobs.run({ ...params, userId: input.userId }, ctx.db) : claimPendingJobs.run(params, ctx.db);
    }),

  /** Admins (workers): renew the lease of a job this worker holds; CONFLICT once it was reclaimed or finished. */
  heartbeat: adminProcedure.input(leaseInput.extend({ leaseSeconds: leaseSecondsInput })).mutation(async ({ ctx, input }) => {
    return leased(await heartbeatJob.run({ id: input.id, leaseToken: input.leaseToken, leaseSeconds: input.leaseSeconds ?? JOB_LEASE_SECONDS }, ctx.db), input.id);
  }),

  /**
   * Admins (workers): add `itemsDone` to the job's completed items (atomically: concurrent
   * reports add up), optionally set `totalItems`; progress follows as completed/total. More done
   * than total is BAD_REQUEST. Renews the lease.
   */
  progress: adminProcedure
    .input(
      leaseInput.extend({
        itemsDone: z.number().int().min(0).max(1_000_000),
        totalItems: z.number().int().min(0).max(100_000_000).optional(),
        leaseSeconds: leaseSecondsInput,
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const rows = await reportJobProgress.run(
        { id: input.id, leaseToken: input.leaseToken, itemsDone: input.itemsDone, totalItems: input.totalItems ?? null, leaseSeconds: input.leaseSeconds ?? JOB_LEASE_SECONDS },
        ctx.db,
      );
      return leased(rows, input.id);
    }),

  /** Admins (workers): a job this worker holds is done (progress 100). */
  complete: adminProcedure.input(leaseInput).mutation(async ({ ctx, input }) => {
    return leased(await completeJob.run(input, ctx.db), input.id);
  }),

  /** Admins (workers): a job this worker holds failed for good; the reason is kept with it. */
  fail: adminProcedure.input(leaseInput.extend({ error: textInput(2000) })).mutation(async ({ ctx, input }) => {
    return leased(await failJob.run(input, ctx.db), input.id);
  }),

  /**
   * Admins (workers, monitoring): end the leases that expired (the worker stopped
   * heart-beating): back to pending with the attempt counted, or failed once maxAttempts are
   * used, the reason kept in lastError (and errorMessage when failed). `claim` does this too.
   */
  reclaimStale: adminProcedure
    .input(z.object({ limit: z.number().int().min(1).max(1000).default(RECLAIM_BATCH) }).default({ limit: RECLAIM_BATCH }))
    .mutation(async ({ ctx, input }) => {
      return reclaimStaleJobs.run({ limit: input.limit }, ctx.db);
    }),
});
