-- The rest of the shared core: the audit log (seed 001 audit_logs + seed 002 audit_log) and its
-- trigger, user_preferences (seed 002), api_rate_limits (seed 001) and system_configurations
-- (seed 001), each with row-level security.

-- Up Migration

-- ===== Roles =====
-- app_audit owns the audit trigger function and is the only role that may insert audit rows:
-- requests write the log only through the trigger (and core.audit_event for named app
-- actions), never directly, and can never change or remove a row.
do $$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'app_audit') then
    create role app_audit nologin nosuperuser nobypassrls noinherit;
  end if;
end
$$;
select core.use_role('app_audit'); -- may switch to it, never inherits it (see the platform migration)
grant usage on schema core to app_audit;

-- ===== core.audit_log =====
-- Range-partitioned by month: retention drops whole partitions instead of deleting rows.
-- actor_id has no foreign key, unlike the seeds' user_id ... ON DELETE SET NULL: an audit
-- trail that forgets who acted when that person is deleted defeats its purpose, and SET NULL
-- would rewrite rows that are meant to be immutable.
create table core.audit_log (
  id            uuid not null default core.uuidv7(),
  occurred_at   timestamptz not null default now(),
  actor_id      uuid,
  actor_role    text,
  action        text not null,
  entity_schema text,
  entity_table  text,
  entity_id     uuid,
  old_value     jsonb,
  new_value     jsonb,
  details       jsonb,
  ip            inet,
  user_agent    text,
  request_id    text,
  session_id    uuid,
  constraint audit_log_pkey primary key (occurred_at, id),
  constraint audit_log_action_check check (action in (
    'CREATE', 'UPDATE', 'DELETE',
    'LOGIN', 'LOGIN_FAILED', 'LOGOUT', 'PASSWORD_CHANGE', 'SESSION_REVOKE', 'CONFIG_REVEAL')),
  constraint audit_log_entity_named check ((entity_schema is null) = (entity_table is null)),
  constraint audit_log_details_object check (details is null or jsonb_typeof(details) = 'object')
) partition by range (occurred_at);

comment on table core.audit_log is 'Who changed what, when and from where, for every table of every app schema (seed 001 audit_logs + seed 002 audit_log). Partitioned by month';
comment on column core.audit_log.actor_id is 'The acting user (app.user_id), NULL for anonymous requests and maintenance. No FK: kept after the user is deleted';
comment on column core.audit_log.action is 'CREATE/UPDATE/DELETE from the trigger, or a named application event';
comment on column core.audit_log.old_value is 'The row before the change, secrets redacted';
comment on column core.audit_log.new_value is 'The row after the change, secrets redacted';
comment on column core.audit_log.ip is 'Client address of the request (app.client_ip)';

comment on constraint audit_log_action_check on core.audit_log is 'action must be CREATE, UPDATE, DELETE or a named application event';
comment on constraint audit_log_entity_named on core.audit_log is 'entity_schema and entity_table go together';
comment on constraint audit_log_details_object on core.audit_log is 'details must be a JSON object';

create index audit_log_actor_idx on core.audit_log (actor_id, occurred_at desc);
create index audit_log_entity_idx on core.audit_log (entity_schema, entity_table, entity_id, occurred_at desc);
create index audit_log_action_idx on core.audit_log (action, occurred_at desc);
create index audit_log_occurred_idx on core.audit_log (occurred_at desc, id desc);

-- Rows outside every monthly partition land here rather than failing the write that caused
-- them; core.audit_log_create_partitions keeps it empty by creating months ahead.
create table core.audit_log_default partition of core.audit_log default;

-- Creates the monthly partitions from the month of p_from for p_months months (idempotent).
create function core.audit_log_create_partitions(p_from date, p_months int) returns int
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_month date := date_trunc('month', p_from)::date;
  v_created int := 0;
  v_name text;
