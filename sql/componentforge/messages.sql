/* @name InsertMessage */
-- Adds a message to a conversation of the acting user; the messages trigger adds it to the conversation's message_count and total_tokens_used.
insert into componentforge.messages (conversation_id, parent_message_id, role, content, prompt_tokens, completion_tokens,
                                     total_tokens, context_documents)
values (:conversationId!, :parentMessageId, :role!, :content!, :promptTokens, :completionTokens, :totalTokens, :contextDocuments)
returning id, conversation_id, parent_message_id, role, content, prompt_tokens, completion_tokens, total_tokens,
          context_documents, created_at, updated_at;

/* @name ListConversationMessages */
-- One page of a conversation's messages in order, after the cursor; served by (conversation_id, created_at), the cursor a CASE, not coalesce, so that under RLS it stays an index condition.
select id, conversation_id, parent_message_id, role, content, prompt_tokens, completion_tokens, total_tokens,
       context_documents, created_at, updated_at, created_at::text as "cursor_at!"
from componentforge.messages
where conversation_id = :conversationId!
  and (created_at, id) > (case when cast(:afterAt as timestamptz) is null then '-infinity'::timestamptz else :afterAt end,
                          case when cast(:afterId as uuid) is null then '00000000-0000-0000-0000-000000000000'::uuid else :afterId end)
order by created_at, id
limit :limit!;

/* @name ListMessagesOfConversations */
-- Every message of the given conversations in order, in one query: the second query of eager loading, never one per conversation.
select id, conversation_id, parent_message_id, role, content, prompt_tokens, completion_tokens, total_tokens,
       context_documents, created_at, updated_at
from componentforge.messages
where conversation_id = any(:conversationIds!::uuid[])
order by conversation_id, created_at, id;

/* @name FindMessageWithParent */
-- One message joined with the message it replies to (parent columns are null for a root or when the parent was deleted).
select m.id, m.conversation_id, m.parent_message_id, m.role, m.content, m.prompt_tokens, m.completion_tokens,
       m.total_tokens, m.context_documents, m.created_at, m.updated_at,
       p.id as "parent_id?", p.role as "parent_role?", p.content as "parent_content?", p.created_at as "parent_created_at?"
from componentforge.messages m
left join componentforge.messages p on p.id = m.parent_message_id
where m.id = :id!;

/* @name ListMessageThread */
-- A message and all its replies at any depth (recursive), depth-first with siblings in creation order; depth 0 is the message asked for.
with recursive thread as (
  select m.*, 0 as depth, array[m.id] as path
  from componentforge.messages m
  where m.id = :id!
  union all
  select r.*, t.depth + 1, t.path || r.id
  from componentforge.messages r
  join thread t on r.parent_message_id = t.id
)
select id as "id!", conversation_id as "conversation_id!", parent_message_id, role as "role!", content as "content!",
       prompt_tokens, completion_tokens, total_tokens, context_documents, created_at as "created_at!",
       updated_at as "updated_at!", depth as "depth!"
from thread
order by path;

/* @name DeleteMessage */
-- Deletes a message: its replies stay, detached from it (ON DELETE SET NULL), and the trigger takes it out of the conversation's metrics.
delete from componentforge.messages
where id = :id!
returning id, conversation_id;
