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
-- One page of a user's sessions, newest first, optionally in one project and/or status.
select id, owner_id, project_id, name, status, mode, role, created_at, updated_at, archived_at
from socrates.sessions
where owner_id = :ownerId!
  and (cast(:projectId as uuid) is null or project_id = :projectId)
  and (cast(:status as text) is null or status = :status)
  and (cast(:before as uuid) is null or id < :before)
order by id desc
limit :limit!;
