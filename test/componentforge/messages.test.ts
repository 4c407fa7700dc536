import { describe, expect, it } from 'vitest';
import { useTestApp } from '../support/app.js';
import { rowsAs } from '../support/probe.js';
import { MISSING_ID, badFields } from './helpers.js';
import { codeOf, failure } from '../support/errors.js';

const app = useTestApp();

async function conversationOf(token: string, content = 'How do I create a button?') {
  return app.caller({ token }).componentforge.conversations.start({ title: 'Component Design Discussion', content });
}

describe('messages', () => {
  it('thread: a message and all its replies at any depth, depth-first (the seed\'s example)', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge.messages;
    const { conversation, message: m1 } = await conversationOf(user.token);
    const add = (parentMessageId: string, role: 'user' | 'assistant', content: string) =>
      api.add({ conversationId: conversation.id, parentMessageId, role, content });
    const m2 = await add(m1.id, 'assistant', "Here's how to create a button...");
    const m3 = await add(m1.id, 'user', 'Can you add hover effects?');
    const m4 = await add(m3.id, 'assistant', "Sure, here's the hover effect code...");
    const m5 = await add(m2.id, 'user', 'And a disabled state?');
    await api.add({ conversationId: conversation.id, role: 'user', content: 'An unrelated root' });

    const thread = await api.thread({ id: m1.id });
    expect(thread.map((m) => [m.id, m.depth, m.parentMessageId])).toEqual([
      [m1.id, 0, null],
      [m2.id, 1, m1.id],
      [m5.id, 2, m2.id],
      [m3.id, 1, m1.id],
      [m4.id, 2, m3.id],
    ]);
    expect((await api.thread({ id: m3.id })).map((m) => m.id)).toEqual([m3.id, m4.id]);
    expect((await api.thread({ id: m4.id })).map((m) => m.depth)).toEqual([0]);
    expect(await codeOf(api.thread({ id: MISSING_ID }))).toBe('NOT_FOUND');
  });

  it('a message comes with its parent, the seed\'s RAG context and token counts intact', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge.messages;
    const { conversation, message: question } = await conversationOf(user.token, 'How do I create a primary button component?');
    const context = ['01900000-0000-7000-8000-000000000015', '01900000-0000-7000-8000-000000000028', '01900000-0000-7000-8000-000000000042'];
    const answer = await api.add({
      conversationId: conversation.id,
      parentMessageId: question.id,
      role: 'assistant',
      content: "Based on the design system, here's how to create a primary button...",
      promptTokens: 1523,
      completionTokens: 847,
      totalTokens: 2370,
      contextDocuments: context,
    });
    const got = await api.get({ id: answer.id });
    expect(got).toMatchObject({ promptTokens: 1523, completionTokens: 847, totalTokens: 2370, contextDocuments: context, role: 'assistant' });
    expect(got.parent).toEqual({ id: question.id, role: 'user', content: 'How do I create a primary button component?', createdAt: question.createdAt });
    expect((await api.get({ id: question.id })).parent).toBeNull();
    expect((await app.caller({ token: user.token }).componentforge.conversations.get({ id: conversation.id })).totalTokensUsed).toBe('2370');
  });

  it('deleting a parent detaches its replies (ON DELETE SET NULL) and takes it out of the metrics', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge;
    const { conversation, message: root } = await conversationOf(user.token);
    const reply = await api.messages.add({ conversationId: conversation.id, parentMessageId: root.id, role: 'assistant', content: 'r', totalTokens: 30 });
    const nested = await api.messages.add({ conversationId: conversation.id, parentMessageId: reply.id, role: 'user', content: 'n', totalTokens: 12 });
    expect(await api.conversations.get({ id: conversation.id })).toMatchObject({ messageCount: 3, totalTokensUsed: '42' });

    expect(await api.messages.delete({ id: reply.id })).toEqual({ id: reply.id, conversationId: conversation.id });
    const after = await api.messages.get({ id: nested.id });
    expect(after.parentMessageId).toBeNull();
    expect(after.parent).toBeNull();
    expect(after.conversationId).toBe(conversation.id);
    expect(await api.conversations.get({ id: conversation.id })).toMatchObject({ messageCount: 2, totalTokensUsed: '12' });
    expect((await api.messages.thread({ id: root.id })).map((m) => m.id)).toEqual([root.id]);
  });

  it('a reply\'s parent must be a message of the same conversation', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge.messages;
    const { conversation: a } = await conversationOf(user.token);
    const { message: elsewhere } = await conversationOf(user.token);
    const err = await failure(api.add({ conversationId: a.id, parentMessageId: elsewhere.id, role: 'user', content: 'x' }));
    expect(err).toMatchObject({ code: 'BAD_REQUEST', message: 'parent_message_id must reference a message of the same conversation' });
    expect(badFields(err)).toEqual(['conversationId', 'parentMessageId']);
    expect(await codeOf(api.add({ conversationId: a.id, parentMessageId: MISSING_ID, role: 'user', content: 'x' }))).toBe('BAD_REQUEST');
    expect((await app.caller({ token: user.token }).componentforge.conversations.get({ id: a.id })).messageCount).toBe(1);
  });

  it('refuses bad roles, empty content, negative token counts and non-array context, in the API and in the database', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge.messages;
    const { conversation, message } = await conversationOf(user.token);
    const base = { conversationId: conversation.id, role: 'user' as const, content: 'x' };
    expect(badFields(await failure(api.add({ ...base, role: 'robot' as 'user' })))).toEqual(['role']);
    expect(badFields(await failure(api.add({ ...base, content: '' })))).toEqual(['content']);
    expect(badFields(await failure(api.add({ ...base, totalTokens: -1 })))).toEqual(['totalTokens']);
    expect(badFields(await failure(api.add({ ...base, contextDocuments: [15 as unknown as string] })))).toEqual(['contextDocuments.0']);

    const insert = (column: string, value: unknown) => {
      const row: Record<string, unknown> = { conversation_id: conversation.id, role: 'user', content: 'x', [column]: value };
      const columns = Object.keys(row);
      return app.sqlError(`insert into componentforge.messages (${columns.join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(row));
    };
    const cases: Array<[string, unknown, string]> = [
      ['role', 'robot', 'messages_role_check'],
      ['content', '', 'messages_content_not_empty'],
      ['prompt_tokens', -1, 'messages_prompt_tokens_nonnegative'],
      ['completion_tokens', -1, 'messages_completion_tokens_nonnegative'],
      ['total_tokens', -1, 'messages_total_tokens_nonnegative'],
      ['context_documents', { ids: [1] }, 'messages_context_documents_array'],
    ];
    for (const [column, value, constraint] of cases) {
      expect(await insert(column, value), column).toEqual({ code: '23514', constraint });
    }
    expect(await app.sqlError(`insert into componentforge.messages (conversation_id, role, content) values ($1, 'user', 'x')`, [MISSING_ID])).toEqual({
      code: '23503',
      constraint: 'messages_conversation_id_fkey',
    });
    // Messages are history: nobody edits one through the request role.
    const edit = await failure(
      app.probe({ token: user.token }).sql([{ text: `update componentforge.messages set content = 'rewritten' where id = $1`, values: [message.id] }]),
    );
    expect(edit.code).toBe('FORBIDDEN');
  });

  it('pages a conversation\'s messages in order', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge.messages;
    const { conversation } = await conversationOf(user.token, 'm0');
    for (let i = 1; i < 7; i++) await api.add({ conversationId: conversation.id, role: i % 2 ? 'assistant' : 'user', content: `m${i}` });
    const contents: string[] = [];
    let cursor: string | undefined;
    do {
      const result = await api.list({ conversationId: conversation.id, cursor, limit: 3 });
      contents.push(...result.items.map((m) => m.content));
      cursor = result.nextCursor ?? undefined;
    } while (cursor);
    expect(contents).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  });

  it('another user can neither read, add to, nor delete a conversation\'s messages; admins read them', async () => {
    const alice = await app.newUser();
    const bob = await app.newUser();
    const admin = await app.newAdmin();
    const { conversation, message } = await conversationOf(alice.token);
    const asBob = app.caller({ token: bob.token }).componentforge.messages;
    expect(await codeOf(asBob.get({ id: message.id }))).toBe('NOT_FOUND');
    expect(await codeOf(asBob.thread({ id: message.id }))).toBe('NOT_FOUND');
    expect(await codeOf(asBob.delete({ id: message.id }))).toBe('NOT_FOUND');
    expect((await asBob.list({ conversationId: conversation.id })).items).toEqual([]);
    const intrusion = await failure(asBob.add({ conversationId: conversation.id, role: 'user', content: 'injected' }));
    expect(intrusion.code).toBe('FORBIDDEN');
    const probe = app.probe({ token: bob.token });
    expect(await rowsAs(probe, 'select id from componentforge.messages where conversation_id = $1', [conversation.id])).toEqual([]);
    expect(await rowsAs(probe, 'delete from componentforge.messages where id = $1 returning id', [message.id])).toEqual([]);

    const asAdmin = app.caller({ token: admin.token }).componentforge.messages;
    expect((await asAdmin.get({ id: message.id })).content).toBe('How do I create a button?');
    // Admins moderate, but do not speak in someone else's conversation.
    expect((await failure(asAdmin.add({ conversationId: conversation.id, role: 'system', content: 'x' }))).code).toBe('FORBIDDEN');
    expect((await app.caller({ token: alice.token }).componentforge.conversations.get({ id: conversation.id })).messageCount).toBe(1);
  });
});
