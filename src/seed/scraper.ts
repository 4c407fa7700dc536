/**
 * The Scraper workspace (seed 001), written through the procedures: the test user's jobs in
 * every state (a completed web job with its settings and artifacts, a paper job running under a
 * lease, a pending government job, a failed one), and the completed job's artifacts: public and
 * private, one public but hidden by a privacy tag, each with tags and extractions. The scraping
 * worker is an admin with a fresh random password on every run, logged out at the end. Each job
 * is looked up by its keyword first, so a second run adds nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { hashPassword } from '../auth/passwords.js';
import { promoteToAdmin } from '../auth/promote.js';
import { lease } from '../db/pool.js';
import type { Caller, SeedContext } from './context.js';
import type { AppSeed } from './index.js';

type Api = Caller['scraper'];

export const SCRAPER_WORKER = { username: 'scraper-worker', email: 'scraper-worker@example.com', fullName: 'Scraper worker' };

/** The jobs, by the keyword each is found by. */
export const SEED_JOBS = {
  completed: { jobType: 'web', keywords: ['renewable energy policy', 'feed-in tariff'], expandedKeywords: ['solar subsidies', 'wind power auctions'] },
  running: { jobType: 'paper', keywords: ['graphene superconductivity'], expandedKeywords: ['twisted bilayer graphene'] },
  pending: { jobType: 'government', keywords: ['municipal budget transparency'], expandedKeywords: null },
  failed: { jobType: 'web', keywords: ['ministry press releases'], expandedKeywords: null },
} as const;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

type IngestInput = Parameters<Api['artifacts']['ingestMany']>[0]['artifacts'];

/** The completed job's artifacts: two public, one private, one public but hidden by a privacy tag. */
export const SEED_ARTIFACTS: IngestInput = [
  {
    contentHash: sha256('seed 001: Renewable Energy Policy Review 2024'),
    artifactType: 'government_doc',
    sourceUrl: 'https://energy.example.gov/reports/renewable-policy-review-2024.pdf',
    title: 'Renewable Energy Policy Review 2024',
    fileSize: 2_481_337,
    mimeType: 'application/pdf',
    minioPath: 'scraper-artifacts/government/renewable-policy-review-2024.pdf',
    isPublic: true,
    tags: [
      { tagType: 'type', tagKey: 'format', tagValue: 'pdf' },
      { tagType: 'keyword', tagKey: 'renewable energy policy' },
      { tagType: 'user', tagKey: 'reading-list', tagValue: 'Q3 briefing' },
    ],
    extractions: [
      { extractionType: 'text', extractedData: { text: 'The review finds that feed-in tariffs doubled rooftop solar capacity between 2019 and 2024.' }, confidenceScore: '0.97' },
      { extractionType: 'metadata', extractedData: { author: 'Ministry of Energy', pages: 84, published: '2024-03-14' }, confidenceScore: '0.92' },
    ],
  },
  {
    contentHash: sha256('seed 001: Feed-in tariffs explained'),
    artifactType: 'web_page',
    sourceUrl: 'https://news.example.com/energy/feed-in-tariffs-explained',
    title: 'Feed-in tariffs explained',
    fileSize: 48_210,
    mimeType: 'text/html',
    minioPath: 'scraper-artifacts/web/feed-in-tariffs-explained.html',
    isPublic: true,
    tags: [{ tagType: 'keyword', tagKey: 'feed-in tariff' }],
    extractions: [
      { extractionType: 'links', extractedData: ['https://energy.example.gov/tariffs', 'https://news.example.com/energy'], confidenceScore: '0.88' },
      { extractionType: 'images', extractedData: [{ src: 'https://news.example.com/img/solar-roof.jpg', alt: 'Solar panels on a roof' }], confidenceScore: '0.75' },
    ],
  },
  {
    contentHash: sha256('seed 001: Draft tariff comments (internal)'),
    artifactType: 'government_doc',
    sourceUrl: 'https://consult.example.gov/tariffs/comments-draft.docx',
    title: 'Draft tariff comments (internal)',
    fileSize: 91_004,
    mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    minioPath: 'scraper-artifacts/government/tariff-comments-draft.docx',
    isPublic: false,
    tags: [{ tagType: 'user', tagKey: 'status', tagValue: 'draft' }],
    extractions: [{ extractionType: 'text', extractedData: { text: 'Comments on the draft tariff schedule, not for circulation.' }, confidenceScore: '0.81' }],
  },
  {
    contentHash: sha256('seed 001: Installer survey responses'),
    artifactType: 'social_media',
    sourceUrl: 'https://social.example.com/solar-installers/thread/8841',
    title: 'Installer survey responses',
    fileSize: 15_730,
    mimeType: 'application/json',
    minioPath: 'scraper-artifacts/social/installer-survey-8841.json',
    // Public, but the privacy tag keeps it from public reads (it names people).
    isPublic: true,
    tags: [
      { tagType: 'privacy', tagKey: 'pii', tagValue: 'names and e-mail addresses of respondents' },
      { tagType: 'keyword', tagKey: 'feed-in tariff' },
    ],
    extractions: [{ extractionType: 'metadata', extractedData: { responses: 212, platform: 'forum' }, confidenceScore: '0.66' }],
  },
];