begin
  for i in 0 .. p_months - 1 loop
    v_name := format('audit_log_y%sm%s', to_char(v_month, 'YYYY'), to_char(v_month, 'MM'));
    if to_regclass(format('core.%I', v_name)) is null then
      execute format('create table core.%I partition of core.audit_log for values from (%L) to (%L)',
                     v_name, v_month::timestamptz, (v_month + interval '1 month')::timestamptz);
      v_created := v_created + 1;
    end if;
    v_month := (v_month + interval '1 month')::date;
  end loop;
  return v_created;
end
$$;
comment on function core.audit_log_create_partitions(date, int) is 'Maintenance: create monthly audit_log partitions ahead of time';

-- Drops the monthly partitions that end before p_before (retention). Returns their names.
create function core.audit_log_drop_partitions(p_before timestamptz) returns setof text
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v record;
begin
  for v in
    select c.relname, pg_get_expr(c.relpartbound, c.oid) as bound
      from pg_inherits i
      join pg_class c on c.oid = i.inhrelid
     where i.inhparent = 'core.audit_log'::regclass and c.relname ~ '^audit_log_y\d{4}m\d{2}$'
  loop
    if to_date(substring(v.relname from 'y(\d{4})m(\d{2})$'), 'YYYYMM') + interval '1 month' <= p_before then
      execute format('drop table core.%I', v.relname);
      return next v.relname;
    end if;
  end loop;
end
$$;
comment on function core.audit_log_drop_partitions(timestamptz) is 'Maintenance: drop audit_log partitions that ended before the given time';

-- Maintenance is the owner's: functions are executable by PUBLIC by default.
revoke all on function core.audit_log_create_partitions(date, int) from public;
revoke all on function core.audit_log_drop_partitions(timestamptz) from public;

select core.audit_log_create_partitions(now()::date, 4);

alter table core.audit_log enable row level security;
alter table core.audit_log force row level security;

create policy "Admins read the audit log"
  on core.audit_log for select to app_request
  using ((select core.is_admin()));
create policy "Only the audit functions write audit rows"
  on core.audit_log for insert to app_audit
  with check (true);

-- No UPDATE or DELETE for anyone but the owner (retention): audit rows are immutable.
grant select on core.audit_log to app_request;
grant insert on core.audit_log to app_audit;

-- ===== The audit trigger =====
-- One function for every table, fired once per statement with the statement's rows as
-- transition tables: a bulk insert of thousands of rows writes its audit rows in one
-- INSERT ... SELECT instead of one trigger call per row. core.attach_audit creates its three
-- triggers (insert, update, delete) on a table. Trigger arguments name columns whose values
-- never reach the log ('password_hash'), or that are hidden when another column of the row is
-- true ('config_value?is_sensitive').

-- A row as the log keeps it: the redaction rules applied.
create function core.audit_redact(p_row jsonb, p_rules text[]) returns jsonb
language plpgsql immutable parallel safe
set search_path = pg_catalog, pg_temp
as $$
declare
  v_rule text;
  v_column text;
  v_condition text;
begin
  foreach v_rule in array p_rules loop
    v_column := split_part(v_rule, '?', 1);
    v_condition := nullif(split_part(v_rule, '?', 2), '');
    if p_row ? v_column and (v_condition is null or coalesce((p_row ->> v_condition)::boolean, false)) then
      p_row := jsonb_set(p_row, array[v_column], '"[redacted]"');
    end if;
  end loop;
  return p_row;
end
$$;
comment on function core.audit_redact(jsonb, text[]) is 'Replaces the values of the named columns by "[redacted]" (column?flag: only where flag is true)';

create function core.audit_write() returns trigger
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

-- Attaches the audit trigger to a table for inserts, updates and deletes (a trigger with
-- transition tables may have only one event).
create function core.attach_audit(p_table regclass, variadic p_redact text[] default '{}') returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_name text := (select relname from pg_class where oid = p_table);
  v_args text := (select string_agg(quote_literal(r), ', ') from unnest(p_redact) r);
