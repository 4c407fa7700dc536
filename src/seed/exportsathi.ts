/**
 * ExportSathi's exporter (seed 003), written through the procedures: a user registered without a
 * username (seed 003's users have none) with a business profile (Manufacturing, Small, the
 * seed's own example values; IEC and GSTIN, stored encrypted), a completed export-readiness
 * report for turmeric to the United States with its 7-day plan (the first two days done),
 * certifications (FDA registration completed under its estimate, FSSAI in progress), documents
 * (a validated commercial invoice, a packing list draft), a finance and a logistics analysis,
 * and a chat whose answers cite their sources. The report is looked up by product name first,
 * so a second run adds nothing.
 */
import { TRPCError } from '@trpc/server';
import type { Caller, SeedContext } from './context.js';
import type { AppSeed } from './index.js';

type Api = Caller['exportsathi'];

/** Seed 003's user: email, password, business profile; no username. */
export const EXPORTER = { email: 'exporter@exportsathi.example', password: 'Export@Sathi2024', fullName: 'Priya Sharma' };
export const EXPORTER_PROFILE = {
  businessType: 'Manufacturing',
  companySize: 'Small',
  companyName: 'Haldi Agro Exports Pvt Ltd',
  iec: 'AAPFU0939F',
  gstin: '27AAPFU0939F1ZV',
} as const;
export const SEED_REPORT = 'Organic turmeric powder (500 g pouches)';

const PLAN: Array<[number, number, string, string]> = [
  [1, 1, 'Confirm IEC and GST registration', 'registration'],
  [1, 2, 'Register on the ICEGATE portal', 'registration'],
  [2, 1, 'Apply for the Spices Board RCMC', 'registration'],
  [2, 2, 'Book the FSSAI licence inspection', 'certification'],
  [3, 1, 'Submit the FDA food facility registration', 'certification'],
  [3, 2, 'Collect the lab reports for pesticide residues', 'documentation'],
  [4, 1, 'Draft the commercial invoice and packing list', 'documentation'],
  [4, 2, 'File the LUT for zero-rated exports', 'finance'],
  [5, 1, 'Compare LCL and FCL quotes from two forwarders', 'logistics'],
  [5, 2, 'Open an EDPMS-linked export account with the bank', 'finance'],
  [6, 1, 'Get the certificate of origin from FIEO', 'documentation'],
  [6, 2, 'Confirm the RoDTEP rate for HS 0910 30 30', 'finance'],
  [7, 1, 'Book the shipment and file the shipping bill', 'logistics'],
  [7, 2, 'Review the first buyer\'s purchase order', 'general'],
];

async function ensureExporter(ctx: SeedContext): Promise<{ token: string; created: boolean }> {
  const anonymous = ctx.as();
  const login = () => anonymous.auth.login({ email: EXPORTER.email, password: EXPORTER.password });
  try {
    return { token: (await login()).token, created: false };
  } catch (err) {
    if (!(err instanceof TRPCError) || err.code !== 'UNAUTHORIZED') throw err;
  }
  await anonymous.auth.register({ email: EXPORTER.email, password: EXPORTER.password, fullName: EXPORTER.fullName });
  return { token: (await login()).token, created: true };
}

