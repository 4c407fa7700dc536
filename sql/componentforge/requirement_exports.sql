/* @name InsertRequirementExport */
-- Records the acting user's reviewed requirements for a component with their approval counts and latency.
insert into componentforge.requirement_exports (user_id, component_type, requirements, approved_count, edited_count,
                                                custom_added_count, proposal_latency_ms, used_in_pattern_retrieval,
                                                used_in_code_generation)
values (:userId!, :componentType!, :requirements!, :approvedCount!, :editedCount!, :customAddedCount!, :proposalLatencyMs,
        :usedInPatternRetrieval!, :usedInCodeGeneration!)
returning id, user_id, component_type, requirements, approved_count, edited_count, custom_added_count, proposal_latency_ms,
          used_in_pattern_retrieval, used_in_code_generation, created_at, updated_at;

/* @name FindRequirementExportById */
-- One export; RLS shows a user only their own.
select id, user_id, component_type, requirements, approved_count, edited_count, custom_added_count, proposal_latency_ms,
       used_in_pattern_retrieval, used_in_code_generation, created_at, updated_at
from componentforge.requirement_exports
where id = :id!;

/* @name ListExportsByComponent */
-- One page of a user's exports of a component type newest first, before the cursor; served by (user_id, component_type, created_at, id). The cursor is a CASE, not coalesce: under RLS only leakproof conditions become index conditions.
select id, user_id, component_type, requirements, approved_count, edited_count, custom_added_count, proposal_latency_ms,
       used_in_pattern_retrieval, used_in_code_generation, created_at, updated_at, created_at::text as "cursor_at!"
from componentforge.requirement_exports
where user_id = :userId!
  and component_type = :componentType!
  and (created_at, id) < (case when cast(:beforeAt as timestamptz) is null then 'infinity'::timestamptz else :beforeAt end,
                          case when cast(:beforeId as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :beforeId end)
order by created_at desc, id desc
limit :limit!;

/* @name ListAllExportsByComponent */
-- One page of every user's exports of a component type newest first, before the cursor (admins, who see every row); served by (component_type, created_at, id).
select id, user_id, component_type, requirements, approved_count, edited_count, custom_added_count, proposal_latency_ms,
       used_in_pattern_retrieval, used_in_code_generation, created_at, updated_at, created_at::text as "cursor_at!"
from componentforge.requirement_exports
where component_type = :componentType!
  and (created_at, id) < (case when cast(:beforeAt as timestamptz) is null then 'infinity'::timestamptz else :beforeAt end,
                          case when cast(:beforeId as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :beforeId end)
order by created_at desc, id desc
limit :limit!;

/* @name FindApprovalMetrics */
-- Average approved, edited and custom-added counts over a user's own exports; averages are null when there are none. Served by the user_id indexes.
select count(*)::int as "exports!",
       avg(approved_count)::double precision as "avg_approved?",
       avg(edited_count)::double precision as "avg_edited?",
       avg(custom_added_count)::double precision as "avg_custom?"
from componentforge.requirement_exports
where user_id = :userId!;

/* @name FindAllApprovalMetrics */
-- Average approved, edited and custom-added counts over every export (admins: the seed's analytics are global); averages are null when there are none.
select count(*)::int as "exports!",
       avg(approved_count)::double precision as "avg_approved?",
       avg(edited_count)::double precision as "avg_edited?",
       avg(custom_added_count)::double precision as "avg_custom?"
from componentforge.requirement_exports;

/* @name ListFastExports */
-- One page of a user's exports whose proposals took less than the bound, fastest first, after the cursor; served by (user_id, proposal_latency_ms, id).
select id, user_id, component_type, requirements, approved_count, edited_count, custom_added_count, proposal_latency_ms,
       used_in_pattern_retrieval, used_in_code_generation, created_at, updated_at
from componentforge.requirement_exports
where user_id = :userId!
  and proposal_latency_ms < :maxLatencyMs!
  and (proposal_latency_ms, id) > (case when cast(:afterLatencyMs as int) is null then -1 else :afterLatencyMs end,
                                   case when cast(:afterId as uuid) is null then '00000000-0000-0000-0000-000000000000'::uuid else :afterId end)
order by proposal_latency_ms, id
limit :limit!;

/* @name ListAllFastExports */
-- One page of every user's exports whose proposals took less than the bound, fastest first, after the cursor (admins); served by (proposal_latency_ms, id).
select id, user_id, component_type, requirements, approved_count, edited_count, custom_added_count, proposal_latency_ms,
       used_in_pattern_retrieval, used_in_code_generation, created_at, updated_at
from componentforge.requirement_exports
where proposal_latency_ms < :maxLatencyMs!
  and (proposal_latency_ms, id) > (case when cast(:afterLatencyMs as int) is null then -1 else :afterLatencyMs end,
                                   case when cast(:afterId as uuid) is null then '00000000-0000-0000-0000-000000000000'::uuid else :afterId end)
order by proposal_latency_ms, id
limit :limit!;

/* @name MarkExportUsed */
-- Records that an export fed pattern retrieval (Epic 3) and/or code generation (Epic 4); a flag once set stays set.
update componentforge.requirement_exports
set used_in_pattern_retrieval = used_in_pattern_retrieval or :usedInPatternRetrieval!,
    used_in_code_generation = used_in_code_generation or :usedInCodeGeneration!
where id = :id!
returning id, user_id, component_type, requirements, approved_count, edited_count, custom_added_count, proposal_latency_ms,
          used_in_pattern_retrieval, used_in_code_generation, created_at, updated_at;

/* @name DeleteRequirementExport */
-- Deletes an export.
delete from componentforge.requirement_exports
where id = :id!
returning id;
