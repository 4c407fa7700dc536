import { z } from 'zod';
import { exportsathiCertificationProgressStatusSchema } from '../../db/generated/catalog.js';
import { jsonParam } from '../../db/connection.js';
import { one } from '../../db/errors.js';
import { insertCertification, listCertifications, updateCertification } from '../../../sql/exportsathi/certification_progress.queries.js';
import { findReport } from '../../../sql/exportsathi/reports.queries.js';
import { cappedJson, JSON_SMALL_BYTES } from '../../server/json-input.js';
import { authedProcedure, router } from '../../server/trpc.js';
import { amountInput, reportIdInput, reportNotFound, textInput } from './inputs.js';

/** The documents already prepared: a JSON array of names (certification_progress_documents_array). */
const documentsInput = cappedJson(z.array(textInput(255)).max(500), JSON_SMALL_BYTES);

export const certificationsRouter = router({
  /** Starts tracking a certification (e.g. FSSAI, FDA, CE) for one of the caller's live reports. */
  create: authedProcedure
    .input(
      z.object({
        reportId: z.uuid(),
        certificationCode: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$/, 'must be 1-50 letters, digits, dots, dashes or underscores'),
        certificationName: textInput(255),
        documentsCompleted: documentsInput.default([]),
        estimatedCost: amountInput.nullable().default(null),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      // pg sends a JS array as a Postgres array: JSON goes as text.
      const rows = await insertCertification.run({ ...input, documentsCompleted: jsonParam(input.documentsCompleted)! }, ctx.db);
      if (!rows[0]) throw reportNotFound(input.reportId);
      return rows[0];
    }),

  /**
   * Moves a certification along not_started -> in_progress -> submitted -> completed or
   * rejected (rejected may resume), and records its documents and costs; absent fields keep
   * their value. Any other move is BAD_REQUEST naming it.
   */
  update: authedProcedure
    .input(
      z.object({
        id: z.uuid(),
        status: exportsathiCertificationProgressStatusSchema.optional(),
        certificationName: textInput(255).optional(),
        documentsCompleted: documentsInput.optional(),
        estimatedCost: amountInput.nullable().optional(),
        actualCost: amountInput.nullable().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      return one(
        await updateCertification.run(
          {
            id: input.id,
            status: input.status ?? null,
            certificationName: input.certificationName ?? null,
            documentsCompleted: jsonParam(input.documentsCompleted),
            setEstimatedCost: input.estimatedCost !== undefined,
            estimatedCost: input.estimatedCost ?? null,
            setActualCost: input.actualCost !== undefined,
            actualCost: input.actualCost ?? null,
          },
          ctx.db,
        ),
        'certification',
        input.id,
      );
    }),

  /** A live report's certifications in the order they were added. */
  list: authedProcedure.input(reportIdInput).query(async ({ ctx, input }) => {
    const [reports, rows] = await Promise.all([findReport.run({ id: input.reportId }, ctx.db), listCertifications.run(input, ctx.db)]);
    if (!reports[0]) throw reportNotFound(input.reportId);
    return rows;
  }),
});
