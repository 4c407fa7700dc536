import { describe, expect, it } from 'vitest';
import { codeOf } from '../support/errors.js';
import { useTestApp } from '../support/app.js';
import { rowsAs } from '../support/probe.js';

const app = useTestApp();

/** Every page of a keyset list, following nextCursor. */
async function allPages<T>(fetch: (cursor?: string) => Promise<{ items: T[]; nextCursor: string | null }>): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const result = await fetch(cursor);
    pages.push(result.items);
    cursor = result.nextCursor ?? undefined;
  } while (cursor);
  return pages;
}

describe('socrates procedures', () => {
  it('projects: create, get, update, change status, list by status with keyset pages, delete', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).socrates;
    const created = await api.projects.create({ name: 'Compiler', description: 'A toy compiler', technologyStack: ['ocaml', 'llvm'] });
    expect(created).toMatchObject({ ownerId: user.id, status: 'PLANNING', technologyStack: ['ocaml', 'llvm'] });
    expect((await api.projects.get({ id: created.id })).name).toBe('Compiler');
    const updated = await api.projects.update({ id: created.id, description: null, technologyStack: ['ocaml'] });
    expect(updated).toMatchObject({ name: 'Compiler', description: null, technologyStack: ['ocaml'] });
    expect((await api.projects.setStatus({ id: created.id, status: 'DESIGN' })).status).toBe('DESIGN');
    expect(await codeOf(api.projects.setStatus({ id: created.id, status: 'DONE' as 'DESIGN' }))).toBe('BAD_REQUEST');

    for (let i = 0; i < 7; i++) await api.projects.create({ name: `p${i}`, status: i % 2 ? 'TESTING' : 'PLANNING' });
    const pages = await allPages((cursor) => api.projects.list({ cursor, limit: 3 }));
    const ids = pages.flat().map((p) => p.id);
    expect(ids).toHaveLength(8);
    expect(new Set(ids).size).toBe(8);
    expect(ids[0]).not.toBe(created.id); // newest first
    expect(ids.at(-1)).toBe(created.id);
    const testing = (await allPages((cursor) => api.projects.list({ status: 'TESTING', cursor, limit: 2 }))).flat();
    expect(testing.map((p) => p.status)).toEqual(['TESTING', 'TESTING', 'TESTING']);

    await api.projects.delete({ id: created.id });
    expect(await codeOf(api.projects.get({ id: created.id }))).toBe('NOT_FOUND');
    expect(await codeOf(api.projects.delete({ id: created.id }))).toBe('NOT_FOUND');
  });

  it('sessions: start in each mode, optionally in a project; list by project or status', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).socrates;
    const project = await api.projects.create({ name: 'Modes' });
    for (const mode of ['chat', 'question', 'teaching', 'review'] as const) {
      const session = await api.sessions.start({ mode, projectId: project.id, name: `${mode} session` });
      expect(session).toMatchObject({ mode, status: 'ACTIVE', projectId: project.id, archivedAt: null });
    }
    const loose = await api.sessions.start({});
    expect(loose).toMatchObject({ mode: 'chat', projectId: null });
    await api.sessions.pause({ id: loose.id });

    expect((await api.sessions.list({ projectId: project.id })).items).toHaveLength(4);
    expect((await api.sessions.list({ status: 'PAUSED' })).items.map((s) => s.id)).toEqual([loose.id]);
    expect((await api.sessions.list({})).items).toHaveLength(5);
    const renamed = await api.sessions.update({ id: loose.id, name: 'Renamed', role: 'strict examiner' });
    expect(renamed).toMatchObject({ name: 'Renamed', role: 'strict examiner' });
    expect(await codeOf(api.sessions.start({ mode: 'lecture' as 'chat' }))).toBe('BAD_REQUEST');
  });

  it('messages: each role and type with metadata; listed oldest first in keyset pages', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).socrates;
    const session = await api.sessions.start({ mode: 'teaching' });
    const kinds = [
      { role: 'user', messageType: 'question' },
      { role: 'assistant', messageType: 'response' },
      { role: 'user', messageType: 'code' },
      { role: 'assistant', messageType: 'text' },
    ] as const;
    const sent = [];
    for (let i = 0; i < 10; i++) {
      const kind = kinds[i % kinds.length]!;
      sent.push(await api.messages.append({ sessionId: session.id, ...kind, content: `m${i}`, metadata: { turn: i, tags: ['a'] } }));
    }
    expect(sent[2]).toMatchObject({ role: 'user', messageType: 'code', metadata: { turn: 2, tags: ['a'] }, userId: user.id });
    const pages = await allPages((cursor) => api.messages.list({ sessionId: session.id, cursor, limit: 4 }));
    expect(pages.map((p) => p.length)).toEqual([4, 4, 2]);
    expect(pages.flat().map((m) => m.content)).toEqual(sent.map((m) => m.content));
    expect(await codeOf(api.messages.append({ sessionId: session.id, role: 'system' as 'user', content: 'x' }))).toBe('BAD_REQUEST');
    expect(await codeOf(api.messages.append({ sessionId: session.id, role: 'user', content: '' }))).toBe('BAD_REQUEST');
  });

  it('a session with its latest N messages, in reading order', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).socrates;
    const session = await api.sessions.start({ mode: 'chat' });
    for (let i = 0; i < 8; i++) await api.messages.append({ sessionId: session.id, role: i % 2 ? 'assistant' : 'user', content: `m${i}` });
    const withMessages = await api.sessions.getWithMessages({ id: session.id, latest: 3 });
    expect(withMessages.id).toBe(session.id);
    expect(withMessages.messages.map((m) => m.content)).toEqual(['m5', 'm6', 'm7']);
    expect((await api.sessions.getWithMessages({ id: session.id })).messages).toHaveLength(8);
    expect(await codeOf(api.sessions.getWithMessages({ id: session.id, latest: 0 }))).toBe('BAD_REQUEST');
  });

  it('documents: register an upload, process it, attach its vector, list by project and status', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).socrates;
    const project = await api.projects.create({ name: 'Docs' });
    const doc = await api.documents.register({ filename: 'spec.md', filePath: 'uploads/spec.md', fileType: 'markdown', projectId: project.id });
    expect(doc).toMatchObject({ status: 'UPLOADING', vectorId: null, projectId: project.id });
    await api.documents.setStatus({ id: doc.id, status: 'PROCESSING' });
    const withVector = await api.documents.attachVector({ id: doc.id, vectorId: 'vec_1', contentSummary: 'A spec' });
    expect(withVector).toMatchObject({ vectorId: 'vec_1', contentSummary: 'A spec' });
    await api.documents.setStatus({ id: doc.id, status: 'PROCESSED' });
    await api.documents.register({ filename: 'other.md', filePath: 'uploads/other.md' });
    expect((await api.documents.list({ projectId: project.id })).items.map((d) => d.id)).toEqual([doc.id]);
    expect((await api.documents.list({ status: 'PROCESSED' })).items.map((d) => d.id)).toEqual([doc.id]);
    expect((await api.documents.list({ status: 'UPLOADING' })).items.map((d) => d.filename)).toEqual(['other.md']);
    await api.documents.delete({ id: doc.id });
    expect(await codeOf(api.documents.get({ id: doc.id }))).toBe('NOT_FOUND');
  });
});

