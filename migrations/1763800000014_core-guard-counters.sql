-- The counter guard moves to the shared core, beside core.guard_status_transition.
-- componentforge.guard_counters() (migration 1763800000004) was reused by VerificAI's
-- analysis_sessions (1763800000010) and the Scraper's artifacts (1763800000011): a trigger of one
-- application running a function of another, so dropping or reworking componentforge would have
-- broken their writes. core.guard_counters() is the same function (same body, so the same
-- message, SQLSTATE 42501 and COLUMN field), and every trigger that ran the old one runs it now.
-- The four triggers below are all of those pg_trigger listed; the old function is dropped
-- without CASCADE, so a trigger missed here would stop this migration rather than vanish.
-- test/core/catalog.test.ts keeps any trigger from running another app schema's function again.

-- Up Migration

-- ===== core.guard_counters =====
-- The trigger arguments name the counter columns. Only the counting triggers (which run at
-- trigger depth 2) may change them; a direct change is refused naming the column.
create function core.guard_counters() returns trigger
language plpgsql
as $$
declare
  v_column text;
begin
  if pg_trigger_depth() = 1 then
    foreach v_column in array tg_argv loop
      if (to_jsonb(new) -> v_column) is distinct from (to_jsonb(old) -> v_column) then
        raise exception '% is kept by the database and cannot be set', v_column
          using errcode = 'insufficient_privilege', column = v_column;
      end if;
    end loop;
  end if;
  return new;
end
$$;
comment on function core.guard_counters() is 'BEFORE UPDATE trigger: refuses changes of the named counter columns except from the counting triggers';

-- ===== Triggers re-pointed (same names, events, columns and arguments) =====
-- CREATE OR REPLACE TRIGGER swaps the function in place: no moment without the guard.
create or replace trigger conversations_guard_counters
  before update of message_count, total_tokens_used on componentforge.conversations
  for each row execute function core.guard_counters('message_count', 'total_tokens_used');
create or replace trigger documents_guard_counters
  before update of chunk_count on componentforge.documents
  for each row execute function core.guard_counters('chunk_count');
create or replace trigger artifacts_guard_counters
  before update of has_privacy_tag on scraper.artifacts
  for each row execute function core.guard_counters('has_privacy_tag');
create or replace trigger analysis_sessions_guard_counters
  before update of total_files, processed_files on verificai.analysis_sessions
  for each row execute function core.guard_counters('total_files', 'processed_files');

drop function componentforge.guard_counters();

-- Down Migration

create function componentforge.guard_counters() returns trigger
language plpgsql
as $$
declare
  v_column text;
begin
  if pg_trigger_depth() = 1 then
    foreach v_column in array tg_argv loop
      if (to_jsonb(new) -> v_column) is distinct from (to_jsonb(old) -> v_column) then
        raise exception '% is kept by the database and cannot be set', v_column
          using errcode = 'insufficient_privilege', column = v_column;
      end if;
    end loop;
  end if;
  return new;
end
$$;
comment on function componentforge.guard_counters() is 'BEFORE UPDATE trigger: refuses changes of the named counter columns except from the counting triggers';

create or replace trigger conversations_guard_counters
  before update of message_count, total_tokens_used on componentforge.conversations
  for each row execute function componentforge.guard_counters('message_count', 'total_tokens_used');
create or replace trigger documents_guard_counters
  before update of chunk_count on componentforge.documents
  for each row execute function componentforge.guard_counters('chunk_count');
create or replace trigger artifacts_guard_counters
  before update of has_privacy_tag on scraper.artifacts
  for each row execute function componentforge.guard_counters('has_privacy_tag');
create or replace trigger analysis_sessions_guard_counters
  before update of total_files, processed_files on verificai.analysis_sessions
  for each row execute function componentforge.guard_counters('total_files', 'processed_files');

drop function core.guard_counters();
