/* @name StartSession */
-- Starts a session for the acting user in a mode, optionally within one of their projects.
insert into socrates.sessions (owner_id, project_id, name, mode, role)
values (:ownerId!, :projectId, :name, :mode!, :role)
returning id, owner_id, project_id, name, status, mode, role, created_at, updated_at, archived_at;

/* @name FindSession */
-- One session; RLS hides other users' sessions.
select id, owner_id, project_id, name, status, mode, role, created_at, updated_at, archived_at
from socrates.sessions
where id = :id!;

/* @name SetSessionStatus */
-- Pauses, resumes or archives a session; archived_at follows the status, the transition trigger refuses illegal moves.
update socrates.sessions
set status = :status!,
    archived_at = case when :status! = 'ARCHIVED' then now() end
where id = :id!
returning id, owner_id, project_id, name, status, mode, role, created_at, updated_at, archived_at;

/* @name RenameSession */
-- Changes a session's name and tutor role when present in the patch.
update socrates.sessions
set name = case when :patch::jsonb ? 'name' then :patch::jsonb ->> 'name' else name end,
    role = case when :patch::jsonb ? 'role' then :patch::jsonb ->> 'role' else role end
where id = :id!
returning id, owner_id, project_id, name, status, mode, role, created_at, updated_at, archived_at;

/* @name DeleteSession */
-- Deletes a session and its messages.
delete from socrates.sessions
where id = :id!
returning id;

/* @name ListSessions */
-- One page of a user's sessions, newest first, before the cursor id; served by (owner_id, id desc). The cursor is a CASE, not coalesce: under RLS only leakproof conditions become index conditions.
select id, owner_id, project_id, name, status, mode, role, created_at, updated_at, archived_at
from socrates.sessions
where owner_id = :ownerId!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListSessionsByStatus */
-- One page of a user's sessions of one status, newest first, before the cursor id; served by (owner_id, status, id desc).
select id, owner_id, project_id, name, status, mode, role, created_at, updated_at, archived_at
from socrates.sessions
where owner_id = :ownerId!
  and status = :status!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListSessionsInProject */
-- One page of a user's sessions in one project, newest first, before the cursor id, optionally of one status (few rows: a filter); served by (owner_id, project_id, id desc).
select id, owner_id, project_id, name, status, mode, role, created_at, updated_at, archived_at
from socrates.sessions
where owner_id = :ownerId!
  and project_id = :projectId!
  and (cast(:status as text) is null or status = :status)
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;
