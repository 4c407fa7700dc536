-- Monitoring: seed 003's monitoring queries (active connections, slowest statements from
-- pg_stat_statements, table sizes) for the admin procedures monitoring.* (src/routers/core/monitoring.ts).
-- Decisions beyond the seed:
-- - Who may read the statistics. pg_stat_activity and pg_stat_statements show other roles'
--   sessions and statement texts only to superusers and members of pg_read_all_stats, and
--   every request runs as app_request, which reads neither. Granting pg_read_all_stats to
--   app_request would let every request (any user, or an injected statement) read every
--   statement text of every database on the server. Instead a new role, app_monitor, is the
--   only holder of pg_read_all_stats (the least of the predefined roles that shows them;
--   pg_monitor would add every setting and more), owns nothing but the two SECURITY DEFINER
--   functions below, logs in never, and is used by nobody: app_request may only call them.
--   Each function checks that the request acts as an admin, pins its search_path, and keeps to
--   this database (connections and statements of other deployments on the server stay
--   hidden; only the server-wide connection count is given, against max_connections).
-- - Granting pg_read_all_stats needs a superuser (PostgreSQL 16+: ADMIN on it). The embedded
--   server and the tests do it as the superuser (provisionOwner in src/db/lifecycle.ts); with
--   DATABASE_URL this migration tries, and when it may not, says what to run and goes on: the
--   functions then refuse with SQLSTATE 55000 naming the grant (the API: PRECONDITION_FAILED).
-- - pg_stat_statements is an untrusted extension (only a superuser creates it) that must be
--   loaded at server start (shared_preload_libraries): provisionOwner creates it, the embedded
--   server loads it. It may live in any schema, or be absent: the function finds it through
--   pg_extension and says what is missing (55000) instead of failing on a missing view.
-- - Sizes (pg_total_relation_size and the catalogs) need no privilege: plain queries in
--   sql/core/monitoring.sql, no function.
-- Written for PostgreSQL 15-18 (pg_stat_statements 1.10+: total_exec_time, mean_exec_time).

-- Up Migration

-- ===== Role =====
-- INHERIT (unlike the request roles): it must hold pg_read_all_stats's rights, not just be a member.
do $$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'app_monitor') then
    create role app_monitor nologin nosuperuser nobypassrls inherit;
  end if;
  if not pg_catalog.pg_has_role('app_monitor', 'pg_read_all_stats', 'MEMBER') then
    begin
      grant pg_read_all_stats to app_monitor;
    exception when insufficient_privilege then
      raise notice 'app_monitor is not a member of pg_read_all_stats: the monitoring procedures will refuse until a superuser runs: grant pg_read_all_stats to app_monitor;';
    end;
  end if;
end
$$;
select core.use_role('app_monitor'); -- may switch to it (to give it the functions), never inherits it

-- ===== Functions =====
-- The admin check reads the request setting directly: app_monitor has no rights in core.
create function core.monitor_connections()
returns table (state text, role_name text, application_name text, connections integer,
               oldest_transaction_start timestamptz, oldest_query_start timestamptz, waiting integer)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if coalesce(nullif(current_setting('app.user_role', true), ''), '') <> 'admin' then
    raise exception 'only an admin may read the server''s connections' using errcode = 'insufficient_privilege';
  end if;
  if not pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') then
    raise exception 'the database role app_monitor may not read other roles'' connections: a superuser runs "grant pg_read_all_stats to app_monitor"'
      using errcode = 'object_not_in_prerequisite_state';
  end if;
  return query
    select a.state, a.usename::text, a.application_name, count(*)::integer,
           min(a.xact_start), min(a.query_start), (count(*) filter (where a.wait_event_type = 'Lock'))::integer
    from pg_stat_activity a
    where a.datname = current_database() and a.backend_type = 'client backend'
    group by a.state, a.usename, a.application_name
    order by count(*) desc, a.state, a.usename, a.application_name;
end
$$;
comment on function core.monitor_connections() is 'Admins: this database''s client connections by state, role and application (seed 003''s active connections)';

