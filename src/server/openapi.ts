/**
 * The REST surface for clients that do not speak tRPC: every procedure whose meta carries
 * `openapi: { method, path }` also answers at `/api<path>` in plain JSON, and `/openapi.json`
 * describes them (OpenAPI 3.1, written by trpc-to-openapi's generator from the zod inputs).
 *
 * A REST call is the same procedure call as over /trpc: the same context (bearer token, client
 * ip, user agent, request id), middlewares (transaction, RLS, rate limits), zod input and error
 * formatter; the error's tRPC code gives the HTTP status. Inputs: path parameters, then the
 * query string (GET, DELETE) or a JSON body (POST, PATCH, PUT), capped like /trpc's.
 *
 * Why not trpc-to-openapi's own HTTP handler: before each call it sets `coerce` on the number,
 * boolean and date schemas inside the procedure's input, in place. Those schemas are shared (one
 * `limitInput` serves every list) and also validate /trpc, which would from then on accept
 * `"12"` for a number and take `"false"` as true. This dispatcher converts query strings into
 * numbers and booleans itself, only where the schema asks for one, and touches no schema.
 *
 * Responses are the procedures' results as JSON: timestamps are ISO 8601 strings, bigint and
 * numeric columns exact decimal strings (pg hands them over as strings), dates 'YYYY-MM-DD'.
 * The document describes them as JSON values without a schema: the procedures declare no
 * `.output()` parsers (they would validate every result at run time on /trpc too).
 */
import type http from 'node:http';
import { TRPCError, getTRPCErrorFromUnknown, type AnyProcedure, type AnyRouter } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { getErrorShape } from '@trpc/server/unstable-core-do-not-import';
import {
  acceptsRequestBody,
  forEachOpenApiProcedure,
  generateOpenApiDocument,
  getInputOutputParsers,
  getPathRegExp,
  instanceofZodTypeKind,
  instanceofZodTypeObject,
  normalizePath,
  unwrapZodType,
  type OpenAPIObject,
  type OpenApiMethod,
} from 'trpc-to-openapi';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import type { Context } from './context.js';
import { retryAfterSeconds } from './trpc.js';

/** Where the REST surface is mounted; the document's server URL. */
export const API_PREFIX = '/api';

/** The bearer scheme protected operations name in the document. */
const SECURITY_SCHEMES = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    description: 'The token returned by POST /api/auth/login, sent as `Authorization: Bearer <token>`',
  },
} as const;

/** Every REST response that is not an error: the procedure's result as plain JSON. */
const jsonResult = z.unknown().meta({
  description:
    "The procedure's result as JSON: timestamps are ISO 8601 strings, bigint and numeric values exact decimal strings, lists `{ items, nextCursor }` (pass nextCursor back as `cursor`)",
});

interface Route {
  method: OpenApiMethod;
  pattern: RegExp;
  /** The procedure's path in the router, e.g. `socrates.projects.get`. */
  path: string;
  procedure: AnyProcedure;
  /** The input object's fields (unwrapped), to read query strings as numbers or booleans. */
  fields: Record<string, unknown>;
}

function routesOf(router: AnyRouter): Route[] {
  const routes: Route[] = [];
  forEachOpenApiProcedure(router._def.procedures, ({ path, procedure, meta }) => {
    const { inputParser } = getInputOutputParsers(procedure);
    const input = unwrapZodType(inputParser, true);
    routes.push({
      method: meta.openapi.method,
      pattern: getPathRegExp(normalizePath(meta.openapi.path)),
      path,
      procedure: procedure as AnyProcedure,
      fields: instanceofZodTypeObject(input) ? input.shape : {},
    });
  });
  return routes;
}

type ZodNode = { _zod: { def: Record<string, unknown> & { type: string } } };

/**
 * Free-form JSON inputs (src/server/json-input.ts) are a `z.custom()` that checks size and depth
 * before the field's own schema, which OpenAPI cannot express: each gets a description in zod's
 * metadata registry (read only by document generators, never by validation).
 */
