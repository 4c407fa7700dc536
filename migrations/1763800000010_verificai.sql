-- VerificAI (seed 000): code-analysis sessions, the user's analysis prompts (configurations),
-- uploaded files, analysis results and the background-task queue. The seed's String ids become
-- UUIDv7, its DateTime columns timestamptz; its users table is core.users (seed 000 has no
-- username: registration takes none). The seed gives columns and relationships and no rules;
-- these are the decisions it left open:
--
--   analysis_sessions
--   * session_name 1-255 characters (the seed's String(255), never empty);
--   * status: created -> uploading -> analyzing -> completed, or failed (from uploading or
--     analyzing), or cancelled (from any unfinished state); the three finished states are
--     final (core.guard_status_transition). completed_at is set exactly when the session is
--     finished (completed, failed or cancelled): a CHECK;
--   * total_files and processed_files are kept by statement triggers on file_uploads (one
--     update per statement, so a 10,000-file registration touches its session once):
--     total_files counts the session's files, processed_files those whose upload_status is
--     processed (failed files are counted by the summary, not here). Nobody else may write
--     them (guard_counters), and 0 <= processed_files <= total_files is a CHECK (which also
--     keeps total_files from going negative);
--   * files may be added only while a session is created or uploading (the counting trigger
--     refuses others, under the session's row lock, so no race slips one in).
--
--   configurations (a user's analysis prompts)
--   * config_type and analysis_results.analysis_type share one enumeration: code_quality,
--     security, performance, best_practices, documentation, custom;
--   * version is history: a prompt is the lineage (user_id, config_type); editing it inserts
--     version n+1 (unique (user_id, config_type, version): two concurrent edits cannot both be
--     n+1, the loser gets CONFLICT) and the older rows stay as they were: the request role may
--     update is_default and nothing else, so a result's configuration_id always names the
--     exact prompt text that produced it. Deleting the newest version lets the next edit reuse
--     its number (results that pointed at it were set to NULL);
--   * at most one default per (user_id, config_type): a partial unique index;
--   * prompt_content 1-100000 characters.
--
--   file_uploads
--   * file_name 1-255, file_path 1-500, file_type 1-100 characters, file_size > 0 (bigint);
--   * a path appears once per session (unique (analysis_session_id, file_path));
--   * upload_status: uploaded (the seed's default) -> processing -> processed or failed;
--     uploaded -> failed (rejected before processing) and failed -> processing (a retry);
--     processed is final;
--   * registering many files is one INSERT ... SELECT FROM unnest(...) statement.
--
--   analysis_results
--   * score numeric(5,2) between 0 and 100; analysis_type as above; file_name 1-255;
--     result_content 1-1000000 characters (kept out of the audit copies, like document text);
--   * status: pending -> running -> completed or failed; pending may also finish at once, and
--     failed may run again; completed is final;
--   * a result's configuration must be of the result's analysis_type: the foreign key is
--     (configuration_id, analysis_type), ON DELETE SET NULL (configuration_id) only, so the
--     value stays when newer versions appear and becomes NULL only when that version is
--     deleted. It must also be a prompt of the session's owner: a foreign key is checked
--     without RLS, so the insert policy checks it.
--
--   analysis_tasks (the work queue, the shape of componentforge.documents' since migration
--   1763800000008)
--   * task_id is the worker system's id (Celery's), 1-255 characters, unique;
--     task_type: file_processing, code_analysis, report_generation;
--   * status: pending -> running (a claim) -> completed or failed, and running -> pending (a
--     reclaim); started_at is set exactly when the task is not pending, completed_at exactly
--     when it is completed or failed, never before started_at; a completed task is at 100;
--   * progress 0-100, only forward (a trigger), except that a reclaim puts the task back to 0;
--   * a claim takes a lease (locked_by, lease_token, lease_expires_at, heartbeat_at: all of it
--     while running, none of it otherwise) and counts the attempt; a task whose lease expired
--     is reclaimed: back to pending, or failed once attempts reach its max_attempts (1-100,
--     default 3, chosen at enqueue), the reason kept in last_error (and error_message when
--     failed). The lease length is the claiming worker's choice (leaseSeconds, 5-86400; the
--     API's default is 300 s).
--
--   all tables: the seed's delete-orphan cascades (a session's files, results and tasks go
--   with it; a user's sessions and prompts with the user), RLS forced (owners see their own
--   rows, admins all; admins act as the analysis workers: they write results, run the task
--   queue and move file statuses), audit and updated_at triggers, an index for every
--   foreign key and for every list query (one statement per filter shape). Files, results
--   and tasks are never deleted by the request role (they leave with their session), results
--   are recorded once (no update grant), and only admins change task rows.

-- Up Migration

-- ===== verificai.analysis_sessions =====
create table verificai.analysis_sessions (
  id              uuid primary key default core.uuidv7(),
  user_id         uuid not null references core.users (id) on delete cascade,
  session_name    text not null,
  status          text not null default 'created',
  completed_at    timestamptz,
  total_files     integer not null default 0,
  processed_files integer not null default 0,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  constraint analysis_sessions_session_name_length check (length(session_name) between 1 and 255),
  constraint analysis_sessions_status_check check (status in ('created', 'uploading', 'analyzing', 'completed', 'failed', 'cancelled')),
  constraint analysis_sessions_completed_at_when_finished check ((status in ('completed', 'failed', 'cancelled')) = (completed_at is not null)),
  constraint analysis_sessions_processed_files_range check (processed_files between 0 and total_files)
);

comment on table verificai.analysis_sessions is 'A code-analysis run over a set of uploaded files (seed 000 analysis_sessions)';
comment on column verificai.analysis_sessions.status is 'created, uploading, analyzing, then completed, failed or cancelled (final)';
comment on column verificai.analysis_sessions.completed_at is 'When the session finished (completed, failed or cancelled); set exactly then';
comment on column verificai.analysis_sessions.total_files is 'Number of the session''s files, kept by the file_uploads triggers';
comment on column verificai.analysis_sessions.processed_files is 'Number of the session''s files whose upload_status is processed, kept by the file_uploads triggers';

comment on constraint analysis_sessions_user_id_fkey on verificai.analysis_sessions is 'user_id must reference an existing user';
comment on constraint analysis_sessions_session_name_length on verificai.analysis_sessions is 'session_name must be 1-255 characters';
comment on constraint analysis_sessions_status_check on verificai.analysis_sessions is 'status must be created, uploading, analyzing, completed, failed or cancelled';
comment on constraint analysis_sessions_completed_at_when_finished on verificai.analysis_sessions is 'completed_at must be set exactly when the session is completed, failed or cancelled';
comment on constraint analysis_sessions_processed_files_range on verificai.analysis_sessions is 'processed_files must be between 0 and total_files';

-- sessions.list: a user's sessions newest first, optionally of one status (keyset on id); the
-- first also serves the foreign key. Admins' lists walk the primary key down from the cursor
-- and filter on status: a generic plan cannot know which of six statuses is rare, and
-- chooses the primary key over a (status, id) index anyway (test/verificai/plans.test.ts).
create index analysis_sessions_user_list_idx on verificai.analysis_sessions (user_id, id desc);
create index analysis_sessions_user_status_list_idx on verificai.analysis_sessions (user_id, status, id desc);

-- ===== verificai.configurations =====
create table verificai.configurations (
  id             uuid primary key default core.uuidv7(),
  user_id        uuid not null references core.users (id) on delete cascade,
  config_type    text not null,
  prompt_content text not null,
  is_default     boolean not null default false,
  version        integer not null default 1,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  constraint configurations_user_type_version_key unique (user_id, config_type, version),
  -- Target of the results' (configuration_id, analysis_type) foreign key.
  constraint configurations_id_type_key unique (id, config_type),
  constraint configurations_config_type_check check (config_type in ('code_quality', 'security', 'performance', 'best_practices', 'documentation', 'custom')),
  constraint configurations_prompt_content_length check (length(prompt_content) between 1 and 100000),
  constraint configurations_version_positive check (version >= 1)
);

comment on table verificai.configurations is 'A user''s analysis prompts, one lineage per config_type, every version kept (seed 000 configurations)';
comment on column verificai.configurations.config_type is 'code_quality, security, performance, best_practices, documentation or custom';
comment on column verificai.configurations.is_default is 'The version analyses of this type use by default; at most one per user and config_type';
comment on column verificai.configurations.version is 'Version within (user_id, config_type), from 1; an edit adds version n+1 and keeps the older ones unchanged';

comment on constraint configurations_user_id_fkey on verificai.configurations is 'user_id must reference an existing user';
comment on constraint configurations_user_type_version_key on verificai.configurations is 'this version of the prompt type already exists: add versions with newVersion (a concurrent edit may have taken it first)';
comment on constraint configurations_id_type_key on verificai.configurations is 'configuration id and type pair is already taken';
comment on constraint configurations_config_type_check on verificai.configurations is 'config_type must be code_quality, security, performance, best_practices, documentation or custom';
comment on constraint configurations_prompt_content_length on verificai.configurations is 'prompt_content must be 1-100000 characters';
comment on constraint configurations_version_positive on verificai.configurations is 'version must be 1 or more';

-- At most one default per user and type. Its comment is the API's wording for a lost race.
create unique index configurations_one_default_idx on verificai.configurations (user_id, config_type) where is_default;
comment on index verificai.configurations_one_default_idx is 'is_default must be true for at most one version of a user''s prompt type';
-- The (user_id, config_type, version) key serves the foreign key, "latest version per type"
-- and a type's history, newest version first.

-- ===== verificai.file_uploads =====
create table verificai.file_uploads (
  id                  uuid primary key default core.uuidv7(),
  analysis_session_id uuid not null references verificai.analysis_sessions (id) on delete cascade,
  file_name           text not null,
  file_path           text not null,
  file_size           bigint not null,
  file_type           text not null,
  upload_status       text not null default 'uploaded',
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  constraint file_uploads_session_path_key unique (analysis_session_id, file_path),
  constraint file_uploads_file_name_length check (length(file_name) between 1 and 255),
  constraint file_uploads_file_path_length check (length(file_path) between 1 and 500),
  constraint file_uploads_file_size_positive check (file_size > 0),
  constraint file_uploads_file_type_length check (length(file_type) between 1 and 100),
  constraint file_uploads_upload_status_check check (upload_status in ('uploaded', 'processing', 'processed', 'failed'))
);

comment on table verificai.file_uploads is 'Files uploaded into an analysis session (seed 000 file_uploads)';
comment on column verificai.file_uploads.file_path is 'Where the file is stored; unique within its session';
comment on column verificai.file_uploads.file_size is 'Size in bytes';
comment on column verificai.file_uploads.file_type is 'MIME type or extension of the file, e.g. text/x-python';
comment on column verificai.file_uploads.upload_status is 'uploaded, processing, then processed (final) or failed (may be retried)';

comment on constraint file_uploads_analysis_session_id_fkey on verificai.file_uploads is 'analysis_session_id must reference an existing analysis session';
comment on constraint file_uploads_session_path_key on verificai.file_uploads is 'file_path is already registered in this session';
comment on constraint file_uploads_file_name_length on verificai.file_uploads is 'file_name must be 1-255 characters';
comment on constraint file_uploads_file_path_length on verificai.file_uploads is 'file_path must be 1-500 characters';
comment on constraint file_uploads_file_size_positive on verificai.file_uploads is 'file_size must be a positive number of bytes';
comment on constraint file_uploads_file_type_length on verificai.file_uploads is 'file_type must be 1-100 characters';
comment on constraint file_uploads_upload_status_check on verificai.file_uploads is 'upload_status must be uploaded, processing, processed or failed';

-- files.list: a session's files in upload order, optionally of one status (keyset on id). The
-- first also serves the foreign key; the second the summary's counts by status.
create index file_uploads_session_list_idx on verificai.file_uploads (analysis_session_id, id);
create index file_uploads_session_status_list_idx on verificai.file_uploads (analysis_session_id, upload_status, id);

-- ===== verificai.analysis_results =====
create table verificai.analysis_results (
  id                  uuid primary key default core.uuidv7(),
  analysis_session_id uuid not null references verificai.analysis_sessions (id) on delete cascade,
  configuration_id    uuid,
  analysis_type       text not null,
  file_name           text,
  result_content      text not null,
  score               numeric(5, 2),
  status              text not null default 'pending',
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  -- The exact prompt version, of the result's own type; deleting that version empties
  -- configuration_id alone (analysis_type stays).
  constraint analysis_results_configuration_fkey foreign key (configuration_id, analysis_type)
    references verificai.configurations (id, config_type) on delete set null (configuration_id),
  constraint analysis_results_analysis_type_check check (analysis_type in ('code_quality', 'security', 'performance', 'best_practices', 'documentation', 'custom')),
  constraint analysis_results_file_name_length check (length(file_name) between 1 and 255),
  constraint analysis_results_result_content_length check (length(result_content) between 1 and 1000000),
  constraint analysis_results_score_range check (score between 0 and 100),
  constraint analysis_results_status_check check (status in ('pending', 'running', 'completed', 'failed'))
);

comment on table verificai.analysis_results is 'Findings of one analysis of a session''s code, with the prompt version that produced them (seed 000 analysis_results)';
comment on column verificai.analysis_results.configuration_id is 'The exact prompt version used; NULL when none was, or when that version was deleted';
comment on column verificai.analysis_results.analysis_type is 'code_quality, security, performance, best_practices, documentation or custom';
comment on column verificai.analysis_results.file_name is 'The file analysed, when the result is about one file';
comment on column verificai.analysis_results.score is 'Score from 0 to 100 with two decimals';
comment on column verificai.analysis_results.status is 'pending, running, then completed (final) or failed (may run again)';

comment on constraint analysis_results_analysis_session_id_fkey on verificai.analysis_results is 'analysis_session_id must reference an existing analysis session';
comment on constraint analysis_results_configuration_fkey on verificai.analysis_results is 'configuration_id must reference an existing configuration of the same type as analysis_type';
comment on constraint analysis_results_analysis_type_check on verificai.analysis_results is 'analysis_type must be code_quality, security, performance, best_practices, documentation or custom';
comment on constraint analysis_results_file_name_length on verificai.analysis_results is 'file_name must be 1-255 characters';
comment on constraint analysis_results_result_content_length on verificai.analysis_results is 'result_content must be 1-1000000 characters';
comment on constraint analysis_results_score_range on verificai.analysis_results is 'score must be between 0 and 100';
comment on constraint analysis_results_status_check on verificai.analysis_results is 'status must be pending, running, completed or failed';

-- results.list: a session's results newest first, by type and/or status (keyset on id). The
-- first serves the foreign key and the type-and-status shape (status filtered among the
-- type's rows), the type index the score statistics per type.
create index analysis_results_session_list_idx on verificai.analysis_results (analysis_session_id, id desc);
create index analysis_results_session_type_list_idx on verificai.analysis_results (analysis_session_id, analysis_type, id desc);
create index analysis_results_session_status_list_idx on verificai.analysis_results (analysis_session_id, status, id desc);
-- The configuration foreign key's SET NULL finds a version's results through this.
create index analysis_results_configuration_idx on verificai.analysis_results (configuration_id, analysis_type);

-- ===== verificai.analysis_tasks =====
create table verificai.analysis_tasks (
  id                  uuid primary key default core.uuidv7(),
  analysis_session_id uuid not null references verificai.analysis_sessions (id) on delete cascade,
  task_id             text not null,
  task_type           text not null,
  status              text not null default 'pending',
  progress            integer not null default 0,
  error_message       text,
  started_at          timestamptz,
  completed_at        timestamptz,
  attempts            integer not null default 0,
  max_attempts        integer not null default 3,
  locked_by           text,
  lease_token         uuid,
  lease_expires_at    timestamptz,
  heartbeat_at        timestamptz,
  last_error          text,
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  constraint analysis_tasks_task_id_key unique (task_id),
  constraint analysis_tasks_task_id_length check (length(task_id) between 1 and 255),
  constraint analysis_tasks_task_type_check check (task_type in ('file_processing', 'code_analysis', 'report_generation')),
  constraint analysis_tasks_status_check check (status in ('pending', 'running', 'completed', 'failed')),
  constraint analysis_tasks_progress_range check (progress between 0 and 100),
  constraint analysis_tasks_completed_at_full_progress check (status <> 'completed' or progress = 100),
  constraint analysis_tasks_error_message_length check (length(error_message) between 1 and 2000),
  constraint analysis_tasks_error_message_when_failed check (error_message is null or status = 'failed'),
  constraint analysis_tasks_started_at_when_started check ((status = 'pending') = (started_at is null)),
  constraint analysis_tasks_completed_at_when_finished check ((status in ('completed', 'failed')) = (completed_at is not null)),
  constraint analysis_tasks_completed_after_started check (completed_at >= started_at),
  constraint analysis_tasks_attempts_nonnegative check (attempts >= 0),
  constraint analysis_tasks_max_attempts_range check (max_attempts between 1 and 100),
  constraint analysis_tasks_locked_by_length check (length(locked_by) between 1 and 200),
  constraint analysis_tasks_last_error_length check (length(last_error) between 1 and 2000),
  -- The lease is all or nothing, and exactly the running tasks hold one.
  constraint analysis_tasks_lease_when_running check (
    case when status = 'running'
         then num_nulls(locked_by, lease_token, lease_expires_at, heartbeat_at) = 0
         else num_nulls(locked_by, lease_token, lease_expires_at, heartbeat_at) = 4
    end),
  constraint analysis_tasks_attempt_counted check (status <> 'running' or attempts > 0)
);

comment on table verificai.analysis_tasks is 'Background analysis tasks of a session, run by workers through a leased queue (seed 000 analysis_tasks)';
comment on column verificai.analysis_tasks.task_id is 'The worker system''s id for the task (e.g. a Celery task id); unique';
comment on column verificai.analysis_tasks.task_type is 'file_processing, code_analysis or report_generation';
comment on column verificai.analysis_tasks.status is 'pending (queued), running (claimed under a lease), completed or failed';
comment on column verificai.analysis_tasks.progress is 'Percent done, 0-100; only moves forward (a reclaim restarts it at 0)';
comment on column verificai.analysis_tasks.error_message is 'Why the task failed for good; set only on failed tasks';
comment on column verificai.analysis_tasks.started_at is 'When the current or last attempt started; NULL exactly while pending';
comment on column verificai.analysis_tasks.completed_at is 'When the task completed or failed; set exactly then';
comment on column verificai.analysis_tasks.attempts is 'How many times a worker has claimed the task';
comment on column verificai.analysis_tasks.max_attempts is 'Claims whose lease may expire before the task is failed for good';
comment on column verificai.analysis_tasks.locked_by is 'The worker holding the lease (its own name for itself); set only while running';
comment on column verificai.analysis_tasks.lease_token is 'Secret of the current claim: heartbeat, progress, complete and fail must present it';
comment on column verificai.analysis_tasks.lease_expires_at is 'The lease ends here unless renewed by a heartbeat; after it the task may be reclaimed';
comment on column verificai.analysis_tasks.heartbeat_at is 'When the worker last renewed its lease (or claimed)';
comment on column verificai.analysis_tasks.last_error is 'Why the latest attempt ended without completing; kept through retries';

comment on constraint analysis_tasks_analysis_session_id_fkey on verificai.analysis_tasks is 'analysis_session_id must reference an existing analysis session';
comment on constraint analysis_tasks_task_id_key on verificai.analysis_tasks is 'task_id is already taken by another task';
comment on constraint analysis_tasks_task_id_length on verificai.analysis_tasks is 'task_id must be 1-255 characters';
comment on constraint analysis_tasks_task_type_check on verificai.analysis_tasks is 'task_type must be file_processing, code_analysis or report_generation';
comment on constraint analysis_tasks_status_check on verificai.analysis_tasks is 'status must be pending, running, completed or failed';
comment on constraint analysis_tasks_progress_range on verificai.analysis_tasks is 'progress must be between 0 and 100';
comment on constraint analysis_tasks_completed_at_full_progress on verificai.analysis_tasks is 'a completed task must be at progress 100';
comment on constraint analysis_tasks_error_message_length on verificai.analysis_tasks is 'error_message must be 1-2000 characters';
comment on constraint analysis_tasks_error_message_when_failed on verificai.analysis_tasks is 'error_message must be empty unless the task failed';
comment on constraint analysis_tasks_started_at_when_started on verificai.analysis_tasks is 'started_at must be set exactly when the task is no longer pending';
comment on constraint analysis_tasks_completed_at_when_finished on verificai.analysis_tasks is 'completed_at must be set exactly when the task is completed or failed';
comment on constraint analysis_tasks_completed_after_started on verificai.analysis_tasks is 'completed_at cannot be before started_at';
comment on constraint analysis_tasks_attempts_nonnegative on verificai.analysis_tasks is 'attempts cannot be negative';
comment on constraint analysis_tasks_max_attempts_range on verificai.analysis_tasks is 'max_attempts must be between 1 and 100';
comment on constraint analysis_tasks_locked_by_length on verificai.analysis_tasks is 'locked_by must be 1-200 characters';
comment on constraint analysis_tasks_last_error_length on verificai.analysis_tasks is 'last_error must be 1-2000 characters';
comment on constraint analysis_tasks_lease_when_running on verificai.analysis_tasks is 'a running task holds a lease (locked_by, lease_token, lease_expires_at, heartbeat_at) and no other task does';
comment on constraint analysis_tasks_attempt_counted on verificai.analysis_tasks is 'a running task must count its attempt';

-- tasks.list: a session's tasks newest first (keyset on id); also the foreign key's index.
create index analysis_tasks_session_list_idx on verificai.analysis_tasks (analysis_session_id, id desc);
-- The queue: pending tasks oldest first (ids are time-ordered), without reading the others.
create index analysis_tasks_pending_idx on verificai.analysis_tasks (id) where status = 'pending';
-- Reclaim: the expired leases, found without reading the rest of the table.
create index analysis_tasks_lease_expires_idx on verificai.analysis_tasks (lease_expires_at) where status = 'running';

-- ===== Counters kept by the database =====
-- Per statement, from the transition tables (set n = n + k, one update per session): a
-- 10,000-file registration updates its session once, and concurrent writers queue on the
-- session's row lock instead of overwriting each other's counts. The function runs as the
-- caller, so RLS applies: whoever may add or move a file may update its session.
create function verificai.file_uploads_count() returns trigger
language plpgsql
as $$
declare
  v_closed text;
begin
  if tg_op = 'INSERT' then
    -- The new files' sessions must still take files; checked on the locked, updated rows.
    with bumped as (
      update verificai.analysis_sessions s
         set total_files = s.total_files + n.added,
             processed_files = s.processed_files + n.processed
        from (select analysis_session_id, count(*)::int as added,
                     count(*) filter (where upload_status = 'processed')::int as processed
                from new_files group by analysis_session_id) n
       where s.id = n.analysis_session_id
      returning s.status
    )
    select min(status) into v_closed from bumped where status not in ('created', 'uploading');
    if v_closed is not null then
      raise exception 'files can be added only while the analysis session is created or uploading, not %', v_closed
        using errcode = 'check_violation', column = 'analysis_session_id';
    end if;
  elsif tg_op = 'DELETE' then
    -- When the session itself is being deleted (cascade) there is nothing left to update.
    update verificai.analysis_sessions s
       set total_files = s.total_files - n.removed,
           processed_files = s.processed_files - n.processed
      from (select analysis_session_id, count(*)::int as removed,
                   count(*) filter (where upload_status = 'processed')::int as processed
              from old_files group by analysis_session_id) n
     where s.id = n.analysis_session_id;
  else
    -- Only upload_status may change (column grants): the files that moved into or out of processed.
    update verificai.analysis_sessions s
       set processed_files = s.processed_files + n.delta
      from (select o.analysis_session_id,
                   sum((nf.upload_status = 'processed')::int - (o.upload_status = 'processed')::int)::int as delta
              from old_files o join new_files nf on nf.id = o.id
             where nf.upload_status is distinct from o.upload_status
             group by o.analysis_session_id) n
     where s.id = n.analysis_session_id and n.delta <> 0;
  end if;
  return null;
end
$$;
comment on function verificai.file_uploads_count() is 'AFTER statement trigger on file_uploads: keeps analysis_sessions.total_files and processed_files, and refuses files for a session past uploading';

create trigger file_uploads_count_insert
  after insert on verificai.file_uploads
  referencing new table as new_files
  for each statement execute function verificai.file_uploads_count();
create trigger file_uploads_count_update
  after update on verificai.file_uploads
  referencing old table as old_files new table as new_files
  for each statement execute function verificai.file_uploads_count();
create trigger file_uploads_count_delete
  after delete on verificai.file_uploads
  referencing old table as old_files
  for each statement execute function verificai.file_uploads_count();

-- The counters are the triggers' alone (the shared guard of migration 1763800000004).
create trigger analysis_sessions_guard_counters
  before update of total_files, processed_files on verificai.analysis_sessions
  for each row execute function componentforge.guard_counters('total_files', 'processed_files');

-- ===== Progress only moves forward =====
create function verificai.analysis_tasks_progress_forward() returns trigger
language plpgsql
as $$
begin
  -- A reclaim (running -> pending) starts the next attempt from 0.
  if new.progress < old.progress and not (old.status = 'running' and new.status = 'pending') then
    raise exception 'progress cannot go back from % to %', old.progress, new.progress
      using errcode = 'check_violation', column = 'progress';
  end if;
  return new;
end
$$;
comment on function verificai.analysis_tasks_progress_forward() is 'BEFORE UPDATE trigger on analysis_tasks: progress never decreases, except when a reclaim puts the task back to pending';

create trigger analysis_tasks_progress_forward
  before update of progress on verificai.analysis_tasks
  for each row execute function verificai.analysis_tasks_progress_forward();

-- ===== Status lifecycles =====
create trigger analysis_sessions_status_transition
  before update of status on verificai.analysis_sessions
  for each row execute function core.guard_status_transition('status',
    'created>uploading', 'uploading>analyzing', 'analyzing>completed',
    'uploading>failed', 'analyzing>failed',
    'created>cancelled', 'uploading>cancelled', 'analyzing>cancelled');
create trigger file_uploads_upload_status_transition
  before update of upload_status on verificai.file_uploads
  for each row execute function core.guard_status_transition('upload_status',
    'uploaded>processing', 'uploaded>failed', 'processing>processed', 'processing>failed', 'failed>processing');
create trigger analysis_results_status_transition
  before update of status on verificai.analysis_results
  for each row execute function core.guard_status_transition('status',
    'pending>running', 'pending>completed', 'pending>failed', 'running>completed', 'running>failed', 'failed>running');
create trigger analysis_tasks_status_transition
  before update of status on verificai.analysis_tasks
  for each row execute function core.guard_status_transition('status',
    'pending>running', 'running>completed', 'running>failed', 'running>pending');

-- ===== updated_at and audit triggers =====
create trigger analysis_sessions_touch_updated_at
  before update on verificai.analysis_sessions
  for each row execute function core.touch_updated_at();
select core.attach_audit('verificai.analysis_sessions');

create trigger configurations_touch_updated_at
  before update on verificai.configurations
  for each row execute function core.touch_updated_at();
select core.attach_audit('verificai.configurations');

create trigger file_uploads_touch_updated_at
  before update on verificai.file_uploads
  for each row execute function core.touch_updated_at();
select core.attach_audit('verificai.file_uploads');

create trigger analysis_results_touch_updated_at
  before update on verificai.analysis_results
  for each row execute function core.touch_updated_at();
-- A result's content (up to a million characters) is the analysis itself, not a change anyone
-- needs to audit: copying it would make the log the biggest table.
select core.attach_audit('verificai.analysis_results', 'result_content');

create trigger analysis_tasks_touch_updated_at
  before update on verificai.analysis_tasks
  for each row execute function core.touch_updated_at();
select core.attach_audit('verificai.analysis_tasks');

-- ===== Row-level security =====
-- Owner rows: a user's own sessions and prompts, and the files, results and tasks of their
-- sessions. Admins see all; admins also act as the analysis workers: they update sessions and
-- files, record results and run the task queue.
alter table verificai.analysis_sessions enable row level security;
alter table verificai.analysis_sessions force row level security;

create policy "Users see their own analysis sessions; admins see all"
  on verificai.analysis_sessions for select to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Users start analysis sessions only as themselves"
  on verificai.analysis_sessions for insert to app_request
  with check (user_id = (select core.current_user_id()));
create policy "Users update their own analysis sessions; admins update any"
  on verificai.analysis_sessions for update to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()))
  with check (user_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Users delete their own analysis sessions; admins delete any"
  on verificai.analysis_sessions for delete to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));

