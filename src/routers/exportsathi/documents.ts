import { z } from 'zod';
import {
  exportsathiGeneratedDocumentsDocumentTypeSchema,
  exportsathiGeneratedDocumentsStatusSchema,
} from '../../db/generated/catalog.js';
import { one } from '../../db/errors.js';
import { findDocument, insertDocument, listDocuments, updateDocument } from '../../../sql/exportsathi/generated_documents.queries.js';
import { findReport } from '../../../sql/exportsathi/reports.queries.js';
import { cursorInput, idKey, limitInput, page } from '../../server/cursor.js';
import { cappedJson, JSON_SMALL_BYTES } from '../../server/json-input.js';
import { authedProcedure, router } from '../../server/trpc.js';
import { idInput, reportNotFound, textInput } from './inputs.js';

/** Validation results: isValid, errors and warnings (generated_documents_validation_shape); other keys kept. */
const validationInput = cappedJson(
  z.object({ isValid: z.boolean().optional(), errors: z.array(z.json()).optional(), warnings: z.array(z.json()).optional() }).catchall(z.json()),
  JSON_SMALL_BYTES,
);
const contentInput = z.string().min(1).max(1_000_000);

export const documentsRouter = router({
  /** Stores a generated export document (commercial invoice, packing list, shipping bill...) for one of the caller's live reports, as a draft. */
  create: authedProcedure
    .input(z.object({ reportId: z.uuid(), documentType: exportsathiGeneratedDocumentsDocumentTypeSchema, title: textInput(255), content: contentInput }))
    .mutation(async ({ ctx, input }) => {
      const rows = await insertDocument.run(input, ctx.db);
      if (!rows[0]) throw reportNotFound(input.reportId);
      return rows[0];
    }),

  /**
   * Changes a document's title, content, validation results and status (draft -> validated or
   * invalid, invalid -> draft, validated -> final or draft); validatedAt follows the status.
   */
  update: authedProcedure
    .input(
      z.object({
        id: z.uuid(),
        title: textInput(255).optional(),
        content: contentInput.optional(),
        validationResults: validationInput.optional(),
        status: exportsathiGeneratedDocumentsStatusSchema.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      return one(
        await updateDocument.run(
          {
            id: input.id,
            title: input.title ?? null,
            content: input.content ?? null,
            validationResults: input.validationResults ?? null,
            status: input.status ?? null,
          },
          ctx.db,
        ),
        'document',
        input.id,
      );
    }),

  /** One document with its content. */
  get: authedProcedure.input(idInput).query(async ({ ctx, input }) => {
    return one(await findDocument.run(input, ctx.db), 'document', input.id);
  }),

  /** A live report's documents newest first, without their content, keyset-paginated. */
  list: authedProcedure.input(z.object({ reportId: z.uuid(), cursor: cursorInput, limit: limitInput })).query(async ({ ctx, input }) => {
    const [reports, rows] = await Promise.all([
      findReport.run({ id: input.reportId }, ctx.db),
      listDocuments.run({ reportId: input.reportId, before: idKey(input.cursor), limit: input.limit }, ctx.db),
    ]);
    if (!reports[0]) throw reportNotFound(input.reportId);
    return page(rows, input.limit, (row) => [row.id]);
  }),
});
