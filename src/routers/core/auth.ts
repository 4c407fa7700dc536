import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { PASSWORD_RULE, checkPassword, hashPassword, passwordProblem, verifyPassword } from '../../auth/passwords.js';
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
  upgradePasswordHash,
} from '../../../sql/core/users.queries.js';
import { authedProcedure, failAfterCommit, rateLimitedProcedure, router } from '../../server/trpc.js';

// The same rules as the CHECK constraints on core.users, so that most mistakes are caught
// before the database with the same wording; the database stays the authority. Usernames are
// the union of the seeds' (any characters, up to 255, optional); surrounding spaces are trimmed.
export const USERNAME_RULE = 'username must be 1-255 characters, without control characters or leading/trailing spaces';
export const usernameInput = z
  .string()
  .trim()
  .refine((v) => v.length > 0 && [...v].length <= 255 && !/\p{Cc}/u.test(v), USERNAME_RULE);
export const emailInput = z.string().trim().max(255, 'email must be at most 255 characters').email('email must be a valid address');
export const nameInput = z.string().trim().min(1).max(255);

const registerInput = z
  .object({
    username: usernameInput.optional(),
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

/** Registration is throttled per client ip: a fixed window, counted before the input is checked. */
const registerProcedure = rateLimitedProcedure((ctx) => [
  { endpoint: 'auth.register', subject: `ip:${ctx.request.clientIp}`, limit: ctx.config.REGISTER_LIMIT_PER_IP, windowSeconds: ctx.config.REGISTER_LIMIT_WINDOW_SECONDS },
], 'anyone');

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
}, 'anyone');

export const authRouter = router({
  /** Creates an account (role user, status ACTIVE; username optional). Log in afterwards to get a token. Throttled per ip. */
  register: registerProcedure
    .meta({ openapi: { method: 'POST', path: '/auth/register', protect: false, tags: ['auth'], summary: 'Create an account' } })
    .input(registerInput).mutation(async ({ ctx, input }) => {
    const id = uuidv7();
    const passwordHash = await hashPassword(input.password);
    // RLS lets a newcomer insert only the row of the identity they act as.
    await actAs.run({ userId: id, userRole: 'user' }, ctx.db);
    const users = await insertUser.run(
      {
        id,
        username: input.username ?? null,
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
  login: loginProcedure
    .meta({ openapi: { method: 'POST', path: '/auth/login', protect: false, tags: ['auth'], summary: 'Log in: the bearer token, its expiry and the profile' } })
    .input(loginInput).mutation(async ({ ctx, input }) => {
    const [account] = await findLoginByEmail.run({ email: input.email }, ctx.db);
    const { ok: passwordOk, rehash } = await checkPassword(account?.passwordHash, input.password);
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
    if (rehash) {
      // A bcrypt hash from an existing system: the password is known right now, so it moves to
      // argon2id, unless it was changed since the lookup (then the new hash stays).
      await upgradePasswordHash.run({ id: account.id, oldHash: account.passwordHash, newHash: await hashPassword(input.password) }, ctx.db);
    }
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
  logout: authedProcedure.meta({ openapi: { method: 'POST', path: '/auth/logout', tags: ['auth'], summary: 'Revoke the current session' } }).mutation(async ({ ctx }) => {
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
  me: authedProcedure.meta({ openapi: { method: 'GET', path: '/auth/me', tags: ['auth'], summary: "The caller's profile" } }).query(async ({ ctx }) => {
    return one(await findUserById.run({ id: ctx.user.id }, ctx.db), 'user', ctx.user.id);
  }),
});
