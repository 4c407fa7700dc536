-- Scraper (seed 001): scraping jobs and their settings, the artifacts they find, metadata tags and
-- content extractions. The seed's users, user_sessions, system_configurations, api_rate_limits
-- and audit_logs are core's. Every column, type, default and cascade of the seed is kept
-- (keywords TEXT[], file_size BIGINT, confidence_score numeric(3,2)); VARCHAR(n) becomes text
-- with a length CHECK, TIMESTAMP timestamptz, gen_random_uuid() UUIDv7. Decided beyond the seed:
--
--   scraping_jobs (also the work queue, the shape of componentforge.documents' since migration
--   1763800000008)
--   * user_id and job_type are required (the seed's model says nullable=False for user_id);
--     job_type web, paper or government;
--   * keywords: 1-100 keywords, each non-blank (not only spaces) and at most 200 characters,
--     no NULL elements, one dimension; expanded_keywords NULL or 0-500 keywords of the same kind
--     (scraper.keywords_valid, an immutable function, since a CHECK cannot hold a subquery);
--   * status: pending -> running (a claim) -> completed or failed, running -> pending (a
--     reclaim), pending -> failed (cancelled before a worker took it); final once completed or
--     failed (core.guard_status_transition);
--   * progress 0-100, a completed job is at 100; 0 <= completed_items <= total_items;
--   * started_at is NULL while pending and set while running or completed (a job cancelled
--     while pending never started); completed_at is set exactly when completed or failed, never
--     before started_at; error_message (1-2000) only on failed jobs;
--   * the lease (locked_by, lease_token, lease_expires_at, heartbeat_at) is held by exactly the
--     running jobs, whole; a running job has counted its attempt; once attempts reach
--     max_attempts (1-100, default 3) an expired lease fails the job for good;
--   * owners may update their own jobs only into failed (a cancel); running a job is the
--     workers' (admins') business.
--
--   job_configurations
--   * config_key like system settings' keys (^[a-z][a-z0-9_.-]{0,99}$), unique per job;
--     config_value at most 10000 characters; updated_at added (a setting is replaced in place).
--
--   artifacts
--   * user_id is the job's owner, job_id a job of that same user (insert policy; the foreign
--     key is checked without RLS);
--   * content_hash is a lowercase SHA-256 hex digest, unique per user: the same content reported
--     twice for one user is stored once (INSERT ... ON CONFLICT DO NOTHING, then the existing
--     row is read in a second statement, which sees whatever a concurrent ingest committed);
--   * minio_path is an object key "bucket/key": a bucket name (3-63 of a-z 0-9 . -, starting and
--     ending with a letter or digit), then a key of one or more '/'-separated non-empty segments,
--     none of them '.' or '..', no control characters, at most 500 characters;
--   * source_url, when given, is http(s) and at most 2048 characters; title 1-500 characters;
--     file_size >= 0; mime_type type/subtype, at most 100 characters;
--   * is_public: readable (never writable) by every signed-in user, unless the artifact carries
--     a privacy tag. Rule: ANY metadata tag of type 'privacy' (whatever its key, e.g.
--     privacy/pii, privacy/embargo) hides the artifact from everyone but its owner and admins.
--     RLS cannot ask metadata_tags from artifacts' policy (the tags' policy asks artifacts: the
--     policies would recurse), so has_privacy_tag mirrors "has a privacy tag", kept by a
--     statement trigger on metadata_tags and writable by nothing else (guard_counters);
--   * updated_at added (is_public changes).
--
--   metadata_tags
--   * tag_type type, keyword, user or privacy; tag_key 1-100, tag_value at most 2000
--     characters; unique per (artifact_id, tag_type, tag_key); written by the artifact's owner
--     or an admin, read by whoever may read the artifact.
--
--   content_extractions
--   * extraction_type text, metadata, links or images; extracted_data required, at most 256 KiB
--     as JSON, and its top level is checked per type: text {"text": "..."}, metadata an object,
--     links and images arrays; confidence_score numeric(3,2) between 0 and 1.
--
--   per-user rate limits: core.rate_limit_hit_user counts a request of the user behind a
--   bearer token in core.api_rate_limits (subject 'user:<id>', user_id set: the seed's per user
--   and endpoint) and reads the endpoint's limit from core.system_configurations (a
--   non-sensitive integer setting), falling back to the caller's default.
--
--   audit of data access: scraper.audit_access records the Scraper's own read events
--   (ARTIFACT_READ, EXTRACTIONS_READ, JOB_EXPORT) in core.audit_log, with the seed's action,
--   resource_type (entity_table), resource_id (entity_id) and details; it records nothing else,
--   so request code cannot forge the core's events (LOGIN, CONFIG_REVEAL, ...) through it. The
--   log's action CHECK lists the three; reverting stops while such events exist (audit rows are
--   not deleted to make a migration pass).
--
--   searches: under RLS only leakproof conditions become index conditions, and neither @> nor
--   @@ is, so scraper.jobs_with_keyword and scraper.artifacts_matching (SECURITY DEFINER, as the
--   owner, who reads jobs and artifacts through select policies of its own) find the matching
--   ids through the GIN indexes and apply the select policies' rule themselves.
--
--   indexes: jobs by keyword through one GIN index of (user_id, keywords) (btree_gin, a trusted
--   extension of PostgreSQL's contrib, gives GIN the uuid equality); artifacts by title words
--   through a GIN full-text index (English stemming).
--
--   all tables: RLS forced (owners their own rows, admins all, public artifacts as above), audit
--   and updated_at triggers, an index for every foreign key and every list query.

-- Up Migration

-- GIN operator classes for scalar types (uuid here); a trusted extension, shipped with PostgreSQL.
create extension if not exists btree_gin;

-- ===== Keyword arrays =====
create function scraper.keywords_valid(p_keywords text[], p_max int) returns boolean
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(array_ndims(p_keywords), 1) = 1
     and cardinality(p_keywords) <= p_max
     and not exists (select from unnest(p_keywords) k where k is null or btrim(k) = '' or length(k) > 200)
$$;
comment on function scraper.keywords_valid(text[], int) is 'CHECKs of scraping_jobs: a one-dimensional array of at most p_max keywords, each non-blank and at most 200 characters';

-- ===== scraper.scraping_jobs =====
create table scraper.scraping_jobs (
  id                uuid primary key default core.uuidv7(),
  user_id           uuid not null references core.users (id) on delete cascade,
  job_type          text not null,
  keywords          text[] not null,
  expanded_keywords text[],
  status            text not null default 'pending',
  progress          integer not null default 0,
  total_items       integer not null default 0,
  completed_items   integer not null default 0,
  error_message     text,
  started_at        timestamptz,
  completed_at      timestamptz,
  attempts          integer not null default 0,
  max_attempts      integer not null default 3,
  locked_by         text,
  lease_token       uuid,
  lease_expires_at  timestamptz,
  heartbeat_at      timestamptz,
  last_error        text,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  constraint scraping_jobs_job_type_check check (job_type in ('web', 'paper', 'government')),
  constraint scraping_jobs_keywords_valid check (cardinality(keywords) >= 1 and scraper.keywords_valid(keywords, 100)),
  constraint scraping_jobs_expanded_keywords_valid check (scraper.keywords_valid(expanded_keywords, 500)),
  constraint scraping_jobs_status_check check (status in ('pending', 'running', 'completed', 'failed')),
  constraint scraping_jobs_progress_range check (progress between 0 and 100),
  constraint scraping_jobs_completed_full_progress check (status <> 'completed' or progress = 100),
  constraint scraping_jobs_items_range check (completed_items between 0 and total_items),
  constraint scraping_jobs_error_message_length check (length(error_message) between 1 and 2000),
  constraint scraping_jobs_error_message_when_failed check (error_message is null or status = 'failed'),
  constraint scraping_jobs_started_at_by_status check (
    case status when 'pending' then started_at is null
                when 'failed' then true
                else started_at is not null end),
  constraint scraping_jobs_completed_at_when_finished check ((status in ('completed', 'failed')) = (completed_at is not null)),
  constraint scraping_jobs_completed_after_started check (completed_at >= started_at),
  constraint scraping_jobs_attempts_nonnegative check (attempts >= 0),
  constraint scraping_jobs_max_attempts_range check (max_attempts between 1 and 100),
  constraint scraping_jobs_locked_by_length check (length(locked_by) between 1 and 200),
  constraint scraping_jobs_last_error_length check (length(last_error) between 1 and 2000),
  constraint scraping_jobs_lease_when_running check (
    case when status = 'running'
         then num_nulls(locked_by, lease_token, lease_expires_at, heartbeat_at) = 0
         else num_nulls(locked_by, lease_token, lease_expires_at, heartbeat_at) = 4
    end),
  constraint scraping_jobs_attempt_counted check (status <> 'running' or attempts > 0)
);

comment on table scraper.scraping_jobs is 'A search for content by keywords, run by workers through a leased queue (seed 001 scraping_jobs)';
comment on column scraper.scraping_jobs.job_type is 'web, paper or government';
comment on column scraper.scraping_jobs.keywords is 'What to search for: 1-100 non-blank keywords of at most 200 characters';
comment on column scraper.scraping_jobs.expanded_keywords is 'Keywords the system added (synonyms, translations): up to 500';
comment on column scraper.scraping_jobs.status is 'pending (queued), running (claimed under a lease), completed or failed (final)';
comment on column scraper.scraping_jobs.progress is 'Percent done, 0-100; 100 when completed';
comment on column scraper.scraping_jobs.total_items is 'Items the worker expects to scrape';
comment on column scraper.scraping_jobs.completed_items is 'Items scraped so far, at most total_items; added to atomically';
comment on column scraper.scraping_jobs.error_message is 'Why the job failed for good (or that it was cancelled); set only on failed jobs';
comment on column scraper.scraping_jobs.started_at is 'When the current or last attempt started; NULL while pending';
comment on column scraper.scraping_jobs.completed_at is 'When the job completed or failed; set exactly then';
comment on column scraper.scraping_jobs.attempts is 'How many times a worker has claimed the job';
comment on column scraper.scraping_jobs.max_attempts is 'Claims whose lease may expire before the job is failed for good';
comment on column scraper.scraping_jobs.locked_by is 'The worker holding the lease (its own name for itself); set only while running';
comment on column scraper.scraping_jobs.lease_token is 'Secret of the current claim: heartbeat, progress, complete and fail must present it';
comment on column scraper.scraping_jobs.lease_expires_at is 'The lease ends here unless renewed by a heartbeat; after it the job may be reclaimed';
comment on column scraper.scraping_jobs.heartbeat_at is 'When the worker last renewed its lease (or claimed)';
comment on column scraper.scraping_jobs.last_error is 'Why the latest attempt ended without completing; kept through retries';

comment on constraint scraping_jobs_user_id_fkey on scraper.scraping_jobs is 'user_id must reference an existing user';
comment on constraint scraping_jobs_job_type_check on scraper.scraping_jobs is 'job_type must be web, paper or government';
comment on constraint scraping_jobs_keywords_valid on scraper.scraping_jobs is 'keywords must be 1-100 non-blank keywords of at most 200 characters each';
comment on constraint scraping_jobs_expanded_keywords_valid on scraper.scraping_jobs is 'expanded_keywords must be at most 500 non-blank keywords of at most 200 characters each';
comment on constraint scraping_jobs_status_check on scraper.scraping_jobs is 'status must be pending, running, completed or failed';
comment on constraint scraping_jobs_progress_range on scraper.scraping_jobs is 'progress must be between 0 and 100';
comment on constraint scraping_jobs_completed_full_progress on scraper.scraping_jobs is 'a completed job must be at progress 100';
comment on constraint scraping_jobs_items_range on scraper.scraping_jobs is 'completed_items must be between 0 and total_items';
comment on constraint scraping_jobs_error_message_length on scraper.scraping_jobs is 'error_message must be 1-2000 characters';
comment on constraint scraping_jobs_error_message_when_failed on scraper.scraping_jobs is 'error_message must be empty unless the job failed';
comment on constraint scraping_jobs_started_at_by_status on scraper.scraping_jobs is 'started_at must be empty while the job is pending and set once it is running or completed';
comment on constraint scraping_jobs_completed_at_when_finished on scraper.scraping_jobs is 'completed_at must be set exactly when the job is completed or failed';
comment on constraint scraping_jobs_completed_after_started on scraper.scraping_jobs is 'completed_at cannot be before started_at';
comment on constraint scraping_jobs_attempts_nonnegative on scraper.scraping_jobs is 'attempts cannot be negative';
comment on constraint scraping_jobs_max_attempts_range on scraper.scraping_jobs is 'max_attempts must be between 1 and 100';
comment on constraint scraping_jobs_locked_by_length on scraper.scraping_jobs is 'locked_by must be 1-200 characters';
comment on constraint scraping_jobs_last_error_length on scraper.scraping_jobs is 'last_error must be 1-2000 characters';
comment on constraint scraping_jobs_lease_when_running on scraper.scraping_jobs is 'a running job holds a lease (locked_by, lease_token, lease_expires_at, heartbeat_at) and no other job does';
comment on constraint scraping_jobs_attempt_counted on scraper.scraping_jobs is 'a running job must count its attempt';

-- jobs.list: a user's jobs newest first, optionally of one status or one type (keyset on id);
-- the first also serves the foreign key.
create index scraping_jobs_user_list_idx on scraper.scraping_jobs (user_id, id desc);
create index scraping_jobs_user_status_list_idx on scraper.scraping_jobs (user_id, status, id desc);
create index scraping_jobs_user_type_list_idx on scraper.scraping_jobs (user_id, job_type, id desc);
-- jobs.list by keyword: user_id = ... and keywords @> array[keyword], both in one GIN index
-- (btree_gin gives GIN the uuid equality), so a rare keyword among a user's many jobs is found
-- without reading the others; the matches are then sorted newest first.
create index scraping_jobs_user_keywords_idx on scraper.scraping_jobs using gin (user_id, keywords);
-- The queue: pending jobs oldest first (ids are time-ordered), without reading the others.
create index scraping_jobs_pending_idx on scraper.scraping_jobs (id) where status = 'pending';
-- Reclaim: the expired leases, found without reading the rest of the table.
create index scraping_jobs_lease_expires_idx on scraper.scraping_jobs (lease_expires_at) where status = 'running';

-- ===== scraper.job_configurations =====
create table scraper.job_configurations (
  id           uuid primary key default core.uuidv7(),
  job_id       uuid not null references scraper.scraping_jobs (id) on delete cascade,
  config_key   text not null,
  config_value text,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  constraint job_configurations_job_key_key unique (job_id, config_key),
  constraint job_configurations_config_key_format check (config_key ~ '^[a-z][a-z0-9_.-]{0,99}$'),
  constraint job_configurations_config_value_length check (length(config_value) <= 10000)
);

comment on table scraper.job_configurations is 'Key/value settings of one scraping job (seed 001 job_configurations)';
comment on column scraper.job_configurations.config_key is 'Setting name: lowercase letters, digits, _ . -, starting with a letter; unique per job';

comment on constraint job_configurations_job_id_fkey on scraper.job_configurations is 'job_id must reference an existing scraping job';
comment on constraint job_configurations_job_key_key on scraper.job_configurations is 'this job already has a setting with this config_key';
comment on constraint job_configurations_config_key_format on scraper.job_configurations is 'config_key must be 1-100 characters of a-z, 0-9, _ . -, starting with a letter';
comment on constraint job_configurations_config_value_length on scraper.job_configurations is 'config_value must be at most 10000 characters';
-- The (job_id, config_key) key serves the foreign key and a job's settings in key order.

-- ===== scraper.artifacts =====
create table scraper.artifacts (
  id              uuid primary key default core.uuidv7(),
  job_id          uuid references scraper.scraping_jobs (id) on delete cascade,
  user_id         uuid not null references core.users (id) on delete cascade,
  artifact_type   text not null,
  source_url      text,
  title           text,
  content_hash    text not null,
  file_size       bigint,
  mime_type       text,
  minio_path      text not null,
  is_public       boolean not null default false,
  has_privacy_tag boolean not null default false,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  constraint artifacts_user_content_hash_key unique (user_id, content_hash),
  constraint artifacts_artifact_type_check check (artifact_type in ('web_page', 'paper', 'government_doc', 'social_media')),
  constraint artifacts_source_url_format check (length(source_url) <= 2048 and source_url ~ '^https?://[^[:space:][:cntrl:]]+$'),
  constraint artifacts_title_length check (length(title) between 1 and 500),
  constraint artifacts_content_hash_sha256 check (content_hash ~ '^[0-9a-f]{64}$'),
  constraint artifacts_file_size_nonnegative check (file_size >= 0),
  constraint artifacts_mime_type_format check (length(mime_type) <= 100 and mime_type ~ '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$'),
  constraint artifacts_minio_path_format check (
    length(minio_path) <= 500
    and minio_path ~ '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[^/[:cntrl:]]+(/[^/[:cntrl:]]+)*$'
    and minio_path !~ '/\.\.?(/|$)')
);

comment on table scraper.artifacts is 'Content a scraping job found, stored in MinIO; one row per content hash per user (seed 001 artifacts)';
comment on column scraper.artifacts.user_id is 'Owner: the job''s user';
comment on column scraper.artifacts.artifact_type is 'web_page, paper, government_doc or social_media';
comment on column scraper.artifacts.content_hash is 'SHA-256 of the content, lowercase hex; unique per user';
comment on column scraper.artifacts.file_size is 'Size in bytes';
comment on column scraper.artifacts.minio_path is 'Object key in MinIO: bucket/key';
comment on column scraper.artifacts.is_public is 'Readable by every signed-in user (never writable), unless it has a privacy tag';
comment on column scraper.artifacts.has_privacy_tag is 'Whether a metadata tag of type privacy hides the artifact from public reads; kept by the metadata_tags trigger';

comment on constraint artifacts_job_id_fkey on scraper.artifacts is 'job_id must reference an existing scraping job';
comment on constraint artifacts_user_id_fkey on scraper.artifacts is 'user_id must reference an existing user';
comment on constraint artifacts_user_content_hash_key on scraper.artifacts is 'an artifact with this content_hash is already stored for this user';
comment on constraint artifacts_artifact_type_check on scraper.artifacts is 'artifact_type must be web_page, paper, government_doc or social_media';
comment on constraint artifacts_source_url_format on scraper.artifacts is 'source_url must be an http(s) URL of at most 2048 characters';
comment on constraint artifacts_title_length on scraper.artifacts is 'title must be 1-500 characters';
comment on constraint artifacts_content_hash_sha256 on scraper.artifacts is 'content_hash must be a SHA-256 digest: 64 lowercase hex characters';
comment on constraint artifacts_file_size_nonnegative on scraper.artifacts is 'file_size cannot be negative';
comment on constraint artifacts_mime_type_format on scraper.artifacts is 'mime_type must be type/subtype, at most 100 characters';
comment on constraint artifacts_minio_path_format on scraper.artifacts is 'minio_path must be an object key bucket/key (bucket 3-63 of a-z 0-9 . -; key segments non-empty, not . or ..), at most 500 characters';

-- artifacts.list: a user's artifacts newest first, of one job, of one type, the public ones
-- (keyset on id). The first also serves the user foreign key, the second the job's.
create index artifacts_user_list_idx on scraper.artifacts (user_id, id desc);
create index artifacts_job_list_idx on scraper.artifacts (job_id, id desc);
create index artifacts_user_type_list_idx on scraper.artifacts (user_id, artifact_type, id desc);
create index artifacts_public_list_idx on scraper.artifacts (id desc) where is_public and not has_privacy_tag;
-- artifacts.search: words of the title (the same expression in the query).
create index artifacts_title_search_idx on scraper.artifacts using gin (to_tsvector('english'::regconfig, coalesce(title, '')));

-- ===== scraper.metadata_tags =====
create table scraper.metadata_tags (
  id          uuid primary key default core.uuidv7(),
  artifact_id uuid not null references scraper.artifacts (id) on delete cascade,
  tag_type    text not null,
  tag_key     text not null,
  tag_value   text,
  created_at  timestamptz not null default now(),
  constraint metadata_tags_artifact_type_key_key unique (artifact_id, tag_type, tag_key),
  constraint metadata_tags_tag_type_check check (tag_type in ('type', 'keyword', 'user', 'privacy')),
  constraint metadata_tags_tag_key_length check (length(tag_key) between 1 and 100),
  constraint metadata_tags_tag_value_length check (length(tag_value) <= 2000)
);

comment on table scraper.metadata_tags is 'Tags of an artifact; any privacy tag hides it from public reads (seed 001 metadata_tags)';
comment on column scraper.metadata_tags.tag_type is 'type, keyword, user or privacy';

comment on constraint metadata_tags_artifact_id_fkey on scraper.metadata_tags is 'artifact_id must reference an existing artifact';
comment on constraint metadata_tags_artifact_type_key_key on scraper.metadata_tags is 'this artifact already has a tag of this tag_type and tag_key';
comment on constraint metadata_tags_tag_type_check on scraper.metadata_tags is 'tag_type must be type, keyword, user or privacy';
comment on constraint metadata_tags_tag_key_length on scraper.metadata_tags is 'tag_key must be 1-100 characters';
comment on constraint metadata_tags_tag_value_length on scraper.metadata_tags is 'tag_value must be at most 2000 characters';

-- artifacts.list by tag: the artifacts carrying a tag, newest first. The unique key serves the
-- foreign key and an artifact's tags.
create index metadata_tags_tag_idx on scraper.metadata_tags (tag_type, tag_key, artifact_id desc);

-- ===== scraper.content_extractions =====
create table scraper.content_extractions (
  id               uuid primary key default core.uuidv7(),
  artifact_id      uuid not null references scraper.artifacts (id) on delete cascade,
  extraction_type  text not null,
  extracted_data   jsonb not null,
  confidence_score numeric(3, 2),
  created_at       timestamptz not null default now(),
  constraint content_extractions_extraction_type_check check (extraction_type in ('text', 'metadata', 'links', 'images')),
  constraint content_extractions_extracted_data_size check (octet_length(extracted_data::text) <= 262144),
  -- coalesce: a missing "text" key gives NULL, which a CHECK would let through.
  constraint content_extractions_extracted_data_shape check (coalesce(
    case extraction_type
      when 'text' then jsonb_typeof(extracted_data) = 'object' and jsonb_typeof(extracted_data -> 'text') = 'string'
      when 'metadata' then jsonb_typeof(extracted_data) = 'object'
      else jsonb_typeof(extracted_data) = 'array'
    end, false)),
  constraint content_extractions_confidence_score_range check (confidence_score between 0 and 1)
);

comment on table scraper.content_extractions is 'What was extracted from an artifact: text, metadata, links or images (seed 001 content_extractions)';
comment on column scraper.content_extractions.extracted_data is 'text: {"text": "..."}; metadata: an object; links, images: an array';
comment on column scraper.content_extractions.confidence_score is 'Confidence of the extraction, 0.00-1.00';

comment on constraint content_extractions_artifact_id_fkey on scraper.content_extractions is 'artifact_id must reference an existing artifact';
comment on constraint content_extractions_extraction_type_check on scraper.content_extractions is 'extraction_type must be text, metadata, links or images';
comment on constraint content_extractions_extracted_data_size on scraper.content_extractions is 'extracted_data must be at most 262144 bytes as JSON';
comment on constraint content_extractions_extracted_data_shape on scraper.content_extractions is 'extracted_data must be {"text": "..."} for text, an object for metadata, an array for links and images';
comment on constraint content_extractions_confidence_score_range on scraper.content_extractions is 'confidence_score must be between 0 and 1';

-- extractions.list: an artifact's extractions in the order they were made; also the foreign key's.
create index content_extractions_artifact_list_idx on scraper.content_extractions (artifact_id, id);

-- ===== has_privacy_tag, kept from the tags =====
-- Per statement, from the transition tables: the artifacts whose privacy tags changed get the
-- flag recomputed. Runs as the caller, so RLS applies: whoever may tag an artifact may update it.
create function scraper.metadata_tags_privacy() returns trigger
language plpgsql
as $$
begin
  update scraper.artifacts a
     set has_privacy_tag = exists (select from scraper.metadata_tags t where t.artifact_id = a.id and t.tag_type = 'privacy')
   where a.id in (select artifact_id from changed_tags where tag_type = 'privacy');
  return null;
end
$$;
comment on function scraper.metadata_tags_privacy() is 'AFTER statement trigger on metadata_tags: keeps artifacts.has_privacy_tag';

create trigger metadata_tags_privacy_insert
  after insert on scraper.metadata_tags
  referencing new table as changed_tags
  for each statement execute function scraper.metadata_tags_privacy();
create trigger metadata_tags_privacy_delete
  after delete on scraper.metadata_tags
  referencing old table as changed_tags
  for each statement execute function scraper.metadata_tags_privacy();

-- The flag is the trigger's alone (the shared guard of migration 1763800000004).
create trigger artifacts_guard_counters
  before update of has_privacy_tag on scraper.artifacts
  for each row execute function componentforge.guard_counters('has_privacy_tag');

-- ===== Status lifecycle =====
create trigger scraping_jobs_status_transition
  before update of status on scraper.scraping_jobs
  for each row execute function core.guard_status_transition('status',
    'pending>running', 'running>completed', 'running>failed', 'running>pending', 'pending>failed');

-- ===== updated_at and audit triggers =====
create trigger scraping_jobs_touch_updated_at
  before update on scraper.scraping_jobs
  for each row execute function core.touch_updated_at();
select core.attach_audit('scraper.scraping_jobs');

create trigger job_configurations_touch_updated_at
  before update on scraper.job_configurations
  for each row execute function core.touch_updated_at();
select core.attach_audit('scraper.job_configurations');

create trigger artifacts_touch_updated_at
  before update on scraper.artifacts
  for each row execute function core.touch_updated_at();
select core.attach_audit('scraper.artifacts');

select core.attach_audit('scraper.metadata_tags');
-- Extracted text and link lists are the content itself, not a change anyone needs to audit.
select core.attach_audit('scraper.content_extractions', 'extracted_data');

-- ===== Row-level security =====
alter table scraper.scraping_jobs enable row level security;
alter table scraper.scraping_jobs force row level security;

create policy "Users see their own jobs; admins see all"
  on scraper.scraping_jobs for select to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Users create jobs only as themselves"
  on scraper.scraping_jobs for insert to app_request
  with check (user_id = (select core.current_user_id()));
-- Owners may only cancel (the result is failed); running jobs is the workers' (admins').
create policy "Owners cancel their jobs; admins (the workers) run any"
  on scraper.scraping_jobs for update to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()))
  with check ((select core.is_admin()) or (user_id = (select core.current_user_id()) and status = 'failed'));
