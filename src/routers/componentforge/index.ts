/**
 * ComponentForge (seed 004): RAG documents and chunks, threaded conversations, the embedding
 * model and evaluation run catalogs, and requirement exports.
 */
import { router } from '../../server/trpc.js';
import { chunksRouter } from './chunks.js';
import { conversationsRouter } from './conversations.js';
import { documentsRouter } from './documents.js';
import { embeddingModelsRouter } from './embedding-models.js';
import { evaluationRunsRouter } from './evaluation-runs.js';
import { exportsRouter } from './exports.js';
import { messagesRouter } from './messages.js';

export const componentforgeRouter = router({
  documents: documentsRouter,
  chunks: chunksRouter,
  conversations: conversationsRouter,
  messages: messagesRouter,
  embeddingModels: embeddingModelsRouter,
  evaluationRuns: evaluationRunsRouter,
  exports: exportsRouter,
});
