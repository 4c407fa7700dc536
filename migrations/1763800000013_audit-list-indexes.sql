-- audit.list under generic plans (issue 12, item 7), as migration 1763800000007 did for the other
-- lists: sql/core/audit_log.sql has one statement per filter shape, each served by an index whose
-- leading columns are its equality filter followed by the page's order (occurred_at desc, id desc),
-- so that the keyset cursor is an index condition and a page needs no sort, ties included.
-- Indexes created on the partitioned core.audit_log cascade to every monthly partition (and to
-- the ones maintenance creates or attaches later).
--
--   replaced by the same columns plus id, the keyset's tie-breaker:
--     audit_log_actor_idx  (actor_id, occurred_at desc)  -> (actor_id, occurred_at desc, id desc)
--     audit_log_action_idx (action, occurred_at desc)    -> (action, occurred_at desc, id desc)
--   split in two, because a table's history (no entity_id) could not be read in order from it:
--     audit_log_entity_idx (entity_schema, entity_table, entity_id, occurred_at desc)
--       -> audit_log_entity_idx (entity_id, occurred_at desc, id desc): one row's history (ids
--          are UUIDs, unique across tables, so schema and table are residual filters)
--       -> audit_log_table_idx (entity_schema, entity_table, occurred_at desc, id desc)
--   dropped, the primary key (occurred_at, id) read backwards serves the unfiltered trail:
--     audit_log_occurred_idx (occurred_at desc, id desc)
-- The log keeps four secondary indexes, as before: every audited write pays for each.

-- Up Migration

drop index core.audit_log_occurred_idx;
drop index core.audit_log_actor_idx;
create index audit_log_actor_idx on core.audit_log (actor_id, occurred_at desc, id desc);
drop index core.audit_log_action_idx;
create index audit_log_action_idx on core.audit_log (action, occurred_at desc, id desc);
drop index core.audit_log_entity_idx;
create index audit_log_entity_idx on core.audit_log (entity_id, occurred_at desc, id desc);
create index audit_log_table_idx on core.audit_log (entity_schema, entity_table, occurred_at desc, id desc);

-- Down Migration

drop index core.audit_log_table_idx;
drop index core.audit_log_entity_idx;
create index audit_log_entity_idx on core.audit_log (entity_schema, entity_table, entity_id, occurred_at desc);
drop index core.audit_log_action_idx;
create index audit_log_action_idx on core.audit_log (action, occurred_at desc);
drop index core.audit_log_actor_idx;
create index audit_log_actor_idx on core.audit_log (actor_id, occurred_at desc);
create index audit_log_occurred_idx on core.audit_log (occurred_at desc, id desc);
