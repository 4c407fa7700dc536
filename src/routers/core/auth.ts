import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { PASSWORD_RULE, hashPassword, passwordProblem, verifyPassword } from '../../auth/passwords.js';
import { hashToken, newToken } from '../../auth/tokens.js';
import { one, ruleError } from '../../db/errors.js';
import { uuidv7 } from '../../db/ids.js';
import { recordAuditEvent } from '../../../sql/core/audit_log.queries.js';
import {
  insertAuthSession,
  listLiveSessions,
  revokeSession,
  revokeSessionsExcept,
} from '../../../sql/core/auth_sessions.queries.js';
import { actAs } from '../../../sql/core/request.queries.js';
import {
  findLoginByEmail,
  findPasswordHash,
  findUserById,
  insertUser,
  recordLogin,
  updatePasswordHash,
} from '../../../sql/core/users.queries.js';
import { authedProcedure, failAfterCommit, publicProcedure, rateLimitedProcedure, router } from '../../server/trpc.js';

// The same rules as the CHECK constraints on core.users, so that most mistakes are caught
// before the database with the same wording; the database stays the authority.
const usernameInput = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{2,49}$/, 'username must be 3-50 characters of letters, digits, _ . - and start with a letter or digit');
export const emailInput = z.string().trim().max(255, 'email must be at most 255 characters').email('email must be a valid address');
export const nameInput = z.string().trim().min(1).max(255);

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
    if (passwordProblem(input.password, input.username)) {
      issue.addIssue({ code: 'custom', path: ['password'], message: PASSWORD_RULE });
    }
  });

const loginInput = z.object({ email: emailInput, password: z.string().min(1).max(1024) });

