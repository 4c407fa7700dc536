/* @name RecordAuditEvent */
-- Records a named application event (LOGIN, CONFIG_REVEAL, ...) with the request's actor, ip, user agent and request id.
select core.audit_event(:action!, :entitySchema, :entityTable, :entityId, :details) as "recorded";

/* @name ListAuditEntries */
-- One page of the audit trail, newest first, before the cursor (occurred_at as text keeps its microseconds), optionally of one entity schema or table (admins); served by the primary key (occurred_at, id) read backwards.
-- audit.list: one statement per filter shape that an index serves, so that a generic plan (named
-- statements) keeps it; the router picks one by the filters present. In each, the time range
-- [from, to) and the keyset cursor (occurred_at, id) are CASEs, not coalesce: under RLS only
-- leakproof conditions become index conditions, and these bound the index scan from both ends
-- (`from` also prunes the months before it when the generic plan starts). The upper bound is the lower of the cursor and
-- (to, the least uuid): `(occurred_at, id) < (to, '00000000-...')` is `occurred_at < to`. One
-- upper bound, not two, also keeps the generic plan's row estimate from taking a date range of
-- unknown width for a tiny one (which made it read every row in range and sort). The other
-- filters are residual: they narrow rows the index already found in order.
select id, occurred_at, occurred_at::text as "cursor_at!", actor_id, actor_role, action, entity_schema, entity_table,
       entity_id, old_value, new_value, details, ip, user_agent, request_id, session_id
from core.audit_log
where (cast(:entitySchema as text) is null or entity_schema = :entitySchema)
  and (cast(:entityTable as text) is null or entity_table = :entityTable)
  and occurred_at >= case when cast(:from as timestamptz) is null then '-infinity'::timestamptz else :from end
  and (occurred_at, id) < (case when cast(:beforeAt as timestamptz) < :to or (:beforeAt is not null and :to is null) then :beforeAt
                                when :to is not null then :to else 'infinity'::timestamptz end,
                           case when cast(:beforeAt as timestamptz) < :to or (:beforeAt is not null and :to is null) then :beforeId
                                when :to is not null then '00000000-0000-0000-0000-000000000000'::uuid
                                else 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid end)
order by occurred_at desc, id desc
limit :limit!;

/* @name ListAuditEntriesByActor */
-- One page of what one user did, newest first, before the cursor, optionally of one action, entity schema or table (admins); served by (actor_id, occurred_at desc, id desc).
select id, occurred_at, occurred_at::text as "cursor_at!", actor_id, actor_role, action, entity_schema, entity_table,
       entity_id, old_value, new_value, details, ip, user_agent, request_id, session_id
from core.audit_log
where actor_id = :actorId!
  and (cast(:action as text) is null or action = :action)
  and (cast(:entitySchema as text) is null or entity_schema = :entitySchema)
  and (cast(:entityTable as text) is null or entity_table = :entityTable)
  and occurred_at >= case when cast(:from as timestamptz) is null then '-infinity'::timestamptz else :from end
  and (occurred_at, id) < (case when cast(:beforeAt as timestamptz) < :to or (:beforeAt is not null and :to is null) then :beforeAt
                                when :to is not null then :to else 'infinity'::timestamptz end,
                           case when cast(:beforeAt as timestamptz) < :to or (:beforeAt is not null and :to is null) then :beforeId
                                when :to is not null then '00000000-0000-0000-0000-000000000000'::uuid
                                else 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid end)
order by occurred_at desc, id desc
limit :limit!;

/* @name ListAuditEntriesForEntity */
-- One row's history, newest first, before the cursor, optionally by one actor or of one action, schema or table (admins); served by (entity_id, occurred_at desc, id desc).
select id, occurred_at, occurred_at::text as "cursor_at!", actor_id, actor_role, action, entity_schema, entity_table,
       entity_id, old_value, new_value, details, ip, user_agent, request_id, session_id
from core.audit_log
where entity_id = :entityId!
  and (cast(:actorId as uuid) is null or actor_id = :actorId)
  and (cast(:action as text) is null or action = :action)
  and (cast(:entitySchema as text) is null or entity_schema = :entitySchema)
  and (cast(:entityTable as text) is null or entity_table = :entityTable)
  and occurred_at >= case when cast(:from as timestamptz) is null then '-infinity'::timestamptz else :from end
  and (occurred_at, id) < (case when cast(:beforeAt as timestamptz) < :to or (:beforeAt is not null and :to is null) then :beforeAt
                                when :to is not null then :to else 'infinity'::timestamptz end,
                           case when cast(:beforeAt as timestamptz) < :to or (:beforeAt is not null and :to is null) then :beforeId
                                when :to is not null then '00000000-0000-0000-0000-000000000000'::uuid
                                else 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid end)
order by occurred_at desc, id desc
limit :limit!;

/* @name ListAuditEntriesForTable */
-- One table's history, newest first, before the cursor, optionally of one action (admins); served by (entity_schema, entity_table, occurred_at desc, id desc).
select id, occurred_at, occurred_at::text as "cursor_at!", actor_id, actor_role, action, entity_schema, entity_table,
       entity_id, old_value, new_value, details, ip, user_agent, request_id, session_id
from core.audit_log
where entity_schema = :entitySchema!
  and entity_table = :entityTable!
  and (cast(:action as text) is null or action = :action)
  and occurred_at >= case when cast(:from as timestamptz) is null then '-infinity'::timestamptz else :from end
  and (occurred_at, id) < (case when cast(:beforeAt as timestamptz) < :to or (:beforeAt is not null and :to is null) then :beforeAt
                                when :to is not null then :to else 'infinity'::timestamptz end,
                           case when cast(:beforeAt as timestamptz) < :to or (:beforeAt is not null and :to is null) then :beforeId
                                when :to is not null then '00000000-0000-0000-0000-000000000000'::uuid
                                else 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid end)
order by occurred_at desc, id desc
limit :limit!;

/* @name ListAuditEntriesByAction */
-- One page of one action (LOGIN_FAILED, CONFIG_REVEAL...), newest first, before the cursor, optionally of one entity schema or table (admins); served by (action, occurred_at desc, id desc).
select id, occurred_at, occurred_at::text as "cursor_at!", actor_id, actor_role, action, entity_schema, entity_table,
       entity_id, old_value, new_value, details, ip, user_agent, request_id, session_id
from core.audit_log
where action = :action!
  and (cast(:entitySchema as text) is null or entity_schema = :entitySchema)
  and (cast(:entityTable as text) is null or entity_table = :entityTable)
  and occurred_at >= case when cast(:from as timestamptz) is null then '-infinity'::timestamptz else :from end
  and (occurred_at, id) < (case when cast(:beforeAt as timestamptz) < :to or (:beforeAt is not null and :to is null) then :beforeAt
                                when :to is not null then :to else 'infinity'::timestamptz end,
                           case when cast(:beforeAt as timestamptz) < :to or (:beforeAt is not null and :to is null) then :beforeId
                                when :to is not null then '00000000-0000-0000-0000-000000000000'::uuid
                                else 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid end)
order by occurred_at desc, id desc
limit :limit!;

/* @name RevealConfig */
-- A sensitive setting's stored (encrypted) value for config.reveal, recorded as CONFIG_REVEAL in the same step (admins only).
select core.config_reveal(:id!) as "config_value";
