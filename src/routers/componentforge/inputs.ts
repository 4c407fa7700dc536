/** Inputs and page shapes shared by the ComponentForge routers. */
import { z } from 'zod';
import { decodeCursor, page } from '../../server/cursor.js';

const INT4_MAX = 2_147_483_647;

/** A count or size that fits the integer columns and is never negative (the tables' CHECKs). */
export const countInput = z.number().int().min(0).max(INT4_MAX);
export const positiveInput = z.number().int().min(1).max(INT4_MAX);
export const jsonObjectInput = z.record(z.string(), z.json());
export const idInput = z.object({ id: z.uuid() });

/** Trimmed text of 1..max characters, as the tables' length CHECKs ask. */
export const textInput = (max: number) => z.string().trim().min(1).max(max);

// The sort key of pages ordered by a timestamp: Postgres's text form keeps the microseconds
// a JS Date would drop, so the next page starts exactly after the last row. A forged one that
// Postgres cannot read back is BAD_REQUEST (22007).
const timestampText = z.string().min(1).max(64);

/** The (timestamp, id) key of a cursor, or nulls for the first page. */
export function timeKey(cursor: string | undefined): [string, string] | [null, null] {
  return cursor ? decodeCursor(cursor, z.tuple([timestampText, z.uuid()])) : [null, null];
}

/** The id key of a cursor, or null for the first page. */
export function idKey(cursor: string | undefined): string | null {
  return cursor ? decodeCursor(cursor, z.tuple([z.uuid()]))[0] : null;
}

/** A page keyed by (cursorAt, id), with the key column left out of the items. */
export function timePage<T extends { cursorAt: string; id: string }>(rows: T[], limit: number) {
  const result = page(rows, limit, (row) => [row.cursorAt, row.id]);
  return { items: result.items.map(({ cursorAt: _, ...item }) => item), nextCursor: result.nextCursor };
}
