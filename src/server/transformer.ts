/**
 * The tRPC transformer of both ends (the server in trpc.ts, the typed client in src/client.ts):
 * JSON, plus the values JSON cannot carry (Date, undefined, bigint, NaN, ±Infinity, -0), in
 * superjson's wire format, `{ "json": ..., "meta": { "values": { "a.b": ["Date"] }, "v": 1 } }`,
 * so that raw HTTP callers and superjson clients keep working.
 *
 * Why not superjson itself: it refuses to serialize any object with a key named `constructor`,
 * `prototype` or `__proto__` (its guard against prototype pollution on the parsing side). One
 * such key in a jsonb column then made every read of the row a 500, although the database holds
 * valid JSON. Here such keys are ordinary data: output objects are built with own properties
 * only (defineProperty for `__proto__`), and annotations are applied only along own properties
 * of the parsed JSON, so no key path can reach a prototype.
 */

/** A malformed `meta` in a request: the message is ours, so clients may see it. */
export class WireError extends Error {
  override name = 'WireError';
}

type Leaf = 'Date' | 'undefined' | 'bigint' | 'number' | 'json';
type Annotations = Record<string, [Leaf]>;

export interface WireValue {
  json: unknown;
  meta?: { values: [Leaf] | Annotations; v: 1 };
}

/**
 * Past this depth a subtree travels as JSON text (annotation `json`): JSON.stringify recurses
 * and overflows V8's stack at a few thousand levels, and PostgreSQL accepts deeper jsonb.
 */
const MAX_DEPTH = 500;

const hasOwn = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Sets an own, enumerable property, even one named `__proto__`. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** The wire form of a value JSON cannot carry, or undefined for anything else. */
function leafOf(value: unknown): [Leaf, unknown] | undefined {
  switch (typeof value) {
    case 'undefined':
      return ['undefined', null];
    case 'bigint':
      return ['bigint', value.toString()];
    case 'number':
      if (Number.isNaN(value)) return ['number', 'NaN'];
      if (!Number.isFinite(value)) return ['number', value > 0 ? 'Infinity' : '-Infinity'];
      if (Object.is(value, -0)) return ['number', '-0'];
      return undefined;
    case 'object':
      if (value instanceof Date) return ['Date', Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()];
      return undefined;
    default:
      return undefined;
  }
}

const escapeKey = (key: string) => (key.includes('.') || key.includes('\\') ? key.replace(/\\/g, '\\\\').replace(/\./g, '\\.') : key);

/** JSON text of a value of any depth, without recursion (arrays and plain objects; leaves as JSON.stringify writes them). */
function deepJsonText(root: unknown): string {
  const out: string[] = [];
  type Frame = { array: unknown[]; i: number } | { object: Record<string, unknown>; keys: string[]; i: number };
  const stack: Frame[] = [];
  const open = (value: unknown): void => {
    const json = value !== null && typeof value === 'object' && 'toJSON' in value && typeof value.toJSON === 'function' ? value.toJSON() : value;
    if (Array.isArray(json)) {
      out.push('[');
      stack.push({ array: json, i: 0 });
    } else if (isPlainObject(json)) {
      out.push('{');
      stack.push({ object: json, keys: Object.keys(json), i: 0 });
    } else {
      out.push(JSON.stringify(json) ?? 'null');
    }
  };
  open(root);
  while (stack.length) {
    const frame = stack[stack.length - 1]!;
    if ('array' in frame) {
      if (frame.i === frame.array.length) {
        out.push(']');
        stack.pop();
        continue;
      }
      if (frame.i > 0) out.push(',');
      open(frame.array[frame.i++]);
    } else {
      if (frame.i === frame.keys.length) {
        out.push('}');
        stack.pop();
        continue;
      }
      const key = frame.keys[frame.i++]!;
      const value = frame.object[key];
      if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
      if (out[out.length - 1] !== '{') out.push(',');
      out.push(JSON.stringify(key), ':');
      open(value);
    }
  }
  return out.join('');
}

