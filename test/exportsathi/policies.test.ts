/**
 * ExportSathi's row-level security, straight SQL through the request wrapper (probe): what the
 * owner, a stranger and an admin see and may write in every table, whatever the routers ask.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { rowsAs } from '../support/probe.js';
import { useTestApp } from '../support/app.js';
import { GSTIN, IEC, planTasks, userWithReport } from './helpers.js';

const app = useTestApp();
let owner: { id: string; token: string };
let stranger: { id: string; token: string };
let admin: { id: string; token: string };
let reportId = '';
let chatId = '';

const TABLES: Array<[string, string]> = [
  ['business_profiles', 'user_id = $1'],
  ['reports', 'user_id = $1'],
  ['certification_progress', 'report_id = $2'],
  ['generated_documents', 'report_id = $2'],
  ['action_plan_progress', 'report_id = $2'],
  ['chat_sessions', 'user_id = $1'],
  ['chat_messages', 'session_id = $3'],
  ['finance_analysis', 'report_id = $2'],
  ['logistics_analysis', 'report_id = $2'],
  ['user_metrics', 'user_id = $1'],
];

async function visible(token: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [table, where] of TABLES) {
    const rows = await rowsAs<{ n: number }>(app.probe({ token }), `select count(*)::int as n from exportsathi.${table} where ${where} and $1::uuid is not null and $2::uuid is not null and $3::uuid is not null`, [owner.id, reportId, chatId]);
    counts[table] = rows[0]!.n;
  }
  return counts;
}

beforeAll(async () => {
  const seeded = await userWithReport(app);
  owner = seeded.user;
  reportId = seeded.report.id;
  const api = seeded.api;
  await api.profile.upsert({ businessType: 'Manufacturing', companySize: 'Small', iec: IEC, gstin: GSTIN });
  await api.certifications.create({ reportId, certificationCode: 'FDA', certificationName: 'FDA' });
  await api.documents.create({ reportId, documentType: 'packing_list', title: 'PL', content: 'x' });
  await api.plan.create({ reportId, tasks: planTasks(1).slice(0, 1) });
  chatId = (await api.chats.create({ reportId })).id;
  await api.chats.addMessage({ sessionId: chatId, role: 'user', content: 'q' });
  await api.finance.create({ reportId, workingCapitalData: {}, rodtepBenefitData: {}, gstRefundData: {} });
  await api.logistics.create({ reportId, shippingMode: 'LCL', cargoVolumeCbm: '1', rmsProbability: '0.1', freightEstimate: '100' });
  stranger = await app.newUser();
  admin = await app.newAdmin();
});

const all = (n: number) => Object.fromEntries(TABLES.map(([t]) => [t, n]));

describe('exportsathi row-level security', () => {
  it('the owner and admins see every table\'s rows; a stranger none', async () => {
    expect(await visible(owner.token)).toEqual(all(1));
    expect(await visible(admin.token)).toEqual(all(1));
    expect(await visible(stranger.token)).toEqual(all(0));
  });

  it('a stranger can neither change the owner\'s rows nor write rows in their name', async () => {
    const probe = app.probe({ token: stranger.token });
    const updates = [
      `update exportsathi.reports set product_name = 'x' where user_id = $1`,
      `update exportsathi.business_profiles set company_name = 'x' where user_id = $1`,
      `update exportsathi.chat_sessions set context_data = '{}' where user_id = $1`,
    ];
    for (const text of updates) expect(await rowsAs(probe, `with u as (${text} returning 1) select count(*)::int as n from u`, [owner.id]), text).toEqual([{ n: 0 }]);
    const inserts = [
      `insert into exportsathi.reports (user_id, product_name, hs_code, destination_country) values ($1, 'x', '09', 'US')`,
      `insert into exportsathi.business_profiles (user_id, business_type, company_size) values ($1, 'Trading', 'Micro')`,
      `insert into exportsathi.chat_sessions (user_id) values ($1)`,
      `insert into exportsathi.certification_progress (report_id, certification_code, certification_name) values ('${reportId}', 'CE', 'CE') returning $1::uuid`,
      `insert into exportsathi.chat_messages (session_id, role, content) values ('${chatId}', 'user', 'q') returning $1::uuid`,
    ];
    for (const text of inserts) {
      const err = (await probe.sql([{ text, values: [owner.id] }]).catch((e: unknown) => e)) as { code?: string };
      expect(err.code, text).toBe('FORBIDDEN');
    }
  });

  it('admins read but do not write other users\' rows', async () => {
    const probe = app.probe({ token: admin.token });
    expect(await rowsAs(probe, `with u as (update exportsathi.reports set product_name = 'x' where id = $1 returning 1) select count(*)::int as n from u`, [reportId])).toEqual([{ n: 0 }]);
    expect(await rowsAs(probe, `with u as (update exportsathi.logistics_analysis set freight_estimate = 1 where report_id = $1 returning 1) select count(*)::int as n from u`, [reportId])).toEqual([{ n: 0 }]);
  });

  it('a soft-deleted report\'s rows are visible to nobody, the report itself only to its owner (to restore it)', async () => {
    await app.caller({ token: owner.token }).exportsathi.reports.delete({ id: reportId });
    try {
      const hidden = { ...all(0), business_profiles: 1, reports: 1, user_metrics: 1 };
      expect(await visible(owner.token)).toEqual(hidden);
      expect(await visible(admin.token)).toEqual(hidden);
    } finally {
      await app.caller({ token: owner.token }).exportsathi.reports.restore({ id: reportId });
    }
    expect(await visible(owner.token)).toEqual(all(1));
  });

  it('the request role cannot hard-delete a report, nor touch the key rotation and purge functions', async () => {
    const probe = app.probe({ token: owner.token });
    for (const text of [
      `delete from exportsathi.reports where id = $1`,
      `select exportsathi.purge_deleted_reports(now()) where $1::uuid is not null`,
      `select * from exportsathi.encrypted_pending('0000000000000000', 10, array[$1::uuid])`,
    ]) {
      const err = (await probe.sql([{ text, values: [reportId] }]).catch((e: unknown) => e)) as { code?: string };
      expect(err.code, text).toBe('FORBIDDEN');
    }
  });
});
