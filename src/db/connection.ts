/**
 * The adapter PgTyped's generated `run(params, connection)` calls. It sends each query as a
 * NAMED prepared statement (parsed and planned once per connection; an unnamed statement is
 * parsed on every call) and turns result columns into the camelCase keys that PgTyped's
 * `camelCaseColumnNames` declares, building each row once from pg's array rows.
 */
import type { IDatabaseConnection } from '@pgtyped/runtime';
import { camelCase } from 'camel-case';
import { createHash } from 'node:crypto';
import type pg from 'pg';

const statementNames = new Map<string, string>();
const fieldKeys = new Map<string, string>();

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `q_${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`;
    statementNames.set(text, name);
  }
  return name;
}

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

export type Queryable = Pick<pg.ClientBase, 'query'>;

export function pgTypedConnection(client: Queryable, namedStatements: boolean): IDatabaseConnection {
  return {
    async query(text: string, values: unknown[]) {
      const result = await client.query<unknown[]>({
        text,
        values,
        rowMode: 'array',
        ...(namedStatements ? { name: statementName(text) } : {}),
      });
      const keys = result.fields.map((field) => resultKey(field.name));
      const rows = result.rows.map((values) => {
        const row: Record<string, unknown> = {};
        for (let i = 0; i < keys.length; i++) row[keys[i]!] = values[i];
        return row;
      });
      return { rows, rowCount: result.rowCount ?? rows.length };
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
