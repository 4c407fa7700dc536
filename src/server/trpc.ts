/**
 * The one tRPC instance: transformer, error formatter, and the procedures every router uses.
 *
 * Every procedure runs as app_request in transactions on a pooled connection, each led by ONE
 * setup statement (sql/core/request.sql, StartRequest: bearer token checked, app.* settings
 * set, SET LOCAL ROLE app_request), its statements sent as an Envelope (src/db/envelope.ts):
 *   query procedures: [setup, ...statements, Sync] per batch of statements, one round trip,
 *     no BEGIN or COMMIT; the query procedures of one HTTP batch share it
 *   mutations: a BEGIN block, [BEGIN, setup, first statement] in one write, COMMIT with the Sync
 * Round trips for a one-query procedure: 1 for a query, 2 for a mutation (one more on a
 * token's first use on this server, when the setup is awaited before the procedure).
 */
import { ParameterTransform, processSQLQueryIR, type IDatabaseConnection } from '@pgtyped/runtime';
import { initTRPC, TRPCError } from '@trpc/server';
import pg from 'pg';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { hashToken } from '../auth/tokens.js';
import { envelopeConnection, toObjects } from '../db/connection.js';
import { Envelope, StatementSkipped } from '../db/envelope.js';
import { parseLsn } from '../db/lsn.js';
import { lease, type Lease } from '../db/pool.js';
import { RuleViolation, toTRPCError } from '../db/errors.js';
import { startRequest, type IStartRequestParams, type IStartRequestResult } from '../../sql/core/request.queries.js';
import type { Context, RequestInfo } from './context.js';
import { observeProcedure } from './metrics.js';
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
 * setup, and StartRequest refuses the whole transaction if the token no longer
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

/** What a procedure's middleware chain answered (tRPC's middleware result, as far as it is read here). */
type Outcome = { ok: true } | { ok: false; error: TRPCError };

/** Runs the rest of the procedure with its connection and caller, or answers its refusal. */
type Proceed<R extends Outcome> = (db: IDatabaseConnection, user: SessionUser | null) => Promise<R>;

/** The error a statement failed with, rather than the "skipped" of the statements behind it. */
function unwrapSkipped(err: unknown): unknown {
  if (err instanceof StatementSkipped) return err.failure;
  if (err instanceof TRPCError && err.cause instanceof StatementSkipped) return err.cause.failure;
  return err;
}

/** The bound on a transaction left waiting by the application: the pool's idle-in-transaction timeout. */
function idleTimeoutMs(ctx: Context): number {
  return (ctx.pool as pg.Pool & { options: pg.PoolConfig }).options.idle_in_transaction_session_timeout ?? 0;
}

function envelopeOptions(ctx: Context) {
  return { namedStatements: ctx.config.DB_NAMED_STATEMENTS, idleTimeoutMs: idleTimeoutMs(ctx) };
}

async function leaseFrom(ctx: Context, pool: pg.Pool): Promise<Lease> {
  try {
    return await lease(pool, ctx.log);
  } catch (err) {
    throw toTRPCError(err);
  }
}

function failure(err: unknown): TRPCError {
  return toTRPCError(unwrapSkipped(err));
}

/** The request setup's parameters; `expected` is the session it must find (null: no assumption). */
function setupParams(ctx: Context, tokenHash: Buffer | null, expected: SessionUser | null, readOnly: boolean): IStartRequestParams {
  return {
    tokenHash,
    clientIp: ctx.request.clientIp,
    userAgent: ctx.request.userAgent ?? null,
    requestId: ctx.request.requestId,
    expectedSessionId: expected?.sessionId ?? null,
    expectedRole: expected?.role ?? null,
    readOnly,
  };
}

/**
 * StartRequest's text and parameter order, taken from the generated query once: every request
 * then sends the same string, whose statement name is found without hashing its 1.5 kB again.
 * (bench/setup-cost.ts hands the same text to pgbench.)
 */
