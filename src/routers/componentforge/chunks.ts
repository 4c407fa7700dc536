import type { IDatabaseConnection } from '@pgtyped/runtime';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { one } from '../../db/errors.js';
import { findDocumentChunkCount } from '../../../sql/componentforge/documents.queries.js';
import {
  findChunksByVectorIds,
  insertDocumentChunks,
  listDocumentChunks,
  setChunkVectors,
} from '../../../sql/componentforge/document_chunks.queries.js';
import { cursorInput, decodeCursor, limitInput, page } from '../../server/cursor.js';
import { authedProcedure, router } from '../../server/trpc.js';
import { countInput, textInput } from './inputs.js';

export const chunkInput = z.object({
  chunkIndex: countInput,
  content: z.string().min(1).max(100_000),
  tokenCount: countInput.nullable().optional(),
  vectorId: textInput(100).nullable().optional(),
  embeddingModel: textInput(100).nullable().optional(),
});
type ChunkInput = z.infer<typeof chunkInput>;

/** Chunks accepted by one call; each statement inserts up to BATCH of them. */
export const MAX_CHUNKS = 20_000;
// DESIGN.md's measurements: unnest in batches of 1k-10k rows inserts fastest; one huge array
// costs more to parse than it saves in round trips.
const BATCH = 5_000;

/** Inserts a document's chunks, BATCH per statement; the database adds them to chunk_count. */
export async function insertChunks(db: IDatabaseConnection, documentId: string, chunks: readonly ChunkInput[]): Promise<number> {
  let inserted = 0;
  for (let start = 0; start < chunks.length; start += BATCH) {
    const batch = chunks.slice(start, start + BATCH);
    const [row] = await insertDocumentChunks.run(
      {
        documentId,
        chunkIndexes: batch.map((c) => c.chunkIndex),
        contents: batch.map((c) => c.content),
        // pg sends null array elements as SQL NULL; PgTyped's array types just leave null out.
        tokenCounts: batch.map((c) => c.tokenCount ?? null) as number[],
        vectorIds: batch.map((c) => c.vectorId ?? null) as string[],
        embeddingModels: batch.map((c) => c.embeddingModel ?? null) as string[],
      },
      db,
    );
    // Nothing inserted: RLS hid the document, or it does not exist.
    if (!row?.inserted) throw new TRPCError({ code: 'NOT_FOUND', message: `document ${documentId} not found` });
    inserted += row.inserted;
  }
  return inserted;
}

export const chunksRouter = router({
  /**
   * Adds chunks to a document (its owner, or an admin acting as the processing worker): one
   * statement per 5,000 chunks, all in this procedure's transaction, and chunk_count follows.
   */
  insertMany: authedProcedure
    .input(z.object({ documentId: z.uuid(), chunks: z.array(chunkInput).min(1).max(MAX_CHUNKS) }))
    .mutation(async ({ ctx, input }) => {
      const inserted = await insertChunks(ctx.db, input.documentId, input.chunks);
      const after = one(await findDocumentChunkCount.run({ id: input.documentId }, ctx.db), 'document', input.documentId);
      return { documentId: input.documentId, inserted, chunkCount: after.chunkCount };
    }),

  /** A document's chunks in order, keyset-paginated by chunk_index. */
  list: authedProcedure
    .input(z.object({ documentId: z.uuid(), cursor: cursorInput, limit: limitInput }))
    .query(async ({ ctx, input }) => {
      const afterIndex = input.cursor ? decodeCursor(input.cursor, z.tuple([countInput]))[0] : null;
      const rows = await listDocumentChunks.run({ documentId: input.documentId, afterIndex, limit: input.limit }, ctx.db);
      return page(rows, input.limit, (row) => [row.chunkIndex]);
    }),

  /** The chunks behind Qdrant search hits, by point id, among the documents the caller may see. */
  byVectorIds: authedProcedure
    .input(z.object({ vectorIds: z.array(textInput(100)).min(1).max(1000) }))
    .query(async ({ ctx, input }) => {
      return findChunksByVectorIds.run({ vectorIds: input.vectorIds }, ctx.db);
    }),

  /** Records the Qdrant point and embedding model of chunks of one document, in one statement. */
  setVectors: authedProcedure
    .input(
      z.object({
        documentId: z.uuid(),
        vectors: z.array(z.object({ id: z.uuid(), vectorId: textInput(100), embeddingModel: textInput(100) })).min(1).max(MAX_CHUNKS),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const rows = await setChunkVectors.run(
        {
          documentId: input.documentId,
          ids: input.vectors.map((v) => v.id),
          vectorIds: input.vectors.map((v) => v.vectorId),
          embeddingModels: input.vectors.map((v) => v.embeddingModel),
        },
        ctx.db,
      );
      return { updated: rows.length };
    }),
});
