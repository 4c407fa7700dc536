-- ExportSathi (seed 003): export-readiness reports for Indian exporters and everything hanging
-- off them. The seed gives each table's column count and a few hints; these are the decisions
-- it left open (seed column count -> ours, and why where they differ):
--
--   users (10) = core.users (email, password hash, name, timestamps: no username, seed 003 has
--   none) + business_profiles (8), one row per user:
--   * business_type: Manufacturing, Trading, Services, Agriculture, Handicrafts (the seed's own
--     "Manufacturing" first); company_size: the MSME classes Micro, Small, Medium, and Large;
--   * company_name 1-255 characters;
--   * iec and gstin (the exporter's Importer-Exporter Code and GST number) are encrypted by the
--     application before they reach the database (requirement 17.2). Their formats (IEC: 10
--     characters, the PAN pattern; GSTIN: 15 characters with its mod-36 check character) are
--     checked by the API on the clear value; the database can only check what it stores: an
--     enc:v2 envelope that names its key (enc:v2:<key id>:<iv>:<tag>:<ciphertext>), so that a
--     plaintext value can never be stored by mistake and `keys:rotate` can find values under
--     an old key.
--
--   reports (18)
--   * product_name 1-255, product_description and ingredients at most 10000 characters,
--     product_image_url an http(s) URL of at most 2048 characters;
--   * hs_code: ITC-HS, 2-8 digits (chapter, heading, subheading, tariff line);
--     hs_code_confidence 0-1 (how sure the classifier was);
--   * destination_country: ISO 3166-1 alpha-2, two capital letters;
--   * status: draft -> processing -> completed or failed; failed may be retried (processing);
--     completed may be archived and unarchived. completed_at is set exactly while completed
--     or archived (a CHECK);
--   * risk_score 0-100; estimated_cost >= 0 (INR); timeline_days 1-365;
--   * report_data: a JSON object whose known top-level keys have their types (summary: string;
--     certifications, risks, restrictedSubstances, recommendations: arrays; costBreakdown,
--     timeline: objects), at most 262144 bytes;
--   * deleted_at: soft delete (beyond the seed's "known limitations"). Every query but restore
--     and the purge reads `deleted_at is null`; the children's policies see only rows of live
--     reports, so a deleted report's certifications, documents, plan, chats and analyses are
--     hidden at once with it. The owner may restore it for 30 days; `db:maintain` then purges it
--     through exportsathi.purge_deleted_reports (its rows go with it by the cascades).
--
--   certification_progress (12): per report and certification_code (unique pair);
--   status not_started -> in_progress -> submitted -> completed or rejected, rejected -> in_progress;
--   started_at set exactly when not not_started, completed_at exactly when completed;
--   documents_completed a JSON array of document names (strings); costs >= 0.
--
--   generated_documents (10): document_type commercial_invoice, packing_list, shipping_bill,
--   certificate_of_origin, bill_of_lading, letter_of_credit, insurance_certificate,
--   lut_undertaking; content at most 1000000 characters (not copied into the audit log);
--   validation_results a JSON object ({isValid?: boolean, errors?: [], warnings?: []});
--   status draft -> validated or invalid, invalid -> draft, validated -> final or draft;
--   validated_at set exactly when validated, invalid or final.
--
--   action_plan_progress (11): the 7-day plan: day_number 1-7, task_index 1-20 (tasks per day),
--   unique (report_id, day_number, task_index); completed_at set exactly when is_completed.
--   A report's plan is created in one statement (unnest).
--
--   chat_sessions (6): optionally about one of the user's reports (a composite foreign key keeps
--   it the user's own); context_data a JSON object of at most 65536 bytes.
--
--   chat_messages (seed 5 -> 6): id, session_id, role, content, citations, created_at. Five
--   columns cannot hold these and the timestamps the seed says every table has; messages are
--   never edited (no UPDATE grant), so updated_at is left out rather than kept always equal to
--   created_at. role user or assistant; content 1-100000 characters; citations a JSON array of
--   {title, url?, excerpt?} objects (title 1-500, url http(s), excerpt at most 5000 characters,
--   no other keys), only on assistant messages.
--
--   finance_analysis (9): working_capital_data, rodtep_benefit_data, gst_refund_data: JSON
--   objects encrypted by the application (requirement 17.2), so stored as enc:v2 text envelopes,
--   not jsonb (the database never sees the figures); currency ISO 4217 (INR by default);
--   analysis_note at most 2000 characters. Several analyses per report (history): lists and
--   the dashboard take the newest.
--
--   key rotation (requirement 17.2): `keys:rotate` reaches every encrypted row, those of
--   soft-deleted reports included, through two SECURITY DEFINER functions owned by app_auth
--   (exportsathi.encrypted_pending, exportsathi.encrypted_replace: a compare-and-swap), like the
--   purge (exportsathi.purge_deleted_reports). app_auth's policies and column grants here serve
--   these functions only; the request role may call none of them.
--
--   logistics_analysis (8): shipping_mode LCL or FCL; cargo_volume_cbm > 0; rms_probability
--   0-1 (the customs Risk Management System's chance of an examination); freight_estimate >= 0.
--
--   user_metrics (10): one row per user (unique user_id), counting what happened: reports
--   generated, certifications completed, documents generated, plan tasks completed (an
--   unchecked task counts down), chat questions asked, cost savings (estimated minus actual
--   cost of completed certifications, when lower). Kept only by statement triggers on the tables
--   they count (set n = n + k in one upsert per user and statement, exact under concurrency);
--   the API has no way to write them (exportsathi.guard_metrics refuses any write not made by a
--   trigger). Deleting a report does not undo its history.
--
--   all tables: cascades from the user and from the report (the seed's), RLS forced (owners see
--   their own rows, admins all), audit and updated_at triggers, an index for every foreign key
--   and for every list query (one statement per filter shape).

-- Up Migration

-- ===== Shape checks used by the CHECK constraints =====
-- Immutable SQL functions, because a CHECK cannot hold a subquery.
create function exportsathi.jsonb_all_strings(value jsonb) returns boolean
language sql immutable parallel safe
as $$
  select not exists (select from jsonb_array_elements(value) e where jsonb_typeof(e) <> 'string')
$$;
comment on function exportsathi.jsonb_all_strings(jsonb) is 'Whether every element of a JSON array is a string';

create function exportsathi.citations_valid(value jsonb) returns boolean
language sql immutable parallel safe
as $$
  select jsonb_typeof(value) = 'array'
     and not exists (
       select from jsonb_array_elements(value) e
        where jsonb_typeof(e) <> 'object'
           or jsonb_typeof(e -> 'title') is distinct from 'string'
           or length(e ->> 'title') not between 1 and 500
           or (e ? 'url' and (jsonb_typeof(e -> 'url') <> 'string' or (e ->> 'url') !~ '^https?://[^[:space:]]+$' or length(e ->> 'url') > 2048))
           or (e ? 'excerpt' and (jsonb_typeof(e -> 'excerpt') <> 'string' or length(e ->> 'excerpt') > 5000))
           or exists (select from jsonb_object_keys(e) k where k not in ('title', 'url', 'excerpt')))
$$;
comment on function exportsathi.citations_valid(jsonb) is 'Whether a value is a JSON array of {title, url?, excerpt?} citation objects';

-- ===== exportsathi.business_profiles =====
create table exportsathi.business_profiles (
  user_id       uuid primary key references core.users (id) on delete cascade,
  company_name  text,
  business_type text not null,
  company_size  text not null,
  iec           text,
  gstin         text,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  constraint business_profiles_company_name_length check (length(company_name) between 1 and 255),
  constraint business_profiles_business_type_check check (business_type in ('Manufacturing', 'Trading', 'Services', 'Agriculture', 'Handicrafts')),
  constraint business_profiles_company_size_check check (company_size in ('Micro', 'Small', 'Medium', 'Large')),
  constraint business_profiles_iec_encrypted check (iec ~ '^enc:v2:[0-9a-f]{16}:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$'),
  constraint business_profiles_gstin_encrypted check (gstin ~ '^enc:v2:[0-9a-f]{16}:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$')
);

comment on table exportsathi.business_profiles is 'An exporter''s business profile, one per user (seed 003 users'' business fields)';
comment on column exportsathi.business_profiles.business_type is 'Manufacturing, Trading, Services, Agriculture or Handicrafts';
comment on column exportsathi.business_profiles.company_size is 'Micro, Small, Medium (the MSME classes) or Large';
comment on column exportsathi.business_profiles.iec is 'Importer-Exporter Code, encrypted by the application (enc:v2:<key id>:...)';
comment on column exportsathi.business_profiles.gstin is 'GST identification number, encrypted by the application (enc:v2:<key id>:...)';

comment on constraint business_profiles_user_id_fkey on exportsathi.business_profiles is 'user_id must reference an existing user';
comment on constraint business_profiles_company_name_length on exportsathi.business_profiles is 'company_name must be 1-255 characters';
comment on constraint business_profiles_business_type_check on exportsathi.business_profiles is 'business_type must be Manufacturing, Trading, Services, Agriculture or Handicrafts';
comment on constraint business_profiles_company_size_check on exportsathi.business_profiles is 'company_size must be Micro, Small, Medium or Large';
comment on constraint business_profiles_iec_encrypted on exportsathi.business_profiles is 'iec must be stored encrypted';
comment on constraint business_profiles_gstin_encrypted on exportsathi.business_profiles is 'gstin must be stored encrypted';

-- ===== exportsathi.reports =====
create table exportsathi.reports (
  id                  uuid primary key default core.uuidv7(),
  user_id             uuid not null references core.users (id) on delete cascade,
  product_name        text not null,
  product_description text,
  product_image_url   text,
  ingredients         text,
  hs_code             text not null,
  hs_code_confidence  numeric(4, 3),
  destination_country text not null,
  status              text not null default 'draft',
  risk_score          integer,
  estimated_cost      numeric(14, 2),
  timeline_days       integer,
  report_data         jsonb not null default '{}',
  completed_at        timestamptz,
  deleted_at          timestamptz,
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  -- Target of the chat sessions' (report_id, user_id) foreign key.
  constraint reports_id_user_key unique (id, user_id),
  constraint reports_product_name_length check (length(product_name) between 1 and 255),
  constraint reports_product_description_length check (length(product_description) <= 10000),
  constraint reports_product_image_url_format check (product_image_url ~ '^https?://[^[:space:]]+$' and length(product_image_url) <= 2048),
  constraint reports_ingredients_length check (length(ingredients) <= 10000),
  constraint reports_hs_code_format check (hs_code ~ '^[0-9]{2,8}$'),
  constraint reports_hs_code_confidence_range check (hs_code_confidence between 0 and 1),
  constraint reports_destination_country_format check (destination_country ~ '^[A-Z]{2}$'),
  constraint reports_status_check check (status in ('draft', 'processing', 'completed', 'failed', 'archived')),
  constraint reports_risk_score_range check (risk_score between 0 and 100),
  constraint reports_estimated_cost_nonnegative check (estimated_cost >= 0),
  constraint reports_timeline_days_range check (timeline_days between 1 and 365),
  constraint reports_report_data_shape check (
    jsonb_typeof(report_data) = 'object'
    and coalesce(jsonb_typeof(report_data -> 'summary'), 'string') = 'string'
    and coalesce(jsonb_typeof(report_data -> 'certifications'), 'array') = 'array'
    and coalesce(jsonb_typeof(report_data -> 'risks'), 'array') = 'array'
    and coalesce(jsonb_typeof(report_data -> 'restrictedSubstances'), 'array') = 'array'
    and coalesce(jsonb_typeof(report_data -> 'recommendations'), 'array') = 'array'
    and coalesce(jsonb_typeof(report_data -> 'costBreakdown'), 'object') = 'object'
    and coalesce(jsonb_typeof(report_data -> 'timeline'), 'object') = 'object'),
  constraint reports_report_data_size check (octet_length(report_data::text) <= 262144),
  constraint reports_completed_at_when_completed check ((status in ('completed', 'archived')) = (completed_at is not null))
);

comment on table exportsathi.reports is 'An export-readiness report for one product and destination (seed 003 reports)';
comment on column exportsathi.reports.hs_code is 'ITC-HS code, 2-8 digits (chapter, heading, subheading, tariff line)';
comment on column exportsathi.reports.hs_code_confidence is 'How sure the HS classification is, 0-1';
comment on column exportsathi.reports.destination_country is 'ISO 3166-1 alpha-2 code of the destination, e.g. US';
comment on column exportsathi.reports.status is 'draft, processing, then completed (may be archived) or failed (may be retried)';
comment on column exportsathi.reports.risk_score is 'Export risk, 0 (none) to 100';
comment on column exportsathi.reports.estimated_cost is 'Estimated cost of becoming export-ready, INR';
comment on column exportsathi.reports.report_data is 'The complete report: a JSON object (summary, certifications, risks, restrictedSubstances, recommendations, costBreakdown, timeline)';
comment on column exportsathi.reports.completed_at is 'When the report was completed; set exactly while completed or archived';
comment on column exportsathi.reports.deleted_at is 'Soft delete: hidden from every procedure; restorable by its owner for 30 days, then purged';

comment on constraint reports_user_id_fkey on exportsathi.reports is 'user_id must reference an existing user';
comment on constraint reports_id_user_key on exportsathi.reports is 'report id and user pair is already taken';
comment on constraint reports_product_name_length on exportsathi.reports is 'product_name must be 1-255 characters';
comment on constraint reports_product_description_length on exportsathi.reports is 'product_description must be at most 10000 characters';
comment on constraint reports_product_image_url_format on exportsathi.reports is 'product_image_url must be an http(s) URL of at most 2048 characters';
comment on constraint reports_ingredients_length on exportsathi.reports is 'ingredients must be at most 10000 characters';
comment on constraint reports_hs_code_format on exportsathi.reports is 'hs_code must be an ITC-HS code of 2 to 8 digits';
comment on constraint reports_hs_code_confidence_range on exportsathi.reports is 'hs_code_confidence must be between 0 and 1';
comment on constraint reports_destination_country_format on exportsathi.reports is 'destination_country must be an ISO 3166-1 alpha-2 code (two capital letters)';
comment on constraint reports_status_check on exportsathi.reports is 'status must be draft, processing, completed, failed or archived';
comment on constraint reports_risk_score_range on exportsathi.reports is 'risk_score must be between 0 and 100';
comment on constraint reports_estimated_cost_nonnegative on exportsathi.reports is 'estimated_cost must not be negative';
comment on constraint reports_timeline_days_range on exportsathi.reports is 'timeline_days must be between 1 and 365';
comment on constraint reports_report_data_shape on exportsathi.reports is 'report_data must be a JSON object; summary a string; certifications, risks, restrictedSubstances, recommendations arrays; costBreakdown, timeline objects';
comment on constraint reports_report_data_size on exportsathi.reports is 'report_data must be at most 262144 bytes as JSON';
comment on constraint reports_completed_at_when_completed on exportsathi.reports is 'completed_at must be set exactly when the report is completed or archived';

-- reports.list: a user's live reports newest first (keyset on id, time-ordered), one index per
-- filter shape. The first is not partial: it also serves the user foreign key's cascade, and
-- the few soft-deleted rows it holds (purged after 30 days) are filtered on the way.
create index reports_user_list_idx on exportsathi.reports (user_id, id desc);
create index reports_user_status_list_idx on exportsathi.reports (user_id, status, id desc) where deleted_at is null;
create index reports_user_hs_list_idx on exportsathi.reports (user_id, hs_code, id desc) where deleted_at is null;
create index reports_user_country_list_idx on exportsathi.reports (user_id, destination_country, id desc) where deleted_at is null;
-- reports.listDeleted (the owner's restorable reports) and the purge, by when they were deleted.
create index reports_deleted_idx on exportsathi.reports (user_id, deleted_at desc) where deleted_at is not null;
create index reports_purge_idx on exportsathi.reports (deleted_at) where deleted_at is not null;
-- analytics: live reports created in a date range, newest first.
create index reports_created_idx on exportsathi.reports (created_at desc) where deleted_at is null;

-- ===== exportsathi.certification_progress =====
create table exportsathi.certification_progress (
  id                  uuid primary key default core.uuidv7(),
  report_id           uuid not null references exportsathi.reports (id) on delete cascade,
  certification_code  text not null,
  certification_name  text not null,
  status              text not null default 'not_started',
  documents_completed jsonb not null default '[]',
  started_at          timestamptz,
  completed_at        timestamptz,
  estimated_cost      numeric(14, 2),
  actual_cost         numeric(14, 2),
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  constraint certification_progress_report_code_key unique (report_id, certification_code),
  constraint certification_progress_code_format check (certification_code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$'),
  constraint certification_progress_name_length check (length(certification_name) between 1 and 255),
  constraint certification_progress_status_check check (status in ('not_started', 'in_progress', 'submitted', 'completed', 'rejected')),
  constraint certification_progress_documents_array check (
    jsonb_typeof(documents_completed) = 'array' and exportsathi.jsonb_all_strings(documents_completed)),
  constraint certification_progress_documents_size check (octet_length(documents_completed::text) <= 65536),
  constraint certification_progress_started_when_begun check ((status <> 'not_started') = (started_at is not null)),
  constraint certification_progress_completed_at_when_completed check ((status = 'completed') = (completed_at is not null)),
  constraint certification_progress_estimated_cost_nonnegative check (estimated_cost >= 0),
  constraint certification_progress_actual_cost_nonnegative check (actual_cost >= 0)
);

comment on table exportsathi.certification_progress is 'Progress towards one certification a report calls for (seed 003 certification_progress)';
comment on column exportsathi.certification_progress.certification_code is 'The certification''s short code, e.g. FSSAI, FDA, CE; unique within the report';
comment on column exportsathi.certification_progress.status is 'not_started, in_progress, submitted, then completed (final) or rejected (may be resumed)';
comment on column exportsathi.certification_progress.documents_completed is 'JSON array of the names of the documents already prepared';
comment on column exportsathi.certification_progress.estimated_cost is 'Expected cost, INR';
comment on column exportsathi.certification_progress.actual_cost is 'What it cost, INR';

comment on constraint certification_progress_report_id_fkey on exportsathi.certification_progress is 'report_id must reference an existing report';
comment on constraint certification_progress_report_code_key on exportsathi.certification_progress is 'this certification is already tracked for the report';
comment on constraint certification_progress_code_format on exportsathi.certification_progress is 'certification_code must be 1-50 letters, digits, dots, dashes or underscores';
comment on constraint certification_progress_name_length on exportsathi.certification_progress is 'certification_name must be 1-255 characters';
comment on constraint certification_progress_status_check on exportsathi.certification_progress is 'status must be not_started, in_progress, submitted, completed or rejected';
comment on constraint certification_progress_documents_array on exportsathi.certification_progress is 'documents_completed must be a JSON array of strings';
comment on constraint certification_progress_documents_size on exportsathi.certification_progress is 'documents_completed must be at most 65536 bytes as JSON';
comment on constraint certification_progress_started_when_begun on exportsathi.certification_progress is 'started_at must be set exactly when the certification has left not_started';
comment on constraint certification_progress_completed_at_when_completed on exportsathi.certification_progress is 'completed_at must be set exactly when the certification is completed';
comment on constraint certification_progress_estimated_cost_nonnegative on exportsathi.certification_progress is 'estimated_cost must not be negative';
comment on constraint certification_progress_actual_cost_nonnegative on exportsathi.certification_progress is 'actual_cost must not be negative';

-- certifications.list and the dashboard: a report's certifications in creation order (the
-- unique key serves the foreign key).
create index certification_progress_report_list_idx on exportsathi.certification_progress (report_id, id);

-- ===== exportsathi.generated_documents =====
create table exportsathi.generated_documents (
  id                 uuid primary key default core.uuidv7(),
  report_id          uuid not null references exportsathi.reports (id) on delete cascade,
  document_type      text not null,
  title              text not null,
  content            text not null,
  validation_results jsonb not null default '{}',
  status             text not null default 'draft',
  validated_at       timestamptz,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now(),
  constraint generated_documents_document_type_check check (document_type in ('commercial_invoice', 'packing_list', 'shipping_bill', 'certificate_of_origin', 'bill_of_lading', 'letter_of_credit', 'insurance_certificate', 'lut_undertaking')),
  constraint generated_documents_title_length check (length(title) between 1 and 255),
  constraint generated_documents_content_length check (length(content) between 1 and 1000000),
  constraint generated_documents_validation_shape check (
    jsonb_typeof(validation_results) = 'object'
    and coalesce(jsonb_typeof(validation_results -> 'isValid'), 'boolean') = 'boolean'
    and coalesce(jsonb_typeof(validation_results -> 'errors'), 'array') = 'array'
    and coalesce(jsonb_typeof(validation_results -> 'warnings'), 'array') = 'array'),
  constraint generated_documents_validation_size check (octet_length(validation_results::text) <= 65536),
  constraint generated_documents_status_check check (status in ('draft', 'validated', 'invalid', 'final')),
  constraint generated_documents_validated_at_when_validated check ((status in ('validated', 'invalid', 'final')) = (validated_at is not null))
);

comment on table exportsathi.generated_documents is 'An export document generated for a report (seed 003 generated_documents)';
comment on column exportsathi.generated_documents.document_type is 'commercial_invoice, packing_list, shipping_bill, certificate_of_origin, bill_of_lading, letter_of_credit, insurance_certificate or lut_undertaking';
comment on column exportsathi.generated_documents.validation_results is 'JSON object: isValid (boolean), errors and warnings (arrays)';
comment on column exportsathi.generated_documents.status is 'draft, then validated (may become final) or invalid (back to draft)';
comment on column exportsathi.generated_documents.validated_at is 'When the document was last validated; set exactly while validated, invalid or final';

comment on constraint generated_documents_report_id_fkey on exportsathi.generated_documents is 'report_id must reference an existing report';
comment on constraint generated_documents_document_type_check on exportsathi.generated_documents is 'document_type must be commercial_invoice, packing_list, shipping_bill, certificate_of_origin, bill_of_lading, letter_of_credit, insurance_certificate or lut_undertaking';
comment on constraint generated_documents_title_length on exportsathi.generated_documents is 'title must be 1-255 characters';
comment on constraint generated_documents_content_length on exportsathi.generated_documents is 'content must be 1-1000000 characters';
comment on constraint generated_documents_validation_shape on exportsathi.generated_documents is 'validation_results must be a JSON object; isValid a boolean; errors and warnings arrays';
comment on constraint generated_documents_validation_size on exportsathi.generated_documents is 'validation_results must be at most 65536 bytes as JSON';
comment on constraint generated_documents_status_check on exportsathi.generated_documents is 'status must be draft, validated, invalid or final';
comment on constraint generated_documents_validated_at_when_validated on exportsathi.generated_documents is 'validated_at must be set exactly when the document is validated, invalid or final';

-- documents.list and the dashboard: a report's documents newest first; also the foreign key's.
create index generated_documents_report_list_idx on exportsathi.generated_documents (report_id, id desc);

-- ===== exportsathi.action_plan_progress =====
create table exportsathi.action_plan_progress (
  id               uuid primary key default core.uuidv7(),
  report_id        uuid not null references exportsathi.reports (id) on delete cascade,
  day_number       integer not null,
  task_index       integer not null,
  task_title       text not null,
  task_description text,
  category         text not null default 'general',
  is_completed     boolean not null default false,
  completed_at     timestamptz,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  constraint action_plan_progress_task_key unique (report_id, day_number, task_index),
  constraint action_plan_progress_day_number_range check (day_number between 1 and 7),
  constraint action_plan_progress_task_index_range check (task_index between 1 and 20),
  constraint action_plan_progress_task_title_length check (length(task_title) between 1 and 255),
  constraint action_plan_progress_task_description_length check (length(task_description) <= 5000),
  constraint action_plan_progress_category_check check (category in ('general', 'documentation', 'certification', 'registration', 'logistics', 'finance')),
  constraint action_plan_progress_completed_at_when_done check (is_completed = (completed_at is not null))
);

comment on table exportsathi.action_plan_progress is 'One task of a report''s 7-day action plan (seed 003 action_plan_progress)';
comment on column exportsathi.action_plan_progress.day_number is 'Day of the plan, 1-7';
comment on column exportsathi.action_plan_progress.task_index is 'Position of the task within its day, 1-20';
comment on column exportsathi.action_plan_progress.category is 'general, documentation, certification, registration, logistics or finance';
comment on column exportsathi.action_plan_progress.completed_at is 'When the task was completed; set exactly while is_completed';

comment on constraint action_plan_progress_report_id_fkey on exportsathi.action_plan_progress is 'report_id must reference an existing report';
comment on constraint action_plan_progress_task_key on exportsathi.action_plan_progress is 'the plan already has a task at this day and position';
comment on constraint action_plan_progress_day_number_range on exportsathi.action_plan_progress is 'day_number must be between 1 and 7';
comment on constraint action_plan_progress_task_index_range on exportsathi.action_plan_progress is 'task_index must be between 1 and 20';
comment on constraint action_plan_progress_task_title_length on exportsathi.action_plan_progress is 'task_title must be 1-255 characters';
comment on constraint action_plan_progress_task_description_length on exportsathi.action_plan_progress is 'task_description must be at most 5000 characters';
comment on constraint action_plan_progress_category_check on exportsathi.action_plan_progress is 'category must be general, documentation, certification, registration, logistics or finance';
comment on constraint action_plan_progress_completed_at_when_done on exportsathi.action_plan_progress is 'completed_at must be set exactly when the task is completed';
-- The task key (report_id, day_number, task_index) serves the foreign key and the plan in order.

-- ===== exportsathi.chat_sessions =====
create table exportsathi.chat_sessions (
  id           uuid primary key default core.uuidv7(),
  user_id      uuid not null references core.users (id) on delete cascade,
  report_id    uuid,
  context_data jsonb not null default '{}',
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  -- A chat about a report is about one of its user's own reports, and goes with it.
  constraint chat_sessions_report_fkey foreign key (report_id, user_id) references exportsathi.reports (id, user_id) on delete cascade,
  constraint chat_sessions_context_data_object check (jsonb_typeof(context_data) = 'object'),
  constraint chat_sessions_context_data_size check (octet_length(context_data::text) <= 65536)
);

comment on table exportsathi.chat_sessions is 'A question-and-answer conversation, optionally about one report (seed 003 chat_sessions)';
comment on column exportsathi.chat_sessions.context_data is 'JSON object the assistant keeps as the conversation''s context';

comment on constraint chat_sessions_user_id_fkey on exportsathi.chat_sessions is 'user_id must reference an existing user';
comment on constraint chat_sessions_report_fkey on exportsathi.chat_sessions is 'report_id must reference one of the user''s own reports';
comment on constraint chat_sessions_context_data_object on exportsathi.chat_sessions is 'context_data must be a JSON object';
comment on constraint chat_sessions_context_data_size on exportsathi.chat_sessions is 'context_data must be at most 65536 bytes as JSON';

-- chats.list: a user's chats newest first, or a report's; the first serves the user foreign key.
create index chat_sessions_user_list_idx on exportsathi.chat_sessions (user_id, id desc);
create index chat_sessions_report_list_idx on exportsathi.chat_sessions (report_id, user_id, id desc);

-- ===== exportsathi.chat_messages =====
create table exportsathi.chat_messages (
  id         uuid primary key default core.uuidv7(),
  session_id uuid not null references exportsathi.chat_sessions (id) on delete cascade,
  role       text not null,
  content    text not null,
  citations  jsonb not null default '[]',
  created_at timestamptz not null default now(),
  constraint chat_messages_role_check check (role in ('user', 'assistant')),
  constraint chat_messages_content_length check (length(content) between 1 and 100000),
  constraint chat_messages_citations_shape check (exportsathi.citations_valid(citations)),
  constraint chat_messages_citations_size check (octet_length(citations::text) <= 65536),
  constraint chat_messages_citations_by_assistant check (role = 'assistant' or citations = '[]')
);

comment on table exportsathi.chat_messages is 'One message of a chat, with the sources an answer cites (seed 003 chat_messages); never edited';
comment on column exportsathi.chat_messages.role is 'user (a question) or assistant (an answer)';
comment on column exportsathi.chat_messages.citations is 'JSON array of the sources an answer cites: {title, url?, excerpt?}';

comment on constraint chat_messages_session_id_fkey on exportsathi.chat_messages is 'session_id must reference an existing chat session';
comment on constraint chat_messages_role_check on exportsathi.chat_messages is 'role must be user or assistant';
comment on constraint chat_messages_content_length on exportsathi.chat_messages is 'content must be 1-100000 characters';
comment on constraint chat_messages_citations_shape on exportsathi.chat_messages is 'citations must be a JSON array of {title (1-500 characters), url (http or https)?, excerpt (at most 5000 characters)?} objects';
comment on constraint chat_messages_citations_size on exportsathi.chat_messages is 'citations must be at most 65536 bytes as JSON';
comment on constraint chat_messages_citations_by_assistant on exportsathi.chat_messages is 'only assistant messages may cite sources';

-- chats.messages: a session's messages oldest first (keyset on id); also the foreign key's.
create index chat_messages_session_list_idx on exportsathi.chat_messages (session_id, id);

-- ===== exportsathi.finance_analysis =====
create table exportsathi.finance_analysis (
  id                   uuid primary key default core.uuidv7(),
  report_id            uuid not null references exportsathi.reports (id) on delete cascade,
  working_capital_data text not null,
  rodtep_benefit_data  text not null,
  gst_refund_data      text not null,
  currency             text not null default 'INR',
  analysis_note        text,
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now(),
  constraint finance_analysis_working_capital_encrypted check (working_capital_data ~ '^enc:v2:[0-9a-f]{16}:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$' and length(working_capital_data) <= 100000),
  constraint finance_analysis_rodtep_encrypted check (rodtep_benefit_data ~ '^enc:v2:[0-9a-f]{16}:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$' and length(rodtep_benefit_data) <= 100000),
  constraint finance_analysis_gst_refund_encrypted check (gst_refund_data ~ '^enc:v2:[0-9a-f]{16}:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$' and length(gst_refund_data) <= 100000),
  constraint finance_analysis_currency_format check (currency ~ '^[A-Z]{3}$'),
  constraint finance_analysis_note_length check (length(analysis_note) <= 2000)
);

comment on table exportsathi.finance_analysis is 'Working capital, RoDTEP benefit and GST refund figures for a report, encrypted (seed 003 finance_analysis)';
comment on column exportsathi.finance_analysis.working_capital_data is 'JSON object of the working-capital calculation, encrypted (enc:v2:<key id>:...)';
comment on column exportsathi.finance_analysis.rodtep_benefit_data is 'JSON object of the RoDTEP benefit calculation, encrypted (enc:v2:<key id>:...)';
comment on column exportsathi.finance_analysis.gst_refund_data is 'JSON object of the GST refund calculation, encrypted (enc:v2:<key id>:...)';
comment on column exportsathi.finance_analysis.currency is 'ISO 4217 currency of the figures';

comment on constraint finance_analysis_report_id_fkey on exportsathi.finance_analysis is 'report_id must reference an existing report';
comment on constraint finance_analysis_working_capital_encrypted on exportsathi.finance_analysis is 'working_capital_data must be stored encrypted';
comment on constraint finance_analysis_rodtep_encrypted on exportsathi.finance_analysis is 'rodtep_benefit_data must be stored encrypted';
comment on constraint finance_analysis_gst_refund_encrypted on exportsathi.finance_analysis is 'gst_refund_data must be stored encrypted';
comment on constraint finance_analysis_currency_format on exportsathi.finance_analysis is 'currency must be an ISO 4217 code (three capital letters)';
comment on constraint finance_analysis_note_length on exportsathi.finance_analysis is 'analysis_note must be at most 2000 characters';

-- finance.list and the dashboard (the newest): a report's analyses newest first; also the foreign key's.
create index finance_analysis_report_list_idx on exportsathi.finance_analysis (report_id, id desc);

-- ===== exportsathi.logistics_analysis =====
create table exportsathi.logistics_analysis (
  id               uuid primary key default core.uuidv7(),
  report_id        uuid not null references exportsathi.reports (id) on delete cascade,
  shipping_mode    text not null,
  cargo_volume_cbm numeric(10, 2) not null,
  rms_probability  numeric(4, 3) not null,
  freight_estimate numeric(14, 2) not null,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  constraint logistics_analysis_shipping_mode_check check (shipping_mode in ('LCL', 'FCL')),
  constraint logistics_analysis_cargo_volume_positive check (cargo_volume_cbm > 0),
  constraint logistics_analysis_rms_probability_range check (rms_probability between 0 and 1),
  constraint logistics_analysis_freight_estimate_nonnegative check (freight_estimate >= 0)
);

comment on table exportsathi.logistics_analysis is 'The shipping choice for a report: LCL or FCL, customs RMS risk and freight (seed 003 logistics_analysis)';
comment on column exportsathi.logistics_analysis.shipping_mode is 'LCL (less than container load) or FCL (full container load)';
comment on column exportsathi.logistics_analysis.cargo_volume_cbm is 'Cargo volume in cubic metres';
comment on column exportsathi.logistics_analysis.rms_probability is 'Probability (0-1) that the customs Risk Management System selects the shipment for examination';
comment on column exportsathi.logistics_analysis.freight_estimate is 'Estimated freight, INR';

comment on constraint logistics_analysis_report_id_fkey on exportsathi.logistics_analysis is 'report_id must reference an existing report';
comment on constraint logistics_analysis_shipping_mode_check on exportsathi.logistics_analysis is 'shipping_mode must be LCL or FCL';
comment on constraint logistics_analysis_cargo_volume_positive on exportsathi.logistics_analysis is 'cargo_volume_cbm must be positive';
comment on constraint logistics_analysis_rms_probability_range on exportsathi.logistics_analysis is 'rms_probability must be between 0 and 1';
comment on constraint logistics_analysis_freight_estimate_nonnegative on exportsathi.logistics_analysis is 'freight_estimate must not be negative';

-- logistics.list and the dashboard (the newest): a report's analyses newest first; also the foreign key's.
create index logistics_analysis_report_list_idx on exportsathi.logistics_analysis (report_id, id desc);

-- ===== exportsathi.user_metrics =====
create table exportsathi.user_metrics (
  id                       uuid primary key default core.uuidv7(),
  user_id                  uuid not null references core.users (id) on delete cascade,
  reports_generated        integer not null default 0,
  certifications_completed integer not null default 0,
  documents_generated      integer not null default 0,
  tasks_completed          integer not null default 0,
  questions_asked          integer not null default 0,
  cost_savings             numeric(16, 2) not null default 0,
  created_at               timestamptz not null default now(),
  updated_at               timestamptz not null default now(),
  constraint user_metrics_user_key unique (user_id),
  constraint user_metrics_counters_nonnegative check (
    reports_generated >= 0 and certifications_completed >= 0 and documents_generated >= 0
    and tasks_completed >= 0 and questions_asked >= 0 and cost_savings >= 0)
);

comment on table exportsathi.user_metrics is 'What a user has achieved, counted by triggers (seed 003 user_metrics)';
comment on column exportsathi.user_metrics.reports_generated is 'Reports the user created';
comment on column exportsathi.user_metrics.certifications_completed is 'Certifications that reached completed';
comment on column exportsathi.user_metrics.documents_generated is 'Export documents generated';
comment on column exportsathi.user_metrics.tasks_completed is 'Action-plan tasks completed (an unchecked task counts down)';
comment on column exportsathi.user_metrics.questions_asked is 'Questions (user messages) asked in chats';
comment on column exportsathi.user_metrics.cost_savings is 'INR saved on completed certifications: estimated minus actual cost, where lower';

comment on constraint user_metrics_user_id_fkey on exportsathi.user_metrics is 'user_id must reference an existing user';
comment on constraint user_metrics_user_key on exportsathi.user_metrics is 'the user already has a metrics row';
comment on constraint user_metrics_counters_nonnegative on exportsathi.user_metrics is 'metrics counters must not be negative';

-- ===== Metrics kept by the database =====
-- What a completed certification saved against its estimate.
create function exportsathi.certification_saving(status text, estimated_cost numeric, actual_cost numeric) returns numeric
language sql immutable parallel safe
as $$
  select case when status = 'completed' and actual_cost < estimated_cost then estimated_cost - actual_cost else 0 end
$$;
comment on function exportsathi.certification_saving(text, numeric, numeric) is 'Estimated minus actual cost of a completed certification, when lower; else 0';

-- Per statement, from the transition tables: one upsert per user (set n = n + k), so
-- concurrent writers queue on the user's metrics row instead of overwriting each other's
-- counts, and a 7-day plan of 30 tasks touches the row once. The function runs as the caller,
-- so RLS applies: the caller is the owner of the rows counted (only owners write them).
create function exportsathi.count_metrics() returns trigger
language plpgsql
as $$
begin
  if tg_table_name = 'reports' then
    insert into exportsathi.user_metrics as m (user_id, reports_generated)
    select user_id, count(*)::int from new_rows group by user_id
    on conflict (user_id) do update set reports_generated = m.reports_generated + excluded.reports_generated;
  elsif tg_table_name = 'generated_documents' then
    insert into exportsathi.user_metrics as m (user_id, documents_generated)
    select r.user_id, count(*)::int from new_rows n join exportsathi.reports r on r.id = n.report_id group by r.user_id
    on conflict (user_id) do update set documents_generated = m.documents_generated + excluded.documents_generated;
  elsif tg_table_name = 'chat_messages' then
    insert into exportsathi.user_metrics as m (user_id, questions_asked)
    select s.user_id, count(*)::int from new_rows n join exportsathi.chat_sessions s on s.id = n.session_id
     where n.role = 'user' group by s.user_id
    on conflict (user_id) do update set questions_asked = m.questions_asked + excluded.questions_asked;
  elsif tg_table_name = 'action_plan_progress' and tg_op = 'INSERT' then
    insert into exportsathi.user_metrics as m (user_id, tasks_completed)
    select r.user_id, count(*)::int from new_rows n join exportsathi.reports r on r.id = n.report_id
     where n.is_completed group by r.user_id
    on conflict (user_id) do update set tasks_completed = m.tasks_completed + excluded.tasks_completed;
  elsif tg_table_name = 'action_plan_progress' then
    -- +1 for each task that became completed, -1 for each unchecked. A delta may be negative,
    -- which the proposed row's CHECK would refuse: the insert proposes what cannot be below
    -- zero, and the update adds the delta itself.
    with d as (
      select r.user_id, sum(n.is_completed::int - o.is_completed::int)::int as delta
        from new_rows n join old_rows o on o.id = n.id join exportsathi.reports r on r.id = n.report_id
       group by r.user_id
    )
    insert into exportsathi.user_metrics as m (user_id, tasks_completed)
    select user_id, greatest(delta, 0) from d where delta <> 0
    on conflict (user_id) do update
      set tasks_completed = m.tasks_completed + (select d.delta from d where d.user_id = m.user_id);
  elsif tg_table_name = 'certification_progress' and tg_op = 'INSERT' then
    insert into exportsathi.user_metrics as m (user_id, certifications_completed, cost_savings)
    select r.user_id, count(*)::int, sum(exportsathi.certification_saving(n.status, n.estimated_cost, n.actual_cost))
      from new_rows n join exportsathi.reports r on r.id = n.report_id
     where n.status = 'completed' group by r.user_id
    on conflict (user_id) do update
      set certifications_completed = m.certifications_completed + excluded.certifications_completed,
          cost_savings = m.cost_savings + excluded.cost_savings;
  elsif tg_table_name = 'certification_progress' then
    -- Completed certifications and what they saved, as the statement changed them (deltas
    -- added by the update, as above).
    with d as (
      select r.user_id,
             sum((n.status = 'completed')::int - (o.status = 'completed')::int)::int as completed,
             sum(exportsathi.certification_saving(n.status, n.estimated_cost, n.actual_cost)
                 - exportsathi.certification_saving(o.status, o.estimated_cost, o.actual_cost)) as saved
        from new_rows n join old_rows o on o.id = n.id join exportsathi.reports r on r.id = n.report_id
       group by r.user_id
    )
    insert into exportsathi.user_metrics as m (user_id, certifications_completed, cost_savings)
    select user_id, greatest(completed, 0), greatest(saved, 0) from d where completed <> 0 or saved <> 0
    on conflict (user_id) do update
      set certifications_completed = m.certifications_completed + (select d.completed from d where d.user_id = m.user_id),
          cost_savings = m.cost_savings + (select d.saved from d where d.user_id = m.user_id);
  end if;
  return null;
end
$$;
comment on function exportsathi.count_metrics() is 'AFTER statement trigger: counts what the statement''s rows achieved into exportsathi.user_metrics';

create trigger reports_count_metrics
  after insert on exportsathi.reports
  referencing new table as new_rows
  for each statement execute function exportsathi.count_metrics();
create trigger generated_documents_count_metrics
  after insert on exportsathi.generated_documents
  referencing new table as new_rows
  for each statement execute function exportsathi.count_metrics();
create trigger chat_messages_count_metrics
  after insert on exportsathi.chat_messages
  referencing new table as new_rows
  for each statement execute function exportsathi.count_metrics();
create trigger action_plan_progress_count_insert
  after insert on exportsathi.action_plan_progress
  referencing new table as new_rows
  for each statement execute function exportsathi.count_metrics();
create trigger action_plan_progress_count_update
  after update on exportsathi.action_plan_progress
  referencing old table as old_rows new table as new_rows
  for each statement execute function exportsathi.count_metrics();
create trigger certification_progress_count_insert
  after insert on exportsathi.certification_progress
  referencing new table as new_rows
  for each statement execute function exportsathi.count_metrics();
create trigger certification_progress_count_update
  after update on exportsathi.certification_progress
  referencing old table as old_rows new table as new_rows
  for each statement execute function exportsathi.count_metrics();

-- The metrics are the counting triggers' alone: a write made by a statement (depth 1) rather
-- than by a trigger is refused, an insert of a fresh row included.
create function exportsathi.guard_metrics() returns trigger
language plpgsql
as $$
begin
  if pg_trigger_depth() = 1 then
    raise exception 'user metrics are kept by the database and cannot be written'
      using errcode = 'insufficient_privilege', column = 'user_id';
  end if;
  return new;
end
$$;
comment on function exportsathi.guard_metrics() is 'BEFORE INSERT OR UPDATE trigger on user_metrics: refuses writes not made by the counting triggers';

create trigger user_metrics_guard
  before insert or update on exportsathi.user_metrics
  for each row execute function exportsathi.guard_metrics();

-- ===== Status lifecycles =====
create trigger reports_status_transition
  before update of status on exportsathi.reports
  for each row execute function core.guard_status_transition('status',
    'draft>processing', 'processing>completed', 'processing>failed', 'failed>processing',
    'completed>archived', 'archived>completed');
create trigger certification_progress_status_transition
  before update of status on exportsathi.certification_progress
  for each row execute function core.guard_status_transition('status',
    'not_started>in_progress', 'in_progress>submitted', 'submitted>completed', 'submitted>rejected', 'rejected>in_progress');
create trigger generated_documents_status_transition
  before update of status on exportsathi.generated_documents
  for each row execute function core.guard_status_transition('status',
    'draft>validated', 'draft>invalid', 'invalid>draft', 'validated>final', 'validated>draft');

-- ===== updated_at and audit triggers =====
create trigger business_profiles_touch_updated_at
  before update on exportsathi.business_profiles
  for each row execute function core.touch_updated_at();
select core.attach_audit('exportsathi.business_profiles');

create trigger reports_touch_updated_at
  before update on exportsathi.reports
  for each row execute function core.touch_updated_at();
select core.attach_audit('exportsathi.reports');

create trigger certification_progress_touch_updated_at
  before update on exportsathi.certification_progress
  for each row execute function core.touch_updated_at();
select core.attach_audit('exportsathi.certification_progress');

create trigger generated_documents_touch_updated_at
  before update on exportsathi.generated_documents
  for each row execute function core.touch_updated_at();
-- A document's content (up to a million characters) is the document itself, not a change
-- anyone needs to audit.
select core.attach_audit('exportsathi.generated_documents', 'content');

create trigger action_plan_progress_touch_updated_at
  before update on exportsathi.action_plan_progress
  for each row execute function core.touch_updated_at();
select core.attach_audit('exportsathi.action_plan_progress');

create trigger chat_sessions_touch_updated_at
  before update on exportsathi.chat_sessions
  for each row execute function core.touch_updated_at();
select core.attach_audit('exportsathi.chat_sessions');

-- Messages are never updated: no updated_at.
select core.attach_audit('exportsathi.chat_messages');

create trigger finance_analysis_touch_updated_at
  before update on exportsathi.finance_analysis
  for each row execute function core.touch_updated_at();
select core.attach_audit('exportsathi.finance_analysis');

create trigger logistics_analysis_touch_updated_at
  before update on exportsathi.logistics_analysis
  for each row execute function core.touch_updated_at();
select core.attach_audit('exportsathi.logistics_analysis');

create trigger user_metrics_touch_updated_at
  before update on exportsathi.user_metrics
  for each row execute function core.touch_updated_at();
select core.attach_audit('exportsathi.user_metrics');

-- ===== Row-level security =====
-- Owner rows: a user's own profile, reports, chats and metrics, and the rows of their live
-- reports. Admins read all. A soft-deleted report's rows are visible to nobody: the children's
-- policies ask for a live report. The report itself stays visible to its owner (restore must
-- see it); every report query but restore reads deleted_at is null.
alter table exportsathi.business_profiles enable row level security;
alter table exportsathi.business_profiles force row level security;

create policy "Users see their own business profile; admins see all"
  on exportsathi.business_profiles for select to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Users create only their own business profile"
  on exportsathi.business_profiles for insert to app_request
  with check (user_id = (select core.current_user_id()));
create policy "Users update only their own business profile"
  on exportsathi.business_profiles for update to app_request
  using (user_id = (select core.current_user_id()))
  with check (user_id = (select core.current_user_id()));

alter table exportsathi.reports enable row level security;
alter table exportsathi.reports force row level security;

create policy "Users see their own reports; admins see all"
  on exportsathi.reports for select to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));
create policy "Users create reports only as themselves"
  on exportsathi.reports for insert to app_request
  with check (user_id = (select core.current_user_id()));
create policy "Users update their own reports"
  on exportsathi.reports for update to app_request
  using (user_id = (select core.current_user_id()))
  with check (user_id = (select core.current_user_id()));
-- The purge (exportsathi.purge_deleted_reports, owned by app_auth) removes soft-deleted ones only.
create policy "The purge sees soft-deleted reports"
  on exportsathi.reports for select to app_auth
  using (deleted_at is not null);
create policy "The purge deletes soft-deleted reports"
  on exportsathi.reports for delete to app_auth
  using (deleted_at is not null);

alter table exportsathi.certification_progress enable row level security;
alter table exportsathi.certification_progress force row level security;

create policy "Owners and admins see live reports' certifications"
  on exportsathi.certification_progress for select to app_request
  using (exists (select from exportsathi.reports r
                  where r.id = report_id and r.deleted_at is null
                    and (r.user_id = (select core.current_user_id()) or (select core.is_admin()))));
create policy "Certifications are added to the caller's live reports"
  on exportsathi.certification_progress for insert to app_request
  with check (exists (select from exportsathi.reports r
                       where r.id = report_id and r.deleted_at is null and r.user_id = (select core.current_user_id())));
create policy "Certifications are updated by their report's owner"
  on exportsathi.certification_progress for update to app_request
  using (exists (select from exportsathi.reports r
                  where r.id = report_id and r.deleted_at is null and r.user_id = (select core.current_user_id())))
  with check (exists (select from exportsathi.reports r
                       where r.id = report_id and r.deleted_at is null and r.user_id = (select core.current_user_id())));

alter table exportsathi.generated_documents enable row level security;
alter table exportsathi.generated_documents force row level security;

create policy "Owners and admins see live reports' documents"
  on exportsathi.generated_documents for select to app_request
  using (exists (select from exportsathi.reports r
                  where r.id = report_id and r.deleted_at is null
                    and (r.user_id = (select core.current_user_id()) or (select core.is_admin()))));
create policy "Documents are generated for the caller's live reports"
  on exportsathi.generated_documents for insert to app_request
  with check (exists (select from exportsathi.reports r
                       where r.id = report_id and r.deleted_at is null and r.user_id = (select core.current_user_id())));
create policy "Documents are updated by their report's owner"
  on exportsathi.generated_documents for update to app_request
  using (exists (select from exportsathi.reports r
                  where r.id = report_id and r.deleted_at is null and r.user_id = (select core.current_user_id())))
  with check (exists (select from exportsathi.reports r
                       where r.id = report_id and r.deleted_at is null and r.user_id = (select core.current_user_id())));

alter table exportsathi.action_plan_progress enable row level security;
alter table exportsathi.action_plan_progress force row level security;

create policy "Owners and admins see live reports' plan tasks"
  on exportsathi.action_plan_progress for select to app_request
  using (exists (select from exportsathi.reports r
                  where r.id = report_id and r.deleted_at is null
                    and (r.user_id = (select core.current_user_id()) or (select core.is_admin()))));
create policy "Plan tasks are added to the caller's live reports"
  on exportsathi.action_plan_progress for insert to app_request
  with check (exists (select from exportsathi.reports r
                       where r.id = report_id and r.deleted_at is null and r.user_id = (select core.current_user_id())));
create policy "Plan tasks are checked off by their report's owner"
  on exportsathi.action_plan_progress for update to app_request
  using (exists (select from exportsathi.reports r
                  where r.id = report_id and r.deleted_at is null and r.user_id = (select core.current_user_id())))
  with check (exists (select from exportsathi.reports r
                       where r.id = report_id and r.deleted_at is null and r.user_id = (select core.current_user_id())));

alter table exportsathi.chat_sessions enable row level security;
alter table exportsathi.chat_sessions force row level security;

create policy "Users see their own chats about live reports; admins all"
  on exportsathi.chat_sessions for select to app_request
  using ((user_id = (select core.current_user_id()) or (select core.is_admin()))
         and (report_id is null or exists (select from exportsathi.reports r where r.id = report_id and r.deleted_at is null)));
create policy "Users start chats only as themselves, about live reports"
  on exportsathi.chat_sessions for insert to app_request
  with check (user_id = (select core.current_user_id())
              and (report_id is null or exists (select from exportsathi.reports r where r.id = report_id and r.deleted_at is null)));
create policy "Users update their own chats"
  on exportsathi.chat_sessions for update to app_request
  using (user_id = (select core.current_user_id()))
  with check (user_id = (select core.current_user_id()));

alter table exportsathi.chat_messages enable row level security;
alter table exportsathi.chat_messages force row level security;

-- The session's own policy applies inside the subquery: what its session shows, a message shows.
create policy "Messages are visible with their chat"
  on exportsathi.chat_messages for select to app_request
  using (exists (select from exportsathi.chat_sessions s where s.id = session_id));
create policy "Messages are added to the caller's own chats"
  on exportsathi.chat_messages for insert to app_request
  with check (exists (select from exportsathi.chat_sessions s where s.id = session_id and s.user_id = (select core.current_user_id())));

alter table exportsathi.finance_analysis enable row level security;
alter table exportsathi.finance_analysis force row level security;

create policy "Owners and admins see live reports' finance analyses"
  on exportsathi.finance_analysis for select to app_request
  using (exists (select from exportsathi.reports r
                  where r.id = report_id and r.deleted_at is null
                    and (r.user_id = (select core.current_user_id()) or (select core.is_admin()))));
create policy "Finance analyses are added to the caller's live reports"
  on exportsathi.finance_analysis for insert to app_request
  with check (exists (select from exportsathi.reports r
                       where r.id = report_id and r.deleted_at is null and r.user_id = (select core.current_user_id())));
create policy "Finance analyses are updated by their report's owner"
  on exportsathi.finance_analysis for update to app_request
  using (exists (select from exportsathi.reports r
                  where r.id = report_id and r.deleted_at is null and r.user_id = (select core.current_user_id())))
  with check (exists (select from exportsathi.reports r
                       where r.id = report_id and r.deleted_at is null and r.user_id = (select core.current_user_id())));

alter table exportsathi.logistics_analysis enable row level security;
alter table exportsathi.logistics_analysis force row level security;

create policy "Owners and admins see live reports' logistics analyses"
  on exportsathi.logistics_analysis for select to app_request
  using (exists (select from exportsathi.reports r
                  where r.id = report_id and r.deleted_at is null
                    and (r.user_id = (select core.current_user_id()) or (select core.is_admin()))));
create policy "Logistics analyses are added to the caller's live reports"
  on exportsathi.logistics_analysis for insert to app_request
  with check (exists (select from exportsathi.reports r
                       where r.id = report_id and r.deleted_at is null and r.user_id = (select core.current_user_id())));
create policy "Logistics analyses are updated by their report's owner"
  on exportsathi.logistics_analysis for update to app_request
  using (exists (select from exportsathi.reports r
                  where r.id = report_id and r.deleted_at is null and r.user_id = (select core.current_user_id())))
  with check (exists (select from exportsathi.reports r
                       where r.id = report_id and r.deleted_at is null and r.user_id = (select core.current_user_id())));

alter table exportsathi.user_metrics enable row level security;
alter table exportsathi.user_metrics force row level security;

create policy "Users see their own metrics; admins see all"
  on exportsathi.user_metrics for select to app_request
  using (user_id = (select core.current_user_id()) or (select core.is_admin()));
-- Written only by the counting triggers (guard_metrics), which run as the writer of the
-- counted rows: their owner.
create policy "Metrics are counted for the acting user"
  on exportsathi.user_metrics for insert to app_request
  with check (user_id = (select core.current_user_id()));
create policy "Metrics are counted on the acting user's row"
  on exportsathi.user_metrics for update to app_request
  using (user_id = (select core.current_user_id()))
  with check (user_id = (select core.current_user_id()));

-- ===== Key rotation (`npm run keys:rotate`) =====
-- The rotation re-encrypts the business identifiers and finance payloads of every user, those
-- of soft-deleted reports included, which no request role may see. Two functions owned by
-- app_auth (whose only rights here are these policies and column grants) hand the rotation the
-- values not yet under the current key and take back re-encrypted ones. A replacement is a
-- compare-and-swap: it applies only while the row still holds the values read, so a request
-- that rewrote them meanwhile (under the current key) wins and nothing is lost.
create policy "Key rotation reads encrypted profiles"
  on exportsathi.business_profiles for select to app_auth using (true);
create policy "Key rotation rewrites encrypted profiles"
  on exportsathi.business_profiles for update to app_auth using (true) with check (true);
create policy "Key rotation reads encrypted finance analyses"
  on exportsathi.finance_analysis for select to app_auth using (true);
create policy "Key rotation rewrites encrypted finance analyses"
  on exportsathi.finance_analysis for update to app_auth using (true) with check (true);

-- Up to p_limit rows per table holding a value not under key p_key_id, skipping p_skip (rows
-- the rotation could not decrypt). stored is the row's encrypted columns in table order.
create function exportsathi.encrypted_pending(p_key_id text, p_limit int, p_skip uuid[])
returns table (table_name text, row_id uuid, owner_id uuid, stored text[])
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  (select 'business_profiles', p.user_id, p.user_id, array[p.iec, p.gstin]
     from exportsathi.business_profiles p
    where (coalesce(p.iec not like 'enc:v2:' || p_key_id || ':%', false)
           or coalesce(p.gstin not like 'enc:v2:' || p_key_id || ':%', false))
      and p.user_id <> all (p_skip)
    limit p_limit)
  union all
  (select 'finance_analysis', f.id, f.report_id, array[f.working_capital_data, f.rodtep_benefit_data, f.gst_refund_data]
     from exportsathi.finance_analysis f
    where (f.working_capital_data not like 'enc:v2:' || p_key_id || ':%'
           or f.rodtep_benefit_data not like 'enc:v2:' || p_key_id || ':%'
           or f.gst_refund_data not like 'enc:v2:' || p_key_id || ':%')
      and f.id <> all (p_skip)
    limit p_limit)
$$;
comment on function exportsathi.encrypted_pending(text, int, uuid[]) is 'Key rotation: rows holding encrypted values not under the given key id';

-- Replaces one row's encrypted values if they are still p_old; true when it did.
create function exportsathi.encrypted_replace(p_table text, p_id uuid, p_old text[], p_new text[]) returns boolean
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if p_table = 'business_profiles' then
    update exportsathi.business_profiles set iec = p_new[1], gstin = p_new[2]
     where user_id = p_id and iec is not distinct from p_old[1] and gstin is not distinct from p_old[2];
  elsif p_table = 'finance_analysis' then
    update exportsathi.finance_analysis
       set working_capital_data = p_new[1], rodtep_benefit_data = p_new[2], gst_refund_data = p_new[3]
     where id = p_id and working_capital_data = p_old[1] and rodtep_benefit_data = p_old[2] and gst_refund_data = p_old[3];
  else
    raise exception 'no encrypted values in %', p_table using errcode = 'invalid_parameter_value';
  end if;
  return found;
end
$$;
comment on function exportsathi.encrypted_replace(text, uuid, text[], text[]) is 'Key rotation: swap one row''s encrypted values for re-encrypted ones, if unchanged meanwhile';

revoke all on function exportsathi.encrypted_pending(text, int, uuid[]) from public;
revoke all on function exportsathi.encrypted_replace(text, uuid, text[], text[]) from public;
grant select (user_id, iec, gstin), update (iec, gstin) on exportsathi.business_profiles to app_auth;
grant select (id, report_id, working_capital_data, rodtep_benefit_data, gst_refund_data),
      update (working_capital_data, rodtep_benefit_data, gst_refund_data) on exportsathi.finance_analysis to app_auth;

-- ===== The purge of soft-deleted reports =====
-- Run by db:maintain as the owner, outside any request; owned by app_auth like the other
-- maintenance purge (core.rate_limit_purge), whose only rights here are the two policies above.
-- The reports' rows go with them (cascades).
create function exportsathi.purge_deleted_reports(p_before timestamptz) returns bigint
language sql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
  with purged as (delete from exportsathi.reports where deleted_at < p_before returning 1)
  select count(*) from purged
$$;
comment on function exportsathi.purge_deleted_reports(timestamptz) is 'Maintenance: delete reports soft-deleted before the given time, with their rows';

revoke all on function exportsathi.purge_deleted_reports(timestamptz) from public;
grant usage on schema exportsathi to app_auth;
grant select (id, deleted_at), delete on exportsathi.reports to app_auth;
grant create on schema exportsathi to app_auth;
alter function exportsathi.purge_deleted_reports(timestamptz) owner to app_auth;
alter function exportsathi.encrypted_pending(text, int, uuid[]) owner to app_auth;
alter function exportsathi.encrypted_replace(text, uuid, text[], text[]) owner to app_auth;
revoke create on schema exportsathi from app_auth;
-- Called by the owner's connection outside any request (db:maintain, keys:rotate).
set local role app_auth;
grant execute on function exportsathi.purge_deleted_reports(timestamptz) to session_user;
grant execute on function exportsathi.encrypted_pending(text, int, uuid[]) to session_user;
grant execute on function exportsathi.encrypted_replace(text, uuid, text[], text[]) to session_user;
reset role;

-- ===== Grants =====
-- The API writes no exporter identifier in clear (the CHECKs) and never deletes a profile:
-- it goes with its user.
grant select, insert, update (company_name, business_type, company_size, iec, gstin) on exportsathi.business_profiles to app_request;
-- Reports are soft-deleted (an update); hard deletes are the purge's and the user's cascade.
grant select, insert on exportsathi.reports to app_request;
grant update (product_name, product_description, product_image_url, ingredients, hs_code, hs_code_confidence,
              destination_country, status, risk_score, estimated_cost, timeline_days, report_data,
              completed_at, deleted_at) on exportsathi.reports to app_request;
grant select, insert on exportsathi.certification_progress to app_request;
grant update (certification_name, status, documents_completed, started_at, completed_at, estimated_cost, actual_cost)
  on exportsathi.certification_progress to app_request;
grant select, insert on exportsathi.generated_documents to app_request;
grant update (title, content, validation_results, status, validated_at) on exportsathi.generated_documents to app_request;
grant select, insert on exportsathi.action_plan_progress to app_request;
grant update (task_title, task_description, category, is_completed, completed_at) on exportsathi.action_plan_progress to app_request;
grant select, insert on exportsathi.chat_sessions to app_request;
grant update (context_data) on exportsathi.chat_sessions to app_request;
-- Messages are written once.
grant select, insert on exportsathi.chat_messages to app_request;
grant select, insert on exportsathi.finance_analysis to app_request;
grant update (working_capital_data, rodtep_benefit_data, gst_refund_data, currency, analysis_note)
  on exportsathi.finance_analysis to app_request;
grant select, insert on exportsathi.logistics_analysis to app_request;
grant update (shipping_mode, cargo_volume_cbm, rms_probability, freight_estimate) on exportsathi.logistics_analysis to app_request;
-- For the counting triggers, which run as the writer; guard_metrics refuses any other write.
grant select, insert, update on exportsathi.user_metrics to app_request;

-- Down Migration

set local role app_auth;
drop function exportsathi.encrypted_replace(text, uuid, text[], text[]);
drop function exportsathi.encrypted_pending(text, int, uuid[]);
drop function exportsathi.purge_deleted_reports(timestamptz);
reset role;
revoke all on exportsathi.finance_analysis from app_auth;
revoke all on exportsathi.business_profiles from app_auth;
revoke all on exportsathi.reports from app_auth;
revoke usage on schema exportsathi from app_auth;

drop table exportsathi.user_metrics;
drop table exportsathi.logistics_analysis;
drop table exportsathi.finance_analysis;
drop table exportsathi.chat_messages;
drop table exportsathi.chat_sessions;
drop table exportsathi.action_plan_progress;
drop table exportsathi.generated_documents;
drop table exportsathi.certification_progress;
drop table exportsathi.reports;
drop table exportsathi.business_profiles;
drop function exportsathi.guard_metrics();
drop function exportsathi.count_metrics();
drop function exportsathi.certification_saving(text, numeric, numeric);
drop function exportsathi.citations_valid(jsonb);
drop function exportsathi.jsonb_all_strings(jsonb);
