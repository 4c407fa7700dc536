/**
 * ExportSathi's list queries keep their indexes under a GENERIC plan (what a named prepared
 * statement runs after five executions), planned as a request runs them: SET ROLE app_request
 * with the acting user in app.* (RLS applies), `plan_cache_mode = force_generic_plan`, PREPARE
 * and EXPLAIN EXECUTE (EXPLAIN (GENERIC_PLAN) does not exist on PostgreSQL 15). The tables
 * hold enough rows that a sequential scan or a sort would be chosen if the index did not fit.
 */
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { listChats, listReportChats } from '../../sql/exportsathi/chat_sessions.queries.js';
import { listMessages } from '../../sql/exportsathi/chat_messages.queries.js';
import { listFinance } from '../../sql/exportsathi/finance_analysis.queries.js';
import { listDocuments } from '../../sql/exportsathi/generated_documents.queries.js';
import { listLogistics } from '../../sql/exportsathi/logistics_analysis.queries.js';
import { listReports, listReportsByCountry, listReportsByHsCode, listReportsByStatus, reportAnalytics } from '../../sql/exportsathi/reports.queries.js';
import { useTestApp } from '../support/app.js';
import { genericPlan as planAs, indexCondition, type Runnable } from '../support/plans.js';

const app = useTestApp();
const genericPlan = (query: Runnable, params: Record<string, unknown>, actor: { id: string; role: 'user' | 'admin' }) =>
  planAs(app.superUrl, query, params, actor);
const ID = '01900000-0000-7000-8000-000000000001';
const ENC = 'enc:v2:0123456789abcdef:aXY:dGFn:ZGF0YQ';

// Rows written straight in, triggers off (no audit, no metrics): only the statistics matter.
// 300 users with 20 reports each, every report with 2 chats; the first 1000 reports with 60
// documents, finance and logistics analyses each, the first 2000 chats with 60 messages.
const FILL = `
begin;
set local session_replication_role = replica;
insert into core.users (id, email, password_hash, role)
  select core.uuidv7(), 'esplan' || i || '@example.com', '$argon2id$fill', case when i = 1 then 'admin' else 'user' end
    from generate_series(1, 300) i;
insert into exportsathi.reports (user_id, product_name, hs_code, destination_country, status, completed_at, deleted_at)
  select u.id, 'p' || k, (array['0902', '1006', '09103030', '6109'])[1 + k % 4], (array['US', 'AE', 'DE', 'GB', 'JP'])[1 + k % 5],
         (array['draft', 'processing', 'completed', 'failed'])[1 + k % 4], case when k % 4 = 2 then now() end,
         case when k = 20 then now() end
    from core.users u, generate_series(1, 20) k where u.email like 'esplan%';
insert into exportsathi.generated_documents (report_id, document_type, title, content)
  select r.id, 'packing_list', 'd' || k, 'x' from (select id from exportsathi.reports order by id limit 1000) r, generate_series(1, 60) k;
insert into exportsathi.finance_analysis (report_id, working_capital_data, rodtep_benefit_data, gst_refund_data)
  select r.id, '${ENC}', '${ENC}', '${ENC}' from (select id from exportsathi.reports order by id limit 1000) r, generate_series(1, 60) k;
insert into exportsathi.logistics_analysis (report_id, shipping_mode, cargo_volume_cbm, rms_probability, freight_estimate)
  select r.id, 'LCL', 3, 0.1, 1000 from (select id from exportsathi.reports order by id limit 1000) r, generate_series(1, 60) k;
insert into exportsathi.chat_sessions (user_id, report_id)
  select r.user_id, r.id from exportsathi.reports r, generate_series(1, 2) k;
insert into exportsathi.chat_messages (session_id, role, content)
  select s.id, 'user', 'q' || k from (select id from exportsathi.chat_sessions order by id limit 2000) s, generate_series(1, 60) k;
commit;
analyze core.users, exportsathi.reports, exportsathi.generated_documents, exportsathi.finance_analysis,
        exportsathi.logistics_analysis, exportsathi.chat_sessions, exportsathi.chat_messages;
`;

let user = '';
let admin = '';
let report = '';
let chat = '';

beforeAll(async () => {
  await app.sql(FILL);
  admin = (await app.sql<{ id: string }>(`select id from core.users where email = 'esplan1@example.com'`)).rows[0]!.id;
  // A user's live report among those with analyses.
  const picked = await app.sql<{ id: string; user_id: string }>(
    `select r.id, r.user_id from exportsathi.reports r join core.users u on u.id = r.user_id
      where u.role = 'user' and r.deleted_at is null and exists (select from exportsathi.logistics_analysis l where l.report_id = r.id)
      limit 1`,
  );
  report = picked.rows[0]!.id;
  user = picked.rows[0]!.user_id;
  chat = (await app.sql<{ id: string }>(`select s.id from exportsathi.chat_sessions s where s.report_id = $1 and exists (select from exportsathi.chat_messages m where m.session_id = s.id) limit 1`, [report])).rows[0]!.id;
});

