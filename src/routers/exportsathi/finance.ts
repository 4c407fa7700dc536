import { z } from 'zod';
import { one } from '../../db/errors.js';
import { findReport } from '../../../sql/exportsathi/reports.queries.js';
import {
  findFinance,
  insertFinance,
  listFinance,
  updateFinance,
  type IFindFinanceResult,
} from '../../../sql/exportsathi/finance_analysis.queries.js';
import type { Context } from '../../server/context.js';
import { cursorInput, idKey, limitInput, page } from '../../server/cursor.js';
import { cappedJson, JSON_SMALL_BYTES } from '../../server/json-input.js';
import { authedProcedure, router } from '../../server/trpc.js';
import { reportNotFound, seal, unseal } from './inputs.js';

/** A finance payload: a JSON object (working capital, RoDTEP, GST refund figures). */
const payload = cappedJson(z.record(z.string(), z.json()), JSON_SMALL_BYTES);
const PAYLOADS = ['workingCapitalData', 'rodtepBenefitData', 'gstRefundData'] as const;
const COLUMNS = { workingCapitalData: 'working_capital_data', rodtepBenefitData: 'rodtep_benefit_data', gstRefundData: 'gst_refund_data' } as const;

const analysisInput = {
  workingCapitalData: payload,
  rodtepBenefitData: payload,
  gstRefundData: payload,
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code (three capital letters)').default('INR'),
  analysisNote: z.string().max(2000).nullable().default(null),
};

/** The three payloads encrypted for the report's row (the report id is in the authenticated data). */
function sealAll(ctx: Context, reportId: string, input: Record<(typeof PAYLOADS)[number], unknown>) {
  const out = {} as Record<(typeof PAYLOADS)[number], string>;
  for (const name of PAYLOADS) out[name] = seal(ctx, `finance_analysis.${COLUMNS[name]}`, reportId, JSON.stringify(input[name]));
  return out;
}

/** A finance analysis as clients see it: the payloads decrypted. */
export function presentFinance(ctx: Context, row: IFindFinanceResult) {
  const open = (name: (typeof PAYLOADS)[number]) =>
    JSON.parse(unseal(ctx, `finance_analysis.${COLUMNS[name]}`, row.reportId, row[name])) as Record<string, unknown>;
  return {
    id: row.id,
    reportId: row.reportId,
    workingCapitalData: open('workingCapitalData'),
    rodtepBenefitData: open('rodtepBenefitData'),
    gstRefundData: open('gstRefundData'),
    currency: row.currency,
    analysisNote: row.analysisNote,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export const financeRouter = router({
  /** Records a finance analysis for one of the caller's live reports; the payloads are stored encrypted. */
  create: authedProcedure.input(z.object({ reportId: z.uuid(), ...analysisInput })).mutation(async ({ ctx, input }) => {
    const rows = await insertFinance.run(
      { reportId: input.reportId, ...sealAll(ctx, input.reportId, input), currency: input.currency, analysisNote: input.analysisNote },
      ctx.db,
    );
    if (!rows[0]) throw reportNotFound(input.reportId);
    return presentFinance(ctx, rows[0]);
  }),

  /** Replaces a finance analysis's payloads and note. */
  update: authedProcedure.input(z.object({ id: z.uuid(), ...analysisInput })).mutation(async ({ ctx, input }) => {
    const current = one(await findFinance.run({ id: input.id }, ctx.db), 'finance analysis', input.id);
    const row = one(
      await updateFinance.run(
        { id: input.id, ...sealAll(ctx, current.reportId, input), currency: input.currency, analysisNote: input.analysisNote },
        ctx.db,
      ),
      'finance analysis',
      input.id,
    );
    return presentFinance(ctx, row);
  }),

  /** A live report's finance analyses newest first, keyset-paginated. */
  list: authedProcedure.input(z.object({ reportId: z.uuid(), cursor: cursorInput, limit: limitInput })).query(async ({ ctx, input }) => {
    const [reports, rows] = await Promise.all([
      findReport.run({ id: input.reportId }, ctx.db),
      listFinance.run({ reportId: input.reportId, before: idKey(input.cursor), limit: input.limit }, ctx.db),
    ]);
    if (!reports[0]) throw reportNotFound(input.reportId);
    const result = page(rows, input.limit, (row) => [row.id]);
    return { items: result.items.map((row) => presentFinance(ctx, row)), nextCursor: result.nextCursor };
  }),
});
