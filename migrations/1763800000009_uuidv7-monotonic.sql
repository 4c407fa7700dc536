-- UUIDv7 ids in creation order on every supported PostgreSQL.
-- PostgreSQL 18's uuidv7() puts a 12-bit sub-millisecond fraction after the 48-bit millisecond
-- timestamp and never goes backwards within a backend, so ids made by one connection sort in
-- the order they were made. The fallback of the platform migration (PostgreSQL 15-17) filled
-- those bits at random: two ids of the same millisecond sorted by chance, and keyset pages
-- ordered by id could list a later row first.
-- core.uuidv7_fallback() does what PostgreSQL 18 does: millisecond timestamp, then the
-- fraction in 1/4096 ms steps, then random bits; when the clock has not moved past the last
-- value this backend made (same step, or the clock stepped back), it takes the next step. The
-- last step is kept in a backend-local setting (core.uuidv7_last_step), like PostgreSQL 18's
-- static variable. It exists on every version so that its test runs everywhere; core.uuidv7()
-- uses it below PostgreSQL 18.

-- Up Migration

create function core.uuidv7_fallback() returns uuid
language plpgsql volatile parallel unsafe
set search_path = pg_catalog
as $$
declare
  step bigint := floor(extract(epoch from clock_timestamp()) * 1000 * 4096)::bigint;
  last_step bigint := nullif(current_setting('core.uuidv7_last_step', true), '')::bigint;
  id bytea := uuid_send(gen_random_uuid());
begin
  if step <= last_step then
    step := last_step + 1;
  end if;
  perform set_config('core.uuidv7_last_step', step::text, false);
  -- bytes 0-5: unix milliseconds; byte 6: version 7 and the fraction's top 4 bits; byte 7: its
  -- low 8 bits; bytes 8-15 keep gen_random_uuid()'s variant bits and randomness.
  id := overlay(id placing substring(int8send(step >> 12) from 3) from 1 for 6);
  id := set_byte(id, 6, (112 | ((step >> 8) & 15))::int);
  id := set_byte(id, 7, (step & 255)::int);
  return encode(id, 'hex')::uuid;
end
$$;
comment on function core.uuidv7_fallback() is 'UUIDv7 with a 12-bit sub-millisecond fraction, monotonic within a backend (PostgreSQL 18''s layout, for 15-17)';

do $$
begin
  if current_setting('server_version_num')::int < 180000 then
    execute $fn$
      create or replace function core.uuidv7() returns uuid
      language sql volatile parallel unsafe
      as 'select core.uuidv7_fallback()'
    $fn$;
  end if;
end
$$;

-- Down Migration

do $$
begin
  if current_setting('server_version_num')::int < 180000 then
    -- The platform migration's fallback, as it was.
    execute $fn$
      create or replace function core.uuidv7() returns uuid
      language sql volatile parallel safe
      as $body$
        select encode(
          set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                    placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
                    from 1 for 6),
            52, 1), 53, 1),
          'hex')::uuid
      $body$
    $fn$;
  end if;
end
$$;

drop function core.uuidv7_fallback();
