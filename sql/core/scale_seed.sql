/* @name LastScaleBatch */
-- db:seed --scale: the highest batch number earlier runs used (their users' emails name it), so that a rerun adds a new batch of distinct users.
select coalesce(max(substring(email::text from '\.b([0-9]+)@seed-scale\.example$')::int), 0) as "lastBatch!"
from core.users
where email::text like '%@seed-scale.example';

/* @name InsertScaleUsers */
-- db:seed --scale: many users in one statement from parallel arrays (one element per user), all with the one password hash the seed made once.
insert into core.users (id, username, email, password_hash, full_name, first_name, last_name, bio, preferences)
select u.id, u.username, u.email, :passwordHash!, u.full_name, u.first_name, u.last_name, u.bio, u.preferences::jsonb
from unnest(:ids!::uuid[], :usernames!::text[], :emails!::text[], :fullNames!::text[], :firstNames!::text[],
            :lastNames!::text[], :bios!::text[], :preferences!::text[])
  as u(id, username, email, full_name, first_name, last_name, bio, preferences);

/* @name InsertScalePreferences */
-- db:seed --scale: the acting user's preferences row.
insert into core.user_preferences (user_id, theme, llm_model, llm_temperature, llm_max_tokens, ide_type, auto_sync, notifications_enabled)
values (:userId!, :theme!, :llmModel!, :llmTemperature!, :llmMaxTokens!, :ideType!, :autoSync!, :notificationsEnabled!);

/* @name InsertScaleAuthSession */
-- db:seed --scale: a bearer-token session of the acting user (only the token's SHA-256 is stored), valid for the given hours.
insert into core.auth_sessions (user_id, token_hash, expires_at, ip, user_agent)
values (:userId!, :tokenHash!, now() + make_interval(hours => :ttlHours!), '127.0.0.1', :userAgent!);
