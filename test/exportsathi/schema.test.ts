/**
 * ExportSathi's database rules, each against the statement that breaks it alone: run as the
 * superuser (no RLS, no API validation) so that the constraint itself answers. Every case
 * fails if its rule is removed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../support/app.js';

const app = useTestApp();
const ENC = 'enc:v2:0123456789abcdef:aXY:dGFn:ZGF0YQ';
let user = '';
let report = '';
let cert = '';
let doc = '';
let task = '';
let chat = '';

beforeAll(async () => {
  user = (await app.sql<{ id: string }>(`insert into core.users (email, password_hash) values ('schema-es@example.com', '$argon2id$x') returning id`)).rows[0]!.id;
  report = (await app.sql<{ id: string }>(`insert into exportsathi.reports (user_id, product_name, hs_code, destination_country) values ($1, 'Tea', '0902', 'GB') returning id`, [user])).rows[0]!.id;
  cert = (await app.sql<{ id: string }>(`insert into exportsathi.certification_progress (report_id, certification_code, certification_name) values ($1, 'FSSAI', 'FSSAI licence') returning id`, [report])).rows[0]!.id;
  doc = (await app.sql<{ id: string }>(`insert into exportsathi.generated_documents (report_id, document_type, title, content) values ($1, 'packing_list', 'PL', 'x') returning id`, [report])).rows[0]!.id;
  task = (await app.sql<{ id: string }>(`insert into exportsathi.action_plan_progress (report_id, day_number, task_index, task_title) values ($1, 1, 1, 'Get IEC') returning id`, [report])).rows[0]!.id;
  chat = (await app.sql<{ id: string }>(`insert into exportsathi.chat_sessions (user_id, report_id) values ($1, $2) returning id`, [user, report])).rows[0]!.id;
});

// [constraint, statement breaking it alone (params: $1 user, $2 report, $3 certification, $4 document, $5 task, $6 chat)]
const checks: Array<[string, string]> = [
  ['business_profiles_company_name_length', `insert into exportsathi.business_profiles (user_id, company_name, business_type, company_size) values ($1, '', 'Manufacturing', 'Small')`],
  ['business_profiles_business_type_check', `insert into exportsathi.business_profiles (user_id, business_type, company_size) values ($1, 'Mining', 'Small')`],
  ['business_profiles_company_size_check', `insert into exportsathi.business_profiles (user_id, business_type, company_size) values ($1, 'Manufacturing', 'Tiny')`],
  ['business_profiles_iec_encrypted', `insert into exportsathi.business_profiles (user_id, business_type, company_size, iec) values ($1, 'Manufacturing', 'Small', 'AAPFU0939F')`],
  ['business_profiles_gstin_encrypted', `insert into exportsathi.business_profiles (user_id, business_type, company_size, gstin) values ($1, 'Manufacturing', 'Small', '27AAPFU0939F1ZV')`],
  ['reports_product_name_length', `update exportsathi.reports set product_name = '' where id = $2`],
  ['reports_product_description_length', `update exportsathi.reports set product_description = repeat('x', 10001) where id = $2`],
  ['reports_product_image_url_format', `update exportsathi.reports set product_image_url = 'javascript:alert(1)' where id = $2`],
  ['reports_ingredients_length', `update exportsathi.reports set ingredients = repeat('x', 10001) where id = $2`],
  ['reports_hs_code_format', `update exportsathi.reports set hs_code = '091030301' where id = $2`],
  ['reports_hs_code_format', `update exportsathi.reports set hs_code = '9' where id = $2`],
  ['reports_hs_code_confidence_range', `update exportsathi.reports set hs_code_confidence = 1.5 where id = $2`],
  ['reports_destination_country_format', `update exportsathi.reports set destination_country = 'usa' where id = $2`],
  ['reports_status_check', `update exportsathi.reports set status = 'shipped' where id = $2`],
  ['reports_risk_score_range', `update exportsathi.reports set risk_score = 101 where id = $2`],
  ['reports_risk_score_range', `update exportsathi.reports set risk_score = -1 where id = $2`],
  ['reports_estimated_cost_nonnegative', `update exportsathi.reports set estimated_cost = -1 where id = $2`],
  ['reports_timeline_days_range', `update exportsathi.reports set timeline_days = 0 where id = $2`],
  ['reports_report_data_shape', `update exportsathi.reports set report_data = '[]' where id = $2`],
  ['reports_report_data_shape', `update exportsathi.reports set report_data = '{"risks": "none"}' where id = $2`],
  ['reports_report_data_shape', `update exportsathi.reports set report_data = '{"summary": 1}' where id = $2`],
  ['reports_report_data_shape', `update exportsathi.reports set report_data = '{"costBreakdown": []}' where id = $2`],
  ['reports_report_data_size', `update exportsathi.reports set report_data = jsonb_build_object('summary', repeat('x', 262144)) where id = $2`],
  ['reports_completed_at_when_completed', `update exportsathi.reports set completed_at = now() where id = $2`],
  ['certification_progress_report_code_key', `insert into exportsathi.certification_progress (report_id, certification_code, certification_name) values ($2, 'FSSAI', 'again')`],
  ['certification_progress_code_format', `update exportsathi.certification_progress set certification_code = 'has space' where id = $3`],
  ['certification_progress_name_length', `update exportsathi.certification_progress set certification_name = '' where id = $3`],
  ['certification_progress_status_check', `update exportsathi.certification_progress set status = 'done', started_at = now() where id = $3`],
  ['certification_progress_documents_array', `update exportsathi.certification_progress set documents_completed = '{}' where id = $3`],
  ['certification_progress_documents_array', `update exportsathi.certification_progress set documents_completed = '["ok", 1]' where id = $3`],
  ['certification_progress_documents_size', `update exportsathi.certification_progress set documents_completed = jsonb_build_array(repeat('x', 65536)) where id = $3`],
  ['certification_progress_started_when_begun', `update exportsathi.certification_progress set started_at = now() where id = $3`],
  ['certification_progress_completed_at_when_completed', `update exportsathi.certification_progress set completed_at = now() where id = $3`],
  ['certification_progress_estimated_cost_nonnegative', `update exportsathi.certification_progress set estimated_cost = -0.01 where id = $3`],
  ['certification_progress_actual_cost_nonnegative', `update exportsathi.certification_progress set actual_cost = -0.01 where id = $3`],
  ['generated_documents_document_type_check', `update exportsathi.generated_documents set document_type = 'memo' where id = $4`],
  ['generated_documents_title_length', `update exportsathi.generated_documents set title = '' where id = $4`],
  ['generated_documents_content_length', `update exportsathi.generated_documents set content = '' where id = $4`],
  ['generated_documents_validation_shape', `update exportsathi.generated_documents set validation_results = '{"isValid": "yes"}' where id = $4`],
  ['generated_documents_validation_shape', `update exportsathi.generated_documents set validation_results = '{"errors": {}}' where id = $4`],
  ['generated_documents_validation_size', `update exportsathi.generated_documents set validation_results = jsonb_build_object('note', repeat('x', 65536)) where id = $4`],
  ['generated_documents_status_check', `update exportsathi.generated_documents set status = 'sent' where id = $4`],
  ['generated_documents_validated_at_when_validated', `update exportsathi.generated_documents set validated_at = now() where id = $4`],
  ['action_plan_progress_task_key', `insert into exportsathi.action_plan_progress (report_id, day_number, task_index, task_title) values ($2, 1, 1, 'again')`],
  ['action_plan_progress_day_number_range', `insert into exportsathi.action_plan_progress (report_id, day_number, task_index, task_title) values ($2, 8, 1, 'Day 8')`],
  ['action_plan_progress_day_number_range', `insert into exportsathi.action_plan_progress (report_id, day_number, task_index, task_title) values ($2, 0, 1, 'Day 0')`],
  ['action_plan_progress_task_index_range', `insert into exportsathi.action_plan_progress (report_id, day_number, task_index, task_title) values ($2, 2, 21, 'x')`],
  ['action_plan_progress_task_title_length', `update exportsathi.action_plan_progress set task_title = '' where id = $5`],
  ['action_plan_progress_task_description_length', `update exportsathi.action_plan_progress set task_description = repeat('x', 5001) where id = $5`],
  ['action_plan_progress_category_check', `update exportsathi.action_plan_progress set category = 'fun' where id = $5`],
  ['action_plan_progress_completed_at_when_done', `update exportsathi.action_plan_progress set is_completed = true where id = $5`],
  ['action_plan_progress_completed_at_when_done', `update exportsathi.action_plan_progress set completed_at = now() where id = $5`],
  ['chat_sessions_context_data_object', `update exportsathi.chat_sessions set context_data = '[]' where id = $6`],
  ['chat_sessions_context_data_size', `update exportsathi.chat_sessions set context_data = jsonb_build_object('k', repeat('x', 65536)) where id = $6`],
  ['chat_messages_role_check', `insert into exportsathi.chat_messages (session_id, role, content) values ($6, 'system', 'hi')`],
  ['chat_messages_content_length', `insert into exportsathi.chat_messages (session_id, role, content) values ($6, 'user', '')`],
  ['chat_messages_citations_shape', `insert into exportsathi.chat_messages (session_id, role, content, citations) values ($6, 'assistant', 'a', '{}')`],
  ['chat_messages_citations_shape', `insert into exportsathi.chat_messages (session_id, role, content, citations) values ($6, 'assistant', 'a', '[{"url": "https://dgft.gov.in"}]')`],
  ['chat_messages_citations_shape', `insert into exportsathi.chat_messages (session_id, role, content, citations) values ($6, 'assistant', 'a', '[{"title": "DGFT", "url": "ftp://x"}]')`],
  ['chat_messages_citations_shape', `insert into exportsathi.chat_messages (session_id, role, content, citations) values ($6, 'assistant', 'a', '[{"title": "DGFT", "excerpt": 3}]')`],
  ['chat_messages_citations_shape', `insert into exportsathi.chat_messages (session_id, role, content, citations) values ($6, 'assistant', 'a', '[{"title": "DGFT", "score": 1}]')`],
  ['chat_messages_citations_shape', `insert into exportsathi.chat_messages (session_id, role, content, citations) values ($6, 'assistant', 'a', '["DGFT"]')`],
  ['chat_messages_citations_size', `insert into exportsathi.chat_messages (session_id, role, content, citations) values ($6, 'assistant', 'a', (select jsonb_agg(jsonb_build_object('title', 't', 'excerpt', repeat('x', 5000))) from generate_series(1, 14)))`],
  ['chat_messages_citations_by_assistant', `insert into exportsathi.chat_messages (session_id, role, content, citations) values ($6, 'user', 'q', '[{"title": "DGFT"}]')`],
  ['finance_analysis_working_capital_encrypted', `insert into exportsathi.finance_analysis (report_id, working_capital_data, rodtep_benefit_data, gst_refund_data) values ($2, '{"days": 90}', '${ENC}', '${ENC}')`],
  ['finance_analysis_rodtep_encrypted', `insert into exportsathi.finance_analysis (report_id, working_capital_data, rodtep_benefit_data, gst_refund_data) values ($2, '${ENC}', 'enc:v1:a:b:c', '${ENC}')`],
  ['finance_analysis_gst_refund_encrypted', `insert into exportsathi.finance_analysis (report_id, working_capital_data, rodtep_benefit_data, gst_refund_data) values ($2, '${ENC}', '${ENC}', '{}')`],
  ['finance_analysis_currency_format', `insert into exportsathi.finance_analysis (report_id, working_capital_data, rodtep_benefit_data, gst_refund_data, currency) values ($2, '${ENC}', '${ENC}', '${ENC}', 'inr')`],
  ['finance_analysis_note_length', `insert into exportsathi.finance_analysis (report_id, working_capital_data, rodtep_benefit_data, gst_refund_data, analysis_note) values ($2, '${ENC}', '${ENC}', '${ENC}', repeat('x', 2001))`],
  ['logistics_analysis_shipping_mode_check', `insert into exportsathi.logistics_analysis (report_id, shipping_mode, cargo_volume_cbm, rms_probability, freight_estimate) values ($2, 'AIR', 1, 0.1, 100)`],
  ['logistics_analysis_cargo_volume_positive', `insert into exportsathi.logistics_analysis (report_id, shipping_mode, cargo_volume_cbm, rms_probability, freight_estimate) values ($2, 'LCL', 0, 0.1, 100)`],
  ['logistics_analysis_rms_probability_range', `insert into exportsathi.logistics_analysis (report_id, shipping_mode, cargo_volume_cbm, rms_probability, freight_estimate) values ($2, 'LCL', 1, 1.001, 100)`],
  ['logistics_analysis_freight_estimate_nonnegative', `insert into exportsathi.logistics_analysis (report_id, shipping_mode, cargo_volume_cbm, rms_probability, freight_estimate) values ($2, 'FCL', 1, 0.1, -1)`],
  ['user_metrics_counters_nonnegative', `insert into exportsathi.user_metrics (user_id, reports_generated) values ($1, -1)`],
  ['user_metrics_counters_nonnegative', `insert into exportsathi.user_metrics (user_id, cost_savings) values ($1, -0.5)`],
];

describe('ExportSathi constraints', () => {
  it.each(checks)('%s refuses: %s', async (constraint, statement) => {
    const ids = [user, report, cert, doc, task, chat];
    const text = statement.replace(/\$(\d)/g, (_, n: string) => `'${ids[Number(n) - 1]}'`);
    // Triggers off: the constraint answers, not a guard in front of it.
    expect(await app.sqlError(text, [], { triggers: false })).toMatchObject({ code: expect.stringMatching(/^23/), constraint });
  });

  it('accepts the seed\'s own values and the edges of every range', async () => {
    const client = await app.superClient();
    try {
      await client.query('begin');
      await client.query(`insert into exportsathi.business_profiles (user_id, business_type, company_size, iec) values ($1, 'Manufacturing', 'Small', $2)`, [user, ENC]);
      await client.query(`update exportsathi.reports set hs_code = '09', risk_score = 0, hs_code_confidence = 1, timeline_days = 365 where id = $1`, [report]);
      await client.query(`update exportsathi.reports set hs_code = '12345678', risk_score = 100 where id = $1`, [report]);
      await client.query(`insert into exportsathi.action_plan_progress (report_id, day_number, task_index, task_title) values ($1, 7, 20, 'Ship')`, [report]);
      await client.query(
        `insert into exportsathi.chat_messages (session_id, role, content, citations) values ($1, 'assistant', 'a', '[{"title": "DGFT", "url": "https://dgft.gov.in", "excerpt": "IEC"}, {"title": "CBIC"}]')`,
        [chat],
      );
      await client.query(`insert into exportsathi.logistics_analysis (report_id, shipping_mode, cargo_volume_cbm, rms_probability, freight_estimate) values ($1, 'FCL', 0.01, 0, 0), ($1, 'LCL', 1, 1, 0)`, [report]);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });

  it('status lifecycles refuse moves they do not list, naming the move', async () => {
    const moves: Array<[string, unknown[]]> = [
      [`update exportsathi.reports set status = 'completed', completed_at = now() where id = $1`, [report]],
      [`update exportsathi.certification_progress set status = 'completed', started_at = now(), completed_at = now() where id = $1`, [cert]],
      [`update exportsathi.generated_documents set status = 'final', validated_at = now() where id = $1`, [doc]],
    ];
    for (const [statement, params] of moves) expect(await app.sqlError(statement, params)).toMatchObject({ code: '23514' });
  });

  it('a chat about a report belongs to that report\'s user (composite foreign key)', async () => {
    const other = (await app.sql<{ id: string }>(`insert into core.users (email, password_hash) values ('schema-es2@example.com', '$argon2id$x') returning id`)).rows[0]!.id;
    expect(await app.sqlError(`insert into exportsathi.chat_sessions (user_id, report_id) values ($1, $2)`, [other, report])).toMatchObject({
      code: '23503',
      constraint: 'chat_sessions_report_fkey',
    });
  });

  it('deleting a report removes its certifications, documents, plan, chats (with messages), finance and logistics; deleting the user removes everything', async () => {
    const u = (await app.sql<{ id: string }>(`insert into core.users (email, password_hash) values ('cascade-es@example.com', '$argon2id$x') returning id`)).rows[0]!.id;
    const r = (await app.sql<{ id: string }>(`insert into exportsathi.reports (user_id, product_name, hs_code, destination_country) values ($1, 'Rice', '1006', 'AE') returning id`, [u])).rows[0]!.id;
    const r2 = (await app.sql<{ id: string }>(`insert into exportsathi.reports (user_id, product_name, hs_code, destination_country) values ($1, 'Tea', '0902', 'AE') returning id`, [u])).rows[0]!.id;
    for (const id of [r, r2]) {
      await app.sql(`insert into exportsathi.certification_progress (report_id, certification_code, certification_name) values ($1, 'APEDA', 'APEDA RCMC')`, [id]);
      await app.sql(`insert into exportsathi.generated_documents (report_id, document_type, title, content) values ($1, 'commercial_invoice', 'CI', 'x')`, [id]);
      await app.sql(`insert into exportsathi.action_plan_progress (report_id, day_number, task_index, task_title) values ($1, 1, 1, 'x')`, [id]);
      const c = (await app.sql<{ id: string }>(`insert into exportsathi.chat_sessions (user_id, report_id) values ($1, $2) returning id`, [u, id])).rows[0]!.id;
      await app.sql(`insert into exportsathi.chat_messages (session_id, role, content) values ($1, 'user', 'q')`, [c]);
      await app.sql(`insert into exportsathi.finance_analysis (report_id, working_capital_data, rodtep_benefit_data, gst_refund_data) values ($1, '${ENC}', '${ENC}', '${ENC}')`, [id]);
      await app.sql(`insert into exportsathi.logistics_analysis (report_id, shipping_mode, cargo_volume_cbm, rms_probability, freight_estimate) values ($1, 'LCL', 2, 0.2, 9000)`, [id]);
    }
    await app.sql(`insert into exportsathi.business_profiles (user_id, business_type, company_size) values ($1, 'Trading', 'Micro')`, [u]);
    const tables = ['certification_progress', 'generated_documents', 'action_plan_progress', 'chat_sessions', 'finance_analysis', 'logistics_analysis'];
    const count = async (table: string, column: string, id: string) =>
      Number((await app.sql<{ n: string }>(`select count(*) as n from exportsathi.${table} where ${column} = $1`, [id])).rows[0]!.n);

    await app.sql(`delete from exportsathi.reports where id = $1`, [r]);
    for (const table of tables) {
      expect(await count(table, 'report_id', r), table).toBe(0);
      expect(await count(table, 'report_id', r2), table).toBe(1);
    }
    expect(Number((await app.sql<{ n: string }>(`select count(*) as n from exportsathi.chat_messages m join exportsathi.chat_sessions s on s.id = m.session_id where s.user_id = $1`, [u])).rows[0]!.n)).toBe(1);

    await app.sql(`delete from core.users where id = $1`, [u]);
    for (const table of ['reports', 'business_profiles', 'chat_sessions', 'user_metrics']) expect(await count(table, 'user_id', u), table).toBe(0);
    for (const table of tables) expect(await count(table, 'report_id', r2), table).toBe(0);
  });
});
