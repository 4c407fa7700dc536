/**
 * Generic plans of generated queries, for the tests that hold each list query to its index.
 * Named prepared statements switch to a generic plan (planned without the parameter values)
 * after five runs; these helpers plan that way at once (force_generic_plan), as app_request
 * with an actor's RLS context, through PREPARE + EXPLAIN EXECUTE, which PostgreSQL 15 has too.
 */
import type { IDatabaseConnection } from '@pgtyped/runtime';
import pg from 'pg';

export interface Runnable {
  run(params: never, connection: IDatabaseConnection): Promise<unknown>;
}

export interface Actor {
  id: string;
  role: 'user' | 'admin';
}

/** A parameter value as an SQL literal, for EXECUTE's argument list. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return pg.escapeLiteral(value.toISOString());
  if (Array.isArray(value)) return pg.escapeLiteral(`{${value.join(',')}}`);
  return pg.escapeLiteral(String(value));
}

let statement = 0;

/**
 * The generic plan of a generated query run as `actor` (RLS applies), as EXPLAIN prints it.
 * The statement text is the one PgTyped sends, captured from the query's own run().
 */
export async function genericPlan(superUrl: string, query: Runnable, params: Record<string, unknown>, actor: Actor): Promise<string> {
  let text = '';
  let values: unknown[] = [];
  await query.run(params as never, {
    async query(t: string, v: unknown[]) {
      text = t;
      values = v;
      return { rows: [], rowCount: 0 };
    },
  });
  const client = new pg.Client({ connectionString: superUrl });
  await client.connect();
  try {
    await client.query('begin');
    await client.query('set local role app_request');
    await client.query(`select set_config('app.user_id', $1, true), set_config('app.user_role', $2, true)`, [actor.id, actor.role]);
    await client.query('set local plan_cache_mode = force_generic_plan');
    statement += 1;
    await client.query(`prepare plan_${statement} as ${text}`);
    const args = values.length ? `(${values.map(literal).join(', ')})` : '';
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain (costs off) execute plan_${statement}${args}`);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await client.query('rollback');
    await client.end();
  }
}

/** The Index Cond of the scan using `index` (the lines after its "using" or bitmap "on" line). */
export function indexCondition(plan: string, index: string): string {
  const lines = plan.split('\n');
  const at = lines.findIndex((line) => new RegExp(`(Index (Only )?Scan( Backward)? using ${index} on|Bitmap Index Scan on ${index}\\b)`).test(line));
  if (at < 0) return '';
  return lines.slice(at + 1).find((line) => line.trim().startsWith('Index Cond:'))?.trim() ?? '';
}
