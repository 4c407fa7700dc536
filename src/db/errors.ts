/**
 * Postgres errors -> tRPC errors. The message names the field and the rule, in words a
 * client can show; it never carries SQL text, a stack or a raw constraint definition.
 * Constraint wording comes from `COMMENT ON CONSTRAINT`, read from the catalog at codegen.
 */
import { TRPCError } from '@trpc/server';
import { camelCase } from 'camel-case';
import pg from 'pg';
import { constraints } from './generated/catalog.js';

type Code = TRPCError['code'];

/** Carried as the TRPCError's cause so that the error formatter can return field errors. */
export class RuleViolation extends Error {
  override name = 'RuleViolation';
  constructor(
    message: string,
    readonly fieldErrors: Record<string, string[]>,
    readonly sqlState?: string,
  ) {
    super(message);
  }
}

/** An error naming the rule broken and the fields it concerns (they become `data.fieldErrors`). */
export function ruleError(code: Code, message: string, fields: readonly string[] = [], cause?: pg.DatabaseError): TRPCError {
  const fieldErrors = Object.fromEntries(fields.map((field) => [field, [message]]));
  return new TRPCError({ code, message, cause: new RuleViolation(message, fieldErrors, cause?.code) });
}

function constraintOf(err: pg.DatabaseError) {
  if (!err.constraint) return undefined;
  const exact = constraints[`${err.schema}.${err.table}.${err.constraint}`];
  if (exact) return exact;
  // A partition reports its own name as the table, with the constraint it inherited from
  // its parent (the catalog lists parents only): find the constraint by name in the schema.
  const suffix = `.${err.constraint}`;
  const named = Object.keys(constraints).filter((key) => key.startsWith(`${err.schema}.`) && key.endsWith(suffix));
  return named.length === 1 ? constraints[named[0]!] : undefined;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

/**
 * A TLS handshake that fails (an untrusted or expired certificate, a host name it does not
 * carry, a server without TLS): Node's and OpenSSL's codes, e.g. ERR_TLS_CERT_ALTNAME_INVALID,
 * SELF_SIGNED_CERT_IN_CHAIN, CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE.
 */
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_)|CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;

function isConnectionFailure(err: Error & { code?: unknown }): boolean {
  if (typeof err.code === 'string' && (CONNECTION_CODES.has(err.code) || TLS_CODE.test(err.code))) return true;
  if (/The server does not support SSL connections/.test(err.message)) return true;
  return /timeout exceeded when trying to connect|Connection terminated|connection error|not queryable|Client has encountered a connection error/i.test(
    err.message,
  );
}

function unavailable(cause: Error): TRPCError {
  return new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'The database is unavailable; try again shortly', cause });
}

/**
 * Database errors by SQLSTATE class (its first two characters: 23 integrity, 42 access or
 * syntax, 57 operator intervention, ...), counted once per error as they are mapped, for
 * /metrics (src/server/metrics.ts). A connection that fails before the server could answer
 * (refused, reset, TLS) has no SQLSTATE and counts as 08, connection exception; a malformed
 * code (never seen) as XX, internal error.
 */
const errorsByClass = new Map<string, number>();
const counted = new WeakSet<Error>();

function countDatabaseError(err: Error, sqlClass: string): void {
  if (counted.has(err)) return;
  counted.add(err);
  errorsByClass.set(sqlClass, (errorsByClass.get(sqlClass) ?? 0) + 1);
}

/** Database errors mapped since the process started, by SQLSTATE class. */
export function databaseErrorsByClass(): ReadonlyMap<string, number> {
  return errorsByClass;
}

/** Maps any error thrown while talking to Postgres to a TRPCError; others pass through. */
export function toTRPCError(err: unknown): TRPCError {
  if (err instanceof TRPCError) {
    if (err.cause instanceof pg.DatabaseError || isPlainConnectionError(err.cause)) return toTRPCError(err.cause);
    // tRPC wraps an unexpected Error keeping its message; only the log may see that.
    if (err.code === 'INTERNAL_SERVER_ERROR' && err.message !== 'Internal server error') {
      return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error', cause: err.cause ?? err });
    }
    return err;
  }
  if (err instanceof pg.DatabaseError) {
    countDatabaseError(err, /^[0-9A-Z]{5}$/.test(err.code ?? '') ? err.code!.slice(0, 2) : 'XX');
    return fromDatabaseError(err);
  }
  if (err instanceof Error && isConnectionFailure(err)) {
    countDatabaseError(err, '08');
    return unavailable(err);
  }
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error', cause: err });
}

function isPlainConnectionError(err: unknown): err is Error {
  return err instanceof Error && !(err instanceof pg.DatabaseError) && isConnectionFailure(err);
}

