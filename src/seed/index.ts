/** Every application's seed, in order; each receives the core seed's users. */
import type { Services } from '../server/context.js';
import { seedComponentforge } from './componentforge.js';
import { seedContext, type SeedContext, type SeededUser } from './context.js';
import { seedCore } from './core.js';
import { seedExportsathi } from './exportsathi.js';
import { seedScraper } from './scraper.js';
import { seedSocrates } from './socrates.js';
import { seedVerificai } from './verificai.js';

export type AppSeed = (ctx: SeedContext, users: { testUser: SeededUser }) => Promise<Record<string, number>>;

const APP_SEEDS: Array<[string, AppSeed]> = [
  ['socrates', seedSocrates],
  ['componentforge', seedComponentforge],
  ['verificai', seedVerificai],
  ['scraper', seedScraper],
  ['exportsathi', seedExportsathi],
];

export async function seedAll(services: Services): Promise<Record<string, Record<string, number>>> {
  // Seeding logs in as the seeded users, once per run: it must not trip the login throttle.
  const ctx = seedContext({ ...services, config: { ...services.config, LOGIN_LIMIT_PER_EMAIL: Number.MAX_SAFE_INTEGER, LOGIN_LIMIT_PER_IP: Number.MAX_SAFE_INTEGER } });
  const { testUser, created } = await seedCore(ctx);
  const report: Record<string, Record<string, number>> = { core: created };
  for (const [name, seed] of APP_SEEDS) report[name] = await seed(ctx, { testUser });
  // The seed's own session is not left behind.
  await ctx.as(testUser.token).auth.logout();
  return report;
}
