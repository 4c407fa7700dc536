import { describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/server/cursor.js';
import { unique, useTestApp } from '../support/app.js';
import { rowsAs } from '../support/probe.js';
import { MISSING_ID, badFields, countQueries } from './helpers.js';
import { codeOf, failure } from '../support/errors.js';

const app = useTestApp();

const upload = (title = unique('doc')) => ({ title, filename: `${title}.pdf`, filePath: `/uploads/2025/10/08/${title}.pdf`, contentType: 'application/pdf' });

function chunks(count: number, prefix = 'part') {
  return Array.from({ length: count }, (_, i) => ({ chunkIndex: i, content: `${prefix} ${i}`, tokenCount: 512 }));
}

describe('documents', () => {
  it('an upload joins the processing queue as pending, with the seed\'s defaults', async () => {
    const user = await app.newUser();
    const document = await app.caller({ token: user.token }).componentforge.documents.create(upload());
    expect(document).toMatchObject({
      userId: user.id,
      contentType: 'application/pdf',
      processingStatus: 'pending',
      processingError: null,
      extractedText: null,
      embeddingModel: null,
      chunkCount: 0,
    });
    expect(document.createdAt).toBeInstanceOf(Date);
  });

  it('refuses values outside the rules, in the API and in the database', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge.documents;
    const bad = await failure(api.create({ ...upload(), title: '' }));
    expect(bad.code).toBe('BAD_REQUEST');
    expect(badFields(bad)).toEqual(['title']);
    expect(await codeOf(api.list({ status: 'archived' as 'completed' }))).toBe('BAD_REQUEST');
    expect(await codeOf(api.create({ ...upload(), filePath: 'x'.repeat(1001) }))).toBe('BAD_REQUEST');

    const { id } = await api.create(upload());
    const cases: Array<[string, string]> = [
      [`title = ''`, 'documents_title_length'],
      [`title = repeat('t', 501)`, 'documents_title_length'],
      [`filename = ''`, 'documents_filename_length'],
      [`file_path = repeat('p', 1001)`, 'documents_file_path_length'],
      [`content_type = ''`, 'documents_content_type_length'],
      [`processing_status = 'archived'`, 'documents_processing_status_check'],
      [`processing_status = 'failed', processing_error = ''`, 'documents_processing_error_length'],
      [`processing_error = 'disk on fire'`, 'documents_processing_error_when_failed'],
      [`embedding_model = repeat('m', 101)`, 'documents_embedding_model_length'],
      [`chunk_count = -1`, 'documents_chunk_count_nonnegative'],
    ];
    for (const [set, constraint] of cases) {
      // Triggers off: the counter and transition guards would refuse these before the CHECK is reached.
      expect(await app.sqlError(`update componentforge.documents set ${set} where id = $1`, [id], { triggers: false }), set).toEqual({ code: '23514', constraint });
    }
    expect(
      await app.sqlError(`insert into componentforge.documents (user_id, title, filename, file_path) values ($1, 't', 'f', 'p')`, [MISSING_ID]),
    ).toEqual({ code: '23503', constraint: 'documents_user_id_fkey' });
    // Through a procedure, the rule's own wording comes back.
    const viaApi = await failure(
      app.probe({ token: user.token }).sql([
        {
          text: `insert into componentforge.documents (user_id, title, filename, file_path, processing_status) values ($1, 't', 'f', 'p', 'archived')`,
          values: [user.id],
        },
      ]),
    );
    expect(viaApi).toMatchObject({ code: 'BAD_REQUEST', message: 'processing_status must be pending, processing, completed or failed' });
    expect(badFields(viaApi)).toEqual(['processingStatus']);
  });

  it('lists the caller\'s completed documents newest first, page by page, each once', async () => {
    const user = await app.newUser();
    const other = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge.documents;
    const completed: string[] = [];
    for (let i = 0; i < 5; i++) completed.push((await api.upload({ ...upload(), chunks: [] })).id);
    await api.create(upload());
    await app.caller({ token: other.token }).componentforge.documents.upload({ ...upload(), chunks: [] });

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const result = await api.list({ cursor, limit: 2 });
      expect(result.items.every((d) => d.processingStatus === 'completed' && d.userId === user.id)).toBe(true);
      expect(result.items[0]).not.toHaveProperty('cursorAt');
      seen.push(...result.items.map((d) => d.id));
      cursor = result.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...completed].reverse());
    expect((await api.list({ status: 'pending' })).items).toHaveLength(1);
    expect(await codeOf(api.list({ cursor: 'garbage' }))).toBe('BAD_REQUEST');
    // A well-formed cursor whose timestamp Postgres cannot read is bad input too, never a server error.
    expect(await codeOf(api.list({ cursor: encodeCursor(['not a time', MISSING_ID]) }))).toBe('BAD_REQUEST');
  });

  it('failing a claimed document records why; completing keeps its text; only the lease holder moves a document on', async () => {
    const user = await app.newUser();
    const admin = await app.newAdmin();
    const mine = app.caller({ token: user.token }).componentforge.documents;
    const worker = app.caller({ token: admin.token }).componentforge.documents;
    const a = await mine.create(upload());
    const b = await mine.create(upload());
    const unclaimed = await failure(worker.fail({ id: a.id, leaseToken: MISSING_ID, error: 'not claimed yet' }));
    expect(unclaimed.code).toBe('CONFLICT');
    expect(unclaimed.message).toContain('leaseToken');

    // Other tests' pending documents may be claimed too; these two must be among them.
    const leases = new Map<string, string>();
    while (!(leases.has(a.id) && leases.has(b.id))) {
      const batch = await worker.claim({ limit: 100, workerId: 'worker-1' });
      expect(batch.length).toBeGreaterThan(0);
      for (const d of batch) leases.set(d.id, d.leaseToken);
    }
    const failed = await worker.fail({ id: a.id, leaseToken: leases.get(a.id)!, error: 'PDF is encrypted' });
    expect(failed).toMatchObject({ processingStatus: 'failed', processingError: 'PDF is encrypted', lastError: 'PDF is encrypted', attempts: 1 });
    expect(await codeOf(worker.fail({ id: a.id, leaseToken: leases.get(a.id)!, error: 'again' }))).toBe('CONFLICT');
    // Another claim's token does not open this one.
    expect(await codeOf(worker.complete({ id: b.id, leaseToken: leases.get(a.id)! }))).toBe('CONFLICT');
    const done = await worker.complete({
      id: b.id,
      leaseToken: leases.get(b.id)!,
      extractedText: '# Button Patterns',
      embeddingModel: 'text-embedding-3-small',
    });
    expect(done).toMatchObject({ processingStatus: 'completed', extractedText: '# Button Patterns', embeddingModel: 'text-embedding-3-small', processingError: null });
    expect((await mine.get({ id: a.id })).processingError).toBe('PDF is encrypted');
    // Finished documents hold no lease any more.
    const { rows } = await app.sql(`select count(*)::int as n from componentforge.documents where id = any($1) and lease_token is not null`, [[a.id, b.id]]);
    expect(rows[0]).toEqual({ n: 0 });

    expect(await codeOf(mine.claim({ workerId: 'me' }))).toBe('FORBIDDEN');
    expect(await codeOf(mine.fail({ id: b.id, leaseToken: MISSING_ID, error: 'x' }))).toBe('FORBIDDEN');
    expect(await codeOf(mine.heartbeat({ id: b.id, leaseToken: MISSING_ID }))).toBe('FORBIDDEN');
    expect(await codeOf(mine.reclaimExpired({}))).toBe('FORBIDDEN');
    expect(await codeOf(mine.pending({}))).toBe('FORBIDDEN');
    expect(await codeOf(worker.fail({ id: b.id, leaseToken: MISSING_ID, error: '' }))).toBe('BAD_REQUEST');
    expect(await codeOf(worker.claim({ workerId: '' }))).toBe('BAD_REQUEST');
    expect(await codeOf(worker.claim({ workerId: 'w', leaseSeconds: 1 }))).toBe('BAD_REQUEST');
    expect(await codeOf(worker.heartbeat({ id: b.id, leaseToken: 'not-a-uuid' }))).toBe('BAD_REQUEST');
  });

  it('rebuilds the full text from the chunks in order, in SQL', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge;
    const document = await api.documents.create(upload());
    expect(await api.documents.fullText({ id: document.id })).toEqual({ id: document.id, text: '' });
    // Inserted out of order on purpose: the text follows chunk_index.
    await api.chunks.insertMany({
      documentId: document.id,
      chunks: [
        { chunkIndex: 2, content: 'third' },
        { chunkIndex: 0, content: '# Button Patterns' },
        { chunkIndex: 1, content: 'Primary buttons should...' },
      ],
    });
    expect(await api.documents.fullText({ id: document.id })).toEqual({ id: document.id, text: '# Button Patterns\n\nPrimary buttons should...\n\nthird' });
    expect(await codeOf(api.documents.fullText({ id: MISSING_ID }))).toBe('NOT_FOUND');
  });

  it('loads a document with its owner and its chunks in two queries, whatever the number of chunks', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge.documents;
    const small = await api.upload({ ...upload(), chunks: chunks(3) });
    const large = await api.upload({ ...upload(), chunks: chunks(300) });
    const one = await countQueries(() => api.getFull({ id: small.id }));
    const many = await countQueries(() => api.getFull({ id: large.id }));
    expect(one.queries).toBe(2);
    expect(many.queries).toBe(2);
    expect(many.result.owner).toEqual({ id: user.id, username: user.username, email: user.email, fullName: null });
    expect(many.result.chunks.map((c) => c.chunkIndex)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(many.result.chunkCount).toBe(300);
    const missing = await failure(api.getFull({ id: MISSING_ID }));
    expect(missing).toMatchObject({ code: 'NOT_FOUND', message: `document ${MISSING_ID} not found` });
  });

  it('safe upload: a failure after the document\'s insert leaves no document behind', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge.documents;
    const title = unique('unsafe');
    // Valid for the API, refused by the table's unique key once the document exists.
    const err = await failure(
      api.upload({ ...upload(title), chunks: [{ chunkIndex: 0, content: 'a' }, { chunkIndex: 1, content: 'b' }, { chunkIndex: 1, content: 'c' }] }),
    );
    expect(err).toMatchObject({ code: 'CONFLICT', message: 'chunk_index must be unique within its document' });
    const { rows } = await app.sql(`select count(*)::int as n from componentforge.documents where title = $1`, [title]);
    expect(rows[0]).toEqual({ n: 0 });
    const { rows: orphans } = await app.sql(
      `select count(*)::int as n from componentforge.document_chunks c where not exists (select from componentforge.documents d where d.id = c.document_id)`,
    );
    expect(orphans[0]).toEqual({ n: 0 });

    const fine = await api.upload({ ...upload(title), extractedText: '# Button Patterns', embeddingModel: 'text-embedding-3-small', chunks: chunks(4) });
    expect(fine).toMatchObject({ title, processingStatus: 'completed', chunkCount: 4, extractedText: '# Button Patterns' });
  });

  it('another user can neither see, change nor delete a document or its chunks; admins see them', async () => {
    const alice = await app.newUser();
    const bob = await app.newUser();
    const admin = await app.newAdmin();
    const document = await app.caller({ token: alice.token }).componentforge.documents.upload({ ...upload(), chunks: chunks(2) });
    const asBob = app.caller({ token: bob.token }).componentforge;
    expect(await codeOf(asBob.documents.get({ id: document.id }))).toBe('NOT_FOUND');
    expect(await codeOf(asBob.documents.getFull({ id: document.id }))).toBe('NOT_FOUND');
    expect(await codeOf(asBob.documents.fullText({ id: document.id }))).toBe('NOT_FOUND');
    expect(await codeOf(asBob.documents.delete({ id: document.id }))).toBe('NOT_FOUND');
    expect((await asBob.chunks.list({ documentId: document.id })).items).toEqual([]);
    expect(await codeOf(asBob.chunks.insertMany({ documentId: document.id, chunks: chunks(1) }))).toBe('NOT_FOUND');
    expect(await codeOf(app.caller().componentforge.documents.get({ id: document.id }))).toBe('UNAUTHORIZED');

    // Below the procedures, RLS holds on its own.
    const probe = app.probe({ token: bob.token });
    expect(await rowsAs(probe, 'select id from componentforge.documents where id = $1', [document.id])).toEqual([]);
    expect(await rowsAs(probe, 'select id from componentforge.document_chunks where document_id = $1', [document.id])).toEqual([]);
    expect(await rowsAs(probe, `update componentforge.documents set title = 'pwned' where id = $1 returning id`, [document.id])).toEqual([]);
    expect(await rowsAs(probe, `update componentforge.document_chunks set vector_id = 'x' where document_id = $1 returning id`, [document.id])).toEqual([]);
    expect(await rowsAs(probe, 'delete from componentforge.document_chunks where document_id = $1 returning id', [document.id])).toEqual([]);
    expect(await rowsAs(probe, 'delete from componentforge.documents where id = $1 returning id', [document.id])).toEqual([]);
    const forged = await failure(
      probe.sql([{ text: `insert into componentforge.documents (user_id, title, filename, file_path) values ($1, 't', 'f', 'p')`, values: [alice.id] }]),
    );
    expect(forged.code).toBe('FORBIDDEN');
    const injected = await failure(
      probe.sql([{ text: `insert into componentforge.document_chunks (document_id, chunk_index, content) values ($1, 9, 'x')`, values: [document.id] }]),
    );
    expect(injected.code).toBe('FORBIDDEN');
    expect(await rowsAs(app.probe(), 'select id from componentforge.documents')).toEqual([]);

    const asAdmin = app.caller({ token: admin.token }).componentforge;
    expect((await asAdmin.documents.getFull({ id: document.id })).chunks).toHaveLength(2);
    // Admins do not upload in someone else's name either.
    const adminForged = await failure(
      app.probe({ token: admin.token }).sql([
        { text: `insert into componentforge.documents (user_id, title, filename, file_path) values ($1, 't', 'f', 'p')`, values: [alice.id] },
      ]),
    );
    expect(adminForged.code).toBe('FORBIDDEN');
    expect((await app.caller({ token: alice.token }).componentforge.documents.get({ id: document.id })).title).toBe(document.title);
  });

  it('go with their user, and chunks with their document (ON DELETE CASCADE)', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge.documents;
    const kept = await api.upload({ ...upload(), chunks: chunks(3) });
    const dropped = await api.upload({ ...upload(), chunks: chunks(2) });
    expect(await api.delete({ id: dropped.id })).toEqual({ id: dropped.id });
    const count = async (documentId: string) =>
      (await app.sql(`select count(*)::int as n from componentforge.document_chunks where document_id = $1`, [documentId])).rows[0];
    expect(await count(dropped.id)).toEqual({ n: 0 });
    expect(await count(kept.id)).toEqual({ n: 3 });
    await app.sql('delete from core.users where id = $1', [user.id]);
    expect((await app.sql(`select count(*)::int as n from componentforge.documents where user_id = $1`, [user.id])).rows[0]).toEqual({ n: 0 });
    expect(await count(kept.id)).toEqual({ n: 0 });
  });
});
