-- Bulk writes audited per statement.
--
-- core.audit_write logged one audit row per inserted or deleted row. For a document's chunks,
-- written thousands at a time by the processing workers (and deleted thousands at a time when
-- the document goes), that doubled every write: each chunk cost a second row in the
-- partitioned log with its five indexes, and COPY into document_chunks ran at 0.3-0.4 of COPY
-- into a twin without triggers (CPU time of the COPY statement, log_statement_stats).
--
-- A table may now opt in to a row bound, as a trigger argument 'rows>N': an INSERT or DELETE
-- statement of more than N rows writes ONE audit row instead, with the same actor, role,
-- request, session, ip and user agent, and new_value (old_value for a delete)
-- {"rows": <count>, "ids": [<every id>]}. Every row stays traceable to who wrote it
-- and in which request: by id, `where entity_table = 'document_chunks' and new_value -> 'ids' ? '<id>'`
-- (the table filter is served by audit_log_table_idx). Statements of N rows or fewer, and every
-- UPDATE, are logged row by row as before. document_chunks opts in at 100 rows: the procedures
-- that write one or a few chunks keep a row per chunk.

-- Up Migration

-- The function belongs to app_audit (the only role that may insert audit rows); it is replaced
-- as app_audit, which holds CREATE on the schema for the replacement only.
grant create on schema core to app_audit;
set local role app_audit;
create or replace function core.audit_write() returns trigger
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  -- 'rows>N' is the table's row bound; every other argument is a redaction rule.
  v_bound int := (select substr(a, 6)::int from unnest(tg_argv) a where a like 'rows>%' limit 1);
  v_rules text[] := coalesce((select array_agg(a) from unnest(tg_argv) a where a not like 'rows>%'), '{}'::text[]);
  v_actor uuid := nullif(current_setting('app.user_id', true), '')::uuid;
  v_role text := nullif(current_setting('app.user_role', true), '');
  v_ip inet := nullif(current_setting('app.client_ip', true), '')::inet;
  v_agent text := nullif(current_setting('app.user_agent', true), '');
  v_request text := nullif(current_setting('app.request_id', true), '');
  v_session uuid := nullif(current_setting('app.session_id', true), '')::uuid;
  v_summary jsonb;
begin
  if v_bound is not null and tg_op in ('INSERT', 'DELETE') then
    if tg_op = 'INSERT' then
      select jsonb_build_object('rows', count(*), 'ids', jsonb_agg(r.id)) into v_summary
        from new_rows r having count(*) > v_bound;
    else
      select jsonb_build_object('rows', count(*), 'ids', jsonb_agg(r.id)) into v_summary
        from old_rows r having count(*) > v_bound;
    end if;
    if v_summary is not null then
      insert into core.audit_log (actor_id, actor_role, action, entity_schema, entity_table, entity_id,
                                  old_value, new_value, ip, user_agent, request_id, session_id)
      values (v_actor, v_role, case tg_op when 'INSERT' then 'CREATE' else 'DELETE' end, tg_table_schema, tg_table_name, null,
              case when tg_op = 'DELETE' then v_summary end, case when tg_op = 'INSERT' then v_summary end,
              v_ip, v_agent, v_request, v_session);
      return null;
    end if;
  end if;
  if tg_op = 'INSERT' then
    insert into core.audit_log (actor_id, actor_role, action, entity_schema, entity_table, entity_id,
                                old_value, new_value, ip, user_agent, request_id, session_id)
    select v_actor, v_role, 'CREATE', tg_table_schema, tg_table_name, (r.row ->> 'id')::uuid,
           null, core.audit_redact(r.row, v_rules), v_ip, v_agent, v_request, v_session
      from (select to_jsonb(n) as row from new_rows n) r;
  elsif tg_op = 'DELETE' then
    insert into core.audit_log (actor_id, actor_role, action, entity_schema, entity_table, entity_id,
                                old_value, new_value, ip, user_agent, request_id, session_id)
    select v_actor, v_role, 'DELETE', tg_table_schema, tg_table_name, (r.row ->> 'id')::uuid,
           core.audit_redact(r.row, v_rules), null, v_ip, v_agent, v_request, v_session
      from (select to_jsonb(o) as row from old_rows o) r;
  else
    -- Old and new versions pair up by id; rows the statement left unchanged are not logged.
    insert into core.audit_log (actor_id, actor_role, action, entity_schema, entity_table, entity_id,
                                old_value, new_value, ip, user_agent, request_id, session_id)
    select v_actor, v_role, 'UPDATE', tg_table_schema, tg_table_name, (b.row ->> 'id')::uuid,
           core.audit_redact(b.row, v_rules), core.audit_redact(a.row, v_rules), v_ip, v_agent, v_request, v_session
      from (select to_jsonb(o) as row from old_rows o) b
      join (select to_jsonb(n) as row from new_rows n) a on a.row ->> 'id' = b.row ->> 'id'
     where a.row <> b.row;
  end if;
  return null;