export const START_REQUEST = processSQLQueryIR(startRequest['queryIR']);
export const START_REQUEST_PARAMS = START_REQUEST.mapping.map((p) => {
  if (p.type !== ParameterTransform.Scalar) throw new Error(`StartRequest: parameter ${p.name} is not a scalar`);
  return p.name as keyof IStartRequestParams;
});

/**
 * Queues the request setup (sql/core/request.sql, StartRequest) as the transaction's first
 * statement. Its one row proves that every setting was made, the role last: without it the
 * statements behind it would run as the owner, so anything else fails the request.
 */
function queueSetup(envelope: Envelope, params: IStartRequestParams, deferred = false): Promise<IStartRequestResult> {
  const values = START_REQUEST_PARAMS.map((name) => params[name]);
  // Six app.* settings and the role, and transaction_read_only for a query procedure.
  const settings = params.readOnly ? 8 : 7;
  return envelope.query(START_REQUEST.query, values, deferred).then((result) => {
    const rows = toObjects(result.fields, result.rows) as unknown as IStartRequestResult[];
    if (rows.length !== 1 || rows[0]!.settings !== settings) {
      throw new Error(`request setup: expected one row with ${settings} settings made, got ${rows.length} row(s) (${rows[0]?.settings ?? '-'} settings)`);
    }
    return rows[0]!;
  });
}

/** Who the setup found; remembered as the token's guess for its next request. */
function sessionUser(row: IStartRequestResult, tokenHash: Buffer | null): SessionUser | null {
  const user = row.userId && row.userRole && row.sessionId ? { id: row.userId, role: row.userRole, sessionId: row.sessionId } : null;
  if (user && tokenHash) rememberSession(tokenHash.toString('base64'), user);
  return user;
}

// ----- Mutations: one BEGIN block -----

/**
 * Ends a mutation's BEGIN block with COMMIT or ROLLBACK, sent with the Sync in one write.
 * Resolves once the server has answered: for a COMMIT, once it is durable.
 */
async function endBlock(envelope: Envelope, client: pg.PoolClient, action: 'commit' | 'rollback'): Promise<void> {
  const ended = envelope.failed ? undefined : envelope.query(action);
  ended?.catch(() => {});
  const status = await envelope.end();
  // A BEGIN block whose statement failed is still open (status E) after the Sync.
  if (status !== 'I') await client.query('rollback');
  await ended;
}

/**
 * Commits a mutation; with read replicas, also reads the primary's WAL position in the same
 * write (after the COMMIT: a replica that has replayed it has the mutation) and keeps the
 * highest one of the request for its x-commit-lsn header (read-your-writes).
 */
async function commit(ctx: Context, envelope: Envelope, client: pg.PoolClient): Promise<void> {
  if (!ctx.replicas) return endBlock(envelope, client, 'commit');
  const committed = envelope.query('commit');
  committed.catch(() => {});
  // The insert position: past the COMMIT record even when synchronous_commit is off.
  const position = envelope.query('select pg_current_wal_insert_lsn()::text as lsn');
  position.catch(() => {});
  const status = await envelope.end();
  if (status !== 'I') await client.query('rollback');
  await committed;
  const lsn = (await position).rows[0]?.[0];
  if (typeof lsn === 'string' && (!ctx.request.commitLsn || parseLsn(lsn)! > parseLsn(ctx.request.commitLsn)!)) ctx.request.commitLsn = lsn;
}

/**
 * A mutation (or a query that writes): a BEGIN block, so that it can be rolled back after
 * statements that succeeded. BEGIN and the setup wait to leave with the procedure's first
 * query (one write); the COMMIT leaves with the Sync, and the answer waits for it to be durable.
 * Round trips: 2 (3 on a token's first use, when the setup is awaited before the procedure).
 */
