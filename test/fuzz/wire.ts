/**
 * The fuzzer's two ends of HTTP: how a case goes on the wire (tRPC's own encoding, and the
 * ways a client can get it wrong), and the oracle that reads the answer. The oracle fails an
 * answer that is a 5xx other than a deliberate 503, or whose error carries SQL, constraint or
 * table internals, a JavaScript engine's message or a stack frame.
 */
import type { AnyRouter } from '@trpc/server';
import fc from 'fast-check';
import superjson from 'superjson';
import { constraints } from '../../src/db/generated/catalog.js';
import { EXPANSIONS, PLACEHOLDER } from './arbitraries.js';

export interface Procedure {
  path: string;
  type: 'query' | 'mutation' | 'subscription';
  /** The first input parser (zod), if the procedure takes input. */
  input: unknown;
}

/**
 * Every procedure of a router, nested routers included, read from its definition
 * (tRPC v11 keeps them flat under `_def.procedures`, keyed by their dotted path).
 */
export function discover(router: AnyRouter): Procedure[] {
  const procedures = router._def.procedures as Record<string, { _def: { type: Procedure['type']; inputs: unknown[] } }>;
  return Object.entries(procedures)
    .map(([path, p]) => ({ path, type: p._def.type, input: p._def.inputs[0] }))
    .sort((a, b) => a.path.localeCompare(b.path));
}

/** Loads a router's lazy sub-routers (tRPC v11 `lazy()`), so that `discover` sees their procedures. */
export async function loadLazy(router: AnyRouter): Promise<void> {
  const lazy = router._def.lazy as Record<string, { load(): Promise<void> }>;
  for (let round = 0; round < 10 && Object.keys(lazy).length; round++) {
    await Promise.all(Object.values(lazy).map((l) => l.load()));
  }
}

/** How a case is sent: tRPC's encoding, or one of the ways a client can send something else. */
export type Wire =
  | { kind: 'trpc' } // superjson envelope; GET ?input= for a query, POST body for a mutation
  | { kind: 'batch' } // the same, as a one-call batch (?batch=1)
  | { kind: 'raw' } // the input as plain JSON, without superjson's { json, meta } envelope
  | { kind: 'meta'; meta: unknown } // a superjson envelope with a forged meta
  | { kind: 'text'; text: string } // a body (or ?input=) that is not JSON at all
  | { kind: 'contentType'; contentType: string } // tRPC's encoding under another content type
  | { kind: 'method' } // a query sent as POST, a mutation as GET
  | { kind: 'stream' }; // tRPC's encoding as a chunked body, without Content-Length

const FORGED_META: unknown[] = [
  { values: ['bigint'] },
  { values: ['Date'] },
  { values: ['map'] },
  { values: ['set'] },
  { values: ['regexp'] },
  { values: ['symbol'] },
  { values: [['class', 'Nope']] },
  { values: [['custom', 'Nope']] },
  { values: [['typed-array', 'Uint8Array']] },
  { values: ['json'] },
  { values: { a: ['json'], b: ['undefined'] } },
  { values: { a: ['bigint'], 'a.b.c': ['Date'] } },
  { values: { '__proto__.polluted': ['undefined'] } },
  { values: { 'constructor.prototype.polluted': ['number'] } },
  { values: { '__proto__.polluted': ['json'] } },
  { values: { 'a.__proto__.polluted': ['Date'] } },
  { referentialEqualities: { '': ['a', 'b.c'] } },
  { referentialEqualities: { a: ['__proto__'] } },
  { values: 'nope' },
  { v: 999 },
  null,
  [],
  'meta',
];

const BAD_TEXT = [
  '',
  '{',
  '{"json":',
  '{"json":1,}',
  "{'json':1}",
  'nul',
  'undefined',
  'NaN',
  '\u0000',
  '\uFEFF{"json":1}',
  '{"json":"\\ud800"}',
  '{"json":"\\u0000"}',
  '{"json":1e999}',
  '{"json":-0}',
  '{"json":{"__proto__":{"polluted":true}}}',
  '{"json":{"constructor":{"prototype":{"polluted":true}}}}',
  '[1,2,3]',
  '"⟪deep-array-1e5⟫"',
  '"⟪deep-object-1e4⟫"',
  '"⟪huge-x-1e6⟫"',
  '{"json":"⟪huge-x-4e7⟫"}',
];