function fromDatabaseError(err: pg.DatabaseError): TRPCError {
  const code = err.code ?? '';
  const known = constraintOf(err);
  const table = err.table ? `${err.table}` : 'row';

  // Messages of our own PL/pgSQL RAISE statements are written for people; others are not.
  const own = err.routine === 'exec_stmt_raise' ? err.message : undefined;
  // A trigger that refuses a value names its column (`RAISE ... USING column = ...`, as
  // core.guard_status_transition and core.guard_counters do) but no constraint: that column is
  // the field, under its API name (camelCase, as the catalog names constraint columns).
  const ownFields = own && err.column ? [camelCase(err.column)] : [];
  const fieldsOr = (fallback: string[]) => known?.columns ?? (ownFields.length ? ownFields : fallback);

  switch (code) {
    case '23505': {
      const fields = fieldsOr(keyColumns(err.detail));
      return ruleError('CONFLICT', own ?? known?.message ?? `${fields.join(', ') || table} already exists`, fields, err);
    }
    case '23503': {
      const fields = fieldsOr(keyColumns(err.detail));
      const stillReferenced = err.message.startsWith('update or delete on table');
      const message = own ?? (stillReferenced
        ? `this ${singular(err.table)} is still referenced by other rows`
        : known?.message ?? `${fields.join(', ')} must reference an existing row`);
      return ruleError('BAD_REQUEST', message, stillReferenced ? [] : fields, err);
    }
    case '23514': {
      const fields = fieldsOr([]);
      // Without the constraint's wording, say which row broke a rule but not the constraint's name.
      return ruleError('BAD_REQUEST', own ?? known?.message ?? `the ${singular(err.table)} breaks a data rule`, fields, err);
    }
    case '23502':
      return ruleError('BAD_REQUEST', `${err.column ?? 'a value'} is required`, err.column ? [camelCase(err.column)] : [], err);
    case '23P01':
      return ruleError('CONFLICT', known?.message ?? `the ${table} overlaps an existing one`, known?.columns ?? [], err);
    case '22P02':
      return ruleError('BAD_REQUEST', `invalid ${dataType(err.message) ?? 'value'} input`, [], err);
    case '22001':
      return ruleError('BAD_REQUEST', `a value is longer than ${dataType(err.message) ?? 'its column'} allows`, [], err);
    case '42501':
      return ruleError(
        'FORBIDDEN',
        own ??
        (err.message.includes('row-level security')
          ? `not allowed to write this ${singular(err.table ?? rlsTable(err.message))}`
          : 'not allowed to do this'),
        ownFields,
        err,
      );
    case '57014':
      return new TRPCError({ code: 'TIMEOUT', message: 'The database took too long to answer', cause: err });
    case '40001':
    case '40P01':
    case '55P03':
      return new TRPCError({ code: 'CONFLICT', message: own ?? 'Another change got there first; try again', cause: err });
    case '54000':
    case '54001': {
      // Program limits reached by a value: a btree entry over its page's third ("index row size
      // ... exceeds"), jsonb nested past the stack ("stack depth limit exceeded"), and the like.
      const fields = known?.columns ?? [];
      const message = fields.length ? `${fields.join(', ')} is too large to store` : 'a value is too large or too deeply nested to store';
      return ruleError('BAD_REQUEST', message, fields, err);
    }
    case '57P01':
    case '57P02':
    case '57P03':
    case '28000':
    case '28P01':
      return unavailable(err);
  }
  // 08: connection exceptions; 53: the server is out of a resource (disk, memory, connections,
  // a configured limit such as max_locks_per_transaction): both pass, so come back later.
  if (code.startsWith('08') || code.startsWith('53')) {
    return unavailable(err);
  }
  if (code === 'P0002') return new TRPCError({ code: 'NOT_FOUND', message: own ?? 'not found', cause: err });
  if (own) return ruleError('BAD_REQUEST', own, ownFields, err);
  if (code.startsWith('22')) return ruleError('BAD_REQUEST', 'a value is out of range or malformed', [], err);
  if (code.startsWith('23')) return ruleError('BAD_REQUEST', `the ${table} breaks a data rule`, [], err);
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error', cause: err });
}

/**
 * `Key (email)=(a@b.c) already exists.` -> ['email'] (the values are not repeated back). An
 * expression index's key (`lower(e)`) does not match: SQL is never taken for a field.
 */
function keyColumns(detail: string | undefined): string[] {
  const match = detail?.match(/^Key \(([^)]*)\)=/);
  return match?.[1] ? match[1].split(',').map((c) => c.trim()) : [];
}

function dataType(message: string): string | undefined {
  return message.match(/for type ([\w ]+(?:\(\d+\))?)/)?.[1];
}

function rlsTable(message: string): string | undefined {
  return message.match(/for table "([^"]+)"/)?.[1];
}

function singular(table: string | undefined): string {
  if (!table) return 'row';
  return table.endsWith('ies') ? `${table.slice(0, -3)}y` : table.endsWith('s') ? table.slice(0, -1) : table;
}

/** The single row a query returned, or NOT_FOUND naming what was looked for. */
export function one<T>(rows: readonly T[], what: string, id?: unknown): T {
  const row = rows[0];
  if (row === undefined) {
    throw new TRPCError({ code: 'NOT_FOUND', message: id === undefined ? `${what} not found` : `${what} ${String(id)} not found` });
  }
  return row;
}

/** The first row, or undefined when there is none. */
export function maybeOne<T>(rows: readonly T[]): T | undefined {
  return rows[0];
}