create policy "Users delete their own jobs; admins delete any"
  on scraper.scraping_jobs for delete to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));

alter table scraper.job_configurations enable row level security;
alter table scraper.job_configurations force row level security;

create policy "Job settings belong to the job's owner; admins see all"
  on scraper.job_configurations for select to app_request
  using ((select core.is_admin())
         or exists (select from scraper.scraping_jobs j where j.id = job_id and j.user_id = (select core.current_user_id())));
create policy "Job settings are written by the job's owner"
  on scraper.job_configurations for insert to app_request
  with check (exists (select from scraper.scraping_jobs j where j.id = job_id and j.user_id = (select core.current_user_id())));
create policy "Job settings are changed by the job's owner"
  on scraper.job_configurations for update to app_request
  using (exists (select from scraper.scraping_jobs j where j.id = job_id and j.user_id = (select core.current_user_id())))
  with check (exists (select from scraper.scraping_jobs j where j.id = job_id and j.user_id = (select core.current_user_id())));
create policy "Job settings are deleted by the job's owner or an admin"
  on scraper.job_configurations for delete to app_request
  using ((select core.is_admin())
         or exists (select from scraper.scraping_jobs j where j.id = job_id and j.user_id = (select core.current_user_id())));

alter table scraper.artifacts enable row level security;
alter table scraper.artifacts force row level security;

