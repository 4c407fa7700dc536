/**
 * `npm run db:seed -- --scale N`: N users with realistic data in every application, for the bench
 * and for anyone trying the API on real volumes (about 500 rows a user: --scale 2000 is ~1M rows).
 *
 * How it writes:
 * - Multi-row INSERT ... SELECT FROM unnest(arrays) statements (sql/<schema>/scale_seed.sql), one
 *   per table and user, as named statements. Not COPY: pg has no COPY FROM STDIN without
 *   pg-copy-streams (not a dependency), and PostgreSQL refuses COPY FROM into a table with
 *   row-level security for any role that does not bypass it, which is every role of ours (RLS is
 *   forced, even for the owner). unnest batches run at 0.6-0.9 of COPY (DESIGN.md's figures).
 * - On connections of its own in pg's pipeline mode, so that a user's 30-odd statements leave
 *   without waiting for each other's answers (the app's pool does not pipeline).
 * - As the system (src/auth/system.ts asSystem: the request role, RLS, every trigger, the audit
 *   log with the user agent `db:seed --scale`): the users are created by the system acting as an
 *   admin; each user's rows are then written acting as that user (core.act_as), because the
 *   insert policies let only owners create their rows, so one statement serves one user. The
 *   audit log thus names, for each row, the user it was made for, with the seed's user agent.
 * - In chunks of users, one transaction each, on `jobs` connections at once.
 *
 * Content is deterministic: user i's data depends only on --seed-value and i (a small PRNG), so
 * the bench can regenerate it; ids are fresh UUIDv7s. Every run adds a new batch of distinct
 * users (emails <name>.<i>.b<batch>@seed-scale.example), all with the password SCALE_PASSWORD
 * (hashed once for all of them). With `sessions`, each user also gets a bearer-token session
 * whose token scaleToken() derives from the seed value, batch and index, so a load generator can
 * call the API as any seeded user without logging in.
 */
import { createHash } from 'node:crypto';
import type { IDatabaseConnection } from '@pgtyped/runtime';
import pg from 'pg';
import { hashPassword } from '../auth/passwords.js';
import { asSystem } from '../auth/system.js';
import { hashToken } from '../auth/tokens.js';
import { pgTypedConnection } from '../db/connection.js';
import type { DatabaseSsl } from '../config.js';
import { uuidv7 } from '../db/ids.js';
import type { Logger } from '../logger.js';
import { gstinCheckCharacter, seal } from '../routers/exportsathi/inputs.js';
import { actAs } from '../../sql/core/request.queries.js';
import * as cf from '../../sql/componentforge/scale_seed.queries.js';
import * as core from '../../sql/core/scale_seed.queries.js';
import * as es from '../../sql/exportsathi/scale_seed.queries.js';
import * as scraper from '../../sql/scraper/scale_seed.queries.js';
import * as socrates from '../../sql/socrates/scale_seed.queries.js';
import * as verificai from '../../sql/verificai/scale_seed.queries.js';

/** The password of every seeded user. */
export const SCALE_PASSWORD = 'Scale@Seed2024';
/** The user agent of the seed's transactions, and so of its audit rows. */
export const SCALE_USER_AGENT = 'db:seed --scale';
export const SCALE_EMAIL_DOMAIN = 'seed-scale.example';

export interface ScaleServices {
  /** The owner's connection string (as the app connects). */
  url: string;
  ssl?: DatabaseSsl;
  log: Logger;
  /** CONFIG_ENCRYPTION_KEY: ExportSathi's identifiers and finance payloads are sealed with it. */
  configKey: Buffer;
  /** AUTH_SESSION_TTL_HOURS, for the sessions' expiry. */
  sessionTtlHours: number;
}

