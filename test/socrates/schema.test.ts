/** Every rule of the socrates schema, each shown to bite. */
import { describe, expect, it } from 'vitest';
import { failure } from '../support/errors.js';
import { useTestApp } from '../support/app.js';

const app = useTestApp();

async function workspace() {
  const user = await app.newUser();
  const api = app.caller({ token: user.token }).socrates;
  const project = await api.projects.create({ name: 'P' });
  const session = await api.sessions.start({ mode: 'teaching', projectId: project.id });
  const message = await api.messages.append({ sessionId: session.id, role: 'user', content: 'hello' });
  const document = await api.documents.register({ filename: 'a.md', filePath: 'u/a.md', projectId: project.id });
  return { user, api, project, session, message, document };
}

describe('socrates CHECK constraints', () => {
  it('projects', async () => {
    const { user, project } = await workspace();
    const insert = (cols: string, vals: string) => app.sqlError(`insert into socrates.projects (owner_id, ${cols}) values ($1, ${vals})`, [user.id]);
    expect(await insert('name', `''`)).toEqual({ code: '23514', constraint: 'projects_name_length' });
    expect(await insert('name, status', `'x', 'SHIPPED'`)).toEqual({ code: '23514', constraint: 'projects_status_check' });
    expect(await insert('name, technology_stack', `'x', '{"a": 1}'`)).toEqual({ code: '23514', constraint: 'projects_technology_stack_array' });
    expect(await insert('name, description', `'x', repeat('d', 10001)`)).toEqual({ code: '23514', constraint: 'projects_description_length' });
    const { rows } = await app.sql(`select status, technology_stack from socrates.projects where id = $1`, [project.id]);
    expect(rows[0]).toEqual({ status: 'PLANNING', technology_stack: [] });
  });

  it('sessions, including archived_at exactly when ARCHIVED', async () => {
    const { user, session } = await workspace();
    const insert = (cols: string, vals: string) => app.sqlError(`insert into socrates.sessions (owner_id, ${cols}) values ($1, ${vals})`, [user.id]);
    expect(await insert('status', `'DONE'`)).toEqual({ code: '23514', constraint: 'sessions_status_check' });
    expect(await insert('mode', `'lecture'`)).toEqual({ code: '23514', constraint: 'sessions_mode_check' });
    expect(await insert('name', `''`)).toEqual({ code: '23514', constraint: 'sessions_name_length' });
    expect(await insert('role', `repeat('r', 101)`)).toEqual({ code: '23514', constraint: 'sessions_role_length' });
    expect(await insert('status', `'ARCHIVED'`)).toEqual({ code: '23514', constraint: 'sessions_archived_at_iff_archived' });
    expect(await insert('archived_at', `now()`)).toEqual({ code: '23514', constraint: 'sessions_archived_at_iff_archived' });
    const { rows } = await app.sql(`select status, mode from socrates.sessions where id = $1`, [session.id]);
    expect(rows[0]).toEqual({ status: 'ACTIVE', mode: 'teaching' });
  });

  it('messages', async () => {
    const { user, session, message } = await workspace();
    const insert = (cols: string, vals: string) =>
      app.sqlError(`insert into socrates.messages (session_id, user_id, ${cols}) values ($1, $2, ${vals})`, [session.id, user.id]);
    expect(await insert('role, content', `'system', 'x'`)).toEqual({ code: '23514', constraint: 'messages_role_check' });
    expect(await insert('role, content', `'user', ''`)).toEqual({ code: '23514', constraint: 'messages_content_length' });
    expect(await insert('role, content, message_type', `'user', 'x', 'image'`)).toEqual({ code: '23514', constraint: 'messages_message_type_check' });
    expect(await insert('role, content, metadata', `'user', 'x', '[1]'`)).toEqual({ code: '23514', constraint: 'messages_metadata_object' });
    expect(await insert('content', `'x'`)).toEqual({ code: '23502', constraint: undefined });
    const { rows } = await app.sql(`select message_type, metadata from socrates.messages where id = $1`, [message.id]);
    expect(rows[0]).toEqual({ message_type: 'text', metadata: {} });
  });

  it('documents', async () => {
    const { user, document } = await workspace();
    const insert = (cols: string, vals: string) =>
      app.sqlError(`insert into socrates.documents (owner_id, filename, file_path, ${cols}) values ($1, 'f', 'p', ${vals})`, [user.id]);
    expect(await insert('status', `'DELETED'`)).toEqual({ code: '23514', constraint: 'documents_status_check' });
    expect(await insert('file_type', `repeat('t', 51)`)).toEqual({ code: '23514', constraint: 'documents_file_type_length' });
    expect(await insert('vector_id', `''`)).toEqual({ code: '23514', constraint: 'documents_vector_id_length' });
    expect(await insert('content_summary', `repeat('s', 100001)`)).toEqual({ code: '23514', constraint: 'documents_content_summary_length' });
    expect(await app.sqlError(`insert into socrates.documents (owner_id, filename, file_path) values ($1, '', 'p')`, [user.id])).toEqual({
      code: '23514',
      constraint: 'documents_filename_length',
    });
    expect(await app.sqlError(`insert into socrates.documents (owner_id, filename, file_path) values ($1, 'f', repeat('p', 501))`, [user.id])).toEqual({
      code: '23514',
      constraint: 'documents_file_path_length',
    });
    // The seed's default status is PROCESSED; an upload registered through the API starts UPLOADING.
    const { rows } = await app.sql(
      `insert into socrates.documents (owner_id, filename, file_path) values ($1, 'f', 'p') returning status`,
      [user.id],
    );
    expect(rows[0]).toEqual({ status: 'PROCESSED' });
    expect(document.status).toBe('UPLOADING');
  });
});

