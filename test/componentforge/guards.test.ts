/**
 * Rules that keep ComponentForge's derived state honest whoever writes: counters only the
 * triggers may change, the processing queue's moves, what the audit log leaves out, and the
 * admin (worker) branches of the write policies.
 */
import { describe, expect, it } from 'vitest';
import { unique, useTestApp } from '../support/app.js';
import { codeOf, failure } from '../support/errors.js';
import { rowsAs } from '../support/probe.js';
import { badFields } from './helpers.js';

const app = useTestApp();

const upload = (title = unique('doc')) => ({ title, filename: `${title}.pdf`, filePath: `/uploads/${title}.pdf` });

describe('componentforge guards', () => {
  it('counters are the triggers\' alone: an owner cannot set chunk_count, message_count or total_tokens_used', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge;
    const document = await api.documents.create(upload());
    await api.chunks.insertMany({ documentId: document.id, chunks: [{ chunkIndex: 0, content: 'a' }] });
    const { conversation } = await api.conversations.start({ content: 'hello' });
    const probe = app.probe({ token: user.token });
    for (const [text, column] of [
      [`update componentforge.documents set chunk_count = 99 where id = $1`, 'chunkCount'],
      [`update componentforge.conversations set message_count = 99 where id = $1`, 'messageCount'],
      [`update componentforge.conversations set total_tokens_used = 99 where id = $1`, 'totalTokensUsed'],
    ] as const) {
      const err = await failure(probe.sql([{ text, values: [text.includes('documents') ? document.id : conversation.id] }]));
      expect(err.code, text).toBe('FORBIDDEN');
      expect(badFields(err), text).toEqual([column]);
    }
    // Other columns of the same rows stay the owner's to change, and the counts are intact.
    await probe.sql([{ text: `update componentforge.documents set title = 'renamed' where id = $1`, values: [document.id] }]);
    expect((await api.documents.get({ id: document.id })).chunkCount).toBe(1);
    expect((await api.conversations.get({ id: conversation.id })).messageCount).toBe(1);
  });

  it('the processing queue moves only pending -> processing -> completed or failed', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge;
    const document = await api.documents.create(upload());
    const probe = app.probe({ token: user.token });
    const skip = await failure(
      probe.sql([{ text: `update componentforge.documents set processing_status = 'completed' where id = $1`, values: [document.id] }]),
    );
    expect(skip).toMatchObject({ code: 'BAD_REQUEST', message: 'documents processing_status cannot change from pending to completed' });
    const admin = await app.newAdmin();
    const worker = app.caller({ token: admin.token }).componentforge;
    const claimed = await worker.documents.claim({ limit: 100, workerId: 'guards' });
    await worker.documents.complete({ id: document.id, leaseToken: claimed.find((d) => d.id === document.id)!.leaseToken });
    expect(
      await codeOf(probe.sql([{ text: `update componentforge.documents set processing_status = 'pending' where id = $1`, values: [document.id] }])),
    ).toBe('BAD_REQUEST');
  });

  it('the audit log leaves out document text and chunk content, and keeps the rest', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge;
    const secret = unique('confidential body');
    const document = await api.documents.upload({ ...upload(), extractedText: secret, chunks: [{ chunkIndex: 0, content: secret }] });
    const { rows } = await app.sql<{ table: string; value: Record<string, unknown> }>(
      `select entity_table as table, new_value as value from core.audit_log
        where entity_schema = 'componentforge' and (entity_id = $1 or new_value->>'document_id' = $1::text) and action = 'CREATE'`,
      [document.id],
    );
    expect(rows.find((r) => r.table === 'documents')?.value).toMatchObject({ extracted_text: '[redacted]', title: document.title });
    expect(rows.find((r) => r.table === 'document_chunks')?.value).toMatchObject({ content: '[redacted]', chunk_index: 0 });
    expect(JSON.stringify(rows)).not.toContain(secret);
  });

  it('admins (the processing workers) write any user\'s chunks and delete any user\'s rows', async () => {
    const user = await app.newUser();
    const admin = await app.newAdmin();
    const mine = app.caller({ token: user.token }).componentforge;
    const worker = app.caller({ token: admin.token }).componentforge;
    const document = await mine.documents.create(upload());
    expect((await worker.chunks.insertMany({ documentId: document.id, chunks: [{ chunkIndex: 0, content: 'by the worker' }] })).chunkCount).toBe(1);
    const { conversation, message } = await mine.conversations.start({ content: 'hi' });
    const exported = await mine.exports.create({ componentType: 'Button', requirements: { props: ['variant'] }, approvedCount: 1, proposalLatencyMs: 100 });
    const asAdmin = app.probe({ token: admin.token });
    expect(await rowsAs(asAdmin, `update componentforge.document_chunks set vector_id = 'v1' where document_id = $1 returning chunk_index`, [document.id])).toEqual([
      { chunkIndex: 0 },
    ]);
    expect(await rowsAs(asAdmin, `update componentforge.conversations set title = 'moderated' where id = $1 returning id`, [conversation.id])).toEqual([
      { id: conversation.id },
    ]);
    expect(await rowsAs(asAdmin, `update componentforge.requirement_exports set used_in_code_generation = true where id = $1 returning id`, [exported.id])).toEqual([
      { id: exported.id },
    ]);
    expect(await rowsAs(asAdmin, `delete from componentforge.messages where id = $1 returning id`, [message.id])).toEqual([{ id: message.id }]);
    expect(await rowsAs(asAdmin, `delete from componentforge.document_chunks where document_id = $1 returning chunk_index`, [document.id])).toEqual([
      { chunkIndex: 0 },
    ]);
    expect(await rowsAs(asAdmin, `delete from componentforge.requirement_exports where id = $1 returning id`, [exported.id])).toEqual([{ id: exported.id }]);
    expect(await rowsAs(asAdmin, `delete from componentforge.conversations where id = $1 returning id`, [conversation.id])).toEqual([{ id: conversation.id }]);
    expect(await rowsAs(asAdmin, `delete from componentforge.documents where id = $1 returning id`, [document.id])).toEqual([{ id: document.id }]);
  });
});
