-- ComponentForge (seed 004): RAG documents and their chunks, threaded conversations, the
-- embedding-model and evaluation-run catalogs, and Epic 2 requirement exports. The seed's
-- integer ids become UUIDv7; its users table is core.users. Counters (chunk_count,
-- message_count, total_tokens_used) are kept by triggers, so they stay exact whoever writes.

-- Up Migration

-- ===== componentforge.documents =====
create table componentforge.documents (
  id                uuid primary key default core.uuidv7(),
  user_id           uuid not null references core.users (id) on delete cascade,
  title             text not null,
  filename          text not null,
  file_path         text not null,
  content_type      text,
  processing_status text not null default 'pending',
  processing_error  text,
  extracted_text    text,
  embedding_model   text,
  chunk_count       integer not null default 0,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  constraint documents_title_length check (length(title) between 1 and 500),
  constraint documents_filename_length check (length(filename) between 1 and 500),
  constraint documents_file_path_length check (length(file_path) between 1 and 1000),
  constraint documents_content_type_length check (length(content_type) between 1 and 100),
  constraint documents_processing_status_check check (processing_status in ('pending', 'processing', 'completed', 'failed')),
  constraint documents_processing_error_length check (length(processing_error) between 1 and 2000),
  constraint documents_processing_error_when_failed check (processing_error is null or processing_status = 'failed'),
  constraint documents_embedding_model_length check (length(embedding_model) between 1 and 100),
  constraint documents_chunk_count_nonnegative check (chunk_count >= 0)
);

comment on table componentforge.documents is 'Files uploaded for retrieval-augmented generation (seed 004 documents); processed by workers through a pending -> processing -> completed/failed queue';
comment on column componentforge.documents.content_type is 'MIME type of the uploaded file';
comment on column componentforge.documents.processing_status is 'pending (queued), processing (claimed by a worker), completed or failed';
comment on column componentforge.documents.processing_error is 'Why processing failed; set only on failed documents';
comment on column componentforge.documents.embedding_model is 'Name of the embedding model used for the chunks, e.g. text-embedding-3-small';
comment on column componentforge.documents.chunk_count is 'Number of chunks, kept by the document_chunks triggers';

comment on constraint documents_title_length on componentforge.documents is 'title must be 1-500 characters';
comment on constraint documents_filename_length on componentforge.documents is 'filename must be 1-500 characters';
comment on constraint documents_file_path_length on componentforge.documents is 'file_path must be 1-1000 characters';
comment on constraint documents_content_type_length on componentforge.documents is 'content_type must be 1-100 characters';
comment on constraint documents_processing_status_check on componentforge.documents is 'processing_status must be pending, processing, completed or failed';
comment on constraint documents_processing_error_length on componentforge.documents is 'processing_error must be 1-2000 characters';
comment on constraint documents_processing_error_when_failed on componentforge.documents is 'processing_error must be empty unless the document failed';
comment on constraint documents_embedding_model_length on componentforge.documents is 'embedding_model must be 1-100 characters';
comment on constraint documents_chunk_count_nonnegative on componentforge.documents is 'chunk_count cannot be negative';
comment on constraint documents_user_id_fkey on componentforge.documents is 'user_id must reference an existing user';

