import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { coreUsersRoleSchema, coreUsersStatusSchema } from '../../db/generated/catalog.js';
import { one } from '../../db/errors.js';
import { revokeSessionsExcept } from '../../../sql/core/auth_sessions.queries.js';
import { findUserByEmail, findUserById, listUsers, setUserRole, setUserStatus, updateProfile } from '../../../sql/core/users.queries.js';
import { cursorInput, idKey, limitInput, page, prefixPattern } from '../../server/cursor.js';
import { JSON_SMALL_BYTES, jsonObjectInput } from '../../server/json-input.js';
import { adminProcedure, authedProcedure, router } from '../../server/trpc.js';
import { emailInput, nameInput } from './auth.js';

const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

const profilePatch = z
  .object({
    fullName: nullable(nameInput),
    firstName: nullable(nameInput),
    lastName: nullable(nameInput),
    bio: nullable(z.string().max(5000)),
    avatarUrl: nullable(z.string().max(500).regex(/^https?:\/\//, 'avatarUrl must be an http(s) URL')),
    preferences: jsonObjectInput(JSON_SMALL_BYTES).optional(), // 64 KiB, as users_preferences_size
  })
  .strict();

export const usersRouter = router({
  /** Changes the caller's own profile: fields left out keep their value, null clears one. */
  updateProfile: authedProcedure
    .meta({ openapi: { method: 'PATCH', path: '/users/me', tags: ['users'], summary: "Change the caller's own profile" } })
    .input(profilePatch).mutation(async ({ ctx, input }) => {
    return one(await updateProfile.run({ id: ctx.user.id, patch: input }, ctx.db), 'user', ctx.user.id);
  }),

  /** Admins: users newest first (as seed 004's get_active_users), keyset-paginated, filtered by status, role and an email/username prefix. */
  list: adminProcedure
    .input(
      z.object({
        status: coreUsersStatusSchema.optional(),
        role: coreUsersRoleSchema.optional(),
        search: z.string().trim().min(1).max(255).optional(),
        cursor: cursorInput,
        limit: limitInput,
      }),
    )
    .query(async ({ ctx, input }) => {
      const rows = await listUsers.run(
        {
          status: input.status ?? null,
          role: input.role ?? null,
          prefix: input.search ? prefixPattern(input.search) : null,
          before: idKey(input.cursor),
          limit: input.limit,
        },
        ctx.db,
      );
      return page(rows, input.limit, (row) => [row.id]);
    }),

  /** Admins: one user by id. */
  get: adminProcedure.input(z.object({ id: z.uuid() })).query(async ({ ctx, input }) => {
    return one(await findUserById.run({ id: input.id }, ctx.db), 'user', input.id);
  }),

  /** Admins: one user by email, ignoring case. */
  getByEmail: adminProcedure.input(z.object({ email: emailInput })).query(async ({ ctx, input }) => {
    return one(await findUserByEmail.run({ email: input.email }, ctx.db), 'user with email', input.email);
  }),

  /** Admins: suspend, deactivate or reactivate a user. Leaving ACTIVE revokes every session at once. */
  setStatus: adminProcedure.input(z.object({ id: z.uuid(), status: coreUsersStatusSchema })).mutation(async ({ ctx, input }) => {
    if (input.id === ctx.user.id && input.status !== 'ACTIVE') {
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'an admin cannot suspend or deactivate themselves' });
    }
    const user = one(await setUserStatus.run({ id: input.id, status: input.status }, ctx.db), 'user', input.id);
    if (input.status !== 'ACTIVE') await revokeSessionsExcept.run({ userId: input.id, keepId: null }, ctx.db);
    return user;
  }),

  /** Admins: make a user an admin, or a plain user again. */
  setRole: adminProcedure.input(z.object({ id: z.uuid(), role: coreUsersRoleSchema })).mutation(async ({ ctx, input }) => {
    if (input.id === ctx.user.id && input.role !== 'admin') {
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'an admin cannot demote themselves' });
    }
    return one(await setUserRole.run({ id: input.id, role: input.role }, ctx.db), 'user', input.id);
  }),
});
