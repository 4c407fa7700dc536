/** Opaque keyset cursors: the sort key of the last row of a page, base64url JSON. */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';

export function encodeCursor(key: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T extends z.ZodType>(cursor: string, shape: T): z.infer<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    raw = undefined;
  }
  const parsed = shape.safeParse(raw);
  if (!parsed.success) throw new TRPCError({ code: 'BAD_REQUEST', message: 'cursor: not a cursor returned by this list' });
  return parsed.data;
}

export const cursorInput = z.string().max(512).optional();
export const limitInput = z.number().int().min(1).max(200).default(50);

/** A page of rows and the cursor of the next page (null on the last page). */
export function page<T>(rows: T[], limit: number, key: (row: T) => readonly unknown[]): { items: T[]; nextCursor: string | null } {
  const last = rows.at(-1);
  return { items: rows, nextCursor: rows.length === limit && last !== undefined ? encodeCursor(key(last)) : null };
}

/** A LIKE pattern matching values that start with `prefix` literally. */
export function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

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