alter table verificai.configurations enable row level security;
alter table verificai.configurations force row level security;

create policy "Users see their own prompts; admins see all"
  on verificai.configurations for select to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Users write prompts only as themselves"
  on verificai.configurations for insert to app_request
  with check (user_id = (select core.current_user_id()));
create policy "Users choose the defaults among their own prompts"
  on verificai.configurations for update to app_request
  using (user_id = (select core.current_user_id()))
  with check (user_id = (select core.current_user_id()));
create policy "Users delete their own prompts; admins delete any"
  on verificai.configurations for delete to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));

alter table verificai.file_uploads enable row level security;
alter table verificai.file_uploads force row level security;

create policy "Files are visible to their session's owner and to admins"
  on verificai.file_uploads for select to app_request
  using ((select core.is_admin())
         or exists (select from verificai.analysis_sessions s
                     where s.id = analysis_session_id and s.user_id = (select core.current_user_id())));
create policy "Files are registered only into the caller's own sessions"
  on verificai.file_uploads for insert to app_request
  with check (exists (select from verificai.analysis_sessions s
                       where s.id = analysis_session_id and s.user_id = (select core.current_user_id())));
create policy "Files are moved along by their session's owner or an admin"
  on verificai.file_uploads for update to app_request
  using ((select core.is_admin())
         or exists (select from verificai.analysis_sessions s
                     where s.id = analysis_session_id and s.user_id = (select core.current_user_id())))
  with check ((select core.is_admin())
              or exists (select from verificai.analysis_sessions s
                          where s.id = analysis_session_id and s.user_id = (select core.current_user_id())));

