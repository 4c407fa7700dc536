/**
 * ExportSathi reports through the API: creation and validation, keyset lists per filter,
 * the status lifecycle, owners and admins, the dashboard in a fixed number of queries, the
 * soft delete (hidden from every procedure at once, restorable for 30 days, then purged by
 * maintenance) and the admin analytics.
 */
import type { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { runMaintenance } from '../../src/db/maintenance.js';
import { useTestApp } from '../support/app.js';
import { badFields, countQueries, MISSING_ID, planTasks, reportInput, userWithReport } from './helpers.js';

const app = useTestApp();

async function failure(promise: Promise<unknown>): Promise<TRPCError> {
  try {
    await promise;
  } catch (err) {
    return err as TRPCError;
  }
  throw new Error('expected the call to fail');
}

describe('exportsathi.reports', () => {
  it('creates a draft report and reads it back with its types', async () => {
    const { api, report, user } = await userWithReport(app);
    expect(report).toMatchObject({ userId: user.id, status: 'draft', hsCode: '09103030', destinationCountry: 'US', riskScore: 35, estimatedCost: '125000.00', completedAt: null });
    expect(report.createdAt).toBeInstanceOf(Date);
    expect(await api.reports.get({ id: report.id })).toEqual(report);
  });

  it('refuses bad input with field errors and stores nothing', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).exportsathi;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ hsCode: '0910303012' }, 'hsCode'],
      [{ hsCode: '9' }, 'hsCode'],
      [{ destinationCountry: 'USA' }, 'destinationCountry'],
      [{ riskScore: 101 }, 'riskScore'],
      [{ estimatedCost: '-5' }, 'estimatedCost'],
      [{ timelineDays: 0 }, 'timelineDays'],
      [{ productName: '' }, 'productName'],
      [{ productImageUrl: 'javascript:alert(1)' }, 'productImageUrl'],
      [{ reportData: { risks: 'none' } }, 'reportData.risks'],
      [{ reportData: { summary: 'x'.repeat(300_000) } }, 'reportData'],
    ];
    for (const [override, field] of cases) {
      const err = await failure(api.reports.create(reportInput(override)));
      expect(err.code, field).toBe('BAD_REQUEST');
      expect(badFields(err), field).toContain(field);
    }
    expect((await api.reports.list({})).items).toEqual([]);
  });

  it('lists newest first by status, HS code or destination, in keyset pages', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).exportsathi;
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await api.reports.create(reportInput({ hsCode: i % 2 ? '0902' : '1006', destinationCountry: i < 3 ? 'AE' : 'DE' })));
    await api.reports.setStatus({ id: made[0]!.id, status: 'processing' });

    const first = await api.reports.list({ limit: 2 });
    const second = await api.reports.list({ limit: 2, cursor: first.nextCursor! });
    const third = await api.reports.list({ limit: 2, cursor: second.nextCursor! });
    expect([...first.items, ...second.items, ...third.items].map((r) => r.id)).toEqual(made.map((r) => r.id).reverse());
    expect(third.nextCursor).toBeNull();

    expect((await api.reports.list({ hsCode: '0902' })).items.map((r) => r.id)).toEqual([made[3]!.id, made[1]!.id]);
    expect((await api.reports.list({ destinationCountry: 'DE' })).items.map((r) => r.id)).toEqual([made[4]!.id, made[3]!.id]);
    expect((await api.reports.list({ status: 'processing' })).items.map((r) => r.id)).toEqual([made[0]!.id]);
    expect(badFields(await failure(api.reports.list({ status: 'draft', hsCode: '0902' })))).toContain('status');
  });

  it('updates fields (absent keep, null clears) and moves along the lifecycle only as allowed', async () => {
    const { api, report } = await userWithReport(app);
    const updated = await api.reports.update({ id: report.id, riskScore: null, destinationCountry: 'JP' });
    expect(updated).toMatchObject({ riskScore: null, destinationCountry: 'JP', productName: report.productName, hsCode: report.hsCode });

    const skip = await failure(api.reports.setStatus({ id: report.id, status: 'completed' }));
    expect(skip.code).toBe('BAD_REQUEST');
    expect(skip.message).toContain('draft to completed');
    await api.reports.setStatus({ id: report.id, status: 'processing' });
    const done = await api.reports.setStatus({ id: report.id, status: 'completed' });
    expect(done.completedAt).toBeInstanceOf(Date);
    const archived = await api.reports.setStatus({ id: report.id, status: 'archived' });
    expect(archived.completedAt).toEqual(done.completedAt);
  });

  it('shows a user only their own reports; admins read any, but only owners write', async () => {
    const { report } = await userWithReport(app);
    const stranger = app.caller({ token: (await app.newUser()).token }).exportsathi;
    expect((await failure(stranger.reports.get({ id: report.id }))).code).toBe('NOT_FOUND');
    expect((await failure(stranger.reports.update({ id: report.id, productName: 'Mine' }))).code).toBe('NOT_FOUND');
    expect((await failure(stranger.certifications.create({ reportId: report.id, certificationCode: 'FDA', certificationName: 'FDA' }))).code).toBe('NOT_FOUND');
    expect((await failure(stranger.chats.create({ reportId: report.id }))).code).toBe('NOT_FOUND');

    const admin = app.caller({ token: (await app.newAdmin()).token }).exportsathi;
    expect((await admin.reports.get({ id: report.id })).id).toBe(report.id);
    expect((await admin.reports.list({ userId: report.userId })).items.map((r) => r.id)).toEqual([report.id]);
    expect((await failure(admin.certifications.create({ reportId: report.id, certificationCode: 'FDA', certificationName: 'FDA' }))).code).toBe('FORBIDDEN');
  });

  it('the dashboard returns a report with everything hanging off it in a fixed number of queries', async () => {
    const { api, report } = await userWithReport(app);
    const small = await countQueries(() => api.reports.dashboard({ id: report.id }));
    expect(small.result).toMatchObject({ report: { id: report.id }, certifications: [], documents: [], plan: [], finance: null, logistics: null });

    for (const code of ['FDA', 'FSSAI', 'APEDA']) await api.certifications.create({ reportId: report.id, certificationCode: code, certificationName: code });
    for (const documentType of ['commercial_invoice', 'packing_list', 'shipping_bill', 'certificate_of_origin'] as const) {
      await api.documents.create({ reportId: report.id, documentType, title: documentType, content: 'body' });
    }
    await api.plan.create({ reportId: report.id, tasks: planTasks(3) });
    await api.logistics.create({ reportId: report.id, shippingMode: 'LCL', cargoVolumeCbm: '4.5', rmsProbability: '0.150', freightEstimate: '42000' });
    const newest = await api.logistics.create({ reportId: report.id, shippingMode: 'FCL', cargoVolumeCbm: '28', rmsProbability: '0.1', freightEstimate: '150000' });

    const big = await countQueries(() => api.reports.dashboard({ id: report.id }));
    expect(big.queries).toBe(small.queries);
    expect(big.result.certifications).toHaveLength(3);
    expect(big.result.documents).toHaveLength(4);
    expect(big.result.documents[0]).not.toHaveProperty('content');
    expect(big.result.plan).toHaveLength(21);
    expect(big.result.logistics?.id).toBe(newest.id);
  });

  it('a soft-deleted report vanishes from every procedure at once; its owner restores it with everything', async () => {
    // The only report to Zimbabwe in this file: the analytics must not count it while deleted.
    const { api, report, user } = await userWithReport(app, { destinationCountry: 'ZW' });
    const cert = await api.certifications.create({ reportId: report.id, certificationCode: 'FDA', certificationName: 'FDA registration' });
    const doc = await api.documents.create({ reportId: report.id, documentType: 'packing_list', title: 'PL', content: 'x' });
    const [task] = await api.plan.create({ reportId: report.id, tasks: planTasks(1) });
    const chat = await api.chats.create({ reportId: report.id });
    const logistics = await api.logistics.create({ reportId: report.id, shippingMode: 'LCL', cargoVolumeCbm: '3', rmsProbability: '0.2', freightEstimate: '30000' });
    const finance = await api.finance.create({ reportId: report.id, workingCapitalData: { days: 90 }, rodtepBenefitData: { rate: 0.9 }, gstRefundData: { amount: 1000 } });

    const deleted = await api.reports.delete({ id: report.id });
    expect(deleted.restorableUntil.getTime() - deleted.deletedAt.getTime()).toBe(30 * 86_400_000);

    const admin = app.caller({ token: (await app.newAdmin()).token }).exportsathi;
    const hidden: Array<[string, () => Promise<unknown>]> = [
      ['reports.get', () => api.reports.get({ id: report.id })],
      ['reports.dashboard', () => api.reports.dashboard({ id: report.id })],
      ['reports.update', () => api.reports.update({ id: report.id, productName: 'x' })],
      ['reports.setStatus', () => api.reports.setStatus({ id: report.id, status: 'processing' })],
      ['reports.delete', () => api.reports.delete({ id: report.id })],
      ['admin reports.get', () => admin.reports.get({ id: report.id })],
      ['certifications.list', () => api.certifications.list({ reportId: report.id })],
      ['certifications.create', () => api.certifications.create({ reportId: report.id, certificationCode: 'CE', certificationName: 'CE' })],
      ['certifications.update', () => api.certifications.update({ id: cert.id, status: 'in_progress' })],
      ['documents.list', () => api.documents.list({ reportId: report.id })],
      ['documents.get', () => api.documents.get({ id: doc.id })],
      ['documents.update', () => api.documents.update({ id: doc.id, title: 'x' })],
      ['plan.list', () => api.plan.list({ reportId: report.id })],
      ['plan.complete', () => api.plan.complete({ id: task!.id })],
      ['chats.get', () => api.chats.get({ id: chat.id })],
      ['chats.addMessage', () => api.chats.addMessage({ sessionId: chat.id, role: 'user', content: 'q' })],
      ['chats.messages', () => api.chats.messages({ sessionId: chat.id })],
      ['finance.list', () => api.finance.list({ reportId: report.id })],
      ['finance.update', () => api.finance.update({ id: finance.id, workingCapitalData: {}, rodtepBenefitData: {}, gstRefundData: {} })],
      ['logistics.list', () => api.logistics.list({ reportId: report.id })],
      ['logistics.update', () => api.logistics.update({ id: logistics.id, shippingMode: 'FCL' })],
    ];
    for (const [name, call] of hidden) expect((await failure(call())).code, name).toBe('NOT_FOUND');
    expect((await api.reports.list({})).items, 'reports.list').toEqual([]);
    expect((await api.reports.list({ hsCode: report.hsCode })).items).toEqual([]);
    expect((await api.chats.list({})).items, 'chats.list').toEqual([]);
    const window = { from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 3_600_000) };
    expect((await admin.reports.analytics(window)).byDestinationCountry.map((r) => r.value)).not.toContain('ZW');

    // Only the owner restores.
    const stranger = app.caller({ token: (await app.newUser()).token }).exportsathi;
    expect((await failure(stranger.reports.restore({ id: report.id }))).code).toBe('NOT_FOUND');
    expect((await api.reports.listDeleted()).map((r) => r.id)).toEqual([report.id]);
    await api.reports.restore({ id: report.id });
    expect((await api.reports.listDeleted())).toEqual([]);
    const back = await api.reports.dashboard({ id: report.id });
    expect(back).toMatchObject({ certifications: [{ id: cert.id }], documents: [{ id: doc.id }], logistics: { id: logistics.id }, finance: { id: finance.id } });
    expect((await api.chats.list({})).items.map((c) => c.id)).toEqual([chat.id]);
    expect(user.id).toBe(back.report.userId);
    expect((await admin.reports.analytics(window)).byDestinationCountry).toContainEqual({ value: 'ZW', reports: 1 });
  });

  it('after 30 days a deleted report cannot be restored, and db:maintain purges it with its rows', async () => {
    const { api, report } = await userWithReport(app);
    await api.certifications.create({ reportId: report.id, certificationCode: 'FDA', certificationName: 'FDA' });
    const { report: kept } = await userWithReport(app);
    await api.reports.delete({ id: report.id });
    const recent = await userWithReport(app);
    await recent.api.reports.delete({ id: recent.report.id });
    await app.sql(`update exportsathi.reports set deleted_at = now() - interval '31 days' where id = $1`, [report.id]);

    expect((await failure(api.reports.restore({ id: report.id }))).code).toBe('NOT_FOUND');
    const result = await runMaintenance(app.pool, { AUDIT_RETENTION_MONTHS: 0 });
    expect(result.reportsPurged).toBe(1);
    const left = await app.sql<{ id: string }>(`select id from exportsathi.reports where id = any($1)`, [[report.id, kept.id, recent.report.id]]);
    expect(left.rows.map((r) => r.id).sort()).toEqual([kept.id, recent.report.id].sort());
    expect((await app.sql(`select 1 from exportsathi.certification_progress where report_id = $1`, [report.id])).rowCount).toBe(0);
    // The one deleted a moment ago is still restorable.
    expect((await recent.api.reports.restore({ id: recent.report.id })).id).toBe(recent.report.id);
  });

  it('admins count live reports per destination country and HS chapter over a date range', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).exportsathi;
    const from = new Date();
    await api.reports.create(reportInput({ destinationCountry: 'SG', hsCode: '6109' }));
    await api.reports.create(reportInput({ destinationCountry: 'SG', hsCode: '61091000' }));
    await api.reports.create(reportInput({ destinationCountry: 'NL', hsCode: '0902' }));
    const admin = app.caller({ token: (await app.newAdmin()).token }).exportsathi;
    const to = new Date(Date.now() + 1000);
    const stats = await admin.reports.analytics({ from, to });
    expect(stats.byDestinationCountry).toEqual(expect.arrayContaining([{ value: 'SG', reports: 2 }, { value: 'NL', reports: 1 }]));
    expect(stats.byHsChapter).toEqual(expect.arrayContaining([{ value: '61', reports: 2 }, { value: '09', reports: 1 }]));
    const before = await admin.reports.analytics({ from: new Date(from.getTime() - 86_400_000), to: new Date(from.getTime() - 3_600_000) });
    expect(before.byDestinationCountry.find((r) => r.value === 'SG')).toBeUndefined();
    expect((await failure(api.reports.analytics({ from, to }))).code).toBe('FORBIDDEN');
    expect(badFields(await failure(admin.reports.analytics({ from: to, to: from })))).toContain('to');
  });

  it('a missing report is NOT_FOUND naming it', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).exportsathi;
    const err = await failure(api.reports.get({ id: MISSING_ID }));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toContain(MISSING_ID);
  });
});
