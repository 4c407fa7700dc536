-- Plans under named statements, and migrations on live tables (issue 12, items 6, 7 and 9).
--
-- Named prepared statements run a generic plan after five executions, planned without the
-- parameter values, so an optional filter written `(:x is null or col = :x)` can be no index
-- condition. The list queries therefore have one statement per filter shape that an index
-- serves (sql/socrates/, sql/componentforge/requirement_exports.sql), and their keyset cursors
-- (there and in users.list) are written as a CASE: coalesce is not leakproof, so under RLS it
-- could not be an index condition either. test/db/plans.test.ts holds each list to its index.
-- This migration gives each statement an index whose leading columns are its equality filters
-- followed by its sort key, and drops the indexes nothing uses:
--
--   dropped, a prefix of another index (the seed's index lives on as that index's leading column):
--     socrates.projects_owner_idx       -> projects_owner_list_idx (owner_id, id desc)
--     socrates.sessions_owner_idx       -> sessions_owner_list_idx (owner_id, id desc)
--     socrates.documents_owner_idx      -> documents_owner_list_idx (owner_id, id desc)
--     socrates.messages_session_idx     -> messages_session_timeline_idx (session_id, created_at, id)
--     componentforge.requirement_exports_user_id_idx -> requirement_exports_user_component_idx
--   dropped, no query uses them: a user reads only their own rows (RLS), so every lookup starts
--   with the owner and the owner's list indexes serve it; ids are UUIDv7, so creation order is
--   the primary key's; the composite foreign keys (project_id, owner_id) are served by the
--   (owner_id, project_id, id) list indexes:
--     socrates.projects_status_idx, socrates.projects_created_idx,
--     socrates.sessions_project_idx, socrates.sessions_status_idx, socrates.sessions_created_idx,
--     socrates.messages_role_idx, socrates.messages_created_idx,
--     socrates.documents_project_idx, socrates.documents_status_idx,
--     componentforge.conversations_status_idx,
--     core.users_status_idx: users.list walks the primary key down from its cursor and filters
--       on status, role and prefix, few-valued filters that a generic plan (which cannot know
--       which status is rare) would not serve better from an index of their own
--   replaced by the same columns plus the sort key, so that a page needs no sort:
--     componentforge.messages_conversation_created_idx (conversation_id, created_at)   -> (conversation_id, created_at, id)
--     componentforge.conversations_user_status_updated_idx (user_id, status, updated_at) -> (user_id, status, updated_at, id)
--     componentforge.documents_user_status_created_idx (user_id, processing_status, created_at) -> (..., id)
--     componentforge.documents_status_created_idx (processing_status, created_at)      -> (processing_status, created_at, id)
--     componentforge.requirement_exports_component_created_idx         -> requirement_exports_component_idx (component_type, created_at, id)
--     componentforge.requirement_exports_latency_idx                   -> requirement_exports_latency_idx (proposal_latency_ms, id)
--   added: requirement_exports_user_component_idx and requirement_exports_user_latency_idx lead
--   with user_id, which a non-admin's pages now filter on (before, RLS's "own rows" filter could
--   not use an index and a page read every user's exports); and seed 004's
--   ix_messages_conversation_tokens (conversation_id, total_tokens), as
--   messages_conversation_tokens_idx.
--
-- Also: componentforge.conversations.total_tokens_used is bigint (a busy conversation's running
-- total can pass 2^31), and the three policy names PostgreSQL had cut at 63 bytes are shortened.

-- Up Migration

-- ===== SOCRATES: indexes nothing uses =====
drop index socrates.projects_owner_idx;
drop index socrates.projects_status_idx;
drop index socrates.projects_created_idx;
drop index socrates.sessions_owner_idx;
drop index socrates.sessions_project_idx;
drop index socrates.sessions_status_idx;
drop index socrates.sessions_created_idx;
drop index socrates.messages_session_idx;
drop index socrates.messages_role_idx;
drop index socrates.messages_created_idx;
drop index socrates.documents_owner_idx;
drop index socrates.documents_project_idx;
drop index socrates.documents_status_idx;

-- ===== core.users =====
drop index core.users_status_idx;

-- ===== ComponentForge =====
drop index componentforge.conversations_status_idx;

-- A conversation's messages in order, and a user's active conversations by last update: with
-- id, the whole keyset (created_at, id) / (updated_at, id) is an index condition and the
-- index order is the page's order, ties included.
drop index componentforge.messages_conversation_created_idx;
create index messages_conversation_created_idx on componentforge.messages (conversation_id, created_at, id);
drop index componentforge.conversations_user_status_updated_idx;
create index conversations_user_status_updated_idx on componentforge.conversations (user_id, status, updated_at, id);
-- Likewise a user's documents of a status, newest first, and the queue, oldest first.
drop index componentforge.documents_user_status_created_idx;
create index documents_user_status_created_idx on componentforge.documents (user_id, processing_status, created_at, id);
drop index componentforge.documents_status_created_idx;
create index documents_status_created_idx on componentforge.documents (processing_status, created_at, id);