function describeJsonInputs(node: ZodNode | undefined, seen = new Set<ZodNode>()): void {
  if (!node?._zod || seen.has(node)) return;
  seen.add(node);
  const def = node._zod.def;
  const walk = (child: unknown) => describeJsonInputs(child as ZodNode | undefined, seen);
  switch (def.type) {
    case 'object':
      Object.values(def.shape as Record<string, unknown>).forEach(walk);
      break;
    case 'array':
      walk(def.element);
      break;
    case 'union':
      (def.options as unknown[]).forEach(walk);
      break;
    case 'pipe': {
      const inner = def.in as ZodNode;
      if (inner._zod.def.type === 'custom' && !z.globalRegistry.has(inner as unknown as z.ZodType)) {
        const out = unwrapZodType(def.out as Parameters<typeof unwrapZodType>[0], true) as unknown as ZodNode;
        const kind = ({ record: 'object', object: 'object', array: 'array' } as Record<string, string>)[out._zod.def.type] ?? 'value';
        z.globalRegistry.add(inner as unknown as z.ZodType, { description: `A JSON ${kind}, capped in size and nesting depth` });
      }
      walk(def.in);
      walk(def.out);
      break;
    }
    default:
      walk(def.innerType); // optional, nullable, default, prefault, readonly
  }
}

/**
 * The OpenAPI document of the router's published procedures. The generator insists on an
 * output parser: it is given a copy of each procedure's definition with a generic one, so the
 * procedures themselves keep none.
 */
export function openApiDocument(router: AnyRouter): OpenAPIObject {
  let document = documents.get(router);
  if (!document) documents.set(router, (document = generate(router)));
  return document;
}

const documents = new WeakMap<AnyRouter, OpenAPIObject>();

/**
 * The error body every REST error has (the generator's own describes trpc-to-openapi's handler,
 * `{ message, code, issues }`): the message, the tRPC code, and the formatter's data.
 */
type SchemaObject = NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>[string];

function errorSchema(code: string, title: string): SchemaObject {
  return {
    type: 'object',
    title,
    properties: {
      message: { type: 'string', description: 'What went wrong, naming the field and the rule' },
      code: { type: 'string', description: 'The tRPC error code', example: code },
      data: {
        type: 'object',
        properties: {
          code: { type: 'string' },
          httpStatus: { type: 'integer' },
          path: { type: 'string', description: 'The procedure' },
          requestId: { type: 'string', description: 'Also the X-Request-Id response header' },
          fieldErrors: {
            type: 'object',
            description: 'Each bad field (dotted path) with its rules',
            additionalProperties: { type: 'array', items: { type: 'string' } },
          },
          retryAfterSeconds: { type: 'integer', description: 'When to retry (also Retry-After), on 429 and 503' },
        },
        required: ['code', 'httpStatus'],
      },
    },
    required: ['message', 'code', 'data'],
  };
}

function generate(router: AnyRouter): OpenAPIObject {
  const procedures: Record<string, { _def: object }> = {};
  forEachOpenApiProcedure(router._def.procedures, ({ path, procedure }) => {
    const def = (procedure as AnyProcedure)._def as { output?: unknown; inputs: unknown[] };
    def.inputs.forEach((input) => describeJsonInputs(input as ZodNode));
    procedures[path] = { _def: { ...def, output: def.output ?? jsonResult } };
  });
  const document = generateOpenApiDocument({ _def: { procedures } } as unknown as Parameters<typeof generateOpenApiDocument>[0], {
    title: 'pg-trpc-persistence REST API',
    description:
      'The procedures of the tRPC API that make sense as resources, in plain JSON. Errors are `{ message, code, data: { code, httpStatus, path, requestId, fieldErrors, retryAfterSeconds } }`; `fieldErrors` maps each bad field to its rules.',
    version: '1.0.0',
    baseUrl: API_PREFIX,
    securitySchemes: SECURITY_SCHEMES,
  });
  const schemas = document.components?.schemas ?? {};
  for (const [name, schema] of Object.entries(schemas)) {
    if (name.startsWith('error.')) schemas[name] = errorSchema(name.slice('error.'.length), (schema as { title?: string }).title ?? name);
  }
  return document;
}

export interface RestOptions {
  router: AnyRouter;
  /** The same context /trpc builds from a request. */
  createContext: (req: http.IncomingMessage) => Context;
  bodyLimit: number;
  log: Logger;
}

/** The declared body size, when the request declares one. */
function declaredLength(req: http.IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  return header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined;
}

function hasBody(req: http.IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (declaredLength(req) ?? 0) > 0;
}

