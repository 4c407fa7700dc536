import { z } from 'zod';
import {
  exportsathiBusinessProfilesBusinessTypeSchema,
  exportsathiBusinessProfilesCompanySizeSchema,
} from '../../db/generated/catalog.js';
import { maybeOne, one } from '../../db/errors.js';
import { findProfile, upsertProfile, type IFindProfileResult } from '../../../sql/exportsathi/business_profiles.queries.js';
import { authedProcedure, router, type SessionUser } from '../../server/trpc.js';
import type { Context } from '../../server/context.js';
import { gstinInput, iecInput, seal, textInput, unseal } from './inputs.js';

/** The profile as clients see it: the identifiers decrypted. */
function present(ctx: Context, row: IFindProfileResult) {
  return {
    userId: row.userId,
    companyName: row.companyName,
    businessType: row.businessType,
    companySize: row.companySize,
    iec: row.iec === null ? null : unseal(ctx, 'business_profiles.iec', row.userId, row.iec),
    gstin: row.gstin === null ? null : unseal(ctx, 'business_profiles.gstin', row.userId, row.gstin),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const isAdmin = (user: SessionUser) => user.role === 'admin';

export const profileRouter = router({
  /** The caller's business profile (admins: any user's), or null when there is none yet. */
  get: authedProcedure.input(z.object({ userId: z.uuid().optional() }).default({})).query(async ({ ctx, input }) => {
    const userId = input.userId && isAdmin(ctx.user) ? input.userId : ctx.user.id;
    const row = maybeOne(await findProfile.run({ userId }, ctx.db));
    return row ? present(ctx, row) : null;
  }),

  /**
   * Creates or replaces the caller's profile: business type, company size, company name, and
   * the IEC and GSTIN (format-checked here, then encrypted before they reach the database).
   */
  upsert: authedProcedure
    .input(
      z.object({
        businessType: exportsathiBusinessProfilesBusinessTypeSchema,
        companySize: exportsathiBusinessProfilesCompanySizeSchema,
        companyName: textInput(255).nullable().default(null),
        iec: iecInput.nullable().default(null),
        gstin: gstinInput.nullable().default(null),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const userId = ctx.user.id;
      const row = one(
        await upsertProfile.run(
          {
            userId,
            businessType: input.businessType,
            companySize: input.companySize,
            companyName: input.companyName,
            iec: input.iec === null ? null : seal(ctx, 'business_profiles.iec', userId, input.iec),
            gstin: input.gstin === null ? null : seal(ctx, 'business_profiles.gstin', userId, input.gstin),
          },
          ctx.db,
        ),
        'business profile',
      );
      return present(ctx, row);
    }),
});