begin
  execute format('create trigger %I after insert on %s referencing new table as new_rows for each statement execute function core.audit_write(%s)',
                 v_name || '_audit_insert', p_table, coalesce(v_args, ''));
  execute format('create trigger %I after update on %s referencing old table as old_rows new table as new_rows for each statement execute function core.audit_write(%s)',
                 v_name || '_audit_update', p_table, coalesce(v_args, ''));
  execute format('create trigger %I after delete on %s referencing old table as old_rows for each statement execute function core.audit_write(%s)',
                 v_name || '_audit_delete', p_table, coalesce(v_args, ''));
end
$$;
comment on function core.attach_audit(regclass, text[]) is 'Migrations: audit every insert, update and delete of a table (optionally redacting columns)';

create function core.detach_audit(p_table regclass) returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_name text := (select relname from pg_class where oid = p_table);
begin
  execute format('drop trigger %I on %s', v_name || '_audit_insert', p_table);
  execute format('drop trigger %I on %s', v_name || '_audit_update', p_table);
  execute format('drop trigger %I on %s', v_name || '_audit_delete', p_table);
end
$$;
comment on function core.detach_audit(regclass) is 'Migrations (Down sections): remove the triggers core.attach_audit created';
revoke all on function core.attach_audit(regclass, text[]) from public;
revoke all on function core.detach_audit(regclass) from public;

-- Named application events (LOGIN, CONFIG_REVEAL, ...). Data changes are the trigger's alone.
create function core.audit_event(p_action text, p_entity_schema text, p_entity_table text, p_entity_id uuid, p_details jsonb)
returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_action in ('CREATE', 'UPDATE', 'DELETE') then
    raise exception 'audit_event records application events; data changes are audited by the trigger'
      using errcode = 'insufficient_privilege';
  end if;
  insert into core.audit_log (actor_id, actor_role, action, entity_schema, entity_table, entity_id, details,
                              ip, user_agent, request_id, session_id)
  values (nullif(current_setting('app.user_id', true), '')::uuid,
          nullif(current_setting('app.user_role', true), ''),
          p_action, p_entity_schema, p_entity_table, p_entity_id, p_details,
          nullif(current_setting('app.client_ip', true), '')::inet,
          nullif(current_setting('app.user_agent', true), ''),
          nullif(current_setting('app.request_id', true), ''),
          nullif(current_setting('app.session_id', true), '')::uuid);
end
$$;
comment on function core.audit_event(text, text, text, uuid, jsonb) is 'Records a named application event (LOGIN, CONFIG_REVEAL, ...) with the request context';

revoke all on function core.audit_write() from public;
revoke all on function core.audit_event(text, text, text, uuid, jsonb) from public;
grant create on schema core to app_audit;
alter function core.audit_write() owner to app_audit;
alter function core.audit_event(text, text, text, uuid, jsonb) owner to app_audit;
revoke create on schema core from app_audit;
set local role app_audit;
grant execute on function core.audit_event(text, text, text, uuid, jsonb) to app_request;
-- Creating a trigger needs EXECUTE on its function; the owner creates them in migrations.
grant execute on function core.audit_write() to session_user;
reset role;

select core.attach_audit('core.users', 'password_hash');
select core.attach_audit('core.auth_sessions', 'token_hash');

-- ===== core.user_preferences (seed 002) =====
create table core.user_preferences (
  id                    uuid primary key default core.uuidv7(),
  user_id               uuid not null references core.users (id) on delete cascade,
  theme                 text not null default 'dark',
  llm_model             text not null default 'claude-3-sonnet',
  llm_temperature       double precision not null default 0.7,
  llm_max_tokens        integer not null default 2000,
  ide_type              text,
  auto_sync             boolean not null default false,
  notifications_enabled boolean not null default true,
  created_at            timestamptz not null default now(),
  updated_at            timestamptz not null default now(),
  constraint user_preferences_user_id_key unique (user_id),
  constraint user_preferences_theme_length check (length(theme) between 1 and 50),
  constraint user_preferences_llm_model_length check (length(llm_model) between 1 and 255),
  constraint user_preferences_llm_temperature_range check (llm_temperature between 0 and 2),
  constraint user_preferences_llm_max_tokens_range check (llm_max_tokens between 1 and 200000),
  constraint user_preferences_ide_type_length check (length(ide_type) between 1 and 50)
);

