/**
 * The typed client: `createClient(url, { token })` gives every procedure of AppRouter with
 * its input and output types, batching calls made in the same tick into one HTTP request.
 */
import { createTRPCClient, httpBatchLink } from '@trpc/client';
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
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: base.endsWith('/trpc') ? base : `${base}/trpc`,
        transformer,
        headers: () => {
          const token = typeof options.token === 'function' ? options.token() : options.token;
          return { ...options.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) };
        },
      }),
    ],
  });
}

export type Client = ReturnType<typeof createClient>;
