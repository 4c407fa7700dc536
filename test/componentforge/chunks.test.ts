import { describe, expect, it } from 'vitest';
import { unique, useTestApp } from '../support/app.js';
import { rowsAs } from '../support/probe.js';
import { MISSING_ID, badFields } from './helpers.js';
import { codeOf, failure } from '../support/errors.js';

const app = useTestApp();

async function newDocument(token: string) {
  const title = unique('chunked');
  return app.caller({ token }).componentforge.documents.create({ title, filename: `${title}.pdf`, filePath: `/uploads/${title}.pdf` });
}

describe('document chunks', () => {
  it('inserts 10,000 chunks in one call: every one, in order, counted in chunk_count', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge;
    const document = await newDocument(user.token);
    const chunks = Array.from({ length: 10_000 }, (_, i) => ({
      chunkIndex: i,
      content: `chunk ${i}: "quoted", back\\slash, {braces}, commas, ünïcödé`,
      tokenCount: i % 3 === 0 ? null : 512,
      vectorId: i % 2 === 0 ? `point-${i}` : null,
    }));
    expect(await api.chunks.insertMany({ documentId: document.id, chunks })).toEqual({ documentId: document.id, inserted: 10_000, chunkCount: 10_000 });

    const first = await api.chunks.list({ documentId: document.id, limit: 3 });
    expect(first.items.map((c) => [c.chunkIndex, c.content, c.tokenCount, c.vectorId])).toEqual([
      [0, chunks[0]!.content, null, 'point-0'],
      [1, chunks[1]!.content, 512, null],
      [2, chunks[2]!.content, 512, 'point-2'],
    ]);
    let cursor = first.nextCursor ?? undefined;
    let seen = first.items.length;
    let last = 2;
    while (cursor) {
      const next = await api.chunks.list({ documentId: document.id, cursor, limit: 200 });
      for (const c of next.items) expect(c.chunkIndex).toBe(++last);
      seen += next.items.length;
      cursor = next.nextCursor ?? undefined;
    }
    expect(seen).toBe(10_000);
    const { rows } = await app.sql(
      `select count(*)::int as n, min(chunk_index) as lo, max(chunk_index) as hi, count(token_count)::int as counted
         from componentforge.document_chunks where document_id = $1`,
      [document.id],
    );
    expect(rows[0]).toEqual({ n: 10_000, lo: 0, hi: 9_999, counted: 6_666 });

    // A second batch adds to the count.
    expect(await api.chunks.insertMany({ documentId: document.id, chunks: [{ chunkIndex: 10_000, content: 'tail' }] })).toMatchObject({ inserted: 1, chunkCount: 10_001 });
  });

  it('keeps chunk_count exact when chunks are deleted, one by one or in bulk', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge;
    const document = await newDocument(user.token);
    await api.chunks.insertMany({ documentId: document.id, chunks: Array.from({ length: 20 }, (_, i) => ({ chunkIndex: i, content: `c${i}` })) });
    const probe = app.probe({ token: user.token });
    await probe.sql([
      { text: `delete from componentforge.document_chunks where document_id = $1 and chunk_index = 0`, values: [document.id] },
      { text: `delete from componentforge.document_chunks where document_id = $1 and chunk_index >= 15`, values: [document.id] },
    ]);
    expect((await api.documents.get({ id: document.id })).chunkCount).toBe(14);
  });

  it('refuses duplicate and negative indexes, empty content and negative token counts, in the API and in the database', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge.chunks;
    const document = await newDocument(user.token);
    await api.insertMany({ documentId: document.id, chunks: [{ chunkIndex: 0, content: 'first' }] });

    const duplicate = await failure(api.insertMany({ documentId: document.id, chunks: [{ chunkIndex: 0, content: 'again' }] }));
    expect(duplicate).toMatchObject({ code: 'CONFLICT', message: 'chunk_index must be unique within its document' });
    expect(badFields(duplicate)).toEqual(['documentId', 'chunkIndex']);
    expect(badFields(await failure(api.insertMany({ documentId: document.id, chunks: [{ chunkIndex: -1, content: 'x' }] })))).toEqual(['chunks.0.chunkIndex']);
    expect(badFields(await failure(api.insertMany({ documentId: document.id, chunks: [{ chunkIndex: 1, content: '' }] })))).toEqual(['chunks.0.content']);
    expect(badFields(await failure(api.insertMany({ documentId: document.id, chunks: [{ chunkIndex: 1, content: 'x', tokenCount: -5 }] })))).toEqual(['chunks.0.tokenCount']);
    expect(await codeOf(api.insertMany({ documentId: document.id, chunks: [] }))).toBe('BAD_REQUEST');
    expect(await codeOf(api.insertMany({ documentId: MISSING_ID, chunks: [{ chunkIndex: 0, content: 'x' }] }))).toBe('NOT_FOUND');
    // The failed calls added nothing.
    expect((await app.caller({ token: user.token }).componentforge.documents.get({ id: document.id })).chunkCount).toBe(1);

    const insert = (column: string, value: unknown) =>
      app.sqlError(`insert into componentforge.document_chunks (document_id, chunk_index, content, ${column}) values ($1, 100, 'x', $2)`, [document.id, value]);
    expect(await insert('token_count', -1)).toEqual({ code: '23514', constraint: 'document_chunks_token_count_nonnegative' });
    expect(await insert('vector_id', '')).toEqual({ code: '23514', constraint: 'document_chunks_vector_id_length' });
    expect(await insert('embedding_model', 'm'.repeat(101))).toEqual({ code: '23514', constraint: 'document_chunks_embedding_model_length' });
    expect(
      await app.sqlError(`insert into componentforge.document_chunks (document_id, chunk_index, content) values ($1, -1, 'x')`, [document.id]),
    ).toEqual({ code: '23514', constraint: 'document_chunks_chunk_index_nonnegative' });
    expect(
      await app.sqlError(`insert into componentforge.document_chunks (document_id, chunk_index, content) values ($1, 101, '')`, [document.id]),
    ).toEqual({ code: '23514', constraint: 'document_chunks_content_not_empty' });
    expect(
      await app.sqlError(`insert into componentforge.document_chunks (document_id, chunk_index, content) values ($1, 0, 'dup')`, [document.id]),
    ).toEqual({ code: '23505', constraint: 'document_chunks_document_chunk_index_key' });
    expect(
      await app.sqlError(`insert into componentforge.document_chunks (document_id, chunk_index, content) values ($1, 0, 'x')`, [MISSING_ID]),
    ).toEqual({ code: '23503', constraint: 'document_chunks_document_id_fkey' });
    // The same index in another document is fine.
    const other = await newDocument(user.token);
    expect(await api.insertMany({ documentId: other.id, chunks: [{ chunkIndex: 0, content: 'first' }] })).toMatchObject({ inserted: 1 });
  });

  it('records Qdrant points and finds chunks by them; only the embedding columns can change', async () => {
    const alice = await app.newUser();
    const bob = await app.newUser();
    const api = app.caller({ token: alice.token }).componentforge;
    const document = await newDocument(alice.token);
    await api.chunks.insertMany({ documentId: document.id, chunks: [0, 1, 2].map((i) => ({ chunkIndex: i, content: `c${i}`, tokenCount: 512 })) });
    const { items } = await api.chunks.list({ documentId: document.id });
    const points = items.map((c) => ({ id: c.id, vectorId: unique('point'), embeddingModel: 'text-embedding-3-small' }));
    expect(await api.chunks.setVectors({ documentId: document.id, vectors: points })).toEqual({ updated: 3 });

    const found = await api.chunks.byVectorIds({ vectorIds: [points[2]!.vectorId, points[0]!.vectorId, 'unknown'] });
    expect(found.map((c) => [c.chunkIndex, c.vectorId, c.embeddingModel])).toEqual([
      [0, points[0]!.vectorId, 'text-embedding-3-small'],
      [2, points[2]!.vectorId, 'text-embedding-3-small'],
    ]);
    // Another user's search hits do not reveal the chunks, nor can they re-point them.
    const asBob = app.caller({ token: bob.token }).componentforge.chunks;
    expect(await asBob.byVectorIds({ vectorIds: [points[0]!.vectorId] })).toEqual([]);
    expect(await asBob.setVectors({ documentId: document.id, vectors: [{ ...points[0]!, vectorId: 'hijacked' }] })).toEqual({ updated: 0 });
    // Chunks of another document are not touched through this one.
    const other = await newDocument(alice.token);
    expect(await api.chunks.setVectors({ documentId: other.id, vectors: [{ ...points[1]!, vectorId: 'elsewhere' }] })).toEqual({ updated: 0 });

    // Moving a chunk or rewriting it is not granted: chunk_count and the order stay sound.
    const probe = app.probe({ token: alice.token });
    for (const set of [`chunk_index = 99`, `document_id = '${other.id}'`, `content = 'rewritten'`, `token_count = 1`]) {
      const err = await failure(probe.sql([{ text: `update componentforge.document_chunks set ${set} where document_id = $1`, values: [document.id] }]));
      expect(err.code, set).toBe('FORBIDDEN');
    }
    expect(await rowsAs(probe, `update componentforge.document_chunks set vector_id = 'moved' where document_id = $1 returning id`, [document.id])).toHaveLength(3);
  });
});
