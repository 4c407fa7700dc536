import { router } from '../server/trpc.js';
import { authRouter } from './core/auth.js';

export const appRouter = router({
  auth: authRouter,
});

export type AppRouter = typeof appRouter;
