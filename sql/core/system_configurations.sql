/* @name ListConfigs */
-- One page of settings in key order after the cursor key; RLS hides sensitive ones from non-admins. Served by the unique index on config_key, the cursor a CASE, not `:after is null or ...`, so that under a generic plan and RLS it stays an index condition (keys start with a letter: none is '').
select id, config_key, config_value, config_type, description, is_sensitive, created_at, updated_at
from core.system_configurations
where config_key > case when cast(:after as text) is null then '' else :after end
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
