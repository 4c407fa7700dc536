/**
 * ComponentForge's sample records (seed 004), written through the procedures: the test user's
 * design-system document with its 42 chunks, the conversation with the two sample messages and
 * the Button requirement export; and, as an admin, the global ones: the two embedding models
 * and the evaluation run with its metrics. Each is looked up first, so a second run adds nothing.
 */
import { randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { hashPassword } from '../auth/passwords.js';
import { promoteToAdmin } from '../auth/promote.js';
import { lease } from '../db/pool.js';
import type { SeedContext, SeededUser } from './context.js';
import type { AppSeed } from './index.js';

export const DESIGN_DOCUMENT = {
  title: 'Design System Patterns',
  filename: 'design-patterns.pdf',
  filePath: '/uploads/2025/10/08/design-patterns.pdf',
  contentType: 'application/pdf',
  extractedText: '# Button Patterns\n\nPrimary buttons should...',
  embeddingModel: 'text-embedding-3-small',
};

const TOPICS = ['Button', 'Card', 'Input', 'Modal', 'Tooltip', 'Navigation', 'Typography'];

/** The document's 42 chunks: 512 tokens each (the seed's CHUNK_SIZE), the last one 387. */
export const DESIGN_CHUNKS = Array.from({ length: 42 }, (_, i) => ({
  chunkIndex: i,
  content:
    i === 0
      ? DESIGN_DOCUMENT.extractedText
      : `## ${TOPICS[i % TOPICS.length]} patterns (${i + 1}/42)\n\nSpacing, states and accessibility rules for ${TOPICS[i % TOPICS.length]!.toLowerCase()} components.`,
  tokenCount: i === 41 ? 387 : 512,
  embeddingModel: DESIGN_DOCUMENT.embeddingModel,
}));

export const DISCUSSION = {
  title: 'Component Design Discussion',
  modelName: 'gpt-4',
  temperature: 0.7,
  question: 'How do I create a primary button component?',
  answer: "Based on the design system, here's how to create a primary button...",
  promptTokens: 1523,
  completionTokens: 847,
  totalTokens: 2370,
};

type Requirements = Record<string, Array<Record<string, string | boolean>>>;

export const BUTTON_EXPORT = {
  componentType: 'Button',
  requirements: {
    props: [
      { name: 'variant', type: 'string', approved: true, edited: false },
      { name: 'size', type: 'string', approved: true, edited: true },
      { name: 'isLoading', type: 'boolean', approved: false, custom: true },
    ],
    events: [{ name: 'onClick', type: 'MouseEventHandler', approved: true }],
    states: [{ name: 'isHovered', type: 'boolean', approved: true }],
    accessibility: [{ requirement: 'ARIA label support', approved: true }],
  } satisfies Requirements as Requirements,
  approvedCount: 5,
  editedCount: 1,
  customAddedCount: 1,
  proposalLatencyMs: 4523,
  usedInPatternRetrieval: true,
  usedInCodeGeneration: true,
};

export const EMBEDDING_MODELS = [
  { name: 'text-embedding-3-small', provider: 'openai', dimension: 1536, maxTokens: 8191, isActive: true },
  { name: 'text-embedding-3-large', provider: 'openai', dimension: 3072, maxTokens: 8191, isActive: false },
];

export const EVALUATION_RUN = {
  name: 'Button Component Quality Test',
  description: 'Evaluate generated button components against design system',
  modelName: 'gpt-4',
  datasetName: 'button_test_set_v1',
  config: { temperature: 0.7, max_tokens: 2000, test_cases: 50 },
  status: 'completed' as const,
  metrics: { accuracy: 0.94, precision: 0.92, recall: 0.96, f1_score: 0.94, avg_quality_score: 87.5, avg_latency_ms: 3421 },
};

/** The admin that writes the global rows. */
export const SEED_ADMIN = { username: 'componentforge-admin', email: 'componentforge-admin@example.com' };

type Page<T> = { items: T[]; nextCursor: string | null };

/** The first row of a keyset-paginated list that matches, walking its pages. */
async function findInPages<T>(list: (cursor: string | undefined) => Promise<Page<T>>, match: (item: T) => boolean): Promise<T | undefined> {
  let cursor: string | undefined;
  do {
    const { items, nextCursor } = await list(cursor);
    const found = items.find(match);
    if (found) return found;
    cursor = nextCursor ?? undefined;
  } while (cursor);
  return undefined;
}

/**
 * The seed admin, registered through auth.register the first time and logged in through
 * auth.login. Its password is random and replaced on every run, so no known admin credential
 * is left behind; the session is ended when the seed is done.
 */
async function seedAdmin(ctx: SeedContext): Promise<SeededUser> {
  const password = `${randomBytes(24).toString('base64url')}-Aa1`;
  const anonymous = ctx.as();
  try {
    await anonymous.auth.register({ ...SEED_ADMIN, password });
  } catch (err) {
    if (!(err instanceof TRPCError) || err.code !== 'CONFLICT') throw err;
  }
  const leased = await lease(ctx.services.pool, ctx.services.log);
  try {
    const id = await promoteToAdmin(leased.client, SEED_ADMIN.email, { passwordHash: await hashPassword(password), userAgent: 'db:seed' });
    if (!id) throw new Error(`db:seed: no user ${SEED_ADMIN.email} to promote`);
  } finally {
    leased.release();
  }
  const session = await anonymous.auth.login({ email: SEED_ADMIN.email, password });
  return { id: session.user.id, token: session.token, ...SEED_ADMIN };
}

export const seedComponentforge: AppSeed = async (ctx, { testUser }) => {
  const created = {
    documents: 0,
    documentChunks: 0,
    conversations: 0,
    messages: 0,
    requirementExports: 0,
    embeddingModels: 0,
    evaluationRuns: 0,
  };
  const api = ctx.as(testUser.token).componentforge;

  let document = await findInPages((cursor) => api.documents.list({ status: 'completed', cursor }), (d) => d.title === DESIGN_DOCUMENT.title);
  if (!document) {
    document = await api.documents.upload({ ...DESIGN_DOCUMENT, chunks: DESIGN_CHUNKS });
    created.documents += 1;
    created.documentChunks += document.chunkCount;
  }

  const discussion = await findInPages((cursor) => api.conversations.list({ cursor }), (c) => c.title === DISCUSSION.title);
  if (!discussion) {
    const { conversation, message } = await api.conversations.start({
      title: DISCUSSION.title,
      modelName: DISCUSSION.modelName,
      temperature: DISCUSSION.temperature,
      content: DISCUSSION.question,
    });
    await api.messages.add({
      conversationId: conversation.id,
      parentMessageId: message.id,
      role: 'assistant',
      content: DISCUSSION.answer,
      promptTokens: DISCUSSION.promptTokens,
      completionTokens: DISCUSSION.completionTokens,
      totalTokens: DISCUSSION.totalTokens,
      // The seed's integer ids (15, 28, 42) of the context documents become the uuid of the one seeded here.
      contextDocuments: [document.id],
    });
    created.conversations += 1;
    created.messages += 2;
  }

  if (!(await api.exports.byComponent({ componentType: BUTTON_EXPORT.componentType, limit: 1 })).items.length) {
    await api.exports.create(BUTTON_EXPORT);
    created.requirementExports += 1;
  }

  const admin = await seedAdmin(ctx);
  try {
    const catalog = ctx.as(admin.token).componentforge;
    for (const model of EMBEDDING_MODELS) {
      if (await findInPages((cursor) => catalog.embeddingModels.list({ cursor }), (m) => m.name === model.name)) continue;
      // Active only when no other model is: a seed must not take over an active model an admin chose.
      const isActive = model.isActive && (await catalog.embeddingModels.active()) === null;
      await catalog.embeddingModels.create({ ...model, isActive });
      created.embeddingModels += 1;
    }
    if (!(await findInPages((cursor) => catalog.evaluationRuns.list({ cursor }), (r) => r.name === EVALUATION_RUN.name))) {
      await catalog.evaluationRuns.create(EVALUATION_RUN);
      created.evaluationRuns += 1;
    }
  } finally {
    await ctx.as(admin.token).auth.logout();
  }
  return created;
};
