import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { exportsathiChatMessagesRoleSchema } from '../../db/generated/catalog.js';
import { jsonParam } from '../../db/connection.js';
import { one } from '../../db/errors.js';
import { insertMessage, listMessages } from '../../../sql/exportsathi/chat_messages.queries.js';
import { findChat, insertChat, listChats, listReportChats, updateChatContext } from '../../../sql/exportsathi/chat_sessions.queries.js';
import { cursorInput, idKey, limitInput, page } from '../../server/cursor.js';
import { cappedJson, jsonObjectInput, JSON_SMALL_BYTES } from '../../server/json-input.js';
import { authedProcedure, router } from '../../server/trpc.js';
import { idInput, reportNotFound, urlInput } from './inputs.js';

const contextInput = jsonObjectInput(JSON_SMALL_BYTES);

/** The sources an answer cites (chat_messages_citations_shape): {title, url?, excerpt?}, nothing else. */
const citationsInput = cappedJson(
  z.array(z.strictObject({ title: z.string().trim().min(1).max(500), url: urlInput.optional(), excerpt: z.string().max(5000).optional() })).max(100),
  JSON_SMALL_BYTES,
);

export const chatsRouter = router({
  /** Starts a chat for the caller, optionally about one of their live reports. */
  create: authedProcedure
    .input(z.object({ reportId: z.uuid().nullable().default(null), contextData: contextInput.default({}) }))
    .mutation(async ({ ctx, input }) => {
      const rows = await insertChat.run({ userId: ctx.user.id, reportId: input.reportId, contextData: input.contextData }, ctx.db);
      if (!rows[0]) throw reportNotFound(input.reportId!);
      return rows[0];
    }),

  /** One chat (the caller's own; admins: any), hidden with its report. */
  get: authedProcedure.input(idInput).query(async ({ ctx, input }) => {
    return one(await findChat.run(input, ctx.db), 'chat', input.id);
  }),

  /** Replaces a chat's context data. */
  update: authedProcedure.input(z.object({ id: z.uuid(), contextData: contextInput })).mutation(async ({ ctx, input }) => {
    return one(await updateChatContext.run(input, ctx.db), 'chat', input.id);
  }),

  /** The caller's chats newest first, all or those about one report, keyset-paginated. */
  list: authedProcedure
    .input(z.object({ reportId: z.uuid().optional(), cursor: cursorInput, limit: limitInput }))
    .query(async ({ ctx, input }) => {
      const params = { userId: ctx.user.id, before: idKey(input.cursor), limit: input.limit };
      const rows = input.reportId
        ? await listReportChats.run({ ...params, reportId: input.reportId }, ctx.db)
        : await listChats.run(params, ctx.db);
      return page(rows, input.limit, (row) => [row.id]);
    }),

  /** Adds a question (role user) or an answer with the sources it cites (role assistant) to one of the caller's chats. */
  addMessage: authedProcedure
    .input(
      z
        .object({ sessionId: z.uuid(), role: exportsathiChatMessagesRoleSchema, content: z.string().min(1).max(100_000), citations: citationsInput.default([]) })
        .refine((m) => m.role === 'assistant' || m.citations.length === 0, { message: 'only assistant messages may cite sources', path: ['citations'] }),
    )
    .mutation(async ({ ctx, input }) => {
      // pg sends a JS array as a Postgres array: JSON goes as text.
      const rows = await insertMessage.run({ ...input, citations: jsonParam(input.citations)! }, ctx.db);
      if (!rows[0]) throw new TRPCError({ code: 'NOT_FOUND', message: `chat ${input.sessionId} not found` });
      return rows[0];
    }),

  /** A chat's messages oldest first, keyset-paginated. */
  messages: authedProcedure.input(z.object({ sessionId: z.uuid(), cursor: cursorInput, limit: limitInput })).query(async ({ ctx, input }) => {
    const [chats, rows] = await Promise.all([
      findChat.run({ id: input.sessionId }, ctx.db),
      listMessages.run({ sessionId: input.sessionId, after: idKey(input.cursor), limit: input.limit }, ctx.db),
    ]);
    one(chats, 'chat', input.sessionId);
    return page(rows, input.limit, (row) => [row.id]);
  }),
});
