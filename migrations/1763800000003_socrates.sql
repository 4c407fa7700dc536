-- SOCRATES (seed 002): projects, tutoring sessions, their messages, and documents.
-- The seed's users, user_preferences and audit_log live in core already.
--
-- Beyond the seed, as a careful DBA would:
--   * a session's or document's project must belong to the same owner, and a message's user
--     must own its session: composite foreign keys, because a plain FK is checked without RLS
--     and would let anyone attach rows to someone else's project or session by guessing ids;
--   * archived_at is set exactly when a session is ARCHIVED (a CHECK);
--   * session and document statuses change only along their legal transitions (a trigger);
--   * messages are accepted only in ACTIVE sessions (a trigger);
--   * composite indexes for the list queries in sql/socrates/.

-- Up Migration

-- ===== Status transitions (shared) =====
-- The first trigger argument names the status column; the others list the legal moves as
-- 'FROM>TO'. Anything else is refused with a message naming the transition. Used by any
-- table with a status lifecycle.
create function core.guard_status_transition() returns trigger
language plpgsql
as $$
declare
  v_column text := tg_argv[0];
  v_old text := to_jsonb(old) ->> v_column;
  v_new text := to_jsonb(new) ->> v_column;
begin
  if v_new is distinct from v_old and not (v_old || '>' || v_new) = any (tg_argv[1:]) then
    raise exception '% % cannot change from % to %', tg_table_name, v_column, v_old, v_new
      using errcode = 'check_violation', column = v_column;
  end if;
  return new;
end
$$;
comment on function core.guard_status_transition() is 'BEFORE UPDATE trigger: refuses changes of the status column (first argument) not listed as FROM>TO in the other arguments';

-- ===== socrates.projects =====
create table socrates.projects (
  id               uuid primary key default core.uuidv7(),
  owner_id         uuid not null references core.users (id) on delete cascade,
  name             text not null,
  description      text,
  status           text not null default 'PLANNING',
  technology_stack jsonb default '[]',
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  -- Target of the composite foreign keys that keep sessions and documents in their owner's projects.
  constraint projects_id_owner_key unique (id, owner_id),
  constraint projects_name_length check (length(name) between 1 and 255),
  constraint projects_description_length check (length(description) <= 10000),
  constraint projects_status_check check (status in ('PLANNING', 'DESIGN', 'DEVELOPMENT', 'TESTING', 'COMPLETE')),
  constraint projects_technology_stack_array check (technology_stack is null or jsonb_typeof(technology_stack) = 'array')
);

comment on table socrates.projects is 'A learner''s software project (seed 002)';
comment on column socrates.projects.technology_stack is 'JSON array of the technologies used, e.g. ["python", "fastapi"]';
comment on constraint projects_owner_id_fkey on socrates.projects is 'owner_id must reference an existing user';
comment on constraint projects_id_owner_key on socrates.projects is 'project id and owner pair is already taken';
comment on constraint projects_name_length on socrates.projects is 'name must be 1-255 characters';
comment on constraint projects_description_length on socrates.projects is 'description must be at most 10000 characters';
comment on constraint projects_status_check on socrates.projects is 'status must be PLANNING, DESIGN, DEVELOPMENT, TESTING or COMPLETE';
comment on constraint projects_technology_stack_array on socrates.projects is 'technology_stack must be a JSON array';

create index projects_owner_idx on socrates.projects (owner_id);
create index projects_status_idx on socrates.projects (status);
create index projects_created_idx on socrates.projects (created_at);
-- projects.list: a user's projects newest first, optionally by status (keyset on id).
create index projects_owner_list_idx on socrates.projects (owner_id, id desc);
create index projects_owner_status_list_idx on socrates.projects (owner_id, status, id desc);

