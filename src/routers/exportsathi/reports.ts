import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { exportsathiReportsStatusSchema } from '../../db/generated/catalog.js';
import { one } from '../../db/errors.js';
import { listPlan } from '../../../sql/exportsathi/action_plan_progress.queries.js';
import { listCertifications } from '../../../sql/exportsathi/certification_progress.queries.js';
import { listFinance } from '../../../sql/exportsathi/finance_analysis.queries.js';
import { listDocuments } from '../../../sql/exportsathi/generated_documents.queries.js';
import { listLogistics } from '../../../sql/exportsathi/logistics_analysis.queries.js';
import {
  findReport,
  insertReport,
  listDeletedReports,
  listReports,
  listReportsByCountry,
  listReportsByHsCode,
  listReportsByStatus,
  reportAnalytics,
  restoreReport,
  setReportStatus,
  softDeleteReport,
  updateReport,
} from '../../../sql/exportsathi/reports.queries.js';
import { cursorInput, idKey, limitInput, page } from '../../server/cursor.js';
import { cappedJson, JSON_LARGE_BYTES } from '../../server/json-input.js';
import { adminProcedure, authedProcedure, router } from '../../server/trpc.js';
import { presentFinance } from './finance.js';
import { amountInput, countryInput, fractionInput, hsCodeInput, idInput, textInput, urlInput } from './inputs.js';

/**
 * report_data: a JSON object whose known top-level keys have their types (the table's
 * reports_report_data_shape CHECK); other keys are kept as they are.
 */
const reportDataInput = cappedJson(
  z
    .object({
      summary: z.string().optional(),
      certifications: z.array(z.json()).optional(),
      risks: z.array(z.json()).optional(),
      restrictedSubstances: z.array(z.json()).optional(),
      recommendations: z.array(z.json()).optional(),
      costBreakdown: z.record(z.string(), z.json()).optional(),
      timeline: z.record(z.string(), z.json()).optional(),
    })
    .catchall(z.json()),
  JSON_LARGE_BYTES,
);

const longText = z.string().max(10_000);
const fields = {
  productName: textInput(255),
  productDescription: longText.nullable(),
  productImageUrl: urlInput.nullable(),
  ingredients: longText.nullable(),
  hsCode: hsCodeInput,
  hsCodeConfidence: fractionInput.nullable(),
  destinationCountry: countryInput,
  riskScore: z.number().int().min(0).max(100).nullable(),
  estimatedCost: amountInput.nullable(),
  timelineDays: z.number().int().min(1).max(365).nullable(),
  reportData: reportDataInput,
};

const createInput = z.object({
  productName: fields.productName,
  productDescription: fields.productDescription.default(null),
  productImageUrl: fields.productImageUrl.default(null),
  ingredients: fields.ingredients.default(null),
  hsCode: fields.hsCode,
  hsCodeConfidence: fields.hsCodeConfidence.default(null),
  destinationCountry: fields.destinationCountry,
  riskScore: fields.riskScore.default(null),
  estimatedCost: fields.estimatedCost.default(null),
  timelineDays: fields.timelineDays.default(null),
  reportData: reportDataInput.optional(),
});

const updateInput = z.object({
  id: z.uuid(),
  productName: fields.productName.optional(),
  productDescription: fields.productDescription.optional(),
  productImageUrl: fields.productImageUrl.optional(),
  ingredients: fields.ingredients.optional(),
  hsCode: fields.hsCode.optional(),
  hsCodeConfidence: fields.hsCodeConfidence.optional(),
  destinationCountry: fields.destinationCountry.optional(),
  riskScore: fields.riskScore.optional(),
  estimatedCost: fields.estimatedCost.optional(),
  timelineDays: fields.timelineDays.optional(),
  reportData: reportDataInput.optional(),
});

const listInput = z
  .object({
    /** Admins: another user's reports. */
    userId: z.uuid().optional(),
    status: exportsathiReportsStatusSchema.optional(),
    hsCode: hsCodeInput.optional(),
    destinationCountry: countryInput.optional(),
    cursor: cursorInput,
    limit: limitInput,
  })
  .refine((i) => [i.status, i.hsCode, i.destinationCountry].filter((f) => f !== undefined).length <= 1, {
    message: 'filter by at most one of status, hsCode and destinationCountry',
    path: ['status'],
  });

