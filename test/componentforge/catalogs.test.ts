import { describe, expect, it } from 'vitest';
import { unique, useTestApp } from '../support/app.js';
import { rowsAs } from '../support/probe.js';
import { MISSING_ID, badFields } from './helpers.js';
import { codeOf, failure } from '../support/errors.js';

const app = useTestApp();

const model = (overrides: Partial<{ name: string; isActive: boolean; dimension: number; maxTokens: number }> = {}) => ({
  name: unique('text-embedding-'),
  provider: 'openai',
  dimension: 1536,
  maxTokens: 8191,
  ...overrides,
});

describe('embedding models (global)', () => {
  it('every signed-in user reads them; only admins write them; anonymous callers get nothing', async () => {
    const admin = await app.newAdmin();
    const user = await app.newUser();
    const created = await app.caller({ token: admin.token }).componentforge.embeddingModels.create(model({ isActive: false }));
    const asUser = app.caller({ token: user.token }).componentforge.embeddingModels;
    expect((await asUser.list({ limit: 200 })).items.map((m) => m.id)).toContain(created.id);
    expect(await codeOf(asUser.create(model()))).toBe('FORBIDDEN');
    expect(await codeOf(asUser.activate({ id: created.id }))).toBe('FORBIDDEN');
    expect(await codeOf(asUser.deactivate({ id: created.id }))).toBe('FORBIDDEN');
    expect(await codeOf(asUser.delete({ id: created.id }))).toBe('FORBIDDEN');
    expect(await codeOf(app.caller().componentforge.embeddingModels.active())).toBe('UNAUTHORIZED');

    // Below the procedures, RLS holds on its own.
    const probe = app.probe({ token: user.token });
    expect(await rowsAs(probe, `update componentforge.embedding_models set dimension = 1 where id = $1 returning id`, [created.id])).toEqual([]);
    expect(await rowsAs(probe, `delete from componentforge.embedding_models where id = $1 returning id`, [created.id])).toEqual([]);
    const forged = await failure(probe.sql([{ text: `insert into componentforge.embedding_models (name, provider, dimension, max_tokens) values ('x', 'y', 1, 1)` }]));
    expect(forged.code).toBe('FORBIDDEN');
    expect(await rowsAs(app.probe(), `select id from componentforge.embedding_models`)).toEqual([]);

    expect(await app.caller({ token: admin.token }).componentforge.embeddingModels.delete({ id: created.id })).toEqual({ id: created.id });
    expect(await codeOf(app.caller({ token: admin.token }).componentforge.embeddingModels.delete({ id: created.id }))).toBe('NOT_FOUND');
  });

  it('at most one is active: activation swaps in one transaction, and the database refuses a second active model', async () => {
    const admin = await app.newAdmin();
    const user = await app.newUser();
    const api = app.caller({ token: admin.token }).componentforge.embeddingModels;
    const small = await api.create(model({ name: unique('small-') }));
    expect(small.isActive).toBe(true);
    const large = await api.create(model({ name: unique('large-'), dimension: 3072, isActive: false }));
    expect((await app.caller({ token: user.token }).componentforge.embeddingModels.active())?.id).toBe(small.id);

    expect((await api.activate({ id: large.id })).isActive).toBe(true);
    expect((await api.active())?.id).toBe(large.id);
    // A new model is active by default (the seed's default) and takes over.
    const newest = await api.create(model());
    expect((await api.active())?.id).toBe(newest.id);
    expect((await api.activate({ id: newest.id })).isActive).toBe(true);
    expect((await api.deactivate({ id: newest.id })).isActive).toBe(false);
    expect(await api.active()).toBeNull();

    await api.activate({ id: small.id });
    // The rule is the database's: a second active row breaks the partial unique index.
    expect(await app.sqlError(`update componentforge.embedding_models set is_active = true where id = $1`, [large.id])).toEqual({
      code: '23505',
      constraint: 'embedding_models_one_active_idx',
    });
    const viaApi = await failure(
      app.probe({ token: admin.token }).sql([{ text: `update componentforge.embedding_models set is_active = true where id = $1`, values: [large.id] }]),
    );
    expect(viaApi).toMatchObject({ code: 'CONFLICT', message: 'is_active must be true for at most one embedding model' });
    expect(badFields(viaApi)).toEqual(['isActive']);
    // Any number of inactive ones is fine.
    await app.sql(`update componentforge.embedding_models set is_active = false where id <> $1`, [small.id]);

    // Concurrent activations: whatever wins, one model ends up active and losers get CONFLICT.
    const contenders = [large, newest, small];
    const results = await Promise.allSettled(contenders.map((m) => app.caller({ token: admin.token }).componentforge.embeddingModels.activate({ id: m.id })));
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code: string }).code).toBe('CONFLICT');
    const { rows } = await app.sql(`select count(*)::int as n from componentforge.embedding_models where is_active`);
    expect(rows[0]).toEqual({ n: 1 });
    expect(await codeOf(api.activate({ id: MISSING_ID }))).toBe('NOT_FOUND');
  });

  it('refuses a duplicate name and a non-positive dimension or max_tokens, in the API and in the database', async () => {
    const admin = await app.newAdmin();
    const api = app.caller({ token: admin.token }).componentforge.embeddingModels;
    const taken = await api.create(model({ isActive: false }));
    const duplicate = await failure(api.create(model({ name: taken.name, isActive: false })));
    expect(duplicate).toMatchObject({ code: 'CONFLICT', message: 'name is already taken by another embedding model' });
    expect(badFields(await failure(api.create(model({ dimension: 0 }))))).toEqual(['dimension']);
    expect(badFields(await failure(api.create(model({ maxTokens: -1 }))))).toEqual(['maxTokens']);

    const cases: Array<[string, string]> = [
      ['dimension = 0', 'embedding_models_dimension_positive'],
      ['max_tokens = 0', 'embedding_models_max_tokens_positive'],
      [`name = ''`, 'embedding_models_name_length'],
      [`provider = repeat('p', 51)`, 'embedding_models_provider_length'],
    ];
    for (const [set, constraint] of cases) {
      expect(await app.sqlError(`update componentforge.embedding_models set ${set} where id = $1`, [taken.id]), set).toEqual({ code: '23514', constraint });
    }
    expect(
      await app.sqlError(`insert into componentforge.embedding_models (name, provider, dimension, max_tokens, is_active) values ($1, 'openai', 1, 1, false)`, [taken.name]),
    ).toEqual({ code: '23505', constraint: 'embedding_models_name_key' });
  });
});