end
$$;
comment on function core.audit_write() is 'AFTER statement trigger on every app table (see core.attach_audit): writes core.audit_log from the request settings, redacting the columns named in its arguments; with a ''rows>N'' argument, an INSERT or DELETE of more than N rows is one audit row listing their ids';
reset role;
revoke create on schema core from app_audit;

select core.detach_audit('componentforge.document_chunks');
select core.attach_audit('componentforge.document_chunks', 'content', 'rows>100');

-- Down Migration

select core.detach_audit('componentforge.document_chunks');
select core.attach_audit('componentforge.document_chunks', 'content');

grant create on schema core to app_audit;
set local role app_audit;
create or replace function core.audit_write() returns trigger
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_rules text[] := coalesce(tg_argv, '{}'::text[]);
  v_actor uuid := nullif(current_setting('app.user_id', true), '')::uuid;
  v_role text := nullif(current_setting('app.user_role', true), '');
  v_ip inet := nullif(current_setting('app.client_ip', true), '')::inet;
  v_agent text := nullif(current_setting('app.user_agent', true), '');
  v_request text := nullif(current_setting('app.request_id', true), '');
  v_session uuid := nullif(current_setting('app.session_id', true), '')::uuid;
begin
  if tg_op = 'INSERT' then
    insert into core.audit_log (actor_id, actor_role, action, entity_schema, entity_table, entity_id,
                                old_value, new_value, ip, user_agent, request_id, session_id)
    select v_actor, v_role, 'CREATE', tg_table_schema, tg_table_name, (r.row ->> 'id')::uuid,
           null, core.audit_redact(r.row, v_rules), v_ip, v_agent, v_request, v_session
      from (select to_jsonb(n) as row from new_rows n) r;
  elsif tg_op = 'DELETE' then
    insert into core.audit_log (actor_id, actor_role, action, entity_schema, entity_table, entity_id,
                                old_value, new_value, ip, user_agent, request_id, session_id)
    select v_actor, v_role, 'DELETE', tg_table_schema, tg_table_name, (r.row ->> 'id')::uuid,
           core.audit_redact(r.row, v_rules), null, v_ip, v_agent, v_request, v_session
      from (select to_jsonb(o) as row from old_rows o) r;
  else
    -- Old and new versions pair up by id; rows the statement left unchanged are not logged.
    insert into core.audit_log (actor_id, actor_role, action, entity_schema, entity_table, entity_id,
                                old_value, new_value, ip, user_agent, request_id, session_id)
    select v_actor, v_role, 'UPDATE', tg_table_schema, tg_table_name, (b.row ->> 'id')::uuid,
           core.audit_redact(b.row, v_rules), core.audit_redact(a.row, v_rules), v_ip, v_agent, v_request, v_session
      from (select to_jsonb(o) as row from old_rows o) b
      join (select to_jsonb(n) as row from new_rows n) a on a.row ->> 'id' = b.row ->> 'id'
     where a.row <> b.row;
  end if;
  return null;
end
$$;
comment on function core.audit_write() is 'AFTER statement trigger on every app table (see core.attach_audit): writes core.audit_log from the request settings, redacting the columns named in its arguments';
reset role;
revoke create on schema core from app_audit;
