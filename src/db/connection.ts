/**
 * The adapters PgTyped's generated `run(params, connection)` calls: over a procedure's
 * transaction (an Envelope, src/db/envelope.ts), or over a pg client (the CLIs, maintenance),
 * where each query is an Envelope of its own: [statement, Sync], in one write.
 * Each query is a NAMED prepared statement (parsed and planned once per connection; an unnamed
 * statement is parsed on every call) and result columns become the camelCase keys that
 * PgTyped's `camelCaseColumnNames` declares, each row built once from the array row.
 */
import type { IDatabaseConnection } from '@pgtyped/runtime';
import { camelCase } from 'camel-case';
import type pg from 'pg';
import { Envelope, statementName } from './envelope.js';

const fieldKeys = new Map<string, string>();

/** Same rule as PgTyped's generator: drop a `!`/`?` nullability hint, then camelCase. */
function resultKey(column: string): string {
  let key = fieldKeys.get(column);
  if (key === undefined) {
    const bare = column.endsWith('!') || column.endsWith('?') ? column.slice(0, -1) : column;
    key = camelCase(bare);
    fieldKeys.set(column, key);
  }
  return key;
}

export function toObjects(fields: ReadonlyArray<{ name: string }>, rows: unknown[][]): Record<string, unknown>[] {
  const keys = fields.map((field) => resultKey(field.name));
  return rows.map((values) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) row[keys[i]!] = values[i];
    return row;
  });
}

/** A procedure's queries, as statements of its transaction (`deferred`: see Envelope.query). */
export function envelopeConnection(envelope: Envelope, deferred = false): IDatabaseConnection {
  return {
    async query(text: string, values: unknown[]) {
      const result = await envelope.query(text, values, deferred);
      return { rows: toObjects(result.fields, result.rows), rowCount: result.rowCount };
    },
  };
}

/**
 * Queries on a checked-out client, each sent as its own Envelope: Bind/Execute and a Sync in
 * one write, without the Describe pg's own query sends every time once the statement's columns
 * are known. Outside a BEGIN block each is its own transaction (autocommit); inside one, the
 * Sync leaves the block open and a failed statement leaves it failed, as with client.query().
 * A client in pg's pipeline mode (db:seed --scale) takes pg's own queries instead: pg refuses
 * an Envelope there.
 */
export function pgTypedConnection(client: pg.ClientBase, namedStatements: boolean): IDatabaseConnection {
  if ((client as pg.ClientBase & { pipeline?: boolean }).pipeline) {
    return {
      async query(text: string, values: unknown[]) {
        const result = await client.query<unknown[]>({ text, values, rowMode: 'array', ...(namedStatements ? { name: statementName(text) } : {}) });
        return { rows: toObjects(result.fields, result.rows), rowCount: result.rowCount ?? result.rows.length };
      },
    };
  }
  return {
    async query(text: string, values: unknown[]) {
      const envelope = new Envelope({ namedStatements, idleTimeoutMs: 0 });
      envelope.start(client);
      const result = envelopeConnection(envelope).query(text, values);
      const ended = envelope.end();
      ended.catch(() => {});
      const rows = await result;
      await ended;
      return rows;
    },
  };
}

/**
 * A jsonb parameter that may be a JSON array. pg sends a JS array as a Postgres array
 * literal ('{a,b}'), which is not JSON; a JSON text is cast to jsonb by the query.
 */
export function jsonParam(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
