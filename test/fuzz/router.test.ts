/**
 * Property-based fuzzing of every procedure of the app router, over real HTTP, as an
 * anonymous caller, a user and an admin. Procedures are discovered from the router's
 * definition: a new one is fuzzed without being listed anywhere.
 *
 * A case fails on an HTTP 5xx other than a deliberate 503, or on an error that carries SQL,
 * constraint or table internals, an engine message or a stack frame (see wire.ts); the
 * failure prints the shrunk case (procedure, actor, wire, input) and how to replay it.
 *
 * `npm test` runs a short, fixed-seed pass; `npm run fuzz` runs FUZZ_RUNS (1,000) cases a
 * procedure with a random seed, printed. FUZZ_SEED replays a seed, FUZZ_ONLY narrows the run
 * to procedures whose path contains it.
 */
import { TRPCError, lazy } from '@trpc/server';
import fc from 'fast-check';
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { appRouter } from '../../src/routers/_app.js';
import { createHttpServer, listen } from '../../src/server/http.js';
import { publicProcedure, router } from '../../src/server/trpc.js';
import { PASSWORD, unique, useTestApp } from '../support/app.js';
import { probeRouter } from '../support/probe.js';
import { Harvest, inputs } from './arbitraries.js';
import { discover, extraHeaders, judge, loadLazy, send, show, strings, wires, type Answer, type Procedure, type Wire } from './wire.js';

const LONG = process.env.FUZZ_RUNS !== undefined;
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : LONG ? Math.floor(Math.random() * 2 ** 31) : 20261123;
const ONLY = process.env.FUZZ_ONLY;
/** FUZZ_VERBOSE=1 prints every case's status and the start of its answer. */
const VERBOSE = Boolean(process.env.FUZZ_VERBOSE);

const app = useTestApp();
const harvest = new Harvest();
await loadLazy(appRouter);
const procedures = discover(appRouter).filter((p) => !ONLY || p.path.includes(ONLY));
/** Cases a procedure: FUZZ_RUNS; in `npm test`, about 1,000 in all (3 to 8 a procedure), so the file stays fast as procedures are added. */
const RUNS = Number(process.env.FUZZ_RUNS ?? Math.min(8, Math.max(3, Math.floor(1000 / Math.max(1, procedures.length)))));
const stats = { cases: 0, failed: [] as string[], statuses: new Map<number, number>(), unavailable: [] as string[], started: 0 };

type Role = 'anonymous' | 'user' | 'admin';
/** An anonymous caller may still send a bearer token: a forged, malformed or oversized one. */
type Caller = Role | `anonymous with token ${string}`;
const FORGED_TOKENS = ['x', '0'.repeat(64), 'x'.repeat(8_000), 'null', "' or 1=1 --", 'Bearer x', '%00', '..%2f..%2f'];
const callers: fc.Arbitrary<Caller> = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom<Role>('anonymous', 'user', 'admin') },
  { weight: 1, arbitrary: fc.constantFrom(...FORGED_TOKENS).map((token): Caller => `anonymous with token ${token}`) },
);

function tokenOf(caller: Caller): string | undefined {
  return caller.startsWith('anonymous with token ') ? caller.slice('anonymous with token '.length) : actors[caller as Role].token;
}
interface Actor {
  token?: string;
}
const actors: Record<Role, Actor> = { anonymous: {}, user: {}, admin: {} };
/** Set when a call succeeded that may have logged an actor out, suspended or demoted it. */
let actorsMayHaveChanged = false;

let signIns = 0;

/**
 * A signed-in actor, created in-process from an address of its own (198.18.0.0/15, set aside
 * for tests), so that neither the fuzzer's login and registration attempts over HTTP (from
 * 127.0.0.1) nor earlier actors can throttle it.
 */
async function signIn(role: 'user' | 'admin'): Promise<Actor> {
  signIns += 1;
  const caller = app.caller({ clientIp: `198.18.${(signIns >> 8) & 255}.${signIns & 255}` });
  const username = unique(`fuzz${role}`);
  const email = `${username}@example.com`;
  const user = await caller.auth.register({ username, email, password: PASSWORD });
  if (role === 'admin') await app.sqlAsAdmin(`update core.users set role = 'admin' where id = $1`, [user.id]);
  return { token: (await caller.auth.login({ email, password: PASSWORD })).token };
}

/** Replaces an actor that a fuzzed call logged out, suspended or demoted. */
async function keepActors(): Promise<void> {
  if (!actorsMayHaveChanged) return;
  actorsMayHaveChanged = false;
  for (const role of ['user', 'admin'] as const) {
    const me = await app.caller({ token: actors[role].token }).auth.me().catch(() => undefined);
    if (me?.role !== role) actors[role] = await signIn(role);
  }
}