-- ===== socrates.sessions =====
create table socrates.sessions (
  id          uuid primary key default core.uuidv7(),
  owner_id    uuid not null references core.users (id) on delete cascade,
  project_id  uuid,
  name        text,
  status      text not null default 'ACTIVE',
  mode        text not null default 'chat',
  role        text,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  archived_at timestamptz,
  -- The seed's project_id ... ON DELETE SET NULL, with the owner in the key: a session can only
  -- be in its owner's project, and deleting the project nulls project_id alone.
  constraint sessions_project_fkey foreign key (project_id, owner_id)
    references socrates.projects (id, owner_id) on delete set null (project_id),
  -- Target of the composite foreign key that keeps messages in their owner's sessions.
  constraint sessions_id_owner_key unique (id, owner_id),
  constraint sessions_name_length check (length(name) between 1 and 255),
  constraint sessions_status_check check (status in ('ACTIVE', 'ARCHIVED', 'PAUSED')),
  constraint sessions_mode_check check (mode in ('chat', 'question', 'teaching', 'review')),
  constraint sessions_role_length check (length(role) between 1 and 100),
  constraint sessions_archived_at_iff_archived check ((status = 'ARCHIVED') = (archived_at is not null))
);

comment on table socrates.sessions is 'A tutoring session in one mode, optionally within a project (seed 002)';
comment on column socrates.sessions.role is 'The persona the tutor plays in this session';
comment on column socrates.sessions.archived_at is 'When the session was archived; set exactly when status is ARCHIVED';
comment on constraint sessions_owner_id_fkey on socrates.sessions is 'owner_id must reference an existing user';
comment on constraint sessions_project_fkey on socrates.sessions is 'project_id must reference one of your projects';
comment on constraint sessions_id_owner_key on socrates.sessions is 'session id and owner pair is already taken';
comment on constraint sessions_name_length on socrates.sessions is 'name must be 1-255 characters';
comment on constraint sessions_status_check on socrates.sessions is 'status must be ACTIVE, ARCHIVED or PAUSED';
comment on constraint sessions_mode_check on socrates.sessions is 'mode must be chat, question, teaching or review';
comment on constraint sessions_role_length on socrates.sessions is 'role must be 1-100 characters';
comment on constraint sessions_archived_at_iff_archived on socrates.sessions is 'archived_at must be set exactly when status is ARCHIVED';

create index sessions_owner_idx on socrates.sessions (owner_id);
create index sessions_project_idx on socrates.sessions (project_id);
create index sessions_status_idx on socrates.sessions (status);
create index sessions_created_idx on socrates.sessions (created_at);
-- sessions.list: a user's sessions newest first, by project or by status (keyset on id).
create index sessions_owner_list_idx on socrates.sessions (owner_id, id desc);
create index sessions_owner_project_list_idx on socrates.sessions (owner_id, project_id, id desc);
create index sessions_owner_status_list_idx on socrates.sessions (owner_id, status, id desc);

-- ===== socrates.messages =====
create table socrates.messages (
  id           uuid primary key default core.uuidv7(),
  session_id   uuid not null references socrates.sessions (id) on delete cascade,
  user_id      uuid not null references core.users (id) on delete cascade,
  role         text not null,
  content      text not null,
  message_type text not null default 'text',
  metadata     jsonb default '{}',
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  -- A message's user owns its session: enforced, not hoped for.
  constraint messages_session_owner_fkey foreign key (session_id, user_id)
    references socrates.sessions (id, owner_id) on delete cascade,
  constraint messages_role_check check (role in ('user', 'assistant')),
  constraint messages_content_length check (length(content) between 1 and 200000),
  constraint messages_message_type_check check (message_type in ('text', 'code', 'question', 'response')),
  constraint messages_metadata_object check (metadata is null or jsonb_typeof(metadata) = 'object')
);

comment on table socrates.messages is 'The conversation of a session, from the learner (user) and the tutor (assistant) (seed 002)';
comment on column socrates.messages.user_id is 'The session''s owner, for the tutor''s messages too';
comment on constraint messages_session_id_fkey on socrates.messages is 'session_id must reference an existing session';
comment on constraint messages_user_id_fkey on socrates.messages is 'user_id must reference an existing user';
comment on constraint messages_session_owner_fkey on socrates.messages is 'session_id must reference one of your sessions';
comment on constraint messages_role_check on socrates.messages is 'role must be user or assistant';
comment on constraint messages_content_length on socrates.messages is 'content must be 1-200000 characters';
comment on constraint messages_message_type_check on socrates.messages is 'message_type must be text, code, question or response';
comment on constraint messages_metadata_object on socrates.messages is 'metadata must be a JSON object';