-- "A user's documents of a status, newest first" (the seed's ix_documents_user_status_created).
-- Its leading columns also serve the foreign key, the seed's user_id index and the
-- troubleshooting section's (user_id, processing_status) index.
create index documents_user_status_created_idx on componentforge.documents (user_id, processing_status, created_at);
-- The work queue: pending documents oldest first (the seed's processing_status index).
create index documents_status_created_idx on componentforge.documents (processing_status, created_at);

-- ===== componentforge.document_chunks =====
create table componentforge.document_chunks (
  id              uuid primary key default core.uuidv7(),
  document_id     uuid not null references componentforge.documents (id) on delete cascade,
  chunk_index     integer not null,
  content         text not null,
  vector_id       text,
  embedding_model text,
  token_count     integer,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  constraint document_chunks_document_chunk_index_key unique (document_id, chunk_index),
  constraint document_chunks_chunk_index_nonnegative check (chunk_index >= 0),
  constraint document_chunks_content_not_empty check (length(content) > 0),
  constraint document_chunks_vector_id_length check (length(vector_id) between 1 and 100),
  constraint document_chunks_embedding_model_length check (length(embedding_model) between 1 and 100),
  constraint document_chunks_token_count_nonnegative check (token_count >= 0)
);

comment on table componentforge.document_chunks is 'Text chunks of a document, each embedded as one Qdrant point (seed 004 document_chunks)';
comment on column componentforge.document_chunks.chunk_index is 'Position in the document, from 0';
comment on column componentforge.document_chunks.vector_id is 'Qdrant point id of the chunk''s embedding';

comment on constraint document_chunks_document_chunk_index_key on componentforge.document_chunks is 'chunk_index must be unique within its document';
comment on constraint document_chunks_chunk_index_nonnegative on componentforge.document_chunks is 'chunk_index cannot be negative';
comment on constraint document_chunks_content_not_empty on componentforge.document_chunks is 'content must not be empty';
comment on constraint document_chunks_vector_id_length on componentforge.document_chunks is 'vector_id must be 1-100 characters';
comment on constraint document_chunks_embedding_model_length on componentforge.document_chunks is 'embedding_model must be 1-100 characters';
comment on constraint document_chunks_token_count_nonnegative on componentforge.document_chunks is 'token_count cannot be negative';
comment on constraint document_chunks_document_id_fkey on componentforge.document_chunks is 'document_id must reference an existing document';

-- The unique constraint's index (document_id, chunk_index) also serves the foreign key, the
-- seed's document_id index and "a document's chunks in order".
create index document_chunks_vector_id_idx on componentforge.document_chunks (vector_id);

-- ===== componentforge.conversations =====
create table componentforge.conversations (
  id                uuid primary key default core.uuidv7(),
  user_id           uuid not null references core.users (id) on delete cascade,
  title             text,
  model_name        text not null default 'gpt-4',
  temperature       double precision not null default 0.7,
  status            text not null default 'active',
  message_count     integer not null default 0,
  total_tokens_used integer not null default 0,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  constraint conversations_title_length check (length(title) between 1 and 500),
  constraint conversations_model_name_length check (length(model_name) between 1 and 100),
  constraint conversations_temperature_range check (temperature between 0 and 2),
  constraint conversations_status_check check (status in ('active', 'archived', 'deleted')),
  constraint conversations_message_count_nonnegative check (message_count >= 0),
  constraint conversations_total_tokens_used_nonnegative check (total_tokens_used >= 0)
);

comment on table componentforge.conversations is 'Chat sessions with an LLM, their model settings and token usage (seed 004 conversations)';
comment on column componentforge.conversations.status is 'active, archived or deleted (a soft delete)';
comment on column componentforge.conversations.message_count is 'Number of messages, kept by the messages trigger';
comment on column componentforge.conversations.total_tokens_used is 'Sum of the messages'' total_tokens, kept by the messages trigger';

comment on constraint conversations_title_length on componentforge.conversations is 'title must be 1-500 characters';
comment on constraint conversations_model_name_length on componentforge.conversations is 'model_name must be 1-100 characters';
comment on constraint conversations_temperature_range on componentforge.conversations is 'temperature must be between 0 and 2';
comment on constraint conversations_status_check on componentforge.conversations is 'status must be active, archived or deleted';
comment on constraint conversations_message_count_nonnegative on componentforge.conversations is 'message_count cannot be negative';
comment on constraint conversations_total_tokens_used_nonnegative on componentforge.conversations is 'total_tokens_used cannot be negative';
comment on constraint conversations_user_id_fkey on componentforge.conversations is 'user_id must reference an existing user';

-- The seed's user_id index, extended with id: it also serves the keyset pages of a user's
-- conversations newest first (ids are time-ordered).
create index conversations_user_id_idx on componentforge.conversations (user_id, id);
-- "A user's active conversations, most recently updated first".
create index conversations_user_status_updated_idx on componentforge.conversations (user_id, status, updated_at);
create index conversations_status_idx on componentforge.conversations (status);

-- ===== componentforge.messages =====
-- A reply's parent must belong to the same conversation: the self-reference is the pair
-- (conversation_id, parent_message_id), and deleting a parent empties only
-- parent_message_id (the seed's ON DELETE SET NULL), never conversation_id.
create table componentforge.messages (
  id                uuid primary key default core.uuidv7(),
  conversation_id   uuid not null references componentforge.conversations (id) on delete cascade,
  parent_message_id uuid,
  role              text not null,
  content           text not null,
  prompt_tokens     integer,
  completion_tokens integer,
  total_tokens      integer,
  context_documents jsonb,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  constraint messages_conversation_id_id_key unique (conversation_id, id),
  constraint messages_parent_message_id_fkey foreign key (conversation_id, parent_message_id)
    references componentforge.messages (conversation_id, id) on delete set null (parent_message_id),
  constraint messages_role_check check (role in ('user', 'assistant', 'system')),
  constraint messages_content_not_empty check (length(content) > 0),
  constraint messages_prompt_tokens_nonnegative check (prompt_tokens >= 0),
  constraint messages_completion_tokens_nonnegative check (completion_tokens >= 0),
  constraint messages_total_tokens_nonnegative check (total_tokens >= 0),
  constraint messages_context_documents_array check (jsonb_typeof(context_documents) = 'array')
);

comment on table componentforge.messages is 'Chat messages, threaded through parent_message_id (seed 004 messages)';
comment on column componentforge.messages.parent_message_id is 'The message this one replies to, in the same conversation; NULL for a thread''s root or when the parent was deleted';
comment on column componentforge.messages.role is 'user, assistant or system';
comment on column componentforge.messages.context_documents is 'JSON array of the ids of the documents used as RAG context';

comment on constraint messages_conversation_id_id_key on componentforge.messages is 'a message id is unique within its conversation';
comment on constraint messages_parent_message_id_fkey on componentforge.messages is 'parent_message_id must reference a message of the same conversation';
comment on constraint messages_role_check on componentforge.messages is 'role must be user, assistant or system';
comment on constraint messages_content_not_empty on componentforge.messages is 'content must not be empty';
comment on constraint messages_prompt_tokens_nonnegative on componentforge.messages is 'prompt_tokens cannot be negative';
comment on constraint messages_completion_tokens_nonnegative on componentforge.messages is 'completion_tokens cannot be negative';
comment on constraint messages_total_tokens_nonnegative on componentforge.messages is 'total_tokens cannot be negative';
comment on constraint messages_context_documents_array on componentforge.messages is 'context_documents must be a JSON array';
comment on constraint messages_conversation_id_fkey on componentforge.messages is 'conversation_id must reference an existing conversation';

-- "A conversation's messages in order" (the index the issue and the seed's troubleshooting
-- name). It and the (conversation_id, id) key serve the conversation_id foreign key and the
-- seed's conversation_id index.
create index messages_conversation_created_idx on componentforge.messages (conversation_id, created_at);
-- Threaded replies: the seed's parent_message_id index; it serves the self-reference's
-- SET NULL and each step of the recursive thread query.
create index messages_parent_message_id_idx on componentforge.messages (parent_message_id);

-- ===== componentforge.embedding_models =====
create table componentforge.embedding_models (
  id         uuid primary key default core.uuidv7(),
  name       text not null,
  provider   text not null,
  dimension  integer not null,
  max_tokens integer not null,
  is_active  boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint embedding_models_name_key unique (name),
  constraint embedding_models_name_length check (length(name) between 1 and 100),
  constraint embedding_models_provider_length check (length(provider) between 1 and 50),
  constraint embedding_models_dimension_positive check (dimension > 0),
  constraint embedding_models_max_tokens_positive check (max_tokens > 0)
);

comment on table componentforge.embedding_models is 'Embedding models known to the platform (seed 004 embedding_models); global, read by every signed-in user, written by admins';
comment on column componentforge.embedding_models.dimension is 'Length of the model''s vectors, e.g. 1536';
comment on column componentforge.embedding_models.max_tokens is 'Longest input the model accepts, in tokens';
comment on column componentforge.embedding_models.is_active is 'The model new embeddings use; at most one is active';

comment on constraint embedding_models_name_key on componentforge.embedding_models is 'name is already taken by another embedding model';
comment on constraint embedding_models_name_length on componentforge.embedding_models is 'name must be 1-100 characters';
comment on constraint embedding_models_provider_length on componentforge.embedding_models is 'provider must be 1-50 characters';
comment on constraint embedding_models_dimension_positive on componentforge.embedding_models is 'dimension must be a positive number';
comment on constraint embedding_models_max_tokens_positive on componentforge.embedding_models is 'max_tokens must be a positive number';

-- At most one active model: a unique index over the active rows only. Its comment is the
-- API's wording when a second model is activated concurrently.
create unique index embedding_models_one_active_idx on componentforge.embedding_models (is_active) where is_active;
comment on index componentforge.embedding_models_one_active_idx is 'is_active must be true for at most one embedding model';

-- ===== componentforge.evaluation_runs =====
create table componentforge.evaluation_runs (
  id           uuid primary key default core.uuidv7(),
  name         text not null,
  description  text,
  model_name   text not null,
  dataset_name text,
  config       jsonb,
  status       text not null default 'pending',
  metrics      jsonb,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  constraint evaluation_runs_name_length check (length(name) between 1 and 200),
  constraint evaluation_runs_description_length check (length(description) <= 5000),
  constraint evaluation_runs_model_name_length check (length(model_name) between 1 and 100),
  constraint evaluation_runs_dataset_name_length check (length(dataset_name) between 1 and 200),
  constraint evaluation_runs_config_object check (jsonb_typeof(config) = 'object'),
  constraint evaluation_runs_status_check check (status in ('pending', 'running', 'completed', 'failed')),
  constraint evaluation_runs_metrics_object check (jsonb_typeof(metrics) = 'object')
);

comment on table componentforge.evaluation_runs is 'Quality and performance evaluations of AI models (seed 004 evaluation_runs); global, read by every signed-in user, written by admins';
comment on column componentforge.evaluation_runs.config is 'Evaluation parameters as a JSON object (temperature, max_tokens, test_cases, ...)';
comment on column componentforge.evaluation_runs.status is 'pending, running, completed or failed';
comment on column componentforge.evaluation_runs.metrics is 'Results as a JSON object (accuracy, f1_score, avg_latency_ms, ...)';

comment on constraint evaluation_runs_name_length on componentforge.evaluation_runs is 'name must be 1-200 characters';
comment on constraint evaluation_runs_description_length on componentforge.evaluation_runs is 'description must be at most 5000 characters';
comment on constraint evaluation_runs_model_name_length on componentforge.evaluation_runs is 'model_name must be 1-100 characters';
comment on constraint evaluation_runs_dataset_name_length on componentforge.evaluation_runs is 'dataset_name must be 1-200 characters';
comment on constraint evaluation_runs_config_object on componentforge.evaluation_runs is 'config must be a JSON object';
comment on constraint evaluation_runs_status_check on componentforge.evaluation_runs is 'status must be pending, running, completed or failed';
comment on constraint evaluation_runs_metrics_object on componentforge.evaluation_runs is 'metrics must be a JSON object';

-- The seed's status index, with id so that a status's runs page newest first.
create index evaluation_runs_status_idx on componentforge.evaluation_runs (status, id);

-- ===== componentforge.requirement_exports =====
create table componentforge.requirement_exports (
  id                        uuid primary key default core.uuidv7(),
  user_id                   uuid not null references core.users (id) on delete cascade,
  component_type            text not null,
  requirements              jsonb not null,
  approved_count            integer not null default 0,
  edited_count              integer not null default 0,
  custom_added_count        integer not null default 0,
  proposal_latency_ms       integer,
  used_in_pattern_retrieval boolean not null default false,
  used_in_code_generation   boolean not null default false,
  created_at                timestamptz not null default now(),
  updated_at                timestamptz not null default now(),
  constraint requirement_exports_component_type_length check (length(component_type) between 1 and 100),
  constraint requirement_exports_requirements_object check (jsonb_typeof(requirements) = 'object'),
  constraint requirement_exports_approved_count_nonnegative check (approved_count >= 0),
  constraint requirement_exports_edited_count_nonnegative check (edited_count >= 0),
  constraint requirement_exports_custom_added_count_nonnegative check (custom_added_count >= 0),
  constraint requirement_exports_proposal_latency_ms_nonnegative check (proposal_latency_ms >= 0)
);

comment on table componentforge.requirement_exports is 'Epic 2 requirement extraction results with their approval metrics and latency (seed 004 requirement_exports)';
comment on column componentforge.requirement_exports.component_type is 'The component the requirements are for, e.g. Button or Card';
comment on column componentforge.requirement_exports.requirements is 'The extracted requirements as a JSON object (props, events, states, accessibility)';
comment on column componentforge.requirement_exports.approved_count is 'Proposals approved as they were';
comment on column componentforge.requirement_exports.edited_count is 'Proposals the user edited';
comment on column componentforge.requirement_exports.custom_added_count is 'Requirements the user added';
comment on column componentforge.requirement_exports.proposal_latency_ms is 'Time taken to generate the proposals, in milliseconds';

comment on constraint requirement_exports_component_type_length on componentforge.requirement_exports is 'component_type must be 1-100 characters';
comment on constraint requirement_exports_requirements_object on componentforge.requirement_exports is 'requirements must be a JSON object';
comment on constraint requirement_exports_approved_count_nonnegative on componentforge.requirement_exports is 'approved_count cannot be negative';
comment on constraint requirement_exports_edited_count_nonnegative on componentforge.requirement_exports is 'edited_count cannot be negative';
comment on constraint requirement_exports_custom_added_count_nonnegative on componentforge.requirement_exports is 'custom_added_count cannot be negative';
comment on constraint requirement_exports_proposal_latency_ms_nonnegative on componentforge.requirement_exports is 'proposal_latency_ms cannot be negative';
comment on constraint requirement_exports_user_id_fkey on componentforge.requirement_exports is 'user_id must reference an existing user';

create index requirement_exports_user_id_idx on componentforge.requirement_exports (user_id);
-- The seed's component_type index, with created_at: "exports of a component, newest first".
create index requirement_exports_component_created_idx on componentforge.requirement_exports (component_type, created_at);
-- "Fast exports": those under a latency bound, fastest first.
create index requirement_exports_latency_idx on componentforge.requirement_exports (proposal_latency_ms);

-- ===== Counters kept by the database =====
-- One statement per change (set n = n + k): concurrent writers queue on the parent row's
-- lock instead of overwriting each other's counts. The functions run as the caller, so RLS
-- applies: whoever may add a child row may update its parent (see the policies below).

-- Per statement, from the transition table: a bulk insert of thousands of chunks updates its
-- document once.
create function componentforge.document_chunks_count() returns trigger
language plpgsql
as $$
begin
  if tg_op = 'INSERT' then
    update componentforge.documents d
       set chunk_count = d.chunk_count + n.added
      from (select document_id, count(*)::int as added from changed_chunks group by document_id) n
     where d.id = n.document_id;
  else
    update componentforge.documents d
       set chunk_count = d.chunk_count - n.removed
      from (select document_id, count(*)::int as removed from changed_chunks group by document_id) n
     where d.id = n.document_id;
  end if;
  return null;
end
$$;
comment on function componentforge.document_chunks_count() is 'AFTER statement trigger on document_chunks: adds inserted and subtracts deleted chunks to documents.chunk_count';

create function componentforge.messages_count() returns trigger
language plpgsql
as $$
begin
  if tg_op = 'INSERT' then
    update componentforge.conversations
       set message_count = message_count + 1,
           total_tokens_used = total_tokens_used + coalesce(new.total_tokens, 0)
     where id = new.conversation_id;
  else
    -- When the conversation itself is being deleted (cascade) there is nothing to update.
    update componentforge.conversations
       set message_count = message_count - 1,
           total_tokens_used = total_tokens_used - coalesce(old.total_tokens, 0)
     where id = old.conversation_id;
  end if;
  return null;
end
$$;
comment on function componentforge.messages_count() is 'AFTER row trigger on messages: keeps conversations.message_count and total_tokens_used';


create trigger document_chunks_count_insert
  after insert on componentforge.document_chunks
  referencing new table as changed_chunks
  for each statement execute function componentforge.document_chunks_count();
create trigger document_chunks_count_delete
  after delete on componentforge.document_chunks
  referencing old table as changed_chunks
  for each statement execute function componentforge.document_chunks_count();
create trigger messages_count
  after insert or delete on componentforge.messages
  for each row execute function componentforge.messages_count();

-- The counters are the triggers' alone: an owner may update their document or conversation,
-- but a direct change of a counter (not from inside a trigger) is refused.
create function componentforge.guard_counters() returns trigger
language plpgsql
as $$
declare
  v_column text;
begin
  if pg_trigger_depth() = 1 then
    foreach v_column in array tg_argv loop
      if (to_jsonb(new) -> v_column) is distinct from (to_jsonb(old) -> v_column) then
        raise exception '% is kept by the database and cannot be set', v_column
          using errcode = 'insufficient_privilege', column = v_column;
      end if;
    end loop;
  end if;
  return new;
end
$$;
comment on function componentforge.guard_counters() is 'BEFORE UPDATE trigger: refuses changes of the named counter columns except from the counting triggers';

create trigger documents_guard_counters
  before update of chunk_count on componentforge.documents
  for each row execute function componentforge.guard_counters('chunk_count');
create trigger conversations_guard_counters
  before update of message_count, total_tokens_used on componentforge.conversations
  for each row execute function componentforge.guard_counters('message_count', 'total_tokens_used');

-- The processing queue's moves: claimed, then completed or failed (an upload may be created completed).
create trigger documents_processing_status_transition
  before update of processing_status on componentforge.documents
  for each row execute function core.guard_status_transition('processing_status',
    'pending>processing', 'processing>completed', 'processing>failed');

-- ===== updated_at and audit triggers =====
create trigger documents_touch_updated_at
  before update on componentforge.documents
  for each row execute function core.touch_updated_at();
-- The extracted text (up to 10 MB) and each chunk's content are the document itself, not a
-- change anyone needs to audit; copying them would make the log the biggest table.
select core.attach_audit('componentforge.documents', 'extracted_text');

create trigger document_chunks_touch_updated_at
  before update on componentforge.document_chunks
  for each row execute function core.touch_updated_at();
select core.attach_audit('componentforge.document_chunks', 'content');

create trigger conversations_touch_updated_at
  before update on componentforge.conversations
  for each row execute function core.touch_updated_at();
select core.attach_audit('componentforge.conversations');

create trigger messages_touch_updated_at
  before update on componentforge.messages
  for each row execute function core.touch_updated_at();
select core.attach_audit('componentforge.messages');

create trigger embedding_models_touch_updated_at
  before update on componentforge.embedding_models
  for each row execute function core.touch_updated_at();
select core.attach_audit('componentforge.embedding_models');

create trigger evaluation_runs_touch_updated_at
  before update on componentforge.evaluation_runs
  for each row execute function core.touch_updated_at();
select core.attach_audit('componentforge.evaluation_runs');

create trigger requirement_exports_touch_updated_at
  before update on componentforge.requirement_exports
  for each row execute function core.touch_updated_at();
select core.attach_audit('componentforge.requirement_exports');

-- ===== Row-level security =====
-- Owner rows: a user's own documents, conversations and exports, and the chunks and
-- messages under them. Admins see all; admins also act as the processing workers, so they
-- may update documents and write chunks, but only owners add messages or create rows.
-- Global catalogs (embedding models, evaluation runs): every signed-in user reads, admins write.
alter table componentforge.documents enable row level security;
alter table componentforge.documents force row level security;

create policy "Users see their own documents; admins see all"
  on componentforge.documents for select to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Users upload documents only as themselves"
  on componentforge.documents for insert to app_request
  with check (user_id = (select core.current_user_id()));
create policy "Users update their own documents; admins (the workers) update any"
  on componentforge.documents for update to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()))
  with check (user_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Users delete their own documents; admins delete any"
  on componentforge.documents for delete to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));

