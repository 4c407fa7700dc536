/* @name GetOrCreatePreferences */
-- A user's preferences, created with the defaults on first read (one statement, no read-then-write race).
with created as (
  insert into core.user_preferences (user_id)
  values (:userId!)
  on conflict (user_id) do nothing
  returning id, user_id, theme, llm_model, llm_temperature, llm_max_tokens, ide_type, auto_sync,
            notifications_enabled, created_at, updated_at
)
select id as "id!", user_id as "user_id!", theme as "theme!", llm_model as "llm_model!",
       llm_temperature as "llm_temperature!", llm_max_tokens as "llm_max_tokens!", ide_type,
       auto_sync as "auto_sync!", notifications_enabled as "notifications_enabled!",
       created_at as "created_at!", updated_at as "updated_at!"
from created
union all
select id, user_id, theme, llm_model, llm_temperature, llm_max_tokens, ide_type, auto_sync,
       notifications_enabled, created_at, updated_at
from core.user_preferences
where user_id = :userId!
  and not exists (select from created);

/* @name UpdatePreferences */
-- Changes the preference fields present in the patch (keyed by API field name); absent fields keep their value.
update core.user_preferences
set theme                 = case when :patch::jsonb ? 'theme' then :patch::jsonb ->> 'theme' else theme end,
    llm_model             = case when :patch::jsonb ? 'llmModel' then :patch::jsonb ->> 'llmModel' else llm_model end,
    llm_temperature       = case when :patch::jsonb ? 'llmTemperature' then (:patch::jsonb ->> 'llmTemperature')::double precision else llm_temperature end,
    llm_max_tokens        = case when :patch::jsonb ? 'llmMaxTokens' then (:patch::jsonb ->> 'llmMaxTokens')::integer else llm_max_tokens end,
    ide_type              = case when :patch::jsonb ? 'ideType' then :patch::jsonb ->> 'ideType' else ide_type end,
    auto_sync             = case when :patch::jsonb ? 'autoSync' then (:patch::jsonb ->> 'autoSync')::boolean else auto_sync end,
    notifications_enabled = case when :patch::jsonb ? 'notificationsEnabled' then (:patch::jsonb ->> 'notificationsEnabled')::boolean else notifications_enabled end
where user_id = :userId!
returning id, user_id, theme, llm_model, llm_temperature, llm_max_tokens, ide_type, auto_sync,
          notifications_enabled, created_at, updated_at;