describe('socrates row-level security', () => {
  it('another user can neither read, change nor delete any of it, even with the ids', async () => {
    const alice = await app.newUser();
    const bob = await app.newUser();
    const mine = app.caller({ token: alice.token }).socrates;
    const project = await mine.projects.create({ name: 'Secret' });
    const session = await mine.sessions.start({ mode: 'chat', projectId: project.id });
    const message = await mine.messages.append({ sessionId: session.id, role: 'user', content: 'private' });
    const document = await mine.documents.register({ filename: 'd', filePath: 'p', projectId: project.id });

    const theirs = app.caller({ token: bob.token }).socrates;
    const attempts: Array<() => Promise<unknown>> = [
      () => theirs.projects.get({ id: project.id }),
      () => theirs.projects.update({ id: project.id, name: 'pwned' }),
      () => theirs.projects.setStatus({ id: project.id, status: 'COMPLETE' }),
      () => theirs.projects.delete({ id: project.id }),
      () => theirs.sessions.get({ id: session.id }),
      () => theirs.sessions.getWithMessages({ id: session.id }),
      () => theirs.sessions.archive({ id: session.id }),
      () => theirs.sessions.update({ id: session.id, name: 'x' }),
      () => theirs.sessions.delete({ id: session.id }),
      () => theirs.documents.get({ id: document.id }),
      () => theirs.documents.setStatus({ id: document.id, status: 'PROCESSING' }),
      () => theirs.documents.attachVector({ id: document.id, vectorId: 'v' }),
      () => theirs.documents.delete({ id: document.id }),
    ];
    for (const attempt of attempts) expect(await codeOf(attempt())).toBe('NOT_FOUND');
    expect((await theirs.messages.list({ sessionId: session.id })).items).toEqual([]);
    expect((await theirs.projects.list({})).items).toEqual([]);

    // Raw SQL as Bob's request role: RLS shows and touches nothing.
    const probe = app.probe({ token: bob.token });
    for (const [table, id] of [['projects', project.id], ['sessions', session.id], ['messages', message.id], ['documents', document.id]] as const) {
      expect(await rowsAs(probe, `select id from socrates.${table} where id = $1`, [id]), table).toEqual([]);
      expect(await rowsAs(probe, `update socrates.${table} set updated_at = now() where id = $1 returning id`, [id]), table).toEqual([]);
      expect(await rowsAs(probe, `delete from socrates.${table} where id = $1 returning id`, [id]), table).toEqual([]);
    }
    expect(await codeOf(probe.sql([{ text: `insert into socrates.projects (owner_id, name) values ($1, 'forged')`, values: [alice.id] }]))).toBe('FORBIDDEN');

    // Everything of Alice's is intact.
    expect((await mine.sessions.getWithMessages({ id: session.id })).messages.map((m) => m.content)).toEqual(['private']);
    expect((await mine.projects.get({ id: project.id })).name).toBe('Secret');

    // Admins read everything, but do not edit users' content.
    const admin = await app.newAdmin();
    const adminProbe = app.probe({ token: admin.token });
    expect(await rowsAs(adminProbe, 'select id from socrates.messages where id = $1', [message.id])).toEqual([{ id: message.id }]);
    expect(await rowsAs(adminProbe, `update socrates.projects set name = 'x' where id = $1 returning id`, [project.id])).toEqual([]);
  });
});

