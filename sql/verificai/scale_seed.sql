/* @name InsertScaleConfigurations */
-- db:seed --scale: the acting user's analysis prompts, each the first version and the default of its type.
insert into verificai.configurations (id, user_id, config_type, prompt_content, is_default, version)
select c.id, :userId!, c.config_type, c.prompt_content, true, 1
from unnest(:ids!::uuid[], :configTypes!::text[], :promptContents!::text[]) as c(id, config_type, prompt_content);

/* @name InsertScaleAnalysisSessions */
-- db:seed --scale: the acting user's analysis sessions, uploading (files are added only while a session is created or uploading).
insert into verificai.analysis_sessions (id, user_id, session_name, status)
select s.id, :userId!, s.session_name, 'uploading'
from unnest(:ids!::uuid[], :sessionNames!::text[]) as s(id, session_name);

/* @name InsertScaleFileUploads */
-- db:seed --scale: files of the acting user's sessions (one element per file); the statement trigger counts them into total_files and processed_files.
insert into verificai.file_uploads (analysis_session_id, file_name, file_path, file_size, file_type, upload_status)
select f.analysis_session_id, f.file_name, f.file_path, f.file_size, f.file_type, f.upload_status
from unnest(:sessionIds!::uuid[], :fileNames!::text[], :filePaths!::text[], :fileSizes!::bigint[], :fileTypes!::text[],
            :uploadStatuses!::text[])
  as f(analysis_session_id, file_name, file_path, file_size, file_type, upload_status);

/* @name InsertScaleAnalysisResults */
-- db:seed --scale, as an admin (the analysis worker): results of sessions, each with its owner's prompt of its type; an empty score is none (not scored).
insert into verificai.analysis_results (analysis_session_id, configuration_id, analysis_type, file_name, result_content, score, status)
select r.analysis_session_id, r.configuration_id, r.analysis_type, r.file_name, r.result_content, nullif(r.score, '')::numeric, r.status
from unnest(:sessionIds!::uuid[], :configurationIds!::uuid[], :analysisTypes!::text[], :fileNames!::text[], :resultContents!::text[],
            :scores!::text[], :statuses!::text[])
  as r(analysis_session_id, configuration_id, analysis_type, file_name, result_content, score, status);

/* @name InsertScaleAnalysisTasks */
-- db:seed --scale, as an admin (the task queue's worker): tasks of sessions, pending or finished (started and finished now, one attempt; a failed one with its error).
insert into verificai.analysis_tasks (analysis_session_id, task_id, task_type, status, progress, error_message, started_at, completed_at,
                                      attempts, last_error)
select t.analysis_session_id, t.task_id, t.task_type, t.status, case when t.status = 'completed' then 100 else t.progress end,
       nullif(t.error_message, ''), case when t.status <> 'pending' then now() end,
       case when t.status in ('completed', 'failed') then now() end, case when t.status <> 'pending' then 1 else 0 end,
       nullif(t.error_message, '')
from unnest(:sessionIds!::uuid[], :taskIds!::text[], :taskTypes!::text[], :statuses!::text[], :progresses!::int[], :errorMessages!::text[])
  as t(analysis_session_id, task_id, task_type, status, progress, error_message);

/* @name AdvanceScaleAnalysisSessions */
-- db:seed --scale: moves the acting user's sessions one step along their lifecycle, each to its own status (the transition trigger checks the move); completed_at is set as they finish.
update verificai.analysis_sessions s
set status = n.status,
    completed_at = case when n.status in ('completed', 'failed', 'cancelled') then now() end
from unnest(:ids!::uuid[], :statuses!::text[]) as n(id, status)
where s.id = n.id;