alter table verificai.analysis_results enable row level security;
alter table verificai.analysis_results force row level security;

create policy "Results are visible to their session's owner and to admins"
  on verificai.analysis_results for select to app_request
  using ((select core.is_admin())
         or exists (select from verificai.analysis_sessions s
                     where s.id = analysis_session_id and s.user_id = (select core.current_user_id())));
-- A result's prompt must be one of the session owner's: the foreign key alone would accept
-- another user's prompt (it is checked without RLS).
create policy "Results are recorded by the session's owner or an admin"
  on verificai.analysis_results for insert to app_request
  with check (exists (select from verificai.analysis_sessions s
                       where s.id = analysis_session_id
                         and (s.user_id = (select core.current_user_id()) or (select core.is_admin()))
                         and (configuration_id is null
                              or exists (select from verificai.configurations c
                                          where c.id = configuration_id and c.user_id = s.user_id))));

alter table verificai.analysis_tasks enable row level security;
alter table verificai.analysis_tasks force row level security;

create policy "Tasks are visible to their session's owner and to admins"
  on verificai.analysis_tasks for select to app_request
  using ((select core.is_admin())
         or exists (select from verificai.analysis_sessions s
                     where s.id = analysis_session_id and s.user_id = (select core.current_user_id())));
create policy "Tasks are queued by the session's owner or an admin"
  on verificai.analysis_tasks for insert to app_request
  with check ((select core.is_admin())
              or exists (select from verificai.analysis_sessions s
                          where s.id = analysis_session_id and s.user_id = (select core.current_user_id())));
