import { z } from 'zod';
import { one } from '../../db/errors.js';
import {
  deleteRequirementExport,
  findApprovalMetrics,
  findRequirementExportById,
  insertRequirementExport,
  listExportsByComponent,
  listFastExports,
  markExportUsed,
} from '../../../sql/componentforge/requirement_exports.queries.js';
import { cursorInput, decodeCursor, limitInput, page, timeKey, timePage } from '../../server/cursor.js';
import { authedProcedure, router } from '../../server/trpc.js';
import { countInput, idInput, jsonObjectInput, textInput } from './inputs.js';


// What a user sees here is what RLS shows them: their own exports, or everyone's for an admin
// (the seed's analytics queries are global).
export const exportsRouter = router({
  /** Records the caller's reviewed requirements for a component, with the approval counts and the proposal latency. */
  create: authedProcedure
    .input(
      z.object({
        componentType: textInput(100),
        requirements: jsonObjectInput,
        approvedCount: countInput.default(0),
        editedCount: countInput.default(0),
        customAddedCount: countInput.default(0),
        proposalLatencyMs: countInput.nullable().optional(),
        usedInPatternRetrieval: z.boolean().default(false),
        usedInCodeGeneration: z.boolean().default(false),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      return one(
        await insertRequirementExport.run({ ...input, userId: ctx.user.id, proposalLatencyMs: input.proposalLatencyMs ?? null }, ctx.db),
        'requirement export',
      );
    }),

  /** One export. */
  get: authedProcedure.input(idInput).query(async ({ ctx, input }) => {
    return one(await findRequirementExportById.run({ id: input.id }, ctx.db), 'requirement export', input.id);
  }),

  /** Exports of one component type, newest first, keyset-paginated. */
  byComponent: authedProcedure
    .input(z.object({ componentType: textInput(100), cursor: cursorInput, limit: limitInput }))
    .query(async ({ ctx, input }) => {
      const [beforeAt, beforeId] = timeKey(input.cursor);
      return timePage(
        await listExportsByComponent.run({ componentType: input.componentType, beforeAt, beforeId, limit: input.limit }, ctx.db),
        input.limit,
      );
    }),

  /** Average approved, edited and custom-added counts (null when there are no exports). */
  approvalMetrics: authedProcedure.query(async ({ ctx }) => {
    return one(await findApprovalMetrics.run(undefined, ctx.db), 'approval metrics');
  }),

  /** Exports whose proposals took less than `maxLatencyMs` (the seed's 3 s by default), fastest first, keyset-paginated. */
  fast: authedProcedure
    .input(z.object({ maxLatencyMs: countInput.default(3000), cursor: cursorInput, limit: limitInput }))
    .query(async ({ ctx, input }) => {
      const [afterLatencyMs, afterId] = input.cursor ? decodeCursor(input.cursor, z.tuple([countInput, z.uuid()])) : [null, null];
      const rows = await listFastExports.run({ maxLatencyMs: input.maxLatencyMs, afterLatencyMs, afterId, limit: input.limit }, ctx.db);
      return page(rows, input.limit, (row) => [row.proposalLatencyMs, row.id]);
    }),

  /** Records that an export fed pattern retrieval and/or code generation; a flag once set stays set. */
  markUsed: authedProcedure
    .input(z.object({ id: z.uuid(), usedInPatternRetrieval: z.boolean().default(false), usedInCodeGeneration: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      return one(await markExportUsed.run(input, ctx.db), 'requirement export', input.id);
    }),

  /** Deletes one of the caller's exports (admins: any). */
  delete: authedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    return one(await deleteRequirementExport.run({ id: input.id }, ctx.db), 'requirement export', input.id);
  }),
});
