/**
 * ExportSathi (seed 003): exporters' business profiles, export-readiness reports and everything
 * hanging off them (certifications, documents, the 7-day plan, chats, finance and logistics
 * analyses) and the metrics the database keeps.
 */
import { router } from '../../server/trpc.js';
import { certificationsRouter } from './certifications.js';
import { chatsRouter } from './chats.js';
import { documentsRouter } from './documents.js';
import { financeRouter } from './finance.js';
import { logisticsRouter } from './logistics.js';
import { metricsRouter } from './metrics.js';
import { planRouter } from './plan.js';
import { profileRouter } from './profile.js';
import { reportsRouter } from './reports.js';

export const exportsathiRouter = router({
  profile: profileRouter,
  reports: reportsRouter,
  certifications: certificationsRouter,
  documents: documentsRouter,
  plan: planRouter,
  chats: chatsRouter,
  finance: financeRouter,
  logistics: logisticsRouter,
  metrics: metricsRouter,
});
