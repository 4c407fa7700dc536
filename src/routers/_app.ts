import { router } from '../server/trpc.js';
import { componentforgeRouter } from './componentforge/index.js';
import { auditRouter } from './core/audit.js';
import { exportsathiRouter } from './exportsathi/index.js';
import { authRouter } from './core/auth.js';
import { configRouter } from './core/config.js';
import { monitoringRouter } from './core/monitoring.js';
import { preferencesRouter } from './core/preferences.js';
import { usersRouter } from './core/users.js';
import { scraperRouter } from './scraper/index.js';
import { socratesRouter } from './socrates/index.js';
import { verificaiRouter } from './verificai/index.js';

export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  preferences: preferencesRouter,
  config: configRouter,
  audit: auditRouter,
  monitoring: monitoringRouter,
  socrates: socratesRouter,
  componentforge: componentforgeRouter,
  verificai: verificaiRouter,
  scraper: scraperRouter,
  exportsathi: exportsathiRouter,
});

export type AppRouter = typeof appRouter;