create policy "Owners, admins, and signed-in users for public untagged ones"
  on scraper.artifacts for select to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin())
         or (is_public and not has_privacy_tag and (select core.current_user_id()) is not null));
-- The job foreign key alone would accept another user's job (it is checked without RLS).
create policy "Artifacts go to their job's owner, by the owner or an admin"
  on scraper.artifacts for insert to app_request
  with check ((user_id = (select core.current_user_id()) or (select core.is_admin()))
              and (job_id is null or exists (select from scraper.scraping_jobs j where j.id = job_id and j.user_id = artifacts.user_id)));
create policy "Only owners and admins change artifacts"
  on scraper.artifacts for update to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()))
  with check (user_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Owners and admins delete artifacts"
  on scraper.artifacts for delete to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));

alter table scraper.metadata_tags enable row level security;
alter table scraper.metadata_tags force row level security;

create policy "Tags are visible with their artifact"
  on scraper.metadata_tags for select to app_request
  using (exists (select from scraper.artifacts a where a.id = artifact_id));
create policy "Tags are added by the artifact's owner or an admin"
  on scraper.metadata_tags for insert to app_request
  with check (exists (select from scraper.artifacts a
                       where a.id = artifact_id and (a.user_id = (select core.current_user_id()) or (select core.is_admin()))));