describe('socrates foreign keys', () => {
  it('deleting a project keeps its sessions and documents with project_id null', async () => {
    const { api, project, session, document, message } = await workspace();
    await api.projects.delete({ id: project.id });
    expect((await api.sessions.get({ id: session.id })).projectId).toBeNull();
    expect((await api.documents.get({ id: document.id })).projectId).toBeNull();
    const { rows } = await app.sql(`select count(*)::int as n from socrates.messages where id = $1`, [message.id]);
    expect(rows[0]).toEqual({ n: 1 });
  });

  it('deleting a session deletes its messages', async () => {
    const { api, session, message } = await workspace();
    await api.sessions.delete({ id: session.id });
    expect((await app.sql(`select 1 from socrates.messages where id = $1`, [message.id])).rowCount).toBe(0);
  });

  it('deleting a user removes everything of theirs', async () => {
    const { user, project, session, message, document } = await workspace();
    await app.sql(`delete from core.users where id = $1`, [user.id]);
    for (const [table, id] of [['projects', project.id], ['sessions', session.id], ['messages', message.id], ['documents', document.id]] as const) {
      expect((await app.sql(`select 1 from socrates.${table} where id = $1`, [id])).rowCount, table).toBe(0);
    }
  });

  it('a session or document can only be in its owner\'s project; a message only in its user\'s session', async () => {
    const alice = await workspace();
    const bob = await app.newUser();
    const bobApi = app.caller({ token: bob.token }).socrates;
    const inOthersProject = await failure(bobApi.sessions.start({ mode: 'chat', projectId: alice.project.id }));
    expect(inOthersProject).toMatchObject({ code: 'BAD_REQUEST', message: 'project_id must reference one of your projects' });
    const docInOthersProject = await failure(bobApi.documents.register({ filename: 'x', filePath: 'y', projectId: alice.project.id }));
    expect(docInOthersProject).toMatchObject({ code: 'BAD_REQUEST', message: 'project_id must reference one of your projects' });
    const intoOthersSession = await failure(bobApi.messages.append({ sessionId: alice.session.id, role: 'user', content: 'hi' }));
    expect(intoOthersSession).toMatchObject({ code: 'BAD_REQUEST', message: 'session_id must reference one of your sessions' });
    // Below RLS as well: the superuser cannot file a message under a user who does not own the session.
    expect(
      await app.sqlError(`insert into socrates.messages (session_id, user_id, role, content) values ($1, $2, 'user', 'x')`, [alice.session.id, bob.id]),
    ).toEqual({ code: '23503', constraint: 'messages_session_owner_fkey' });
  });
});

