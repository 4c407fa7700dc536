/* @name InsertJob */
-- Creates a pending scraping job for the acting user.
insert into scraper.scraping_jobs (user_id, job_type, keywords, expanded_keywords, max_attempts)
values (:userId!, :jobType!, :keywords!::text[], :expandedKeywords::text[], :maxAttempts!)
returning id, user_id, job_type, keywords, expanded_keywords, status, progress, total_items, completed_items, error_message,
          started_at, completed_at, attempts, max_attempts, locked_by, lease_expires_at, heartbeat_at, last_error, created_at, updated_at;

/* @name FindJob */
-- One job; RLS hides other users' jobs from non-admins.
select id, user_id, job_type, keywords, expanded_keywords, status, progress, total_items, completed_items, error_message,
       started_at, completed_at, attempts, max_attempts, locked_by, lease_expires_at, heartbeat_at, last_error, created_at, updated_at
from scraper.scraping_jobs
where id = :id!;

/* @name ListUserJobs */
-- One page of a user's jobs, newest first, before the cursor id; served by (user_id, id desc), the cursor a CASE so that under RLS it stays an index condition.
select id, user_id, job_type, keywords, expanded_keywords, status, progress, total_items, completed_items, error_message,
       started_at, completed_at, attempts, max_attempts, locked_by, lease_expires_at, heartbeat_at, last_error, created_at, updated_at
from scraper.scraping_jobs
where user_id = :userId!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListUserJobsByStatus */
-- One page of a user's jobs of one status, newest first, before the cursor id; served by (user_id, status, id desc).
select id, user_id, job_type, keywords, expanded_keywords, status, progress, total_items, completed_items, error_message,
       started_at, completed_at, attempts, max_attempts, locked_by, lease_expires_at, heartbeat_at, last_error, created_at, updated_at
from scraper.scraping_jobs
where user_id = :userId!
  and status = :status!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListUserJobsByType */
-- One page of a user's jobs of one job_type, newest first, before the cursor id; served by (user_id, job_type, id desc).
select id, user_id, job_type, keywords, expanded_keywords, status, progress, total_items, completed_items, error_message,
       started_at, completed_at, attempts, max_attempts, locked_by, lease_expires_at, heartbeat_at, last_error, created_at, updated_at
from scraper.scraping_jobs
where user_id = :userId!
  and job_type = :jobType!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListUserJobsByKeyword */
-- One page of a user's jobs whose keywords contain :keyword, newest first, before the cursor id: the ids come from scraper.jobs_with_keyword (the GIN index on (user_id, keywords), which RLS would keep a request's own query from), the rows are read under RLS by primary key.
select id, user_id, job_type, keywords, expanded_keywords, status, progress, total_items, completed_items, error_message,
       started_at, completed_at, attempts, max_attempts, locked_by, lease_expires_at, heartbeat_at, last_error, created_at, updated_at
from scraper.scraping_jobs
where id = any(array(select scraper.jobs_with_keyword(:userId!, :keyword!)))
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name CancelJob */
-- Cancels a pending or running job: failed, with the reason, its lease (if any) ended; a finished job is left as it is (no row).
update scraper.scraping_jobs
set status = 'failed',
    error_message = :reason!,
    completed_at = now(),
    locked_by = null,
    lease_token = null,
    lease_expires_at = null,
    heartbeat_at = null
where id = :id! and status in ('pending', 'running')
returning id, user_id, job_type, keywords, expanded_keywords, status, progress, total_items, completed_items, error_message,
          started_at, completed_at, attempts, max_attempts, locked_by, lease_expires_at, heartbeat_at, last_error, created_at, updated_at;

/* @name DeleteJob */
-- Deletes a job with its settings and artifacts (cascade).
delete from scraper.scraping_jobs
where id = :id!
returning id;

/* @name ClaimPendingJobs */
-- Moves the oldest pending jobs, up to :limit, to running under a lease for :workerId (attempt counted, a fresh lease token each, started now) and returns them oldest first; rows another worker has locked are skipped, so no two workers get the same job.
with claimed as (
  update scraper.scraping_jobs
  set status = 'running',
      started_at = now(),
      attempts = attempts + 1,
      locked_by = :workerId!,
      lease_token = gen_random_uuid(),
      lease_expires_at = now() + make_interval(secs => :leaseSeconds!),
      heartbeat_at = now()
  where id in (
    select id
    from scraper.scraping_jobs
    where status = 'pending'
    order by id
    limit :limit!
    for update skip locked
  )
  returning id, user_id, job_type, keywords, expanded_keywords, status, progress, total_items, completed_items, started_at,
            attempts, max_attempts, locked_by, lease_token, lease_expires_at, heartbeat_at, last_error, created_at, updated_at
)
select id as "id!", user_id as "user_id!", job_type as "job_type!", keywords as "keywords!", expanded_keywords,
       status as "status!", progress as "progress!", total_items as "total_items!", completed_items as "completed_items!",
       started_at as "started_at!", attempts as "attempts!", max_attempts as "max_attempts!", locked_by as "locked_by!",
       lease_token as "lease_token!", lease_expires_at as "lease_expires_at!", heartbeat_at as "heartbeat_at!", last_error,
       created_at as "created_at!", updated_at as "updated_at!"
from claimed
order by id;

