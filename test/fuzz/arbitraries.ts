/**
 * Inputs for the fuzzer, derived from a procedure's zod (v4) input schema by reading its
 * definition (`schema._zod.def`), so a new procedure or a changed rule is fuzzed as written:
 *  - schema-near-valid: the right shape, with values at the edges the rules allow (longest
 *    strings, NUL bytes, astral and combining characters, SQL-looking text, boundary numbers,
 *    ids of rows that exist);
 *  - one field broken: such a value with one place replaced by something hostile (wrong type,
 *    huge string, NaN, deep nesting, `__proto__`/`constructor` keys, an array for an object);
 *  - wholly hostile or arbitrary JSON.
 * Huge and deeply nested values travel as named placeholders (`⟪huge-x-1e6⟫`) that the wire
 * encoder expands, so that a failing case prints in a few lines and still replays exactly.
 */
import fc from 'fast-check';

/** What the fuzzer reads of a zod v4 schema. */
interface ZodLike {
  _zod: { def: ZodDef; optin?: 'optional' };
}
interface ZodDef {
  type: string;
  [key: string]: unknown;
}
interface CheckDef {
  check: string;
  minimum?: number;
  maximum?: number;
  value?: number | bigint;
  inclusive?: boolean;
  format?: string;
  pattern?: RegExp;
}

/** Values seen in the server's answers (row ids, cursors), offered back as inputs. */
export class Harvest {
  readonly ids: string[] = [];
  readonly cursors: string[] = [];
  private static readonly UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

  /** Remembers the ids and cursors of a successful answer (bounded: the newest win). */
  take(text: string): void {
    for (const id of text.match(Harvest.UUID) ?? []) remember(this.ids, id.toLowerCase());
    for (const m of text.matchAll(/"nextCursor":"((?:[^"\\]|\\.){1,500})"/g)) remember(this.cursors, JSON.parse(`"${m[1]}"`) as string);
  }
}

function remember(list: string[], value: string): void {
  if (list.includes(value)) return;
  if (list.length >= 300) list.shift();
  list.push(value);
}