comment on table core.user_preferences is 'Per-user settings (seed 002); one row per user, created with the defaults on first read';
comment on constraint user_preferences_user_id_key on core.user_preferences is 'this user already has preferences';
comment on constraint user_preferences_theme_length on core.user_preferences is 'theme must be 1-50 characters';
comment on constraint user_preferences_llm_model_length on core.user_preferences is 'llm_model must be 1-255 characters';
comment on constraint user_preferences_llm_temperature_range on core.user_preferences is 'llm_temperature must be between 0 and 2';
comment on constraint user_preferences_llm_max_tokens_range on core.user_preferences is 'llm_max_tokens must be between 1 and 200000';
comment on constraint user_preferences_ide_type_length on core.user_preferences is 'ide_type must be 1-50 characters';
comment on constraint user_preferences_user_id_fkey on core.user_preferences is 'user_id must reference an existing user';

-- The unique constraint's index also serves the seed's idx_preferences_user (user_id).

create trigger user_preferences_touch_updated_at
  before update on core.user_preferences
  for each row execute function core.touch_updated_at();
select core.attach_audit('core.user_preferences');

alter table core.user_preferences enable row level security;
alter table core.user_preferences force row level security;

create policy "Users see their own preferences; admins see all"
  on core.user_preferences for select to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Users create only their own preferences"
  on core.user_preferences for insert to app_request
  with check (user_id = (select core.current_user_id()));
create policy "Users change only their own preferences"
  on core.user_preferences for update to app_request
  using (user_id = (select core.current_user_id()))
  with check (user_id = (select core.current_user_id()));
create policy "Users delete their own preferences; admins delete any"
  on core.user_preferences for delete to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));

grant select, insert, update, delete on core.user_preferences to app_request;

-- ===== core.api_rate_limits (seed 001) =====
-- Fixed-window counters. The seed keys them by user and endpoint; login throttling must also
-- count anonymous attempts by email and by ip, hence subject ('email:...', 'ip:...',
-- 'session:...'). One row per (endpoint, subject, window).
create table core.api_rate_limits (
  id            uuid primary key default core.uuidv7(),
  user_id       uuid references core.users (id) on delete cascade,
  endpoint      text not null,
  subject       text not null,
  request_count integer not null default 0,
  window_start  timestamptz not null,
  created_at    timestamptz not null default now(),
  constraint api_rate_limits_window_key unique (endpoint, subject, window_start),
  constraint api_rate_limits_endpoint_length check (length(endpoint) between 1 and 100),
  constraint api_rate_limits_subject_length check (length(subject) between 1 and 300),
  constraint api_rate_limits_request_count_nonnegative check (request_count >= 0)
);

comment on table core.api_rate_limits is 'Fixed-window request counters (seed 001), written only through core.rate_limit_hit';
comment on constraint api_rate_limits_window_key on core.api_rate_limits is 'one counter per endpoint, subject and window';
comment on constraint api_rate_limits_endpoint_length on core.api_rate_limits is 'endpoint must be 1-100 characters';
comment on constraint api_rate_limits_subject_length on core.api_rate_limits is 'subject must be 1-300 characters';
comment on constraint api_rate_limits_request_count_nonnegative on core.api_rate_limits is 'request_count cannot be negative';
comment on constraint api_rate_limits_user_id_fkey on core.api_rate_limits is 'user_id must reference an existing user';

create index api_rate_limits_user_id_idx on core.api_rate_limits (user_id);
create index api_rate_limits_window_start_idx on core.api_rate_limits (window_start);

