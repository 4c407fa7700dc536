/* @name ListConfigs */
-- One page of settings in key order after the cursor; RLS hides sensitive ones from non-admins.
select id, config_key, config_value, config_type, description, is_sensitive, created_at, updated_at
from core.system_configurations
where cast(:after as text) is null or config_key > :after
order by config_key
limit :limit!;

/* @name FindConfig */
-- One setting by key.
select id, config_key, config_value, config_type, description, is_sensitive, created_at, updated_at
from core.system_configurations
where config_key = :configKey!;

/* @name UpsertConfig */
-- Creates or replaces a setting (admins).
insert into core.system_configurations (config_key, config_value, config_type, description, is_sensitive)
values (:configKey!, :configValue, :configType!, :description, :isSensitive!)
on conflict (config_key) do update
set config_value = excluded.config_value,
    config_type  = excluded.config_type,
    description  = excluded.description,
    is_sensitive = excluded.is_sensitive
returning id, config_key, config_value, config_type, description, is_sensitive, created_at, updated_at;

/* @name DeleteConfig */
-- Deletes a setting (admins).
delete from core.system_configurations
where config_key = :configKey!
returning id;
