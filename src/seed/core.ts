import { ensureUser, type SeedContext, type SeededUser } from './context.js';

/** The seed's test user (seed 002: testuser / test@example.com / Test@1234). */
export const TEST_USER = {
  username: 'testuser',
  email: 'test@example.com',
  password: 'Test@1234',
  firstName: 'Test',
  lastName: 'User',
};

export async function seedCore(ctx: SeedContext): Promise<{ testUser: SeededUser }> {
  const testUser = await ensureUser(ctx, TEST_USER);
  await ctx.as(testUser.token).preferences.get();
  return { testUser };
}
