/* @name InsertFirstConfiguration */
-- Creates version 1 of one of the acting user's prompt types; a type that already has versions breaks the (user_id, config_type, version) key.
insert into verificai.configurations (user_id, config_type, prompt_content, is_default, version)
values (:userId!, :configType!, :promptContent!, :isDefault!, 1)
returning id, user_id, config_type, prompt_content, is_default, version, created_at, updated_at;

/* @name InsertNextConfigurationVersion */
-- Adds version n+1 of the prompt that the version :id belongs to, keeping every older version unchanged; a concurrent edit that took n+1 first breaks the key (CONFLICT).
insert into verificai.configurations (user_id, config_type, prompt_content, is_default, version)
select c.user_id, c.config_type, :promptContent!, :isDefault!,
       (select max(v.version) + 1 from verificai.configurations v where v.user_id = c.user_id and v.config_type = c.config_type)
from verificai.configurations c
where c.id = :id!
returning id, user_id, config_type, prompt_content, is_default, version, created_at, updated_at;

/* @name ClearDefaultConfiguration */
-- Unmarks the default version of a user's prompt type, except :keepId; the first step of making another version the default.
update verificai.configurations
set is_default = false
where user_id = :userId! and config_type = :configType! and is_default
  and id is distinct from :keepId::uuid
returning id;

/* @name SetConfigurationDefault */
-- Marks one version as its type's default (or not); the partial unique index refuses a second default.
update verificai.configurations
set is_default = :isDefault!
where id = :id!
returning id, user_id, config_type, prompt_content, is_default, version, created_at, updated_at;

/* @name FindConfiguration */
-- One prompt version; RLS shows a user only their own.
select id, user_id, config_type, prompt_content, is_default, version, created_at, updated_at
from verificai.configurations
where id = :id!;

/* @name ListLatestConfigurations */
-- The latest version of each of a user's prompt types, in type order: the user's versions through the (user_id, config_type, version) key, the newest of each type kept.
select distinct on (config_type) id, user_id, config_type, prompt_content, is_default, version, created_at, updated_at
from verificai.configurations
where user_id = :userId!
order by config_type, version desc;

/* @name ListConfigurationHistory */
-- One page of the versions of a user's prompt type, newest first, below the cursor version; served by the (user_id, config_type, version) key.
select id, user_id, config_type, prompt_content, is_default, version, created_at, updated_at
from verificai.configurations
where user_id = :userId!
  and config_type = :configType!
  and version < case when cast(:beforeVersion as int) is null then 2147483647 else :beforeVersion end
order by version desc
limit :limit!;

/* @name DeleteConfiguration */
-- Deletes one prompt version; results it produced keep their rows with configuration_id NULL (ON DELETE SET NULL).
delete from verificai.configurations
where id = :id!
returning id;
