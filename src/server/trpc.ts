/**
 * The one tRPC instance: transformer, error formatter, and the procedures every router uses.
 *
 * Every procedure runs in ONE transaction on one pooled connection (pipeline mode):
 *   BEGIN + core.begin_request(...) -> bearer token checked, app.* settings set, SET LOCAL ROLE
 *     app_request; when the token's session is known from its last use (and for anonymous
 *     calls) the procedure's first query is sent right behind them, in the same round trip
 *   the procedure's other queries, as named prepared statements
 *   COMMIT (ROLLBACK on any error); a query procedure answers without waiting for it
 * Round trips for a one-query procedure: 1 for a query, 2 for a mutation (3 on a token's first use).
 */
import type { IDatabaseConnection } from '@pgtyped/runtime';
import { initTRPC, TRPCError } from '@trpc/server';
import pg from 'pg';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { hashToken } from '../auth/tokens.js';
import { pgTypedConnection } from '../db/connection.js';
import { lease, type Lease } from '../db/pool.js';
import { RuleViolation, toTRPCError } from '../db/errors.js';
import { beginRequest } from '../../sql/core/request.queries.js';
import type { Context } from './context.js';
import { RateLimited, hitRateLimits, type RateRule } from './rate-limit.js';
import { transformer, WireError } from './transformer.js';

export interface SessionUser {
  id: string;
  role: string;
  sessionId: string;
}

interface Issue {
  message: string;
  path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> | undefined;
}

