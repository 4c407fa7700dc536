/**
 * user_metrics: counted by statement triggers, exact under concurrency, written by nothing else.
 */
import type { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../support/app.js';
import { planTasks, reportInput, userWithReport } from './helpers.js';

const app = useTestApp();

describe('exportsathi.metrics', () => {
  it('counts reports, documents, completed certifications and their savings, completed tasks and questions', async () => {
    const { api, report, user } = await userWithReport(app);
    expect(await api.metrics.get()).toMatchObject({ userId: user.id, reportsGenerated: 1, documentsGenerated: 0, costSavings: '0.00' });

    await api.documents.create({ reportId: report.id, documentType: 'commercial_invoice', title: 'CI', content: 'x' });
    const cert = await api.certifications.create({ reportId: report.id, certificationCode: 'FDA', certificationName: 'FDA', estimatedCost: '50000' });
    for (const status of ['in_progress', 'submitted'] as const) await api.certifications.update({ id: cert.id, status });
    const done = await api.certifications.update({ id: cert.id, status: 'completed', actualCost: '42000.50' });
    expect(done).toMatchObject({ status: 'completed', completedAt: expect.any(Date), startedAt: expect.any(Date) });
    const tasks = await api.plan.create({ reportId: report.id, tasks: planTasks(2) });
    await api.plan.complete({ id: tasks[0]!.id });
    await api.plan.complete({ id: tasks[1]!.id });
    await api.plan.complete({ id: tasks[1]!.id, isCompleted: false });
    const chat = await api.chats.create({ reportId: report.id });
    await api.chats.addMessage({ sessionId: chat.id, role: 'user', content: 'Do I need FDA registration?' });
    await api.chats.addMessage({ sessionId: chat.id, role: 'assistant', content: 'Yes.', citations: [{ title: 'FDA food facility registration' }] });

    expect(await api.metrics.get()).toMatchObject({
      reportsGenerated: 1,
      documentsGenerated: 1,
      certificationsCompleted: 1,
      costSavings: '7999.50',
      tasksCompleted: 1,
      questionsAsked: 1,
    });
    // A later correction of the actual cost corrects the savings.
    await api.certifications.update({ id: cert.id, actualCost: '45000' });
    expect((await api.metrics.get()).costSavings).toBe('5000.00');
  });

  it('stays exact under 16 concurrent writers', async () => {
    const { api, report } = await userWithReport(app);
    const tasks = await api.plan.create({ reportId: report.id, tasks: planTasks(16).slice(0, 16 * 7) });
    const writers = Array.from({ length: 16 }, async (_, w) => {
      // Each writer on its own connection: a report, two documents, a question and a task.
      await api.reports.create(reportInput({ productName: `Writer ${w}` }));
      await api.documents.create({ reportId: report.id, documentType: 'packing_list', title: `PL ${w}`, content: 'x' });
      await api.documents.create({ reportId: report.id, documentType: 'shipping_bill', title: `SB ${w}`, content: 'x' });
      const chat = await api.chats.create({});
      await api.chats.addMessage({ sessionId: chat.id, role: 'user', content: `Question ${w}` });
      await api.plan.complete({ id: tasks[w]!.id });
    });
    await Promise.all(writers);
    const counted = await app.sql<Record<string, string>>(
      `select (select count(*) from exportsathi.reports where user_id = $1) as reports,
              (select count(*) from exportsathi.generated_documents where report_id = $2) as documents,
              (select count(*) from exportsathi.action_plan_progress where report_id = $2 and is_completed) as tasks`,
      [report.userId, report.id],
    );
    expect(await api.metrics.get()).toMatchObject({
      reportsGenerated: Number(counted.rows[0]!.reports),
      documentsGenerated: Number(counted.rows[0]!.documents),
      tasksCompleted: Number(counted.rows[0]!.tasks),
      questionsAsked: 16,
    });
    expect(Number(counted.rows[0]!.reports)).toBe(17);
    expect(Number(counted.rows[0]!.documents)).toBe(32);
  });

  it('refuses any write that is not the counting triggers\', even through a forged request context', async () => {
    const { user } = await userWithReport(app);
    for (const statement of [
      `update exportsathi.user_metrics set reports_generated = 100 where user_id = '${user.id}'`,
      `insert into exportsathi.user_metrics (user_id) values ('${user.id}')`,
    ]) {
      const err = (await app.probe({ token: user.token }).sql([{ text: statement }]).catch((e: unknown) => e)) as TRPCError;
      expect(err.code, statement).toBe('FORBIDDEN');
    }
    // Straight in as the owner's session, bypassing the API: the guard still refuses.
    expect(await app.sqlError(`update exportsathi.user_metrics set reports_generated = 100 where user_id = $1`, [user.id])).toMatchObject({ code: '42501' });
  });

  it('a user sees only their own metrics; admins any user\'s', async () => {
    const { user } = await userWithReport(app);
    const stranger = app.caller({ token: (await app.newUser()).token }).exportsathi;
    expect((await stranger.metrics.get({ userId: user.id })).reportsGenerated).toBe(0);
    const admin = app.caller({ token: (await app.newAdmin()).token }).exportsathi;
    expect((await admin.metrics.get({ userId: user.id })).reportsGenerated).toBe(1);
  });
});
