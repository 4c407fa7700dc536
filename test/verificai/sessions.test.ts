import { describe, expect, it } from 'vitest';
import { unique, useTestApp } from '../support/app.js';
import { codeOf, failure } from '../support/errors.js';
import { badFields, countQueries, files, MISSING_ID, userWithSession, worker } from './helpers.js';

const app = useTestApp();

describe('verificai.sessions', () => {
  it('creates a session for the caller in status created, with its counters at 0', async () => {
    const { user, session } = await userWithSession(app, 'Payment service review');
    expect(session).toMatchObject({
      userId: user.id,
      sessionName: 'Payment service review',
      status: 'created',
      completedAt: null,
      totalFiles: 0,
      processedFiles: 0,
    });
    expect(session.createdAt).toBeInstanceOf(Date);
  });

  it('session_name is 1-255 characters, in zod and in the table', async () => {
    const { api, session } = await userWithSession(app);
    for (const sessionName of ['', '   ', 'x'.repeat(256)]) {
      const err = await failure(api.sessions.create({ sessionName }));
      expect(err.code).toBe('BAD_REQUEST');
      expect(badFields(err)).toEqual(['sessionName']);
    }
    expect((await api.sessions.create({ sessionName: 'x'.repeat(255) })).sessionName).toHaveLength(255);
    expect(await app.sqlError(`update verificai.analysis_sessions set session_name = '' where id = $1`, [session.id])).toEqual({
      code: '23514',
      constraint: 'analysis_sessions_session_name_length',
    });
    expect(await app.sqlError(`update verificai.analysis_sessions set session_name = repeat('x', 256) where id = $1`, [session.id])).toEqual({
      code: '23514',
      constraint: 'analysis_sessions_session_name_length',
    });
  });

  it('a session is started only as oneself, even by an admin (the insert policy)', async () => {
    const { user } = await userWithSession(app);
    const { admin } = await worker(app);
    for (const actor of [await app.newUser(), admin]) {
      const err = await failure(
        app.probe({ token: actor.token }).sql([{ text: `insert into verificai.analysis_sessions (user_id, session_name) values ($1, 'planted')`, values: [user.id] }]),
      );
      expect(err.code).toBe('FORBIDDEN');
    }
    const { rows } = await app.sql(`select count(*)::int as n from verificai.analysis_sessions where session_name = 'planted'`);
    expect(rows[0]).toEqual({ n: 0 });
  });

  it('rename changes the name; get of a missing or foreign session is NOT_FOUND', async () => {
    const { api, session } = await userWithSession(app);
    expect((await api.sessions.rename({ id: session.id, sessionName: 'Renamed' })).sessionName).toBe('Renamed');
    expect((await api.sessions.get({ id: session.id })).sessionName).toBe('Renamed');
    expect(await codeOf(api.sessions.get({ id: MISSING_ID }))).toBe('NOT_FOUND');
    const stranger = app.caller({ token: (await app.newUser()).token }).verificai;
    expect(await codeOf(stranger.sessions.get({ id: session.id }))).toBe('NOT_FOUND');
    expect(await codeOf(stranger.sessions.rename({ id: session.id, sessionName: 'mine now' }))).toBe('NOT_FOUND');
    expect(await codeOf(stranger.sessions.delete({ id: session.id }))).toBe('NOT_FOUND');
    expect(await codeOf(stranger.sessions.summary({ id: session.id }))).toBe('NOT_FOUND');
    expect((await api.sessions.get({ id: session.id })).sessionName).toBe('Renamed');
  });

  it('every legal move, completedAt set exactly when finished', async () => {
    const { api } = await userWithSession(app);
    const paths: Array<[string, ...string[]]> = [
      ['completed', 'uploading', 'analyzing', 'completed'],
      ['failed from uploading', 'uploading', 'failed'],
      ['failed from analyzing', 'uploading', 'analyzing', 'failed'],
      ['cancelled from created', 'cancelled'],
      ['cancelled from uploading', 'uploading', 'cancelled'],
      ['cancelled from analyzing', 'uploading', 'analyzing', 'cancelled'],
    ];
    for (const [name, ...moves] of paths) {
      const { id } = await api.sessions.create({ sessionName: name });
      for (const status of moves) {
        const moved = await api.sessions.setStatus({ id, status: status as 'created' });
        expect(moved.status, name).toBe(status);
        const finished = ['completed', 'failed', 'cancelled'].includes(status);
        expect(moved.completedAt instanceof Date, `${name}: ${status}`).toBe(finished);
      }
    }
  });

  it('illegal moves are BAD_REQUEST naming the move, and change nothing', async () => {
    const { api, session } = await userWithSession(app);
    const illegal: Array<[string[], string]> = [
      [[], 'analyzing'],
      [[], 'completed'],
      [[], 'failed'],
      [['uploading'], 'created'],
      [['uploading'], 'completed'],
      [['uploading', 'analyzing'], 'uploading'],
      [['uploading', 'analyzing', 'completed'], 'analyzing'],
      [['uploading', 'analyzing', 'completed'], 'cancelled'],
      [['uploading', 'failed'], 'analyzing'],
      [['cancelled'], 'created'],
    ];
    for (const [before, target] of illegal) {
      const { id } = await api.sessions.create({ sessionName: unique('s') });
      for (const status of before) await api.sessions.setStatus({ id, status: status as 'created' });
      const from = before.at(-1) ?? 'created';
      const err = await failure(api.sessions.setStatus({ id, status: target as 'created' }));
      expect(err, `${from} -> ${target}`).toMatchObject({ code: 'BAD_REQUEST', message: `analysis_sessions status cannot change from ${from} to ${target}` });
      expect((await api.sessions.get({ id })).status).toBe(from);
    }
    expect(session.status).toBe('created');
  });

  it('the CHECKs behind the lifecycle and the counters hold without the triggers', async () => {
    const { session } = await userWithSession(app);
    const cases: Array<[string, string]> = [
      [`status = 'done'`, 'analysis_sessions_status_check'],
      [`status = 'completed'`, 'analysis_sessions_completed_at_when_finished'],
      [`status = 'cancelled'`, 'analysis_sessions_completed_at_when_finished'],
      [`completed_at = now()`, 'analysis_sessions_completed_at_when_finished'],
      [`total_files = -1`, 'analysis_sessions_processed_files_range'],
      [`processed_files = -1`, 'analysis_sessions_processed_files_range'],
      [`total_files = 2, processed_files = 3`, 'analysis_sessions_processed_files_range'],
    ];
    for (const [set, constraint] of cases) {
      expect(await app.sqlError(`update verificai.analysis_sessions set ${set} where id = $1`, [session.id], { triggers: false }), set).toEqual({
        code: '23514',
        constraint,
      });
    }
    // The same rows with everything in place are accepted: each case fails for its rule alone.
    const client = await app.superClient();
    try {
      await client.query('begin');
      await client.query('set local session_replication_role = replica');
      await client.query(`update verificai.analysis_sessions set status = 'completed', completed_at = now(), total_files = 3, processed_files = 3 where id = $1`, [session.id]);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });

  it('lists the caller\'s sessions newest first, by status, keyset-paginated; admins see everyone\'s', async () => {
    const { api, user } = await userWithSession(app, 'first');
    for (let i = 0; i < 4; i++) await api.sessions.create({ sessionName: `s${i}` });
    const cancelled = await api.sessions.create({ sessionName: 'gone' });
    await api.sessions.setStatus({ id: cancelled.id, status: 'cancelled' });
    const other = await userWithSession(app, 'other user');

    const pageOne = await api.sessions.list({ limit: 4 });
    const pageTwo = await api.sessions.list({ limit: 4, cursor: pageOne.nextCursor! });
    const all = [...pageOne.items, ...pageTwo.items];
    expect(all.map((s) => s.sessionName)).toEqual(['gone', 's3', 's2', 's1', 's0', 'first']);
    expect(pageTwo.nextCursor).toBeNull();
    expect(all.every((s) => s.userId === user.id)).toBe(true);
    expect((await api.sessions.list({ status: 'cancelled' })).items.map((s) => s.id)).toEqual([cancelled.id]);
    expect(await codeOf(api.sessions.list({ cursor: 'not-a-cursor' }))).toBe('BAD_REQUEST');

    const { api: admin } = await worker(app);
    const everyone = (await admin.sessions.list({ limit: 200 })).items.map((s) => s.id);
    expect(everyone).toContain(other.session.id);
    expect(everyone).toContain(cancelled.id);
    expect((await admin.sessions.list({ status: 'cancelled', limit: 200 })).items.map((s) => s.id)).toContain(cancelled.id);
    expect((await admin.sessions.get({ id: other.session.id })).sessionName).toBe('other user');
    // Admins (the workers) move and delete anyone's sessions.
    expect((await admin.sessions.setStatus({ id: other.session.id, status: 'uploading' })).status).toBe('uploading');
    expect(await admin.sessions.delete({ id: other.session.id })).toEqual({ id: other.session.id });
  });

  it('deleting a session deletes its files, results and tasks (the seed\'s delete-orphan)', async () => {
    const { api, session } = await userWithSession(app);
    await api.files.registerMany({ analysisSessionId: session.id, files: files(3) });
    await api.results.recordMany({ analysisSessionId: session.id, results: [{ analysisType: 'security', resultContent: 'ok', score: '90' }] });
    await api.tasks.enqueue({ analysisSessionId: session.id, taskId: unique('celery-'), taskType: 'code_analysis' });
    const count = `select (select count(*) from verificai.file_uploads where analysis_session_id = $1)::int as files,
                          (select count(*) from verificai.analysis_results where analysis_session_id = $1)::int as results,
                          (select count(*) from verificai.analysis_tasks where analysis_session_id = $1)::int as tasks`;
    expect((await app.sql(count, [session.id])).rows[0]).toEqual({ files: 3, results: 1, tasks: 1 });
    expect(await api.sessions.delete({ id: session.id })).toEqual({ id: session.id });
    expect((await app.sql(count, [session.id])).rows[0]).toEqual({ files: 0, results: 0, tasks: 0 });
    expect(await codeOf(api.sessions.get({ id: session.id }))).toBe('NOT_FOUND');
  });

  it('deleting a user deletes their sessions and prompts', async () => {
    const { user, api, session } = await userWithSession(app);
    const prompt = await api.configurations.create({ configType: 'security', promptContent: 'Find injections.' });
    await app.sql(`delete from core.users where id = $1`, [user.id]);
    const { rows } = await app.sql(
      `select (select count(*) from verificai.analysis_sessions where id = $1)::int as sessions,
              (select count(*) from verificai.configurations where id = $2)::int as prompts`,
      [session.id, prompt.id],
    );
    expect(rows[0]).toEqual({ sessions: 0, prompts: 0 });
  });

  it('summary: the session, counts by status of files, results and tasks, and score min/avg/max per type, in one round trip', async () => {
    const { api, session } = await userWithSession(app);
    await api.sessions.setStatus({ id: session.id, status: 'uploading' });
    await api.files.registerMany({ analysisSessionId: session.id, files: files(4) });
    const listed = (await api.files.list({ analysisSessionId: session.id })).items;
    await api.files.setStatus({ analysisSessionId: session.id, ids: listed.slice(0, 3).map((f) => f.id), uploadStatus: 'processing' });
    await api.files.setStatus({ analysisSessionId: session.id, ids: listed.slice(0, 2).map((f) => f.id), uploadStatus: 'processed' });
    await api.files.setStatus({ analysisSessionId: session.id, ids: [listed[2]!.id], uploadStatus: 'failed' });
    await api.results.recordMany({
      analysisSessionId: session.id,
      results: [
        { analysisType: 'security', resultContent: 'a', score: '70.25' },
        { analysisType: 'security', resultContent: 'b', score: '90' },
        { analysisType: 'security', resultContent: 'c', score: '85.5' },
        { analysisType: 'performance', resultContent: 'd', score: '100' },
        { analysisType: 'performance', resultContent: 'e', status: 'pending' },
        { analysisType: 'documentation', resultContent: 'f', status: 'failed' },
      ],
    });
    await api.tasks.enqueue({ analysisSessionId: session.id, taskId: unique('t-'), taskType: 'code_analysis' });
    await api.tasks.enqueue({ analysisSessionId: session.id, taskId: unique('t-'), taskType: 'report_generation' });

    const { result: summary, queries } = await countQueries(() => api.sessions.summary({ id: session.id }));
    expect(queries).toBe(3);
    expect(summary.session).toMatchObject({ id: session.id, status: 'uploading', totalFiles: 4, processedFiles: 2 });
    expect(summary.files).toEqual({ uploaded: 1, processed: 2, failed: 1 });
    expect(summary.results).toEqual({ completed: 4, pending: 1, failed: 1 });
    expect(summary.tasks).toEqual({ pending: 2 });
    expect(summary.scores).toEqual([
      { analysisType: 'documentation', results: 1, scored: 0, min: null, avg: null, max: null },
      { analysisType: 'performance', results: 2, scored: 1, min: '100.00', avg: '100.00', max: '100.00' },
      { analysisType: 'security', results: 3, scored: 3, min: '70.25', avg: '81.92', max: '90.00' },
    ]);
    // An empty session.
    const empty = await api.sessions.create({ sessionName: 'empty' });
    expect(await api.sessions.summary({ id: empty.id })).toEqual({ session: empty, files: {}, results: {}, tasks: {}, scores: [] });
  });
});
