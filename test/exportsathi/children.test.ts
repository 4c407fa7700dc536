/**
 * What hangs off a report, through the API: certifications, documents, the 7-day plan, chats
 * and their cited messages, finance and logistics: lifecycles, the timestamps that follow
 * them, field errors and who may write.
 */
import type { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../support/app.js';
import { badFields, countQueries, planTasks, userWithReport } from './helpers.js';

const app = useTestApp();

async function failure(promise: Promise<unknown>): Promise<TRPCError> {
  try {
    await promise;
  } catch (err) {
    return err as TRPCError;
  }
  throw new Error('expected the call to fail');
}

describe('exportsathi certifications', () => {
  it('moves along its lifecycle; startedAt and completedAt follow; other moves and duplicates are refused', async () => {
    const { api, report } = await userWithReport(app);
    const cert = await api.certifications.create({ reportId: report.id, certificationCode: 'CE', certificationName: 'CE marking' });
    expect(cert).toMatchObject({ status: 'not_started', startedAt: null, completedAt: null, documentsCompleted: [] });
    const skip = await failure(api.certifications.update({ id: cert.id, status: 'completed' }));
    expect(skip.code).toBe('BAD_REQUEST');
    expect(skip.message).toContain('not_started to completed');
    const started = await api.certifications.update({ id: cert.id, status: 'in_progress', documentsCompleted: ['Technical file'] });
    expect(started.startedAt).toBeInstanceOf(Date);
    await api.certifications.update({ id: cert.id, status: 'submitted' });
    const rejected = await api.certifications.update({ id: cert.id, status: 'rejected' });
    expect(rejected.completedAt).toBeNull();
    await api.certifications.update({ id: cert.id, status: 'in_progress' });
    expect((await api.certifications.list({ reportId: report.id })).map((c) => c.status)).toEqual(['in_progress']);

    const dup = await failure(api.certifications.create({ reportId: report.id, certificationCode: 'CE', certificationName: 'again' }));
    expect(dup.code).toBe('CONFLICT');
    expect(badFields(await failure(api.certifications.create({ reportId: report.id, certificationCode: 'C E', certificationName: 'x' })))).toContain('certificationCode');
    expect(badFields(await failure(api.certifications.update({ id: cert.id, documentsCompleted: [1] as never })))).toContain('documentsCompleted.0');
    expect(badFields(await failure(api.certifications.update({ id: cert.id, actualCost: '-1' })))).toContain('actualCost');
  });
});

describe('exportsathi documents', () => {
  it('validatedAt is set when validated or found invalid, cleared back in draft; the type is an enumeration', async () => {
    const { api, report } = await userWithReport(app);
    const doc = await api.documents.create({ reportId: report.id, documentType: 'shipping_bill', title: 'SB 1', content: 'Shipping bill' });
    expect(doc).toMatchObject({ status: 'draft', validatedAt: null, validationResults: {} });
    const invalid = await api.documents.update({ id: doc.id, status: 'invalid', validationResults: { isValid: false, errors: ['Port code missing'] } });
    expect(invalid.validatedAt).toBeInstanceOf(Date);
    expect((await api.documents.update({ id: doc.id, status: 'draft' })).validatedAt).toBeNull();
    const valid = await api.documents.update({ id: doc.id, status: 'validated', content: 'Shipping bill with port INNSA1' });
    expect(valid.validatedAt).toBeInstanceOf(Date);
    expect((await api.documents.update({ id: doc.id, status: 'final' })).status).toBe('final');
    expect((await failure(api.documents.update({ id: doc.id, status: 'draft' }))).code).toBe('BAD_REQUEST');
    expect((await api.documents.get({ id: doc.id })).content).toBe('Shipping bill with port INNSA1');

    expect(badFields(await failure(api.documents.create({ reportId: report.id, documentType: 'memo' as never, title: 'x', content: 'x' })))).toContain('documentType');
    expect(badFields(await failure(api.documents.update({ id: doc.id, validationResults: { isValid: 'yes' } as never })))).toContain('validationResults.isValid');
    expect(badFields(await failure(api.documents.update({ id: doc.id, validationResults: JSON.parse('{"__proto__": {"x": 1}}') })))).toContain('validationResults');
  });
});

describe('exportsathi plan', () => {
  it('creates the whole plan in one statement; day 1-7 and one task per position', async () => {
    const { api, report } = await userWithReport(app);
    const { result: plan, queries } = await countQueries(() => api.plan.create({ reportId: report.id, tasks: planTasks(20) }));
    expect(plan).toHaveLength(140);
    expect(queries).toBe(1);
    expect(plan.at(-1)).toMatchObject({ dayNumber: 7, taskIndex: 20, isCompleted: false, completedAt: null });
    const done = await api.plan.complete({ id: plan[0]!.id });
    expect(done.completedAt).toBeInstanceOf(Date);
    expect((await api.plan.complete({ id: plan[0]!.id, isCompleted: false })).completedAt).toBeNull();

    const other = await userWithReport(app);
    expect(badFields(await failure(other.api.plan.create({ reportId: other.report.id, tasks: [{ dayNumber: 8, taskIndex: 1, taskTitle: 'x' }] })))).toContain('tasks.0.dayNumber');
    // The same position twice: the whole statement is refused, nothing is stored.
    const twice = await failure(other.api.plan.create({ reportId: other.report.id, tasks: [{ dayNumber: 1, taskIndex: 1, taskTitle: 'a' }, { dayNumber: 1, taskIndex: 1, taskTitle: 'b' }] }));
    expect(twice.code).toBe('CONFLICT');
    expect(await other.api.plan.list({ reportId: other.report.id })).toEqual([]);
  });
});

describe('exportsathi chats', () => {
  it('answers cite {title, url?, excerpt?}; questions cite nothing; only the owner writes', async () => {
    const { api, report } = await userWithReport(app);
    const chat = await api.chats.create({ reportId: report.id, contextData: { hsCode: report.hsCode } });
    const answer = await api.chats.addMessage({
      sessionId: chat.id,
      role: 'assistant',
      content: 'See the DGFT handbook.',
      citations: [{ title: 'Handbook of Procedures', url: 'https://www.dgft.gov.in', excerpt: 'Chapter 2' }],
    });
    expect(answer.citations).toEqual([{ title: 'Handbook of Procedures', url: 'https://www.dgft.gov.in', excerpt: 'Chapter 2' }]);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ role: 'user', citations: [{ title: 'x' }] }, 'citations'],
      [{ role: 'assistant', citations: [{ url: 'https://x.org' }] }, 'citations.0.title'],
      [{ role: 'assistant', citations: [{ title: 'x', url: 'ftp://x' }] }, 'citations.0.url'],
      [{ role: 'assistant', citations: [{ title: 'x', score: 1 }] }, 'citations.0'],
      [{ role: 'system' }, 'role'],
      [{ role: 'user', content: '' }, 'content'],
    ];
    for (const [input, field] of cases) {
      const err = await failure(api.chats.addMessage({ sessionId: chat.id, content: 'c', ...input } as never));
      expect(err.code, field).toBe('BAD_REQUEST');
      expect(badFields(err), field).toContain(field);
    }
    expect((await api.chats.messages({ sessionId: chat.id })).items).toHaveLength(1);

    const stranger = app.caller({ token: (await app.newUser()).token }).exportsathi;
    expect((await failure(stranger.chats.addMessage({ sessionId: chat.id, role: 'user', content: 'hi' }))).code).toBe('NOT_FOUND');
    expect((await failure(stranger.chats.get({ id: chat.id }))).code).toBe('NOT_FOUND');
    const admin = app.caller({ token: (await app.newAdmin()).token }).exportsathi;
    expect((await admin.chats.get({ id: chat.id })).id).toBe(chat.id);
    expect((await failure(admin.chats.addMessage({ sessionId: chat.id, role: 'user', content: 'hi' }))).code).toBe('FORBIDDEN');
    expect(badFields(await failure(api.chats.update({ id: chat.id, contextData: [] as never })))).toContain('contextData');
  });
});

