/**
 * Free-form JSON inputs (metadata, settings, requirements...): capped in size, as the table's
 * CHECK (octet_length(col::text) <= N, migration 1763800000005) caps the column, and checked
 * before zod walks them:
 * - nesting deeper than MAX_JSON_DEPTH is refused, because zod walks JSON recursively (a deep
 *   enough value overflows the stack) and such a value gains nothing from being stored;
 * - the key `__proto__` is refused: zod drops it without a word (it cannot be an own key of the
 *   object zod builds), so storing the rest would silently lose data. `constructor` and
 *   `prototype` are ordinary keys: stored and returned intact (see transformer.ts).
 */
import { z } from 'zod';

/** Small JSON fields: preferences, message metadata, lists of ids. */
export const JSON_SMALL_BYTES = 64 * 1024;
/** Larger JSON documents: evaluation configs and metrics, reviewed requirements. */
export const JSON_LARGE_BYTES = 256 * 1024;
export const MAX_JSON_DEPTH = 64;

/** The problem with a raw JSON value's shape (depth, `__proto__`), walked without recursion. */
function shapeProblem(value: unknown): string | undefined {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) return `must be nested at most ${MAX_JSON_DEPTH} levels deep`;
    if (Array.isArray(node)) {
      for (const item of node) stack.push([item, depth + 1]);
      continue;
    }
    for (const key of Object.keys(node)) {
      if (key === '__proto__') return 'must not use the key "__proto__"';
      stack.push([(node as Record<string, unknown>)[key], depth + 1]);
    }
  }
  return undefined;
}

/** Size of the value as JSON: UTF-8 bytes, or characters where the column's CHECK counts characters. */
function sizeOf(value: unknown, unit: 'bytes' | 'characters'): number | undefined {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return undefined; // not JSON (a bigint, a cycle): the schema itself refuses it
  }
  if (text === undefined) return undefined;
  return unit === 'bytes' ? Buffer.byteLength(text) : text.length;
}

/**
 * `schema` behind the shape and size checks. The checks run on the raw input first, and the
 * schema runs only when they pass; the field error names the rule.
 */
export function cappedJson<T extends z.ZodType>(schema: T, max: number, unit: 'bytes' | 'characters' = 'bytes') {
  return z
    .custom<z.input<T>>()
    .superRefine((value, ctx) => {
      const problem = shapeProblem(value);
      if (problem) {
        ctx.addIssue({ code: 'custom', message: problem });
        return;
      }
      const size = sizeOf(value, unit);
      if (size !== undefined && size > max) ctx.addIssue({ code: 'custom', message: `must be at most ${max} ${unit} as JSON` });
    })
    .pipe(schema as unknown as z.ZodType<z.output<T>, z.input<T>>);
}

/** A JSON object of at most `maxBytes` bytes as JSON (users' preferences, message metadata...). */
export function jsonObjectInput(maxBytes: number) {
  return cappedJson(z.record(z.string(), z.json()), maxBytes);
}