create policy "Tags are removed by the artifact's owner or an admin"
  on scraper.metadata_tags for delete to app_request
  using (exists (select from scraper.artifacts a
                  where a.id = artifact_id and (a.user_id = (select core.current_user_id()) or (select core.is_admin()))));

alter table scraper.content_extractions enable row level security;
alter table scraper.content_extractions force row level security;

create policy "Extractions are visible with their artifact"
  on scraper.content_extractions for select to app_request
  using (exists (select from scraper.artifacts a where a.id = artifact_id));
create policy "Extractions are added by the artifact's owner or an admin"
  on scraper.content_extractions for insert to app_request
  with check (exists (select from scraper.artifacts a
                       where a.id = artifact_id and (a.user_id = (select core.current_user_id()) or (select core.is_admin()))));

-- ===== Grants =====
grant select, insert, delete on scraper.scraping_jobs to app_request;
-- The queue's and the cancel's columns; what was asked for (type, keywords) stays as created.
grant update (status, progress, total_items, completed_items, error_message, started_at, completed_at, attempts,
              locked_by, lease_token, lease_expires_at, heartbeat_at, last_error) on scraper.scraping_jobs to app_request;
grant select, insert, delete on scraper.job_configurations to app_request;
grant update (config_value) on scraper.job_configurations to app_request;
grant select, insert, delete on scraper.artifacts to app_request;
-- has_privacy_tag for the tags' trigger (which runs as the caller); the guard keeps it the trigger's.
grant update (is_public, has_privacy_tag) on scraper.artifacts to app_request;
grant select, insert, delete on scraper.metadata_tags to app_request;
-- Extractions are recorded once; they leave with their artifact.
grant select, insert on scraper.content_extractions to app_request;