alter table core.api_rate_limits enable row level security;
alter table core.api_rate_limits force row level security;

create policy "Admins read rate-limit counters"
  on core.api_rate_limits for select to app_request
  using ((select core.is_admin()));
create policy "The rate-limit functions keep the counters"
  on core.api_rate_limits for all to app_auth
  using (true) with check (true);

grant select on core.api_rate_limits to app_request;
grant select, insert, update, delete on core.api_rate_limits to app_auth;

-- Counts one request in the current fixed window, atomically (one upsert: concurrent hits
-- never lose an increment), and says whether it is within the limit and when the window ends.
-- It runs in its own short transaction, before the procedure's: a request that then fails
-- still counts.
create function core.rate_limit_hit(p_endpoint text, p_subject text, p_user_id uuid, p_window_seconds int)
returns table (request_count int, resets_at timestamptz)
language sql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
  insert into core.api_rate_limits as l (user_id, endpoint, subject, window_start, request_count)
  values (p_user_id, p_endpoint, p_subject,
          date_bin(make_interval(secs => p_window_seconds), now(), timestamptz '2000-01-01 00:00:00+00'), 1)
  on conflict (endpoint, subject, window_start)
    do update set request_count = l.request_count + 1
  returning l.request_count, l.window_start + make_interval(secs => p_window_seconds)
$$;
comment on function core.rate_limit_hit(text, text, uuid, int) is 'Count a request in its fixed window; returns the count so far and when the window resets';

-- Removes windows that ended before p_before.
create function core.rate_limit_purge(p_before timestamptz) returns bigint
language sql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
  with purged as (delete from core.api_rate_limits where window_start < p_before returning 1)
  select count(*) from purged
$$;
comment on function core.rate_limit_purge(timestamptz) is 'Maintenance: delete rate-limit windows that started before the given time';

revoke all on function core.rate_limit_hit(text, text, uuid, int) from public;
revoke all on function core.rate_limit_purge(timestamptz) from public;
grant create on schema core to app_auth;
alter function core.rate_limit_hit(text, text, uuid, int) owner to app_auth;
alter function core.rate_limit_purge(timestamptz) owner to app_auth;
revoke create on schema core from app_auth;
-- Called by the owner's connection outside any request transaction (see src/server/rate-limit.ts).
set local role app_auth;
grant execute on function core.rate_limit_hit(text, text, uuid, int) to session_user;
grant execute on function core.rate_limit_purge(timestamptz) to session_user;
reset role;

-- ===== core.input_is_valid =====
-- Whether text is a valid input for a type, without raising: pg_input_is_valid on PostgreSQL
-- 16+, a cast in a subtransaction on 15.
do $$
begin
  if current_setting('server_version_num')::int >= 160000 then
    execute $fn$
      create function core.input_is_valid(value text, type_name text) returns boolean
      language sql stable parallel safe
      as 'select pg_catalog.pg_input_is_valid(value, type_name)'
    $fn$;
  else
    execute $fn$
      create function core.input_is_valid(value text, type_name text) returns boolean
      language plpgsql stable parallel safe
      as $body$
      begin
        execute format('select %L::%s', value, type_name::regtype);
        return true;
      exception when data_exception then
        return false;
      end
      $body$
    $fn$;
  end if;
end
$$;
comment on function core.input_is_valid(text, text) is 'True when value is a valid input of type_name (pg_input_is_valid, also on PostgreSQL 15)';