async function seedReport(api: Api): Promise<Record<string, number>> {
  const report = await api.reports.create({
    productName: SEED_REPORT,
    productDescription: 'Steam-sterilised Lakadong turmeric, 7% curcumin, in 500 g food-grade pouches',
    ingredients: 'Turmeric (Curcuma longa) 100%',
    hsCode: '09103030',
    hsCodeConfidence: '0.920',
    destinationCountry: 'US',
    riskScore: 35,
    estimatedCost: '185000.00',
    timelineDays: 45,
    reportData: {
      summary: 'Export-ready once FDA food facility registration and an FSSAI licence are in place; lead and pesticide residues need lab reports.',
      certifications: ['FDA food facility registration', 'FSSAI licence', 'Spices Board RCMC'],
      risks: [{ risk: 'Lead content above FDA action level', severity: 'high' }],
      restrictedSubstances: ['lead chromate'],
      recommendations: ['Test every lot for lead before shipment'],
      costBreakdown: { certifications: 95000, documentation: 15000, logistics: 75000 },
      timeline: { weeks: 7 },
    },
  });
  await api.reports.setStatus({ id: report.id, status: 'processing' });
  await api.reports.setStatus({ id: report.id, status: 'completed' });

  const plan = await api.plan.create({
    reportId: report.id,
    tasks: PLAN.map(([dayNumber, taskIndex, taskTitle, category]) => ({ dayNumber, taskIndex, taskTitle, category: category as 'general' })),
  });
  for (const task of plan.filter((t) => t.dayNumber <= 2)) await api.plan.complete({ id: task.id });

  const fda = await api.certifications.create({
    reportId: report.id,
    certificationCode: 'FDA-FFR',
    certificationName: 'FDA food facility registration',
    estimatedCost: '60000.00',
  });
  for (const status of ['in_progress', 'submitted'] as const) await api.certifications.update({ id: fda.id, status });
  await api.certifications.update({ id: fda.id, status: 'completed', actualCost: '52000.00', documentsCompleted: ['Facility details', 'US agent appointment'] });
  const fssai = await api.certifications.create({ reportId: report.id, certificationCode: 'FSSAI', certificationName: 'FSSAI central licence', estimatedCost: '35000.00' });
  await api.certifications.update({ id: fssai.id, status: 'in_progress', documentsCompleted: ['Form B'] });

  const invoice = await api.documents.create({
    reportId: report.id,
    documentType: 'commercial_invoice',
    title: 'Commercial invoice HAE/2024/001',
    content: 'Exporter: Haldi Agro Exports Pvt Ltd ... 2,000 pouches of organic turmeric powder, FOB Nhava Sheva, USD 9,400.00',
  });
  await api.documents.update({ id: invoice.id, status: 'validated', validationResults: { isValid: true, errors: [], warnings: ['Add the buyer\'s EIN'] } });
  await api.documents.create({ reportId: report.id, documentType: 'packing_list', title: 'Packing list HAE/2024/001', content: '40 cartons x 50 pouches, net 1,000 kg, gross 1,120 kg' });

  await api.finance.create({
    reportId: report.id,
    workingCapitalData: { cycleDays: 97, requiredInr: 1_850_000, preShipmentCreditInr: 1_200_000 },
    rodtepBenefitData: { ratePercent: 0.9, fobInr: 780_000, benefitInr: 7_020 },
    gstRefundData: { route: 'LUT', refundInr: 0, blockedInputCreditInr: 39_000 },
  });
  await api.logistics.create({ reportId: report.id, shippingMode: 'LCL', cargoVolumeCbm: '6.40', rmsProbability: '0.150', freightEstimate: '68000.00' });

  const chat = await api.chats.create({ reportId: report.id, contextData: { topic: 'FDA registration', hsCode: '09103030' } });
  await api.chats.addMessage({ sessionId: chat.id, role: 'user', content: 'Do I need FDA approval to export turmeric to the US?' });
  await api.chats.addMessage({
    sessionId: chat.id,
    role: 'assistant',
    content: 'No product approval is needed, but the facility must be registered with the FDA and each shipment needs prior notice.',
    citations: [
      { title: 'FDA: Registration of Food Facilities', url: 'https://www.fda.gov/food/guidance-regulation-food-and-dietary-supplements/registration-food-facilities-and-other-submissions', excerpt: 'Facilities that manufacture, process, pack, or hold food for consumption in the U.S. must register with FDA.' },
      { title: 'FDA: Prior Notice of Imported Foods', url: 'https://www.fda.gov/food/importing-food-products-united-states/prior-notice-imported-foods' },
    ],
  });
  await api.chats.addMessage({ sessionId: chat.id, role: 'user', content: 'Which RoDTEP rate applies?' });
  await api.chats.addMessage({
    sessionId: chat.id,
    role: 'assistant',
    content: 'HS 0910 30 30 carries a RoDTEP rate of 0.9% of the FOB value in the current schedule.',
    citations: [{ title: 'DGFT: RoDTEP schedule (Appendix 4R)', url: 'https://www.dgft.gov.in' }],
  });
  return { reports: 1, planTasks: plan.length, certifications: 2, documents: 2, chatMessages: 4 };
}

export const seedExportsathi: AppSeed = async (ctx) => {
  const { token, created } = await ensureExporter(ctx);
  const api = ctx.as(token).exportsathi;
  try {
    await api.profile.upsert(EXPORTER_PROFILE);
    const existing = await api.reports.list({ hsCode: '09103030' });
    const counts = existing.items.some((r) => r.productName === SEED_REPORT) ? {} : await seedReport(api);
    return { users: created ? 1 : 0, ...counts };
  } finally {
    await ctx.as(token).auth.logout();
  }
};
