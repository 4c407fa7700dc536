/* @name InsertMessage */
-- Adds a question or an answer (with its citations) to one of the acting user's chats.
insert into exportsathi.chat_messages (session_id, role, content, citations)
select s.id, :role!, :content!, :citations!
from exportsathi.chat_sessions s
where s.id = :sessionId!
returning id, session_id, role, content, citations, created_at;

/* @name ListMessages */
-- One page of a chat's messages oldest first, after the cursor id; served by (session_id, id).
select id, session_id, role, content, citations, created_at
from exportsathi.chat_messages
where session_id = :sessionId!
  and id > case when cast(:after as uuid) is null then '00000000-0000-0000-0000-000000000000'::uuid else :after end
order by id
limit :limit!;
