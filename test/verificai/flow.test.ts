/**
 * VerificAI end to end over real HTTP with the typed client: a seed-000 user (no username)
 * runs an analysis while an admin works the task queue; and db:seed's workspace reads back.
 */
import type http from 'node:http';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { TEST_USER } from '../../src/seed/core.js';
import { seedAll } from '../../src/seed/index.js';
import { AUDIT_FILES, FINISHED_SESSION, RUNNING_SESSION, SECURITY_PROMPTS } from '../../src/seed/verificai.js';
import { createHttpServer, listen } from '../../src/server/http.js';
import { PASSWORD, unique, useTestApp } from '../support/app.js';
import { files } from './helpers.js';

const app = useTestApp();
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = await createHttpServer({ ...app.services, config: { ...app.services.config, LOGIN_LIMIT_PER_EMAIL: 100 }, trustedProxies: '' });
  base = await listen(server, 0, '127.0.0.1');
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('VerificAI over HTTP with the typed client', () => {
  it('a user without a username analyses an upload while an admin works the task queue; the summary adds it up', async () => {
    const anonymous = createClient(base);
    const email = `${unique('analyst')}@example.com`;
    // Seed 000's user: email, password, full name, no username.
    const registered = await anonymous.auth.register.mutate({ email, password: PASSWORD, fullName: 'Grace Hopper' });
    expect(registered).toMatchObject({ email, username: null, fullName: 'Grace Hopper', role: 'user' });
    const { token } = await anonymous.auth.login.mutate({ email, password: PASSWORD });
    const api = createClient(base, { token }).verificai;

    const prompt = await api.configurations.create.mutate({ configType: 'security', promptContent: 'Find injections.', isDefault: true });
    const session = await api.sessions.create.mutate({ sessionName: 'Inventory service' });
    expect(session.createdAt).toBeInstanceOf(Date);
    await api.sessions.setStatus.mutate({ id: session.id, status: 'uploading' });
    expect(await api.files.registerMany.mutate({ analysisSessionId: session.id, files: files(250) })).toEqual({ analysisSessionId: session.id, inserted: 250 });
    await api.sessions.setStatus.mutate({ id: session.id, status: 'analyzing' });
    const queued = await api.tasks.enqueue.mutate({ analysisSessionId: session.id, taskId: unique('celery-'), taskType: 'code_analysis' });

    const admin = await app.newAdmin();
    const worker = createClient(base, { token: admin.token }).verificai;
    const [task] = await worker.tasks.claim.mutate({ workerId: 'worker-1', analysisSessionId: session.id });
    expect(task).toMatchObject({ id: queued.id, status: 'running', attempts: 1 });
    expect(task!.leaseExpiresAt).toBeInstanceOf(Date);
    const ids = (await api.files.list.query({ analysisSessionId: session.id, limit: 200 })).items.map((f) => f.id);
    await worker.files.setStatus.mutate({ analysisSessionId: session.id, ids, uploadStatus: 'processing' });
    await worker.files.setStatus.mutate({ analysisSessionId: session.id, ids, uploadStatus: 'processed' });
    await worker.tasks.progress.mutate({ id: task!.id, leaseToken: task!.leaseToken, progress: 60 });
    await worker.results.recordMany.mutate({
      analysisSessionId: session.id,
      results: [
        { analysisType: 'security', configurationId: prompt.id, fileName: 'module_1.py', resultContent: 'eval() on user input', score: '12.5' },
        { analysisType: 'security', configurationId: prompt.id, fileName: 'module_2.py', resultContent: 'clean', score: '98.75' },
      ],
    });
    await worker.tasks.complete.mutate({ id: task!.id, leaseToken: task!.leaseToken });
    await api.sessions.setStatus.mutate({ id: session.id, status: 'completed' });

    const summary = await api.sessions.summary.query({ id: session.id });
    expect(summary.session).toMatchObject({ status: 'completed', totalFiles: 250, processedFiles: 200 });
    expect(summary.session.completedAt).toBeInstanceOf(Date);
    expect(summary.files).toEqual({ processed: 200, uploaded: 50 });
    expect(summary.results).toEqual({ completed: 2 });
    expect(summary.tasks).toEqual({ completed: 1 });
    expect(summary.scores).toEqual([{ analysisType: 'security', results: 2, scored: 2, min: '12.50', avg: '55.63', max: '98.75' }]);

    // Bad input over the wire: BAD_REQUEST naming the field, no engine text; nothing written.
    const err = await api.results.recordMany
      .mutate({ analysisSessionId: session.id, results: [{ analysisType: 'security', resultContent: 'x', score: '100.5' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    const shape = (err as TRPCClientError<never>).shape as unknown as { message: string; data: { code: string; httpStatus: number; fieldErrors: Record<string, string[]> } };
    expect(shape.data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, fieldErrors: { 'results.0.score': ['must be between 0 and 100'] } });
    const late = (await api.files.registerMany.mutate({ analysisSessionId: session.id, files: files(1) }).catch((e: unknown) => e)) as TRPCClientError<never>;
    expect(late.message).toBe('files can be added only while the analysis session is created or uploading, not completed');
    expect(JSON.stringify(late.shape)).not.toMatch(/verificai\.analysis|file_uploads_count|insert into|plpgsql|"stack"/i);

    expect(await api.sessions.delete.mutate({ id: session.id })).toEqual({ id: session.id });
    expect((await worker.tasks.list.query({ analysisSessionId: session.id })).items).toEqual([]);
  });

  it('db:seed adds the VerificAI workspace once: a finished session with results from two prompt versions, tasks in every state', async () => {
    const services = { ...app.services, config: { ...app.services.config, LOGIN_LIMIT_PER_EMAIL: 1_000_000 } };
    const first = await seedAll(services);
    expect(first.verificai).toEqual({ sessions: 2, configurations: 2, files: 9, results: 9, tasks: 6 });
    const second = await seedAll(services);
    expect(second.verificai).toEqual({ sessions: 0, configurations: 0, files: 0, results: 0, tasks: 0 });

    const { token } = await createClient(base).auth.login.mutate({ email: TEST_USER.email, password: TEST_USER.password });
    const api = createClient(base, { token }).verificai;
    const sessions = (await api.sessions.list.query({})).items;
    const finished = sessions.find((s) => s.sessionName === FINISHED_SESSION)!;
    const running = sessions.find((s) => s.sessionName === RUNNING_SESSION)!;
    expect(finished).toMatchObject({ status: 'completed', totalFiles: AUDIT_FILES.length, processedFiles: 5 });
    expect(running).toMatchObject({ status: 'analyzing', totalFiles: 3, processedFiles: 0 });

    const summary = await api.sessions.summary.query({ id: finished.id });
    expect(summary.files).toEqual({ processed: 5, failed: 1 });
    expect(summary.tasks).toEqual({ completed: 3, failed: 1 });
    expect(summary.results).toEqual({ completed: 8, failed: 1 });
    const history = (await api.configurations.history.query({ configType: 'security' })).items;
    expect(history.map((c) => [c.version, c.promptContent, c.isDefault])).toEqual([
      [2, SECURITY_PROMPTS[1], true],
      [1, SECURITY_PROMPTS[0], false],
    ]);
    const security = (await api.results.list.query({ analysisSessionId: finished.id, analysisType: 'security' })).items;
    const byVersion = new Map(history.map((c) => [c.id, c.version]));
    expect(security.map((r) => byVersion.get(r.configurationId!)).sort()).toEqual([1, 1, 1, 2, 2, 2, 2]);
    const [failedTask] = (await api.tasks.list.query({ analysisSessionId: finished.id })).items.filter((t) => t.status === 'failed');
    expect(failedTask).toMatchObject({ taskType: 'report_generation', errorMessage: 'report template "security-summary.html" not found' });
    expect((await api.sessions.summary.query({ id: running.id })).tasks).toEqual({ pending: 1, running: 1 });

    // The worker registered without a username, as seed 000's users do, and was logged out.
    const { rows } = await app.sql(
      `select u.username, u.role, (select count(*) from core.auth_sessions s where s.user_id = u.id and s.revoked_at is null)::int as live
         from core.users u where u.email = 'verificai-worker@example.com'`,
    );
    expect(rows).toEqual([{ username: null, role: 'admin', live: 0 }]);
  });
});
