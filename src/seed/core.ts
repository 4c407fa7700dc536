import { importLegacyUser } from '../auth/import.js';
import { lease } from '../db/pool.js';
import { ensureUser, type SeedContext, type SeededUser } from './context.js';

/** The seed's test user (seed 002: testuser / test@example.com / Test@1234). */
export const TEST_USER = {
  username: 'testuser',
  email: 'test@example.com',
  password: 'Test@1234',
  firstName: 'Test',
  lastName: 'User',
};

/**
 * Seed 004's sample user, as its existing system hands it over: a bcrypt hash ("$2b$12$...",
 * passlib's default cost), here of DEVELOPER_PASSWORD so that the account can sign in; the
 * first login replaces the hash with an argon2id one. Active, not an admin, with the seed's
 * preferences and last login.
 */
export const DEVELOPER_PASSWORD = 'Developer@1234';
export const DEVELOPER = {
  email: 'dev@componentforge.com',
  username: 'developer',
  passwordHash: '$2b$12$AK1RwxG7oPrNAQIOyEPvMeAOB1S5Npw56Zm6xpEu2Fa09SM2Dn5NG',
  role: 'user' as const,
  status: 'ACTIVE' as const,
  preferences: { theme: 'dark', defaultModel: 'gpt-4', defaultTemperature: 0.7 },
  lastLoginAt: new Date('2025-10-08T10:30:00Z'),
};

/** The test user (logged in) and how many users this run created: a rerun creates none. */
export async function seedCore(ctx: SeedContext): Promise<{ testUser: SeededUser; created: { users: number } }> {
  const { created: testUserCreated, ...testUser } = await ensureUser(ctx, TEST_USER);
  await ctx.as(testUser.token).preferences.get();
  // Imported once: an existing account (whatever its hash by now) is left as it is.
  const leased = await lease(ctx.services.pool, ctx.services.log);
  let developerId: string | undefined;
  try {
    developerId = await importLegacyUser(leased.client, DEVELOPER, { userAgent: 'db:seed' });
  } finally {
    leased.release();
  }
  return { testUser, created: { users: Number(testUserCreated) + Number(developerId !== undefined) } };
}