create index messages_session_idx on socrates.messages (session_id);
create index messages_user_idx on socrates.messages (user_id);
create index messages_role_idx on socrates.messages (role);
create index messages_created_idx on socrates.messages (created_at);
-- messages.list (oldest first) and a session's latest messages (newest first): keyset on (created_at, id).
create index messages_session_timeline_idx on socrates.messages (session_id, created_at, id);

-- ===== socrates.documents =====
create table socrates.documents (
  id              uuid primary key default core.uuidv7(),
  owner_id        uuid not null references core.users (id) on delete cascade,
  project_id      uuid,
  filename        text not null,
  file_path       text not null,
  file_type       text,
  content_summary text,
  vector_id       text,
  status          text not null default 'PROCESSED',
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  constraint documents_project_fkey foreign key (project_id, owner_id)
    references socrates.projects (id, owner_id) on delete set null (project_id),
  constraint documents_filename_length check (length(filename) between 1 and 500),
  constraint documents_file_path_length check (length(file_path) between 1 and 500),
  constraint documents_file_type_length check (length(file_type) between 1 and 50),
  constraint documents_content_summary_length check (length(content_summary) <= 100000),
  constraint documents_vector_id_length check (length(vector_id) between 1 and 500),
  constraint documents_status_check check (status in ('UPLOADING', 'PROCESSING', 'PROCESSED', 'ERROR'))
);

comment on table socrates.documents is 'Files a learner uploads for the tutor to draw on, and their processing state (seed 002)';
comment on column socrates.documents.vector_id is 'Id of the document''s embedding in the vector store';
comment on constraint documents_owner_id_fkey on socrates.documents is 'owner_id must reference an existing user';
comment on constraint documents_project_fkey on socrates.documents is 'project_id must reference one of your projects';
comment on constraint documents_filename_length on socrates.documents is 'filename must be 1-500 characters';
comment on constraint documents_file_path_length on socrates.documents is 'file_path must be 1-500 characters';
comment on constraint documents_file_type_length on socrates.documents is 'file_type must be 1-50 characters';
comment on constraint documents_content_summary_length on socrates.documents is 'content_summary must be at most 100000 characters';
comment on constraint documents_vector_id_length on socrates.documents is 'vector_id must be 1-500 characters';
comment on constraint documents_status_check on socrates.documents is 'status must be UPLOADING, PROCESSING, PROCESSED or ERROR';

create index documents_owner_idx on socrates.documents (owner_id);
create index documents_project_idx on socrates.documents (project_id);
create index documents_status_idx on socrates.documents (status);
-- documents.list: a user's documents newest first, by project or by status (keyset on id).
create index documents_owner_list_idx on socrates.documents (owner_id, id desc);
create index documents_owner_project_list_idx on socrates.documents (owner_id, project_id, id desc);
create index documents_owner_status_list_idx on socrates.documents (owner_id, status, id desc);

-- ===== Triggers =====
create trigger projects_touch_updated_at before update on socrates.projects
  for each row execute function core.touch_updated_at();
create trigger sessions_touch_updated_at before update on socrates.sessions
  for each row execute function core.touch_updated_at();
create trigger messages_touch_updated_at before update on socrates.messages
  for each row execute function core.touch_updated_at();
create trigger documents_touch_updated_at before update on socrates.documents
  for each row execute function core.touch_updated_at();

select core.attach_audit('socrates.projects');
select core.attach_audit('socrates.sessions');
select core.attach_audit('socrates.messages');
select core.attach_audit('socrates.documents');

-- Sessions pause and resume; archiving is final.
create trigger sessions_status_transition before update of status on socrates.sessions
  for each row execute function core.guard_status_transition('status', 'ACTIVE>PAUSED', 'PAUSED>ACTIVE', 'ACTIVE>ARCHIVED', 'PAUSED>ARCHIVED');

