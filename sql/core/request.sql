/* @name StartRequest */
-- The first statement of every procedure's transaction, run as the owner: finds the bearer token's live session, records who is asking in transaction-local settings (READ ONLY for query procedures), refuses when the token no longer resolves to the session and role the server assumed, and ends with SET LOCAL ROLE app_request.
select s.user_id, s.user_role, s.session_id,
       -- Each argument is a setting made in this order (the role last, once the session is read); the count only gives them one column.
       num_nonnulls(
         case when :expectedSessionId::uuid is not null
               and (s.session_id is distinct from :expectedSessionId::uuid or s.user_role is distinct from :expectedRole::text)
              then core.refuse_changed_session() end,
         set_config('app.user_id', coalesce(s.user_id::text, ''), true),
         set_config('app.user_role', coalesce(s.user_role, ''), true),
         set_config('app.session_id', coalesce(s.session_id::text, ''), true),
         set_config('app.client_ip', coalesce(host(:clientIp::inet), ''), true),
         set_config('app.user_agent', coalesce(:userAgent::text, ''), true),
         set_config('app.request_id', coalesce(:requestId::text, ''), true),
         case when :readOnly::boolean then set_config('transaction_read_only', 'on', true) end,
         set_config('role', 'app_request', true)) as "settings!"
from (values (:tokenHash::bytea)) as request (token_hash)
left join core.live_sessions s on s.token_hash = request.token_hash;

/* @name BeginRequest */
-- First statement of every procedure's transaction: authenticate the bearer token, record who is asking, SET LOCAL ROLE app_request.
select user_id, user_role, session_id
from core.begin_request(:tokenHash, :clientIp, :userAgent, :requestId, :expectedSessionId, :expectedRole);

/* @name ActAs */
-- Changes the acting user for the rest of the transaction (registration acts as the new user, login as the user just verified).
select core.act_as(:userId, :userRole) as "done";

/* @name ProbeTypes */
-- One value of each type whose JavaScript mapping matters; the type tests compare PgTyped's declarations with what pg returns.
select now() as "timestamptz!",
       9007199254740993::bigint as "bigint!",
       12345678901234567890.123456789::numeric as "numeric!",
       '{"a": [1, "two", null], "b": {"c": true}}'::jsonb as "jsonb!",
       '192.168.0.1'::inet as "inet!",
       array['x', 'y', 'z']::text[] as "text_array!",
       '2026-11-22'::date as "date!",
       true as "boolean!",
       7::integer as "integer!",
       '\x0102'::bytea as "bytea!";