describe('exportsathi logistics and finance', () => {
  it('keeps LCL/FCL, the RMS probability (0-1) and the freight exact; refuses what the CHECKs refuse', async () => {
    const { api, report } = await userWithReport(app);
    const row = await api.logistics.create({ reportId: report.id, shippingMode: 'LCL', cargoVolumeCbm: '12.50', rmsProbability: '0.125', freightEstimate: '45250.75' });
    expect(row).toMatchObject({ shippingMode: 'LCL', cargoVolumeCbm: '12.50', rmsProbability: '0.125', freightEstimate: '45250.75' });
    expect((await api.logistics.update({ id: row.id, shippingMode: 'FCL' })).shippingMode).toBe('FCL');
    for (const [input, field] of [
      [{ shippingMode: 'AIR' }, 'shippingMode'],
      [{ rmsProbability: '1.5' }, 'rmsProbability'],
      [{ cargoVolumeCbm: '0' }, 'cargoVolumeCbm'],
      [{ freightEstimate: '-1' }, 'freightEstimate'],
    ] as const) {
      expect(badFields(await failure(api.logistics.update({ id: row.id, ...input } as never))), field).toContain(field);
    }
    expect(badFields(await failure(api.finance.create({ reportId: report.id, workingCapitalData: [] as never, rodtepBenefitData: {}, gstRefundData: {} })))).toContain('workingCapitalData');
    expect(badFields(await failure(api.finance.create({ reportId: report.id, workingCapitalData: {}, rodtepBenefitData: {}, gstRefundData: {}, currency: 'inr' })))).toContain('currency');
  });
});