/** Input validation failures (zod / Standard Schema) as { "a.b": ["message"] }. */
function validationErrors(error: TRPCError): Record<string, string[]> | undefined {
  const cause = error.cause as { issues?: unknown } | undefined;
  if (error.code !== 'BAD_REQUEST' || !Array.isArray(cause?.issues)) return undefined;
  const fields: Record<string, string[]> = {};
  for (const issue of cause.issues as Issue[]) {
    const key = (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.') || '(input)';
    (fields[key] ??= []).push(issue.message);
  }
  return fields;
}

/**
 * Seconds a client should wait before retrying a 503: long enough for a pool that was full to
 * drain or a restarting database to come back, short enough not to keep a user waiting.
 */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** When to come back (the Retry-After header and data.retryAfterSeconds): throttled calls and 503s. */
export function retryAfterSeconds(error: TRPCError): number | undefined {
  if (error.cause instanceof RateLimited) return error.cause.retryAfterSeconds;
  if (error.code === 'SERVICE_UNAVAILABLE') return UNAVAILABLE_RETRY_AFTER_SECONDS;
  return undefined;
}

/** Causes whose message we wrote for clients; any other cause's text is the engine's. */
function isOwnCause(cause: unknown): boolean {
  return cause instanceof RuleViolation || cause instanceof RateLimited || cause instanceof WireError || cause instanceof TRPCError;
}

/**
 * The message a client sees. tRPC turns an unexpected error into a TRPCError that keeps its
 * message: JSON.parse's "Unexpected token ...", V8's "Cannot create a string longer than ..."
 * or "Maximum call stack size exceeded", pg's own text. Such text is replaced by words of ours;
 * the log keeps the original.
 */
function clientMessage(error: TRPCError, validation: Record<string, string[]> | undefined, message: string): string {
  if (error.code === 'INTERNAL_SERVER_ERROR') return 'Internal server error';
  if (validation) return Object.entries(validation).map(([field, messages]) => `${field}: ${messages.join('; ')}`).join('; ');
  if (error.code === 'PAYLOAD_TOO_LARGE') return message === 'PAYLOAD_TOO_LARGE' ? 'The request body is too large' : message;
  const cause = error.cause;
  if (cause !== undefined && !isOwnCause(cause) && (message === cause.message || message === error.code)) {
    if (cause instanceof SyntaxError) return 'The request is not valid JSON';
    if (error.code === 'BAD_REQUEST' || error.code === 'PARSE_ERROR') return 'The request could not be read';
    return 'The request failed';
  }
  return message;
}

/**
 * Procedure metadata: `writes` marks a query procedure that writes (it then commits before
 * answering); `openapi` publishes the procedure on the REST surface (src/server/openapi.ts).
 */
export interface ProcedureMeta extends OpenApiMeta {
  writes?: boolean;
}

const t = initTRPC.context<Context>().meta<ProcedureMeta>().create({
  transformer,
  isDev: false,
  errorFormatter({ shape, error, ctx }) {
    const validation = validationErrors(error);
    const message = clientMessage(error, validation, shape.message);
    return {
      ...shape,
      message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        requestId: ctx?.request.requestId,
        fieldErrors: validation ?? (error.cause instanceof RuleViolation ? error.cause.fieldErrors : undefined),
        retryAfterSeconds: retryAfterSeconds(error),
        ...(ctx?.config.NODE_ENV === 'development' && error.stack ? { stack: error.stack } : {}),
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

const COMMIT_BEFORE_FAILING = Symbol('commitBeforeFailing');

/**
 * Marks an error whose procedure's writes must be kept: a failed login still records its
 * LOGIN_FAILED audit event. The wrapper commits, then the client gets the error.
 */
export function failAfterCommit(error: TRPCError): TRPCError {
  return Object.assign(error, { [COMMIT_BEFORE_FAILING]: true });
}

/**
 * The session each bearer token resolved to when last verified, keyed by the token's hash.
 * Only a guess that saves a round trip: the request sends its first query right behind the
 * setup, and core.begin_request refuses the whole transaction if the token no longer
 * resolves to that session and role (revoked, expired, suspended, role changed); the request
 * is then run again the slow way. Bounded in size and age.
 */
const sessionGuesses = new Map<string, { user: SessionUser; at: number }>();
const GUESS_TTL_MS = 5 * 60_000;
const MAX_GUESSES = 10_000;

function guessSession(key: string): SessionUser | undefined {
  const entry = sessionGuesses.get(key);
  if (entry && Date.now() - entry.at < GUESS_TTL_MS) return entry.user;
  sessionGuesses.delete(key);
  return undefined;
}

function rememberSession(key: string, user: SessionUser): void {
  if (sessionGuesses.size >= MAX_GUESSES) sessionGuesses.delete(sessionGuesses.keys().next().value!);
  sessionGuesses.set(key, { user, at: Date.now() });
}

const STALE_GUESS = Symbol('staleGuess');

function isStaleGuess(err: unknown): boolean {
  return err instanceof pg.DatabaseError && err.code === '28000';
}

type Next = Parameters<Parameters<typeof t.middleware>[0]>[0]['next'];

/**
 * One procedure call in one transaction. `guess` is the session assumed for the token
 * (null: anonymous; undefined: unknown, so wait for the setup before running the procedure).
 */
async function runInTransaction(
  ctx: Context,
  next: Next,
  readOnly: boolean,
  tokenHash: Buffer | null,
  guess: SessionUser | null | undefined,
) {
  let leased: Lease;
  try {
    leased = await lease(ctx.pool, ctx.log);
  } catch (err) {
    throw toTRPCError(err);
  }
  const { client } = leased;
  const db: IDatabaseConnection = pgTypedConnection(client, ctx.config.DB_NAMED_STATEMENTS);
  let open = true;
  let rollbackFailure: Error | undefined;
  let releasedLater = false;
  try {
    // BEGIN and the setup go out back to back on the pipelined connection: one round trip,
    // shared with the procedure's first query when the session is already known.
    const setup = Promise.all([
      client.query(readOnly ? 'begin read only' : 'begin'),
      beginRequest.run(
        {
          tokenHash,
          clientIp: ctx.request.clientIp,
          userAgent: ctx.request.userAgent ?? null,
          requestId: ctx.request.requestId,
          expectedSessionId: guess?.sessionId ?? null,
          expectedRole: guess?.role ?? null,
        },
        db,
      ),
    ]).then(([, [session]]) => session);
    let user: SessionUser | null;
    if (guess === undefined) {
      const session = await setup;
      user = session?.userId && session.userRole && session.sessionId ? { id: session.userId, role: session.userRole, sessionId: session.sessionId } : null;
      if (user && tokenHash) rememberSession(tokenHash.toString('base64'), user);
    } else {
      setup.catch(() => {}); // awaited below, once the procedure is done
      user = guess;
    }
    const result = await next({ ctx: { db, user } });
    if (guess !== undefined) {
      const setupError = await setup.then(
        () => undefined,
        (err: unknown) => err ?? new Error('request setup failed'),
      );
      if (setupError !== undefined) {
        if (!isStaleGuess(setupError)) throw setupError;
        await client.query('rollback');
        open = false;
        return STALE_GUESS;
      }
    }
    if (!result.ok) {
      if (COMMIT_BEFORE_FAILING in result.error) {
        await client.query('commit');
        open = false;
      }
      throw result.error;
    }
    if (readOnly) {
      // Nothing to lose in a read-only transaction: answer now, release once COMMIT is back.
      releasedLater = true;
      client.query('commit').then(
        () => leased.release(),
        (err: Error) => leased.release(err),
      );
      return result;
    }
    await client.query('commit');
    open = false;
    return result;
  } catch (err) {
    if (open && !leased.broken) {
      await client.query('rollback').catch((e: Error) => {
        rollbackFailure = e; // a connection that cannot roll back is not reused
      });
    }
    const mapped = toTRPCError(err);
    if (mapped.code === 'INTERNAL_SERVER_ERROR') ctx.log.error({ err }, 'procedure failed');
    throw mapped;
  } finally {
    if (!releasedLater) leased.release(rollbackFailure);
  }
}

/**
 * Every procedure: one transaction as app_request with the caller's context. Queries run
 * READ ONLY (a query that writes declares `.meta({ writes: true })`) and answer before their
 * COMMIT returns; mutations commit before answering.
 */
const transaction = t.middleware(async ({ ctx, next, type, meta }) => {
  const readOnly = type === 'query' && !meta?.writes;
  const tokenHash = ctx.request.token ? hashToken(ctx.request.token) : null;
  const key = tokenHash?.toString('base64');
  const guess = key === undefined ? null : guessSession(key);
  if (guess !== undefined) {
    const outcome = await runInTransaction(ctx, next, readOnly, tokenHash, guess);
    if (outcome !== STALE_GUESS) return outcome;
    sessionGuesses.delete(key!);
  }
  const outcome = await runInTransaction(ctx, next, readOnly, tokenHash, undefined);
  if (outcome === STALE_GUESS) throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' });
  return outcome;
});

/** Anyone may call it; runs in a transaction as app_request with the caller's context. */
export const publicProcedure = t.procedure.use(transaction);

/**
 * Counts the request against rate limits before its transaction opens (see rate-limit.ts);
 * the rules may use the request context and the raw, not yet validated, input.
 */
export function rateLimitedProcedure(rules: (ctx: Context, rawInput: unknown) => RateRule[]) {
  return t.procedure
    .use(async ({ ctx, next, getRawInput }) => {
      await hitRateLimits(ctx, rules(ctx, await getRawInput()));
      return next();
    })
    .use(transaction);
}

/** Requires a live session (valid, unexpired, unrevoked token of an ACTIVE user). */
export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) {
    throw new TRPCError({
      code: 'UNAUTHORIZED',
      message: ctx.request.token ? 'The session has expired or was revoked; log in again' : 'Log in first: this needs a bearer token',
    });
  }
  return next({ ctx: { user: ctx.user } });
});

/** Requires an admin's session. */
export const adminProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.user.role !== 'admin') throw new TRPCError({ code: 'FORBIDDEN', message: 'Only an admin may do this' });
  return next();
});