export interface ScaleOptions {
  users: number;
  /** Seeds the PRNG: the same value gives the same content. */
  seedValue: string;
  /** Also open one bearer-token session per user (see scaleToken). */
  sessions: boolean;
  /** Connections writing at once. */
  jobs: number;
  /** Users per transaction. */
  chunkSize?: number;
  /** Progress on a stream (stderr from the CLI); none when absent. */
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface ScaleReport {
  batch: number;
  users: number;
  seedValue: string;
  /** Rows written per table ("schema.table"), counter rows made by triggers included; the audit log's not. */
  tables: Record<string, number>;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
}

// ===== The mix: rows per user =====
// Loop bounds of the generators below, so the plan is what they write.
const SOCRATES_PROJECTS = 2;
const SOCRATES_SESSIONS = ['ACTIVE', 'ACTIVE', 'ACTIVE', 'ARCHIVED'] as const; // messages go only to ACTIVE sessions
const SOCRATES_MESSAGES_PER_ACTIVE_SESSION = 18;
const SOCRATES_DOCUMENTS = ['PROCESSED', 'PROCESSED', 'PROCESSING', 'UPLOADING'] as const;
const CF_DOCUMENTS = ['completed', 'completed', 'pending'] as const; // chunks for completed ones
const CF_CHUNKS_PER_DOCUMENT = 50;
const CF_CONVERSATIONS = ['active', 'active', 'archived'] as const;
// Few: their counting trigger runs once per row (an UPDATE of the conversation, and its audit
// row), which makes a ComponentForge message cost about five times a chunk.
const CF_MESSAGES_PER_CONVERSATION = 4;
const CF_EXPORTS = 2;
const VAI_CONFIG_TYPES = ['code_quality', 'security', 'performance'] as const;
// Each session's final status; files are added while uploading, then it moves along.
const VAI_SESSIONS = ['completed', 'failed', 'uploading'] as const;
const VAI_FILES_PER_SESSION = 20;
const VAI_RESULTS_PER_ANALYSED_SESSION = 8;
const VAI_TASKS_PER_SESSION = 3;
const SCRAPER_JOBS = ['completed', 'completed', 'pending', 'failed'] as const; // artifacts for completed ones
const SCRAPER_SETTINGS_PER_JOB = 2;
const SCRAPER_ARTIFACTS_PER_JOB = 15;
const SCRAPER_TAGS_PER_ARTIFACT = 2;
const SCRAPER_EXTRACTIONS_PER_ARTIFACT = 2;
const ES_REPORTS = ['completed', 'draft'] as const;
const ES_CERTIFICATIONS_PER_REPORT = 3;
const ES_DOCUMENTS_PER_REPORT = 2;
const ES_PLAN_TASKS_PER_REPORT = 14;
const ES_CHAT_MESSAGES_PER_REPORT = 6;
// Global catalogs, written as an admin once per run.
const EMBEDDING_MODELS = 3;
const EVALUATION_RUNS = 4;

const count = <T>(list: readonly T[], pred: (x: T) => boolean) => list.filter(pred).length;

/** What a run of `users` users writes, per table. */
export function scalePlan(users: number, options: { sessions: boolean }): Record<string, number> {
  const analysed = count(VAI_SESSIONS, (s) => s !== 'uploading');
  const completedJobs = count(SCRAPER_JOBS, (s) => s === 'completed');
  const artifacts = completedJobs * SCRAPER_ARTIFACTS_PER_JOB;
  const perUser: Record<string, number> = {
    'core.users': 1,
    'core.user_preferences': 1,
    'core.auth_sessions': options.sessions ? 1 : 0,
    'socrates.projects': SOCRATES_PROJECTS,
    'socrates.sessions': SOCRATES_SESSIONS.length,
    'socrates.messages': count(SOCRATES_SESSIONS, (s) => s === 'ACTIVE') * SOCRATES_MESSAGES_PER_ACTIVE_SESSION,
    'socrates.documents': SOCRATES_DOCUMENTS.length,
    'componentforge.documents': CF_DOCUMENTS.length,
    'componentforge.document_chunks': count(CF_DOCUMENTS, (s) => s === 'completed') * CF_CHUNKS_PER_DOCUMENT,
    'componentforge.conversations': CF_CONVERSATIONS.length,
    'componentforge.messages': CF_CONVERSATIONS.length * CF_MESSAGES_PER_CONVERSATION,
    'componentforge.requirement_exports': CF_EXPORTS,
    'verificai.configurations': VAI_CONFIG_TYPES.length,
    'verificai.analysis_sessions': VAI_SESSIONS.length,
    'verificai.file_uploads': VAI_SESSIONS.length * VAI_FILES_PER_SESSION,
    'verificai.analysis_results': analysed * VAI_RESULTS_PER_ANALYSED_SESSION,
    'verificai.analysis_tasks': VAI_SESSIONS.length * VAI_TASKS_PER_SESSION,
    'scraper.scraping_jobs': SCRAPER_JOBS.length,
    'scraper.job_configurations': SCRAPER_JOBS.length * SCRAPER_SETTINGS_PER_JOB,
    'scraper.artifacts': artifacts,
    'scraper.metadata_tags': artifacts * SCRAPER_TAGS_PER_ARTIFACT,
    'scraper.content_extractions': artifacts * SCRAPER_EXTRACTIONS_PER_ARTIFACT,
    'exportsathi.business_profiles': 1,
    'exportsathi.reports': ES_REPORTS.length,
    'exportsathi.certification_progress': ES_REPORTS.length * ES_CERTIFICATIONS_PER_REPORT,
    'exportsathi.generated_documents': ES_REPORTS.length * ES_DOCUMENTS_PER_REPORT,
    'exportsathi.action_plan_progress': ES_REPORTS.length * ES_PLAN_TASKS_PER_REPORT,
    'exportsathi.chat_sessions': ES_REPORTS.length,
    'exportsathi.chat_messages': ES_REPORTS.length * ES_CHAT_MESSAGES_PER_REPORT,
    'exportsathi.finance_analysis': ES_REPORTS.length,
    'exportsathi.logistics_analysis': ES_REPORTS.length,
    // One row per user, made by the counting triggers.
    'exportsathi.user_metrics': 1,
  };
  const plan = Object.fromEntries(Object.entries(perUser).map(([table, n]) => [table, n * users]));
  plan['componentforge.embedding_models'] = EMBEDDING_MODELS;
  plan['componentforge.evaluation_runs'] = EVALUATION_RUNS;
  return plan;
}

/** The bearer token of seeded user `index` of `batch` (with `sessions`): derived, so a load generator can compute it. */
export function scaleToken(seedValue: string, batch: number, index: number): string {
  return createHash('sha256').update(`${SCALE_USER_AGENT}|${seedValue}|${batch}|${index}`).digest('base64url');
}

// ===== A small deterministic PRNG (mulberry32) =====
class Rng {
  private state: number;
  constructor(seed: string) {
    this.state = createHash('sha256').update(seed).digest().readUInt32LE(0);
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)]!;
  }
  /** A decimal string with `places` decimals between min and max. */
  decimal(min: number, max: number, places: number): string {
    return (min + this.next() * (max - min)).toFixed(places);
  }
  sentences(pool: readonly string[], n: number): string {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.pick(pool));
    return out.join(' ');
  }
}