alter table componentforge.document_chunks enable row level security;
alter table componentforge.document_chunks force row level security;

create policy "Chunks are visible to their document's owner and to admins"
  on componentforge.document_chunks for select to app_request
  using ((select core.is_admin())
         or exists (select from componentforge.documents d
                     where d.id = document_id and d.user_id = (select core.current_user_id())));
create policy "Chunks are added by their document's owner or an admin"
  on componentforge.document_chunks for insert to app_request
  with check ((select core.is_admin())
              or exists (select from componentforge.documents d
                          where d.id = document_id and d.user_id = (select core.current_user_id())));
create policy "Chunks are updated by their document's owner or an admin"
  on componentforge.document_chunks for update to app_request
  using ((select core.is_admin())
         or exists (select from componentforge.documents d
                     where d.id = document_id and d.user_id = (select core.current_user_id())))
  with check ((select core.is_admin())
              or exists (select from componentforge.documents d
                          where d.id = document_id and d.user_id = (select core.current_user_id())));
create policy "Chunks are deleted by their document's owner or an admin"
  on componentforge.document_chunks for delete to app_request
  using ((select core.is_admin())
         or exists (select from componentforge.documents d
                     where d.id = document_id and d.user_id = (select core.current_user_id())));

alter table componentforge.conversations enable row level security;
alter table componentforge.conversations force row level security;

