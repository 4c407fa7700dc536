/* @name InsertEvaluationRun */
-- Records an evaluation run (admins), pending unless a status is given.
insert into componentforge.evaluation_runs (name, description, model_name, dataset_name, config, status, metrics)
values (:name!, :description, :modelName!, :datasetName, :config, coalesce(:status, 'pending'), :metrics)
returning id, name, description, model_name, dataset_name, config, status, metrics, created_at, updated_at;

/* @name FindEvaluationRunById */
-- One evaluation run with its configuration and metrics.
select id, name, description, model_name, dataset_name, config, status, metrics, created_at, updated_at
from componentforge.evaluation_runs
where id = :id!;

/* @name ListEvaluationRuns */
-- One page of evaluation runs newest first (ids are time-ordered), before the cursor id; the cursor a CASE, not coalesce, so that under RLS it stays an index condition.
select id, name, description, model_name, dataset_name, config, status, metrics, created_at, updated_at
from componentforge.evaluation_runs
where id < case when cast(:beforeId as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :beforeId end
order by id desc
limit :limit!;

/* @name ListEvaluationRunsByStatus */
-- One page of the evaluation runs of one status newest first, before the cursor id; served by (status, id).
select id, name, description, model_name, dataset_name, config, status, metrics, created_at, updated_at
from componentforge.evaluation_runs
where status = :status!
  and id < case when cast(:beforeId as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :beforeId end
order by id desc
limit :limit!;

/* @name UpdateEvaluationRun */
-- Changes the description, status, config and metrics present in the patch (keyed by API field name); absent fields keep their value, null clears (admins).
update componentforge.evaluation_runs
set description = case when :patch::jsonb ? 'description' then :patch::jsonb ->> 'description' else description end,
    status      = case when :patch::jsonb ? 'status' then :patch::jsonb ->> 'status' else status end,
    config      = case when :patch::jsonb ? 'config' then nullif(:patch::jsonb -> 'config', 'null') else config end,
    metrics     = case when :patch::jsonb ? 'metrics' then nullif(:patch::jsonb -> 'metrics', 'null') else metrics end
where id = :id!
returning id, name, description, model_name, dataset_name, config, status, metrics, created_at, updated_at;

/* @name DeleteEvaluationRun */
-- Deletes an evaluation run (admins).
delete from componentforge.evaluation_runs
where id = :id!
returning id;
