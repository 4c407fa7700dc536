import { z } from 'zod';
import { componentforgeMessagesRoleSchema } from '../../db/generated/catalog.js';
import { jsonParam } from '../../db/connection.js';
import { one } from '../../db/errors.js';
import {
  deleteMessage,
  findMessageWithParent,
  insertMessage,
  listConversationMessages,
  listMessageThread,
} from '../../../sql/componentforge/messages.queries.js';
import { cursorInput, limitInput, timeKey, timePage } from '../../server/cursor.js';
import { authedProcedure, router } from '../../server/trpc.js';
import { countInput, idInput } from './inputs.js';


export const messagesRouter = router({
  /**
   * Adds a message to one of the caller's conversations, optionally as a reply to one of its
   * messages. The database adds it to the conversation's message_count and total_tokens_used.
   */
  add: authedProcedure
    .input(
      z.object({
        conversationId: z.uuid(),
        parentMessageId: z.uuid().nullable().optional(),
        role: componentforgeMessagesRoleSchema,
        content: z.string().min(1).max(200_000),
        promptTokens: countInput.nullable().optional(),
        completionTokens: countInput.nullable().optional(),
        totalTokens: countInput.nullable().optional(),
        contextDocuments: z.array(z.uuid()).max(1000).nullable().optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const rows = await insertMessage.run(
        {
          conversationId: input.conversationId,
          parentMessageId: input.parentMessageId ?? null,
          role: input.role,
          content: input.content,
          promptTokens: input.promptTokens ?? null,
          completionTokens: input.completionTokens ?? null,
          totalTokens: input.totalTokens ?? null,
          contextDocuments: jsonParam(input.contextDocuments),
        },
        ctx.db,
      );
      return one(rows, 'message');
    }),

  /** A conversation's messages in order, keyset-paginated. */
  list: authedProcedure
    .input(z.object({ conversationId: z.uuid(), cursor: cursorInput, limit: limitInput }))
    .query(async ({ ctx, input }) => {
      const [afterAt, afterId] = timeKey(input.cursor);
      return timePage(
        await listConversationMessages.run({ conversationId: input.conversationId, afterAt, afterId, limit: input.limit }, ctx.db),
        input.limit,
      );
    }),

  /** One message with the message it replies to (`parent` is null for a root or when the parent was deleted). */
  get: authedProcedure.input(idInput).query(async ({ ctx, input }) => {
    const { parentId, parentRole, parentContent, parentCreatedAt, ...message } = one(
      await findMessageWithParent.run({ id: input.id }, ctx.db),
      'message',
      input.id,
    );
    const parent =
      parentId !== null && parentRole !== null && parentContent !== null && parentCreatedAt !== null
        ? { id: parentId, role: parentRole, content: parentContent, createdAt: parentCreatedAt }
        : null;
    return { ...message, parent };
  }),

  /** A message and every reply under it at any depth, depth-first, siblings in creation order (one recursive query). */
  thread: authedProcedure.input(idInput).query(async ({ ctx, input }) => {
    const rows = await listMessageThread.run({ id: input.id }, ctx.db);
    one(rows, 'message', input.id);
    return rows;
  }),

  /** Deletes a message of the caller's (admins: any); its replies stay, detached, and the conversation's metrics drop it. */
  delete: authedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    return one(await deleteMessage.run({ id: input.id }, ctx.db), 'message', input.id);
  }),
});