async function runMutation<R extends Outcome>(ctx: Context, proceed: Proceed<R>, tokenHash: Buffer | null, guess: SessionUser | null | undefined) {
  const leased = await leaseFrom(ctx, ctx.pool);
  const envelope = new Envelope(envelopeOptions(ctx));
  envelope.start(leased.client);
  const deferred = guess !== undefined;
  let broken: Error | undefined;
  try {
    envelope.query('begin', [], deferred).catch(() => {});
    const setup = queueSetup(envelope, setupParams(ctx, tokenHash, guess ?? null, false), deferred);
    setup.catch(() => {});
    const user = guess === undefined ? sessionUser(await setup, tokenHash) : guess;
    const result = await proceed(envelopeConnection(envelope), user);
    // A procedure that ran no query (bad input) has not sent the setup yet.
    envelope.send();
    const setupError = await setup.then(
      () => undefined,
      (e: unknown) => e ?? new Error('request setup failed'),
    );
    if (setupError !== undefined) {
      if (!isStaleGuess(setupError)) throw setupError;
      await endBlock(envelope, leased.client, 'rollback');
      return STALE_GUESS;
    }
    if (!result.ok) {
      await endBlock(envelope, leased.client, COMMIT_BEFORE_FAILING in result.error ? 'commit' : 'rollback');
      throw result.error;
    }
    await commit(ctx, envelope, leased.client);
    return result;
  } catch (err) {
    // A connection whose transaction could not be ended is not reused.
    if (!envelope.ended) await endBlock(envelope, leased.client, 'rollback').catch((e: Error) => (broken = e));
    const mapped = failure(err);
    if (mapped.code === 'INTERNAL_SERVER_ERROR') ctx.log.error({ err }, 'procedure failed');
    throw mapped;
  } finally {
    leased.release(broken ?? envelope.lost);
  }
}

// ----- Queries: read-only batches -----

/**
 * The connection a query procedure reads through, shared by the query procedures of one request
 * that start together (a tRPC batch). Each batch of statements queued in one tick leaves in ONE
 * write as ONE implicit read-only transaction: [setup, ...statements, Sync]. No BEGIN, no COMMIT,
 * one round trip, and the connection is free the moment the answer arrives. Under READ COMMITTED
 * every statement takes its own snapshot anyway, so a procedure whose queries span several
 * batches sees nothing a single transaction would not have shown it; every batch's setup checks
 * the token again.
 */
interface ReadConnection {
  leased: Lease;
  /** The session every batch's setup must find (the guess, or what the first setup found). */
  expected: SessionUser | null;
  pending: Array<{ text: string; values: unknown[]; resolve(r: { rows: Record<string, unknown>[]; rowCount: number }): void; reject(e: unknown): void }>;
  scheduled: boolean;
  /** A batch's setup refused the assumed session: the calls run again without it. */
  stale: boolean;
  /** A batch's setup has confirmed the token (a procedure that ran no query still needs one). */
  verified: boolean;
  /** The last batch's end (its Sync answered). */
  last: Promise<unknown>;
  calls: number;
  /** More than one procedure used it (a statement skipped for another's failure is then retried alone). */
  shared: boolean;
  lost: Error | undefined;
  /** Its last procedure has finished: the connection is on its way back to the pool. */
  closed: boolean;
}

/** Sends the batch queued so far, behind a setup, ended by a Sync: one write. */
function sendBatch(ctx: Context, read: ReadConnection, tokenHash: Buffer | null): Promise<SessionUser | null> {
  read.scheduled = false;
  const statements = read.pending.splice(0);
  const envelope = new Envelope(envelopeOptions(ctx));
  envelope.start(read.leased.client);
  const setup = queueSetup(envelope, setupParams(ctx, tokenHash, read.expected, true)).then(
    (row) => {
      read.verified = true;
      return sessionUser(row, tokenHash);
    },
    (err: unknown) => {
      if (isStaleGuess(err)) read.stale = true;
      throw err;
    },
  );
  setup.catch(() => {});
  for (const statement of statements) {
    // Answered only once the setup has proved itself (it always answers first).
    Promise.all([setup, envelope.query(statement.text, statement.values)]).then(
      ([, result]) => statement.resolve({ rows: toObjects(result.fields, result.rows), rowCount: result.rowCount }),
      statement.reject,
    );
  }
  read.last = envelope.end().catch((err: Error) => {
    read.lost ??= envelope.lost;
    return err;
  });
  return setup;
}