-- ===== Keyword and title searches through their GIN indexes =====
-- Under RLS only leakproof conditions may run before the policies' own, so they alone become
-- index conditions; neither array containment (@>) nor a full-text match (@@) is leakproof, so a
-- request's own query could never use these GIN indexes (it would walk the user's rows, or the
-- whole table, filtering). These two functions find the matching ids as the owner, who reads
-- every row through the policies below (the owner may disable RLS anyway: they give it
-- nothing new), and apply the request's visibility rule themselves; the calling query then
-- reads those ids under RLS as usual, newest first, a page at a time. They return every match
-- (of the search, before the cursor), unordered: ordered by id with a LIMIT, or with the cursor
-- among a user's jobs, the planner would rather walk the user's rows (or all rows) newest first
-- hoping to meet 50 matches, which for a rare word reads them all.
create policy "The search functions read every job"
  on scraper.scraping_jobs for select to session_user using (true);
create policy "The search functions read every artifact"
  on scraper.artifacts for select to session_user using (true);

create function scraper.jobs_with_keyword(p_user_id uuid, p_keyword text) returns setof uuid
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select j.id
    from scraper.scraping_jobs j
   where j.user_id = p_user_id
     and j.keywords @> array[p_keyword]
     -- The select policy's rule: one's own jobs; an admin's, anyone's.
     and (p_user_id = core.current_user_id() or core.is_admin())