export const wires: fc.Arbitrary<Wire> = fc.oneof(
  { weight: 14, arbitrary: fc.constant<Wire>({ kind: 'trpc' }) },
  { weight: 2, arbitrary: fc.constant<Wire>({ kind: 'batch' }) },
  { weight: 1, arbitrary: fc.constant<Wire>({ kind: 'raw' }) },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom(...FORGED_META), fc.jsonValue({ maxDepth: 2 })).map((meta): Wire => ({ kind: 'meta', meta })) },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom(...BAD_TEXT), fc.string({ unit: 'binary', maxLength: 30 })).map((text): Wire => ({ kind: 'text', text })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('text/plain', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', '')
      .map((contentType): Wire => ({ kind: 'contentType', contentType })),
  },
  { weight: 1, arbitrary: fc.constant<Wire>({ kind: 'method' }) },
  { weight: 1, arbitrary: fc.constant<Wire>({ kind: 'stream' }) },
);

/** JSON text of a value, placeholders expanded. */
function expand(text: string): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => EXPANSIONS[name]?.() ?? whole);
}

/**
 * JSON text of any value, as a client without superjson would send it: a bigint as a number
 * literal of any size, a Map or a Set as an array, a RegExp as its source.
 */
function jsonText(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'bigint' ? `⟪n${v}⟫` : v instanceof Map || v instanceof Set ? [...v] : v instanceof RegExp ? String(v) : v,
  );
  return (text ?? 'null').replace(/"⟪n(-?\d+)⟫"/g, '$1');
}

function envelope(input: unknown): string {
  try {
    return jsonText(superjson.serialize(input));
  } catch {
    // superjson refuses some values (a `__proto__` key, say): send them as plain JSON.
    return `{"json":${jsonText(input)}}`;
  }
}

export interface Answer {
  status: number;
  text: string;
}

/** Request headers that end up in the database (user agent, request id) or parse an address. */
const HEADER_VALUES = ['', ' ', "'; drop table core.audit_log; --", 'x'.repeat(10_000), '%00', '../../etc/passwd', '${jndi:ldap://x}', '999.999.999.999', '::ffff:127.0.0.1, 10.0.0.1'];
export const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({}) },
  {
    weight: 1,
    arbitrary: fc.dictionary(fc.constantFrom('user-agent', 'x-request-id', 'x-forwarded-for', 'x-real-ip', 'accept', 'trpc-accept'), fc.constantFrom(...HEADER_VALUES), {
      minKeys: 1,
      maxKeys: 3,
    }),
  },
);