const asUser = () => ({ id: user, role: 'user' as const });
const asAdmin = () => ({ id: admin, role: 'admin' as const });
const BEFORE_ID = /\bid < CASE WHEN/;
const AFTER_ID = /\bid > CASE WHEN/;
const REPORT = 'report_id = $1';

// [name, query, params, actor, index, what its Index Cond must hold]
const cases: Array<[string, Runnable, () => Record<string, unknown>, () => { id: string; role: 'user' | 'admin' }, string, Array<string | RegExp>]> = [
  ['reports.list', listReports, () => ({ userId: user, before: null, limit: 50 }), asUser, 'reports_user_list_idx', ['user_id = $1', BEFORE_ID]],
  ['reports.list by status', listReportsByStatus, () => ({ userId: user, status: 'completed', before: ID, limit: 50 }), asUser, 'reports_user_status_list_idx', ['user_id = $1', 'status = $2', BEFORE_ID]],
  ['reports.list by HS code', listReportsByHsCode, () => ({ userId: user, hsCode: '0902', before: null, limit: 50 }), asUser, 'reports_user_hs_list_idx', ['user_id = $1', 'hs_code = $2', BEFORE_ID]],
  ['reports.list by destination', listReportsByCountry, () => ({ userId: user, destinationCountry: 'AE', before: null, limit: 50 }), asUser, 'reports_user_country_list_idx', ['user_id = $1', 'destination_country = $2', BEFORE_ID]],
  ['reports.list (admin, of a user)', listReportsByStatus, () => ({ userId: user, status: 'draft', before: null, limit: 50 }), asAdmin, 'reports_user_status_list_idx', ['user_id = $1', 'status = $2', BEFORE_ID]],
  ['documents.list', listDocuments, () => ({ reportId: report, before: null, limit: 50 }), asUser, 'generated_documents_report_list_idx', [REPORT, BEFORE_ID]],
  ['finance.list', listFinance, () => ({ reportId: report, before: null, limit: 50 }), asUser, 'finance_analysis_report_list_idx', [REPORT, BEFORE_ID]],
  ['logistics.list', listLogistics, () => ({ reportId: report, before: null, limit: 50 }), asUser, 'logistics_analysis_report_list_idx', [REPORT, BEFORE_ID]],
  ['chats.list', listChats, () => ({ userId: user, before: null, limit: 50 }), asUser, 'chat_sessions_user_list_idx', ['user_id = $1', BEFORE_ID]],
  ['chats.list of a report', listReportChats, () => ({ reportId: report, userId: user, before: null, limit: 50 }), asUser, 'chat_sessions_report_list_idx', ['report_id = $1', 'user_id = $2', BEFORE_ID]],
  ['chats.messages', listMessages, () => ({ sessionId: chat, after: null, limit: 50 }), asUser, 'chat_messages_session_list_idx', ['session_id = $1', AFTER_ID]],
];

describe('ExportSathi queries under generic plans, as the request role under RLS', () => {
  it.each(cases)('%s: its index, with the filters and the cursor as index conditions, and no sort', async (_name, query, params, actor, index, conditions) => {
    const plan = await genericPlan(query, params(), actor());
    const cond = indexCondition(plan, index);
    expect(cond, plan).not.toBe('');
    for (const condition of conditions) {
      if (typeof condition === 'string') expect(cond, plan).toContain(condition);
      else expect(cond, plan).toMatch(condition);
    }
    expect(plan).not.toMatch(/\bSort\b|Seq Scan|Bitmap/);
  });

  it('analytics reads the live reports of the date range from the created_at index', async () => {
    const plan = await genericPlan(reportAnalytics, { from: new Date(Date.now() - 86_400_000), to: new Date() }, asAdmin());
    expect(indexCondition(plan, 'reports_created_idx'), plan).toMatch(/created_at >= \$1.*created_at < \$2/);
    expect(plan).not.toMatch(/Seq Scan on reports/);
  });

  it('every foreign key has an index that serves its lookups (the cascades)', async () => {
    const { rows: keys } = await app.sql<{ table: string; name: string; columns: string[] }>(
      `select c.conrelid::regclass::text as table, c.conname as name,
              array(select a.attname::text from unnest(c.conkey) k(n) join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n) as columns
         from pg_constraint c
        where c.contype = 'f' and c.connamespace = 'exportsathi'::regnamespace
        order by 1, 2`,
    );
    expect(keys.length).toBe(11);
    const client = new pg.Client({ connectionString: app.superUrl });
    await client.connect();
    try {
      await client.query('begin');
      await client.query('set local enable_seqscan = off');
      await client.query('set local plan_cache_mode = force_generic_plan');
      for (const [i, key] of keys.entries()) {
        const where = key.columns.map((column, n) => `${pg.escapeIdentifier(column)} = $${n + 1}`).join(' and ');
        await client.query(`prepare fk_${i} as select 1 from ${key.table} where ${where}`);
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain (costs off) execute fk_${i}(${key.columns.map(() => 'null').join(', ')})`);
        expect(rows.map((r) => r['QUERY PLAN']).join('\n'), `${key.table} ${key.name}`).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
      }
    } finally {
      await client.query('rollback');
      await client.end();
    }
  });
});
