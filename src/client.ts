/**
 * The typed client: `createClient(url, { token })` gives every procedure of AppRouter with
 * its input and output types, batching calls made in the same tick into one HTTP request.
 *
 * Read-your-writes with read replicas: a mutation's answer carries the primary's commit
 * position (`x-commit-lsn`); the client keeps the highest one it has seen and sends it with
 * every request (`x-min-lsn`), so the server reads from a replica only once that replica has
 * replayed this client's writes (README, "Read replicas").
 */
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import { parseLsn } from './db/lsn.js';
import type { AppRouter } from './routers/_app.js';
import { transformer } from './server/transformer.js';

export type { AppRouter };

export interface ClientOptions {
  /** A bearer token, or a function returning the current one (after login, say). */
  token?: string | (() => string | undefined);
  headers?: Record<string, string>;
}

export function createClient(url: string, options: ClientOptions = {}) {
  const base = url.replace(/\/+$/, '');
  // The highest commit position this client has been told of, as the server printed it.
  let seen: { lsn: bigint; text: string } | undefined;
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: base.endsWith('/trpc') ? base : `${base}/trpc`,
        transformer,
        headers: () => {
          const token = typeof options.token === 'function' ? options.token() : options.token;
          return {
            ...options.headers,
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(seen ? { 'x-min-lsn': seen.text } : {}),
          };
        },
        fetch: async (input, init) => {
          const response = await fetch(input, init as RequestInit);
          const text = response.headers.get('x-commit-lsn') ?? undefined;
          const lsn = parseLsn(text);
          // Answers may arrive out of order: an older position never replaces a newer one.
          if (lsn !== undefined && (!seen || lsn > seen.lsn)) seen = { lsn, text: text! };
          return response;
        },
      }),
    ],
  });
}

export type Client = ReturnType<typeof createClient>;
