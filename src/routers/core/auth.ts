import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { PASSWORD_RULE, hashPassword, passwordProblem, verifyPassword } from '../../auth/passwords.js';
import { hashToken, newToken } from '../../auth/tokens.js';
import { one } from '../../db/errors.js';
import { uuidv7 } from '../../db/ids.js';
import { insertAuthSession } from '../../../sql/core/auth_sessions.queries.js';
import { actAs } from '../../../sql/core/request.queries.js';
import { findLoginByEmail, findUserById, insertUser, recordLogin } from '../../../sql/core/users.queries.js';
import { authedProcedure, publicProcedure, router } from '../../server/trpc.js';

// The same rules as the CHECK constraints on core.users, so that most mistakes are caught
// before the database with the same wording; the database stays the authority.
export const usernameInput = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{2,49}$/, 'username must be 3-50 characters of letters, digits, _ . - and start with a letter or digit');
export const emailInput = z.string().trim().max(255, 'email must be at most 255 characters').email('email must be a valid address');
const nameInput = z.string().trim().min(1).max(255);

const registerInput = z
  .object({
    username: usernameInput,
    email: emailInput,
    password: z.string(),
    fullName: nameInput.optional(),
    firstName: nameInput.optional(),
    lastName: nameInput.optional(),
  })
  .superRefine((input, issue) => {
    if (passwordProblem(input.password, input.username, input.email)) {
      issue.addIssue({ code: 'custom', path: ['password'], message: PASSWORD_RULE });
    }
  });

const loginInput = z.object({ email: emailInput, password: z.string().min(1).max(1024) });

export const authRouter = router({
  /** Creates an account (role user, status ACTIVE). Log in afterwards to get a token. */
  register: publicProcedure.input(registerInput).mutation(async ({ ctx, input }) => {
    const id = uuidv7();
    const passwordHash = await hashPassword(input.password);
    // RLS lets a newcomer insert only the row of the identity they act as.
    await actAs.run({ userId: id, userRole: 'user' }, ctx.db);
    const users = await insertUser.run(
      {
        id,
        username: input.username,
        email: input.email,
        passwordHash,
        fullName: input.fullName ?? null,
        firstName: input.firstName ?? null,
        lastName: input.lastName ?? null,
      },
      ctx.db,
    );
    return one(users, 'user', id);
  }),

  /** Checks the password and opens a session; returns the bearer token (shown once). */
  login: publicProcedure.input(loginInput).mutation(async ({ ctx, input }) => {
    const [account] = await findLoginByEmail.run({ email: input.email }, ctx.db);
    const passwordOk = await verifyPassword(account?.passwordHash, input.password);
    if (!account || !passwordOk) {
      throw new TRPCError({ code: 'UNAUTHORIZED', message: 'email or password is incorrect' });
    }
    if (account.status !== 'ACTIVE') {
      throw new TRPCError({ code: 'FORBIDDEN', message: `this account is ${account.status.toLowerCase()}` });
    }
    await actAs.run({ userId: account.id, userRole: account.role }, ctx.db);
    const token = newToken();
    const expiresAt = new Date(Date.now() + ctx.config.AUTH_SESSION_TTL_HOURS * 3_600_000);
    const [session] = await insertAuthSession.run(
      {
        userId: account.id,
        tokenHash: hashToken(token),
        expiresAt,
        ip: ctx.request.clientIp,
        userAgent: ctx.request.userAgent ?? null,
      },
      ctx.db,
    );
    const user = one(await recordLogin.run({ id: account.id }, ctx.db), 'user', account.id);
    return { token, sessionId: session!.id, expiresAt: session!.expiresAt, user };
  }),

  /** The caller's own profile. */
  me: authedProcedure.query(async ({ ctx }) => {
    return one(await findUserById.run({ id: ctx.user.id }, ctx.db), 'user', ctx.user.id);
  }),
});
