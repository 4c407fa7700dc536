import { describe, expect, it } from 'vitest';
import { TEST_USER } from '../../src/seed/core.js';
import {
  BUTTON_EXPORT,
  DESIGN_CHUNKS,
  DESIGN_DOCUMENT,
  DISCUSSION,
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

describe('npm run db:seed for ComponentForge', () => {
  it('adds the seed\'s sample records once, through the procedures, and they read back with their types', async () => {
    // The seed logs in on every run; the CLI lifts the login throttle the same way.
    const services = { ...app.services, config: { ...app.services.config, LOGIN_LIMIT_PER_EMAIL: 1_000_000 } };
    const first = await seedAll(services);
    expect(first.componentforge).toEqual({
      documents: 1,
      documentChunks: 42,
      conversations: 1,
      messages: 2,
      requirementExports: 1,
      embeddingModels: 2,
      evaluationRuns: 1,
    });
    const after = (await app.sql(COUNTS)).rows[0];
    const second = await seedAll(services);
    expect(Object.values(second.componentforge!).every((n) => n === 0)).toBe(true);
    expect((await app.sql(COUNTS)).rows[0]).toEqual(after);

    const { token } = await app.caller().auth.login({ email: TEST_USER.email, password: TEST_USER.password });
    const api = app.caller({ token }).componentforge;

    const [listed] = (await api.documents.list({})).items;
    const document = await api.documents.getFull({ id: listed!.id });
    expect(document).toMatchObject({ ...DESIGN_DOCUMENT, processingStatus: 'completed', chunkCount: 42 });
    expect(document.chunks.map(({ chunkIndex, content, tokenCount, embeddingModel }) => ({ chunkIndex, content, tokenCount, embeddingModel }))).toEqual(DESIGN_CHUNKS);
    expect((await api.documents.fullText({ id: document.id })).text.startsWith('# Button Patterns\n\nPrimary buttons should...\n\n## ')).toBe(true);

    const [conversation] = (await api.conversations.list({})).items;
    const discussion = await api.conversations.getWithMessages({ id: conversation!.id });
    expect(discussion).toMatchObject({ title: DISCUSSION.title, modelName: 'gpt-4', temperature: 0.7, messageCount: 2, totalTokensUsed: 2370 });
    const [question, answer] = discussion.messages;
    expect(question).toMatchObject({ role: 'user', content: DISCUSSION.question, parentMessageId: null, totalTokens: null });
    expect(answer).toMatchObject({
      role: 'assistant',
      content: DISCUSSION.answer,
      parentMessageId: question!.id,
      promptTokens: 1523,
      completionTokens: 847,
      totalTokens: 2370,
      contextDocuments: [document.id],
    });

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
});
