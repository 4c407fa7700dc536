/* @name InsertChat */
-- Starts a chat for the acting user, optionally about one of their live reports.
insert into exportsathi.chat_sessions (user_id, report_id, context_data)
select :userId!, cast(:reportId as uuid), :contextData!
where cast(:reportId as uuid) is null
   or exists (select from exportsathi.reports r where r.id = :reportId and r.deleted_at is null)
returning id, user_id, report_id, context_data, created_at, updated_at;

/* @name FindChat */
-- One chat; RLS shows a user only their own, and none about a deleted report.
select id, user_id, report_id, context_data, created_at, updated_at
from exportsathi.chat_sessions
where id = :id!;

/* @name UpdateChatContext */
-- Replaces a chat's context data.
update exportsathi.chat_sessions
set context_data = :contextData!
where id = :id!
returning id, user_id, report_id, context_data, created_at, updated_at;

/* @name ListChats */
-- One page of a user's chats newest first, before the cursor id; served by (user_id, id desc).
select id, user_id, report_id, context_data, created_at, updated_at
from exportsathi.chat_sessions
where user_id = :userId!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListReportChats */
-- One page of a user's chats about one report newest first, before the cursor id; served by (report_id, user_id, id desc).
select id, user_id, report_id, context_data, created_at, updated_at
from exportsathi.chat_sessions
where report_id = :reportId!
  and user_id = :userId!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;