-- Upload, then processing, which ends processed or in error; errors may be retried and
-- processed documents reprocessed.
create trigger documents_status_transition before update of status on socrates.documents
  for each row execute function core.guard_status_transition('status',
    'UPLOADING>PROCESSING', 'UPLOADING>ERROR', 'PROCESSING>PROCESSED', 'PROCESSING>ERROR',
    'ERROR>PROCESSING', 'PROCESSED>PROCESSING');

-- A paused or archived session takes no new messages.
create function socrates.messages_require_active_session() returns trigger
language plpgsql
as $$
begin
  if exists (select from socrates.sessions s where s.id = new.session_id and s.status <> 'ACTIVE') then
    raise exception 'messages can only be added to an ACTIVE session'
      using errcode = 'check_violation', column = 'session_id';
  end if;
  return new;
end
$$;
comment on function socrates.messages_require_active_session() is 'BEFORE INSERT trigger: a paused or archived session takes no new messages';

create trigger messages_require_active_session before insert on socrates.messages
  for each row execute function socrates.messages_require_active_session();

-- ===== Row-level security =====
alter table socrates.projects enable row level security;
alter table socrates.projects force row level security;
alter table socrates.sessions enable row level security;
alter table socrates.sessions force row level security;
alter table socrates.messages enable row level security;
alter table socrates.messages force row level security;
alter table socrates.documents enable row level security;
alter table socrates.documents force row level security;

create policy "Owners see their projects; admins see all" on socrates.projects for select to app_request
  using (owner_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Users create projects for themselves" on socrates.projects for insert to app_request
  with check (owner_id = (select core.current_user_id()));
create policy "Owners change their projects" on socrates.projects for update to app_request
  using (owner_id = (select core.current_user_id())) with check (owner_id = (select core.current_user_id()));
create policy "Owners delete their projects; admins delete any" on socrates.projects for delete to app_request
  using (owner_id = (select core.current_user_id()) or (select core.is_admin()));

create policy "Owners see their sessions; admins see all" on socrates.sessions for select to app_request
  using (owner_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Users start sessions for themselves" on socrates.sessions for insert to app_request
  with check (owner_id = (select core.current_user_id()));
create policy "Owners change their sessions" on socrates.sessions for update to app_request
  using (owner_id = (select core.current_user_id())) with check (owner_id = (select core.current_user_id()));
create policy "Owners delete their sessions; admins delete any" on socrates.sessions for delete to app_request
  using (owner_id = (select core.current_user_id()) or (select core.is_admin()));

create policy "Users see the messages of their sessions; admins see all" on socrates.messages for select to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Users add messages to their own sessions" on socrates.messages for insert to app_request
  with check (user_id = (select core.current_user_id()));
create policy "Users change the messages of their sessions" on socrates.messages for update to app_request
  using (user_id = (select core.current_user_id())) with check (user_id = (select core.current_user_id()));
create policy "Users delete the messages of their sessions; admins delete any" on socrates.messages for delete to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));

create policy "Owners see their documents; admins see all" on socrates.documents for select to app_request
  using (owner_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Users register documents for themselves" on socrates.documents for insert to app_request
  with check (owner_id = (select core.current_user_id()));
create policy "Owners change their documents" on socrates.documents for update to app_request
  using (owner_id = (select core.current_user_id())) with check (owner_id = (select core.current_user_id()));
create policy "Owners delete their documents; admins delete any" on socrates.documents for delete to app_request
  using (owner_id = (select core.current_user_id()) or (select core.is_admin()));

-- ===== Grants =====
grant select, insert, update, delete on socrates.projects, socrates.sessions, socrates.messages, socrates.documents to app_request;

-- Down Migration

revoke all on socrates.projects, socrates.sessions, socrates.messages, socrates.documents from app_request;
drop table socrates.messages;
drop function socrates.messages_require_active_session();
drop table socrates.documents;
drop table socrates.sessions;
drop table socrates.projects;
drop function core.guard_status_transition();
