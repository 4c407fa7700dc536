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
