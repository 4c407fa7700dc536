/**
 * ExportSathi end to end over real HTTP with the typed client: a seed-003 exporter (no username)
 * builds a report with everything hanging off it, deletes and restores it; and db:seed's
 * exporter reads back.
 */
import type http from 'node:http';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { EXPORTER, EXPORTER_PROFILE, SEED_REPORT } from '../../src/seed/exportsathi.js';
import { seedAll } from '../../src/seed/index.js';
import { createHttpServer, listen } from '../../src/server/http.js';
import { PASSWORD, unique, useTestApp } from '../support/app.js';
import { GSTIN, IEC, planTasks, reportInput } from './helpers.js';

const app = useTestApp();
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = await createHttpServer({ ...app.services, config: { ...app.services.config, LOGIN_LIMIT_PER_EMAIL: 100 }, trustedProxies: '' });
  base = await listen(server, 0, '127.0.0.1');
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('ExportSathi over HTTP with the typed client', () => {
  it('an exporter without a username builds a report, its plan, certifications, documents, analyses and a cited chat', async () => {
    const anonymous = createClient(base);
    const email = `${unique('exporter')}@example.com`;
    expect(await anonymous.auth.register.mutate({ email, password: PASSWORD })).toMatchObject({ email, username: null });
    const { token } = await anonymous.auth.login.mutate({ email, password: PASSWORD });
    const api = createClient(base, { token }).exportsathi;

    expect(await api.profile.upsert.mutate({ businessType: 'Manufacturing', companySize: 'Small', iec: IEC, gstin: GSTIN })).toMatchObject({ iec: IEC, gstin: GSTIN });
    const report = await api.reports.create.mutate(reportInput());
    expect(report.createdAt).toBeInstanceOf(Date);
    await api.reports.setStatus.mutate({ id: report.id, status: 'processing' });
    const plan = await api.plan.create.mutate({ reportId: report.id, tasks: planTasks(2) });
    expect(plan).toHaveLength(14);
    await api.plan.complete.mutate({ id: plan[0]!.id });
    const cert = await api.certifications.create.mutate({ reportId: report.id, certificationCode: 'FDA', certificationName: 'FDA registration', estimatedCost: '60000' });
    await api.certifications.update.mutate({ id: cert.id, status: 'in_progress', documentsCompleted: ['Facility details'] });
    await api.documents.create.mutate({ reportId: report.id, documentType: 'certificate_of_origin', title: 'CoO', content: 'Origin: India' });
    await api.finance.create.mutate({ reportId: report.id, workingCapitalData: { days: 90 }, rodtepBenefitData: { rate: 0.9 }, gstRefundData: { refund: 0 } });
    await api.logistics.create.mutate({ reportId: report.id, shippingMode: 'FCL', cargoVolumeCbm: '28', rmsProbability: '0.05', freightEstimate: '150000' });
    const chat = await api.chats.create.mutate({ reportId: report.id });
    await api.chats.addMessage.mutate({ sessionId: chat.id, role: 'user', content: 'What is an LUT?' });
    await api.chats.addMessage.mutate({ sessionId: chat.id, role: 'assistant', content: 'A Letter of Undertaking lets you export without paying IGST.', citations: [{ title: 'CBIC circular 8/2017', url: 'https://cbic-gst.gov.in' }] });
    await api.reports.setStatus.mutate({ id: report.id, status: 'completed' });

    const dashboard = await api.reports.dashboard.query({ id: report.id });
    expect(dashboard).toMatchObject({ report: { status: 'completed' }, finance: { rodtepBenefitData: { rate: 0.9 } }, logistics: { shippingMode: 'FCL' } });
    expect(dashboard.report.completedAt).toBeInstanceOf(Date);
    expect((await api.chats.messages.query({ sessionId: chat.id })).items[1]!.citations).toEqual([{ title: 'CBIC circular 8/2017', url: 'https://cbic-gst.gov.in' }]);
    expect(await api.metrics.get.query()).toMatchObject({ reportsGenerated: 1, documentsGenerated: 1, tasksCompleted: 1, questionsAsked: 1 });

    // Bad input: a field error over the wire, nothing stored.
    const bad = await api.reports.create.mutate(reportInput({ hsCode: 'ABC' })).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(TRPCClientError);
    expect((bad as TRPCClientError<never>).data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, fieldErrors: { hsCode: [expect.any(String)] } });

    await api.reports.delete.mutate({ id: report.id });
    expect((await api.reports.list.query({})).items).toEqual([]);
    await api.reports.restore.mutate({ id: report.id });
    expect((await api.reports.list.query({ status: 'completed' })).items.map((r) => r.id)).toEqual([report.id]);
  });

  it('db:seed adds the exporter with a completed report and everything hanging off it, once', async () => {
    const seeded = await seedAll(app.services);
    expect(seeded.exportsathi).toMatchObject({ users: 1, reports: 1 });
    expect((await seedAll(app.services)).exportsathi).toEqual({ users: 0 });

    const { token } = await createClient(base).auth.login.mutate({ email: EXPORTER.email, password: EXPORTER.password });
    const api = createClient(base, { token }).exportsathi;
    expect(await api.profile.get.query()).toMatchObject(EXPORTER_PROFILE);
    const [report] = (await api.reports.list.query({ status: 'completed' })).items;
    expect(report).toMatchObject({ productName: SEED_REPORT, hsCode: '09103030', destinationCountry: 'US' });
    const dashboard = await api.reports.dashboard.query({ id: report!.id });
    expect(dashboard.plan).toHaveLength(14);
    expect(dashboard.certifications.map((c) => c.status)).toEqual(['completed', 'in_progress']);
    expect(dashboard.documents).toHaveLength(2);
    expect(dashboard.finance).not.toBeNull();
    expect(dashboard.logistics).not.toBeNull();
    const [chat] = (await api.chats.list.query({ reportId: report!.id })).items;
    const messages = (await api.chats.messages.query({ sessionId: chat!.id })).items;
    expect(messages.filter((m) => m.role === 'assistant').every((m) => Array.isArray(m.citations) && m.citations.length > 0)).toBe(true);
    expect(await api.metrics.get.query()).toMatchObject({ reportsGenerated: 1, certificationsCompleted: 1, costSavings: '8000.00', tasksCompleted: 4, questionsAsked: 2 });
  });
});