create policy "Admins (the workers) run the tasks"
  on verificai.analysis_tasks for update to app_request
  using ((select core.is_admin())) with check ((select core.is_admin()));

-- ===== Grants =====
grant select, insert, update, delete on verificai.analysis_sessions to app_request;
-- A prompt version is history: only which version is the default may change.
grant select, insert, delete on verificai.configurations to app_request;
grant update (is_default) on verificai.configurations to app_request;
-- Files are registered and moved along; they leave with their session.
grant select, insert on verificai.file_uploads to app_request;
grant update (upload_status) on verificai.file_uploads to app_request;
-- Results are recorded once; they leave with their session.
grant select, insert on verificai.analysis_results to app_request;
-- Tasks are queued, then only the queue's columns change; they leave with their session.
grant select, insert on verificai.analysis_tasks to app_request;
grant update (status, progress, error_message, started_at, completed_at, attempts, locked_by, lease_token,
              lease_expires_at, heartbeat_at, last_error) on verificai.analysis_tasks to app_request;

-- Down Migration

drop table verificai.analysis_tasks;
drop table verificai.analysis_results;
drop table verificai.file_uploads;
drop table verificai.configurations;
drop table verificai.analysis_sessions;
drop function verificai.analysis_tasks_progress_forward();
drop function verificai.file_uploads_count();