$$;
comment on function scraper.jobs_with_keyword(uuid, text) is 'jobs.list by keyword: ids of a user''s jobs with the keyword, through the GIN index (the caller''s own, or any user''s for an admin)';

create function scraper.artifacts_matching(p_terms text, p_before uuid) returns setof uuid
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select a.id
    from scraper.artifacts a
   where to_tsvector('english'::regconfig, coalesce(a.title, '')) @@ websearch_to_tsquery('english'::regconfig, p_terms)
     and a.id < coalesce(p_before, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)
     -- The select policy's rule: one's own, an admin's all, and public ones without a privacy tag.
     and (a.user_id = core.current_user_id() or core.is_admin()
          or (a.is_public and not a.has_privacy_tag and core.current_user_id() is not null))
$$;
comment on function scraper.artifacts_matching(text, uuid) is 'artifacts.search: ids of the readable artifacts whose title matches a web-search query before a cursor, through the full-text index';

revoke all on function scraper.jobs_with_keyword(uuid, text) from public;
revoke all on function scraper.artifacts_matching(text, uuid) from public;
grant execute on function scraper.jobs_with_keyword(uuid, text) to app_request;
grant execute on function scraper.artifacts_matching(text, uuid) to app_request;

-- ===== Audit of data access =====
-- The log's action CHECK names every action; the Scraper's read events join the list. The
-- partitions hold it as an inherited constraint, so this one change reaches them all (the
-- new list only adds: existing rows pass its validation).
alter table core.audit_log drop constraint audit_log_action_check;
alter table core.audit_log add constraint audit_log_action_check check (action in (
  'CREATE', 'UPDATE', 'DELETE',
  'LOGIN', 'LOGIN_FAILED', 'LOGOUT', 'PASSWORD_CHANGE', 'SESSION_REVOKE', 'CONFIG_REVEAL',
  'ARTIFACT_READ', 'EXTRACTIONS_READ', 'JOB_EXPORT'));