describe('socrates policies: what a refusal test cannot show', () => {
  it('nobody files rows under another user: inserts and owner changes are checked (WITH CHECK)', async () => {
    const alice = await app.newUser();
    const bob = await app.newUser();
    const mine = app.caller({ token: alice.token }).socrates;
    const project = await mine.projects.create({ name: 'Alice' });
    const session = await mine.sessions.start({ mode: 'chat' });
    const document = await mine.documents.register({ filename: 'd', filePath: 'p' });
    const message = await mine.messages.append({ sessionId: session.id, role: 'user', content: 'mine' });
    const asBob = app.probe({ token: bob.token });
    const forged: Array<[string, unknown[]]> = [
      [`insert into socrates.sessions (owner_id) values ($1)`, [alice.id]],
      [`insert into socrates.documents (owner_id, filename, file_path) values ($1, 'f', 'p')`, [alice.id]],
      // Passes the composite FK and the active-session trigger: only the insert policy stops it.
      [`insert into socrates.messages (session_id, user_id, role, content) values ($1, $2, 'user', 'as alice')`, [session.id, alice.id]],
    ];
    for (const [text, values] of forged) expect(await codeOf(asBob.sql([{ text, values }])), text).toBe('FORBIDDEN');

    const asAlice = app.probe({ token: alice.token });
    const freshSession = await mine.sessions.start({ mode: 'chat' });
    const handOver: Array<[string, string]> = [
      [`update socrates.projects set owner_id = $1 where id = $2`, project.id],
      [`update socrates.sessions set owner_id = $1 where id = $2`, freshSession.id],
      [`update socrates.documents set owner_id = $1 where id = $2`, document.id],
      [`update socrates.messages set content = 'x', user_id = $1 where id = $2`, message.id],
    ];
    for (const [text, id] of handOver) expect(await codeOf(asAlice.sql([{ text, values: [bob.id, id] }])), text).toBe('FORBIDDEN');
    // Her own message she may edit and delete.
    expect(await rowsAs(asAlice, `update socrates.messages set content = 'edited' where id = $1 returning content`, [message.id])).toEqual([{ content: 'edited' }]);
    expect(await rowsAs(asAlice, `delete from socrates.messages where id = $1 returning id`, [message.id])).toEqual([{ id: message.id }]);
  });

  it('admins read and delete any user\'s projects, sessions, messages and documents', async () => {
    const user = await app.newUser();
    const admin = await app.newAdmin();
    const api = app.caller({ token: user.token }).socrates;
    const project = await api.projects.create({ name: 'Moderated' });
    const session = await api.sessions.start({ mode: 'review', projectId: project.id });
    const message = await api.messages.append({ sessionId: session.id, role: 'user', content: 'spam' });
    const document = await api.documents.register({ filename: 'd', filePath: 'p', projectId: project.id });
    const asAdmin = app.probe({ token: admin.token });
    for (const [table, id] of [['projects', project.id], ['sessions', session.id], ['documents', document.id]] as const) {
      expect(await rowsAs(asAdmin, `select id from socrates.${table} where id = $1`, [id]), table).toEqual([{ id }]);
    }
    for (const [table, id] of [['messages', message.id], ['documents', document.id], ['sessions', session.id], ['projects', project.id]] as const) {
      expect(await rowsAs(asAdmin, `delete from socrates.${table} where id = $1 returning id`, [id]), table).toEqual([{ id }]);
    }
  });
});