export function serialize(value: unknown): WireValue {
  // superjson's format: a root that is itself a special value is annotated as [type].
  const rootLeaf = leafOf(value);
  if (rootLeaf) return { json: rootLeaf[1], meta: { values: [rootLeaf[0]], v: 1 } };
  // Keyed by path: a null prototype, so that a path such as "__proto__" is just a key.
  const annotations: Annotations = Object.create(null);
  let annotated = false;
  const path: string[] = [];
  const walk = (node: unknown, depth: number): unknown => {
    const leaf = leafOf(node);
    if (leaf) {
      annotations[path.join('.')] = [leaf[0]];
      annotated = true;
      return leaf[1];
    }
    if (Array.isArray(node) || isPlainObject(node)) {
      if (depth >= MAX_DEPTH) {
        annotations[path.join('.')] = ['json'];
        annotated = true;
        return deepJsonText(node);
      }
    }
    if (Array.isArray(node)) {
      const out = new Array<unknown>(node.length);
      for (let i = 0; i < node.length; i++) {
        path.push(String(i));
        out[i] = walk(node[i], depth + 1);
        path.pop();
      }
      return out;
    }
    if (isPlainObject(node)) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(node)) {
        path.push(escapeKey(key));
        define(out, key, walk(node[key], depth + 1));
        path.pop();
      }
      return out;
    }
    return node; // strings, booleans, null, numbers; other objects as JSON.stringify writes them (toJSON)
  };
  const json = walk(value, 0);
  return annotated ? { json, meta: { values: annotations, v: 1 } } : { json };
}

/** superjson's path syntax: segments joined by '.', with '.' and '\' escaped by '\' (v1). */
function parsePath(text: string, legacy: boolean): string[] {
  const segments: string[] = [];
  let segment = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\\' && (text[i + 1] === '.' || (!legacy && text[i + 1] === '\\'))) {
      segment += text[++i];
    } else if (char === '\\' && !legacy) {
      throw new WireError('meta.values has a malformed path');
    } else if (char === '.') {
      segments.push(segment);
      segment = '';
    } else {
      segment += char;
    }
  }
  segments.push(segment);
  return segments;
}

function untransform(value: unknown, type: unknown): unknown {
  switch (type) {
    case 'undefined':
      return undefined;
    case 'Date':
      if (typeof value === 'string') return new Date(value);
      break;
    case 'bigint':
      if (typeof value === 'string' && /^-?\d{1,4000}$/.test(value)) return BigInt(value);
      break;
    case 'number':
      if (value === 'NaN' || value === 'Infinity' || value === '-Infinity' || value === '-0') return Number(value);
      break;
    case 'json':
      if (typeof value === 'string') {
        try {
          return JSON.parse(value);
        } catch {
          break;
        }
      }
      break;
    default:
      throw new WireError(`meta.values: unsupported value type ${JSON.stringify(type)?.slice(0, 40)}`);
  }
  throw new WireError(`meta.values: not a valid ${String(type)}`);
}

/** Applies one annotation along own properties of the parsed JSON; returns the (possibly new) root. */
function apply(root: unknown, segments: string[], type: unknown): unknown {
  if (segments.length === 0) return untransform(root, type);
  let parent: unknown = root;
  for (let i = 0; i < segments.length; i++) {
    const key = segments[i]!;
    const last = i === segments.length - 1;
    if (Array.isArray(parent) && /^\d+$/.test(key) && Number(key) < parent.length) {
      if (last) parent[Number(key)] = untransform(parent[Number(key)], type);
      else parent = parent[Number(key)];
    } else if (isPlainObject(parent) && hasOwn(parent, key)) {
      if (last) define(parent, key, untransform(parent[key], type));
      else parent = parent[key];
    } else {
      throw new WireError('meta.values names a path that is not in json');
    }
  }
  return root;
}

/** Turns a parsed `{ json, meta }` back into the value, in place. */
export function deserialize(payload: unknown): unknown {
  if (payload === null || typeof payload !== 'object') return undefined;
  const { json, meta } = payload as { json?: unknown; meta?: { values?: unknown; v?: unknown } };
  const values = meta?.values;
  if (values === undefined || values === null) return json;
  const legacy = !meta?.v;
  if (Array.isArray(values)) return apply(json, [], annotationType(values));
  if (!isPlainObject(values)) throw new WireError('meta.values must be an object');
  let result = json;
  for (const [path, annotation] of Object.entries(values)) {
    result = apply(result, parsePath(path, legacy), annotationType(annotation));
  }
  return result;
}

function annotationType(annotation: unknown): unknown {
  if (!Array.isArray(annotation) || annotation.length !== 1) throw new WireError('meta.values: only plain value annotations are supported');
  return annotation[0];
}

/** The object tRPC takes as `transformer` (initTRPC on the server, the links of the client). */
export const transformer = { serialize, deserialize };
