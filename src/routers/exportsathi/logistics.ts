import { z } from 'zod';
import { exportsathiLogisticsAnalysisShippingModeSchema } from '../../db/generated/catalog.js';
import { one } from '../../db/errors.js';
import { insertLogistics, listLogistics, updateLogistics } from '../../../sql/exportsathi/logistics_analysis.queries.js';
import { findReport } from '../../../sql/exportsathi/reports.queries.js';
import { cursorInput, idKey, limitInput, page } from '../../server/cursor.js';
import { authedProcedure, router } from '../../server/trpc.js';
import { amountInput, fractionInput, reportNotFound } from './inputs.js';

const volumeInput = z
  .string()
  .regex(/^\d{1,8}(\.\d{1,2})?$/, 'must be a decimal number of cubic metres with at most two decimals')
  .refine((v) => Number(v) > 0, 'must be positive');

export const logisticsRouter = router({
  /** Records a logistics analysis (LCL or FCL, volume, RMS probability, freight) for one of the caller's live reports. */
  create: authedProcedure
    .input(
      z.object({
        reportId: z.uuid(),
        shippingMode: exportsathiLogisticsAnalysisShippingModeSchema,
        cargoVolumeCbm: volumeInput,
        rmsProbability: fractionInput,
        freightEstimate: amountInput,
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const rows = await insertLogistics.run(input, ctx.db);
      if (!rows[0]) throw reportNotFound(input.reportId);
      return rows[0];
    }),

  /** Changes a logistics analysis; absent fields keep their value. */
  update: authedProcedure
    .input(
      z.object({
        id: z.uuid(),
        shippingMode: exportsathiLogisticsAnalysisShippingModeSchema.optional(),
        cargoVolumeCbm: volumeInput.optional(),
        rmsProbability: fractionInput.optional(),
        freightEstimate: amountInput.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      return one(
        await updateLogistics.run(
          {
            id: input.id,
            shippingMode: input.shippingMode ?? null,
            cargoVolumeCbm: input.cargoVolumeCbm ?? null,
            rmsProbability: input.rmsProbability ?? null,
            freightEstimate: input.freightEstimate ?? null,
          },
          ctx.db,
        ),
        'logistics analysis',
        input.id,
      );
    }),

  /** A live report's logistics analyses newest first, keyset-paginated. */
  list: authedProcedure.input(z.object({ reportId: z.uuid(), cursor: cursorInput, limit: limitInput })).query(async ({ ctx, input }) => {
    const [reports, rows] = await Promise.all([
      findReport.run({ id: input.reportId }, ctx.db),
      listLogistics.run({ reportId: input.reportId, before: idKey(input.cursor), limit: input.limit }, ctx.db),
    ]);
    if (!reports[0]) throw reportNotFound(input.reportId);
    return page(rows, input.limit, (row) => [row.id]);
  }),
});