comment on constraint audit_log_action_check on core.audit_log is 'action must be CREATE, UPDATE, DELETE or a named application event';

-- The Scraper's read events, written with the request's context like core.audit_event's. It
-- records only these three actions, each about its own resource type, so it cannot stand in
-- for the core's security events (LOGIN, CONFIG_REVEAL, ...), which stay with their owners.
create function scraper.audit_access(p_action text, p_resource_type text, p_resource_id uuid, p_details jsonb)
returns void
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_actor uuid := nullif(current_setting('app.user_id', true), '')::uuid;
begin
  if v_actor is null
     or (p_action, p_resource_type) not in (('ARTIFACT_READ', 'artifacts'), ('EXTRACTIONS_READ', 'artifacts'), ('JOB_EXPORT', 'scraping_jobs'))
     or p_resource_id is null then
    raise exception '% is not a Scraper data-access event', p_action
      using errcode = 'insufficient_privilege';
  end if;
  insert into core.audit_log (actor_id, actor_role, action, entity_schema, entity_table, entity_id, details,
                              ip, user_agent, request_id, session_id)
  values (v_actor,
          nullif(current_setting('app.user_role', true), ''),
          p_action, 'scraper', p_resource_type, p_resource_id, p_details,
          nullif(current_setting('app.client_ip', true), '')::inet,
          nullif(current_setting('app.user_agent', true), ''),
          nullif(current_setting('app.request_id', true), ''),
          nullif(current_setting('app.session_id', true), '')::uuid);