let base: string;
let server: http.Server;
beforeAll(async () => {
  server = await createHttpServer({ ...app.services, config: { ...app.services.config, NODE_ENV: 'production' }, trustedProxies: '' });
  base = await listen(server, 0, '127.0.0.1');
  actors.user = await signIn('user');
  actors.admin = await signIn('admin');
  stats.started = performance.now();
  if (LONG) console.log(`fuzz: seed ${SEED} (replay with FUZZ_SEED=${SEED}), ${procedures.length} procedures, ${RUNS} runs each`);
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  if (!stats.cases) return;
  const seconds = ((performance.now() - stats.started) / 1000).toFixed(1);
  const statuses = [...stats.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(', ');
  console.log(
    `fuzz: seed ${SEED}, ${procedures.length} procedures, ${RUNS} runs each, ${stats.cases} HTTP cases (shrinking included) in ${seconds} s; ` +
      `statuses ${statuses}; ${stats.failed.length} procedures failed${stats.failed.length ? `: ${stats.failed.join(', ')}` : ''}`,
  );
  for (const c of stats.unavailable) console.log(`fuzz: 503 for ${c}`);
});

interface Case {
  actor: Caller;
  wire: Wire;
  input: unknown;
  headers: Record<string, string>;
}

function describeCase(procedure: Procedure, c: Case): string {
  return `${procedure.path} as ${c.actor}, wire ${show(c.wire)}, input ${show(c.input)}${Object.keys(c.headers).length ? `, headers ${show(c.headers)}` : ''}`;
}

/**
 * The latest mutations that succeeded, any procedure's: when a read fails on stored data, one
 * of them wrote it (the shrunk case alone may not reproduce on a fresh database).
 */
const recentWrites: string[] = [];

/** The server runs in this process: a request that pollutes Object.prototype shows here. */
const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype);

/** One case: send it to `url`, remember what it revealed, and fail it if the answer is wrong. */
async function runCase(url: string, procedure: Procedure, c: Case): Promise<void> {
  await keepActors();
  let answer: Answer;
  try {
    answer = await send(url, procedure, c.input, c.wire, tokenOf(c.actor), c.headers);
  } catch (err) {
    throw new Error(`no answer: ${(err as Error).message}`);
  }
  // The summary counts the app's answers only (not the planted bugs' server).
  if (url === base) stats.cases += 1;
  if (VERBOSE) console.log(`${answer.status} ${describeCase(procedure, c)}\n    -> ${answer.text.slice(0, 300)}`);
  if (url === base) stats.statuses.set(answer.status, (stats.statuses.get(answer.status) ?? 0) + 1);
  // A 503 is allowed (the database is unavailable) but should not happen here: note it.
  if (answer.status === 503 && stats.unavailable.length < 5) stats.unavailable.push(describeCase(procedure, c));
  if (answer.status < 300) {
    harvest.take(answer.text);
    if (procedure.type === 'mutation') {
      actorsMayHaveChanged = true;
      recentWrites.push(describeCase(procedure, c));
      if (recentWrites.length > 8) recentWrites.shift();
    }
  }
  const added = Object.getOwnPropertyNames(Object.prototype).filter((key) => !PROTOTYPE_KEYS.includes(key));
  if (added.length) {
    // Undone at once, so that shrinking sees only the cases that pollute.
    for (const key of added) delete (Object.prototype as Record<string, unknown>)[key];
    throw new Error(`Object.prototype was polluted with ${added.join(', ')}`);
  }
  const wrong = judge(answer, procedure.path, strings(c.input));
  if (wrong) throw new Error(`${wrong}\nHTTP ${answer.status}: ${answer.text.slice(0, 600)}`);
}