create policy "Users see their own conversations; admins see all"
  on componentforge.conversations for select to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Users start conversations only as themselves"
  on componentforge.conversations for insert to app_request
  with check (user_id = (select core.current_user_id()));
create policy "Users update their own conversations; admins update any"
  on componentforge.conversations for update to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()))
  with check (user_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Users delete their own conversations; admins delete any"
  on componentforge.conversations for delete to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));

alter table componentforge.messages enable row level security;
alter table componentforge.messages force row level security;

create policy "Messages are visible to their conversation's owner and to admins"
  on componentforge.messages for select to app_request
  using ((select core.is_admin())
         or exists (select from componentforge.conversations c
                     where c.id = conversation_id and c.user_id = (select core.current_user_id())));
create policy "Messages are added only to the caller's own conversations"
  on componentforge.messages for insert to app_request
  with check (exists (select from componentforge.conversations c
                       where c.id = conversation_id and c.user_id = (select core.current_user_id())));
create policy "Messages are deleted by their conversation's owner or an admin"
  on componentforge.messages for delete to app_request
  using ((select core.is_admin())
         or exists (select from componentforge.conversations c
                     where c.id = conversation_id and c.user_id = (select core.current_user_id())));

alter table componentforge.embedding_models enable row level security;
alter table componentforge.embedding_models force row level security;