function readConnection(ctx: Context, read: ReadConnection, tokenHash: Buffer | null): IDatabaseConnection {
  return {
    query(text: string, values: unknown[]) {
      return new Promise((resolve, reject) => {
        read.pending.push({ text, values, resolve, reject });
        if (!read.scheduled) {
          read.scheduled = true;
          queueMicrotask(() => void sendBatch(ctx, read, tokenHash));
        }
      });
    },
  };
}

/**
 * Read connections of the requests whose query procedures started in this tick; emptied once
 * the tick is over (one timer for all of them).
 */
const sharedReads = new Map<RequestInfo, Promise<ReadConnection>>();

function shareForThisTick(request: RequestInfo, opened: Promise<ReadConnection>): void {
  if (sharedReads.size === 0) setImmediate(() => sharedReads.clear());
  sharedReads.set(request, opened);
}

async function openRead(ctx: Context, tokenHash: Buffer | null, guess: SessionUser | null | undefined): Promise<ReadConnection> {
  // A read goes to a replica that has replayed what this client last saw; else to the primary.
  const leased = await leaseFrom(ctx, ctx.replicas?.poolFor(ctx.request.minLsn) ?? ctx.pool);
  const read: ReadConnection = {
    leased,
    expected: guess ?? null,
    pending: [],
    scheduled: false,
    stale: false,
    verified: false,
    last: Promise.resolve(),
    calls: 0,
    shared: false,
    lost: undefined,
    closed: false,
  };
  if (guess === undefined) {
    // The token's first use here: the setup alone, awaited, tells who is asking.
    try {
      read.expected = await sendBatch(ctx, read, tokenHash);
    } catch (err) {
      await read.last;
      leased.release(read.lost);
      throw failure(err);
    }
  }
  return read;
}

function leaveRead(read: ReadConnection): void {
  read.calls -= 1;
  if (read.calls > 0 || read.closed) return;
  read.closed = true;
  void read.last.then(() => read.leased.release(read.lost));
}

/** A query procedure: READ ONLY, on the request's shared read connection (or its own, `alone`). */
async function runQuery<R extends Outcome>(ctx: Context, proceed: Proceed<R>, tokenHash: Buffer | null, guess: SessionUser | null | undefined, alone: boolean) {
  let opening = alone ? undefined : sharedReads.get(ctx.request);
  let joined = opening !== undefined;
  if (!opening) {
    const opened = openRead(ctx, tokenHash, guess);
    opened.catch(() => {});
    opening = opened;
    if (!alone) {
      // Only the procedures that start together (the calls of one batch) share it.
      shareForThisTick(ctx.request, opened);
    }
  }
  let read = await opening;
  // A procedure that joins after the others have all finished gets a connection of its own.
  if (read.closed) {
    read = await openRead(ctx, tokenHash, guess);
    joined = false;
  }
  read.calls += 1;
  if (joined) read.shared = true;
  try {
    const result = await proceed(readConnection(ctx, read, tokenHash), read.expected);
    if (!read.stale && !read.verified) {
      // The procedure ran no query (it answered, or refused, from the assumed session alone):
      // the token is still checked before it answers.
      await sendBatch(ctx, read, tokenHash).catch(() => {});
    }
    if (read.stale) {
      if (sharedReads.get(ctx.request) === opening) sharedReads.delete(ctx.request);
      return STALE_GUESS;
    }
    if (!result.ok) {
      // Skipped because another procedure of the shared connection failed: run again alone.
      if (read.shared && result.error.cause instanceof StatementSkipped) return SKIPPED;
      throw result.error;
    }
    return result;
  } catch (err) {
    const mapped = failure(err);
    if (mapped.code === 'INTERNAL_SERVER_ERROR') ctx.log.error({ err }, 'procedure failed');
    throw mapped;
  } finally {
    leaveRead(read);
  }
}

const SKIPPED = Symbol('skipped');