/** Sends one case to `base` and returns the status and body (never throws for an HTTP status). */
export async function send(
  base: string,
  procedure: Procedure,
  input: unknown,
  wire: Wire,
  token: string | undefined,
  extra: Record<string, string> = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...extra, ...(token ? { authorization: `Bearer ${token}` } : {}) };
  let method = procedure.type === 'query' ? 'GET' : 'POST';
  let text: string;
  let query = '';
  switch (wire.kind) {
    case 'raw':
      text = jsonText(input);
      break;
    case 'meta':
      text = `{"json":${jsonText(input)},"meta":${jsonText(wire.meta)}}`;
      break;
    case 'text':
      text = wire.text;
      break;
    case 'batch':
      text = `{"0":${envelope(input)}}`;
      query = 'batch=1';
      break;
    case 'method':
      method = method === 'GET' ? 'POST' : 'GET';
      text = envelope(input);
      break;
    default:
      text = envelope(input);
  }
  text = expand(text);
  if (wire.kind === 'contentType') {
    if (wire.contentType) headers['content-type'] = wire.contentType;
  } else if (method === 'POST') {
    headers['content-type'] = 'application/json';
  }
  let url = `${base}/trpc/${procedure.path}${query ? `?${query}` : ''}`;
  let body: string | ReadableStream<Uint8Array> | undefined = text;
  if (method === 'GET') {
    // A 40 MB query string is refused by Node before tRPC (431); no need to build it.
    url += `${query ? '&' : '?'}input=${encodeURIComponent(text.length > 1_000_000 ? text.slice(0, 1_000_000) : text)}`;
    body = undefined;
  } else if (wire.kind === 'stream') {
    body = new Blob([text]).stream();
  }
  const init = { method, headers, body, signal: AbortSignal.timeout(20_000), ...(wire.kind === 'stream' ? { duplex: 'half' } : {}) };
  let response: Response;
  try {
    response = await fetch(url, init as RequestInit);
  } catch (err) {
    // A body over the server's limit (32 MiB by default) is refused and the connection closed
    // while it is still going out: the client may see the reset before the 413 (status 0 here).
    const cause = (err as { cause?: { code?: string } }).cause;
    if (text.length > 32 * 1024 * 1024 && ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'].includes(cause?.code ?? '')) return { status: 0, text: '' };
    throw err;
  }
  if (procedure.type === 'subscription' && response.ok && response.body) {
    // A subscription streams for as long as it lives: its first event is answer enough.
    const reader = response.body.getReader();
    const first = await reader.read();
    await reader.cancel();
    return { status: response.status, text: new TextDecoder().decode(first.value ?? new Uint8Array()) };
  }
  return { status: response.status, text: await response.text() };
}

const DOCUMENTED = new Set(Object.values(constraints).flatMap((c) => (c.message ? [c.message] : [])));
const CONSTRAINT_NAMES = Object.keys(constraints).map((key) => key.split('.').at(-1)!);