describe('socrates status lifecycles', () => {
  it('sessions pause and resume; archiving is final and sets archived_at', async () => {
    const { api, session } = await workspace();
    expect((await api.sessions.pause({ id: session.id })).status).toBe('PAUSED');
    expect((await api.sessions.resume({ id: session.id })).status).toBe('ACTIVE');
    const archived = await api.sessions.archive({ id: session.id });
    expect(archived.status).toBe('ARCHIVED');
    expect(archived.archivedAt).toBeInstanceOf(Date);
    const refused = await failure(api.sessions.resume({ id: session.id }));
    expect(refused).toMatchObject({ code: 'BAD_REQUEST', message: 'sessions status cannot change from ARCHIVED to ACTIVE' });
    expect((await failure(api.sessions.pause({ id: session.id }))).message).toBe('sessions status cannot change from ARCHIVED to PAUSED');
    // The CHECK holds even if the trigger is bypassed: a superuser cannot archive without archived_at.
    expect(await app.sqlError(`update socrates.sessions set archived_at = null where id = $1`, [session.id])).toEqual({
      code: '23514',
      constraint: 'sessions_archived_at_iff_archived',
    });
  });

  it('a paused or archived session takes no new messages', async () => {
    const { api, session } = await workspace();
    await api.sessions.pause({ id: session.id });
    const paused = await failure(api.messages.append({ sessionId: session.id, role: 'user', content: 'still there?' }));
    expect(paused).toMatchObject({ code: 'BAD_REQUEST', message: 'messages can only be added to an ACTIVE session' });
    await api.sessions.archive({ id: session.id });
    expect((await failure(api.messages.append({ sessionId: session.id, role: 'assistant', content: 'x' }))).code).toBe('BAD_REQUEST');
  });

  it('documents accept exactly the legal transitions and name the illegal one', async () => {
    const { api } = await workspace();
    const legal: Array<[string, string]> = [
      ['UPLOADING', 'PROCESSING'],
      ['PROCESSING', 'PROCESSED'],
      ['PROCESSED', 'PROCESSING'],
      ['PROCESSING', 'ERROR'],
      ['ERROR', 'PROCESSING'],
    ];
    const doc = await api.documents.register({ filename: 'life.pdf', filePath: 'u/life.pdf' });
    for (const [, to] of legal) expect((await api.documents.setStatus({ id: doc.id, status: to as 'PROCESSING' })).status).toBe(to);
    const early = await api.documents.register({ filename: 'bad.pdf', filePath: 'u/bad.pdf' });
    expect((await api.documents.setStatus({ id: early.id, status: 'ERROR' })).status).toBe('ERROR');

    const illegal: Array<[string, string]> = [
      ['UPLOADING', 'PROCESSED'],
      ['PROCESSING', 'UPLOADING'],
      ['ERROR', 'PROCESSED'],
      ['ERROR', 'UPLOADING'],
      ['PROCESSED', 'ERROR'],
      ['PROCESSED', 'UPLOADING'],
    ];
    for (const [from, to] of illegal) {
      const { rows } = await app.sql<{ id: string }>(
        `insert into socrates.documents (owner_id, filename, file_path, status) select owner_id, 'x', 'y', $2 from socrates.documents where id = $1 returning id`,
        [doc.id, from],
      );
      const err = await failure(api.documents.setStatus({ id: rows[0]!.id, status: to as 'ERROR' }));
      expect(err.code).toBe('BAD_REQUEST');
      expect(err.message).toBe(`documents status cannot change from ${from} to ${to}`);
    }
  });
});

describe('socrates indexes serve the list queries', () => {
  it.each([
    ['projects by owner and status', `select id from socrates.projects where owner_id = $1 and status = 'PLANNING' order by id desc limit 20`, 'projects_owner_status_list_idx'],
    ['projects by owner', `select id from socrates.projects where owner_id = $1 order by id desc limit 20`, 'projects_owner_list_idx'],
    ['sessions by project', `select id from socrates.sessions where owner_id = $1 and project_id = $1 order by id desc limit 20`, 'sessions_owner_project_list_idx'],
    ['sessions by status', `select id from socrates.sessions where owner_id = $1 and status = 'ACTIVE' order by id desc limit 20`, 'sessions_owner_status_list_idx'],
    ['messages oldest first', `select id from socrates.messages where session_id = $1 order by created_at, id limit 20`, 'messages_session_timeline_idx'],
    ['messages latest', `select id from socrates.messages where session_id = $1 order by created_at desc, id desc limit 20`, 'messages_session_timeline_idx'],
    ['documents by status', `select id from socrates.documents where owner_id = $1 and status = 'PROCESSED' order by id desc limit 20`, 'documents_owner_status_list_idx'],
    ['documents by project', `select id from socrates.documents where owner_id = $1 and project_id = $1 order by id desc limit 20`, 'documents_owner_project_list_idx'],
  ])('%s', async (_, query, index) => {
    // On a near-empty table a sequential scan is cheapest; forbid it to see which index the shape can use.
    const client = await app.superClient();
    try {
      await client.query('begin');
      await client.query('set local enable_seqscan = off');
      await client.query('set local enable_bitmapscan = off');
      const { rows } = await client.query(`explain (format json) ${query.replaceAll('$1', `'01900000-0000-7000-8000-000000000001'`)}`);
      const plan = JSON.stringify(rows[0]);
      expect(plan).toContain(index);
      expect(plan).not.toContain('"Sort"');
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});
