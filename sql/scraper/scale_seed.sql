/* @name InsertScaleJobs */
-- db:seed --scale: the acting user's scraping jobs (keyword lists as JSON texts), pending or finished: finished ones started and ended now after one attempt, completed at 100, failed with their error.
insert into scraper.scraping_jobs (id, user_id, job_type, keywords, expanded_keywords, status, progress, total_items, completed_items,
                                   error_message, started_at, completed_at, attempts)
select j.id, :userId!, j.job_type,
       array(select jsonb_array_elements_text(j.keywords::jsonb)),
       array(select jsonb_array_elements_text(j.expanded_keywords::jsonb)),
       j.status, case when j.status = 'completed' then 100 else j.progress end, j.total_items, j.completed_items,
       nullif(j.error_message, ''), case when j.status <> 'pending' then now() end,
       case when j.status in ('completed', 'failed') then now() end, case when j.status <> 'pending' then 1 else 0 end
from unnest(:ids!::uuid[], :jobTypes!::text[], :keywords!::text[], :expandedKeywords!::text[], :statuses!::text[], :progresses!::int[],
            :totalItems!::int[], :completedItems!::int[], :errorMessages!::text[])
  as j(id, job_type, keywords, expanded_keywords, status, progress, total_items, completed_items, error_message);

/* @name InsertScaleJobConfigurations */
-- db:seed --scale: settings of the acting user's jobs (one element per setting).
insert into scraper.job_configurations (job_id, config_key, config_value)
select c.job_id, c.config_key, c.config_value
from unnest(:jobIds!::uuid[], :configKeys!::text[], :configValues!::text[]) as c(job_id, config_key, config_value);

/* @name InsertScaleArtifacts */
-- db:seed --scale, as an admin (the ingesting worker): artifacts that users' jobs found, each its job's owner's (one element per artifact, content hashes distinct per user).
insert into scraper.artifacts (id, job_id, user_id, artifact_type, source_url, title, content_hash, file_size, mime_type, minio_path, is_public)
select a.id, a.job_id, a.user_id, a.artifact_type, a.source_url, a.title, a.content_hash, a.file_size, a.mime_type, a.minio_path, a.is_public
from unnest(:ids!::uuid[], :jobIds!::uuid[], :userIds!::uuid[], :artifactTypes!::text[], :sourceUrls!::text[], :titles!::text[],
            :contentHashes!::text[], :fileSizes!::bigint[], :mimeTypes!::text[], :minioPaths!::text[], :isPublic!::bool[])
  as a(id, job_id, user_id, artifact_type, source_url, title, content_hash, file_size, mime_type, minio_path, is_public);

/* @name InsertScaleTags */
-- db:seed --scale, as an admin (the ingesting worker): tags of artifacts (one element per tag); the statement trigger sets has_privacy_tag for privacy tags.
insert into scraper.metadata_tags (artifact_id, tag_type, tag_key, tag_value)
select t.artifact_id, t.tag_type, t.tag_key, t.tag_value
from unnest(:artifactIds!::uuid[], :tagTypes!::text[], :tagKeys!::text[], :tagValues!::text[]) as t(artifact_id, tag_type, tag_key, tag_value);

/* @name InsertScaleExtractions */
-- db:seed --scale, as an admin (the ingesting worker): extractions of artifacts (one element per extraction); data as JSON texts.
insert into scraper.content_extractions (artifact_id, extraction_type, extracted_data, confidence_score)
select e.artifact_id, e.extraction_type, e.extracted_data::jsonb, e.confidence_score
from unnest(:artifactIds!::uuid[], :extractionTypes!::text[], :extractedData!::text[], :confidenceScores!::numeric[])
  as e(artifact_id, extraction_type, extracted_data, confidence_score);
