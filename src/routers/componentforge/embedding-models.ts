import { z } from 'zod';
import { maybeOne, one } from '../../db/errors.js';
import {
  deactivateOtherEmbeddingModels,
  deleteEmbeddingModel,
  findActiveEmbeddingModel,
  insertEmbeddingModel,
  listEmbeddingModels,
  setEmbeddingModelActive,
} from '../../../sql/componentforge/embedding_models.queries.js';
import { cursorInput, decodeCursor, limitInput, page } from '../../server/cursor.js';
import { adminProcedure, authedProcedure, router } from '../../server/trpc.js';
import { idInput, positiveInput, textInput } from './inputs.js';


// Activation is two statements: the one-active index is checked row by row, so the old model
// must be inactive before the new one becomes active. Two admins activating at once cannot
// both win: the second breaks the index and gets CONFLICT.
export const embeddingModelsRouter = router({
  /** Every signed-in user: the embedding models in name order, keyset-paginated. */
  list: authedProcedure.input(z.object({ cursor: cursorInput, limit: limitInput })).query(async ({ ctx, input }) => {
    const afterName = input.cursor ? decodeCursor(input.cursor, z.tuple([z.string().max(100)]))[0] : null;
    return page(await listEmbeddingModels.run({ afterName, limit: input.limit }, ctx.db), input.limit, (row) => [row.name]);
  }),

  /** Every signed-in user: the model new embeddings use, or null when none is active. */
  active: authedProcedure.query(async ({ ctx }) => {
    return maybeOne(await findActiveEmbeddingModel.run(undefined, ctx.db)) ?? null;
  }),

  /** Admins: add a model. It is active unless `isActive: false` (the seed's default), replacing the active one. */
  create: adminProcedure
    .input(
      z.object({
        name: textInput(100),
        provider: textInput(50),
        dimension: positiveInput,
        maxTokens: positiveInput,
        isActive: z.boolean().default(true),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (input.isActive) await deactivateOtherEmbeddingModels.run({ keepId: null }, ctx.db);
      return one(await insertEmbeddingModel.run(input, ctx.db), 'embedding model');
    }),

  /** Admins: make this model the active one; the previously active model is deactivated in the same transaction. */
  activate: adminProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    await deactivateOtherEmbeddingModels.run({ keepId: input.id }, ctx.db);
    return one(await setEmbeddingModelActive.run({ id: input.id, isActive: true }, ctx.db), 'embedding model', input.id);
  }),

  /** Admins: deactivate a model (then none is active until another is activated). */
  deactivate: adminProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    return one(await setEmbeddingModelActive.run({ id: input.id, isActive: false }, ctx.db), 'embedding model', input.id);
  }),

  /** Admins: delete a model. */
  delete: adminProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    return one(await deleteEmbeddingModel.run({ id: input.id }, ctx.db), 'embedding model', input.id);
  }),
});
