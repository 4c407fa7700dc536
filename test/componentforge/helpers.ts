/** Helpers shared by the ComponentForge tests. */
import { TRPCError } from '@trpc/server';
import pg from 'pg';
import { vi } from 'vitest';
import type { TestApp } from '../support/app.js';

/** The tRPC code a call fails with, or 'OK'. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
  return 'OK';
}

/** The TRPCError a call fails with. */
export async function errorOf(promise: Promise<unknown>): Promise<TRPCError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TRPCError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

/** The SQLSTATE and constraint a superuser statement fails with (RLS does not apply: only the rule is tested). */
export async function rawError(app: TestApp, text: string, values: unknown[] = []): Promise<{ code?: string; constraint?: string }> {
  try {
    await app.sql(text, values);
  } catch (err) {
    const e = err as { code?: string; constraint?: string };
    return { code: e.code, constraint: e.constraint };
  }
  throw new Error(`expected to fail: ${text}`);
}

/**
 * Counts the statements procedures send while `fn` runs, leaving out the transaction's own
 * (BEGIN, the request setup, COMMIT): what "a fixed number of queries" is about.
 */
export async function countQueries<T>(fn: () => Promise<T>): Promise<{ result: T; queries: number }> {
  const spy = vi.spyOn(pg.Client.prototype, 'query');
  try {
    const result = await fn();
    const queries = spy.mock.calls.filter(([arg]) => {
      const text = typeof arg === 'string' ? arg : (arg as { text?: string }).text ?? '';
      return !/^(begin|commit|rollback)\b/i.test(text.trim()) && !text.includes('core.begin_request');
    }).length;
    return { result, queries };
  } finally {
    spy.mockRestore();
  }
}

export const MISSING_ID = '01900000-0000-7000-8000-00000000dead';

/** The input fields a BAD_REQUEST names: zod issue paths, or the database rule's fields. */
export function badFields(err: TRPCError): string[] {
  const cause = err.cause as { issues?: Array<{ path: PropertyKey[] }>; fieldErrors?: Record<string, string[]> } | undefined;
  if (cause?.issues) return [...new Set(cause.issues.map((issue) => issue.path.map(String).join('.')))];
  return Object.keys(cause?.fieldErrors ?? {});
}