create policy "Signed-in users read the embedding models"
  on componentforge.embedding_models for select to app_request
  using ((select core.current_user_id()) is not null);
create policy "Admins add embedding models"
  on componentforge.embedding_models for insert to app_request
  with check ((select core.is_admin()));
create policy "Admins change embedding models"
  on componentforge.embedding_models for update to app_request
  using ((select core.is_admin())) with check ((select core.is_admin()));
create policy "Admins delete embedding models"
  on componentforge.embedding_models for delete to app_request
  using ((select core.is_admin()));

alter table componentforge.evaluation_runs enable row level security;
alter table componentforge.evaluation_runs force row level security;

create policy "Signed-in users read the evaluation runs"
  on componentforge.evaluation_runs for select to app_request
  using ((select core.current_user_id()) is not null);
create policy "Admins record evaluation runs"
  on componentforge.evaluation_runs for insert to app_request
  with check ((select core.is_admin()));
create policy "Admins change evaluation runs"
  on componentforge.evaluation_runs for update to app_request
  using ((select core.is_admin())) with check ((select core.is_admin()));
create policy "Admins delete evaluation runs"
  on componentforge.evaluation_runs for delete to app_request
  using ((select core.is_admin()));

alter table componentforge.requirement_exports enable row level security;
alter table componentforge.requirement_exports force row level security;

