-- Identity hardening (issue 12, items 4 and 6):
-- - usernames follow the union of the seeds' rules: optional (seeds 000 and 003 sign in by
--   email and have none), up to 255 characters (seed 002), any characters the seeds allow;
--   beyond the seeds, a careful DBA refuses what no one can see or type back: control
--   characters and leading/trailing spaces. Still unique ignoring case (citext) when present.
-- - password hashes: argon2id, or bcrypt from the seeds' existing systems (seed 004's users).
--   A bcrypt hash is replaced by an argon2id one at the user's next successful login, through
--   core.upgrade_password_hash, which replaces only a hash that is still the one just checked.
-- - column privileges: the request role cannot read password_hash or token_hash at all, whatever
--   app.* settings a statement forges; credentials are read only through the SECURITY DEFINER
--   functions (core.login_lookup, core.authenticate). Columns added to these tables later are
--   not readable by app_request until a migration grants them.
-- - named audit events are written only together with the action they name: core.audit_event
--   checks each event against what this transaction did (LOGIN: the acting user's session was
--   opened in it, ...), and CONFIG_REVEAL is written only by core.config_reveal, the function
--   that hands a sensitive setting's stored value to the reveal.

-- Up Migration

-- ===== Usernames =====
alter table core.users alter column username drop not null;
alter table core.users drop constraint users_username_format;
alter table core.users add constraint users_username_format
  check (length(username) <= 255 and username ~ '^[^[:space:][:cntrl:]]([^[:cntrl:]]*[^[:space:][:cntrl:]])?$');

comment on column core.users.username is 'Display handle, optional (seeds 000 and 003 have none): 1-255 characters, unique ignoring case';
comment on constraint users_username_format on core.users is 'username must be 1-255 characters, without control characters or leading/trailing spaces';

-- ===== Password hashes: argon2id, or bcrypt until the next login =====
alter table core.users drop constraint users_password_hash_argon2id;
alter table core.users add constraint users_password_hash_format
  check (password_hash ~ '^\$argon2id\$' or password_hash ~ '^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$');

comment on column core.users.password_hash is 'argon2id PHC string, or a bcrypt hash imported from an existing system (rehashed to argon2id at the next login); never readable by the request role';
comment on constraint users_password_hash_format on core.users is 'password_hash must be an argon2id or bcrypt hash';

-- The upgrade runs as app_auth, which may change nothing but a legacy hash, and only into argon2id.
grant update (password_hash) on core.users to app_auth;
create policy "The hash upgrade replaces a bcrypt hash by an argon2id one"
  on core.users for update to app_auth
  using (password_hash !~ '^\$argon2id\$')
  with check (password_hash ~ '^\$argon2id\$');

-- Replaces the user's hash only while it is still p_old_hash, the one the login just verified:
-- a password change committed in between wins (the row is re-checked after its lock).
create function core.upgrade_password_hash(p_user_id uuid, p_old_hash text, p_new_hash text) returns boolean
language sql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
  with upgraded as (
    update core.users
       set password_hash = p_new_hash
     where id = p_user_id and password_hash = p_old_hash
    returning 1
  )
  select exists (select from upgraded)
$$;
comment on function core.upgrade_password_hash(uuid, text, text) is 'Login: replace a verified bcrypt hash by its argon2id rehash, unless the password changed meanwhile';
revoke all on function core.upgrade_password_hash(uuid, text, text) from public;
grant create on schema core to app_auth;
alter function core.upgrade_password_hash(uuid, text, text) owner to app_auth;
revoke create on schema core from app_auth;
set local role app_auth;
grant execute on function core.upgrade_password_hash(uuid, text, text) to app_request;
reset role;

-- ===== Column privileges: no credential column for the request role =====
-- Revoking the table-level privilege also revokes column privileges; then every other column
-- is granted by name. INSERT and UPDATE stay table-wide: registration and password changes write
-- the hash, they never read it.
revoke select on core.users from app_request;
grant select (id, username, email, full_name, first_name, last_name, bio, avatar_url, role, status, preferences,
              last_login_at, created_at, updated_at)
  on core.users to app_request;
