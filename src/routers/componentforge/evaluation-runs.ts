import { z } from 'zod';
import { componentforgeEvaluationRunsStatusSchema } from '../../db/generated/catalog.js';
import { one } from '../../db/errors.js';
import {
  deleteEvaluationRun,
  findEvaluationRunById,
  insertEvaluationRun,
  listEvaluationRuns,
  listEvaluationRunsByStatus,
  updateEvaluationRun,
} from '../../../sql/componentforge/evaluation_runs.queries.js';
import { cursorInput, idKey, limitInput, page } from '../../server/cursor.js';
import { adminProcedure, authedProcedure, router } from '../../server/trpc.js';
import { idInput, jsonObjectInput, textInput } from './inputs.js';

const descriptionInput = z.string().trim().max(5000);

export const evaluationRunsRouter = router({
  /** Every signed-in user: evaluation runs newest first, optionally of one status, keyset-paginated. */
  list: authedProcedure
    .input(z.object({ status: componentforgeEvaluationRunsStatusSchema.optional(), cursor: cursorInput, limit: limitInput }))
    .query(async ({ ctx, input }) => {
      const beforeId = idKey(input.cursor);
      const rows = input.status
        ? await listEvaluationRunsByStatus.run({ status: input.status, beforeId, limit: input.limit }, ctx.db)
        : await listEvaluationRuns.run({ beforeId, limit: input.limit }, ctx.db);
      return page(rows, input.limit, (row) => [row.id]);
    }),

  /** Every signed-in user: one evaluation run with its configuration and metrics. */
  get: authedProcedure.input(idInput).query(async ({ ctx, input }) => {
    return one(await findEvaluationRunById.run({ id: input.id }, ctx.db), 'evaluation run', input.id);
  }),

  /** Admins: record an evaluation run (pending unless a status is given). */
  create: adminProcedure
    .input(
      z.object({
        name: textInput(200),
        description: descriptionInput.nullable().optional(),
        modelName: textInput(100),
        datasetName: textInput(200).nullable().optional(),
        config: jsonObjectInput.nullable().optional(),
        status: componentforgeEvaluationRunsStatusSchema.optional(),
        metrics: jsonObjectInput.nullable().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      return one(
        await insertEvaluationRun.run(
          {
            name: input.name,
            description: input.description ?? null,
            modelName: input.modelName,
            datasetName: input.datasetName ?? null,
            config: input.config ?? null,
            status: input.status ?? null,
            metrics: input.metrics ?? null,
          },
          ctx.db,
        ),
        'evaluation run',
      );
    }),

  /** Admins: move a run along (status) and record its results (metrics); absent fields keep their value, null clears. */
  update: adminProcedure
    .input(
      z
        .object({
          id: z.uuid(),
          description: descriptionInput.nullable().optional(),
          status: componentforgeEvaluationRunsStatusSchema.optional(),
          config: jsonObjectInput.nullable().optional(),
          metrics: jsonObjectInput.nullable().optional(),
        })
        .strict(),
    )
    .mutation(async ({ ctx, input }) => {
      const { id, ...patch } = input;
      return one(await updateEvaluationRun.run({ id, patch }, ctx.db), 'evaluation run', id);
    }),

  /** Admins: delete an evaluation run. */
  delete: adminProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    return one(await deleteEvaluationRun.run({ id: input.id }, ctx.db), 'evaluation run', input.id);
  }),
});
