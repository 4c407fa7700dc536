import { describe, expect, it } from 'vitest';
import { TEST_USER } from '../../src/seed/core.js';
import {
  BUTTON_EXPORT,
  DESIGN_CHUNKS,
  DESIGN_DOCUMENT,
  DISCUSSION,
  DISCUSSION_MESSAGES,
  EMBEDDING_MODELS,
  EVALUATION_RUN,
  SEED_ADMIN,
} from '../../src/seed/componentforge.js';
import { seedAll } from '../../src/seed/index.js';
import { useTestApp } from '../support/app.js';

const app = useTestApp();

const COUNTS = `
  select (select count(*) from componentforge.documents)::int as documents,
         (select count(*) from componentforge.document_chunks)::int as chunks,
         (select count(*) from componentforge.conversations)::int as conversations,
         (select count(*) from componentforge.messages)::int as messages,
         (select count(*) from componentforge.requirement_exports)::int as exports,
         (select count(*) from componentforge.embedding_models)::int as models,
         (select count(*) from componentforge.evaluation_runs)::int as runs,
         (select count(*) from core.users)::int as users`;

// The seed logs in on every run; the CLI lifts the login throttle the same way.
const services = () => ({ ...app.services, config: { ...app.services.config, LOGIN_LIMIT_PER_EMAIL: 1_000_000 } });

