/**
 * ComponentForge's sample records (seed 004), written through the procedures: the design-system
 * document with its 42 chunks and their Qdrant points, the "Component Design Discussion" with
 * its 15 messages (8,543 tokens, the seed's threading example among them) and the Button
 * requirement export; and, as an admin, the global ones: the two embedding models and the
 * evaluation run with its metrics. Each is looked up first, so a second run adds nothing, and a
 * database seeded by an older db:seed gets only what it lacks.
 */
import { createHash, randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { hashPassword } from '../auth/passwords.js';
import { promoteToAdmin } from '../auth/promote.js';
import { lease } from '../db/pool.js';
import type { Caller, SeedContext, SeededUser } from './context.js';
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

/**
 * RFC 9562 UUIDv5 (SHA-1, name-based) in the URL namespace. Qdrant point ids are UUIDs (the seed
 * makes uuid4s); name-based ones are the same on every run, so the seeded chunks point at the same
 * Qdrant points whoever seeds them. Python's uuid.uuid5(uuid.NAMESPACE_URL, name) gives the same.
 */
function uuidv5(name: string): string {
  const namespace = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');
  const bytes = createHash('sha1').update(namespace).update(name).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The document's 42 chunks: 512 tokens each (the seed's CHUNK_SIZE), the last one 387; each
 * embedded with the document's model into the Qdrant point `vectorId`.
 */
export const DESIGN_CHUNKS = Array.from({ length: 42 }, (_, i) => ({
  chunkIndex: i,
  content:
    i === 0
      ? DESIGN_DOCUMENT.extractedText
      : `## ${TOPICS[i % TOPICS.length]} patterns (${i + 1}/42)\n\nSpacing, states and accessibility rules for ${TOPICS[i % TOPICS.length]!.toLowerCase()} components.`,
  tokenCount: i === 41 ? 387 : 512,
  vectorId: uuidv5(`file://${DESIGN_DOCUMENT.filePath}#chunk=${i}`),
  embeddingModel: DESIGN_DOCUMENT.embeddingModel,
}));

export const DISCUSSION = { title: 'Component Design Discussion', modelName: 'gpt-4', temperature: 0.7 };

interface DiscussionMessage {
  role: 'user' | 'assistant';
  content: string;
  /** Index in DISCUSSION_MESSAGES of the message this one replies to; null for a thread's root. */
  replyTo: number | null;
  promptTokens?: number;
  completionTokens?: number;
  totalTokens?: number;
  /** Answered with the design document as RAG context (the seed's context_documents). */
  rag?: boolean;
}

/**
 * The discussion's 15 messages: the seed's message_count 15 and total_tokens_used 8,543 (the sum
 * of the assistants' total_tokens), reached with real messages because the database derives both
 * counters. Messages 1-4 are the seed's threading example ("How do I create a button?", its
 * answer, "Can you add hover effects?" replying to the question, and the hover answer under it),
 * with the seed's sample user and assistant messages as the first two. The rest continue in three
 * more threads (sizes, loading state, the export) that lead to the Button requirement export.
 */
export const DISCUSSION_MESSAGES: readonly DiscussionMessage[] = [
  { role: 'user', replyTo: null, content: 'How do I create a primary button component?' },
  {
    role: 'assistant',
    replyTo: 0,
    content: "Based on the design system, here's how to create a primary button...",
    promptTokens: 1523,
    completionTokens: 847,
    totalTokens: 2370,
    rag: true,
  },
  { role: 'user', replyTo: 0, content: 'Can you add hover effects?' },
  {
    role: 'assistant',
    replyTo: 2,
    content: "Sure, here's the hover effect code...",
    promptTokens: 1041,
    completionTokens: 298,
    totalTokens: 1339,
    rag: true,
  },
  { role: 'user', replyTo: null, content: 'Which sizes should the button support?' },
  {
    role: 'assistant',
    replyTo: 4,
    content: 'The design system defines three sizes: sm (32px high), md (40px, the default) and lg (48px), each with its own padding and font size.',
    promptTokens: 1107,
    completionTokens: 356,
    totalTokens: 1463,
    rag: true,
  },
  { role: 'user', replyTo: 5, content: "I'll pass the size as a prop and default it to md." },
  {
    role: 'assistant',
    replyTo: 6,
    content: "Good: size?: 'sm' | 'md' | 'lg' with md as the default keeps every existing call site unchanged.",
    promptTokens: 612,
    completionTokens: 143,
    totalTokens: 755,
  },
  { role: 'user', replyTo: null, content: 'How should the loading state look?' },
  {
    role: 'assistant',
    replyTo: 8,
    content: 'Show a spinner in place of the leading icon, keep the label so the width does not jump, and set aria-busy while loading.',
    promptTokens: 934,
    completionTokens: 321,
    totalTokens: 1255,
    rag: true,
  },
  { role: 'user', replyTo: 9, content: 'Should onClick fire while isLoading is true?' },
  {
    role: 'assistant',
    replyTo: 10,
    content: 'No: a loading button ignores clicks like a disabled one, but stays focusable so screen readers still announce it.',
    promptTokens: 587,
    completionTokens: 164,
    totalTokens: 751,
  },
  { role: 'user', replyTo: null, content: 'Summarize the Button requirements so I can export them.' },
  {
    role: 'assistant',
    replyTo: 12,
    content:
      'Props: variant, size and isLoading (yours); events: onClick; states: isHovered; accessibility: ARIA label support. Five proposals approved as they were, one edited (size), one added (isLoading).',
    promptTokens: 398,
    completionTokens: 212,
    totalTokens: 610,
  },
  { role: 'user', replyTo: 13, content: 'Approved. Exporting the Button requirements now.' },
];

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

type ComponentforgeApi = Caller['componentforge'];

/**
 * The embedding step of the seed's workflow: records the Qdrant point and model of each of the
 * document's chunks that has none yet. Returns how many it recorded.
 */
async function embedChunks(api: ComponentforgeApi, documentId: string): Promise<number> {
  const { chunks } = await api.documents.getFull({ id: documentId });
  const vectors = chunks.flatMap((chunk) => {
    const planned = DESIGN_CHUNKS[chunk.chunkIndex];
    return chunk.vectorId === null && planned ? [{ id: chunk.id, vectorId: planned.vectorId, embeddingModel: planned.embeddingModel }] : [];
  });
  if (!vectors.length) return 0;
  return (await api.chunks.setVectors({ documentId, vectors })).updated;
}

/**
 * Adds the discussion's messages that the conversation lacks, in order, each replying to its
 * planned parent. A message is there when one of the same role and content is, so a conversation
 * seeded by an older db:seed (the first two messages only) or cut short is completed, and a
 * complete one gets nothing. Returns how many it added.
 */
async function addMissingMessages(api: ComponentforgeApi, conversationId: string, documentId: string): Promise<number> {
  const { messages } = await api.conversations.getWithMessages({ id: conversationId });
  const ids: string[] = [];
  let added = 0;
  for (const { replyTo, rag, ...message } of DISCUSSION_MESSAGES) {
    const existing = messages.find((m) => m.role === message.role && m.content === message.content);
    if (existing) {
      ids.push(existing.id);
      continue;
    }
    const { id } = await api.messages.add({
      conversationId,
      parentMessageId: replyTo === null ? null : ids[replyTo],
      ...message,
      // The seed's context documents (integer ids 15, 28, 42) become the one document seeded here.
      contextDocuments: rag ? [documentId] : null,
    });
    ids.push(id);
    added += 1;
  }
  return added;
}

export const seedComponentforge: AppSeed = async (ctx, { testUser }) => {
  const created = {
    documents: 0,
    documentChunks: 0,
    chunkVectors: 0,
    conversations: 0,
    messages: 0,
    requirementExports: 0,
    embeddingModels: 0,
    evaluationRuns: 0,
  };
  // The seed's records belong to its user 1: here the test user, the first user db:seed makes.
  // Acting as seed 004's developer would take a login, which would replace the bcrypt hash and
  // last_login_at that the core seed imports for that account.
  const api = ctx.as(testUser.token).componentforge;

  let document = await findInPages((cursor) => api.documents.list({ status: 'completed', cursor }), (d) => d.title === DESIGN_DOCUMENT.title);
  if (!document) {
    // Uploaded as extracted and chunked; the Qdrant points come next, as in the seed's workflow.
    const chunks = DESIGN_CHUNKS.map(({ chunkIndex, content, tokenCount }) => ({ chunkIndex, content, tokenCount }));
    document = await api.documents.upload({ ...DESIGN_DOCUMENT, chunks });
    created.documents += 1;
    created.documentChunks += document.chunkCount;
  }
  created.chunkVectors += await embedChunks(api, document.id);

  let discussion = await findInPages((cursor) => api.conversations.list({ cursor }), (c) => c.title === DISCUSSION.title);
  if (!discussion) {
    discussion = (await api.conversations.start({ ...DISCUSSION, content: DISCUSSION_MESSAGES[0]!.content })).conversation;
    created.conversations += 1;
    created.messages += 1;
  }
  created.messages += await addMissingMessages(api, discussion.id, document.id);

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
