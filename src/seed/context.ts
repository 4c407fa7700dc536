/**
 * Seed data goes in through the same procedures a client calls (RLS, triggers and audit
 * apply), as the seeded users themselves. Every seed is idempotent: safe to run twice.
 */
import { TRPCError } from '@trpc/server';
import { appRouter } from '../routers/_app.js';
import { createContext, type Services } from '../server/context.js';
import { createCallerFactory } from '../server/trpc.js';

const createCaller = createCallerFactory(appRouter);

export type Caller = ReturnType<typeof createCaller>;

export interface SeedContext {
  services: Services;
  /** A caller acting with this bearer token (anonymous without one). */
  as(token?: string): Caller;
}

export interface SeededUser {
  id: string;
  token: string;
  email: string;
  username: string;
}

export function seedContext(services: Services): SeedContext {
  return {
    services,
    as: (token) => createCaller(createContext(services, { token, clientIp: '127.0.0.1', userAgent: 'db:seed' })),
  };
}

/** Logs the user in, registering them first if they do not exist yet (`created` says whether this run did). */
export async function ensureUser(
  ctx: SeedContext,
  user: { username: string; email: string; password: string; fullName?: string; firstName?: string; lastName?: string },
): Promise<SeededUser & { created: boolean }> {
  const anonymous = ctx.as();
  const login = () => anonymous.auth.login({ email: user.email, password: user.password });
  let session;
  let created = false;
  try {
    session = await login();
  } catch (err) {
    if (!(err instanceof TRPCError) || err.code !== 'UNAUTHORIZED') throw err;
    const { password: _, ...profile } = user;
    await anonymous.auth.register({ ...profile, password: user.password });
    created = true;
    session = await login();
  }
  return { id: session.user.id, token: session.token, email: user.email, username: user.username, created };
}
