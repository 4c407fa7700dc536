-- Hardening (issue 12, items 5 and 8):
--   * audit partitions: creating a month first moves the rows that landed in the default
--     partition meanwhile (maintenance lapsed) into it, and also creates the past months those
--     rows belong to; months are UTC months whatever the session's TimeZone;
--   * ComponentForge's document queue: a claim takes a lease that the worker renews by
--     heartbeat; a lease that expires (the worker died) is reclaimed, back to pending with the
--     attempt counted, or to failed with the error kept once the attempts are used up. This is
--     the reference for the other work queues (analysis_tasks, scraping_jobs).

-- Up Migration

-- ===== core.audit_log partitions =====
-- The old function created `partition of` tables, which fails ("updated partition constraint
-- for default partition would be violated") as soon as the default partition holds a row of
-- that month, and computed the bounds in the session's TimeZone. The new one returns what it
-- did per partition, hence a new return type: dropped and created again.
drop function core.audit_log_create_partitions(date, int);

-- A monthly partition's lower ('from') or upper ('to') bound, NULL when there is no such
-- partition. Read from the catalog, so that partitions made in any time zone are handled.
create function core.audit_log_partition_bound(p_name text, p_end text) returns timestamptz
language sql stable
set search_path = pg_catalog, pg_temp
set timezone = 'UTC'
set datestyle = 'ISO, YMD'
as $$
  select (regexp_match(pg_get_expr(c.relpartbound, c.oid), $re$FROM \('([^']+)'\) TO \('([^']+)'\)$re$))[case p_end when 'from' then 1 else 2 end]::timestamptz
    from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
   where i.inhparent = 'core.audit_log'::regclass and c.relname = p_name
$$;
comment on function core.audit_log_partition_bound(text, text) is 'Maintenance: the from or to bound of a monthly audit_log partition, or NULL';

-- Creates the monthly partitions from the month of p_from for p_months months, and those of
-- every month that has rows in the default partition; idempotent. Each new month is built
-- beside the table, takes its rows out of the default partition, and is attached: all in the
-- caller's transaction, so no row is ever missing or in two places. Writes to the log are
-- locked out first (reads go on): a write routed to the default partition while its month is
-- being attached would fail its partition check; locked out, it waits and then lands in the
-- new month. After a long lapse that wait lasts as long as moving the rows. Months are UTC (the function runs with TimeZone UTC). Where a neighbouring month
-- already exists with other bounds (created by the old function in another time zone), the
-- new month starts or ends exactly where that one does: no gap, no overlap.
create function core.audit_log_create_partitions(p_from date, p_months int)
returns table (partition_name text, rows_moved bigint)
language plpgsql
set search_path = pg_catalog, pg_temp
set timezone = 'UTC'
set datestyle = 'ISO, YMD'
as $$
declare
  v_month timestamp;
  v_name text;
  v_from timestamptz;
  v_to timestamptz;
  v_locked boolean := false;
begin
  for v_month in
    select m from generate_series(date_trunc('month', p_from::timestamp),
                                  date_trunc('month', p_from::timestamp) + make_interval(months => p_months - 1),
                                  interval '1 month') m
    union
    select distinct date_trunc('month', occurred_at at time zone 'UTC')
      from core.audit_log_default
     where isfinite(occurred_at)
    order by 1
  loop
    v_name := 'audit_log_' || to_char(v_month, '"y"YYYY"m"MM');
    continue when to_regclass(format('core.%I', v_name)) is not null;
    if not v_locked then
      lock table only core.audit_log, only core.audit_log_default in exclusive mode;
      v_locked := true;
    end if;
    v_from := coalesce(core.audit_log_partition_bound('audit_log_' || to_char(v_month - interval '1 month', '"y"YYYY"m"MM'), 'to'),
                       v_month at time zone 'UTC');
    v_to := coalesce(core.audit_log_partition_bound('audit_log_' || to_char(v_month + interval '1 month', '"y"YYYY"m"MM'), 'from'),
                     (v_month + interval '1 month') at time zone 'UTC');
    execute format('create table core.%I (like core.audit_log including defaults including constraints)', v_name);
    execute format('with moved as (delete from core.audit_log_default where occurred_at >= $1 and occurred_at < $2 returning *)
                    insert into core.%I select * from moved', v_name)
      using v_from, v_to;
    get diagnostics rows_moved = row_count;
    execute format('alter table core.audit_log attach partition core.%I for values from (%L) to (%L)', v_name, v_from, v_to);
    partition_name := v_name;
    return next;
  end loop;
end
$$;
comment on function core.audit_log_create_partitions(date, int) is 'Maintenance: create monthly (UTC) audit_log partitions ahead of time and for the months found in the default partition, moving those rows in; one row per partition created';

-- Retention by the partitions' real upper bounds, not by their names read in the session's
-- time zone.
create or replace function core.audit_log_drop_partitions(p_before timestamptz) returns setof text
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v record;
begin
  for v in
    select c.relname
      from pg_inherits i
      join pg_class c on c.oid = i.inhrelid
     where i.inhparent = 'core.audit_log'::regclass and c.relname ~ '^audit_log_y\d{4}m\d{2}$'
     order by c.relname
  loop
    if core.audit_log_partition_bound(v.relname, 'to') <= p_before then
      execute format('drop table core.%I', v.relname);
      return next v.relname;
    end if;
  end loop;
end
$$;

-- Maintenance is the owner's: functions are executable by PUBLIC by default.
revoke all on function core.audit_log_create_partitions(date, int) from public;
revoke all on function core.audit_log_partition_bound(text, text) from public;

-- ===== componentforge.documents: leases =====
alter table componentforge.documents
  add column attempts integer not null default 0,
  add column locked_by text,
  add column lease_token uuid,
  add column lease_expires_at timestamptz,
  add column heartbeat_at timestamptz,
  add column last_error text;

comment on column componentforge.documents.attempts is 'How many times a worker has claimed the document';
comment on column componentforge.documents.locked_by is 'The worker holding the lease (its own name for itself); set only while processing';
comment on column componentforge.documents.lease_token is 'Secret of the current claim: heartbeat, complete and fail must present it, so a worker whose lease was reclaimed can no longer act';
comment on column componentforge.documents.lease_expires_at is 'The lease ends here unless renewed by a heartbeat; after it the document may be reclaimed';
comment on column componentforge.documents.heartbeat_at is 'When the worker last renewed its lease (or claimed)';
comment on column componentforge.documents.last_error is 'Why the latest attempt ended without completing (its lease expired, or the worker failed it); kept through retries';

-- Documents claimed before leases existed may belong to a dead worker: they get an expired
-- lease, so the first reclaim puts them back in the queue with this attempt counted. The
-- table's RLS is forced and has no policy for the owner, who would see no rows: lifted for
-- this one statement (the ALTERs above already hold the table's exclusive lock).
alter table componentforge.documents no force row level security;
update componentforge.documents
   set attempts = 1,
       locked_by = 'unknown (claimed before leases)',
       lease_token = gen_random_uuid(),
       heartbeat_at = updated_at,
       lease_expires_at = updated_at
 where processing_status = 'processing';
alter table componentforge.documents force row level security;

alter table componentforge.documents
  add constraint documents_attempts_nonnegative check (attempts >= 0),
  add constraint documents_locked_by_length check (length(locked_by) between 1 and 200),
  add constraint documents_last_error_length check (length(last_error) between 1 and 2000),
  -- The lease is all or nothing, and exactly the processing documents hold one.
  add constraint documents_lease_when_processing check (
    case when processing_status = 'processing'
         then num_nulls(locked_by, lease_token, lease_expires_at, heartbeat_at) = 0
         else num_nulls(locked_by, lease_token, lease_expires_at, heartbeat_at) = 4
    end),
  add constraint documents_attempt_counted check (processing_status <> 'processing' or attempts > 0);

comment on constraint documents_attempts_nonnegative on componentforge.documents is 'attempts cannot be negative';
comment on constraint documents_locked_by_length on componentforge.documents is 'locked_by must be 1-200 characters';
comment on constraint documents_last_error_length on componentforge.documents is 'last_error must be 1-2000 characters';
comment on constraint documents_lease_when_processing on componentforge.documents is 'a processing document holds a lease (locked_by, lease_token, lease_expires_at, heartbeat_at) and no other document does';
comment on constraint documents_attempt_counted on componentforge.documents is 'a processing document must count its attempt';

-- Reclaim: the expired leases, found without reading the rest of the table.
create index documents_lease_expires_idx on componentforge.documents (lease_expires_at) where processing_status = 'processing';

-- Reclaim returns an expired document to the queue (processing > pending).
drop trigger documents_processing_status_transition on componentforge.documents;
create trigger documents_processing_status_transition
  before update of processing_status on componentforge.documents
  for each row execute function core.guard_status_transition('processing_status',
    'pending>processing', 'processing>completed', 'processing>failed', 'processing>pending');

-- Down Migration

drop trigger documents_processing_status_transition on componentforge.documents;
create trigger documents_processing_status_transition
  before update of processing_status on componentforge.documents
  for each row execute function core.guard_status_transition('processing_status',
    'pending>processing', 'processing>completed', 'processing>failed');

drop index componentforge.documents_lease_expires_idx;
alter table componentforge.documents
  drop constraint documents_attempt_counted,
  drop constraint documents_lease_when_processing,
  drop constraint documents_last_error_length,
  drop constraint documents_locked_by_length,
  drop constraint documents_attempts_nonnegative,
  drop column last_error,
  drop column heartbeat_at,
  drop column lease_expires_at,
  drop column lease_token,
  drop column locked_by,
  drop column attempts;

-- The previous definitions, as migration 1763800000002 made them.
create or replace function core.audit_log_drop_partitions(p_before timestamptz) returns setof text
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v record;
begin
  for v in
    select c.relname, pg_get_expr(c.relpartbound, c.oid) as bound
      from pg_inherits i
      join pg_class c on c.oid = i.inhrelid
     where i.inhparent = 'core.audit_log'::regclass and c.relname ~ '^audit_log_y\d{4}m\d{2}$'
  loop
    if to_date(substring(v.relname from 'y(\d{4})m(\d{2})$'), 'YYYYMM') + interval '1 month' <= p_before then
      execute format('drop table core.%I', v.relname);
      return next v.relname;
    end if;
  end loop;
end
$$;

drop function core.audit_log_create_partitions(date, int);
drop function core.audit_log_partition_bound(text, text);

create function core.audit_log_create_partitions(p_from date, p_months int) returns int
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_month date := date_trunc('month', p_from)::date;
  v_created int := 0;
  v_name text;
begin
  for i in 0 .. p_months - 1 loop
    v_name := format('audit_log_y%sm%s', to_char(v_month, 'YYYY'), to_char(v_month, 'MM'));
    if to_regclass(format('core.%I', v_name)) is null then
      execute format('create table core.%I partition of core.audit_log for values from (%L) to (%L)',
                     v_name, v_month::timestamptz, (v_month + interval '1 month')::timestamptz);
      v_created := v_created + 1;
    end if;
    v_month := (v_month + interval '1 month')::date;
  end loop;
  return v_created;
end
$$;
comment on function core.audit_log_create_partitions(date, int) is 'Maintenance: create monthly audit_log partitions ahead of time';
revoke all on function core.audit_log_create_partitions(date, int) from public;
