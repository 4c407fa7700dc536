import { describe, expect, it } from 'vitest';
import { useTestApp } from '../support/app.js';
import { rowsAs } from '../support/probe.js';
import { MISSING_ID, badFields, countQueries } from './helpers.js';
import { codeOf, failure } from '../support/errors.js';

const app = useTestApp();

describe('conversations', () => {
  it('starts a conversation with its first message in one transaction, counted at once', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge.conversations;
    const { conversation, message } = await api.start({ content: 'How do I create a primary button component?' });
    expect(conversation).toMatchObject({
      userId: user.id,
      title: 'New Conversation',
      modelName: 'gpt-4',
      temperature: 0.7,
      status: 'active',
      messageCount: 1,
      totalTokensUsed: '0',
    });
    expect(message).toMatchObject({ conversationId: conversation.id, parentMessageId: null, role: 'user', totalTokens: null, contextDocuments: null });

    // A failure after the conversation's insert (Postgres refuses a NUL character in text) leaves nothing behind.
    const before = (await app.sql(`select count(*)::int as n from componentforge.conversations where user_id = $1`, [user.id])).rows[0];
    const err = await failure(api.start({ title: 'Doomed', content: 'nul \u0000 byte' }));
    expect(err.code).toBe('BAD_REQUEST');
    expect((await app.sql(`select count(*)::int as n from componentforge.conversations where user_id = $1`, [user.id])).rows[0]).toEqual(before);

    const empty = await api.create({ title: 'Component Design Discussion', temperature: 1.2 });
    expect(empty).toMatchObject({ title: 'Component Design Discussion', modelName: 'gpt-4', temperature: 1.2, messageCount: 0, totalTokensUsed: '0' });
  });

  it('keeps message_count and total_tokens_used exact under concurrent inserts', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge;
    const { conversation } = await api.conversations.start({ content: 'first' });
    const tokens = Array.from({ length: 40 }, (_, i) => 100 + i);
    await Promise.all(
      tokens.map((total, i) =>
        app.caller({ token: user.token }).componentforge.messages.add({
          conversationId: conversation.id,
          role: i % 2 ? 'assistant' : 'user',
          content: `message ${i}`,
          promptTokens: total - 10,
          completionTokens: 10,
          totalTokens: total,
        }),
      ),
    );
    const after = await api.conversations.get({ id: conversation.id });
    expect(after.messageCount).toBe(41);
    // bigint: an exact decimal string, as pg returns it.
    expect(after.totalTokensUsed).toBe(String(tokens.reduce((a, b) => a + b, 0)));
    const { rows } = await app.sql(
      `select count(*)::int as n, coalesce(sum(total_tokens), 0)::bigint as tokens from componentforge.messages where conversation_id = $1`,
      [conversation.id],
    );
    expect(rows[0]).toEqual({ n: after.messageCount, tokens: after.totalTokensUsed });
  });

  it('refuses out-of-range values, in the API and in the database', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge.conversations;
    expect(badFields(await failure(api.create({ temperature: 2.5 })))).toEqual(['temperature']);
    expect(badFields(await failure(api.create({ modelName: '' })))).toEqual(['modelName']);
    expect(badFields(await failure(api.start({ content: '' })))).toEqual(['content']);
    const { id } = await api.create({});
    expect(badFields(await failure(api.update({ id, status: 'gone' as 'active' })))).toEqual(['status']);
    expect(await codeOf(api.update({ id, messageCount: 0 } as never))).toBe('BAD_REQUEST');

    const cases: Array<[string, string]> = [
      [`title = ''`, 'conversations_title_length'],
      [`model_name = repeat('m', 101)`, 'conversations_model_name_length'],
      [`temperature = 2.01`, 'conversations_temperature_range'],
      [`temperature = -0.1`, 'conversations_temperature_range'],
      [`status = 'gone'`, 'conversations_status_check'],
      [`message_count = -1`, 'conversations_message_count_nonnegative'],
      [`total_tokens_used = -1`, 'conversations_total_tokens_used_nonnegative'],
    ];
    for (const [set, constraint] of cases) {
      // Triggers off: the counter and transition guards would refuse these before the CHECK is reached.
      expect(await app.sqlError(`update componentforge.conversations set ${set} where id = $1`, [id], { triggers: false }), set).toEqual({ code: '23514', constraint });
    }
    expect(await app.sqlError(`insert into componentforge.conversations (user_id) values ($1)`, [MISSING_ID])).toEqual({
      code: '23503',
      constraint: 'conversations_user_id_fkey',
    });
  });

  it('lists the caller\'s active conversations, the most recently updated first', async () => {
    const user = await app.newUser();
    const other = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge;
    const a = await api.conversations.create({ title: 'a' });
    await api.conversations.create({ title: 'b' });
    await api.conversations.create({ title: 'c' });
    const archived = await api.conversations.create({ title: 'archived' });
    await api.conversations.update({ id: archived.id, status: 'archived' });
    await app.caller({ token: other.token }).componentforge.conversations.create({ title: 'not mine' });
    // A new message updates its conversation.
    await api.messages.add({ conversationId: a.id, role: 'user', content: 'bump' });

    const first = await api.conversations.listActive({ limit: 2 });
    const second = await api.conversations.listActive({ limit: 2, cursor: first.nextCursor ?? undefined });
    expect([...first.items, ...second.items].map((x) => x.title)).toEqual(['a', 'c', 'b']);
    expect(second.nextCursor).toBeNull();
    expect(first.items[0]).not.toHaveProperty('cursorAt');
  });

  it('pages through the caller\'s conversations newest first with a cursor, each exactly once', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge.conversations;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await api.create({ title: `t${i}` })).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const result = await api.list({ cursor, limit: 3 });
      seen.push(...result.items.map((x) => x.id));
      cursor = result.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect(await codeOf(api.list({ cursor: 'bm9wZQ' }))).toBe('BAD_REQUEST');
  });

  it('loads a conversation with its messages, and a page of conversations with theirs, in a fixed number of queries', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge;
    const conversations: Array<{ id: string }> = [];
    for (let i = 0; i < 6; i++) {
      const { conversation } = await api.conversations.start({ title: `c${i}`, content: `hello ${i}` });
      for (let m = 0; m < i; m++) await api.messages.add({ conversationId: conversation.id, role: 'assistant', content: `reply ${m}` });
      conversations.push(conversation);
    }
    const single = await countQueries(() => api.conversations.getWithMessages({ id: conversations[5]!.id }));
    expect(single.queries).toBe(2);
    expect(single.result.messages.map((m) => m.content)).toEqual(['hello 5', 'reply 0', 'reply 1', 'reply 2', 'reply 3', 'reply 4']);
    expect(single.result.messageCount).toBe(6);

    const small = await countQueries(() => api.conversations.listWithMessages({ limit: 2 }));
    const large = await countQueries(() => api.conversations.listWithMessages({ limit: 6 }));
    expect(small.queries).toBe(2);
    expect(large.queries).toBe(2);
    expect(large.result.items.map((c) => [c.title, c.messages.length])).toEqual([
      ['c5', 6],
      ['c4', 5],
      ['c3', 4],
      ['c2', 3],
      ['c1', 2],
      ['c0', 1],
    ]);
    expect(large.result.items.every((c) => c.messages.every((m) => m.conversationId === c.id))).toBe(true);
    const rest = await api.conversations.listWithMessages({ limit: 4, cursor: (await api.conversations.listWithMessages({ limit: 2 })).nextCursor ?? undefined });
    expect(rest.items.map((c) => c.title)).toEqual(['c3', 'c2', 'c1', 'c0']);
    expect(await codeOf(api.conversations.getWithMessages({ id: MISSING_ID }))).toBe('NOT_FOUND');
  });

  it('update renames and changes status; another user can neither see, change nor delete it', async () => {
    const alice = await app.newUser();
    const bob = await app.newUser();
    const admin = await app.newAdmin();
    const api = app.caller({ token: alice.token }).componentforge.conversations;
    const { conversation } = await api.start({ title: 'Component Design Discussion', content: 'hi' });
    expect(await api.update({ id: conversation.id, title: null, status: 'archived' })).toMatchObject({ title: null, status: 'archived' });
    expect((await api.update({ id: conversation.id, status: 'active' })).title).toBeNull();

    const asBob = app.caller({ token: bob.token }).componentforge.conversations;
    expect(await codeOf(asBob.get({ id: conversation.id }))).toBe('NOT_FOUND');
    expect(await codeOf(asBob.getWithMessages({ id: conversation.id }))).toBe('NOT_FOUND');
    expect(await codeOf(asBob.update({ id: conversation.id, status: 'deleted' }))).toBe('NOT_FOUND');
    expect(await codeOf(asBob.delete({ id: conversation.id }))).toBe('NOT_FOUND');
    expect((await asBob.list({})).items).toEqual([]);
    const probe = app.probe({ token: bob.token });
    expect(await rowsAs(probe, 'select id from componentforge.conversations where id = $1', [conversation.id])).toEqual([]);
    expect(await rowsAs(probe, `update componentforge.conversations set message_count = 0 where id = $1 returning id`, [conversation.id])).toEqual([]);
    const forged = await failure(probe.sql([{ text: `insert into componentforge.conversations (user_id) values ($1)`, values: [alice.id] }]));
    expect(forged.code).toBe('FORBIDDEN');

    expect((await app.caller({ token: admin.token }).componentforge.conversations.get({ id: conversation.id })).messageCount).toBe(1);
    expect(await api.delete({ id: conversation.id })).toEqual({ id: conversation.id });
    expect(await codeOf(api.get({ id: conversation.id }))).toBe('NOT_FOUND');
  });

  it('go with their user, and messages with their conversation (ON DELETE CASCADE)', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge.conversations;
    const { conversation: kept } = await api.start({ content: 'kept' });
    const { conversation: dropped } = await api.start({ content: 'dropped' });
    await api.delete({ id: dropped.id });
    const count = async (id: string) =>
      (await app.sql(`select count(*)::int as n from componentforge.messages where conversation_id = $1`, [id])).rows[0];
    expect(await count(dropped.id)).toEqual({ n: 0 });
    expect(await count(kept.id)).toEqual({ n: 1 });
    await app.sql('delete from core.users where id = $1', [user.id]);
    expect((await app.sql(`select count(*)::int as n from componentforge.conversations where user_id = $1`, [user.id])).rows[0]).toEqual({ n: 0 });
    expect(await count(kept.id)).toEqual({ n: 0 });
  });
});