describe('npm run db:seed for ComponentForge', () => {
  it('adds the seed\'s sample records once, through the procedures, and they read back with their types', async () => {
    const first = await seedAll(services());
    expect(first.componentforge).toEqual({
      documents: 1,
      documentChunks: 42,
      chunkVectors: 42,
      conversations: 1,
      messages: 15,
      requirementExports: 1,
      embeddingModels: 2,
      evaluationRuns: 1,
    });
    const after = (await app.sql(COUNTS)).rows[0];
    const second = await seedAll(services());
    expect(Object.values(second.componentforge!).every((n) => n === 0)).toBe(true);
    expect((await app.sql(COUNTS)).rows[0]).toEqual(after);

    const { token } = await app.caller({}, { LOGIN_LIMIT_PER_EMAIL: 1_000_000 }).auth.login({ email: TEST_USER.email, password: TEST_USER.password });
    const api = app.caller({ token }).componentforge;

    const [listed] = (await api.documents.list({})).items;
    const document = await api.documents.getFull({ id: listed!.id });
    expect(document).toMatchObject({ ...DESIGN_DOCUMENT, processingStatus: 'completed', chunkCount: 42 });
    expect(
      document.chunks.map(({ chunkIndex, content, tokenCount, vectorId, embeddingModel }) => ({ chunkIndex, content, tokenCount, vectorId, embeddingModel })),
    ).toEqual(DESIGN_CHUNKS);
    expect((await api.documents.fullText({ id: document.id })).text.startsWith('# Button Patterns\n\nPrimary buttons should...\n\n## ')).toBe(true);

    // Every chunk has its own Qdrant point (a UUIDv5 of the chunk's place, as Python's uuid.uuid5(uuid.NAMESPACE_URL,
    // 'file:///uploads/2025/10/08/design-patterns.pdf#chunk=0') computes it) and the seed's embedding model.
    const vectorIds = document.chunks.map((c) => c.vectorId);
    expect(vectorIds[0]).toBe('4997c8ed-5877-54a9-b787-2dd5ed60beb5');
    expect(vectorIds[1]).toBe('49dabb34-43b5-51fc-811b-855172f0ae31');
    expect(vectorIds[41]).toBe('0c8b6338-c366-5d90-acb2-4c7e9f539fd1');
    expect(new Set(vectorIds).size).toBe(42);
    expect(vectorIds.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id ?? ''))).toBe(true);
    expect(new Set(document.chunks.map((c) => c.embeddingModel))).toEqual(new Set(['text-embedding-3-small']));
    // A Qdrant search hit leads back to its chunk.
    const hits = await api.chunks.byVectorIds({ vectorIds: ['0c8b6338-c366-5d90-acb2-4c7e9f539fd1'] });
    expect(hits.map((c) => [c.documentId, c.chunkIndex, c.tokenCount])).toEqual([[document.id, 41, 387]]);

    // The sample conversation: 15 real messages whose tokens add up to the seed's 8,543.
    const [conversation] = (await api.conversations.list({})).items;
    const discussion = await api.conversations.getWithMessages({ id: conversation!.id });
    expect(discussion).toMatchObject({ title: DISCUSSION.title, modelName: 'gpt-4', temperature: 0.7, status: 'active', messageCount: 15 });
    expect(Number(discussion.totalTokensUsed)).toBe(8543);
    expect(discussion.messages).toHaveLength(15);
    expect(discussion.messages.reduce((sum, m) => sum + (m.totalTokens ?? 0), 0)).toBe(8543);
    expect(discussion.messages.map((m) => m.content)).toEqual(DISCUSSION_MESSAGES.map((m) => m.content));
    expect((await api.conversations.get({ id: discussion.id })).messageCount).toBe(15);

    // The seed's sample user and assistant messages.
    const [question, answer] = discussion.messages;
    expect(question).toMatchObject({
      role: 'user',
      content: 'How do I create a primary button component?',
      parentMessageId: null,
      promptTokens: null,
      completionTokens: null,
      totalTokens: null,
      contextDocuments: null,
    });
    expect(answer).toMatchObject({
      role: 'assistant',
      content: "Based on the design system, here's how to create a primary button...",
      parentMessageId: question!.id,
      promptTokens: 1523,
      completionTokens: 847,
      totalTokens: 2370,
      contextDocuments: [document.id],
    });

    // The seed's threading example: message 1, its answer and a follow-up both replying to it, the follow-up's answer under that.
    const thread = await api.messages.thread({ id: question!.id });
    expect(thread.map(({ role, content, depth }) => ({ role, content, depth }))).toEqual([
      { role: 'user', content: 'How do I create a primary button component?', depth: 0 },
      { role: 'assistant', content: "Based on the design system, here's how to create a primary button...", depth: 1 },
      { role: 'user', content: 'Can you add hover effects?', depth: 1 },
      { role: 'assistant', content: "Sure, here's the hover effect code...", depth: 2 },
    ]);
    const [, reply, followUp, hoverAnswer] = thread;
    expect([reply!.parentMessageId, followUp!.parentMessageId, hoverAnswer!.parentMessageId]).toEqual([question!.id, question!.id, followUp!.id]);
    expect(await api.messages.get({ id: hoverAnswer!.id })).toMatchObject({ parent: { id: followUp!.id, content: 'Can you add hover effects?' } });
    // The other eleven messages form three threads of their own, each rooted at a user question.
    const roots = discussion.messages.filter((m) => m.parentMessageId === null);
    expect(roots.map((m) => m.content)).toEqual([
      'How do I create a primary button component?',
      'Which sizes should the button support?',
      'How should the loading state look?',
      'Summarize the Button requirements so I can export them.',
    ]);
    const threadSizes = await Promise.all(roots.map(async (root) => (await api.messages.thread({ id: root.id })).length));
    expect(threadSizes).toEqual([4, 4, 4, 3]);

    const [exported] = (await api.exports.byComponent({ componentType: 'Button' })).items;
    expect(exported).toMatchObject(BUTTON_EXPORT);
    expect(exported!.requirements).toEqual(BUTTON_EXPORT.requirements);
    expect(Number.isInteger(exported!.proposalLatencyMs)).toBe(true);
    expect(exported!.proposalLatencyMs).toBe(4523);
    expect(await api.exports.approvalMetrics()).toEqual({ exports: 1, avgApproved: 5, avgEdited: 1, avgCustom: 1 });

    const models = (await api.embeddingModels.list({})).items;
    // Listed in name order: large before small.
    expect(models.map(({ name, provider, dimension, maxTokens, isActive }) => ({ name, provider, dimension, maxTokens, isActive }))).toEqual(
      [...EMBEDDING_MODELS].reverse(),
    );
    expect((await api.embeddingModels.active())?.name).toBe('text-embedding-3-small');

    const [run] = (await api.evaluationRuns.list({})).items;
    expect(run).toMatchObject(EVALUATION_RUN);
    const metrics = run!.metrics as typeof EVALUATION_RUN.metrics;
    expect(metrics).toEqual(EVALUATION_RUN.metrics);
    expect(typeof metrics.accuracy).toBe('number');
    expect(metrics.avg_quality_score).toBe(87.5);
    expect(Number.isInteger(metrics.avg_latency_ms)).toBe(true);

    // The seed admin is an admin, and no session of it is left open.
    const { rows } = await app.sql(
      `select u.role, count(s.id) filter (where s.revoked_at is null and s.expires_at > now())::int as live
         from core.users u left join core.auth_sessions s on s.user_id = u.id where u.email = $1 group by u.role`,
      [SEED_ADMIN.email],
    );
    expect(rows).toEqual([{ role: 'admin', live: 0 }]);
  });

  it('completes a database seeded by an older db:seed: the chunks\' missing Qdrant points and the discussion\'s missing messages', async () => {
    await seedAll(services());
    const { token } = await app.caller({}, { LOGIN_LIMIT_PER_EMAIL: 1_000_000 }).auth.login({ email: TEST_USER.email, password: TEST_USER.password });
    const api = app.caller({ token }).componentforge;
    const [conversation] = (await api.conversations.list({})).items;
    // What the older seed left: chunks without vector ids, and only the two sample messages.
    await app.sqlAsAdmin('update componentforge.document_chunks set vector_id = null, embedding_model = null');
    const { messages } = await api.conversations.getWithMessages({ id: conversation!.id });
    for (const message of messages.slice(2).reverse()) await api.messages.delete({ id: message.id });
    expect(await api.conversations.get({ id: conversation!.id })).toMatchObject({ messageCount: 2 });

    const rerun = await seedAll(services());
    expect(rerun.componentforge).toEqual({
      documents: 0,
      documentChunks: 0,
      chunkVectors: 42,
      conversations: 0,
      messages: 13,
      requirementExports: 0,
      embeddingModels: 0,
      evaluationRuns: 0,
    });

    const [listed] = (await api.documents.list({})).items;
    const document = await api.documents.getFull({ id: listed!.id });
    expect(document.chunks.map(({ chunkIndex, vectorId, embeddingModel }) => ({ chunkIndex, vectorId, embeddingModel }))).toEqual(
      DESIGN_CHUNKS.map(({ chunkIndex, vectorId, embeddingModel }) => ({ chunkIndex, vectorId, embeddingModel })),
    );
    const discussion = await api.conversations.getWithMessages({ id: conversation!.id });
    expect(discussion.messageCount).toBe(15);
    expect(Number(discussion.totalTokensUsed)).toBe(8543);
    // The two kept messages are the same rows, and the re-added ones reply to them as planned.
    expect(discussion.messages.slice(0, 2).map((m) => m.id)).toEqual(messages.slice(0, 2).map((m) => m.id));
    const index = new Map(discussion.messages.map((m, i) => [m.id, i]));
    expect(discussion.messages.map((m) => (m.parentMessageId === null ? null : index.get(m.parentMessageId)))).toEqual(
      DISCUSSION_MESSAGES.map((m) => m.replyTo),
    );
  });
});