/** The scraping worker, registered the first time, with a fresh random password each run. */
async function seedWorker(ctx: SeedContext): Promise<string> {
  const password = `${randomBytes(24).toString('base64url')}-Aa1`;
  const anonymous = ctx.as();
  try {
    await anonymous.auth.register({ ...SCRAPER_WORKER, password });
  } catch (err) {
    if (!(err instanceof TRPCError) || err.code !== 'CONFLICT') throw err;
  }
  const leased = await lease(ctx.services.pool, ctx.services.log);
  try {
    const id = await promoteToAdmin(leased.client, SCRAPER_WORKER.email, { passwordHash: await hashPassword(password), userAgent: 'db:seed' });
    if (!id) throw new Error(`db:seed: no user ${SCRAPER_WORKER.email} to promote`);
  } finally {
    leased.release();
  }
  return (await anonymous.auth.login({ email: SCRAPER_WORKER.email, password })).token;
}

async function findJob(api: Api, keyword: string) {
  return (await api.jobs.list({ keyword, limit: 1 })).items[0];
}

/** Creates a job of the test user and claims it as the worker (only this user's jobs: the queue may hold real work). */
async function claimed(api: Api, worker: Api, userId: string, spec: (typeof SEED_JOBS)[keyof typeof SEED_JOBS], leaseSeconds?: number) {
  const job = await api.jobs.create({ ...spec, keywords: [...spec.keywords], expandedKeywords: spec.expandedKeywords ? [...spec.expandedKeywords] : null });
  const [claim] = await worker.jobs.claim({ workerId: 'db:seed scraper', userId, limit: 1, leaseSeconds });
  if (!claim || claim.id !== job.id) throw new Error(`db:seed: could not claim scraping job ${job.id}`);
  return { id: job.id, leaseToken: claim.leaseToken };
}

export const seedScraper: AppSeed = async (ctx, { testUser }) => {
  const created = { jobs: 0, settings: 0, artifacts: 0, tags: 0, extractions: 0 };
  const api = ctx.as(testUser.token).scraper;
  const missing = [];
  for (const spec of Object.values(SEED_JOBS)) if (!(await findJob(api, spec.keywords[0]))) missing.push(spec);
  if (missing.length === 0) return created;

  const token = await seedWorker(ctx);
  try {
    const worker = ctx.as(token).scraper;
    if (!(await findJob(api, SEED_JOBS.completed.keywords[0]))) {
      const job = await claimed(api, worker, testUser.id, SEED_JOBS.completed);
      created.jobs += 1;
      for (const [configKey, configValue] of [['max_depth', '3'], ['crawl.delay_ms', '1500'], ['user_agent', 'ScraperBot/1.0 (+https://example.com/bot)']]) {
        await api.jobs.configure.set({ jobId: job.id, configKey: configKey!, configValue: configValue! });
        created.settings += 1;
      }
      await worker.jobs.progress({ id: job.id, leaseToken: job.leaseToken, totalItems: SEED_ARTIFACTS.length, itemsDone: 0 });
      const ingested = await worker.artifacts.ingestMany({ jobId: job.id, artifacts: SEED_ARTIFACTS });
      created.artifacts += ingested.stored;
      created.tags += ingested.tags;
      created.extractions += ingested.extractions;
      await worker.jobs.progress({ id: job.id, leaseToken: job.leaseToken, itemsDone: SEED_ARTIFACTS.length });
      await worker.jobs.complete({ id: job.id, leaseToken: job.leaseToken });
    }
    if (!(await findJob(api, SEED_JOBS.failed.keywords[0]))) {
      const job = await claimed(api, worker, testUser.id, SEED_JOBS.failed);
      created.jobs += 1;
      await worker.jobs.fail({ id: job.id, leaseToken: job.leaseToken, error: 'robots.txt of press.example.gov disallows /releases' });
    }
    if (!(await findJob(api, SEED_JOBS.running.keywords[0]))) {
      // Under way: a day-long lease (then reclaimed like any stalled job), 40 of 100 papers done.
      const job = await claimed(api, worker, testUser.id, SEED_JOBS.running, 86_400);
      created.jobs += 1;
      await worker.jobs.progress({ id: job.id, leaseToken: job.leaseToken, totalItems: 100, itemsDone: 40 });
    }
    if (!(await findJob(api, SEED_JOBS.pending.keywords[0]))) {
      await api.jobs.create({ ...SEED_JOBS.pending, keywords: [...SEED_JOBS.pending.keywords] });
      created.jobs += 1;
    }
  } finally {
    await ctx.as(token).auth.logout();
  }
  return created;
};
