import { TRPCError } from '@trpc/server';
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
  heartbeatDocument,
  insertDocument,
  listPendingDocuments,
  listUserDocumentsByStatus,
  reclaimExpiredDocuments,
} from '../../../sql/componentforge/documents.queries.js';
import { cursorInput, limitInput, timeKey, timePage } from '../../server/cursor.js';
import { adminProcedure, authedProcedure, router } from '../../server/trpc.js';
import { MAX_CHUNKS, chunkInput, insertChunks } from './chunks.js';
import { idInput, leaseSecondsInput, textInput, workerIdInput } from './inputs.js';

const uploadFields = {
  title: textInput(500),
  filename: textInput(500),
  filePath: textInput(1000),
  contentType: textInput(100).nullable().optional(),
};
const extractedTextInput = z.string().max(10_000_000);
/** Expired leases ended per reclaim: a bound on one transaction's work, the rest comes next time. */
const RECLAIM_BATCH = 100;

/** The row of a lease-guarded update; none means the caller no longer holds that lease. */
function leased<T>(rows: readonly T[], id: string): T {
  const row = rows[0];
  if (row === undefined) {
    throw new TRPCError({
      code: 'CONFLICT',
      message: `leaseToken: document ${id} is not leased with this token (it was reclaimed, finished, or never claimed so)`,
    });
  }
  return row;
}

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
   * moving them to processing under a lease for `workerId` (each with its own leaseToken,
   * expiring after `leaseSeconds`). Concurrent workers never get the same document (SKIP
   * LOCKED). Expired leases are reclaimed first, so a dead worker's documents come back
   * without anyone having to call reclaimExpired.
   */
  claim: adminProcedure
    .input(z.object({ limit: z.number().int().min(1).max(100).default(10), workerId: workerIdInput, leaseSeconds: leaseSecondsInput }))
    .mutation(async ({ ctx, input }) => {
      await reclaimExpiredDocuments.run({ maxAttempts: ctx.config.DOCUMENT_MAX_ATTEMPTS, limit: RECLAIM_BATCH }, ctx.db);
      return claimPendingDocuments.run(
        { limit: input.limit, workerId: input.workerId, leaseSeconds: input.leaseSeconds ?? ctx.config.DOCUMENT_LEASE_SECONDS },
        ctx.db,
      );
    }),

  /** Admins (workers): renew the lease of a document this worker holds; CONFLICT once it was reclaimed or finished. */
  heartbeat: adminProcedure
    .input(z.object({ id: z.uuid(), leaseToken: z.uuid(), leaseSeconds: leaseSecondsInput }))
    .mutation(async ({ ctx, input }) => {
      const leaseSeconds = input.leaseSeconds ?? ctx.config.DOCUMENT_LEASE_SECONDS;
      return leased(await heartbeatDocument.run({ id: input.id, leaseToken: input.leaseToken, leaseSeconds }, ctx.db), input.id);
    }),

  /**
   * Admins (workers, monitoring): end the leases that expired (the worker died or stalled):
   * back to pending with the attempt counted, or failed once DOCUMENT_MAX_ATTEMPTS attempts are
   * used, the reason kept in lastError (and processingError when failed). `claim` does this too.
   */
  reclaimExpired: adminProcedure
    .input(z.object({ limit: z.number().int().min(1).max(1000).default(RECLAIM_BATCH) }))
    .mutation(async ({ ctx, input }) => {
      return reclaimExpiredDocuments.run({ maxAttempts: ctx.config.DOCUMENT_MAX_ATTEMPTS, limit: input.limit }, ctx.db);
    }),

  /** Admins (workers): a document this worker holds is done; its extracted text and embedding model may come with it. */
  complete: adminProcedure
    .input(
      z.object({ id: z.uuid(), leaseToken: z.uuid(), extractedText: extractedTextInput.optional(), embeddingModel: textInput(100).optional() }),
    )
    .mutation(async ({ ctx, input }) => {
      const rows = await completeDocument.run(
        { id: input.id, leaseToken: input.leaseToken, extractedText: input.extractedText ?? null, embeddingModel: input.embeddingModel ?? null },
        ctx.db,
      );
      return leased(rows, input.id);
    }),

  /** Admins (workers): a document this worker holds failed for good; the reason is kept with it. */
  fail: adminProcedure.input(z.object({ id: z.uuid(), leaseToken: z.uuid(), error: textInput(2000) })).mutation(async ({ ctx, input }) => {
    return leased(await failDocument.run({ id: input.id, leaseToken: input.leaseToken, error: input.error }, ctx.db), input.id);
  }),

  /** Deletes one of the caller's documents (admins: any) with its chunks. */
  delete: authedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    return one(await deleteDocument.run({ id: input.id }, ctx.db), 'document', input.id);
  }),
});
