import { z } from 'zod';
import { one } from '../../db/errors.js';
import {
  deleteRequirementExport,
  findAllApprovalMetrics,
  findApprovalMetrics,
  findRequirementExportById,
  insertRequirementExport,
  listAllExportsByComponent,
  listAllFastExports,
  listExportsByComponent,
  listFastExports,
  markExportUsed,
} from '../../../sql/componentforge/requirement_exports.queries.js';
import { cursorInput, decodeCursor, limitInput, page, timeKey, timePage } from '../../server/cursor.js';
import { authedProcedure, router } from '../../server/trpc.js';
import { countInput, idInput, jsonObjectInput, textInput } from './inputs.js';


// What a user sees here is what RLS shows them: their own exports, or everyone's for an admin
// (the seed's analytics queries are global). The reads name the user for a non-admin, so that
// their index leads with user_id; RLS's "own or admin" condition could not use one.
const isAdmin = (user: { role: string }) => user.role === 'admin';
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
      const params = { componentType: input.componentType, beforeAt, beforeId, limit: input.limit };
      const rows = isAdmin(ctx.user)
        ? await listAllExportsByComponent.run(params, ctx.db)
        : await listExportsByComponent.run({ ...params, userId: ctx.user.id }, ctx.db);
      return timePage(rows, input.limit);
    }),

  /** Average approved, edited and custom-added counts (null when there are no exports). */
  approvalMetrics: authedProcedure.query(async ({ ctx }) => {
    const rows = isAdmin(ctx.user) ? await findAllApprovalMetrics.run(undefined, ctx.db) : await findApprovalMetrics.run({ userId: ctx.user.id }, ctx.db);
    return one(rows, 'approval metrics');
  }),

  /** Exports whose proposals took less than `maxLatencyMs` (the seed's 3 s by default), fastest first, keyset-paginated. */
  fast: authedProcedure
    .input(z.object({ maxLatencyMs: countInput.default(3000), cursor: cursorInput, limit: limitInput }))
    .query(async ({ ctx, input }) => {
      const [afterLatencyMs, afterId] = input.cursor ? decodeCursor(input.cursor, z.tuple([countInput, z.uuid()])) : [null, null];
      const params = { maxLatencyMs: input.maxLatencyMs, afterLatencyMs, afterId, limit: input.limit };
      const rows = isAdmin(ctx.user)
        ? await listAllFastExports.run(params, ctx.db)
        : await listFastExports.run({ ...params, userId: ctx.user.id }, ctx.db);
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