export const reportsRouter = router({
  /** Creates a report for the caller, in status draft. */
  create: authedProcedure
    .meta({ openapi: { method: 'POST', path: '/exportsathi/reports', tags: ['exportsathi'], summary: 'Create a report (draft)' } })
    .input(createInput).mutation(async ({ ctx, input }) => {
    return one(await insertReport.run({ ...input, reportData: input.reportData ?? {}, userId: ctx.user.id }, ctx.db), 'report');
  }),

  /** One live report (the caller's own; admins: any). */
  get: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/exportsathi/reports/{id}', tags: ['exportsathi'], summary: 'One live report' } })
    .input(idInput).query(async ({ ctx, input }) => {
    return one(await findReport.run({ id: input.id }, ctx.db), 'report', input.id);
  }),

  /**
   * The caller's live reports newest first (admins: a given user's), filtered by at most one of
   * status, HS code and destination, keyset-paginated: one query, with its own index, per shape.
   */
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/exportsathi/reports', tags: ['exportsathi'], summary: "The caller's live reports, newest first, keyset pages" } })
    .input(listInput).query(async ({ ctx, input }) => {
    const userId = input.userId && ctx.user.role === 'admin' ? input.userId : ctx.user.id;
    const base = { userId, before: idKey(input.cursor), limit: input.limit };
    const rows = input.status
      ? await listReportsByStatus.run({ ...base, status: input.status }, ctx.db)
      : input.hsCode
        ? await listReportsByHsCode.run({ ...base, hsCode: input.hsCode }, ctx.db)
        : input.destinationCountry
          ? await listReportsByCountry.run({ ...base, destinationCountry: input.destinationCountry }, ctx.db)
          : await listReports.run(base, ctx.db);
    return page(rows, input.limit, (row) => [row.id]);
  }),

  /** Changes a live report's fields; absent fields keep their value, null clears an optional one. */
  update: authedProcedure
    .meta({ openapi: { method: 'PATCH', path: '/exportsathi/reports/{id}', tags: ['exportsathi'], summary: "Change a live report's fields" } })
    .input(updateInput).mutation(async ({ ctx, input }) => {
    return one(
      await updateReport.run(
        {
          id: input.id,
          productName: input.productName ?? null,
          hsCode: input.hsCode ?? null,
          destinationCountry: input.destinationCountry ?? null,
          reportData: input.reportData ?? null,
          setDescription: input.productDescription !== undefined,
          productDescription: input.productDescription ?? null,
          setImageUrl: input.productImageUrl !== undefined,
          productImageUrl: input.productImageUrl ?? null,
          setIngredients: input.ingredients !== undefined,
          ingredients: input.ingredients ?? null,
          setConfidence: input.hsCodeConfidence !== undefined,
          hsCodeConfidence: input.hsCodeConfidence ?? null,
          setRiskScore: input.riskScore !== undefined,
          riskScore: input.riskScore ?? null,
          setEstimatedCost: input.estimatedCost !== undefined,
          estimatedCost: input.estimatedCost ?? null,
          setTimelineDays: input.timelineDays !== undefined,
          timelineDays: input.timelineDays ?? null,
        },
        ctx.db,
      ),
      'report',
      input.id,
    );
  }),

  /**
   * Moves a report along draft -> processing -> completed or failed (failed may be retried),
   * completed <-> archived; completedAt follows. Any other move is BAD_REQUEST naming it.
   */
  setStatus: authedProcedure.input(z.object({ id: z.uuid(), status: exportsathiReportsStatusSchema })).mutation(async ({ ctx, input }) => {
    return one(await setReportStatus.run(input, ctx.db), 'report', input.id);
  }),

  /** Soft-deletes a report: it and everything hanging off it vanish at once; restorable for 30 days. */
  delete: authedProcedure
    .meta({ openapi: { method: 'DELETE', path: '/exportsathi/reports/{id}', tags: ['exportsathi'], summary: 'Soft-delete a report (restorable for 30 days)' } })
    .input(idInput).mutation(async ({ ctx, input }) => {
    const row = one(await softDeleteReport.run({ id: input.id }, ctx.db), 'report', input.id);
    return { id: row.id, deletedAt: row.deletedAt, restorableUntil: new Date(row.deletedAt.getTime() + 30 * 86_400_000) };
  }),

  /** The caller's soft-deleted reports that can still be restored, most recently deleted first. */
  listDeleted: authedProcedure.query(async ({ ctx }) => {
    return listDeletedReports.run({ userId: ctx.user.id }, ctx.db);
  }),

  /** Brings back a report the caller deleted less than 30 days ago, with all its rows. */
  restore: authedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    const rows = await restoreReport.run({ id: input.id }, ctx.db);
    if (!rows[0]) throw new TRPCError({ code: 'NOT_FOUND', message: `report ${input.id} not found among the reports deleted in the last 30 days` });
    return rows[0];
  }),

  /**
   * A live report with its certifications, documents (without content), plan and newest finance
   * and logistics analyses: six queries sent together on the pipelined connection (one round
   * trip), whatever the number of rows.
   */
  dashboard: authedProcedure.input(idInput).query(async ({ ctx, input }) => {
    const reportId = input.id;
    const [reports, certifications, documents, plan, finance, logistics] = await Promise.all([
      findReport.run({ id: reportId }, ctx.db),
      listCertifications.run({ reportId }, ctx.db),
      listDocuments.run({ reportId, before: null, limit: 200 }, ctx.db),
      listPlan.run({ reportId }, ctx.db),
      listFinance.run({ reportId, before: null, limit: 1 }, ctx.db),
      listLogistics.run({ reportId, before: null, limit: 1 }, ctx.db),
    ]);
    const report = one(reports, 'report', reportId);
    return {
      report,
      certifications,
      documents,
      plan,
      finance: finance[0] ? presentFinance(ctx, finance[0]) : null,
      logistics: logistics[0] ?? null,
    };
  }),

  /** Admins: live reports created in [from, to) counted per destination country and per HS chapter. */
  analytics: adminProcedure
    .input(z.object({ from: z.date(), to: z.date() }).refine((i) => i.from < i.to, { message: 'from must be before to', path: ['to'] }))
    .query(async ({ ctx, input }) => {
      const rows = await reportAnalytics.run(input, ctx.db);
      const pick = (dimension: string) => rows.filter((r) => r.dimension === dimension).map((r) => ({ value: r.value, reports: r.reports }));
      return { byDestinationCountry: pick('destination_country'), byHsChapter: pick('hs_chapter') };
    }),
});
