import { z } from 'zod';
import { verificaiConfigurationsConfigTypeSchema } from '../../db/generated/catalog.js';
import { one } from '../../db/errors.js';
import {
  clearDefaultConfiguration,
  deleteConfiguration,
  findConfiguration,
  insertFirstConfiguration,
  insertNextConfigurationVersion,
  listConfigurationHistory,
  listLatestConfigurations,
  setConfigurationDefault,
} from '../../../sql/verificai/configurations.queries.js';
import { cursorInput, decodeCursor, limitInput, page } from '../../server/cursor.js';
import { authedProcedure, router } from '../../server/trpc.js';
import { idInput } from './inputs.js';

const promptContentInput = z.string().min(1).max(100_000);
/** Whose prompts to read: the caller's own unless an admin names another user (RLS shows a user nothing else). */
const userIdInput = z.uuid().optional();

// A prompt is the lineage (user, configType); each edit is a new row, version n+1, and the
// older rows never change (the request role may update is_default alone), so a result's
// configurationId names the exact text that produced it. Making a version the default is two
// statements: the one-default index is checked row by row, so the old default is cleared
// first. Two concurrent changes cannot both win: the second gets CONFLICT.
export const configurationsRouter = router({
  /** Version 1 of one of the caller's prompt types (CONFLICT when the type has versions already: use newVersion). */
  create: authedProcedure
    .input(z.object({ configType: verificaiConfigurationsConfigTypeSchema, promptContent: promptContentInput, isDefault: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      if (input.isDefault) await clearDefaultConfiguration.run({ userId: ctx.user.id, configType: input.configType, keepId: null }, ctx.db);
      return one(await insertFirstConfiguration.run({ userId: ctx.user.id, ...input }, ctx.db), 'configuration');
    }),

  /** One prompt version. */
  get: authedProcedure.input(idInput).query(async ({ ctx, input }) => {
    return one(await findConfiguration.run({ id: input.id }, ctx.db), 'configuration', input.id);
  }),

  /** The latest version of each prompt type of the caller (admins: of `userId`), in type order. */
  list: authedProcedure.input(z.object({ userId: userIdInput }).default({})).query(async ({ ctx, input }) => {
    return listLatestConfigurations.run({ userId: input.userId ?? ctx.user.id }, ctx.db);
  }),

  /** Every version of one prompt type, newest first, keyset-paginated by version. */
  history: authedProcedure
    .input(z.object({ configType: verificaiConfigurationsConfigTypeSchema, userId: userIdInput, cursor: cursorInput, limit: limitInput }))
    .query(async ({ ctx, input }) => {
      const beforeVersion = input.cursor ? decodeCursor(input.cursor, z.tuple([z.number().int().min(1).max(2_147_483_647)]))[0] : null;
      const rows = await listConfigurationHistory.run(
        { userId: input.userId ?? ctx.user.id, configType: input.configType, beforeVersion, limit: input.limit },
        ctx.db,
      );
      return page(rows, input.limit, (row) => [row.version]);
    }),

  /**
   * Edits a prompt: adds version n+1 of the prompt that version `id` belongs to, with the new
   * text; the older versions stay readable and unchanged. `isDefault` makes the new version the
   * type's default.
   */
  newVersion: authedProcedure
    .input(z.object({ id: z.uuid(), promptContent: promptContentInput, isDefault: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      const base = one(await findConfiguration.run({ id: input.id }, ctx.db), 'configuration', input.id);
      if (input.isDefault) await clearDefaultConfiguration.run({ userId: base.userId, configType: base.configType, keepId: null }, ctx.db);
      return one(await insertNextConfigurationVersion.run(input, ctx.db), 'configuration', input.id);
    }),

  /** Makes one version its type's default (the previous default is cleared in the same transaction), or clears it with `isDefault: false`. */
  setDefault: authedProcedure.input(z.object({ id: z.uuid(), isDefault: z.boolean().default(true) })).mutation(async ({ ctx, input }) => {
    const version = one(await findConfiguration.run({ id: input.id }, ctx.db), 'configuration', input.id);
    if (input.isDefault) await clearDefaultConfiguration.run({ userId: version.userId, configType: version.configType, keepId: input.id }, ctx.db);
    return one(await setConfigurationDefault.run(input, ctx.db), 'configuration', input.id);
  }),

  /** Deletes one prompt version; the results it produced stay, with configurationId null. */
  delete: authedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    return one(await deleteConfiguration.run({ id: input.id }, ctx.db), 'configuration', input.id);
  }),
});
