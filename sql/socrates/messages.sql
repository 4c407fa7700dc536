/* @name AppendMessage */
-- Adds a message to one of the acting user's ACTIVE sessions.
insert into socrates.messages (session_id, user_id, role, content, message_type, metadata)
values (:sessionId!, :userId!, :role!, :content!, coalesce(cast(:messageType as text), 'text'), coalesce(cast(:metadata as jsonb), '{}'))
returning id, session_id, user_id, role, content, message_type, metadata, created_at, updated_at;

/* @name ListMessages */
-- One page of a session's messages, oldest first, after the cursor (created_at as text keeps its microseconds); served by (session_id, created_at, id), the cursor an index condition (a CASE: coalesce is not leakproof, RLS would keep it out of the index).
select id, session_id, user_id, role, content, message_type, metadata, created_at, updated_at, created_at::text as "cursor_at!"
from socrates.messages
where session_id = :sessionId!
  and (created_at, id) > (case when cast(:afterAt as timestamptz) is null then '-infinity'::timestamptz else :afterAt end,
                          case when cast(:afterId as uuid) is null then '00000000-0000-0000-0000-000000000000'::uuid else :afterId end)
order by created_at, id
limit :limit!;

/* @name LatestMessages */
-- A session's latest messages, newest first (the caller reverses them into reading order).
select id, session_id, user_id, role, content, message_type, metadata, created_at, updated_at
from socrates.messages
where session_id = :sessionId!
order by created_at desc, id desc
limit :limit!;