/** A seed per procedure, so that adding one does not change the others' cases. */
function seedFor(path: string): number {
  let h = SEED | 0;
  for (const ch of path) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

/**
 * Fuzzes one procedure served at `url`: a fast-check run of `runs` cases, shrunk on failure.
 * Returns the run's details and, on failure, a report of the shrunk and the first failing case.
 */
async function fuzz(url: string, procedure: Procedure, runs: number): Promise<{ details: fc.RunDetails<[Case]>; report?: string }> {
  const cases = fc.record({ actor: callers, wire: wires, input: inputs(procedure.input, harvest), headers: extraHeaders });
  let firstFailure: { c: Case; writes: string[] } | undefined;
  const property = fc.asyncProperty(cases, async (c) => {
    const writes = [...recentWrites];
    try {
      await runCase(url, procedure, c);
    } catch (err) {
      firstFailure ??= { c, writes };
      throw err;
    }
  });
  const details = await fc.check(property, { seed: seedFor(procedure.path), numRuns: runs });
  if (!details.failed) return { details };
  const c = details.counterexample?.[0];
  const first = firstFailure ? [`first failing case, before shrinking: ${describeCase(procedure, firstFailure.c)}`, 'the latest successful mutations before it:', ...firstFailure.writes.map((w) => `  ${w}`)] : [];
  const report = [
    `${procedure.path} (${procedure.type}) failed after ${details.numRuns} cases, shrunk ${details.numShrinks} times:`,
    `  actor: ${c?.actor}`,
    `  wire:  ${show(c?.wire)}`,
    `  input: ${show(c?.input)}`,
    ...(c && Object.keys(c.headers).length ? [`  headers: ${show(c.headers)}`] : []),
    `  ${String((details.errorInstance as Error | undefined)?.message ?? details.errorInstance).split('\n').join('\n  ')}`,
    ...first,
    `replay: FUZZ_SEED=${SEED} FUZZ_ONLY=${procedure.path} FUZZ_RUNS=${runs} npx vitest run test/fuzz (fast-check seed ${details.seed}, path "${details.counterexamplePath}")`,
  ].join('\n');
  return { details, report };
}

/**
 * Procedures with bugs planted on purpose, to prove that the fuzzer finds such bugs and
 * shrinks them: a 500 on stored JSON with a `constructor` key (issue 12's first finding), and
 * an error that passes PostgreSQL's own message to the client.
 */
const planted = router({
  saveJson: publicProcedure.input(z.object({ data: z.record(z.string(), z.json()) })).mutation(({ input }) => {
    if (Object.keys(input.data).some((key) => ['constructor', 'prototype', '__proto__'].includes(key))) throw new Error('refused to serialize');
    return input.data;
  }),
  leaky: publicProcedure.input(z.object({ id: z.string() })).query(async ({ ctx, input }) => {
    try {
      await ctx.db.query('select $1::uuid', [input.id]);
    } catch (err) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: (err as Error).message });
    }
    return 'ok';
  }),
});

