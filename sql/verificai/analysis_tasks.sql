/* @name InsertTask */
-- Queues a task of a session under the worker system's task_id, pending.
insert into verificai.analysis_tasks (analysis_session_id, task_id, task_type, max_attempts)
values (:sessionId!, :taskId!, :taskType!, :maxAttempts!)
returning id, analysis_session_id, task_id, task_type, status, progress, error_message, started_at, completed_at,
          attempts, max_attempts, locked_by, lease_expires_at, heartbeat_at, last_error, created_at, updated_at;

/* @name ListTasks */
-- One page of a session's tasks, newest first, before the cursor id; served by (analysis_session_id, id desc).
select id, analysis_session_id, task_id, task_type, status, progress, error_message, started_at, completed_at,
       attempts, max_attempts, locked_by, lease_expires_at, heartbeat_at, last_error, created_at, updated_at
from verificai.analysis_tasks
where analysis_session_id = :sessionId!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ClaimPendingTasks */
-- Moves the oldest pending tasks, up to :limit, to running under a lease for :workerId (attempt counted, a fresh lease token each, started now) and returns them oldest first; rows another worker has locked are skipped, so no two workers get the same task.
with claimed as (
  update verificai.analysis_tasks
  set status = 'running',
      started_at = now(),
      attempts = attempts + 1,
      locked_by = :workerId!,
      lease_token = gen_random_uuid(),
      lease_expires_at = now() + make_interval(secs => :leaseSeconds!),
      heartbeat_at = now()
  where id in (
    select id
    from verificai.analysis_tasks
    where status = 'pending'
    order by id
    limit :limit!
    for update skip locked
  )
  returning id, analysis_session_id, task_id, task_type, status, progress, started_at, attempts, max_attempts,
            locked_by, lease_token, lease_expires_at, heartbeat_at, last_error, created_at, updated_at
)
select id as "id!", analysis_session_id as "analysis_session_id!", task_id as "task_id!", task_type as "task_type!",
       status as "status!", progress as "progress!", started_at as "started_at!", attempts as "attempts!",
       max_attempts as "max_attempts!", locked_by as "locked_by!", lease_token as "lease_token!",
       lease_expires_at as "lease_expires_at!", heartbeat_at as "heartbeat_at!", last_error,
       created_at as "created_at!", updated_at as "updated_at!"
from claimed
order by id;

/* @name ClaimSessionTasks */
-- Moves the oldest pending tasks of one session, up to :limit, to running under a lease for :workerId (attempt counted, a fresh lease token each, started now) and returns them oldest first; rows another worker has locked are skipped, so no two workers get the same task.
with claimed as (
  update verificai.analysis_tasks
  set status = 'running',
      started_at = now(),
      attempts = attempts + 1,
      locked_by = :workerId!,
      lease_token = gen_random_uuid(),
      lease_expires_at = now() + make_interval(secs => :leaseSeconds!),
      heartbeat_at = now()
  where id in (
    select id
    from verificai.analysis_tasks
    where analysis_session_id = :sessionId! and status = 'pending'
    order by id
    limit :limit!
    for update skip locked
  )
  returning id, analysis_session_id, task_id, task_type, status, progress, started_at, attempts, max_attempts,
            locked_by, lease_token, lease_expires_at, heartbeat_at, last_error, created_at, updated_at
)
select id as "id!", analysis_session_id as "analysis_session_id!", task_id as "task_id!", task_type as "task_type!",
       status as "status!", progress as "progress!", started_at as "started_at!", attempts as "attempts!",
       max_attempts as "max_attempts!", locked_by as "locked_by!", lease_token as "lease_token!",
       lease_expires_at as "lease_expires_at!", heartbeat_at as "heartbeat_at!", last_error,
       created_at as "created_at!", updated_at as "updated_at!"
from claimed
order by id;

/* @name HeartbeatTask */
-- Renews the lease of a task for the worker holding it (its lease token), until it is reclaimed; no row for anyone else.
update verificai.analysis_tasks
set lease_expires_at = now() + make_interval(secs => :leaseSeconds!),
    heartbeat_at = now()
where id = :id! and lease_token = :leaseToken!
returning id, locked_by as "locked_by!", lease_expires_at as "lease_expires_at!", heartbeat_at as "heartbeat_at!", attempts, progress;

/* @name SetTaskProgress */
-- Records the progress of a task for the worker holding its lease (which it also renews); the progress trigger refuses a step back.
update verificai.analysis_tasks
set progress = :progress!,
    lease_expires_at = now() + make_interval(secs => :leaseSeconds!),
    heartbeat_at = now()
where id = :id! and lease_token = :leaseToken!
returning id, status, progress, attempts, lease_expires_at as "lease_expires_at!", heartbeat_at as "heartbeat_at!", updated_at;

/* @name CompleteTask */
-- Marks a task as completed (progress 100) for the worker holding its lease, ending the lease.
update verificai.analysis_tasks
set status = 'completed',
    progress = 100,
    completed_at = now(),
    locked_by = null,
    lease_token = null,
    lease_expires_at = null,
    heartbeat_at = null
where id = :id! and lease_token = :leaseToken!
returning id, analysis_session_id, task_id, task_type, status, progress, error_message, started_at, completed_at,
          attempts, max_attempts, locked_by, lease_expires_at, heartbeat_at, last_error, created_at, updated_at;

/* @name FailTask */
-- Marks a task as failed for the worker holding its lease, ending the lease and recording why (final: it is not retried).
update verificai.analysis_tasks
set status = 'failed',
    error_message = :error!,
    last_error = :error!,
    completed_at = now(),
    locked_by = null,
    lease_token = null,
    lease_expires_at = null,
    heartbeat_at = null
where id = :id! and lease_token = :leaseToken!
returning id, analysis_session_id, task_id, task_type, status, progress, error_message, started_at, completed_at,
          attempts, max_attempts, locked_by, lease_expires_at, heartbeat_at, last_error, created_at, updated_at;

/* @name ReclaimStaleTasks */
-- Ends up to :limit expired leases, longest expired first (a dead worker's tasks): back to pending (progress 0) with the attempt counted, or failed with the error kept once the task's max_attempts are used; leases being renewed right now are skipped.
with expired as (
  select id,
         attempts >= max_attempts as final,
         format('attempt %s: worker %s sent its last heartbeat at %s and its lease expired', attempts, locked_by, heartbeat_at) as reason
  from verificai.analysis_tasks
  where status = 'running' and lease_expires_at < now()
  order by lease_expires_at
  limit :limit!
  for update skip locked
)
update verificai.analysis_tasks t
set status = case when e.final then 'failed' else 'pending' end,
    error_message = case when e.final then e.reason end,
    last_error = e.reason,
    progress = case when e.final then t.progress else 0 end,
    started_at = case when e.final then t.started_at end,
    completed_at = case when e.final then now() end,
    locked_by = null,
    lease_token = null,
    lease_expires_at = null,
    heartbeat_at = null
from expired e
where t.id = e.id
returning t.id, t.analysis_session_id, t.task_id, t.status, t.progress, t.error_message, t.attempts, t.max_attempts, t.last_error, t.updated_at;