/** Login is throttled per email and per client ip, counted before the password is checked. */
const loginProcedure = rateLimitedProcedure((ctx, raw) => {
  const window = ctx.config.LOGIN_LIMIT_WINDOW_SECONDS;
  const rules = [{ endpoint: 'auth.login', subject: `ip:${ctx.request.clientIp}`, limit: ctx.config.LOGIN_LIMIT_PER_IP, windowSeconds: window }];
  const email = loginInput.shape.email.safeParse((raw as { email?: unknown } | undefined)?.email);
  if (email.success) {
    rules.push({ endpoint: 'auth.login', subject: `email:${email.data.toLowerCase()}`, limit: ctx.config.LOGIN_LIMIT_PER_EMAIL, windowSeconds: window });
  }
  return rules;
});

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
  login: loginProcedure.input(loginInput).mutation(async ({ ctx, input }) => {
    const [account] = await findLoginByEmail.run({ email: input.email }, ctx.db);
    const passwordOk = await verifyPassword(account?.passwordHash, input.password);
    if (!account || !passwordOk || account.status !== 'ACTIVE') {
      await recordAuditEvent.run(
        {
          action: 'LOGIN_FAILED',
          entitySchema: account ? 'core' : null,
          entityTable: account ? 'users' : null,
          entityId: account?.id ?? null,
          details: { email: input.email, reason: !account || !passwordOk ? 'bad credentials' : `account ${account.status}` },
        },
        ctx.db,
      );
      // Keep the audit row: commit, then refuse.
      throw failAfterCommit(
        !account || !passwordOk
          ? new TRPCError({ code: 'UNAUTHORIZED', message: 'email or password is incorrect' })
          : new TRPCError({ code: 'FORBIDDEN', message: `this account is ${account.status.toLowerCase()}` }),
      );
    }
    await actAs.run({ userId: account.id, userRole: account.role }, ctx.db);
    const token = newToken();
    const expiresAt = new Date(Date.now() + ctx.config.AUTH_SESSION_TTL_HOURS * 3_600_000);
    const session = one(
      await insertAuthSession.run(
        { userId: account.id, tokenHash: hashToken(token), expiresAt, ip: ctx.request.clientIp, userAgent: ctx.request.userAgent ?? null },
        ctx.db,
      ),
      'session',
    );
    const user = one(await recordLogin.run({ id: account.id }, ctx.db), 'user', account.id);
    await recordAuditEvent.run({ action: 'LOGIN', entitySchema: 'core', entityTable: 'auth_sessions', entityId: session.id, details: null }, ctx.db);
    return { token, sessionId: session.id, expiresAt: session.expiresAt, user };
  }),

  /** Ends the current session: its token stops working. */
  logout: authedProcedure.mutation(async ({ ctx }) => {
    await revokeSession.run({ id: ctx.user.sessionId, userId: ctx.user.id }, ctx.db);
    await recordAuditEvent.run({ action: 'LOGOUT', entitySchema: 'core', entityTable: 'auth_sessions', entityId: ctx.user.sessionId, details: null }, ctx.db);
    return { revoked: true };
  }),

  /** Changes the password after checking the current one; every other session is revoked. */
  changePassword: authedProcedure
    .input(z.object({ currentPassword: z.string().min(1).max(1024), newPassword: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const [row] = await findPasswordHash.run({ id: ctx.user.id }, ctx.db);
      if (!(await verifyPassword(row?.passwordHash, input.currentPassword))) {
        throw ruleError('BAD_REQUEST', 'currentPassword is incorrect', ['currentPassword']);
      }
      if (passwordProblem(input.newPassword)) throw ruleError('BAD_REQUEST', PASSWORD_RULE, ['newPassword']);
      if (input.newPassword === input.currentPassword) throw ruleError('BAD_REQUEST', 'newPassword must differ from the current one', ['newPassword']);
      await updatePasswordHash.run({ id: ctx.user.id, passwordHash: await hashPassword(input.newPassword) }, ctx.db);
      const revoked = await revokeSessionsExcept.run({ userId: ctx.user.id, keepId: ctx.user.sessionId }, ctx.db);
      await recordAuditEvent.run(
        { action: 'PASSWORD_CHANGE', entitySchema: 'core', entityTable: 'users', entityId: ctx.user.id, details: { sessionsRevoked: revoked.length } },
        ctx.db,
      );
      return { sessionsRevoked: revoked.length };
    }),

  sessions: router({
    /** The caller's live sessions, newest first; `current` marks the one making this call. */
    list: authedProcedure.query(async ({ ctx }) => {
      const sessions = await listLiveSessions.run({ userId: ctx.user.id }, ctx.db);
      return sessions.map((s) => ({ ...s, current: s.id === ctx.user.sessionId }));
    }),

    /** Revokes one of the caller's sessions. */
    revoke: authedProcedure.input(z.object({ sessionId: z.uuid() })).mutation(async ({ ctx, input }) => {
      one(await revokeSession.run({ id: input.sessionId, userId: ctx.user.id }, ctx.db), 'live session', input.sessionId);
      await recordAuditEvent.run({ action: 'SESSION_REVOKE', entitySchema: 'core', entityTable: 'auth_sessions', entityId: input.sessionId, details: null }, ctx.db);
      return { revoked: true };
    }),

    /** Revokes every session of the caller except the current one. */
    revokeOthers: authedProcedure.mutation(async ({ ctx }) => {
      const revoked = await revokeSessionsExcept.run({ userId: ctx.user.id, keepId: ctx.user.sessionId }, ctx.db);
      if (revoked.length) {
        await recordAuditEvent.run(
          { action: 'SESSION_REVOKE', entitySchema: 'core', entityTable: 'auth_sessions', entityId: null, details: { sessionsRevoked: revoked.length } },
          ctx.db,
        );
      }
      return { sessionsRevoked: revoked.length };
    }),
  }),

  /** The caller's own profile. */
  me: authedProcedure.query(async ({ ctx }) => {
    return one(await findUserById.run({ id: ctx.user.id }, ctx.db), 'user', ctx.user.id);
  }),
});
