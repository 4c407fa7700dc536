import { z } from 'zod';
import { componentforgeDocumentsProcessingStatusSchema } from '../../db/generated/catalog.js';
import { one } from '../../db/errors.js';
import { listAllDocumentChunks } from '../../../sql/componentforge/document_chunks.queries.js';
import {
  claimPendingDocuments,
  completeDocument,
  deleteDocument,
  failDocument,
  findDocumentById,
  findDocumentFullText,
  findDocumentWithOwner,
  insertDocument,
  listPendingDocuments,
  listUserDocumentsByStatus,
} from '../../../sql/componentforge/documents.queries.js';
import { cursorInput, limitInput, timeKey, timePage } from '../../server/cursor.js';
import { adminProcedure, authedProcedure, router } from '../../server/trpc.js';
import { MAX_CHUNKS, chunkInput, insertChunks } from './chunks.js';
import { idInput, textInput } from './inputs.js';

const uploadFields = {
  title: textInput(500),
  filename: textInput(500),
  filePath: textInput(1000),
  contentType: textInput(100).nullable().optional(),
};
const extractedTextInput = z.string().max(10_000_000);

export const documentsRouter = router({
  /** Uploads a document for processing: it joins the queue as pending. */
  create: authedProcedure.input(z.object(uploadFields)).mutation(async ({ ctx, input }) => {
    return one(
      await insertDocument.run(
        {
          userId: ctx.user.id,
          title: input.title,
          filename: input.filename,
          filePath: input.filePath,
          contentType: input.contentType ?? null,
          processingStatus: 'pending',
          extractedText: null,
          embeddingModel: null,
        },
        ctx.db,
      ),
      'document',
    );
  }),

  /**
   * The seed's "safe upload": the document, its extracted text and all its chunks in one
   * transaction, completed. Any failure after the document's insert (a duplicate chunk_index,
   * say) rolls the whole procedure back: no document is left without its chunks.
   */
  upload: authedProcedure
    .input(
      z.object({
        ...uploadFields,
        extractedText: extractedTextInput.nullable().optional(),
        embeddingModel: textInput(100).nullable().optional(),
        chunks: z.array(chunkInput).max(MAX_CHUNKS),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const document = one(
        await insertDocument.run(
          {
            userId: ctx.user.id,
            title: input.title,
            filename: input.filename,
            filePath: input.filePath,
            contentType: input.contentType ?? null,
            processingStatus: 'completed',
            extractedText: input.extractedText ?? null,
            embeddingModel: input.embeddingModel ?? null,
          },
          ctx.db,
        ),
        'document',
      );
      await insertChunks(ctx.db, document.id, input.chunks);
      return one(await findDocumentById.run({ id: document.id }, ctx.db), 'document', document.id);
    }),

  /** One document with its extracted text. */
  get: authedProcedure.input(idInput).query(async ({ ctx, input }) => {
    return one(await findDocumentById.run({ id: input.id }, ctx.db), 'document', input.id);
  }),

  /** A document with its owner and all its chunks in order: two queries, whatever the number of chunks. */
  getFull: authedProcedure.input(idInput).query(async ({ ctx, input }) => {
    // Both go out together on the pipelined connection: one round trip.
    const [documents, chunks] = await Promise.all([
      findDocumentWithOwner.run({ id: input.id }, ctx.db),
      listAllDocumentChunks.run({ documentId: input.id }, ctx.db),
    ]);
    const { ownerUsername, ownerEmail, ownerFullName, ...document } = one(documents, 'document', input.id);
    return { ...document, owner: { id: document.userId, username: ownerUsername, email: ownerEmail, fullName: ownerFullName }, chunks };
  }),

  /** The document's text rebuilt from its chunks in order, joined with blank lines, in SQL. */
  fullText: authedProcedure.input(idInput).query(async ({ ctx, input }) => {
    return one(await findDocumentFullText.run({ id: input.id }, ctx.db), 'document', input.id);
  }),

  /** The caller's documents of one status (completed unless asked), newest first, keyset-paginated. */
  list: authedProcedure
    .input(z.object({ status: componentforgeDocumentsProcessingStatusSchema.default('completed'), cursor: cursorInput, limit: limitInput }))
    .query(async ({ ctx, input }) => {
      const [beforeAt, beforeId] = timeKey(input.cursor);
      const rows = await listUserDocumentsByStatus.run(
        { userId: ctx.user.id, status: input.status, beforeAt, beforeId, limit: input.limit },
        ctx.db,
      );
      return timePage(rows, input.limit);
    }),

  /** Admins: the processing queue as it stands, oldest first, keyset-paginated; claims nothing. */
  pending: adminProcedure.input(z.object({ cursor: cursorInput, limit: limitInput })).query(async ({ ctx, input }) => {
    const [afterAt, afterId] = timeKey(input.cursor);
    return timePage(await listPendingDocuments.run({ afterAt, afterId, limit: input.limit }, ctx.db), input.limit);
  }),

  /**
   * Admins (the processing workers): claim up to `limit` of the oldest pending documents,
   * moving them to processing. Concurrent workers never get the same document (SKIP LOCKED).
   */
  claim: adminProcedure.input(z.object({ limit: z.number().int().min(1).max(100).default(10) })).mutation(async ({ ctx, input }) => {
    return claimPendingDocuments.run({ limit: input.limit }, ctx.db);
  }),

  /** Admins (workers): a claimed document is done; its extracted text and embedding model may come with it. */
  complete: adminProcedure
    .input(z.object({ id: z.uuid(), extractedText: extractedTextInput.optional(), embeddingModel: textInput(100).optional() }))
    .mutation(async ({ ctx, input }) => {
      const rows = await completeDocument.run(
        { id: input.id, extractedText: input.extractedText ?? null, embeddingModel: input.embeddingModel ?? null },
        ctx.db,
      );
      return one(rows, 'processing document', input.id);
    }),

  /** Admins (workers): a claimed document failed; the reason is kept with it. */
  fail: adminProcedure.input(z.object({ id: z.uuid(), error: textInput(2000) })).mutation(async ({ ctx, input }) => {
    return one(await failDocument.run({ id: input.id, error: input.error }, ctx.db), 'processing document', input.id);
  }),

  /** Deletes one of the caller's documents (admins: any) with its chunks. */
  delete: authedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    return one(await deleteDocument.run({ id: input.id }, ctx.db), 'document', input.id);
  }),
});
