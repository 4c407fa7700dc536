/** Assertion helpers for failures: what a call failed with. */
import { TRPCError } from '@trpc/server';

/** The TRPCError a call fails with; throws if it succeeds or fails otherwise. */
export async function failure(promise: Promise<unknown>): Promise<TRPCError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TRPCError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

/** The tRPC code a call fails with, or 'OK' when it succeeds. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
  return 'OK';
}
