/**
 * What every measurement gets from the runner, and the helpers they share: timing, medians,
 * users made through the procedures, and the raw-pg request transaction the baselines use.
 */
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { hashToken } from '../src/auth/tokens.js';
import { appRouter } from '../src/routers/_app.js';
import { createContext, type Services } from '../src/server/context.js';
import { createCallerFactory } from '../src/server/trpc.js';

const createCaller = createCallerFactory(appRouter);
export type Caller = ReturnType<typeof createCaller>;

export interface BenchEnv {
  services: Services;
  /** A separate pool on the same database, as the owner role, pipelined, for the raw pg baselines. */
  raw: pg.Pool;
  caller(token?: string): Caller;
}

/**
 * One printed line: a variant's median. Within a group, ratios are value / the baseline's
 * value (higher is better).
 */
export interface Result {
  group: string;
  variant: string;
  value: number;
  unit: string;
  baseline?: boolean;
}

export interface Measurement {
  name: string;
  run(env: BenchEnv): Promise<Result[]>;
}

export function callerFactory(services: Services): (token?: string) => Caller {
  let n = 0;
  return (token) => createCaller(createContext(services, { token, clientIp: '127.0.0.1', userAgent: 'bench', requestId: `bench-${++n}` }));
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Milliseconds taken by one call. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/**
 * Runs the variants in turns (A, B, C, A, B, C, ...) so that drift of the machine during the
 * run (autovacuum, caches, the other process on the core) falls on all of them alike. Returns
 * each variant's per-call times in ms, warm-up calls left out.
 */
export async function interleave(variants: Record<string, () => Promise<unknown>>, rounds: number, warmup = 1): Promise<Record<string, number[]>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  for (let round = 0; round < warmup + rounds; round++) {
    for (const [name, fn] of Object.entries(variants)) {
      const ms = await timed(fn);
      if (round >= warmup) samples[name]!.push(ms);
    }
  }
  return samples;
}

let users = 0;
/** A fresh user, registered and logged in through the procedures. */
export async function newUser(env: BenchEnv): Promise<{ id: string; token: string }> {
  users += 1;
  const username = `bench${process.pid}x${users}`;
  const password = 'Bench-Password-42';
  const anonymous = env.caller();
  const user = await anonymous.auth.register({ username, email: `${username}@example.com`, password });
  const { token } = await anonymous.auth.login({ email: `${username}@example.com`, password });
  return { id: user.id, token };
}

/**
 * The hand-written baseline's request: one transaction on a raw pg connection that starts
 * with the same core.begin_request (role app_request, RLS, audit context) as a procedure, so
 * that both sides pay for the same security and triggers, and only the layers differ.
 */
export async function rawRequest<T>(env: BenchEnv, token: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await env.raw.connect();
  try {
    // Pipelined like the procedures' own setup (the raw pool has pipeline mode on too).
    await Promise.all([client.query('begin'), client.query(`select * from core.begin_request($1, '127.0.0.1', 'bench', null)`, [hashToken(token)])]);
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback');
    throw err;
  } finally {
    client.release();
  }
}
