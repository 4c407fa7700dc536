/* @name InsertReport */
-- Creates a report for the acting user, in status draft.
insert into exportsathi.reports (user_id, product_name, product_description, product_image_url, ingredients, hs_code,
                                 hs_code_confidence, destination_country, risk_score, estimated_cost, timeline_days, report_data)
values (:userId!, :productName!, :productDescription, :productImageUrl, :ingredients, :hsCode!,
        :hsCodeConfidence, :destinationCountry!, :riskScore, :estimatedCost, :timelineDays, :reportData!)
returning id, user_id, product_name, product_description, product_image_url, ingredients, hs_code, hs_code_confidence,
          destination_country, status, risk_score, estimated_cost, timeline_days, report_data, completed_at, created_at, updated_at;

/* @name FindReport */
-- One live (not soft-deleted) report; RLS shows a user only their own.
select id, user_id, product_name, product_description, product_image_url, ingredients, hs_code, hs_code_confidence,
       destination_country, status, risk_score, estimated_cost, timeline_days, report_data, completed_at, created_at, updated_at
from exportsathi.reports
where id = :id! and deleted_at is null;

/* @name UpdateReport */
-- Changes a live report's product and assessment fields (absent ones keep their value).
update exportsathi.reports
set product_name        = coalesce(:productName, product_name),
    product_description = case when :setDescription! then :productDescription else product_description end,
    product_image_url   = case when :setImageUrl! then :productImageUrl else product_image_url end,
    ingredients         = case when :setIngredients! then :ingredients else ingredients end,
    hs_code             = coalesce(:hsCode, hs_code),
    hs_code_confidence  = case when :setConfidence! then :hsCodeConfidence else hs_code_confidence end,
    destination_country = coalesce(:destinationCountry, destination_country),
    risk_score          = case when :setRiskScore! then :riskScore else risk_score end,
    estimated_cost      = case when :setEstimatedCost! then :estimatedCost else estimated_cost end,
    timeline_days       = case when :setTimelineDays! then :timelineDays else timeline_days end,
    report_data         = coalesce(:reportData, report_data)
where id = :id! and deleted_at is null
returning id, user_id, product_name, product_description, product_image_url, ingredients, hs_code, hs_code_confidence,
          destination_country, status, risk_score, estimated_cost, timeline_days, report_data, completed_at, created_at, updated_at;

/* @name SetReportStatus */
-- Moves a live report along its lifecycle; completed_at follows completed and archived, the transition trigger refuses illegal moves.
update exportsathi.reports
set status = :status!,
    completed_at = case when :status! in ('completed', 'archived') then coalesce(completed_at, now()) end
where id = :id! and deleted_at is null
returning id, user_id, product_name, product_description, product_image_url, ingredients, hs_code, hs_code_confidence,
          destination_country, status, risk_score, estimated_cost, timeline_days, report_data, completed_at, created_at, updated_at;

/* @name SoftDeleteReport */
-- Soft-deletes a live report: it and its rows disappear from every procedure at once.
update exportsathi.reports
set deleted_at = now()
where id = :id! and deleted_at is null
returning id, deleted_at as "deleted_at!";

/* @name RestoreReport */
-- Brings back a report soft-deleted less than 30 days ago (the purge's horizon).
update exportsathi.reports
set deleted_at = null
where id = :id! and deleted_at > now() - interval '30 days'
returning id, user_id, product_name, product_description, product_image_url, ingredients, hs_code, hs_code_confidence,
          destination_country, status, risk_score, estimated_cost, timeline_days, report_data, completed_at, created_at, updated_at;

/* @name ListReports */
-- One page of a user's live reports, newest first, before the cursor id; served by (user_id, id desc). The cursor is a CASE, not coalesce: under RLS only leakproof conditions become index conditions.
select id, user_id, product_name, hs_code, destination_country, status, risk_score, completed_at, created_at, updated_at
from exportsathi.reports
where user_id = :userId!
  and deleted_at is null
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListReportsByStatus */
-- One page of a user's live reports of one status, newest first; served by (user_id, status, id desc) where live.
select id, user_id, product_name, hs_code, destination_country, status, risk_score, completed_at, created_at, updated_at
from exportsathi.reports
where user_id = :userId!
  and status = :status!
  and deleted_at is null
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListReportsByHsCode */
-- One page of a user's live reports of one HS code, newest first; served by (user_id, hs_code, id desc) where live.
select id, user_id, product_name, hs_code, destination_country, status, risk_score, completed_at, created_at, updated_at
from exportsathi.reports
where user_id = :userId!
  and hs_code = :hsCode!
  and deleted_at is null
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListReportsByCountry */
-- One page of a user's live reports for one destination, newest first; served by (user_id, destination_country, id desc) where live.
select id, user_id, product_name, hs_code, destination_country, status, risk_score, completed_at, created_at, updated_at
from exportsathi.reports
where user_id = :userId!
  and destination_country = :destinationCountry!
  and deleted_at is null
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;

/* @name ListDeletedReports */
-- The acting user's restorable reports (soft-deleted less than 30 days ago), most recently deleted first; served by (user_id, deleted_at desc).
select id, product_name, hs_code, destination_country, status, deleted_at as "deleted_at!",
       deleted_at + interval '30 days' as "purge_after!"
from exportsathi.reports
where user_id = :userId!
  and deleted_at > now() - interval '30 days'
order by deleted_at desc
limit 200;

/* @name ReportAnalytics */
-- Admins: live reports created in [from, to) counted per destination country and per HS chapter (the code's first two digits), in one statement; served by (created_at desc) where live.
select case when grouping(destination_country) = 0 then 'destination_country' else 'hs_chapter' end as "dimension!",
       coalesce(destination_country, left(hs_code, 2)) as "value!",
       count(*)::int as "reports!"
from exportsathi.reports
where deleted_at is null
  and created_at >= :from!
  and created_at < :to!
group by grouping sets ((destination_country), (left(hs_code, 2)))
order by 1, 3 desc, 2;
