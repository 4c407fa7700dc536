import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { seedAll } from '../../src/seed/index.js';
import { TEST_USER } from '../../src/seed/core.js';
import { createHttpServer, listen } from '../../src/server/http.js';
import { useTestApp } from '../support/app.js';

const app = useTestApp();
let server: http.Server;
let base: string;

beforeAll(async () => {
  // The seeded user logs in several times here; the test app's tight per-email limit is for the throttling tests.
  server = await createHttpServer({ ...app.services, config: { ...app.services.config, LOGIN_LIMIT_PER_EMAIL: 100 }, trustedProxies: '' });
  base = await listen(server, 0, '127.0.0.1');
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('SOCRATES over HTTP with the typed client', () => {
  it('db:seed is idempotent and gives the seeded user a readable workspace', async () => {
    const first = await seedAll(app.services);
    expect(first.socrates).toEqual({ projects: 4, sessions: 4, messages: 8, documents: 4 });
    const second = await seedAll(app.services);
    expect(second.socrates).toEqual({ projects: 0, sessions: 0, messages: 0, documents: 0 });

    const { token } = await createClient(base).auth.login.mutate({ email: TEST_USER.email, password: TEST_USER.password });
    const api = createClient(base, { token }).socrates;
    const projects = (await api.projects.list.query({})).items;
    expect(projects.map((p) => p.status).sort()).toEqual(['COMPLETE', 'DEVELOPMENT', 'PLANNING', 'TESTING']);
    const sessions = (await api.sessions.list.query({})).items;
    expect(sessions.map((s) => s.mode).sort()).toEqual(['chat', 'question', 'review', 'teaching']);
    const teaching = sessions.find((s) => s.mode === 'teaching')!;
    const conversation = await api.sessions.getWithMessages.query({ id: teaching.id });
    expect(conversation.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
    expect((await api.documents.list.query({})).items.map((d) => d.status).sort()).toEqual(['ERROR', 'PROCESSED', 'PROCESSING', 'UPLOADING']);
  });

  it('the seeded user creates a project, starts a teaching session, exchanges messages and archives it; an admin reads the trail', async () => {
    await seedAll(app.services);
    const anonymous = createClient(base);
    const { token, user } = await anonymous.auth.login.mutate({ email: TEST_USER.email, password: TEST_USER.password });
    const api = createClient(base, { token }).socrates;

    const project = await api.projects.create.mutate({ name: 'Learn Rust', technologyStack: ['rust'] });
    const session = await api.sessions.start.mutate({ mode: 'teaching', projectId: project.id, role: 'mentor' });
    await api.messages.append.mutate({ sessionId: session.id, role: 'user', messageType: 'question', content: 'What is ownership?' });
    await api.messages.append.mutate({
      sessionId: session.id,
      role: 'assistant',
      messageType: 'response',
      content: 'What do you think happens to a value when its owner goes out of scope?',
      metadata: { socratic_depth: 1 },
    });
    const archived = await api.sessions.archive.mutate({ id: session.id });
    expect(archived.status).toBe('ARCHIVED');
    expect(archived.archivedAt).toBeInstanceOf(Date);
    await expect(api.messages.append.mutate({ sessionId: session.id, role: 'user', content: 'one more' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
    });

    const admin = await app.newAdmin();
    const trail = await createClient(base, { token: admin.token }).audit.list.query({ actorId: user.id, entitySchema: 'socrates', limit: 200 });
    const events = trail.items.map((e) => `${e.action} ${e.entityTable}`);
    expect(events).toEqual(expect.arrayContaining(['CREATE projects', 'CREATE sessions', 'CREATE messages', 'UPDATE sessions']));
    const archiving = trail.items.find((e) => e.entityId === session.id && e.action === 'UPDATE');
    expect(archiving?.newValue).toMatchObject({ status: 'ARCHIVED' });
    expect(archiving?.oldValue).toMatchObject({ status: 'ACTIVE' });
  });
});
