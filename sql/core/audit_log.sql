/* @name RecordAuditEvent */
-- Records a named application event (LOGIN, CONFIG_REVEAL, ...) with the request's actor, ip, user agent and request id.
select core.audit_event(:action!, :entitySchema, :entityTable, :entityId, :details) as "recorded";

/* @name ListAuditEntries */
-- One page of the audit trail, newest first, before the cursor (occurred_at as text keeps its microseconds), filtered by actor, entity, action and time range (admins).
select id, occurred_at, occurred_at::text as "cursor_at!", actor_id, actor_role, action, entity_schema, entity_table,
       entity_id, old_value, new_value, details, ip, user_agent, request_id, session_id
from core.audit_log
where (cast(:actorId as uuid) is null or actor_id = :actorId)
  and (cast(:entitySchema as text) is null or entity_schema = :entitySchema)
  and (cast(:entityTable as text) is null or entity_table = :entityTable)
  and (cast(:entityId as uuid) is null or entity_id = :entityId)
  and (cast(:action as text) is null or action = :action)
  and (cast(:from as timestamptz) is null or occurred_at >= :from)
  and (cast(:to as timestamptz) is null or occurred_at < :to)
  and (cast(:beforeAt as timestamptz) is null
       or (occurred_at, id) < (cast(:beforeAt as timestamptz), cast(:beforeId as uuid)))
order by occurred_at desc, id desc
limit :limit!;

/* @name RevealConfig */
-- A sensitive setting's stored (encrypted) value for config.reveal, recorded as CONFIG_REVEAL in the same step (admins only).
select core.config_reveal(:id!) as "config_value";
