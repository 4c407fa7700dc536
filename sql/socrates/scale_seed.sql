/* @name InsertScaleProjects */
-- db:seed --scale: the acting user's projects from parallel arrays; technology stacks as JSON texts.
insert into socrates.projects (id, owner_id, name, description, status, technology_stack)
select p.id, :ownerId!, p.name, p.description, p.status, p.technology_stack::jsonb
from unnest(:ids!::uuid[], :names!::text[], :descriptions!::text[], :statuses!::text[], :technologyStacks!::text[])
  as p(id, name, description, status, technology_stack);

/* @name InsertScaleSessions */
-- db:seed --scale: the acting user's tutoring sessions (an empty project id is none); an ARCHIVED one is archived now (archived_at is set exactly then).
insert into socrates.sessions (id, owner_id, project_id, name, status, mode, role, archived_at)
select s.id, :ownerId!, nullif(s.project_id, '')::uuid, s.name, s.status, s.mode, s.role, case when s.status = 'ARCHIVED' then now() end
from unnest(:ids!::uuid[], :projectIds!::text[], :names!::text[], :statuses!::text[], :modes!::text[], :roles!::text[])
  as s(id, project_id, name, status, mode, role);

/* @name InsertScaleMessages */
-- db:seed --scale: messages of the acting user's sessions (one element per message); metadata as JSON texts.
insert into socrates.messages (session_id, user_id, role, content, message_type, metadata)
select m.session_id, :userId!, m.role, m.content, m.message_type, m.metadata::jsonb
from unnest(:sessionIds!::uuid[], :roles!::text[], :contents!::text[], :messageTypes!::text[], :metadata!::text[])
  as m(session_id, role, content, message_type, metadata);

/* @name InsertScaleDocuments */
-- db:seed --scale: the acting user's uploaded documents; an empty project id, summary or vector id is NULL (none, or not processed yet).
insert into socrates.documents (owner_id, project_id, filename, file_path, file_type, content_summary, vector_id, status)
select :ownerId!, nullif(d.project_id, '')::uuid, d.filename, d.file_path, d.file_type, nullif(d.content_summary, ''), nullif(d.vector_id, ''), d.status
from unnest(:projectIds!::text[], :filenames!::text[], :filePaths!::text[], :fileTypes!::text[], :contentSummaries!::text[],
            :vectorIds!::text[], :statuses!::text[])
  as d(project_id, filename, file_path, file_type, content_summary, vector_id, status);