/* @name ClaimUserJobs */
-- Moves the oldest pending jobs of one user, up to :limit, to running under a lease for :workerId (attempt counted, a fresh lease token each, started now) and returns them oldest first (a worker dedicated to one user's jobs); rows another worker has locked are skipped, so no two workers get the same job; served by (user_id, status, id desc).
with claimed as (
  update scraper.scraping_jobs
  set status = 'running',
      started_at = now(),
      attempts = attempts + 1,
      locked_by = :workerId!,
      lease_token = gen_random_uuid(),
      lease_expires_at = now() + make_interval(secs => :leaseSeconds!),
      heartbeat_at = now()
  where id in (
    select id
    from scraper.scraping_jobs
    where user_id = :userId! and status = 'pending'
    order by id
    limit :limit!
    for update skip locked
  )
  returning id, user_id, job_type, keywords, expanded_keywords, status, progress, total_items, completed_items, started_at,
            attempts, max_attempts, locked_by, lease_token, lease_expires_at, heartbeat_at, last_error, created_at, updated_at
)
select id as "id!", user_id as "user_id!", job_type as "job_type!", keywords as "keywords!", expanded_keywords,
       status as "status!", progress as "progress!", total_items as "total_items!", completed_items as "completed_items!",
       started_at as "started_at!", attempts as "attempts!", max_attempts as "max_attempts!", locked_by as "locked_by!",
       lease_token as "lease_token!", lease_expires_at as "lease_expires_at!", heartbeat_at as "heartbeat_at!", last_error,
       created_at as "created_at!", updated_at as "updated_at!"
from claimed
order by id;

/* @name HeartbeatJob */
-- Renews the lease of a job for the worker holding it (its lease token), until it is reclaimed; no row for anyone else.
update scraper.scraping_jobs
set lease_expires_at = now() + make_interval(secs => :leaseSeconds!),
    heartbeat_at = now()
where id = :id! and lease_token = :leaseToken!
returning id, locked_by as "locked_by!", lease_expires_at as "lease_expires_at!", heartbeat_at as "heartbeat_at!", attempts, progress;

/* @name ReportJobProgress */
-- Adds :itemsDone to completed_items in one statement (concurrent reports never lose one), optionally sets total_items, derives progress from them and renews the lease, for the worker holding it; the items CHECK refuses more done than total.
update scraper.scraping_jobs
set total_items = coalesce(cast(:totalItems as integer), total_items),
    completed_items = completed_items + :itemsDone!,
    progress = case when coalesce(cast(:totalItems as integer), total_items) > 0
                    then least(100, (completed_items + :itemsDone!)::bigint * 100 / coalesce(cast(:totalItems as integer), total_items))::int
                    else progress end,
    lease_expires_at = now() + make_interval(secs => :leaseSeconds!),
    heartbeat_at = now()
where id = :id! and lease_token = :leaseToken!
returning id, status, progress, total_items, completed_items, attempts, lease_expires_at as "lease_expires_at!",
          heartbeat_at as "heartbeat_at!", updated_at;

/* @name CompleteJob */
-- Marks a job as completed (progress 100) for the worker holding its lease, ending the lease.
update scraper.scraping_jobs
set status = 'completed',
    progress = 100,
    completed_at = now(),
    locked_by = null,
    lease_token = null,
    lease_expires_at = null,
    heartbeat_at = null
where id = :id! and lease_token = :leaseToken!
returning id, user_id, job_type, keywords, expanded_keywords, status, progress, total_items, completed_items, error_message,
          started_at, completed_at, attempts, max_attempts, locked_by, lease_expires_at, heartbeat_at, last_error, created_at, updated_at;

/* @name FailJob */
-- Marks a job as failed for the worker holding its lease, ending the lease and recording why (final: it is not retried).
update scraper.scraping_jobs
set status = 'failed',
    error_message = :error!,
    last_error = :error!,
    completed_at = now(),
    locked_by = null,
    lease_token = null,
    lease_expires_at = null,
    heartbeat_at = null
where id = :id! and lease_token = :leaseToken!
returning id, user_id, job_type, keywords, expanded_keywords, status, progress, total_items, completed_items, error_message,
          started_at, completed_at, attempts, max_attempts, locked_by, lease_expires_at, heartbeat_at, last_error, created_at, updated_at;

/* @name ReclaimStaleJobs */
-- Ends up to :limit expired leases, longest expired first (a dead worker's jobs): back to pending with the attempt counted (items and progress kept: re-ingesting is idempotent), or failed with the error kept once max_attempts are used; leases being renewed right now are skipped.
with expired as (
  select id,
         attempts >= max_attempts as final,
         format('attempt %s: worker %s sent its last heartbeat at %s and its lease expired', attempts, locked_by, heartbeat_at) as reason
  from scraper.scraping_jobs
  where status = 'running' and lease_expires_at < now()
  order by lease_expires_at
  limit :limit!
  for update skip locked
)
update scraper.scraping_jobs j
set status = case when e.final then 'failed' else 'pending' end,
    error_message = case when e.final then e.reason end,
    last_error = e.reason,
    started_at = case when e.final then j.started_at end,
    completed_at = case when e.final then now() end,
    locked_by = null,
    lease_token = null,
    lease_expires_at = null,
    heartbeat_at = null
from expired e
where j.id = e.id
returning j.id, j.user_id, j.status, j.progress, j.error_message, j.attempts, j.max_attempts, j.last_error, j.updated_at;
