/* @name IngestArtifacts */
-- Stores a batch of a job's artifacts for the job's owner in ONE statement from parallel arrays (one element per artifact, hashes distinct); a hash the owner already has is skipped (ON CONFLICT DO NOTHING, in hash order so that concurrent batches take their locks alike) and FindArtifactsByHash reads it next. A job the caller cannot see (RLS) gets nothing.
with job as (
  select id, user_id from scraper.scraping_jobs where id = :jobId!
)
insert into scraper.artifacts (job_id, user_id, artifact_type, source_url, title, content_hash, file_size, mime_type, minio_path, is_public)
select job.id, job.user_id, i.artifact_type, i.source_url, i.title, i.content_hash, i.file_size, i.mime_type, i.minio_path, i.is_public
from job
cross join unnest(:contentHashes!::text[], :artifactTypes!::text[], :sourceUrls!::text[], :titles!::text[], :fileSizes!::bigint[],
                  :mimeTypes!::text[], :minioPaths!::text[], :publicFlags!::boolean[])
  as i(content_hash, artifact_type, source_url, title, file_size, mime_type, minio_path, is_public)
order by i.content_hash
on conflict (user_id, content_hash) do nothing
returning id, content_hash;

/* @name AttachIngested */
-- Adds the tags and extractions of the artifacts an ingest just stored, in ONE statement from parallel arrays matched by content_hash (a separate statement: the insert policies must see the new artifacts, which a sibling CTE of their INSERT would not).
with stored as (
  select * from unnest(:ids!::uuid[], :contentHashes!::text[]) as s(id, content_hash)
),
tags as (
  insert into scraper.metadata_tags (artifact_id, tag_type, tag_key, tag_value)
  select s.id, t.tag_type, t.tag_key, t.tag_value
  from unnest(:tagHashes!::text[], :tagTypes!::text[], :tagKeys!::text[], :tagValues!::text[]) as t(content_hash, tag_type, tag_key, tag_value)
  join stored s on s.content_hash = t.content_hash
  returning 1
),
extractions as (
  insert into scraper.content_extractions (artifact_id, extraction_type, extracted_data, confidence_score)
  select s.id, e.extraction_type, e.extracted_data::jsonb, e.confidence_score
  from unnest(:extractionHashes!::text[], :extractionTypes!::text[], :extractionData!::text[], :confidenceScores!::numeric[])
    as e(content_hash, extraction_type, extracted_data, confidence_score)
  join stored s on s.content_hash = e.content_hash
  returning 1
)
select (select count(*) from tags)::int as "tags!", (select count(*) from extractions)::int as "extractions!";

/* @name FindArtifactsByHash */
-- The artifacts a user already has among some content hashes (a fresh snapshot: it sees what concurrent ingests committed); served by the (user_id, content_hash) key.
select id, content_hash
from scraper.artifacts
where user_id = :userId! and content_hash = any(:contentHashes!::text[]);

/* @name FindArtifact */
-- One artifact; RLS shows owners theirs, admins all, signed-in users the public ones without a privacy tag.
select id, job_id, user_id, artifact_type, source_url, title, content_hash, file_size, mime_type, minio_path, is_public,
       has_privacy_tag, created_at, updated_at
from scraper.artifacts
where id = :id!;

/* @name ListUserArtifacts */
-- One page of a user's artifacts, newest first, before the cursor id; served by (user_id, id desc).
select id, job_id, user_id, artifact_type, source_url, title, content_hash, file_size, mime_type, minio_path, is_public,
       has_privacy_tag, created_at, updated_at
from scraper.artifacts
where user_id = :userId!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListUserArtifactsByType */
-- One page of a user's artifacts of one type, newest first, before the cursor id; served by (user_id, artifact_type, id desc).
select id, job_id, user_id, artifact_type, source_url, title, content_hash, file_size, mime_type, minio_path, is_public,
       has_privacy_tag, created_at, updated_at
from scraper.artifacts
where user_id = :userId!
  and artifact_type = :artifactType!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListJobArtifacts */
-- One page of a job's artifacts, newest first, before the cursor id; served by (job_id, id desc).
select id, job_id, user_id, artifact_type, source_url, title, content_hash, file_size, mime_type, minio_path, is_public,
       has_privacy_tag, created_at, updated_at
from scraper.artifacts
where job_id = :jobId!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListPublicArtifacts */
-- One page of the public artifacts without a privacy tag, newest first, before the cursor id; served by the partial index on id.
select id, job_id, user_id, artifact_type, source_url, title, content_hash, file_size, mime_type, minio_path, is_public,
       has_privacy_tag, created_at, updated_at
from scraper.artifacts
where is_public and not has_privacy_tag
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListArtifactsByTag */
-- One page of the readable artifacts carrying a tag (type and key), newest first, before the cursor id; served by the tags' (tag_type, tag_key, artifact_id desc) index.
select a.id, a.job_id, a.user_id, a.artifact_type, a.source_url, a.title, a.content_hash, a.file_size, a.mime_type, a.minio_path,
       a.is_public, a.has_privacy_tag, a.created_at, a.updated_at, t.tag_value
from scraper.metadata_tags t
join scraper.artifacts a on a.id = t.artifact_id
where t.tag_type = :tagType!
  and t.tag_key = :tagKey!
  and t.artifact_id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by t.artifact_id desc
limit :limit!;

/* @name SearchArtifacts */
-- One page of the readable artifacts whose title matches a web-search query (English stemming), newest first, before the cursor id: the ids come from scraper.artifacts_matching (the full-text index, which RLS would keep a request's own query from), the rows are read under RLS by primary key.
select id, job_id, user_id, artifact_type, source_url, title, content_hash, file_size, mime_type, minio_path, is_public,
       has_privacy_tag, created_at, updated_at
from scraper.artifacts
where id = any(array(select scraper.artifacts_matching(:terms!, :before)))
order by id desc
limit :limit!;

/* @name SetArtifactPublic */
-- Makes an artifact public or private (owners and admins; RLS keeps other readers out).
update scraper.artifacts
set is_public = :isPublic!
where id = :id!
returning id, job_id, user_id, artifact_type, source_url, title, content_hash, file_size, mime_type, minio_path, is_public,
          has_privacy_tag, created_at, updated_at;

/* @name DeleteArtifact */
-- Deletes an artifact with its tags and extractions (cascade).
delete from scraper.artifacts
where id = :id!
returning id;

/* @name ExportJobArtifacts */
-- One page of a job's artifacts for an export, newest first, before the cursor id, each with its tags and extractions aggregated (one query, no N+1); served by (job_id, id desc).
select a.id, a.job_id, a.user_id, a.artifact_type, a.source_url, a.title, a.content_hash, a.file_size, a.mime_type, a.minio_path,
       a.is_public, a.has_privacy_tag, a.created_at, a.updated_at,
       coalesce((select jsonb_agg(jsonb_build_object('tagType', t.tag_type, 'tagKey', t.tag_key, 'tagValue', t.tag_value)
                                  order by t.tag_type, t.tag_key)
                   from scraper.metadata_tags t where t.artifact_id = a.id), '[]'::jsonb) as "tags!",
       coalesce((select jsonb_agg(jsonb_build_object('extractionType', e.extraction_type, 'extractedData', e.extracted_data,
                                                     'confidenceScore', e.confidence_score::text) order by e.id)
                   from scraper.content_extractions e where e.artifact_id = a.id), '[]'::jsonb) as "extractions!"
from scraper.artifacts a
where a.job_id = :jobId!
  and a.id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by a.id desc
limit :limit!;
