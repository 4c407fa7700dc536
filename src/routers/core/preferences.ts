import { z } from 'zod';
import { one } from '../../db/errors.js';
import { getOrCreatePreferences, updatePreferences } from '../../../sql/core/user_preferences.queries.js';
import { authedProcedure, router } from '../../server/trpc.js';

// The same ranges as the table's CHECKs.
const preferencesPatch = z
  .object({
    theme: z.string().trim().min(1).max(50),
    llmModel: z.string().trim().min(1).max(255),
    llmTemperature: z.number().min(0, 'llmTemperature must be between 0 and 2').max(2, 'llmTemperature must be between 0 and 2'),
    llmMaxTokens: z.number().int().min(1, 'llmMaxTokens must be between 1 and 200000').max(200_000, 'llmMaxTokens must be between 1 and 200000'),
    ideType: z.string().trim().min(1).max(50).nullable(),
    autoSync: z.boolean(),
    notificationsEnabled: z.boolean(),
  })
  .partial()
  .strict();

/** The caller's preferences, inserting the defaults when there are none yet. */
async function getOrCreate(db: Parameters<typeof getOrCreatePreferences.run>[1], userId: string) {
  const [row] = await getOrCreatePreferences.run({ userId }, db);
  // A concurrent first read inserted the row after this statement's snapshot: the next statement sees it.
  return row ?? one(await getOrCreatePreferences.run({ userId }, db), 'preferences');
}

export const preferencesRouter = router({
  /** The caller's preferences, created with the defaults on first read. */
  get: authedProcedure.meta({ writes: true }).query(async ({ ctx }) => getOrCreate(ctx.db, ctx.user.id)),

  /** Changes the fields given; the others keep their value. */
  update: authedProcedure.input(preferencesPatch).mutation(async ({ ctx, input }) => {
    await getOrCreate(ctx.db, ctx.user.id);
    return one(await updatePreferences.run({ userId: ctx.user.id, patch: input }, ctx.db), 'preferences');
  }),
});
