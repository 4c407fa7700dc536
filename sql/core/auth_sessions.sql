/* @name InsertAuthSession */
-- Opens a session for the acting user; only the SHA-256 of its bearer token is kept.
insert into core.auth_sessions (user_id, token_hash, expires_at, ip, user_agent)
values (:userId!, :tokenHash!, :expiresAt!, :ip, :userAgent)
returning id, user_id, expires_at, ip, user_agent, created_at;
