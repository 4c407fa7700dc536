import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { verificaiAnalysisResultsAnalysisTypeSchema, verificaiAnalysisResultsStatusSchema } from '../../db/generated/catalog.js';
import {
  insertAnalysisResults,
  listResults,
  listResultsByStatus,
  listResultsByType,
  listResultsByTypeAndStatus,
} from '../../../sql/verificai/analysis_results.queries.js';
import { cursorInput, idKey, limitInput, page } from '../../server/cursor.js';
import { authedProcedure, router } from '../../server/trpc.js';
import { scoreInput, textInput } from './inputs.js';

/** Results recorded by one call, in one statement. */
export const MAX_RESULTS = 5_000;

export const resultInput = z.object({
  analysisType: verificaiAnalysisResultsAnalysisTypeSchema,
  configurationId: z.uuid().nullable().optional(),
  fileName: textInput(255).nullable().optional(),
  resultContent: z.string().min(1).max(1_000_000),
  score: scoreInput.nullable().optional(),
  status: verificaiAnalysisResultsStatusSchema.default('completed'),
});

export const resultsRouter = router({
  /**
   * Records results of one session in ONE statement (unnest), each with the prompt version
   * that produced it (of the caller's session owner, and of the result's analysisType).
   * Session owners and admins (the workers) record results; nothing of a failed call is kept.
   */
  recordMany: authedProcedure
    .input(z.object({ analysisSessionId: z.uuid(), results: z.array(resultInput).min(1).max(MAX_RESULTS) }))
    .mutation(async ({ ctx, input }) => {
      const { results } = input;
      const [row] = await insertAnalysisResults.run(
        {
          sessionId: input.analysisSessionId,
          // pg sends null array elements as SQL NULL; PgTyped's array types just leave null out.
          configurationIds: results.map((r) => r.configurationId ?? null) as string[],
          analysisTypes: results.map((r) => r.analysisType),
          fileNames: results.map((r) => r.fileName ?? null) as string[],
          resultContents: results.map((r) => r.resultContent),
          scores: results.map((r) => r.score ?? null) as string[],
          statuses: results.map((r) => r.status),
        },
        ctx.db,
      );
      // Nothing inserted: RLS hid the session, or it does not exist.
      if (!row?.inserted) throw new TRPCError({ code: 'NOT_FOUND', message: `analysis session ${input.analysisSessionId} not found` });
      return { analysisSessionId: input.analysisSessionId, inserted: row.inserted };
    }),

  /** A session's results newest first, optionally of one analysis type and/or status, keyset-paginated. */
  list: authedProcedure
    .input(
      z.object({
        analysisSessionId: z.uuid(),
        analysisType: verificaiAnalysisResultsAnalysisTypeSchema.optional(),
        status: verificaiAnalysisResultsStatusSchema.optional(),
        cursor: cursorInput,
        limit: limitInput,
      }),
    )
    .query(async ({ ctx, input }) => {
      const params = { sessionId: input.analysisSessionId, before: idKey(input.cursor), limit: input.limit };
      const { analysisType, status } = input;
      // One statement per filter shape, each with its index (a generic plan cannot skip an unused filter).
      const rows =
        analysisType && status
          ? await listResultsByTypeAndStatus.run({ ...params, analysisType, status }, ctx.db)
          : analysisType
            ? await listResultsByType.run({ ...params, analysisType }, ctx.db)
            : status
              ? await listResultsByStatus.run({ ...params, status }, ctx.db)
              : await listResults.run(params, ctx.db);
      return page(rows, input.limit, (row) => [row.id]);
    }),
});
