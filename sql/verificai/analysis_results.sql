/* @name InsertAnalysisResults */
-- Records many results of one session in one statement from parallel arrays (one element per result; scores as exact decimal strings). A session the caller cannot see (RLS) gets nothing: 0 inserted.
with inserted as (
  insert into verificai.analysis_results (analysis_session_id, configuration_id, analysis_type, file_name, result_content, score, status)
  select s.id, r.configuration_id, r.analysis_type, r.file_name, r.result_content, r.score, r.status
  from verificai.analysis_sessions s
  cross join unnest(:configurationIds!::uuid[], :analysisTypes!::text[], :fileNames!::text[], :resultContents!::text[],
                    :scores!::numeric[], :statuses!::text[])
    as r(configuration_id, analysis_type, file_name, result_content, score, status)
  where s.id = :sessionId!
  returning 1
)
select count(*)::int as "inserted!"
from inserted;

/* @name ListResults */
-- One page of a session's results, newest first, before the cursor id; served by (analysis_session_id, id desc).
select id, analysis_session_id, configuration_id, analysis_type, file_name, result_content, score, status, created_at, updated_at
from verificai.analysis_results
where analysis_session_id = :sessionId!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListResultsByType */
-- One page of a session's results of one analysis type, newest first, before the cursor id; served by (analysis_session_id, analysis_type, id desc).
select id, analysis_session_id, configuration_id, analysis_type, file_name, result_content, score, status, created_at, updated_at
from verificai.analysis_results
where analysis_session_id = :sessionId!
  and analysis_type = :analysisType!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListResultsByStatus */
-- One page of a session's results of one status, newest first, before the cursor id; served by (analysis_session_id, status, id desc).
select id, analysis_session_id, configuration_id, analysis_type, file_name, result_content, score, status, created_at, updated_at
from verificai.analysis_results
where analysis_session_id = :sessionId!
  and status = :status!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListResultsByTypeAndStatus */
-- One page of a session's results of one analysis type and one status, newest first, before the cursor id; served by (analysis_session_id, analysis_type, id desc), the status filtered among the type's rows.
select id, analysis_session_id, configuration_id, analysis_type, file_name, result_content, score, status, created_at, updated_at
from verificai.analysis_results
where analysis_session_id = :sessionId!
  and analysis_type = :analysisType!
  and status = :status!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;
