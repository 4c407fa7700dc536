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
-- One page of the exports of a component type newest first, before the cursor; served by (component_type, created_at). RLS: a user's own, or all for admins.
select id, user_id, component_type, requirements, approved_count, edited_count, custom_added_count, proposal_latency_ms,
       used_in_pattern_retrieval, used_in_code_generation, created_at, updated_at, created_at::text as "cursor_at!"
from componentforge.requirement_exports
where component_type = :componentType!
  and (created_at, id) < (coalesce(:beforeAt::timestamptz, 'infinity'), coalesce(:beforeId::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))
order by created_at desc, id desc
limit :limit!;

/* @name FindApprovalMetrics */
-- Average approved, edited and custom-added counts over the visible exports (a user's own, or all for admins); averages are null when there are none.
select count(*)::int as "exports!",
       avg(approved_count)::double precision as "avg_approved?",
       avg(edited_count)::double precision as "avg_edited?",
       avg(custom_added_count)::double precision as "avg_custom?"
from componentforge.requirement_exports;

/* @name ListFastExports */
-- One page of the exports whose proposals took less than the bound, fastest first, after the cursor; served by the proposal_latency_ms index.
select id, user_id, component_type, requirements, approved_count, edited_count, custom_added_count, proposal_latency_ms,
       used_in_pattern_retrieval, used_in_code_generation, created_at, updated_at
from componentforge.requirement_exports
where proposal_latency_ms < :maxLatencyMs!
  and (proposal_latency_ms, id) > (coalesce(:afterLatencyMs::int, -1), coalesce(:afterId::uuid, '00000000-0000-0000-0000-000000000000'))
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
