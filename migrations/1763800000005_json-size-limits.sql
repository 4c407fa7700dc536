-- Size limits on the free-form JSON columns a client writes (issue 12, item 3). Without them
-- one request could store megabytes of JSON that every later read, list and audit copy carries.
-- The API refuses larger values first, with the same wording (src/server/json-input.ts); these
-- CHECKs keep the rule for every writer. Size is measured as octet_length(col::text): the
-- UTF-8 bytes of jsonb's text form, which does not depend on compression or storage, and
-- is what a client receives.
-- - 64 KiB: users' preferences, SOCRATES message metadata and technology stacks, ComponentForge
--   messages' context document lists (the API allows at most 1000 ids, about 39 kB).
-- - 256 KiB: ComponentForge evaluation run config and metrics, reviewed requirements.
-- core.system_configurations already limits config_value (JSON settings included) to 100000
-- characters; core.audit_log is written only by triggers, from rows these limits bound.

-- Up Migration

alter table core.users
  add constraint users_preferences_size check (octet_length(preferences::text) <= 65536);
comment on constraint users_preferences_size on core.users is 'preferences must be at most 65536 bytes as JSON';

alter table socrates.projects
  add constraint projects_technology_stack_size check (octet_length(technology_stack::text) <= 65536);
comment on constraint projects_technology_stack_size on socrates.projects is 'technology_stack must be at most 65536 bytes as JSON';

alter table socrates.messages
  add constraint messages_metadata_size check (octet_length(metadata::text) <= 65536);
comment on constraint messages_metadata_size on socrates.messages is 'metadata must be at most 65536 bytes as JSON';

alter table componentforge.messages
  add constraint messages_context_documents_size check (octet_length(context_documents::text) <= 65536);
comment on constraint messages_context_documents_size on componentforge.messages is 'context_documents must be at most 65536 bytes as JSON';

alter table componentforge.evaluation_runs
  add constraint evaluation_runs_config_size check (octet_length(config::text) <= 262144),
  add constraint evaluation_runs_metrics_size check (octet_length(metrics::text) <= 262144);
comment on constraint evaluation_runs_config_size on componentforge.evaluation_runs is 'config must be at most 262144 bytes as JSON';
comment on constraint evaluation_runs_metrics_size on componentforge.evaluation_runs is 'metrics must be at most 262144 bytes as JSON';

alter table componentforge.requirement_exports
  add constraint requirement_exports_requirements_size check (octet_length(requirements::text) <= 262144);
comment on constraint requirement_exports_requirements_size on componentforge.requirement_exports is 'requirements must be at most 262144 bytes as JSON';

-- Down Migration

alter table componentforge.requirement_exports drop constraint requirement_exports_requirements_size;
alter table componentforge.evaluation_runs drop constraint evaluation_runs_metrics_size;
alter table componentforge.evaluation_runs drop constraint evaluation_runs_config_size;
alter table componentforge.messages drop constraint messages_context_documents_size;
alter table socrates.messages drop constraint messages_metadata_size;
alter table socrates.projects drop constraint projects_technology_stack_size;
alter table core.users drop constraint users_preferences_size;