create function core.monitor_server_connections()
returns table (server_connections integer, max_connections integer)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if coalesce(nullif(current_setting('app.user_role', true), ''), '') <> 'admin' then
    raise exception 'only an admin may read the server''s connections' using errcode = 'insufficient_privilege';
  end if;
  return query
    select (select count(*)::integer from pg_stat_activity a where a.backend_type = 'client backend'),
           current_setting('max_connections')::integer;
end
$$;
comment on function core.monitor_server_connections() is 'Admins: client connections to the whole server (every database) against max_connections';

create function core.monitor_slowest_statements(max_rows integer)
returns table (query_id bigint, query text, role_name text, calls bigint, total_ms double precision,
               mean_ms double precision, max_ms double precision, rows bigint,
               shared_blocks_hit bigint, shared_blocks_read bigint)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_schema name;
begin
  if coalesce(nullif(current_setting('app.user_role', true), ''), '') <> 'admin' then
    raise exception 'only an admin may read the slowest statements' using errcode = 'insufficient_privilege';
  end if;
  select n.nspname into v_schema
  from pg_extension e join pg_namespace n on n.oid = e.extnamespace
  where e.extname = 'pg_stat_statements';
  if v_schema is null then
    raise exception 'pg_stat_statements is not installed in this database: a superuser runs "create extension pg_stat_statements" (and the server loads it with shared_preload_libraries = pg_stat_statements)'
      using errcode = 'object_not_in_prerequisite_state';
  end if;
  if not pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') then
    raise exception 'the database role app_monitor may not read other roles'' statements: a superuser runs "grant pg_read_all_stats to app_monitor"'
      using errcode = 'object_not_in_prerequisite_state';
  end if;
  begin
    -- The extension's schema is known only now: the one dynamic statement, its name quoted.
    return query execute format(
      'select s.queryid, s.query, s.userid::regrole::text, s.calls, s.total_exec_time, s.mean_exec_time, s.max_exec_time,
              s.rows, s.shared_blks_hit, s.shared_blks_read
       from %I.pg_stat_statements s
       where s.dbid = (select d.oid from pg_database d where d.datname = current_database())
       order by s.mean_exec_time desc, s.queryid
       limit $1', v_schema)
      using max_rows;
  exception when object_not_in_prerequisite_state then
    -- The extension's own words name postgresql.conf's setting; ours say who does what.
    raise exception 'pg_stat_statements is installed but not loaded: the server needs shared_preload_libraries = pg_stat_statements and a restart'
      using errcode = 'object_not_in_prerequisite_state';
  end;
end
$$;
comment on function core.monitor_slowest_statements(integer) is 'Admins: this database''s statements with the highest mean execution time, from pg_stat_statements (seed 003''s slow queries)';

-- Functions are executable by PUBLIC by default: only requests may call these.
revoke all on function core.monitor_connections() from public;
revoke all on function core.monitor_server_connections() from public;
revoke all on function core.monitor_slowest_statements(integer) from public;
grant execute on function core.monitor_connections() to app_request;
grant execute on function core.monitor_server_connections() to app_request;
grant execute on function core.monitor_slowest_statements(integer) to app_request;

-- Owned by app_monitor, so that they run with pg_read_all_stats; it may create in core only for this.
grant create on schema core to app_monitor;
alter function core.monitor_connections() owner to app_monitor;
alter function core.monitor_server_connections() owner to app_monitor;
alter function core.monitor_slowest_statements(integer) owner to app_monitor;
revoke create on schema core from app_monitor;

-- Down Migration

-- Only their owner may drop them: the owner role switches to it, which may find them in core only for this.
grant usage on schema core to app_monitor;
set local role app_monitor;
drop function core.monitor_slowest_statements(integer);
drop function core.monitor_server_connections();
drop function core.monitor_connections();
reset role;
revoke usage on schema core from app_monitor;

-- Another database on this server may still use the role (its functions are dependencies), or
-- a superuser created it (provisionOwner): then it stays, and only this database is undone.
do $$
begin
  drop role app_monitor;
exception when dependent_objects_still_exist or insufficient_privilege then
  raise notice 'role app_monitor is still used by another database on this server, or was created by another owner; kept';
end
$$;