// ===== Vocabulary =====
const FIRST = ['Aarav', 'Ada', 'Aiko', 'Amara', 'Ananya', 'Bruno', 'Chen', 'Dara', 'Diego', 'Elena', 'Farah', 'Grace', 'Hana', 'Ivan', 'Jonas', 'Kavya', 'Leila', 'Luca', 'Maya', 'Mateo', 'Nia', 'Omar', 'Priya', 'Ravi', 'Sara', 'Tariq', 'Uma', 'Vikram', 'Wen', 'Yusuf', 'Zoe', 'Noah'];
const LAST = ['Agarwal', 'Bauer', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Gupta', 'Haddad', 'Iyer', 'Jensen', 'Kowalski', 'Lopez', 'Mehta', 'Nakamura', 'Okafor', 'Petrov', 'Quinn', 'Rossi', 'Sato', 'Tanaka', 'Usman', 'Varga', 'Wang', 'Xu', 'Yilmaz', 'Zhou'];
const TECH = ['python', 'fastapi', 'postgresql', 'react', 'typescript', 'redis', 'docker', 'kubernetes', 'django', 'go', 'rust', 'vue', 'nextjs', 'celery', 'qdrant'];
const PROJECT_NAMES = ['Inventory tracker', 'Recipe recommender', 'Chess engine', 'Budget planner', 'Weather dashboard', 'Library catalogue', 'Chat server', 'Image resizer', 'URL shortener', 'Habit tracker', 'Flashcard app', 'Bug tracker'];
const PROJECT_STATUSES = ['PLANNING', 'DESIGN', 'DEVELOPMENT', 'TESTING', 'COMPLETE'] as const;
const PROSE = [
  'The service reads the request, validates it and writes one row per item.',
  'Indexes on the foreign keys keep the joins cheap as the tables grow.',
  'A keyset cursor pages through the results without counting the rows before it.',
  'Every write runs in a transaction, so a failure leaves nothing half done.',
  'The cache is invalidated when the underlying record changes.',
  'Background workers claim jobs with SKIP LOCKED and renew their lease while they work.',
  'Passwords are hashed with argon2id and never logged.',
  'The component accepts a label, a variant and an optional icon.',
  'Buttons must be reachable by keyboard and announce their state to screen readers.',
  'Latency stays under 200 ms at the 95th percentile for reads.',
  'Errors are mapped to clear messages that name the field and the rule.',
  'The export must list every certification the destination market requires.',
];
const QUESTIONS = ['Why does this loop never end?', 'How should I model a many-to-many relation?', 'What does a race condition look like here?', 'Which index would serve this query?', 'How do I test this without a mock?', 'Is recursion or iteration clearer here?'];
const CF_MODELS = ['gpt-4', 'gpt-4o', 'claude-3-sonnet', 'llama-3-70b'];
const COMPONENTS = ['Button', 'Card', 'Modal', 'Tabs', 'Tooltip', 'DatePicker', 'Select', 'Accordion'];
const KEYWORDS = ['climate policy', 'solar subsidies', 'battery recycling', 'water quality', 'urban transit', 'crop yields', 'public health', 'data privacy', 'ai regulation', 'trade tariffs', 'export incentives', 'semiconductors'];
const JOB_TYPES = { web: 'web_page', paper: 'paper', government: 'government_doc' } as const;
const PRODUCTS: Array<[string, string, string]> = [
  ['Organic turmeric powder', '09103030', 'Turmeric (Curcuma longa) 100%'],
  ['Basmati rice, 5 kg bags', '10063020', 'Basmati rice 100%'],
  ['Hand-knotted wool rug', '57011010', 'New Zealand wool, cotton warp'],
  ['Brass table lamp', '94052010', 'Brass, cotton cord, LED holder'],
  ['Cotton kurta, women', '62114210', 'Cotton 100%'],
  ['Darjeeling black tea', '09024020', 'Black tea leaves 100%'],
  ['Cashew kernels W320', '08013220', 'Cashew kernels 100%'],
  ['Ayurvedic herbal soap', '34011190', 'Coconut oil, neem, turmeric, sandalwood'],
];
const COUNTRIES = ['US', 'DE', 'GB', 'AE', 'JP', 'AU', 'NL', 'SG', 'CA', 'FR'];
const CERTIFICATIONS: Array<[string, string, number]> = [
  ['FDA-FFR', 'FDA food facility registration', 60000],
  ['FSSAI', 'FSSAI central licence', 35000],
  ['CE', 'CE marking', 120000],
  ['RCMC', 'Registration-cum-membership certificate', 12000],
  ['ISO-22000', 'ISO 22000 food safety', 90000],
  ['REACH', 'EU REACH registration', 150000],
];
const CERT_STATUSES = ['completed', 'in_progress', 'not_started'] as const;
const PLAN: Array<[string, string]> = [
  ['Confirm IEC and GST registration', 'registration'],
  ['Register on the ICEGATE portal', 'registration'],
  ['Apply for the export promotion council RCMC', 'registration'],
  ['Book the certification inspection', 'certification'],
  ['Submit the market registration', 'certification'],
  ['Collect the lab reports', 'documentation'],
  ['Draft the commercial invoice and packing list', 'documentation'],
  ['File the LUT for zero-rated exports', 'finance'],
  ['Compare LCL and FCL quotes from two forwarders', 'logistics'],
  ['Open an EDPMS-linked export account', 'finance'],
  ['Get the certificate of origin', 'documentation'],
  ['Confirm the RoDTEP rate for the HS code', 'finance'],
  ['Book the shipment and file the shipping bill', 'logistics'],
  ['Review the first buyer\'s purchase order', 'general'],
];

const json = JSON.stringify;

// ===== One user's rows =====
interface SeedUser {
  index: number;
  id: string;
  username: string;
  email: string;
  firstName: string;
  lastName: string;
}

/** Who seeded user `index` (from 1) of `batch` is: a load generator signs in with the email and SCALE_PASSWORD. */
export function scaleIdentity(seedValue: string, batch: number, index: number) {
  const rng = new Rng(`${seedValue}|user|${index}`);
  const firstName = rng.pick(FIRST);
  const lastName = rng.pick(LAST);
  const handle = `${firstName}.${lastName}.${index}`.toLowerCase();
  return { firstName, lastName, username: `${handle}.b${batch}`, email: `${handle}.b${batch}@${SCALE_EMAIL_DOMAIN}` };
}

function makeUser(seedValue: string, batch: number, index: number): SeedUser {
  return { index, id: uuidv7(), ...scaleIdentity(seedValue, batch, index) };
}

/**
 * The rows the applications' workers write (admins, in production as here): ComponentForge's
 * chunks, VerificAI's results and tasks, the Scraper's ingested artifacts with their tags and
 * extractions. The policies let an admin write them for any user, so a chunk of users' worker
 * rows goes out in one statement per table, after the users' own statements.
 */
function workerRows() {
  return {
    ch: { documentIds: [] as string[], chunkIndexes: [] as number[], contents: [] as string[], vectorIds: [] as string[], embeddingModels: [] as string[], tokenCounts: [] as number[] },
    vr: { sessionIds: [] as string[], configurationIds: [] as string[], analysisTypes: [] as string[], fileNames: [] as string[], resultContents: [] as string[], scores: [] as string[], statuses: [] as string[] },
    vt: { sessionIds: [] as string[], taskIds: [] as string[], taskTypes: [] as string[], statuses: [] as string[], progresses: [] as number[], errorMessages: [] as string[] },
    ar: { ids: [] as string[], jobIds: [] as string[], userIds: [] as string[], artifactTypes: [] as string[], sourceUrls: [] as string[], titles: [] as string[], contentHashes: [] as string[], fileSizes: [] as string[], mimeTypes: [] as string[], minioPaths: [] as string[], isPublic: [] as boolean[] },
    tg: { artifactIds: [] as string[], tagTypes: [] as string[], tagKeys: [] as string[], tagValues: [] as string[] },
    ex: { artifactIds: [] as string[], extractionTypes: [] as string[], extractedData: [] as string[], confidenceScores: [] as string[] },
  };
}
type WorkerRows = ReturnType<typeof workerRows>;

/** Sends the worker rows of a chunk of users as the system acting as an admin (the workers). */
function writeWorkerRows(db: IDatabaseConnection, w: WorkerRows): Promise<unknown[]> {
  return Promise.all([
    actAs.run({ userId: null, userRole: 'admin' }, db),
    cf.insertScaleChunks.run(w.ch, db),
    verificai.insertScaleAnalysisResults.run(w.vr, db),
    verificai.insertScaleAnalysisTasks.run(w.vt, db),
    scraper.insertScaleArtifacts.run(w.ar, db),
    scraper.insertScaleTags.run(w.tg, db),
    scraper.insertScaleExtractions.run(w.ex, db),
  ]);
}

/**
 * Sends every statement of one user's data, acting as that user, without waiting (the
 * pipeline); resolves when the last has run. Adds the user's worker rows to `w`.
 */
function writeUser(db: IDatabaseConnection, ctx: { configKey: Buffer; batch: number; seedValue: string; sessions: boolean; ttlHours: number }, user: SeedUser, w: WorkerRows): Promise<unknown[]> {
  const rng = new Rng(`${ctx.seedValue}|data|${user.index}`);
  const q: Array<Promise<unknown>> = [];
  const userId = user.id;
  q.push(actAs.run({ userId, userRole: 'user' }, db));

  // core
  q.push(core.insertScalePreferences.run({
    userId, theme: rng.pick(['dark', 'light', 'system']), llmModel: rng.pick(['claude-3-sonnet', 'gpt-4o', 'llama-3-70b']),
    llmTemperature: Number(rng.decimal(0, 1.2, 1)), llmMaxTokens: rng.pick([1000, 2000, 4000]), ideType: rng.pick(['vscode', 'jetbrains', 'vim']),
    autoSync: rng.next() < 0.5, notificationsEnabled: rng.next() < 0.8,
  }, db));
  if (ctx.sessions) {
    q.push(core.insertScaleAuthSession.run({
      userId, tokenHash: hashToken(scaleToken(ctx.seedValue, ctx.batch, user.index)), ttlHours: ctx.ttlHours, userAgent: SCALE_USER_AGENT,
    }, db));
  }

  // socrates
  const projectIds = Array.from({ length: SOCRATES_PROJECTS }, () => uuidv7());
  q.push(socrates.insertScaleProjects.run({
    ownerId: userId, ids: projectIds,
    names: projectIds.map(() => rng.pick(PROJECT_NAMES)),
    descriptions: projectIds.map(() => rng.sentences(PROSE, 2)),
    statuses: projectIds.map(() => rng.pick(PROJECT_STATUSES)),
    technologyStacks: projectIds.map(() => json([rng.pick(TECH), rng.pick(TECH), rng.pick(TECH)])),
  }, db));
  const sessionIds = SOCRATES_SESSIONS.map(() => uuidv7());
  q.push(socrates.insertScaleSessions.run({
    ownerId: userId, ids: sessionIds,
    projectIds: sessionIds.map((_, k) => (k < projectIds.length ? projectIds[k]! : '')),
    names: sessionIds.map((_, k) => `Session ${k + 1}: ${rng.pick(QUESTIONS)}`.slice(0, 255)),
    statuses: [...SOCRATES_SESSIONS],
    modes: sessionIds.map(() => rng.pick(['chat', 'question', 'teaching', 'review'])),
    roles: sessionIds.map(() => rng.pick(['Socratic tutor', 'Code reviewer', 'Pair programmer'])),
  }, db));
  const sm = { sessionIds: [] as string[], roles: [] as string[], contents: [] as string[], messageTypes: [] as string[], metadata: [] as string[] };
  SOCRATES_SESSIONS.forEach((status, k) => {
    if (status !== 'ACTIVE') return;
    for (let m = 0; m < SOCRATES_MESSAGES_PER_ACTIVE_SESSION; m++) {
      const fromUser = m % 2 === 0;
      sm.sessionIds.push(sessionIds[k]!);
      sm.roles.push(fromUser ? 'user' : 'assistant');
      sm.contents.push(fromUser ? rng.pick(QUESTIONS) : rng.sentences(PROSE, 3));
      sm.messageTypes.push(fromUser ? rng.pick(['text', 'question', 'code']) : 'response');
      sm.metadata.push(fromUser ? '{}' : json({ tokens: rng.int(40, 400) }));
    }
  });
  q.push(socrates.insertScaleMessages.run({ userId, ...sm }, db));
  q.push(socrates.insertScaleDocuments.run({
    ownerId: userId,
    projectIds: SOCRATES_DOCUMENTS.map((_, k) => projectIds[k % projectIds.length]!),
    filenames: SOCRATES_DOCUMENTS.map((_, k) => `notes-${k + 1}.pdf`),
    filePaths: SOCRATES_DOCUMENTS.map((_, k) => `uploads/socrates/b${ctx.batch}/${user.index}/notes-${k + 1}.pdf`),
    fileTypes: SOCRATES_DOCUMENTS.map(() => 'application/pdf'),
    contentSummaries: SOCRATES_DOCUMENTS.map((s) => (s === 'PROCESSED' ? rng.sentences(PROSE, 2) : '')),
    vectorIds: SOCRATES_DOCUMENTS.map((s) => (s === 'PROCESSED' ? `vec-${uuidv7()}` : '')),
    statuses: [...SOCRATES_DOCUMENTS],
  }, db));

  // componentforge
  const docIds = CF_DOCUMENTS.map(() => uuidv7());
  const embedding = 'text-embedding-3-small';
  q.push(cf.insertScaleDocuments.run({
    userId, ids: docIds,
    titles: docIds.map(() => `${rng.pick(COMPONENTS)} design guidelines`),
    filenames: docIds.map((_, k) => `guidelines-${k + 1}.md`),
    filePaths: docIds.map((_, k) => `uploads/componentforge/b${ctx.batch}/${user.index}/guidelines-${k + 1}.md`),
    contentTypes: docIds.map(() => 'text/markdown'),
    processingStatuses: [...CF_DOCUMENTS],
    extractedTexts: CF_DOCUMENTS.map((s) => (s === 'completed' ? rng.sentences(PROSE, 6) : '')),
    embeddingModels: CF_DOCUMENTS.map((s) => (s === 'completed' ? embedding : '')),
  }, db));
  const ch = w.ch;
  CF_DOCUMENTS.forEach((status, k) => {
    if (status !== 'completed') return;
    for (let c = 0; c < CF_CHUNKS_PER_DOCUMENT; c++) {
      ch.documentIds.push(docIds[k]!);
      ch.chunkIndexes.push(c);
      ch.contents.push(rng.sentences(PROSE, 4));
      ch.vectorIds.push(uuidv7());
      ch.embeddingModels.push(embedding);
      ch.tokenCounts.push(rng.int(60, 120));
    }
  });
  const convIds = CF_CONVERSATIONS.map(() => uuidv7());
  q.push(cf.insertScaleConversations.run({
    userId, ids: convIds,
    titles: convIds.map(() => `${rng.pick(COMPONENTS)} requirements`),
    modelNames: convIds.map(() => rng.pick(CF_MODELS)),
    temperatures: convIds.map(() => Number(rng.decimal(0, 1, 1))),
    statuses: [...CF_CONVERSATIONS],
  }, db));
  const completedDocs = docIds.filter((_, k) => CF_DOCUMENTS[k] === 'completed');
  const cm = { ids: [] as string[], conversationIds: [] as string[], parentMessageIds: [] as string[], roles: [] as string[], contents: [] as string[], promptTokens: [] as number[], completionTokens: [] as number[], contextDocuments: [] as string[] };
  for (const conversationId of convIds) {
    let parent = '';
    for (let m = 0; m < CF_MESSAGES_PER_CONVERSATION; m++) {
      // Two threads per conversation: each message replies to the one before it.
      if (m === CF_MESSAGES_PER_CONVERSATION / 2) parent = '';
      const id = uuidv7();
      const fromUser = m % 2 === 0;
      cm.ids.push(id);
      cm.conversationIds.push(conversationId);
      cm.parentMessageIds.push(parent);
      cm.roles.push(fromUser ? 'user' : 'assistant');
      cm.contents.push(fromUser ? rng.pick(QUESTIONS) : rng.sentences(PROSE, 3));
      cm.promptTokens.push(fromUser ? 0 : rng.int(200, 1200));
      cm.completionTokens.push(fromUser ? 0 : rng.int(50, 600));
      cm.contextDocuments.push(fromUser ? '[]' : json(completedDocs));
      parent = id;
    }
  }
  q.push(cf.insertScaleMessages.run(cm, db));
  q.push(cf.insertScaleRequirementExports.run({
    userId,
    componentTypes: Array.from({ length: CF_EXPORTS }, () => rng.pick(COMPONENTS)),
    requirements: Array.from({ length: CF_EXPORTS }, () => json({
      props: [{ name: 'variant', type: 'string' }, { name: 'disabled', type: 'boolean' }],
      events: ['onClick'], states: ['hover', 'focus', 'disabled'], accessibility: ['role=button', 'aria-pressed'],
    })),
    approvedCounts: Array.from({ length: CF_EXPORTS }, () => rng.int(3, 12)),
    editedCounts: Array.from({ length: CF_EXPORTS }, () => rng.int(0, 4)),
    customAddedCounts: Array.from({ length: CF_EXPORTS }, () => rng.int(0, 3)),
    proposalLatenciesMs: Array.from({ length: CF_EXPORTS }, () => rng.int(800, 6000)),
    usedInPatternRetrieval: Array.from({ length: CF_EXPORTS }, () => rng.next() < 0.5),
    usedInCodeGeneration: Array.from({ length: CF_EXPORTS }, () => rng.next() < 0.3),
  }, db));

  // verificai
  const configIds = VAI_CONFIG_TYPES.map(() => uuidv7());
  q.push(verificai.insertScaleConfigurations.run({
    userId, ids: configIds, configTypes: [...VAI_CONFIG_TYPES],
    promptContents: VAI_CONFIG_TYPES.map((t) => `Review the code for ${t.replace('_', ' ')} issues. ${rng.sentences(PROSE, 1)}`),
  }, db));
  const vaiIds = VAI_SESSIONS.map(() => uuidv7());
  q.push(verificai.insertScaleAnalysisSessions.run({
    userId, ids: vaiIds, sessionNames: vaiIds.map((_, k) => `${rng.pick(PROJECT_NAMES)} review ${k + 1}`),
  }, db));
  const fu = { sessionIds: [] as string[], fileNames: [] as string[], filePaths: [] as string[], fileSizes: [] as string[], fileTypes: [] as string[], uploadStatuses: [] as string[] };
  VAI_SESSIONS.forEach((status, k) => {
    for (let f = 0; f < VAI_FILES_PER_SESSION; f++) {
      const name = `${rng.pick(['models', 'views', 'services', 'utils', 'routes'])}_${f}.py`;
      fu.sessionIds.push(vaiIds[k]!);
      fu.fileNames.push(name);
      fu.filePaths.push(`src/module${f % 4}/${name}`);
      fu.fileSizes.push(String(rng.int(400, 60000)));
      fu.fileTypes.push('text/x-python');
      fu.uploadStatuses.push(status === 'uploading' ? 'uploaded' : 'processed');
    }
  });
  q.push(verificai.insertScaleFileUploads.run(fu, db));
  const vr = w.vr;
  VAI_SESSIONS.forEach((status, k) => {
    if (status === 'uploading') return;
    for (let r = 0; r < VAI_RESULTS_PER_ANALYSED_SESSION; r++) {
      const t = r % VAI_CONFIG_TYPES.length;
      const failed = status === 'failed' && r % 4 === 3;
      vr.sessionIds.push(vaiIds[k]!);
      vr.configurationIds.push(configIds[t]!);
      vr.analysisTypes.push(VAI_CONFIG_TYPES[t]!);
      vr.fileNames.push(fu.fileNames[k * VAI_FILES_PER_SESSION + r]!);
      vr.resultContents.push(failed ? 'The analysis timed out.' : rng.sentences(PROSE, 3));
      vr.scores.push(failed ? '' : rng.decimal(40, 99, 2));
      vr.statuses.push(failed ? 'failed' : 'completed');
    }
  });
  const vt = w.vt;
  const taskTypes = ['file_processing', 'code_analysis', 'report_generation'] as const;
  VAI_SESSIONS.forEach((status, k) => {
    for (let t = 0; t < VAI_TASKS_PER_SESSION; t++) {
      const taskStatus = status === 'uploading' ? 'pending' : status === 'failed' && t === VAI_TASKS_PER_SESSION - 1 ? 'failed' : 'completed';
      vt.sessionIds.push(vaiIds[k]!);
      vt.taskIds.push(`seed-scale-${uuidv7()}`);
      vt.taskTypes.push(taskTypes[t % taskTypes.length]!);
      vt.statuses.push(taskStatus);
      vt.progresses.push(taskStatus === 'failed' ? rng.int(10, 90) : 0);
      vt.errorMessages.push(taskStatus === 'failed' ? 'Worker lost: the analysis exceeded its memory limit' : '');
    }
  });
  // Files are in: the analysed sessions move on to analyzing, then to their final status.
  const analysed = vaiIds.filter((_, k) => VAI_SESSIONS[k] !== 'uploading');
  q.push(verificai.advanceScaleAnalysisSessions.run({ ids: analysed, statuses: analysed.map(() => 'analyzing') }, db));
  q.push(verificai.advanceScaleAnalysisSessions.run({ ids: analysed, statuses: VAI_SESSIONS.filter((s) => s !== 'uploading') }, db));

  // scraper
  const jobIds = SCRAPER_JOBS.map(() => uuidv7());
  const jobTypes = SCRAPER_JOBS.map(() => rng.pick(Object.keys(JOB_TYPES) as Array<keyof typeof JOB_TYPES>));
  const jobKeywords = SCRAPER_JOBS.map(() => [rng.pick(KEYWORDS), rng.pick(KEYWORDS)]);
  q.push(scraper.insertScaleJobs.run({
    userId, ids: jobIds, jobTypes,
    keywords: jobKeywords.map((k) => json(k)),
    expandedKeywords: jobKeywords.map((k) => json(k.map((w) => `${w} india`))),
    statuses: [...SCRAPER_JOBS],
    progresses: SCRAPER_JOBS.map((s) => (s === 'failed' ? 20 : 0)),
    totalItems: SCRAPER_JOBS.map((s) => (s === 'pending' ? 0 : SCRAPER_ARTIFACTS_PER_JOB)),
    completedItems: SCRAPER_JOBS.map((s) => (s === 'completed' ? SCRAPER_ARTIFACTS_PER_JOB : s === 'failed' ? 3 : 0)),
    errorMessages: SCRAPER_JOBS.map((s) => (s === 'failed' ? 'Source refused the crawler (HTTP 403) after 3 pages' : '')),
  }, db));
  const jc = { jobIds: [] as string[], configKeys: [] as string[], configValues: [] as string[] };
  for (const jobId of jobIds) {
    const settings: Array<[string, string]> = [['max_depth', String(rng.int(1, 4))], ['respect_robots_txt', 'true']];
    for (const [key, value] of settings.slice(0, SCRAPER_SETTINGS_PER_JOB)) {
      jc.jobIds.push(jobId);
      jc.configKeys.push(key);
      jc.configValues.push(value);
    }
  }
  q.push(scraper.insertScaleJobConfigurations.run(jc, db));
  const { ar, tg, ex } = w;
  SCRAPER_JOBS.forEach((status, j) => {
    if (status !== 'completed') return;
    const type = JOB_TYPES[jobTypes[j]!];
    const pdf = type !== 'web_page';
    for (let a = 0; a < SCRAPER_ARTIFACTS_PER_JOB; a++) {
      const id = uuidv7();
      const keyword = jobKeywords[j]![a % 2]!;
      const hash = createHash('sha256').update(`${ctx.seedValue}|${user.index}|${j}|${a}`).digest('hex');
      const title = `${keyword.replace(/^./, (c) => c.toUpperCase())}: ${rng.pick(['an overview', 'recent findings', 'policy brief', 'annual report', 'field study'])}`;
      ar.ids.push(id);
      ar.jobIds.push(jobIds[j]!);
      ar.userIds.push(userId);
      ar.artifactTypes.push(type);
      ar.sourceUrls.push(`https://${rng.pick(['example.org', 'data.example.gov', 'papers.example.edu'])}/${hash.slice(0, 12)}`);
      ar.titles.push(title);
      ar.contentHashes.push(hash);
      ar.fileSizes.push(String(rng.int(2_000, 2_000_000)));
      ar.mimeTypes.push(pdf ? 'application/pdf' : 'text/html');
      ar.minioPaths.push(`scraper-artifacts/b${ctx.batch}/${user.index}/${hash}.${pdf ? 'pdf' : 'html'}`);
      ar.isPublic.push(a % 3 === 0);
      // Every tenth artifact is privacy-tagged instead of keyword-tagged.
      const tags: Array<[string, string, string]> = [['type', 'source', type], a % 10 === 9 ? ['privacy', 'pii', 'names of private persons'] : ['keyword', keyword, '']];
      for (const [tagType, tagKey, tagValue] of tags.slice(0, SCRAPER_TAGS_PER_ARTIFACT)) {
        tg.artifactIds.push(id);
        tg.tagTypes.push(tagType);
        tg.tagKeys.push(tagKey);
        tg.tagValues.push(tagValue);
      }
      const extractions: Array<[string, string, string]> = [
        ['text', json({ text: rng.sentences(PROSE, 3) }), rng.decimal(0.7, 1, 2)],
        a % 2 === 0
          ? ['links', json([`https://example.org/${hash.slice(0, 8)}/1`, `https://example.org/${hash.slice(0, 8)}/2`]), rng.decimal(0.6, 1, 2)]
          : ['metadata', json({ language: 'en', pages: rng.int(1, 40), author: `${rng.pick(FIRST)} ${rng.pick(LAST)}` }), rng.decimal(0.6, 1, 2)],
      ];
      for (const [extractionType, data, confidence] of extractions.slice(0, SCRAPER_EXTRACTIONS_PER_ARTIFACT)) {
        ex.artifactIds.push(id);
        ex.extractionTypes.push(extractionType);
        ex.extractedData.push(data);
        ex.confidenceScores.push(confidence);
      }
    }
  });

  // exportsathi
  const pan = `${String.fromCharCode(65 + rng.int(0, 25), 65 + rng.int(0, 25), 65 + rng.int(0, 25))}P${String.fromCharCode(65 + rng.int(0, 25))}${rng.int(1000, 9999)}${String.fromCharCode(65 + rng.int(0, 25))}`;
  const gstin14 = `${String(rng.int(1, 37)).padStart(2, '0')}${pan}1Z`;
  q.push(es.insertScaleProfile.run({
    userId, companyName: `${user.lastName} ${rng.pick(['Agro Exports', 'Handicrafts', 'Textiles', 'Trading Co'])} Pvt Ltd`,
    businessType: rng.pick(['Manufacturing', 'Trading', 'Services', 'Agriculture', 'Handicrafts']),
    companySize: rng.pick(['Micro', 'Small', 'Medium', 'Large']),
    iec: seal(ctx, 'business_profiles.iec', userId, pan),
    gstin: seal(ctx, 'business_profiles.gstin', userId, gstin14 + gstinCheckCharacter(gstin14)),
  }, db));
  const reportIds = ES_REPORTS.map(() => uuidv7());
  const products = ES_REPORTS.map(() => rng.pick(PRODUCTS));
  q.push(es.insertScaleReports.run({
    userId, ids: reportIds,
    productNames: products.map(([name]) => name),
    productDescriptions: products.map(([name]) => `${name}, export grade. ${rng.sentences(PROSE, 1)}`),
    ingredients: products.map(([, , ingredients]) => ingredients),
    hsCodes: products.map(([, hs]) => hs),
    hsCodeConfidences: products.map(() => rng.decimal(0.6, 0.99, 3)),
    destinationCountries: products.map(() => rng.pick(COUNTRIES)),
    statuses: [...ES_REPORTS],
    riskScores: products.map(() => rng.int(5, 85)),
    estimatedCosts: products.map(() => rng.decimal(40000, 400000, 2)),
    timelineDays: products.map(() => rng.int(20, 120)),
    reportData: products.map(([name]) => json({
      summary: `${name} can be exported once the listed certifications are in place.`,
      certifications: CERTIFICATIONS.slice(0, ES_CERTIFICATIONS_PER_REPORT).map(([, n]) => n),
      risks: [{ risk: 'Residue limits differ from the Indian ones', severity: rng.pick(['low', 'medium', 'high']) }],
      restrictedSubstances: [], recommendations: ['Test every lot before shipment'],
      costBreakdown: { certifications: rng.int(20000, 200000), logistics: rng.int(20000, 120000) }, timeline: { weeks: rng.int(3, 16) },
    })),
  }, db));
  const ce = { reportIds: [] as string[], certificationCodes: [] as string[], certificationNames: [] as string[], statuses: [] as string[], documentsCompleted: [] as string[], estimatedCosts: [] as string[], actualCosts: [] as string[] };
  const gd = { reportIds: [] as string[], documentTypes: [] as string[], titles: [] as string[], contents: [] as string[], validationResults: [] as string[], statuses: [] as string[] };
  const pt = { reportIds: [] as string[], dayNumbers: [] as number[], taskIndexes: [] as number[], taskTitles: [] as string[], taskDescriptions: [] as string[], categories: [] as string[], isCompleted: [] as boolean[] };
  const cs = { ids: [] as string[], reportIds: [] as string[], contextData: [] as string[] };
  const msg = { sessionIds: [] as string[], roles: [] as string[], contents: [] as string[], citations: [] as string[] };
  const fa = { reportIds: [] as string[], workingCapitalData: [] as string[], rodtepBenefitData: [] as string[], gstRefundData: [] as string[], analysisNotes: [] as string[] };
  const lg = { reportIds: [] as string[], shippingModes: [] as string[], cargoVolumesCbm: [] as string[], rmsProbabilities: [] as string[], freightEstimates: [] as string[] };
  ES_REPORTS.forEach((status, r) => {
    const reportId = reportIds[r]!;
    const start = rng.int(0, CERTIFICATIONS.length - 1);
    for (let c = 0; c < ES_CERTIFICATIONS_PER_REPORT; c++) {
      const [code, name, estimated] = CERTIFICATIONS[(start + c) % CERTIFICATIONS.length]!;
      const certStatus = CERT_STATUSES[c % CERT_STATUSES.length]!;
      ce.reportIds.push(reportId);
      ce.certificationCodes.push(code);
      ce.certificationNames.push(name);
      ce.statuses.push(certStatus);
      ce.documentsCompleted.push(json(certStatus === 'not_started' ? [] : ['Application form', 'Facility details']));
      ce.estimatedCosts.push(estimated.toFixed(2));
      ce.actualCosts.push(certStatus === 'completed' ? (estimated * 0.85).toFixed(2) : '');
    }
    const docs: Array<[string, string, string]> = [
      ['commercial_invoice', 'validated', json({ isValid: true, errors: [], warnings: ['Add the buyer\'s tax id'] })],
      ['packing_list', 'draft', '{}'],
    ];
    for (const [documentType, docStatus, validation] of docs.slice(0, ES_DOCUMENTS_PER_REPORT)) {
      gd.reportIds.push(reportId);
      gd.documentTypes.push(documentType);
      gd.titles.push(`${documentType.replace('_', ' ')} ${user.index}/${r + 1}`);
      gd.contents.push(`Exporter: ${user.lastName} exports. ${products[r]![0]}. ${rng.sentences(PROSE, 2)}`);
      gd.validationResults.push(validation);
      gd.statuses.push(docStatus);
    }
    PLAN.slice(0, ES_PLAN_TASKS_PER_REPORT).forEach(([title, category], t) => {
      const day = Math.floor(t / 2) + 1;
      pt.reportIds.push(reportId);
      pt.dayNumbers.push(day);
      pt.taskIndexes.push((t % 2) + 1);
      pt.taskTitles.push(title);
      pt.taskDescriptions.push(rng.sentences(PROSE, 1));
      pt.categories.push(category);
      pt.isCompleted.push(status === 'completed' && day <= 2);
    });
    const chatId = uuidv7();
    cs.ids.push(chatId);
    cs.reportIds.push(reportId);
    cs.contextData.push(json({ topic: 'certifications', hsCode: products[r]![1] }));
    for (let m = 0; m < ES_CHAT_MESSAGES_PER_REPORT; m++) {
      const fromUser = m % 2 === 0;
      msg.sessionIds.push(chatId);
      msg.roles.push(fromUser ? 'user' : 'assistant');
      msg.contents.push(fromUser ? rng.pick(['Which certifications do I need?', 'What does RoDTEP pay on this?', 'Should I ship LCL or FCL?']) : rng.sentences(PROSE, 2));
      msg.citations.push(fromUser ? '[]' : json([{ title: 'DGFT: Foreign Trade Policy', url: 'https://www.dgft.gov.in' }]));
    }
    const fob = rng.int(200_000, 5_000_000);
    fa.reportIds.push(reportId);
    fa.workingCapitalData.push(seal(ctx, 'finance_analysis.working_capital_data', reportId, json({ cycleDays: rng.int(45, 120), requiredInr: fob * 2 })));
    fa.rodtepBenefitData.push(seal(ctx, 'finance_analysis.rodtep_benefit_data', reportId, json({ ratePercent: 0.9, fobInr: fob, benefitInr: Math.round(fob * 0.009) })));
    fa.gstRefundData.push(seal(ctx, 'finance_analysis.gst_refund_data', reportId, json({ route: 'LUT', refundInr: 0 })));
    fa.analysisNotes.push('Figures from the exporter\'s last two shipments');
    const fcl = rng.next() < 0.3;
    lg.reportIds.push(reportId);
    lg.shippingModes.push(fcl ? 'FCL' : 'LCL');
    lg.cargoVolumesCbm.push(fcl ? rng.decimal(20, 67, 2) : rng.decimal(1, 15, 2));
    lg.rmsProbabilities.push(rng.decimal(0.05, 0.4, 3));
    lg.freightEstimates.push(rng.decimal(20000, 300000, 2));
  });
  q.push(es.insertScaleCertifications.run(ce, db));
  q.push(es.insertScaleDocuments.run(gd, db));
  q.push(es.insertScalePlanTasks.run(pt, db));
  q.push(es.insertScaleChatSessions.run({ userId, ...cs }, db));
  q.push(es.insertScaleChatMessages.run(msg, db));
  q.push(es.insertScaleFinance.run(fa, db));
  q.push(es.insertScaleLogistics.run(lg, db));
  return Promise.all(q);
}

// ===== Progress =====
/** A progress bar with the rate on a TTY (one line, redrawn), periodic lines otherwise. */
export function progressMeter(total: number, out: ScaleOptions['progress']) {
  const started = performance.now();
  let done = 0;
  let lastDraw = 0;
  const interval = out?.isTTY ? 100 : 5000;
  const draw = (final: boolean) => {
    if (!out) return;
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    const share = total ? done / total : 1;
    const text = `${Math.floor(share * 100)}% ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} rows, ${rate.toLocaleString('en-US')} rows/s, ${seconds.toFixed(1)} s`;
    if (out.isTTY) {
      const width = 30;
      const filled = Math.round(share * width);
      out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K${final ? '\n' : ''}`);
    } else {
      out.write(`db:seed --scale: ${text}\n`);
    }
  };
  return {
    add(rows: number) {
      done += rows;
      const now = performance.now();
      if (now - lastDraw >= interval) {
        lastDraw = now;
        draw(false);
      }
    },
    finish() {
      draw(true);
    },
  };
}

// ===== The run =====
/** A connection in pipeline mode: queries go out as they are made; results come back in order. */
async function connect(services: ScaleServices): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: services.url,
    ...(services.ssl ? { ssl: services.ssl } : {}),
    pipeline: true,
    application_name: SCALE_USER_AGENT,
  });
  // A connection that dies mid-run fails the statement that was waiting on it; the 'error'
  // event must not also crash the process.
  client.on('error', (err) => services.log.warn({ message: err.message }, 'db:seed --scale: database connection failed'));
  await client.connect();
  return client;
}

export async function seedScale(services: ScaleServices, options: ScaleOptions): Promise<ScaleReport> {
  const { users, seedValue, sessions, jobs } = options;
  const chunkSize = options.chunkSize ?? 50;
  const started = performance.now();
  const plan = scalePlan(users, { sessions });
  const perUserRows = (Object.values(scalePlan(1, { sessions })).reduce((a, b) => a + b, 0) - EMBEDDING_MODELS - EVALUATION_RUNS);
  const total = Object.values(plan).reduce((a, b) => a + b, 0);
  const meter = progressMeter(total, options.progress);

  // The password hash is made once (argon2id takes tens of milliseconds by design).
  const passwordHash = await hashPassword(SCALE_PASSWORD);

  const first = await connect(services);
  let batch: number;
  try {
    batch = await asSystem(first, SCALE_USER_AGENT, async () => {
      const db = pgTypedConnection(first, true);
      const [last] = await core.lastScaleBatch.run(undefined, db);
      const next = (last?.lastBatch ?? 0) + 1;
      // The global catalogs, once per run, as the admin the system acts as.
      await cf.insertScaleEmbeddingModels.run({
        names: Array.from({ length: EMBEDDING_MODELS }, (_, k) => `seed-scale-b${next}-embedding-${k + 1}`),
        providers: Array.from({ length: EMBEDDING_MODELS }, (_, k) => ['openai', 'cohere', 'local'][k % 3]!),
        dimensions: Array.from({ length: EMBEDDING_MODELS }, (_, k) => [1536, 1024, 768][k % 3]!),
        maxTokens: Array.from({ length: EMBEDDING_MODELS }, () => 8191),
      }, db);
      const rng = new Rng(`${seedValue}|evaluation`);
      await cf.insertScaleEvaluationRuns.run({
        names: Array.from({ length: EVALUATION_RUNS }, (_, k) => `Scale batch ${next} evaluation ${k + 1}`),
        descriptions: Array.from({ length: EVALUATION_RUNS }, () => rng.sentences(PROSE, 1)),
        modelNames: Array.from({ length: EVALUATION_RUNS }, () => rng.pick(CF_MODELS)),
        datasetNames: Array.from({ length: EVALUATION_RUNS }, () => rng.pick(['component-requirements-v1', 'rag-qa-golden'])),
        configs: Array.from({ length: EVALUATION_RUNS }, () => json({ temperature: 0.2, max_tokens: 1000, test_cases: rng.int(50, 500) })),
        statuses: Array.from({ length: EVALUATION_RUNS }, (_, k) => (k === EVALUATION_RUNS - 1 ? 'running' : 'completed')),
        metrics: Array.from({ length: EVALUATION_RUNS }, (_, k) =>
          k === EVALUATION_RUNS - 1 ? '' : json({ accuracy: Number(rng.decimal(0.7, 0.97, 3)), f1_score: Number(rng.decimal(0.6, 0.95, 3)), avg_latency_ms: rng.int(300, 2500) })),
      }, db);
      return next;
    });
  } finally {
    await first.end();
  }
  meter.add(EMBEDDING_MODELS + EVALUATION_RUNS);

  const ctx = { configKey: services.configKey, batch, seedValue, sessions, ttlHours: services.sessionTtlHours };
  const chunks: Array<[number, number]> = [];
  for (let from = 1; from <= users; from += chunkSize) chunks.push([from, Math.min(users, from + chunkSize - 1)]);
  let nextChunk = 0;
  let written = 0;
  let failure: unknown;

  // Each worker takes the next chunk of users and writes it in one transaction. After a failure
  // the others finish the chunk they hold and stop; what was committed stays (a rerun adds a
  // new batch).
  const worker = async () => {
    let client: pg.Client | undefined;
    try {
      client = await connect(services);
      for (let c = nextChunk++; c < chunks.length && failure === undefined; c = nextChunk++) {
        const [from, to] = chunks[c]!;
        const chunkUsers = Array.from({ length: to - from + 1 }, (_, k) => makeUser(seedValue, batch, from + k));
        await asSystem(client, SCALE_USER_AGENT, async (): Promise<void> => {
          const db = pgTypedConnection(client!, true);
          await core.insertScaleUsers.run({
            passwordHash,
            ids: chunkUsers.map((u) => u.id),
            usernames: chunkUsers.map((u) => u.username),
            emails: chunkUsers.map((u) => u.email),
            fullNames: chunkUsers.map((u) => `${u.firstName} ${u.lastName}`),
            firstNames: chunkUsers.map((u) => u.firstName),
            lastNames: chunkUsers.map((u) => u.lastName),
            bios: chunkUsers.map((u) => `Seeded user ${u.index} of batch ${batch}.`),
            preferences: chunkUsers.map(() => json({ theme: 'dark', language: 'en' })),
          }, db);
          // Every user's statements go out at once, then the workers'; the server runs them in order.
          const w = workerRows();
          const own = chunkUsers.map((u) => writeUser(db, ctx, u, w));
          await Promise.all([...own, writeWorkerRows(db, w)]);
          meter.add(perUserRows * chunkUsers.length);
        });
        written += chunkUsers.length;
      }
    } catch (err) {
      failure ??= err;
    } finally {
      await client?.end();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, chunks.length)) }, worker));
  if (failure !== undefined) {
    const reason = failure instanceof Error ? failure.message : String(failure);
    throw new Error(`db:seed --scale: batch ${batch} stopped after ${written} of ${users} users: ${reason}`, { cause: failure });
  }
  meter.finish();

  const seconds = (performance.now() - started) / 1000;
  return { batch, users, seedValue, tables: plan, rows: total, seconds: Number(seconds.toFixed(2)), rowsPerSecond: Math.round(total / seconds) };
}
