/**
 * The one tRPC instance: transformer, error formatter, and the procedures every router uses.
 *
 * Every procedure runs in ONE transaction on one pooled connection:
 *   round trip 1: BEGIN + core.begin_request(...)  (pipelined: sent together, one wait)
 *                 -> bearer token checked, app.* settings set, SET LOCAL ROLE app_request
 *   round trips:  the procedure's own queries, as named prepared statements
 *   last:         COMMIT, or ROLLBACK on any error
 * So a procedure with one query costs 3 round trips.
 */
import type { IDatabaseConnection } from '@pgtyped/runtime';
import { initTRPC, TRPCError } from '@trpc/server';
import type pg from 'pg';
import superjson from 'superjson';
import { hashToken } from '../auth/tokens.js';
import { pgTypedConnection } from '../db/connection.js';
import { RuleViolation, toTRPCError } from '../db/errors.js';
import { beginRequest } from '../../sql/core/request.queries.js';
import type { Context } from './context.js';
import { RateLimited, hitRateLimits, type RateRule } from './rate-limit.js';

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

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  isDev: false,
  errorFormatter({ shape, error, ctx }) {
    const validation = validationErrors(error);
    const internal = error.code === 'INTERNAL_SERVER_ERROR';
    const message = internal
      ? 'Internal server error'
      : validation
        ? Object.entries(validation).map(([field, messages]) => `${field}: ${messages.join('; ')}`).join('; ')
        : shape.message;
    return {
      ...shape,
      message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        requestId: ctx?.request.requestId,
        fieldErrors: validation ?? (error.cause instanceof RuleViolation ? error.cause.fieldErrors : undefined),
        retryAfterSeconds: error.cause instanceof RateLimited ? error.cause.retryAfterSeconds : undefined,
        ...(ctx?.config.NODE_ENV === 'development' && error.stack ? { stack: error.stack } : {}),
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;

/** Checks out a connection; a checked-out client whose socket dies must not crash the process. */
async function checkout(pool: pg.Pool, onError: (err: Error) => void): Promise<pg.PoolClient> {
  const client = await pool.connect();
  client.on('error', onError);
  return client;
}

const COMMIT_BEFORE_FAILING = Symbol('commitBeforeFailing');

/**
 * Marks an error whose procedure's writes must be kept: a failed login still records its
 * LOGIN_FAILED audit event. The wrapper commits, then the client gets the error.
 */
export function failAfterCommit(error: TRPCError): TRPCError {
  return Object.assign(error, { [COMMIT_BEFORE_FAILING]: true });
}

const transaction = t.middleware(async ({ ctx, next }) => {
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken = err;
    ctx.log.warn({ message: err.message }, 'database connection failed during a request');
  };
  let client: pg.PoolClient;
  try {
    client = await checkout(ctx.pool, onError);
  } catch (err) {
    throw toTRPCError(err);
  }
  const db: IDatabaseConnection = pgTypedConnection(client, ctx.config.DB_NAMED_STATEMENTS);
  let open = false;
  try {
    open = true;
    // Sent back to back on the pipelined connection: one round trip for both.
    const [, [session]] = await Promise.all([
      client.query('begin'),
      beginRequest.run(
        {
          tokenHash: ctx.request.token ? hashToken(ctx.request.token) : null,
          clientIp: ctx.request.clientIp,
          userAgent: ctx.request.userAgent ?? null,
          requestId: ctx.request.requestId,
        },
        db,
      ),
    ]);
    const user: SessionUser | null =
      session?.userId && session.userRole && session.sessionId
        ? { id: session.userId, role: session.userRole, sessionId: session.sessionId }
        : null;
    const result = await next({ ctx: { db, user } });
    if (!result.ok) {
      if (COMMIT_BEFORE_FAILING in result.error) {
        await client.query('commit');
        open = false;
      }
      throw result.error;
    }
    await client.query('commit');
    open = false;
    return result;
  } catch (err) {
    if (open && !broken) {
      await client.query('rollback').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
    }
    const mapped = toTRPCError(err);
    if (mapped.code === 'INTERNAL_SERVER_ERROR') ctx.log.error({ err }, 'procedure failed');
    throw mapped;
  } finally {
    client.off('error', onError);
    // A broken connection is discarded instead of going back to the pool.
    client.release(broken);
  }
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