end
$$;
comment on function scraper.audit_access(text, text, uuid, jsonb) is 'Records a Scraper data-access event (ARTIFACT_READ, EXTRACTIONS_READ, JOB_EXPORT) with the request context';
revoke all on function scraper.audit_access(text, text, uuid, jsonb) from public;
-- Only app_audit may insert into core.audit_log: it owns the function (USAGE and CREATE on the
-- schema only for the hand-over and the grant).
grant usage, create on schema scraper to app_audit;
alter function scraper.audit_access(text, text, uuid, jsonb) owner to app_audit;
set local role app_audit;
grant execute on function scraper.audit_access(text, text, uuid, jsonb) to app_request;
reset role;
revoke usage, create on schema scraper from app_audit;

-- ===== Per-user rate limits =====
-- The fixed-window counter of core.rate_limit_hit, for the user behind a bearer token (subject
-- 'user:<id>', user_id set), with the endpoint's limit from a non-sensitive integer setting
-- (or p_default_limit). No row when the token does not resolve: the procedure then answers
-- UNAUTHORIZED. Called, like rate_limit_hit, on the owner's connection before the procedure's
-- transaction (src/server/rate-limit.ts): a refused request counts too.
create policy "The rate-limit functions read non-sensitive settings"
  on core.system_configurations for select to app_auth
  using (not is_sensitive);
grant select (config_key, config_value, config_type, is_sensitive) on core.system_configurations to app_auth;

create function core.rate_limit_hit_user(p_endpoint text, p_token_hash bytea, p_window_seconds int,
                                         p_limit_key text, p_default_limit int)
returns table (user_id uuid, request_count int, request_limit int, resets_at timestamptz)
language sql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
  select a.user_id, h.request_count,
         coalesce((select least(c.config_value::numeric, 2147483647)::int
                     from core.system_configurations c
                    where c.config_key = p_limit_key and c.config_type = 'integer' and not c.is_sensitive),
                  p_default_limit),
         h.resets_at
  from core.authenticate(p_token_hash) a
  cross join lateral core.rate_limit_hit(p_endpoint, 'user:' || a.user_id, a.user_id, p_window_seconds) h
$$;
comment on function core.rate_limit_hit_user(text, bytea, int, text, int) is 'Count a request of the user behind a bearer token in its fixed window; returns the count, the limit (setting p_limit_key or the default) and when the window resets';
revoke all on function core.rate_limit_hit_user(text, bytea, int, text, int) from public;
grant create on schema core to app_auth;
alter function core.rate_limit_hit_user(text, bytea, int, text, int) owner to app_auth;
revoke create on schema core from app_auth;
set local role app_auth;
grant execute on function core.rate_limit_hit_user(text, bytea, int, text, int) to session_user;
reset role;

-- Down Migration

grant create on schema core to app_auth;
set local role app_auth;
drop function core.rate_limit_hit_user(text, bytea, int, text, int);
reset role;
revoke create on schema core from app_auth;
revoke select (config_key, config_value, config_type, is_sensitive) on core.system_configurations from app_auth;
drop policy "The rate-limit functions read non-sensitive settings" on core.system_configurations;

grant usage, create on schema scraper to app_audit;
set local role app_audit;
drop function scraper.audit_access(text, text, uuid, jsonb);
reset role;
revoke usage, create on schema scraper from app_audit;

-- The Scraper's read events cannot stay in a log whose CHECK no longer names them, and audit
-- rows are not deleted to make a migration pass: reverting stops while any exist.
do $$
begin
  if exists (select from core.audit_log where action in ('ARTIFACT_READ', 'EXTRACTIONS_READ', 'JOB_EXPORT')) then
    raise exception 'core.audit_log holds Scraper read events (ARTIFACT_READ, EXTRACTIONS_READ, JOB_EXPORT): reverting 1763800000011 would leave them outside the action CHECK; archive them first';
  end if;
end
$$;
alter table core.audit_log drop constraint audit_log_action_check;
alter table core.audit_log add constraint audit_log_action_check check (action in (
  'CREATE', 'UPDATE', 'DELETE',
  'LOGIN', 'LOGIN_FAILED', 'LOGOUT', 'PASSWORD_CHANGE', 'SESSION_REVOKE', 'CONFIG_REVEAL'));
comment on constraint audit_log_action_check on core.audit_log is 'action must be CREATE, UPDATE, DELETE or a named application event';

drop function scraper.artifacts_matching(text, uuid);
drop function scraper.jobs_with_keyword(uuid, text);

drop table scraper.content_extractions;
drop table scraper.metadata_tags;
drop table scraper.artifacts;
drop table scraper.job_configurations;
drop table scraper.scraping_jobs;
drop function scraper.metadata_tags_privacy();
drop function scraper.keywords_valid(text[], int);
drop extension if exists btree_gin;