create policy "Users see their own exports; admins see all"
  on componentforge.requirement_exports for select to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Users record exports only as themselves"
  on componentforge.requirement_exports for insert to app_request
  with check (user_id = (select core.current_user_id()));
create policy "Users update their own exports; admins update any"
  on componentforge.requirement_exports for update to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()))
  with check (user_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Users delete their own exports; admins delete any"
  on componentforge.requirement_exports for delete to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));

-- ===== Grants =====
grant select, insert, update, delete on componentforge.documents to app_request;
-- Chunks change only by their embedding (the worker records the Qdrant point): moving a
-- chunk to another document or index would bypass chunk_count and the unique key's intent.
grant select, insert, delete on componentforge.document_chunks to app_request;
grant update (vector_id, embedding_model) on componentforge.document_chunks to app_request;
grant select, insert, update, delete on componentforge.conversations to app_request;
-- Messages are history: added and deleted, never edited (which also keeps the thread acyclic).
grant select, insert, delete on componentforge.messages to app_request;
grant select, insert, update, delete on componentforge.embedding_models to app_request;
grant select, insert, update, delete on componentforge.evaluation_runs to app_request;
grant select, insert, update, delete on componentforge.requirement_exports to app_request;

-- Down Migration

drop table componentforge.requirement_exports;
drop table componentforge.evaluation_runs;
drop table componentforge.embedding_models;
drop table componentforge.messages;
drop table componentforge.conversations;
drop table componentforge.document_chunks;
drop table componentforge.documents;
drop function componentforge.guard_counters();
drop function componentforge.messages_count();
drop function componentforge.document_chunks_count();
