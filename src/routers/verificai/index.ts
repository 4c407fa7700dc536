/**
 * VerificAI (seed 000): code-analysis sessions, the user's versioned analysis prompts, uploaded
 * files, analysis results and the background-task queue.
 */
import { router } from '../../server/trpc.js';
import { configurationsRouter } from './configurations.js';
import { filesRouter } from './files.js';
import { resultsRouter } from './results.js';
import { sessionsRouter } from './sessions.js';
import { tasksRouter } from './tasks.js';

export const verificaiRouter = router({
  sessions: sessionsRouter,
  configurations: configurationsRouter,
  files: filesRouter,
  results: resultsRouter,
  tasks: tasksRouter,
});