describe('fuzzing', () => {
  it('discovers every procedure of a router, nested and lazy routers included, with its kind and input', async () => {
    const found = discover(router({ probe: probeRouter, nested: router({ deeper: router({ probe: probeRouter }) }) }));
    expect(found.map((p) => `${p.path} ${p.type}`)).toEqual(
      expect.arrayContaining(['probe.sql mutation', 'probe.sqlQuery query', 'nested.deeper.probe.whoami query', 'nested.deeper.probe.adminOnly query']),
    );
    expect(found).toHaveLength(2 * Object.keys(probeRouter._def.procedures).length);
    expect(found.find((p) => p.path === 'probe.sql')?.input).toBeDefined();
    expect(found.find((p) => p.path === 'probe.whoami')?.input).toBeUndefined();
    const later = router({ later: lazy(async () => probeRouter) });
    await loadLazy(later);
    expect(discover(later).map((p) => p.path)).toContain('later.sql');
    // The app router as served: nothing of it escapes the fuzzer.
    expect(discover(appRouter)).toHaveLength(Object.keys(appRouter._def.procedures).length);
  });

  it('finds planted bugs and shrinks them: a 500 on a JSON key, a PostgreSQL message passed through', async () => {
    const server = await createHttpServer({ ...app.services, config: { ...app.services.config, NODE_ENV: 'production' }, trustedProxies: '', router: planted });
    try {
      const url = await listen(server, 0, '127.0.0.1');
      const [saveJson, leaky] = ['saveJson', 'leaky'].map((path) => discover(planted).find((p) => p.path === path)!);
      const crash = await fuzz(url, saveJson!, 300);
      expect(crash.details.failed).toBe(true);
      expect(crash.report).toMatch(/HTTP 500/);
      const data = (crash.details.counterexample![0].input as { data?: Record<string, unknown> } | undefined)?.data;
      // Shrunk to a few keys, hostile ones (the shrinker may keep two where one would do).
      const keys = Object.keys(data ?? {});
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.length).toBeLessThanOrEqual(2);
      expect(keys.some((key) => ['constructor', 'prototype', '__proto__'].includes(key))).toBe(true);
      const leak = await fuzz(url, leaky!, 300);
      expect(leak.details.failed).toBe(true);
      expect(leak.report).toMatch(/Postgres internals in the answer: .*invalid input syntax for type uuid/);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('the oracle fails a 500, SQL, constraint internals, engine messages and stack frames, and passes clean errors', () => {
    const error = (message: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ error: { json: { message, code: -32600, data: { code: 'BAD_REQUEST', httpStatus: 400, path: 'componentforge.documents.get', ...extra } } } });
    expect(judge({ status: 500, text: error('Internal server error') })).toBe('HTTP 500');
    expect(judge({ status: 502, text: 'bad gateway' })).toBe('HTTP 502');
    expect(judge({ status: 503, text: JSON.stringify({ error: { json: { message: 'The database is unavailable; try again shortly', data: { code: 'SERVICE_UNAVAILABLE' } } } }) })).toBeUndefined();
    expect(judge({ status: 400, text: error('insert into core.users (email) values ($1)') })).toMatch(/^SQL/);
    expect(judge({ status: 409, text: error('duplicate key value violates unique constraint "users_email_key"') })).toMatch(/internals/);
    expect(judge({ status: 400, text: error('the documents breaks the rule documents_status_check') })).toMatch(/internals/);
    expect(judge({ status: 400, text: error('new row for relation "documents" violates check constraint') })).toMatch(/internals/);
    expect(judge({ status: 400, text: error('Unexpected token } in JSON at position 5') })).toMatch(/engine/);
    expect(judge({ status: 400, text: error('Cannot create a string longer than 0x1fffffe8 characters') })).toMatch(/engine/);
    expect(judge({ status: 400, text: error('Maximum call stack size exceeded') })).toMatch(/engine/);
    expect(judge({ status: 400, text: error('x', { stack: 'Error: x\n    at parse (/work/main/src/server/trpc.ts:12:3)' }) })).toMatch(/stack/);
    expect(judge({ status: 400, text: 'Error: x\n    at Object.<anonymous> (file:///srv/app.js:1:2)' })).toMatch(/stack/);
    // Answers outside tRPC's shape are read too.
    expect(judge({ status: 400, text: JSON.stringify({ error: 'duplicate key value violates unique constraint "users_email_key"' }) })).toMatch(/internals/);
    expect(judge({ status: 400, text: JSON.stringify({ reason: 'relation "core.users" does not exist' }) })).toMatch(/internals|schema/);
    expect(judge({ status: 413, text: JSON.stringify({ error: 'The request body is larger than the limit of 33554432 bytes' }) })).toBeUndefined();
    // Clean answers: documented constraint wording (it may name columns), field errors, a success echoing SQL-like data.
    expect(judge({ status: 400, text: error('user_id must reference an existing user', { fieldErrors: { userId: ['user_id must reference an existing user'] } }) })).toBeUndefined();
    expect(judge({ status: 400, text: error('email: Invalid email address', { fieldErrors: { email: ['Invalid email address'] } }) })).toBeUndefined();
    expect(judge({ status: 404, text: error('document 01900000-0000-7000-8000-000000000000 not found') })).toBeUndefined();
    expect(judge({ status: 200, text: JSON.stringify({ result: { data: { json: { title: "'); delete from core.users; --" } } } }) })).toBeUndefined();
    // The procedure's own path, and the caller's own strings quoted back, are not leaks.
    const path = 'componentforge.documents.get';
    expect(judge({ status: 405, text: error(`Unsupported POST-request to query procedure at path "${path}"`) }, path)).toBeUndefined();
    expect(judge({ status: 400, text: error('(input): Unrecognized key: "$1"') }, path, ['$1'])).toBeUndefined();
    expect(judge({ status: 400, text: error('(input): Unrecognized key: "$1"') }, path, [])).toMatch(/^SQL/);
    expect(judge({ status: 404, text: error("tag type/'); drop table core.users; -- not found") }, path, ["'); drop table core.users; --"])).toBeUndefined();
    // ...but Postgres's words around them still count.
    expect(judge({ status: 400, text: error('invalid input syntax for type uuid: "$1"') }, path, ['$1'])).toMatch(/internals/);
  });

  describe(`every procedure over HTTP as anonymous, user and admin (seed ${SEED}, ${RUNS} runs each)`, () => {
    // A FUZZ_ONLY that matches nothing must not pass as a run that fuzzed nothing.
    if (!procedures.length) it(`some procedure's path contains FUZZ_ONLY=${ONLY}`, () => expect(procedures).not.toEqual([]));
    for (const procedure of procedures) {
      // The long run fuzzes a few procedures at a time (vitest's maxConcurrency) to keep both
      // the server and PostgreSQL busy; the short one stays sequential, so its cases repeat.
      it(`${procedure.path} (${procedure.type})`, { timeout: LONG ? 3_600_000 : 60_000, concurrent: LONG }, async () => {
        const { details, report } = await fuzz(base, procedure, RUNS);
        if (details.failed) {
          stats.failed.push(procedure.path);
          throw new Error(report);
        }
      });
    }
  });
});
