-- core.users (the union of the five seeds' user tables) and core.auth_sessions (seed 001
-- user_sessions: bearer tokens stored as SHA-256 hashes), with their row-level security,
-- the two credential-reading functions, and the per-request setup function.

-- Up Migration

-- ===== Tables =====
create table core.users (
  id            uuid primary key default core.uuidv7(),
  username      citext not null,
  email         citext not null,
  password_hash text not null,
  full_name     text,
  first_name    text,
  last_name     text,
  bio           text,
  avatar_url    text,
  role          text not null default 'user',
  status        text not null default 'ACTIVE',
  preferences   jsonb not null default '{}',
  last_login_at timestamptz,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  constraint users_username_key unique (username),
  constraint users_email_key unique (email),
  constraint users_username_format check (username ~ '^[a-z0-9][a-z0-9_.-]{2,49}$'),
  constraint users_email_format check (length(email) <= 255 and email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
  constraint users_password_hash_argon2id check (password_hash like '$argon2id$%'),
  constraint users_full_name_length check (length(full_name) between 1 and 255),
  constraint users_first_name_length check (length(first_name) between 1 and 255),
  constraint users_last_name_length check (length(last_name) between 1 and 255),
  constraint users_bio_length check (length(bio) <= 5000),
  constraint users_avatar_url_format check (length(avatar_url) <= 500 and avatar_url ~ '^https?://'),
  constraint users_role_check check (role in ('user', 'admin')),
  constraint users_status_check check (status in ('ACTIVE', 'INACTIVE', 'SUSPENDED')),
  constraint users_preferences_object check (jsonb_typeof(preferences) = 'object')
);

comment on table core.users is 'Every person who uses any of the five applications (union of the seeds'' user tables)';
comment on column core.users.username is 'Display handle: 3-50 of a-z 0-9 _ . -, unique ignoring case';
comment on column core.users.email is 'Login address, unique ignoring case';
comment on column core.users.password_hash is 'argon2id PHC string; never leaves the database through the API';
comment on column core.users.role is 'user or admin (seed 004 is_admin)';
comment on column core.users.status is 'ACTIVE, INACTIVE or SUSPENDED (seed 002; seeds 000/001/004 is_active). Only ACTIVE users can authenticate';
comment on column core.users.preferences is 'Free-form UI settings as a JSON object (seed 004)';

comment on constraint users_username_key on core.users is 'username is already taken';
comment on constraint users_email_key on core.users is 'email is already registered';
comment on constraint users_username_format on core.users is 'username must be 3-50 characters of letters, digits, _ . - and start with a letter or digit';
comment on constraint users_email_format on core.users is 'email must be a valid address of at most 255 characters';
comment on constraint users_password_hash_argon2id on core.users is 'password_hash must be an argon2id hash';
comment on constraint users_full_name_length on core.users is 'full_name must be 1-255 characters';
comment on constraint users_first_name_length on core.users is 'first_name must be 1-255 characters';
comment on constraint users_last_name_length on core.users is 'last_name must be 1-255 characters';
comment on constraint users_bio_length on core.users is 'bio must be at most 5000 characters';
comment on constraint users_avatar_url_format on core.users is 'avatar_url must be an http(s) URL of at most 500 characters';
comment on constraint users_role_check on core.users is 'role must be user or admin';
comment on constraint users_status_check on core.users is 'status must be ACTIVE, INACTIVE or SUSPENDED';
comment on constraint users_preferences_object on core.users is 'preferences must be a JSON object';

create index users_status_idx on core.users (status);

create trigger users_touch_updated_at
  before update on core.users
  for each row execute function core.touch_updated_at();

-- A user may edit their own row, but role and status are an admin's decision. RLS cannot
-- compare old and new values, so a trigger does.
create function core.users_guard_privileged_columns() returns trigger
language plpgsql
as $$
begin
  if (new.role is distinct from old.role or new.status is distinct from old.status)
     and not core.is_admin() then
    raise exception 'only an admin may change a user''s role or status'
      using errcode = 'insufficient_privilege';
  end if;
  return new;
end
$$;

create trigger users_guard_privileged_columns
  before update of role, status on core.users
  for each row execute function core.users_guard_privileged_columns();

create table core.auth_sessions (
  id          uuid primary key default core.uuidv7(),
  user_id     uuid not null references core.users (id) on delete cascade,
  token_hash  bytea not null,
  expires_at  timestamptz not null,
  ip          inet,
  user_agent  text,
  created_at  timestamptz not null default now(),
  revoked_at  timestamptz,
  constraint auth_sessions_token_hash_key unique (token_hash),
  constraint auth_sessions_token_hash_sha256 check (octet_length(token_hash) = 32),
  constraint auth_sessions_expires_after_created check (expires_at > created_at),
  constraint auth_sessions_user_agent_length check (length(user_agent) <= 512)
);

comment on table core.auth_sessions is 'Bearer-token sessions (seed 001 user_sessions). The token itself is never stored';
comment on column core.auth_sessions.token_hash is 'SHA-256 of the bearer token';
comment on column core.auth_sessions.revoked_at is 'Set by logout or revocation; a revoked session never authenticates again';

comment on constraint auth_sessions_token_hash_key on core.auth_sessions is 'token is already in use';
comment on constraint auth_sessions_token_hash_sha256 on core.auth_sessions is 'token_hash must be a 32-byte SHA-256 digest';
comment on constraint auth_sessions_expires_after_created on core.auth_sessions is 'expires_at must be after created_at';
comment on constraint auth_sessions_user_agent_length on core.auth_sessions is 'user_agent must be at most 512 characters';
comment on constraint auth_sessions_user_id_fkey on core.auth_sessions is 'user_id must reference an existing user';

create index auth_sessions_user_id_idx on core.auth_sessions (user_id);

-- ===== Row-level security =====
alter table core.users enable row level security;
alter table core.users force row level security;

create policy "Users see themselves; admins see everyone"
  on core.users for select to app_request
  using (id = (select core.current_user_id()) or (select core.is_admin()));
create policy "A newcomer creates only their own row, as an active plain user; admins create any"
  on core.users for insert to app_request
  with check ((id = (select core.current_user_id()) and role = 'user' and status = 'ACTIVE')
              or (select core.is_admin()));
create policy "Users update themselves; admins update anyone"
  on core.users for update to app_request
  using (id = (select core.current_user_id()) or (select core.is_admin()))
  with check (id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Only admins delete users"
  on core.users for delete to app_request
  using ((select core.is_admin()));
create policy "The authentication functions read every user's credentials"
  on core.users for select to app_auth
  using (true);

alter table core.auth_sessions enable row level security;
alter table core.auth_sessions force row level security;

create policy "Users see their own sessions; admins see all"
  on core.auth_sessions for select to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Users open sessions only for themselves"
  on core.auth_sessions for insert to app_request
  with check (user_id = (select core.current_user_id()));
create policy "Users revoke their own sessions; admins revoke any"
  on core.auth_sessions for update to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()))
  with check (user_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Users delete their own sessions; admins delete any"
  on core.auth_sessions for delete to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "The authentication functions read every session"
  on core.auth_sessions for select to app_auth
  using (true);

-- ===== Grants =====
grant select, insert, update, delete on core.users, core.auth_sessions to app_request;
grant select on core.users, core.auth_sessions to app_auth;

-- ===== Credential functions (SECURITY DEFINER, owned by app_auth) =====
-- Before login nobody is acting yet, so RLS hides every user row: these two functions are
-- the deliberate, narrow exceptions. search_path is pinned so that no object of the caller's
-- can stand in for the ones named here; public holds citext's operators.
create function core.login_lookup(p_email citext)
returns table (id uuid, password_hash text, role text, status text)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
  select u.id, u.password_hash, u.role, u.status
  from core.users u
  where u.email = p_email
$$;
comment on function core.login_lookup(citext) is 'Login: the credentials of the user with this email, read across RLS';

create function core.authenticate(p_token_hash bytea)
returns table (user_id uuid, user_role text, session_id uuid)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
  select s.user_id, u.role, s.id
  from core.auth_sessions s
  join core.users u on u.id = s.user_id
  where s.token_hash = p_token_hash
    and s.revoked_at is null
    and s.expires_at > now()
    and u.status = 'ACTIVE'
$$;
comment on function core.authenticate(bytea) is 'The live session of a bearer token: not revoked, not expired, user ACTIVE';

-- Functions are executable by PUBLIC by default; these only by the request path.
revoke all on function core.login_lookup(citext) from public;
revoke all on function core.authenticate(bytea) from public;
grant execute on function core.login_lookup(citext) to app_request;
grant execute on function core.authenticate(bytea) to app_request;

-- Handing a function to another role requires that role to have CREATE on the schema; it
-- gets it only for the hand-over.
grant create on schema core to app_auth;
alter function core.login_lookup(citext) owner to app_auth;
alter function core.authenticate(bytea) owner to app_auth;
revoke create on schema core from app_auth;

-- ===== Request setup =====
-- Runs first in every procedure's transaction, as the owner: resolves the bearer token,
-- records who is asking in transaction-local settings, then drops to app_request. One call,
-- one round trip. The server may send the procedure's first query right behind it, assuming
-- the session and role the token had on its last use (p_expected_*); if the token no longer
-- resolves to exactly that, this raises and the whole transaction is retried without the
-- assumption: the database decides on every request.
create function core.begin_request(p_token_hash bytea, p_client_ip inet, p_user_agent text, p_request_id text,
                                   p_expected_session_id uuid default null, p_expected_role text default null)
returns table (user_id uuid, user_role text, session_id uuid)
language plpgsql volatile
set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_user_id uuid;
  v_user_role text;
  v_session_id uuid;
begin
  -- Drop privileges first: everything after this line runs as app_request.
  perform set_config('role', 'app_request', true);
  if p_token_hash is not null then
    select a.user_id, a.user_role, a.session_id
      into v_user_id, v_user_role, v_session_id
      from core.authenticate(p_token_hash) a;
  end if;
  perform set_config('app.user_id', coalesce(v_user_id::text, ''), true),
          set_config('app.user_role', coalesce(v_user_role, ''), true),
          set_config('app.session_id', coalesce(v_session_id::text, ''), true),
          set_config('app.client_ip', coalesce(host(p_client_ip), ''), true),
          set_config('app.user_agent', coalesce(p_user_agent, ''), true),
          set_config('app.request_id', coalesce(p_request_id, ''), true);
  if p_expected_session_id is not null
     and (v_session_id is distinct from p_expected_session_id or v_user_role is distinct from p_expected_role) then
    raise exception 'the session changed since it was last used'
      using errcode = 'invalid_authorization_specification';
  end if;
  return query select v_user_id, v_user_role, v_session_id;
end
$$;
comment on function core.begin_request(bytea, inet, text, text, uuid, text) is 'Per-request setup: authenticate, set the app.* settings, SET LOCAL ROLE app_request';
revoke all on function core.begin_request(bytea, inet, text, text, uuid, text) from public;

-- Procedures that change who is acting within their transaction (registration acts as the
-- new user, login as the user whose password it just checked).
create function core.act_as(p_user_id uuid, p_user_role text) returns void
language sql volatile
as $$
  select set_config('app.user_id', coalesce(p_user_id::text, ''), true),
         set_config('app.user_role', coalesce(p_user_role, ''), true)
$$;
comment on function core.act_as(uuid, text) is 'Switch the acting user for the rest of this transaction';
revoke all on function core.act_as(uuid, text) from public;
grant execute on function core.act_as(uuid, text) to app_request;

-- Down Migration

drop function core.act_as(uuid, text);
drop function core.begin_request(bytea, inet, text, text, uuid, text);

-- The credential functions belong to app_auth, which the owner may become but not inherit.
set local role app_auth;
drop function core.authenticate(bytea);
drop function core.login_lookup(citext);
reset role;

revoke all on core.users, core.auth_sessions from app_request, app_auth;
drop table core.auth_sessions;
drop table core.users;
drop function core.users_guard_privileged_columns();
