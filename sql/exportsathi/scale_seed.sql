/* @name InsertScaleProfile */
-- db:seed --scale: the acting user's business profile; iec and gstin arrive encrypted (enc:v2).
insert into exportsathi.business_profiles (user_id, company_name, business_type, company_size, iec, gstin)
values (:userId!, :companyName!, :businessType!, :companySize!, :iec!, :gstin!);

/* @name InsertScaleReports */
-- db:seed --scale: the acting user's reports from parallel arrays (report data as JSON texts); a completed or archived one is completed now.
insert into exportsathi.reports (id, user_id, product_name, product_description, ingredients, hs_code, hs_code_confidence,
                                 destination_country, status, risk_score, estimated_cost, timeline_days, report_data, completed_at)
select r.id, :userId!, r.product_name, r.product_description, r.ingredients, r.hs_code, r.hs_code_confidence, r.destination_country,
       r.status, r.risk_score, r.estimated_cost, r.timeline_days, r.report_data::jsonb,
       case when r.status in ('completed', 'archived') then now() end
from unnest(:ids!::uuid[], :productNames!::text[], :productDescriptions!::text[], :ingredients!::text[], :hsCodes!::text[],
            :hsCodeConfidences!::numeric[], :destinationCountries!::text[], :statuses!::text[], :riskScores!::int[],
            :estimatedCosts!::numeric[], :timelineDays!::int[], :reportData!::text[])
  as r(id, product_name, product_description, ingredients, hs_code, hs_code_confidence, destination_country, status, risk_score,
       estimated_cost, timeline_days, report_data);

/* @name InsertScaleCertifications */
-- db:seed --scale: certifications of the acting user's reports (documents as JSON texts, an empty actual cost is none); started and completed now as their status says.
insert into exportsathi.certification_progress (report_id, certification_code, certification_name, status, documents_completed,
                                                started_at, completed_at, estimated_cost, actual_cost)
select c.report_id, c.certification_code, c.certification_name, c.status, c.documents_completed::jsonb,
       case when c.status <> 'not_started' then now() end, case when c.status = 'completed' then now() end,
       c.estimated_cost, nullif(c.actual_cost, '')::numeric
from unnest(:reportIds!::uuid[], :certificationCodes!::text[], :certificationNames!::text[], :statuses!::text[],
            :documentsCompleted!::text[], :estimatedCosts!::numeric[], :actualCosts!::text[])
  as c(report_id, certification_code, certification_name, status, documents_completed, estimated_cost, actual_cost);

/* @name InsertScaleDocuments */
-- db:seed --scale: export documents of the acting user's reports (validation results as JSON texts); validated now unless a draft.
insert into exportsathi.generated_documents (report_id, document_type, title, content, validation_results, status, validated_at)
select d.report_id, d.document_type, d.title, d.content, d.validation_results::jsonb, d.status,
       case when d.status <> 'draft' then now() end
from unnest(:reportIds!::uuid[], :documentTypes!::text[], :titles!::text[], :contents!::text[], :validationResults!::text[],
            :statuses!::text[])
  as d(report_id, document_type, title, content, validation_results, status);

/* @name InsertScalePlanTasks */
-- db:seed --scale: 7-day plan tasks of the acting user's reports (one element per task); a completed one is completed now.
insert into exportsathi.action_plan_progress (report_id, day_number, task_index, task_title, task_description, category, is_completed,
                                              completed_at)
select t.report_id, t.day_number, t.task_index, t.task_title, t.task_description, t.category, t.is_completed,
       case when t.is_completed then now() end
from unnest(:reportIds!::uuid[], :dayNumbers!::int[], :taskIndexes!::int[], :taskTitles!::text[], :taskDescriptions!::text[],
            :categories!::text[], :isCompleted!::bool[])
  as t(report_id, day_number, task_index, task_title, task_description, category, is_completed);

/* @name InsertScaleChatSessions */
-- db:seed --scale: the acting user's chats, each about one of their reports; context as JSON texts.
insert into exportsathi.chat_sessions (id, user_id, report_id, context_data)
select s.id, :userId!, s.report_id, s.context_data::jsonb
from unnest(:ids!::uuid[], :reportIds!::uuid[], :contextData!::text[]) as s(id, report_id, context_data);

/* @name InsertScaleChatMessages */
-- db:seed --scale: messages of the acting user's chats (one element per message); citations as JSON texts, '[]' on questions.
insert into exportsathi.chat_messages (session_id, role, content, citations)
select m.session_id, m.role, m.content, m.citations::jsonb
from unnest(:sessionIds!::uuid[], :roles!::text[], :contents!::text[], :citations!::text[]) as m(session_id, role, content, citations);

/* @name InsertScaleFinance */
-- db:seed --scale: finance analyses of the acting user's reports; the three payloads arrive encrypted (enc:v2).
insert into exportsathi.finance_analysis (report_id, working_capital_data, rodtep_benefit_data, gst_refund_data, currency, analysis_note)
select f.report_id, f.working_capital_data, f.rodtep_benefit_data, f.gst_refund_data, 'INR', f.analysis_note
from unnest(:reportIds!::uuid[], :workingCapitalData!::text[], :rodtepBenefitData!::text[], :gstRefundData!::text[],
            :analysisNotes!::text[])
  as f(report_id, working_capital_data, rodtep_benefit_data, gst_refund_data, analysis_note);

/* @name InsertScaleLogistics */
-- db:seed --scale: logistics analyses of the acting user's reports.
insert into exportsathi.logistics_analysis (report_id, shipping_mode, cargo_volume_cbm, rms_probability, freight_estimate)
select l.report_id, l.shipping_mode, l.cargo_volume_cbm, l.rms_probability, l.freight_estimate
from unnest(:reportIds!::uuid[], :shippingModes!::text[], :cargoVolumesCbm!::numeric[], :rmsProbabilities!::numeric[],
            :freightEstimates!::numeric[])
  as l(report_id, shipping_mode, cargo_volume_cbm, rms_probability, freight_estimate);
