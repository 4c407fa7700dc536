/* @name InsertConversation */
-- Starts a conversation for the acting user; absent settings take the seed's defaults (gpt-4, 0.7).
insert into componentforge.conversations (user_id, title, model_name, temperature)
values (:userId!, :title, coalesce(:modelName, 'gpt-4'), coalesce(:temperature::double precision, 0.7))
returning id, user_id, title, model_name, temperature, status, message_count, total_tokens_used, created_at, updated_at;

/* @name FindConversationById */
-- One conversation with its metrics; RLS shows a user only their own.
select id, user_id, title, model_name, temperature, status, message_count, total_tokens_used, created_at, updated_at
from componentforge.conversations
where id = :id!;

/* @name ListUserConversations */
-- One page of a user's conversations newest first (ids are time-ordered), before the cursor id; served by (user_id, id), the cursor a CASE, not coalesce, so that under RLS it stays an index condition.
select id, user_id, title, model_name, temperature, status, message_count, total_tokens_used, created_at, updated_at
from componentforge.conversations
where user_id = :userId!
  and id < case when cast(:beforeId as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :beforeId end
order by id desc
limit :limit!;

/* @name ListActiveConversations */
-- One page of a user's active conversations, most recently updated first, before the cursor; served by (user_id, status, updated_at).
select id, user_id, title, model_name, temperature, status, message_count, total_tokens_used, created_at, updated_at,
       updated_at::text as "cursor_at!"
from componentforge.conversations
where user_id = :userId!
  and status = 'active'
  and (updated_at, id) < (case when cast(:beforeAt as timestamptz) is null then 'infinity'::timestamptz else :beforeAt end,
                          case when cast(:beforeId as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :beforeId end)
order by updated_at desc, id desc
limit :limit!;

/* @name UpdateConversation */
-- Changes the title and status present in the patch (keyed by API field name); absent fields keep their value, a null title clears it.
update componentforge.conversations
set title  = case when :patch::jsonb ? 'title' then :patch::jsonb ->> 'title' else title end,
    status = case when :patch::jsonb ? 'status' then :patch::jsonb ->> 'status' else status end
where id = :id!
returning id, user_id, title, model_name, temperature, status, message_count, total_tokens_used, created_at, updated_at;

/* @name DeleteConversation */
-- Deletes a conversation; its messages go with it (ON DELETE CASCADE).
delete from componentforge.conversations
where id = :id!
returning id;
