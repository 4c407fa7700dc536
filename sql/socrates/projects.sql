/* @name CreateProject */
-- Creates a project owned by the acting user; technologyStack absent is [], JSON null is SQL NULL (the seed's column is nullable).
insert into socrates.projects (owner_id, name, description, status, technology_stack)
values (:ownerId!, :name!, :description, coalesce(cast(:status as text), 'PLANNING'), nullif(coalesce(cast(:technologyStack as jsonb), '[]'), 'null'))
returning id, owner_id, name, description, status, technology_stack, created_at, updated_at;

/* @name FindProject */
-- One project; RLS hides other users' projects.
select id, owner_id, name, description, status, technology_stack, created_at, updated_at
from socrates.projects
where id = :id!;

/* @name UpdateProject */
-- Changes the fields present in the patch (keyed by API field name): name, description, technologyStack.
-- A JSON null clears technology_stack to SQL NULL (the seed's column is nullable), not to a jsonb 'null'.
update socrates.projects
set name             = case when :patch::jsonb ? 'name' then :patch::jsonb ->> 'name' else name end,
    description      = case when :patch::jsonb ? 'description' then :patch::jsonb ->> 'description' else description end,
    technology_stack = case when :patch::jsonb ? 'technologyStack' then nullif(:patch::jsonb -> 'technologyStack', 'null') else technology_stack end
where id = :id!
returning id, owner_id, name, description, status, technology_stack, created_at, updated_at;

/* @name SetProjectStatus */
-- Moves a project to another stage.
update socrates.projects
set status = :status!
where id = :id!
returning id, owner_id, name, description, status, technology_stack, created_at, updated_at;

/* @name DeleteProject */
-- Deletes a project; its sessions and documents stay, with project_id set to null.
delete from socrates.projects
where id = :id!
returning id;

/* @name ListProjects */
-- One page of a user's projects, newest first (ids are UUIDv7), before the cursor id; served by (owner_id, id desc). The cursor is a CASE, not coalesce: under RLS only leakproof conditions become index conditions.
select id, owner_id, name, description, status, technology_stack, created_at, updated_at
from socrates.projects
where owner_id = :ownerId!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListProjectsByStatus */
-- One page of a user's projects in one status, newest first, before the cursor id; served by (owner_id, status, id desc).
select id, owner_id, name, description, status, technology_stack, created_at, updated_at
from socrates.projects
where owner_id = :ownerId!
  and status = :status!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;
