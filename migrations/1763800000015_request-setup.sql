-- Request setup in one plain statement.
--
-- Every procedure's transaction used to start with BEGIN and core.begin_request, a plpgsql
-- function calling the SECURITY DEFINER core.authenticate: two statements and two function
-- calls (one of them a SQL function PostgreSQL before 18 plans again on every call) before the
-- procedure's own query, then a COMMIT. The server now sends the setup as one plain named
-- statement (sql/core/request.sql: StartRequest) in the same implicit transaction as the
-- procedure's queries, with no BEGIN and no COMMIT (src/db/envelope.ts). It reads the token's
-- live session through the view below: plain SQL, planned once per connection like any query.
--
-- Why a view owned by app_auth: RLS is forced on core.users and core.auth_sessions, and only
-- app_auth has a policy that reads every session. A view is read with its owner's rights and
-- policies, so the owner role (whose connections run the setup before they drop to
-- app_request) may read live sessions through it and nothing else. app_request gets no
-- access: a request can no more look up tokens than it could before.

-- Up Migration

-- The bearer tokens that authenticate right now: not revoked, not expired, user ACTIVE. The
-- same rule as core.authenticate.
create view core.live_sessions as
  select s.token_hash, s.user_id, u.role as user_role, s.id as session_id
  from core.auth_sessions s
  join core.users u on u.id = s.user_id
  where s.revoked_at is null
    and s.expires_at > now()
    and u.status = 'ACTIVE';
comment on view core.live_sessions is 'Bearer tokens that authenticate now (not revoked, not expired, user ACTIVE); read by the request setup as app_auth';
revoke all on core.live_sessions from public;

-- Raised by the request setup when the token no longer resolves to the session and role the
-- server assumed from its last use: the transaction, and the query sent behind the setup, are
-- discarded and the server runs the request again without the assumption.
create function core.refuse_changed_session() returns text
language plpgsql volatile
as $$
begin
  raise exception 'the session changed since it was last used'
    using errcode = 'invalid_authorization_specification';
end
$$;
comment on function core.refuse_changed_session() is 'Request setup: refuses a transaction whose assumed session or role no longer holds';
revoke all on function core.refuse_changed_session() from public;

-- Hand the view to app_auth (which needs CREATE on the schema for the hand-over only), then,
-- as app_auth, let the owner of the schema (the role migrations and request setups run as) read it.
grant create on schema core to app_auth;
alter view core.live_sessions owner to app_auth;
revoke create on schema core from app_auth;
do $$
declare
  v_owner regrole := (select nspowner::regrole from pg_catalog.pg_namespace where nspname = 'core');
begin
  set local role app_auth;
  execute format('grant select on core.live_sessions to %s', v_owner);
  reset role;
end
$$;

-- Down Migration

set local role app_auth;
drop view core.live_sessions;
reset role;
drop function core.refuse_changed_session();
