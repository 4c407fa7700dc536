/* @name SetJobConfiguration */
-- Creates or replaces one setting of a job (unique per job and key).
insert into scraper.job_configurations (job_id, config_key, config_value)
values (:jobId!, :configKey!, :configValue)
on conflict (job_id, config_key) do update
set config_value = excluded.config_value
returning id, job_id, config_key, config_value, created_at, updated_at;

/* @name ListJobConfigurations */
-- A job's settings in key order (at most :limit); served by the (job_id, config_key) key.
select id, job_id, config_key, config_value, created_at, updated_at
from scraper.job_configurations
where job_id = :jobId!
order by config_key
limit :limit!;

/* @name DeleteJobConfiguration */
-- Removes one setting of a job.
delete from scraper.job_configurations
where job_id = :jobId! and config_key = :configKey!
returning id;