describe('evaluation runs (global)', () => {
  const seedRun = {
    name: 'Button Component Quality Test',
    description: 'Evaluate generated button components against design system',
    modelName: 'gpt-4',
    datasetName: 'button_test_set_v1',
    config: { temperature: 0.7, max_tokens: 2000, test_cases: 50 },
  };
  const seedMetrics = { accuracy: 0.94, precision: 0.92, recall: 0.96, f1_score: 0.94, avg_quality_score: 87.5, avg_latency_ms: 3421 };

  it('records a run and its metrics; JSON numbers come back as numbers; users read, admins write', async () => {
    const admin = await app.newAdmin();
    const user = await app.newUser();
    const api = app.caller({ token: admin.token }).componentforge.evaluationRuns;
    const run = await api.create(seedRun);
    expect(run).toMatchObject({ ...seedRun, status: 'pending', metrics: null });
    expect((await api.update({ id: run.id, status: 'running' })).status).toBe('running');
    const done = await api.update({ id: run.id, status: 'completed', metrics: seedMetrics });
    expect(done).toMatchObject({ status: 'completed', metrics: seedMetrics, config: seedRun.config, description: seedRun.description });

    const read = await app.caller({ token: user.token }).componentforge.evaluationRuns.get({ id: run.id });
    expect(read.metrics).toEqual(seedMetrics);
    const metrics = read.metrics as typeof seedMetrics;
    expect(typeof metrics.accuracy).toBe('number');
    expect(Number.isInteger(metrics.avg_latency_ms)).toBe(true);
    expect((read.config as typeof seedRun.config).test_cases).toBe(50);
    expect((await api.update({ id: run.id, metrics: null })).metrics).toBeNull();

    const asUser = app.caller({ token: user.token }).componentforge.evaluationRuns;
    expect(await codeOf(asUser.create(seedRun))).toBe('FORBIDDEN');
    expect(await codeOf(asUser.update({ id: run.id, status: 'failed' }))).toBe('FORBIDDEN');
    expect(await codeOf(asUser.delete({ id: run.id }))).toBe('FORBIDDEN');
    const probe = app.probe({ token: user.token });
    expect(await rowsAs(probe, `update componentforge.evaluation_runs set status = 'failed' where id = $1 returning id`, [run.id])).toEqual([]);
    expect(await rowsAs(probe, `delete from componentforge.evaluation_runs where id = $1 returning id`, [run.id])).toEqual([]);
    expect((await failure(probe.sql([{ text: `insert into componentforge.evaluation_runs (name, model_name) values ('x', 'y')` }]))).code).toBe('FORBIDDEN');
    expect(await rowsAs(app.probe(), `select id from componentforge.evaluation_runs`)).toEqual([]);
    expect(await api.delete({ id: run.id })).toEqual({ id: run.id });
  });

  it('lists newest first, optionally by status, page by page', async () => {
    const admin = await app.newAdmin();
    const api = app.caller({ token: admin.token }).componentforge.evaluationRuns;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api.create({ ...seedRun, name: `run ${i}`, status: i % 2 ? 'completed' : 'failed' })).id);
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const result = await api.list({ cursor, limit: 2 });
      all.push(...result.items.map((r) => r.id));
      cursor = result.nextCursor ?? undefined;
    } while (cursor);
    expect(all.filter((id) => ids.includes(id))).toEqual([...ids].reverse());
    const failed = await api.list({ status: 'failed', limit: 2 });
    const rest = await api.list({ status: 'failed', limit: 2, cursor: failed.nextCursor ?? undefined });
    expect([...failed.items, ...rest.items].map((r) => r.id)).toEqual([ids[4], ids[2], ids[0]]);
  });

  it('refuses unknown statuses and non-object config or metrics, in the API and in the database', async () => {
    const admin = await app.newAdmin();
    const api = app.caller({ token: admin.token }).componentforge.evaluationRuns;
    expect(badFields(await failure(api.create({ ...seedRun, status: 'paused' as 'running' })))).toEqual(['status']);
    expect(badFields(await failure(api.create({ ...seedRun, metrics: [1, 2] as unknown as Record<string, number> })))).toEqual(['metrics']);
    const run = await api.create(seedRun);
    const cases: Array<[string, string]> = [
      [`status = 'paused'`, 'evaluation_runs_status_check'],
      [`config = '[1]'`, 'evaluation_runs_config_object'],
      [`metrics = '0.94'`, 'evaluation_runs_metrics_object'],
      [`name = ''`, 'evaluation_runs_name_length'],
      [`model_name = ''`, 'evaluation_runs_model_name_length'],
      [`dataset_name = ''`, 'evaluation_runs_dataset_name_length'],
      [`description = repeat('d', 5001)`, 'evaluation_runs_description_length'],
    ];
    for (const [set, constraint] of cases) {
      expect(await app.sqlError(`update componentforge.evaluation_runs set ${set} where id = $1`, [run.id]), set).toEqual({ code: '23514', constraint });
    }
  });
});