-- Seed 004's "conversation messages with token usage": a conversation's token counts read
-- from the index alone (as a recount of total_tokens_used does).
create index messages_conversation_tokens_idx on componentforge.messages (conversation_id, total_tokens);

-- Exports of a component, newest first: a user's own, and everyone's for an admin.
create index requirement_exports_user_component_idx on componentforge.requirement_exports (user_id, component_type, created_at, id);
create index requirement_exports_component_idx on componentforge.requirement_exports (component_type, created_at, id);
drop index componentforge.requirement_exports_component_created_idx;
drop index componentforge.requirement_exports_user_id_idx;
-- "Fast exports", fastest first: a user's own, and everyone's for an admin.
create index requirement_exports_user_latency_idx on componentforge.requirement_exports (user_id, proposal_latency_ms, id);
drop index componentforge.requirement_exports_latency_idx;
create index requirement_exports_latency_idx on componentforge.requirement_exports (proposal_latency_ms, id);

-- A running total of tokens outgrows integer long before its conversation ends. The counter
-- guard names the column, so it is dropped for the change and created again as it was.
drop trigger conversations_guard_counters on componentforge.conversations;
alter table componentforge.conversations alter column total_tokens_used type bigint;
create trigger conversations_guard_counters
  before update of message_count, total_tokens_used on componentforge.conversations
  for each row execute function componentforge.guard_counters('message_count', 'total_tokens_used');

-- ===== Policy names PostgreSQL truncated at 63 bytes =====
alter policy "A newcomer creates only their own row, as an active plain user;" on core.users
  rename to "A newcomer creates only their own active user row; admins any";
alter policy "Users update their own documents; admins (the workers) update a" on componentforge.documents
  rename to "Users update their own documents; admins (workers) update any";
alter policy "Messages are visible to their conversation's owner and to admin" on componentforge.messages
  rename to "Messages are visible to their conversation's owner and admins";

-- Down Migration

alter policy "Messages are visible to their conversation's owner and admins" on componentforge.messages
  rename to "Messages are visible to their conversation's owner and to admin";
alter policy "Users update their own documents; admins (workers) update any" on componentforge.documents
  rename to "Users update their own documents; admins (the workers) update a";
alter policy "A newcomer creates only their own active user row; admins any" on core.users
  rename to "A newcomer creates only their own row, as an active plain user;";

-- Fails if a conversation has used more than 2^31 - 1 tokens: such a total cannot go back.
drop trigger conversations_guard_counters on componentforge.conversations;
alter table componentforge.conversations alter column total_tokens_used type integer;
create trigger conversations_guard_counters
  before update of message_count, total_tokens_used on componentforge.conversations
  for each row execute function componentforge.guard_counters('message_count', 'total_tokens_used');

drop index componentforge.requirement_exports_latency_idx;
create index requirement_exports_latency_idx on componentforge.requirement_exports (proposal_latency_ms);
drop index componentforge.requirement_exports_user_latency_idx;
create index requirement_exports_user_id_idx on componentforge.requirement_exports (user_id);
create index requirement_exports_component_created_idx on componentforge.requirement_exports (component_type, created_at);
drop index componentforge.requirement_exports_component_idx;
drop index componentforge.requirement_exports_user_component_idx;
drop index componentforge.messages_conversation_tokens_idx;
drop index componentforge.documents_status_created_idx;
create index documents_status_created_idx on componentforge.documents (processing_status, created_at);
drop index componentforge.documents_user_status_created_idx;
create index documents_user_status_created_idx on componentforge.documents (user_id, processing_status, created_at);
drop index componentforge.conversations_user_status_updated_idx;
create index conversations_user_status_updated_idx on componentforge.conversations (user_id, status, updated_at);
drop index componentforge.messages_conversation_created_idx;
create index messages_conversation_created_idx on componentforge.messages (conversation_id, created_at);
create index conversations_status_idx on componentforge.conversations (status);

create index users_status_idx on core.users (status);

create index documents_status_idx on socrates.documents (status);
create index documents_project_idx on socrates.documents (project_id);
create index documents_owner_idx on socrates.documents (owner_id);
create index messages_created_idx on socrates.messages (created_at);
create index messages_role_idx on socrates.messages (role);
create index messages_session_idx on socrates.messages (session_id);
create index sessions_created_idx on socrates.sessions (created_at);
create index sessions_status_idx on socrates.sessions (status);
create index sessions_project_idx on socrates.sessions (project_id);
create index sessions_owner_idx on socrates.sessions (owner_id);
create index projects_created_idx on socrates.projects (created_at);
create index projects_status_idx on socrates.projects (status);
create index projects_owner_idx on socrates.projects (owner_id);
