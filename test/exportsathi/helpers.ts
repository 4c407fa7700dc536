/** Helpers shared by the ExportSathi tests. */
import type { TestApp } from '../support/app.js';

export { badFields, countQueries, MISSING_ID } from '../componentforge/helpers.js';

/** A valid GSTIN (its check character is right) and IEC, as the seed's exporter would have. */
export const GSTIN = '27AAPFU0939F1ZV';
export const IEC = 'AAPFU0939F';

/** A report as the seed describes one: turmeric to the United States. */
export function reportInput(overrides: Record<string, unknown> = {}) {
  return {
    productName: 'Organic turmeric powder',
    productDescription: 'Dried and ground Curcuma longa, 500 g pouches',
    hsCode: '09103030',
    destinationCountry: 'US',
    riskScore: 35,
    estimatedCost: '125000.00',
    timelineDays: 45,
    reportData: { summary: 'Ready with FDA registration', certifications: ['FDA', 'FSSAI'], risks: [] },
    ...overrides,
  };
}

/** A fresh user with the ExportSathi API and a draft report of theirs. */
export async function userWithReport(app: TestApp, overrides: Record<string, unknown> = {}) {
  const user = await app.newUser();
  const api = app.caller({ token: user.token }).exportsathi;
  const report = await api.reports.create(reportInput(overrides));
  return { user, api, report };
}

/** Seven days of plan tasks, `perDay` a day. */
export function planTasks(perDay = 2) {
  return Array.from({ length: 7 * perDay }, (_, i) => ({
    dayNumber: Math.floor(i / perDay) + 1,
    taskIndex: (i % perDay) + 1,
    taskTitle: `Day ${Math.floor(i / perDay) + 1} task ${(i % perDay) + 1}`,
  }));
}
