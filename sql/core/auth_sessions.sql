/* @name InsertAuthSession */
-- Opens a session for the acting user; only the SHA-256 of its bearer token is kept.
insert into core.auth_sessions (user_id, token_hash, expires_at, ip, user_agent)
values (:userId!, :tokenHash!, :expiresAt!, :ip, :userAgent)
returning id, user_id, expires_at, ip, user_agent, created_at;

/* @name ListLiveSessions */
-- A user's sessions that can still authenticate, newest first.
select id, created_at, expires_at, ip, user_agent
from core.auth_sessions
where user_id = :userId!
  and revoked_at is null
  and expires_at > now()
order by created_at desc, id desc;

/* @name RevokeSession */
-- Revokes one live session of a user.
update core.auth_sessions
set revoked_at = now()
where id = :id!
  and user_id = :userId!
  and revoked_at is null
returning id;

/* @name RevokeSessionsExcept */
-- Revokes every live session of a user except the one named (null keeps none).
update core.auth_sessions
set revoked_at = now()
where user_id = :userId!
  and revoked_at is null
  and id is distinct from cast(:keepId as uuid)
returning id;
