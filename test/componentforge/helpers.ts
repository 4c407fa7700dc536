/** Helpers shared by the ComponentForge tests. */
import type { TRPCError } from '@trpc/server';
import pg from 'pg';
import { Envelope } from '../../src/db/envelope.js';
import { vi } from 'vitest';

/**
 * Counts the statements procedures send while `fn` runs, leaving out the transaction's own
 * (BEGIN, the request setup, COMMIT): what "a fixed number of queries" is about.
 */
export async function countQueries<T>(fn: () => Promise<T>): Promise<{ result: T; queries: number }> {
  // Statements reach the server as statements of a procedure's transaction (Envelope) or, outside
  // one, through pg's client.
  const spies = [vi.spyOn(Envelope.prototype, 'query'), vi.spyOn(pg.Client.prototype, 'query')];
  try {
    const result = await fn();
    const queries = spies
      .flatMap((spy) => spy.mock.calls as unknown[][])
      .filter(([arg]) => {
        if (arg instanceof Envelope) return false;
        const text = typeof arg === 'string' ? arg : (arg as { text?: string }).text ?? '';
        return !/^(begin|commit|rollback)\b/i.test(text.trim()) && !text.includes('core.begin_request') && !text.includes('core.live_sessions');
      }).length;
    return { result, queries };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

export const MISSING_ID = '01900000-0000-7000-8000-00000000dead';

/** The input fields a BAD_REQUEST names: zod issue paths, or the database rule's fields. */
export function badFields(err: TRPCError): string[] {
  const cause = err.cause as { issues?: Array<{ path: PropertyKey[] }>; fieldErrors?: Record<string, string[]> } | undefined;
  if (cause?.issues) return [...new Set(cause.issues.map((issue) => issue.path.map(String).join('.')))];
  return Object.keys(cause?.fieldErrors ?? {});
}
