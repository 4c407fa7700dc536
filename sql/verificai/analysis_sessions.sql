/* @name InsertSession */
-- Starts an analysis session for the acting user, in status created.
insert into verificai.analysis_sessions (user_id, session_name)
values (:userId!, :sessionName!)
returning id, user_id, session_name, status, completed_at, total_files, processed_files, created_at, updated_at;

/* @name FindSession */
-- One analysis session; RLS shows a user only their own.
select id, user_id, session_name, status, completed_at, total_files, processed_files, created_at, updated_at
from verificai.analysis_sessions
where id = :id!;

/* @name RenameSession */
-- Changes a session's name.
update verificai.analysis_sessions
set session_name = :sessionName!
where id = :id!
returning id, user_id, session_name, status, completed_at, total_files, processed_files, created_at, updated_at;

/* @name SetSessionStatus */
-- Moves a session along its lifecycle; completed_at follows the finished states, the transition trigger refuses illegal moves.
update verificai.analysis_sessions
set status = :status!,
    completed_at = case when :status! in ('completed', 'failed', 'cancelled') then now() end
where id = :id!
returning id, user_id, session_name, status, completed_at, total_files, processed_files, created_at, updated_at;

/* @name DeleteSession */
-- Deletes a session; its files, results and tasks go with it (ON DELETE CASCADE).
delete from verificai.analysis_sessions
where id = :id!
returning id;

/* @name ListSessions */
-- One page of a user's sessions, newest first, before the cursor id; served by (user_id, id desc). The cursor is a CASE, not coalesce: under RLS only leakproof conditions become index conditions.
select id, user_id, session_name, status, completed_at, total_files, processed_files, created_at, updated_at
from verificai.analysis_sessions
where user_id = :userId!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListSessionsByStatus */
-- One page of a user's sessions of one status, newest first, before the cursor id; served by (user_id, status, id desc).
select id, user_id, session_name, status, completed_at, total_files, processed_files, created_at, updated_at
from verificai.analysis_sessions
where user_id = :userId!
  and status = :status!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListAllSessions */
-- Admins: one page of everyone's sessions, newest first, before the cursor id; served by the primary key.
select id, user_id, session_name, status, completed_at, total_files, processed_files, created_at, updated_at
from verificai.analysis_sessions
where id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListAllSessionsByStatus */
-- Admins: one page of everyone's sessions of one status, newest first, before the cursor id; the primary key walked down from the cursor, status filtered.
select id, user_id, session_name, status, completed_at, total_files, processed_files, created_at, updated_at
from verificai.analysis_sessions
where status = :status!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name CountSessionRows */
-- The summary's counts: a session's files, results and tasks by status, in one statement.
select 'files' as "kind!", upload_status as "status!", count(*)::int as "count!"
from verificai.file_uploads
where analysis_session_id = :id!
group by upload_status
union all
select 'results', status, count(*)::int
from verificai.analysis_results
where analysis_session_id = :id!
group by status
union all
select 'tasks', status, count(*)::int
from verificai.analysis_tasks
where analysis_session_id = :id!
group by status
order by 1, 2;

/* @name SessionScoreStats */
-- The summary's scores: minimum, average (two decimals) and maximum per analysis type of a session's results, as exact strings.
select analysis_type, count(*)::int as "results!", count(score)::int as "scored!",
       min(score)::text as "min", round(avg(score), 2)::text as "avg", max(score)::text as "max"
from verificai.analysis_results
where analysis_session_id = :id!
group by analysis_type
order by analysis_type;