/** The body as JSON (undefined when there is none), refused past `limit` bytes as /trpc refuses it. */
async function readJsonBody(req: http.IncomingMessage, limit: number): Promise<unknown> {
  const tooLarge = () => new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message: `The request body is larger than the limit of ${limit} bytes` });
  if ((declaredLength(req) ?? 0) > limit) throw tooLarge();
  if (!hasBody(req)) return undefined;
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new TRPCError({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'The request body must be JSON (Content-Type: application/json)' });
  }
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err?: Error) => {
      req.off('data', onData).off('end', onEnd).off('error', onError);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    // A streamed body is refused as soon as it passes the limit; the rest is never read (the
    // answer closes the connection). Not `for await`: leaving it early destroys the socket
    // before the 413 is written.
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.pause();
      done(tooLarge());
    };
    const onEnd = () => done();
    const onError = () => done(new TRPCError({ code: 'CLIENT_CLOSED_REQUEST', message: 'The request was aborted' }));
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new TRPCError({ code: 'PARSE_ERROR', message: 'The request body is not valid JSON' });
  }
}

/** Sets an own property: a `__proto__` key from a client must not reach the prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Query parameters as the input object: a value is a number or a boolean only where the
 * schema's field is one and the text is exactly that ("12", "true"); anything else stays a
 * string for zod to refuse with the field's rule. A repeated key is an array.
 */
function queryInput(params: URLSearchParams, fields: Record<string, unknown>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const key of new Set(params.keys())) {
    const field = unwrapZodType(fields[key] as Parameters<typeof unwrapZodType>[0], true);
    const read = (text: string): unknown => {
      if (instanceofZodTypeKind(field, 'number') && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
      if (instanceofZodTypeKind(field, 'boolean') && (text === 'true' || text === 'false')) return text === 'true';
      return text;
    };
    const values = params.getAll(key).map(read);
    setOwn(input, key, values.length === 1 ? values[0] : values);
  }
  return input;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // a malformed escape: zod refuses the value with the field's rule
  }
}

function send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(body);
}

/** The handler of `/api/*`. */
export function createRestHandler(options: RestOptions): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const routes = routesOf(options.router);
  const config = options.router._def._config;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const ctx = options.createContext(req);
    res.setHeader('x-request-id', ctx.request.requestId);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = normalizePath(url.pathname.slice(API_PREFIX.length));
    const method = (req.method ?? 'GET').toUpperCase();
    const onPath = routes.filter((r) => r.pattern.test(path));
    const route = onPath.find((r) => r.method === method);
    let input: unknown;
    try {
      if (!route) {
        throw onPath.length
          ? new TRPCError({ code: 'METHOD_NOT_SUPPORTED', message: `${method} is not supported here; use ${onPath.map((r) => r.method).sort().join(' or ')}` })
          : new TRPCError({ code: 'NOT_FOUND', message: `The REST API has no ${method} ${API_PREFIX}${path}` });
      }
      const params: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(route.pattern.exec(path)?.groups ?? {})) setOwn(params, key, decode(value));
      if (acceptsRequestBody(route.method)) {
        const body = await readJsonBody(req, options.bodyLimit);
        // A body that is not an object goes to zod as it is, which names the rule.
        input = body === undefined ? { ...params } : isPlainObject(body) ? { ...body, ...params } : body;
      } else {
        input = { ...queryInput(url.searchParams, route.fields), ...params };
      }
      const procedureInput = input;
      const data: unknown = await route.procedure({
        path: route.path,
        getRawInput: async () => procedureInput,
        ctx,
        type: route.procedure._def.type,
        signal: undefined,
        batchIndex: 0,
      });
      send(res, 200, JSON.stringify(data ?? null));
    } catch (cause) {
      const error = getTRPCErrorFromUnknown(cause);
      if (error.code === 'INTERNAL_SERVER_ERROR') ctx.log.error({ err: error.cause ?? error, path: route?.path }, 'request failed');
      const shape = getErrorShape({ config, error, type: route?.procedure._def.type ?? 'unknown', path: route?.path, input, ctx });
      const headers: Record<string, string> = {};
      const retryAfter = retryAfterSeconds(error);
      if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
      if (error.code === 'UNAUTHORIZED') headers['www-authenticate'] = 'Bearer';
      // The rest of an oversized (or unread) body is not wanted: closing the connection stops the client.
      if (error.code === 'PAYLOAD_TOO_LARGE' || (hasBody(req) && !req.readableEnded)) headers.connection = 'close';
      send(res, getHTTPStatusCodeFromError(error), JSON.stringify({ message: shape.message, code: error.code, data: shape.data }), headers);
    }
  }

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Only a failure to write the response gets here (the client went away).
      options.log.warn({ err }, 'REST response failed');
      res.destroy();
    });
  };
}