/** Who may call a procedure: anyone, a live session (any role), or an admin's session. */
type Access = 'anyone' | 'user' | 'admin';

/** The refusal of a caller who may not run a procedure of this access (a stale guess is caught by the setup). */
function refusal(ctx: Context, access: Access, user: SessionUser | null): TRPCError | undefined {
  if (access === 'anyone') return undefined;
  if (!user) {
    return new TRPCError({
      code: 'UNAUTHORIZED',
      message: ctx.request.token ? 'The session has expired or was revoked; log in again' : 'Log in first: this needs a bearer token',
    });
  }
  if (access === 'admin' && user.role !== 'admin') return new TRPCError({ code: 'FORBIDDEN', message: 'Only an admin may do this' });
  return undefined;
}

/**
 * Every procedure: as app_request with the caller's context, its token checked by the setup
 * that leads each transaction, its access checked against who the setup found (in this
 * middleware rather than one of its own: each tRPC middleware copies the whole call's options).
 * Queries run READ ONLY (a query that writes declares `.meta({ writes: true })`), one round
 * trip per batch of statements; mutations answer once their COMMIT is durable.
 */
function transaction<A extends Access>(access: A) {
  return t.middleware(async ({ ctx, next, type, meta, path }) => {
    const readOnly = type === 'query' && !meta?.writes;
    const tokenHash = ctx.request.token ? hashToken(ctx.request.token) : null;
    const key = tokenHash?.toString('base64');
    const proceed = (db: IDatabaseConnection, user: SessionUser | null) => {
      const refused = refusal(ctx, access, user);
      // Answered like a procedure that failed: the token is still verified before it goes out.
      if (refused) return Promise.resolve({ ok: false as const, error: refused, marker: undefined as never });
      return next({ ctx: { db, user: user as A extends 'anyone' ? SessionUser | null : SessionUser } });
    };
    const run = (guess: SessionUser | null | undefined, alone: boolean) =>
      readOnly ? runQuery(ctx, proceed, tokenHash, guess, alone) : runMutation(ctx, proceed, tokenHash, guess);
    const started = ctx.metrics ? performance.now() : 0;
    try {
      const guess = key === undefined ? null : guessSession(key);
      let outcome = guess === undefined ? STALE_GUESS : await run(guess, false);
      if (outcome === STALE_GUESS) {
        if (key !== undefined) sessionGuesses.delete(key);
        outcome = await run(undefined, false);
      }
      if (outcome === SKIPPED) outcome = await run(undefined, true);
      if (outcome === STALE_GUESS || outcome === SKIPPED) throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' });
      if (ctx.metrics) observeProcedure(ctx.metrics, path, type, 'ok', (performance.now() - started) / 1000);
      return outcome;
    } catch (err) {
      // /metrics: the procedure's time in its transaction and its outcome after mapping.
      if (ctx.metrics) observeProcedure(ctx.metrics, path, type, err instanceof TRPCError ? err.code : 'INTERNAL_SERVER_ERROR', (performance.now() - started) / 1000);
      throw err;
    }
  });
}

/** Anyone may call it; runs in a transaction as app_request with the caller's context. */
export const publicProcedure = t.procedure.use(transaction('anyone'));

/** Requires a live session (valid, unexpired, unrevoked token of an ACTIVE user). */
export const authedProcedure = t.procedure.use(transaction('user'));

/** Requires an admin's session. */
export const adminProcedure = t.procedure.use(transaction('admin'));

/**
 * Counts the request against rate limits before its transaction opens (see rate-limit.ts);
 * the rules may use the request context and the raw, not yet validated, input. `access` as
 * for the procedures above: 'anyone' (publicProcedure), 'user' (authedProcedure's check).
 */
export function rateLimitedProcedure<A extends Access>(rules: (ctx: Context, rawInput: unknown) => RateRule[], access: A) {
  return t.procedure
    .use(async ({ ctx, next, getRawInput }) => {
      await hitRateLimits(ctx, rules(ctx, await getRawInput()));
      return next();
    })
    .use(transaction(access));
}
