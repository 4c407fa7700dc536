import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { verificaiFileUploadsUploadStatusSchema } from '../../db/generated/catalog.js';
import { insertFileUploads, listFileUploads, listFileUploadsByStatus, setFileUploadStatus } from '../../../sql/verificai/file_uploads.queries.js';
import { cursorInput, idKey, limitInput, page } from '../../server/cursor.js';
import { authedProcedure, router } from '../../server/trpc.js';
import { textInput } from './inputs.js';

/** Files registered (or moved) by one call: one statement, whatever the number. */
export const MAX_FILES = 10_000;

export const fileInput = z.object({
  fileName: textInput(255),
  filePath: textInput(500),
  // bigint in the table; a JS number is exact up to 2^53 bytes (8 PiB).
  fileSize: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  fileType: textInput(100),
});

export const filesRouter = router({
  /**
   * Registers the files of an upload into one of the caller's sessions (created or uploading):
   * up to 10,000 in ONE statement (unnest), as uploaded; the database adds them to totalFiles.
   * A path registered twice in a session is CONFLICT, and nothing of the call is kept.
   */
  registerMany: authedProcedure
    .input(z.object({ analysisSessionId: z.uuid(), files: z.array(fileInput).min(1).max(MAX_FILES) }))
    .mutation(async ({ ctx, input }) => {
      const { files } = input;
      const [row] = await insertFileUploads.run(
        {
          sessionId: input.analysisSessionId,
          fileNames: files.map((f) => f.fileName),
          filePaths: files.map((f) => f.filePath),
          fileSizes: files.map((f) => f.fileSize),
          fileTypes: files.map((f) => f.fileType),
        },
        ctx.db,
      );
      // Nothing inserted: RLS hid the session, or it does not exist.
      if (!row?.inserted) throw new TRPCError({ code: 'NOT_FOUND', message: `analysis session ${input.analysisSessionId} not found` });
      return { analysisSessionId: input.analysisSessionId, inserted: row.inserted };
    }),

  /**
   * Moves files of a session along uploaded -> processing -> processed or failed (failed may
   * be retried), in one statement; the database keeps processedFiles. All or nothing: an
   * illegal move is BAD_REQUEST naming it, an id not in the session NOT_FOUND.
   */
  setStatus: authedProcedure
    .input(
      z.object({ analysisSessionId: z.uuid(), ids: z.array(z.uuid()).min(1).max(MAX_FILES), uploadStatus: verificaiFileUploadsUploadStatusSchema }),
    )
    .mutation(async ({ ctx, input }) => {
      const ids = [...new Set(input.ids)];
      const rows = await setFileUploadStatus.run({ sessionId: input.analysisSessionId, ids, status: input.uploadStatus }, ctx.db);
      if (rows.length !== ids.length) {
        const found = new Set(rows.map((r) => r.id));
        const missing = ids.filter((id) => !found.has(id));
        throw new TRPCError({
          code: 'NOT_FOUND',
          message: `ids: ${missing.length} file(s) not found in analysis session ${input.analysisSessionId}, e.g. ${missing[0]}`,
        });
      }
      return { updated: rows.length };
    }),

  /** A session's files in upload order, optionally of one upload status, keyset-paginated. */
  list: authedProcedure
    .input(z.object({ analysisSessionId: z.uuid(), uploadStatus: verificaiFileUploadsUploadStatusSchema.optional(), cursor: cursorInput, limit: limitInput }))
    .query(async ({ ctx, input }) => {
      const after = idKey(input.cursor);
      const params = { sessionId: input.analysisSessionId, after, limit: input.limit };
      const rows = input.uploadStatus
        ? await listFileUploadsByStatus.run({ ...params, status: input.uploadStatus }, ctx.db)
        : await listFileUploads.run(params, ctx.db);
      return page(rows, input.limit, (row) => [row.id]);
    }),
});