revoke select on core.auth_sessions from app_request;
grant select (id, user_id, expires_at, ip, user_agent, created_at, revoked_at)
  on core.auth_sessions to app_request;

-- ===== Named audit events =====
-- The audit writer checks an event against the rows this transaction wrote (their timestamps
-- are now(), the transaction's start), so it reads the few columns that tell, and nothing else.
grant select (id, user_id, created_at, revoked_at) on core.auth_sessions to app_audit;
grant select (id, updated_at) on core.users to app_audit;
grant select (id, config_key, config_value, is_sensitive) on core.system_configurations to app_audit;
create policy "The audit writer checks the sessions a named event is about"
  on core.auth_sessions for select to app_audit
  using (true);
create policy "The audit writer checks the user a named event is about"
  on core.users for select to app_audit
  using (true);
create policy "The reveal reads sensitive settings for admins only"
  on core.system_configurations for select to app_audit
  using (is_sensitive and (select core.is_admin()));

-- Same signature as before, so every caller keeps working; each event now has an owner. The
-- function belongs to app_audit: it replaces it, with CREATE on the schema for the moment.
grant create on schema core to app_audit;
set local role app_audit;
create or replace function core.audit_event(p_action text, p_entity_schema text, p_entity_table text, p_entity_id uuid, p_details jsonb)
returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_actor uuid := nullif(current_setting('app.user_id', true), '')::uuid;
  v_session uuid := nullif(current_setting('app.session_id', true), '')::uuid;
  v_owned boolean;
begin
  v_owned := case p_action
    -- A failed login happens before anyone is acting, and names a user at most.
    when 'LOGIN_FAILED' then
      v_actor is null and (p_entity_table is null or (p_entity_schema, p_entity_table) = ('core', 'users'))
    -- The acting user's session, opened in this transaction.
    when 'LOGIN' then
      (p_entity_schema, p_entity_table) = ('core', 'auth_sessions')
      and exists (select from core.auth_sessions s
                   where s.id = p_entity_id and s.user_id = v_actor and s.created_at = now())
    -- The current session, revoked in this transaction.
    when 'LOGOUT' then
      (p_entity_schema, p_entity_table) = ('core', 'auth_sessions') and p_entity_id = v_session
      and exists (select from core.auth_sessions s
                   where s.id = p_entity_id and s.user_id = v_actor and s.revoked_at = now())
    -- The acting user's session (or, without an id, some of them) revoked in this transaction.
    when 'SESSION_REVOKE' then
      (p_entity_schema, p_entity_table) = ('core', 'auth_sessions')
      and exists (select from core.auth_sessions s
                   where (s.id = p_entity_id or p_entity_id is null) and s.user_id = v_actor and s.revoked_at = now())
    -- The acting user's own row, changed in this transaction.
    when 'PASSWORD_CHANGE' then
      (p_entity_schema, p_entity_table) = ('core', 'users') and p_entity_id = v_actor
      and exists (select from core.users u where u.id = v_actor and u.updated_at = now())
    -- CREATE, UPDATE and DELETE are the trigger's; CONFIG_REVEAL is core.config_reveal's.
    else false
  end;
  if not coalesce(v_owned, false) then
    raise exception '% is not an event this transaction may record', p_action
      using errcode = 'insufficient_privilege',
            hint = 'data changes are audited by the trigger; named events only with the action they name';
  end if;
  insert into core.audit_log (actor_id, actor_role, action, entity_schema, entity_table, entity_id, details,
                              ip, user_agent, request_id, session_id)
  values (v_actor,
          nullif(current_setting('app.user_role', true), ''),
          p_action, p_entity_schema, p_entity_table, p_entity_id, p_details,
          nullif(current_setting('app.client_ip', true), '')::inet,
          nullif(current_setting('app.user_agent', true), ''),
          nullif(current_setting('app.request_id', true), ''),
          v_session);
end
$$;
comment on function core.audit_event(text, text, text, uuid, jsonb) is 'Records a named application event (LOGIN, LOGOUT, ...) with the request context, only together with the action it names';
reset role;

-- The reveal's read and its audit row are one step: no CONFIG_REVEAL without a value handed
-- out, and no value handed out for a reveal without its CONFIG_REVEAL.
create function core.config_reveal(p_id uuid) returns text
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_key text;
  v_value text;
begin
  select c.config_key, c.config_value into v_key, v_value
    from core.system_configurations c
   where c.id = p_id;
  if not found then
    raise exception 'only an admin may reveal a sensitive setting'
      using errcode = 'insufficient_privilege';
  end if;
  insert into core.audit_log (actor_id, actor_role, action, entity_schema, entity_table, entity_id, details,
                              ip, user_agent, request_id, session_id)
  values (nullif(current_setting('app.user_id', true), '')::uuid,
          nullif(current_setting('app.user_role', true), ''),
          'CONFIG_REVEAL', 'core', 'system_configurations', p_id, jsonb_build_object('key', v_key),
          nullif(current_setting('app.client_ip', true), '')::inet,
          nullif(current_setting('app.user_agent', true), ''),
          nullif(current_setting('app.request_id', true), ''),
          nullif(current_setting('app.session_id', true), '')::uuid);
  return v_value;
end
$$;
comment on function core.config_reveal(uuid) is 'config.reveal: a sensitive setting''s stored (encrypted) value for an admin, audited as CONFIG_REVEAL';
revoke all on function core.config_reveal(uuid) from public;
alter function core.config_reveal(uuid) owner to app_audit;
revoke create on schema core from app_audit;
set local role app_audit;
grant execute on function core.config_reveal(uuid) to app_request;
reset role;

-- Down Migration

grant create on schema core to app_audit;
set local role app_audit;
drop function core.config_reveal(uuid);
-- The previous writer: any named event, from any caller.
create or replace function core.audit_event(p_action text, p_entity_schema text, p_entity_table text, p_entity_id uuid, p_details jsonb)
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
reset role;
revoke create on schema core from app_audit;

drop policy "The reveal reads sensitive settings for admins only" on core.system_configurations;
drop policy "The audit writer checks the user a named event is about" on core.users;
drop policy "The audit writer checks the sessions a named event is about" on core.auth_sessions;
revoke select on core.system_configurations from app_audit;
revoke select on core.users from app_audit;
revoke select on core.auth_sessions from app_audit;

revoke select on core.auth_sessions from app_request;
grant select on core.auth_sessions to app_request;
revoke select on core.users from app_request;
grant select on core.users to app_request;

set local role app_auth;
drop function core.upgrade_password_hash(uuid, text, text);
reset role;
drop policy "The hash upgrade replaces a bcrypt hash by an argon2id one" on core.users;
revoke update on core.users from app_auth;

-- Users whose hash is still bcrypt, or who have no username or one outside the old rule,
-- stop the Down here: there is no previous state to put them in.
alter table core.users drop constraint users_password_hash_format;
alter table core.users add constraint users_password_hash_argon2id check (password_hash like '$argon2id$%');
comment on column core.users.password_hash is 'argon2id PHC string; never leaves the database through the API';
comment on constraint users_password_hash_argon2id on core.users is 'password_hash must be an argon2id hash';

alter table core.users drop constraint users_username_format;
alter table core.users add constraint users_username_format check (username ~ '^[a-z0-9][a-z0-9_.-]{2,49}$');
alter table core.users alter column username set not null;
comment on column core.users.username is 'Display handle: 3-50 of a-z 0-9 _ . -, unique ignoring case';
comment on constraint users_username_format on core.users is 'username must be 3-50 characters of letters, digits, _ . - and start with a letter or digit';
