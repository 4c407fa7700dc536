/* @name InsertFinance */
-- Records a finance analysis for a live report of the acting user's; the three payloads arrive encrypted.
insert into exportsathi.finance_analysis (report_id, working_capital_data, rodtep_benefit_data, gst_refund_data, currency, analysis_note)
select r.id, :workingCapitalData!, :rodtepBenefitData!, :gstRefundData!, :currency!, :analysisNote
from exportsathi.reports r
where r.id = :reportId! and r.deleted_at is null
returning id, report_id, working_capital_data, rodtep_benefit_data, gst_refund_data, currency, analysis_note, created_at, updated_at;

/* @name FindFinance */
-- One finance analysis (encrypted payloads); RLS shows only those of the caller's live reports.
select id, report_id, working_capital_data, rodtep_benefit_data, gst_refund_data, currency, analysis_note, created_at, updated_at
from exportsathi.finance_analysis
where id = :id!;

/* @name UpdateFinance */
-- Replaces a finance analysis's payloads (encrypted) and note.
update exportsathi.finance_analysis
set working_capital_data = :workingCapitalData!,
    rodtep_benefit_data  = :rodtepBenefitData!,
    gst_refund_data      = :gstRefundData!,
    currency             = :currency!,
    analysis_note        = :analysisNote
where id = :id!
returning id, report_id, working_capital_data, rodtep_benefit_data, gst_refund_data, currency, analysis_note, created_at, updated_at;

/* @name ListFinance */
-- One page of a report's finance analyses newest first, before the cursor id; served by (report_id, id desc).
select id, report_id, working_capital_data, rodtep_benefit_data, gst_refund_data, currency, analysis_note, created_at, updated_at
from exportsathi.finance_analysis
where report_id = :reportId!
  and id < case when cast(:before as uuid) is null then 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid else :before end
order by id desc
limit :limit!;
