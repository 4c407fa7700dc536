import { z } from 'zod';
import { componentforgeConversationsStatusSchema } from '../../db/generated/catalog.js';
import { one } from '../../db/errors.js';
import {
  deleteConversation,
  findConversationById,
  insertConversation,
  listActiveConversations,
  listUserConversations,
  updateConversation,
} from '../../../sql/componentforge/conversations.queries.js';
import {
  insertMessage,
  listMessagesOfConversations,
  type IListMessagesOfConversationsResult,
} from '../../../sql/componentforge/messages.queries.js';
import { cursorInput, idKey, limitInput, page, timeKey, timePage } from '../../server/cursor.js';
import { authedProcedure, router } from '../../server/trpc.js';
import { idInput, textInput } from './inputs.js';

const settings = {
  title: textInput(500).optional(),
  modelName: textInput(100).optional(),
  temperature: z.number().min(0, 'temperature must be between 0 and 2').max(2, 'temperature must be between 0 and 2').optional(),
};

export const conversationsRouter = router({
  /** Starts an empty conversation; model and temperature default to the seed's gpt-4 and 0.7. */
  create: authedProcedure
    .meta({ openapi: { method: 'POST', path: '/componentforge/conversations', tags: ['componentforge'], summary: 'Start an empty conversation' } })
    .input(z.object(settings)).mutation(async ({ ctx, input }) => {
    return one(
      await insertConversation.run(
        { userId: ctx.user.id, title: input.title ?? null, modelName: input.modelName ?? null, temperature: input.temperature ?? null },
        ctx.db,
      ),
      'conversation',
    );
  }),

  /**
   * The seed's create_conversation_with_message: a conversation and its first (user) message in
   * one transaction. The returned conversation already counts the message.
   */
  start: authedProcedure
    .input(z.object({ ...settings, title: textInput(500).default('New Conversation'), content: z.string().min(1).max(200_000) }))
    .mutation(async ({ ctx, input }) => {
      const created = one(
        await insertConversation.run(
          { userId: ctx.user.id, title: input.title, modelName: input.modelName ?? null, temperature: input.temperature ?? null },
          ctx.db,
        ),
        'conversation',
      );
      const message = one(await insertMessage.run({ conversationId: created.id, role: 'user', content: input.content }, ctx.db), 'message');
      const conversation = one(await findConversationById.run({ id: created.id }, ctx.db), 'conversation', created.id);
      return { conversation, message };
    }),

  /** One conversation with its metrics. */
  get: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/componentforge/conversations/{id}', tags: ['componentforge'], summary: 'One conversation with its metrics' } })
    .input(idInput).query(async ({ ctx, input }) => {
    return one(await findConversationById.run({ id: input.id }, ctx.db), 'conversation', input.id);
  }),

  /** A conversation with all its messages in order: two queries, whatever the number of messages. */
  getWithMessages: authedProcedure.input(idInput).query(async ({ ctx, input }) => {
    // Both go out together on the pipelined connection: one round trip.
    const [conversations, messages] = await Promise.all([
      findConversationById.run({ id: input.id }, ctx.db),
      listMessagesOfConversations.run({ conversationIds: [input.id] }, ctx.db),
    ]);
    return { ...one(conversations, 'conversation', input.id), messages };
  }),

  /** The caller's conversations newest first, keyset-paginated by id (the seed's cursor pagination). */
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/componentforge/conversations', tags: ['componentforge'], summary: "The caller's conversations, newest first, keyset pages" } })
    .input(z.object({ cursor: cursorInput, limit: limitInput })).query(async ({ ctx, input }) => {
    const rows = await listUserConversations.run({ userId: ctx.user.id, beforeId: idKey(input.cursor), limit: input.limit }, ctx.db);
    return page(rows, input.limit, (row) => [row.id]);
  }),

  /** The caller's active conversations, most recently updated (a new message updates it) first. */
  listActive: authedProcedure.input(z.object({ cursor: cursorInput, limit: limitInput })).query(async ({ ctx, input }) => {
    const [beforeAt, beforeId] = timeKey(input.cursor);
    return timePage(await listActiveConversations.run({ userId: ctx.user.id, beforeAt, beforeId, limit: input.limit }, ctx.db), input.limit);
  }),

  /**
   * A page of the caller's conversations, newest first, each with all its messages: two
   * queries per page (the conversations, then every message of them with ANY), never one per
   * conversation.
   */
  listWithMessages: authedProcedure
    .input(z.object({ cursor: cursorInput, limit: z.number().int().min(1).max(50).default(10) }))
    .query(async ({ ctx, input }) => {
      const rows = await listUserConversations.run({ userId: ctx.user.id, beforeId: idKey(input.cursor), limit: input.limit }, ctx.db);
      const messages = rows.length ? await listMessagesOfConversations.run({ conversationIds: rows.map((c) => c.id) }, ctx.db) : [];
      const byConversation = new Map<string, IListMessagesOfConversationsResult[]>(rows.map((c) => [c.id, []]));
      for (const message of messages) byConversation.get(message.conversationId)?.push(message);
      const withMessages = rows.map((c) => ({ ...c, messages: byConversation.get(c.id) ?? [] }));
      return page(withMessages, input.limit, (row) => [row.id]);
    }),

  /** Renames (null clears the title) or changes the status: archive, soft-delete, reactivate. */
  update: authedProcedure
    .meta({ openapi: { method: 'PATCH', path: '/componentforge/conversations/{id}', tags: ['componentforge'], summary: 'Rename or change the status' } })
    .input(
      z
        .object({ id: z.uuid(), title: textInput(500).nullable().optional(), status: componentforgeConversationsStatusSchema.optional() })
        .strict(),
    )
    .mutation(async ({ ctx, input }) => {
      const { id, ...patch } = input;
      return one(await updateConversation.run({ id, patch }, ctx.db), 'conversation', id);
    }),

  /** Deletes one of the caller's conversations (admins: any) with all its messages. */
  delete: authedProcedure
    .meta({ openapi: { method: 'DELETE', path: '/componentforge/conversations/{id}', tags: ['componentforge'], summary: 'Delete a conversation with its messages' } })
    .input(idInput).mutation(async ({ ctx, input }) => {
    return one(await deleteConversation.run({ id: input.id }, ctx.db), 'conversation', input.id);
  }),
});
