-- Platform: the schemas of the five applications and the shared core, the runtime roles,
-- the extensions, the UUIDv7 default, the request-settings readers and the updated_at trigger.
-- Every later migration builds on these. Migrations run as the owner role (the role that
-- connects with DATABASE_URL); requests never do: they SET LOCAL ROLE app_request.

-- Up Migration

-- ===== Extensions =====
-- citext: case-insensitive unique emails and usernames. pgcrypto: gen_random_uuid() for the
-- UUIDv7 fallback below and digests in SQL. Both are trusted extensions: a database owner
-- without superuser may create them.
create extension if not exists citext;
create extension if not exists pgcrypto;

-- ===== Roles =====
-- Roles are cluster-wide and shared by every database on the server (test copies, staging),
-- so they are created only when missing.
--   app_request: every tRPC procedure runs as this role (SET LOCAL ROLE). No BYPASSRLS, owns
--                nothing, so row-level security always applies to it.
--   app_auth:    owns the two SECURITY DEFINER functions that must read credentials across
--                users (login lookup, bearer-token check). Nothing else runs as it.
do $$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'app_request') then
    create role app_request nologin nosuperuser nobypassrls noinherit;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'app_auth') then
    create role app_auth nologin nosuperuser nobypassrls noinherit;
  end if;
end
$$;


-- ===== Schemas =====
create schema core;
create schema verificai;
create schema scraper;
create schema socrates;
create schema exportsathi;
create schema componentforge;

comment on schema core is 'Shared identity, sessions, preferences, rate limits, configuration and audit for all five applications';
comment on schema verificai is 'VerificAI (seed 000): code analysis sessions, uploads, results and tasks';
comment on schema scraper is 'Scraper (seed 001): scraping jobs, artifacts, tags and extractions';
comment on schema socrates is 'SOCRATES (seed 002): projects, tutoring sessions, messages and documents';
comment on schema exportsathi is 'ExportSathi (seed 003): business profiles, reports, certifications and chat';
comment on schema componentforge is 'ComponentForge (seed 004): RAG documents, threaded conversations, evaluations and exports';

grant usage on schema core, verificai, scraper, socrates, exportsathi, componentforge to app_request;
grant usage on schema core to app_auth;

-- ===== Role membership =====
-- The owner may switch to these roles (SET) but does not inherit their privileges: a policy
-- written for app_auth must never apply to the owner's own connections. core.use_role grants
-- that (PostgreSQL 16+: the grant's INHERIT FALSE, SET TRUE; 15: plain membership, with the
-- owner made NOINHERIT, which Down leaves as it is: other databases of the owner may rely on it). Another deployment's owner on the same cluster may have created the
-- roles; then a superuser or that owner grants them (src/db/lifecycle.ts provisionOwner does).
create function core.use_role(role_name name) returns void
language plpgsql
set search_path = pg_catalog
as $$
declare
  pg16 boolean := current_setting('server_version_num')::int >= 160000;
begin
  if not pg16 and (select rolinherit from pg_roles where rolname = current_user) then
    -- NOINHERIT also ends the owner's inherited rights as pg_database_owner; src/db/migrate.ts
    -- grants it the one it needs from that (creating in schema public) in each database.
    execute format('alter role %I noinherit', current_user);
    raise notice 'role % is now NOINHERIT: on PostgreSQL 15 that keeps it from holding the rights of the request roles', current_user;
  end if;
  if pg_has_role(current_user, role_name, case when pg16 then 'SET' else 'MEMBER' end) then
    return;
  end if;
  begin
    execute format('grant %I to current_user%s', role_name, case when pg16 then ' with inherit false, set true' else '' end);
  exception when insufficient_privilege then
    raise exception 'role % may not use role %, which another deployment on this server created', current_user, role_name
      using hint = format('A superuser, or the owner role of that deployment, runs: grant %I to %I with inherit false, set true; then migrate again.',
                          role_name, current_user);
  end;
end
$$;
comment on function core.use_role(name) is 'Migrations only: lets the owner SET ROLE to a shared role without inheriting its rights';
revoke all on function core.use_role(name) from public; -- functions are executable by PUBLIC by default

select core.use_role('app_request');
select core.use_role('app_auth');

-- ===== Ids: UUIDv7 =====
-- Time-ordered ids keep btree inserts at the right edge of the index. PostgreSQL 18 has
-- uuidv7() built in; older servers get the RFC 9562 layout built from a random v4 uuid:
-- 48 bits of unix milliseconds, then version 7 (bits 52 and 53 turn the 4 into a 7).
do $$
begin
  if current_setting('server_version_num')::int >= 180000 then
    execute $fn$
      create function core.uuidv7() returns uuid
      language sql volatile parallel safe
      as 'select pg_catalog.uuidv7()'
    $fn$;
  else
    execute $fn$
      create function core.uuidv7() returns uuid
      language sql volatile parallel safe
      as $body$
        select encode(
          set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                    placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
                    from 1 for 6),
            52, 1), 53, 1),
          'hex')::uuid
      $body$
    $fn$;
  end if;
end
$$;
comment on function core.uuidv7() is 'Time-ordered UUID (version 7): the default of every primary key';

-- ===== Request settings =====
-- The request wrapper sets these with set_config(..., true), so they last one transaction.
-- A pooled connection reads a setting that an earlier transaction set as '' rather than NULL,
-- hence nullif. Policies call them as (select core.current_user_id()) so that they are
-- evaluated once per statement, not once per row.
create function core.current_user_id() returns uuid
language sql stable parallel safe
as $$ select nullif(current_setting('app.user_id', true), '')::uuid $$;
comment on function core.current_user_id() is 'The acting user of this transaction, or NULL when anonymous';

create function core.current_user_role() returns text
language sql stable parallel safe
as $$ select nullif(current_setting('app.user_role', true), '') $$;
comment on function core.current_user_role() is 'The acting user''s role (user or admin), or NULL when anonymous';

create function core.is_admin() returns boolean
language sql stable parallel safe
as $$ select coalesce(nullif(current_setting('app.user_role', true), '') = 'admin', false) $$;
comment on function core.is_admin() is 'True when the acting user is an admin';

-- ===== updated_at =====
create function core.touch_updated_at() returns trigger
language plpgsql
as $$
begin
  new.updated_at := now();
  return new;
end
$$;
comment on function core.touch_updated_at() is 'BEFORE UPDATE trigger: keeps updated_at so application code never has to';

-- Down Migration

drop function core.touch_updated_at();
drop function core.use_role(name);
drop function core.is_admin();
drop function core.current_user_role();
drop function core.current_user_id();
drop function core.uuidv7();

drop schema componentforge;
drop schema exportsathi;
drop schema socrates;
drop schema scraper;
drop schema verificai;
drop schema core;

-- Another database on this server may still use the roles (grants there are dependencies);
-- then they stay, and only this database is back to its previous state.
do $$
begin
  drop role app_auth;
exception when dependent_objects_still_exist or insufficient_privilege then
  raise notice 'role app_auth is still used by another database on this server, or was created by another owner; kept';
end
$$;
do $$
begin
  drop role app_request;
exception when dependent_objects_still_exist or insufficient_privilege then
  raise notice 'role app_request is still used by another database on this server, or was created by another owner; kept';
end
$$;

drop extension pgcrypto;
drop extension citext;
