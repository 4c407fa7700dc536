/* @name InsertCertification */
-- Starts tracking a certification for a live report, in status not_started (no row: the report is not the caller's to see, or deleted).
insert into exportsathi.certification_progress (report_id, certification_code, certification_name, documents_completed, estimated_cost)
select r.id, :certificationCode!, :certificationName!, :documentsCompleted!, :estimatedCost
from exportsathi.reports r
where r.id = :reportId! and r.deleted_at is null
returning id, report_id, certification_code, certification_name, status, documents_completed, started_at, completed_at,
          estimated_cost, actual_cost, created_at, updated_at;

/* @name UpdateCertification */
-- Changes a certification's status, documents and costs (absent ones keep theirs); started_at and completed_at follow the status, the transition trigger refuses illegal moves.
update exportsathi.certification_progress
set status              = coalesce(:status, status),
    started_at          = case when coalesce(:status, status) = 'not_started' then null else coalesce(started_at, now()) end,
    completed_at        = case when coalesce(:status, status) = 'completed' then coalesce(completed_at, now()) end,
    certification_name  = coalesce(:certificationName, certification_name),
    documents_completed = coalesce(:documentsCompleted, documents_completed),
    estimated_cost      = case when :setEstimatedCost! then :estimatedCost else estimated_cost end,
    actual_cost         = case when :setActualCost! then :actualCost else actual_cost end
where id = :id!
returning id, report_id, certification_code, certification_name, status, documents_completed, started_at, completed_at,
          estimated_cost, actual_cost, created_at, updated_at;

/* @name ListCertifications */
-- A report's certifications in the order they were added (at most 200, the number a report may track is small); served by (report_id, id).
select id, report_id, certification_code, certification_name, status, documents_completed, started_at, completed_at,
       estimated_cost, actual_cost, created_at, updated_at
from exportsathi.certification_progress
where report_id = :reportId!
order by id
limit 200;