-- ===== core.system_configurations (seed 001) =====
-- Sensitive values are encrypted by the application (AES-256-GCM) before they get here: the
-- database only ever holds their ciphertext, and a CHECK makes sure of it.
create table core.system_configurations (
  id           uuid primary key default core.uuidv7(),
  config_key   text not null,
  config_value text,
  config_type  text not null default 'string',
  description  text,
  is_sensitive boolean not null default false,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  constraint system_configurations_config_key_key unique (config_key),
  constraint system_configurations_config_key_format check (config_key ~ '^[a-z][a-z0-9_.-]{0,99}$'),
  constraint system_configurations_config_type_check check (config_type in ('string', 'integer', 'boolean', 'json')),
  constraint system_configurations_config_value_typed check (
    is_sensitive or config_value is null or case config_type
      when 'integer' then core.input_is_valid(config_value, 'bigint')
      when 'boolean' then config_value in ('true', 'false')
      when 'json' then core.input_is_valid(config_value, 'jsonb')
      else true
    end),
  constraint system_configurations_sensitive_encrypted check (
    not is_sensitive or config_value is null or config_value ~ '^enc:v1:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]*$'),
  constraint system_configurations_config_value_length check (length(config_value) <= 100000),
  constraint system_configurations_description_length check (length(description) <= 1000)
);

comment on table core.system_configurations is 'Typed settings of the platform (seed 001); sensitive values stored encrypted, shown masked';
comment on column core.system_configurations.config_value is 'The value as text, typed by config_type; for sensitive rows the AES-256-GCM ciphertext enc:v1:iv:tag:data';
comment on constraint system_configurations_config_key_key on core.system_configurations is 'config_key already exists';
comment on constraint system_configurations_config_key_format on core.system_configurations is 'config_key must be 1-100 characters of a-z 0-9 _ . - starting with a letter';
comment on constraint system_configurations_config_type_check on core.system_configurations is 'config_type must be string, integer, boolean or json';
comment on constraint system_configurations_config_value_typed on core.system_configurations is 'config_value must match config_type';
comment on constraint system_configurations_sensitive_encrypted on core.system_configurations is 'a sensitive config_value must be stored encrypted';
comment on constraint system_configurations_config_value_length on core.system_configurations is 'config_value must be at most 100000 characters';
comment on constraint system_configurations_description_length on core.system_configurations is 'description must be at most 1000 characters';

create trigger system_configurations_touch_updated_at
  before update on core.system_configurations
  for each row execute function core.touch_updated_at();
select core.attach_audit('core.system_configurations', 'config_value?is_sensitive');

alter table core.system_configurations enable row level security;
alter table core.system_configurations force row level security;

create policy "Signed-in users read non-sensitive settings; admins read all"
  on core.system_configurations for select to app_request
  using ((not is_sensitive and (select core.current_user_id()) is not null) or (select core.is_admin()));
create policy "Admins create settings"
  on core.system_configurations for insert to app_request
  with check ((select core.is_admin()));
create policy "Admins change settings"
  on core.system_configurations for update to app_request
  using ((select core.is_admin())) with check ((select core.is_admin()));
create policy "Admins delete settings"
  on core.system_configurations for delete to app_request
  using ((select core.is_admin()));

grant select, insert, update, delete on core.system_configurations to app_request;

-- Down Migration

drop table core.system_configurations;
drop function core.input_is_valid(text, text);

set local role app_auth;
drop function core.rate_limit_purge(timestamptz);
drop function core.rate_limit_hit(text, text, uuid, int);
reset role;
revoke all on core.api_rate_limits from app_request, app_auth;
drop table core.api_rate_limits;

drop table core.user_preferences;

select core.detach_audit('core.auth_sessions');
select core.detach_audit('core.users');

set local role app_audit;
drop function core.audit_event(text, text, text, uuid, jsonb);
drop function core.audit_write();
reset role;

drop function core.detach_audit(regclass);
drop function core.attach_audit(regclass, text[]);
drop function core.audit_redact(jsonb, text[]);

revoke all on core.audit_log from app_request, app_audit;
drop table core.audit_log;
drop function core.audit_log_drop_partitions(timestamptz);
drop function core.audit_log_create_partitions(date, int);

revoke usage on schema core from app_audit;
do $$
begin
  drop role app_audit;
exception when dependent_objects_still_exist or insufficient_privilege then
  raise notice 'role app_audit is still used by another database on this server, or was created by another owner; kept';
end
$$;