/** What must never reach a client, by kind. */
const LEAKS: Array<[kind: string, pattern: RegExp]> = [
  ['SQL', /\bselect\b[^"]{0,200}\bfrom\b|\binsert\s+into\b|\bupdate\s+\S+\s+set\b|\bdelete\s+from\b|\breturning\b|\bon conflict\b|\$\d+\b/i],
  ['a schema-qualified name', /\b(?:core|socrates|componentforge|verificai|scraper|exportsathi|public|pg_catalog|pg_temp)\.[a-z_]+\b/],
  [
    'Postgres internals',
    /violates|relation "|column "|constraint "|duplicate key|null value in column|invalid input syntax|syntax error at|permission denied|row-level security|SQLSTATE|\b(?:DETAIL|HINT|CONTEXT|QUERY|LINE \d+):|PL\/pgSQL|\b\w+_(?:fkey|pkey|key|check|excl|idx)\b/i,
  ],
  [
    'an engine message',
    /Cannot create a string|Unexpected token|Unexpected end of JSON|Unexpected non-whitespace|" is not valid JSON|in JSON at position|JSON\.parse|Maximum call stack|\b(?:Type|Range|Reference|Syntax|Eval|URI|Aggregate)Error\b|Cannot read propert|Cannot (?:convert|destructure|set propert)|is not a function|is not iterable|is not a constructor|undefined is not|Invalid (?:string|array|typed array) length|out of memory|Do not know how to serialize|Converting circular|Invalid time value|\bERR_[A-Z_]{3,}|node:internal|Failed to parse|\[object Object\]/i,
  ],
  ['a stack frame', /\bat\s+(?:[^\s()]+\s+)?\(?(?:file:\/\/|node:|\/)[^\s)]*:\d+(?::\d+)?\)?|"stack"\s*:/],
];

/** tRPC errors in an answer (one, or one per call of a batch), or undefined if it is not tRPC JSON. */
function errorsIn(text: string): unknown[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  const errors: unknown[] = [];
  for (const item of items) {
    const error = (item as { error?: unknown } | null)?.error;
    if (error !== undefined) errors.push((error as { json?: unknown } | null)?.json ?? error);
  }
  return errors;
}

/** The strings of a value (keys included) that an answer may quote back, such as an unknown key. */
export function strings(value: unknown, out: string[] = [], depth = 0): string[] {
  if (typeof value === 'string') {
    if (value.length <= 200) out.push(value);
  } else if (value && typeof value === 'object' && depth < 20 && out.length < 1000) {
    for (const [k, v] of value instanceof Map ? value : Object.entries(value)) {
      strings(k, out, depth + 1);
      strings(v, out, depth + 1);
    }
  }
  return out;
}

/**
 * What is wrong with an answer to a call of `path`, or undefined when nothing is. `echoes` are
 * the caller's own strings: an error may quote them back (`Unrecognized key: "$0"`).
 */
export function judge(answer: Answer, path = '', echoes: readonly string[] = []): string | undefined {
  const errors = errorsIn(answer.text);
  const codes = errors?.map((e) => (e as { data?: { code?: string } } | null)?.data?.code);
  if (answer.status >= 500 && !(answer.status === 503 && codes?.length && codes.every((c) => c === 'SERVICE_UNAVAILABLE'))) {
    return `HTTP ${answer.status}`;
  }
  // Scan error bodies (a success may echo the caller's own data), without the procedure path.
  let scanned: string;
  if (!errors?.length) {
    if (answer.status < 400) return undefined;
    scanned = answer.text;
  } else {
    scanned = errors
      .map((error) => {
        // Not tRPC's shape (the body-limit answer is { "error": "..." }): scan it whole.
        if (typeof error !== 'object' || error === null) return JSON.stringify(error);
        const e = error as Record<string, unknown>;
        const data = { ...(e.data as Record<string, unknown> | undefined) };
        delete data.path;
        const messages = [e.message, ...Object.values((data.fieldErrors as Record<string, string[]> | undefined) ?? {}).flat()];
        // Constraint wording from COMMENT ON CONSTRAINT is written for clients: it may name columns.
        const kept = JSON.stringify({ ...e, data });
        return messages.reduce<string>((s, m) => (typeof m === 'string' && DOCUMENTED.has(m) ? s.split(JSON.stringify(m).slice(1, -1)).join('…') : s), kept);
      })
      .join('\n');
  }
  // tRPC names the procedure called in some messages ("Unsupported GET-request to ... at path").
  if (path) scanned = scanned.split(path).join('…');
  // The caller's own strings, quoted or not ("tag type/<key> not found"), longest first, where
  // they stand as words of their own: an echoed "in" must not break up "invalid input syntax".
  for (const echo of [...new Set(echoes)].filter((e) => e.length > 1).sort((a, b) => b.length - a.length)) {
    // Every regex metacharacter as \uXXXX: valid in a `u` pattern, which \p{L} needs.
    const escaped = JSON.stringify(echo).slice(1, -1).replace(/[.*+?^${}()|[\]\\/-]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    scanned = scanned.replace(new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, 'gu'), '…');
  }
  for (const [kind, pattern] of LEAKS) {
    const match = scanned.match(pattern);
    if (match) return `${kind} in the answer: …${context(scanned, match.index ?? 0)}…`;
  }
  const name = CONSTRAINT_NAMES.find((n) => scanned.includes(n));
  if (name) return `the constraint name ${name} in the answer`;
  return undefined;
}

function context(text: string, at: number): string {
  return text.slice(Math.max(0, at - 60), at + 100);
}

/** A case as a person reads it: long strings cut, placeholders as they are, exotic values named. */
export function show(value: unknown): string {
  const cut = (v: unknown): unknown => {
    if (typeof v === 'string') return v.length > 120 ? `${v.slice(0, 60)}…(${v.length} chars)` : v;
    if (Array.isArray(v)) return v.length > 20 ? [...v.slice(0, 20).map(cut), `…(${v.length} items)`] : v.map(cut);
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cut(x)]));
    return v;
  };
  return fc.stringify(cut(value));
}