/** Expansions of the placeholders that stand for values too big to print. */
export const EXPANSIONS: Record<string, () => string> = {
  'huge-x-1e4': () => JSON.stringify('x'.repeat(10_000)),
  'huge-x-1e5': () => JSON.stringify('x'.repeat(100_000)),
  'huge-x-1e6': () => JSON.stringify('x'.repeat(1_000_000)),
  // Past the server's default body limit (32 MiB): refused with 413, declared or streamed.
  'huge-x-4e7': () => JSON.stringify('x'.repeat(40_000_000)),
  'huge-nul-1e4': () => JSON.stringify('\u0000'.repeat(10_000)),
  'huge-emoji-1e5': () => JSON.stringify('\u{1F600}'.repeat(50_000)),
  'huge-array-1e5': () => `[${'0,'.repeat(99_999)}0]`,
  'huge-object-1e4': () => `{${Array.from({ length: 10_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`,
  'deep-array-1e3': () => `${'['.repeat(1_000)}${']'.repeat(1_000)}`,
  'deep-array-1e5': () => `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
  'deep-object-1e4': () => `${'{"a":'.repeat(10_000)}null${'}'.repeat(10_000)}`,
};
export const PLACEHOLDER = /"⟪([a-z0-9-]+)⟫"/g;
// In values, all but the 40 MB one (sent only as a whole body, see wire.ts: it is slow to build).
const placeholder = fc.constantFrom(...Object.keys(EXPANSIONS).filter((name) => name !== 'huge-x-4e7')).map((name) => `⟪${name}⟫`);

/** Text that has broken naive code before: NUL, lone surrogates, direction marks, SQL, format strings. */
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF',
  '\uFEFF',
  '\u202Eevil',
  'e\u0301\u0301\u0301',
  '\u{1F600}\u{1F469}\u200D\u{1F4BB}',
  '𝕏'.repeat(40),
  "'",
  "' or 1=1 --",
  "'); drop table core.users; --",
  '$1',
  '$$',
  '\\',
  '%_%',
  '%s%n%x',
  '${constructor}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  'NaN',
  'Infinity',
  '-1',
  '1e309',
  '0x10',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  '2026-02-30T25:61:61Z',
  '../../../etc/passwd',
  'file:///etc/passwd',
  'javascript:alert(1)',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
];

const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'then', '', '\u0000', 'a.b', '$where'];

// Mostly ASCII, so that rules such as "three of lower/upper/digit/symbol" are met often enough
// for a case to get past validation into SQL; then any Unicode, raw code units, and troublemakers.
const charUnit = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom('\u0000', '\uD800', "'", '"', '\\', '%', '_', '\n', '\t', '\u202E', '\u{1F600}') },
);

/** Anything that is not what a field wants: other types, huge or deep values, hostile keys. */
export const hostile: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
    { weight: 2, arbitrary: placeholder },
    {
      weight: 3,
      arbitrary: fc.constantFrom<unknown>(
        null,
        undefined,
        true,
        false,
        0,
        -0,
        -1,
        0.5,
        NaN,
        Infinity,
        -Infinity,
        2 ** 31,
        -(2 ** 31) - 1,
        2 ** 53 + 2,
        -(2 ** 63),
        1e308,
        Number.MIN_VALUE,
        2n ** 64n,
        -1n,
        new Date(0),
        new Date(8.64e15),
        [],
        {},
        [[[[[]]]]],
        new Map([['a', 1]]),
        new Set([1, 2]),
        /x/g,
      ),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom(...HOSTILE_KEYS), fc.oneof(fc.jsonValue({ maxDepth: 1 }), tie('value')))
        .map(([key, v]) => Object.fromEntries([[key, v]])),
    },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  ),
})).value;

interface Gen {
  harvest: Harvest;
  depth: number;
  key?: string;
}

function checksOf(def: ZodDef): CheckDef[] {
  const checks = (def.checks as Array<{ _zod: { def: CheckDef } }> | undefined) ?? [];
  return checks.map((c) => c._zod.def);
}

/** A uuid: mostly one the server has handed out, else a fresh or an edge one. */
function uuidArb(gen: Gen): fc.Arbitrary<string> {
  const seen = fc.nat().map((i) => gen.harvest.ids[i % Math.max(1, gen.harvest.ids.length)] ?? '01900000-0000-7000-8000-000000000000');
  return fc.oneof(
    { weight: 4, arbitrary: seen },
    { weight: 2, arbitrary: fc.uuid({ version: 7 }) },
    { weight: 1, arbitrary: fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff') },
  );
}

function stringArb(def: ZodDef, gen: Gen): fc.Arbitrary<string> {
  const checks = checksOf(def);
  const min = Math.max(0, ...checks.filter((c) => c.check === 'min_length').map((c) => c.minimum ?? 0));
  const max = Math.min(Number.MAX_SAFE_INTEGER, ...checks.filter((c) => c.check === 'max_length').map((c) => c.maximum ?? Infinity));
  const format = (def.format as string | undefined) ?? checks.find((c) => c.check === 'string_format')?.format;
  const pattern = (def.pattern as RegExp | undefined) ?? checks.find((c) => c.check === 'string_format')?.pattern;
  if (format === 'uuid' || format === 'guid') return uuidArb(gen);
  if (format === 'datetime') return fc.date({ noInvalidDate: true, min: new Date(-62135596800000), max: new Date(253402300799000) }).map((d) => d.toISOString());
  if (format === 'url') return fc.webUrl();
  if (pattern) return fc.stringMatching(pattern).filter((s) => s.length >= min && s.length <= max);
  const cap = Math.max(min, Math.min(max, 64));
  const text = fc.string({ unit: charUnit, minLength: min, maxLength: cap }).filter((s) => s.length <= max);
  const edges: Array<fc.Arbitrary<string>> = [fc.constantFrom(...NASTY_STRINGS).filter((s) => s.length >= min && s.length <= max)];
  // The longest value the rule allows, in characters that take 2 UTF-16 units or 4 UTF-8 bytes.
  if (Number.isFinite(max) && max <= 200_000) {
    edges.push(fc.constantFrom('x', 'é', '\u{1F600}', '\u0000').map((c) => (c.length === 2 ? c.repeat(Math.floor(max / 2)) : c.repeat(max))).filter((s) => s.length >= min));
  }
  const cursor = /cursor/i.test(gen.key ?? '') ? [{ weight: 3, arbitrary: fc.nat().map((i) => gen.harvest.cursors[i % Math.max(1, gen.harvest.cursors.length)] ?? 'eyJ9') }] : [];
  return fc.oneof({ weight: 5, arbitrary: text }, { weight: 2, arbitrary: fc.oneof(...edges) }, ...cursor);
}

function numberArb(def: ZodDef): fc.Arbitrary<number> {
  const checks = checksOf(def);
  const int = checks.some((c) => c.check === 'number_format' && /int/.test(c.format ?? ''));
  const lower = checks.find((c) => c.check === 'greater_than');
  const upper = checks.find((c) => c.check === 'less_than');
  const lo = lower ? Number(lower.value) : int ? -(2 ** 53 - 1) : -1e308;
  const hi = upper ? Number(upper.value) : int ? 2 ** 53 - 1 : 1e308;
  const inRange = (n: number) => (lower?.inclusive === false ? n > lo : n >= lo) && (upper?.inclusive === false ? n < hi : n <= hi);
  const body = int
    ? fc.integer({ min: Math.ceil(Math.max(lo, -(2 ** 53 - 1))), max: Math.floor(Math.min(hi, 2 ** 53 - 1)) })
    : fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true });
  const edges = [lo, hi, 0, 1, -1, lo + 1, hi - 1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 53 - 1, 0.1].filter((n) => inRange(n) && (!int || Number.isSafeInteger(n)));
  return edges.length ? fc.oneof({ weight: 3, arbitrary: body.filter(inRange) }, { weight: 2, arbitrary: fc.constantFrom(...edges) }) : body;
}

/** A value the schema accepts, or nearly: edge values within the rules. */
export function valid(schema: unknown, gen: Gen): fc.Arbitrary<unknown> {
  const def = (schema as ZodLike)._zod.def;
  const inner = (s: unknown, key?: string) => valid(s, { ...gen, depth: gen.depth + 1, key: key ?? gen.key });
  switch (def.type) {
    case 'string':
      return stringArb(def, gen);
    case 'number':
      return numberArb(def);
    case 'bigint':
      return fc.bigInt();
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'undefined':
    case 'void':
    case 'never':
      return fc.constant(undefined);
    case 'date':
      return fc.date({ noInvalidDate: true });
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries as Record<string, string | number>));
    case 'literal':
      return fc.constantFrom(...(def.values as unknown[]));
    case 'optional':
    case 'default':
    case 'prefault':
      return fc.option(inner(def.innerType), { nil: undefined, freq: 4 });
    case 'nullable':
      return fc.option(inner(def.innerType), { nil: null, freq: 4 });
    case 'readonly':
    case 'catch':
    case 'nonoptional':
    case 'promise':
    case 'success':
      return inner(def.innerType);
    case 'pipe':
      return inner(def.in);
    case 'lazy':
      // z.json() and other recursive schemas: past a few levels, any small JSON.
      return gen.depth > 4 ? fc.jsonValue({ maxDepth: 1 }) : inner((def.getter as () => unknown)());
    case 'union':
      return fc.oneof(...(def.options as unknown[]).map((o) => inner(o)));
    case 'intersection':
      return fc.tuple(inner(def.left), inner(def.right)).map(([a, b]) => (isPlainObject(a) && isPlainObject(b) ? { ...a, ...b } : b));
    case 'array': {
      const checks = checksOf(def);
      const minLength = Math.max(0, ...checks.filter((c) => c.check === 'min_length').map((c) => c.minimum ?? 0));
      const maxLength = Math.min(minLength + 4, ...checks.filter((c) => c.check === 'max_length').map((c) => c.maximum ?? Infinity));
      return fc.array(inner(def.element), { minLength, maxLength: Math.max(minLength, maxLength) });
    }
    case 'tuple':
      return fc.tuple(...(def.items as unknown[]).map((i) => inner(i)));
    case 'record':
      // JSON objects are where `constructor`, `prototype` and `__proto__` keys get stored.
      return fc.dictionary(
        fc.oneof({ weight: 3, arbitrary: inner(def.keyType).map((k) => String(k)) }, { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_KEYS) }),
        gen.depth > 4 ? fc.jsonValue({ maxDepth: 1 }) : inner(def.valueType),
        { maxKeys: 4 },
      );
    case 'object': {
      const shape = def.shape as Record<string, ZodLike>;
      const model = Object.fromEntries(Object.entries(shape).map(([key, s]) => [key, inner(s, key)]));
      const requiredKeys = Object.keys(shape).filter((key) => shape[key]!._zod.optin !== 'optional');
      return fc.record(model, { requiredKeys });
    }
    default:
      // any, unknown, custom, transform, map, set, ...: JSON of any shape.
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/** Every place in a value where something else could stand (the value itself included). */
function slots(value: unknown, out: Array<(v: unknown) => unknown> = [], set: (v: unknown) => unknown = (v) => v): Array<(v: unknown) => unknown> {
  out.push(set);
  if (Array.isArray(value)) {
    value.forEach((item, i) => slots(item, out, (v) => set(value.map((x, j) => (j === i ? v : x)))));
  } else if (isPlainObject(value)) {
    for (const key of Object.keys(value)) slots(value[key], out, (v) => set(Object.fromEntries(Object.entries(value).map(([k, x]) => [k, k === key ? v : x]))));
    // An extra key beside the expected ones (a hostile name or an ordinary one).
    out.push((v) => set(Object.fromEntries([...Object.entries(value), [HOSTILE_KEYS[Object.keys(value).length % HOSTILE_KEYS.length]!, v]])));
    out.push((v) => set(Object.fromEntries([...Object.entries(value), ['extra', v]])));
  }
  return out;
}

/** The inputs a procedure is fuzzed with (see the module comment). */
export function inputs(schema: unknown, harvest: Harvest): fc.Arbitrary<unknown> {
  if (!schema) {
    // A procedure without input: what a client might send anyway.
    return fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: hostile }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
  }
  const near = valid(schema, { harvest, depth: 0 });
  const broken = fc.tuple(near, fc.nat(), hostile).map(([value, at, replacement]) => {
    const places = slots(value);
    return places[at % places.length]!(replacement);
  });
  return fc.oneof(
    { weight: 4, arbitrary: near },
    { weight: 4, arbitrary: broken },
    { weight: 1, arbitrary: near.map((value) => [value]) }, // an array where the object goes
    { weight: 1, arbitrary: hostile },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}
