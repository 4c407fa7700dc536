import { describe, expect, it } from 'vitest';
import { unique, useTestApp } from '../support/app.js';
import { codeOf, failure } from '../support/errors.js';
import { badFields, countQueries, MISSING_ID, userWithSession, worker } from './helpers.js';

const app = useTestApp();

describe('verificai.results', () => {
  it('records 5,000 results in one statement; scores come back as exact strings', async () => {
    const { api, session } = await userWithSession(app);
    const results = Array.from({ length: 5_000 }, (_, i) => ({
      analysisType: i % 2 ? ('security' as const) : ('code_quality' as const),
      fileName: `module_${i}.py`,
      resultContent: `finding ${i}`,
      score: `${i % 101}.${String(i % 100).padStart(2, '0')}`.replace(/^100\.\d\d$/, '100'),
    }));
    const { result, queries } = await countQueries(() => api.results.recordMany({ analysisSessionId: session.id, results }));
    expect(result).toEqual({ analysisSessionId: session.id, inserted: 5_000 });
    expect(queries).toBe(1);
    const [newest] = (await api.results.list({ analysisSessionId: session.id, limit: 1 })).items;
    expect(newest).toMatchObject({ status: 'completed', configurationId: null });
    expect(typeof newest!.score).toBe('string');
    const { rows } = await app.sql(`select count(*)::int as n, max(score)::text as max from verificai.analysis_results where analysis_session_id = $1`, [session.id]);
    expect(rows[0]).toEqual({ n: 5_000, max: '100.00' });
    expect(await codeOf(api.results.recordMany({ analysisSessionId: session.id, results: Array.from({ length: 5_001 }, () => results[0]!) }))).toBe('BAD_REQUEST');
  });

  it('score is 0-100 with at most two decimals, as a string; the CHECK holds for any writer', async () => {
    const { api, session } = await userWithSession(app);
    const record = (score: unknown) =>
      api.results.recordMany({ analysisSessionId: session.id, results: [{ analysisType: 'performance', resultContent: 'r', score: score as string }] });
    for (const score of ['100.01', '101', '-1', '1e2', 'abc', '87.555', '', ' 5', 87.5]) {
      const err = await failure(record(score));
      expect(err.code, String(score)).toBe('BAD_REQUEST');
      expect(badFields(err), String(score)).toEqual(['results.0.score']);
    }
    for (const score of ['0', '100', '100.00', '87.5', '0.01']) expect((await record(score)).inserted, score).toBe(1);
    const scores = (await api.results.list({ analysisSessionId: session.id })).items.map((r) => r.score);
    expect(scores).toEqual(['0.01', '87.50', '100.00', '100.00', '0.00']);

    const [row] = (await app.sql(`select id from verificai.analysis_results where analysis_session_id = $1 limit 1`, [session.id])).rows;
    for (const score of ['100.01', '-0.01']) {
      expect(await app.sqlError(`update verificai.analysis_results set score = $2 where id = $1`, [row!.id, score]), score).toEqual({
        code: '23514',
        constraint: 'analysis_results_score_range',
      });
    }
  });

  it('the other CHECKs: analysis_type, status, file_name 1-255, result_content 1-1000000', async () => {
    const { api, session } = await userWithSession(app);
    await api.results.recordMany({ analysisSessionId: session.id, results: [{ analysisType: 'custom', resultContent: 'x' }] });
    const [row] = (await app.sql(`select id from verificai.analysis_results where analysis_session_id = $1`, [session.id])).rows;
    for (const [set, constraint] of [
      [`analysis_type = 'style'`, 'analysis_results_analysis_type_check'],
      [`status = 'done'`, 'analysis_results_status_check'],
      [`file_name = ''`, 'analysis_results_file_name_length'],
      [`file_name = repeat('f', 256)`, 'analysis_results_file_name_length'],
      [`result_content = ''`, 'analysis_results_result_content_length'],
      [`result_content = repeat('r', 1000001)`, 'analysis_results_result_content_length'],
    ] as const) {
      expect(await app.sqlError(`update verificai.analysis_results set ${set} where id = $1`, [row!.id], { triggers: false }), set).toEqual({ code: '23514', constraint });
    }
    for (const [patch, field] of [
      [{ analysisType: 'style' }, 'results.0.analysisType'],
      [{ status: 'done' }, 'results.0.status'],
      [{ fileName: 'f'.repeat(256) }, 'results.0.fileName'],
      [{ resultContent: '' }, 'results.0.resultContent'],
    ] as const) {
      const err = await failure(api.results.recordMany({ analysisSessionId: session.id, results: [{ ...{ resultContent: 'x', analysisType: 'custom' }, ...(patch as object) } as never] }));
      expect(badFields(err), field).toEqual([field]);
    }
  });

  it('status moves pending -> running -> completed or failed, failed may run again, completed is final (any writer)', async () => {
    const { api, session } = await userWithSession(app);
    await api.results.recordMany({ analysisSessionId: session.id, results: [{ analysisType: 'security', resultContent: 'x', status: 'pending' }] });
    const [row] = (await app.sql(`select id from verificai.analysis_results where analysis_session_id = $1`, [session.id])).rows;
    const move = (status: string) => app.sql(`update verificai.analysis_results set status = $2 where id = $1`, [row!.id, status]);
    const refuse = (status: string) => app.sqlError(`update verificai.analysis_results set status = $2 where id = $1`, [row!.id, status]);
    expect(await refuse('pending_review')).toMatchObject({ code: '23514' });
    await move('running');
    expect(await refuse('pending')).toEqual({ code: '23514', constraint: undefined });
    await move('failed');
    await move('running');
    await move('completed');
    for (const status of ['pending', 'running', 'failed']) expect(await refuse(status), status).toEqual({ code: '23514', constraint: undefined });
    // The request role has no update on results at all: they are recorded once.
    const probe = app.probe({ token: (await app.newAdmin()).token });
    expect(await codeOf(probe.sql([{ text: `update verificai.analysis_results set score = 1 where id = $1`, values: [row!.id] }]))).toBe('FORBIDDEN');
  });

  it('lists a session\'s results newest first, by type and/or status, keyset-paginated', async () => {
    const { api, session } = await userWithSession(app);
    const types = ['security', 'performance', 'security', 'code_quality', 'security', 'performance'] as const;
    const statuses = ['completed', 'completed', 'failed', 'completed', 'completed', 'pending'] as const;
    await api.results.recordMany({
      analysisSessionId: session.id,
      results: types.map((analysisType, i) => ({ analysisType, status: statuses[i], resultContent: `r${i}` })),
    });
    const all = async (filter: { analysisType?: 'security' | 'performance' | 'code_quality' | 'documentation'; status?: (typeof statuses)[number] }) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await api.results.list({ analysisSessionId: session.id, ...filter, limit: 2, cursor });
        seen.push(...page.items.map((r) => r.resultContent));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return seen;
    };
    // One statement inserts them all, so ids (not created_at) keep their order.
    expect(await all({})).toEqual(['r5', 'r4', 'r3', 'r2', 'r1', 'r0']);
    expect(await all({ analysisType: 'security' })).toEqual(['r4', 'r2', 'r0']);
    expect(await all({ status: 'completed' })).toEqual(['r4', 'r3', 'r1', 'r0']);
    expect(await all({ analysisType: 'security', status: 'completed' })).toEqual(['r4', 'r0']);
    expect(await all({ analysisType: 'documentation' })).toEqual([]);
  });

  it('owners and admins (the workers) record results; strangers get NOT_FOUND and see nothing', async () => {
    const { api, session } = await userWithSession(app);
    await api.results.recordMany({ analysisSessionId: session.id, results: [{ analysisType: 'security', resultContent: 'mine' }] });
    const stranger = app.caller({ token: (await app.newUser()).token }).verificai;
    expect(await codeOf(stranger.results.recordMany({ analysisSessionId: session.id, results: [{ analysisType: 'security', resultContent: 'x' }] }))).toBe('NOT_FOUND');
    expect(await codeOf(api.results.recordMany({ analysisSessionId: MISSING_ID, results: [{ analysisType: 'security', resultContent: 'x' }] }))).toBe('NOT_FOUND');
    expect((await stranger.results.list({ analysisSessionId: session.id })).items).toEqual([]);
    const { api: admin } = await worker(app);
    await admin.results.recordMany({ analysisSessionId: session.id, results: [{ analysisType: 'security', resultContent: 'by the worker', score: '99.99' }] });
    expect((await api.results.list({ analysisSessionId: session.id })).items.map((r) => r.resultContent)).toEqual(['by the worker', 'mine']);
  });

  it('the audit log keeps results\' metadata but not their content', async () => {
    const { api, session } = await userWithSession(app);
    const secret = unique('AWS_SECRET_ACCESS_KEY found in settings.py: ');
    await api.results.recordMany({ analysisSessionId: session.id, results: [{ analysisType: 'security', resultContent: secret, score: '12.5' }] });
    const { rows } = await app.sql<{ value: Record<string, unknown> }>(
      `select new_value as value from core.audit_log where entity_schema = 'verificai' and entity_table = 'analysis_results' and new_value->>'analysis_session_id' = $1`,
      [session.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.value).toMatchObject({ result_content: '[redacted]', analysis_type: 'security', score: 12.5 });
    expect(JSON.stringify(rows)).not.toContain(secret);
  });
});
