/**
 * VerificAI's workspace (seed 000), written through the procedures: the test user's security
 * prompt in two versions, a finished analysis session ("Payment service audit": six files
 * processed or failed, results from both prompt versions, its tasks completed or failed) and a
 * session still analyzing (one task running under a lease, one pending). The analysis worker
 * is an admin registered without a username, as seed 000's users are. Each session is looked
 * up by name first, so a second run adds nothing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { hashPassword } from '../auth/passwords.js';
import { promoteToAdmin } from '../auth/promote.js';
import { lease } from '../db/pool.js';
import type { Caller, SeedContext } from './context.js';
import type { AppSeed } from './index.js';

type Api = Caller['verificai'];

/** The analysis worker: seed 000's user fields (email, full name, role), no username. */
export const SEED_WORKER = { email: 'verificai-worker@example.com', fullName: 'VerificAI analysis worker' };

export const SECURITY_PROMPTS = [
  'Review the code for security vulnerabilities: injection, broken authentication, secrets in source. Report each with file, line and severity.',
  'Review the code for security vulnerabilities (OWASP Top 10): injection, broken authentication, secrets in source, unsafe deserialization. Report each with file, line, severity and a fix, and score the file from 0 to 100.',
];

export const FINISHED_SESSION = 'Payment service audit';
export const RUNNING_SESSION = 'Checkout service review';

export const AUDIT_FILES = [
  { fileName: 'app.py', filePath: '/uploads/payment-service/app.py', fileSize: 4_812, fileType: 'text/x-python' },
  { fileName: 'models.py', filePath: '/uploads/payment-service/models.py', fileSize: 7_240, fileType: 'text/x-python' },
  { fileName: 'payments.py', filePath: '/uploads/payment-service/payments.py', fileSize: 12_903, fileType: 'text/x-python' },
  { fileName: 'auth.py', filePath: '/uploads/payment-service/auth.py', fileSize: 3_377, fileType: 'text/x-python' },
  { fileName: 'settings.py', filePath: '/uploads/payment-service/settings.py', fileSize: 1_508, fileType: 'text/x-python' },
  { fileName: 'legacy.pyc', filePath: '/uploads/payment-service/legacy.pyc', fileSize: 9_116, fileType: 'application/x-python-code' },
];

/** Results per prompt version: [file, score, finding]. */
const FINDINGS: Array<Array<[string, string, string]>> = [
  [
    ['payments.py', '62.50', 'SQL built with string formatting in refund lookup (payments.py:88): injection risk. Severity high.'],
    ['auth.py', '71.00', 'Password reset tokens compared with == (auth.py:41): timing attack. Severity medium.'],
    ['settings.py', '45.25', 'SECRET_KEY committed in source (settings.py:12). Severity high.'],
  ],
  [
    ['payments.py', '68.75', 'Refund lookup interpolates the order id into SQL (payments.py:88); use a bound parameter. Severity high.'],
    ['auth.py', '80.00', 'Reset tokens compared with == (auth.py:41); use hmac.compare_digest. Severity medium.'],
    ['settings.py', '52.50', 'SECRET_KEY in source (settings.py:12); read it from the environment. Severity high.'],
    ['models.py', '91.25', 'pickle.loads on a cached column (models.py:130) only for trusted data; document it. Severity low.'],
  ],
];

type Page<T> = { items: T[]; nextCursor: string | null };

async function findInPages<T>(list: (cursor: string | undefined) => Promise<Page<T>>, match: (item: T) => boolean): Promise<T | undefined> {
  let cursor: string | undefined;
  do {
    const { items, nextCursor } = await list(cursor);
    const found = items.find(match);
    if (found) return found;
    cursor = nextCursor ?? undefined;
  } while (cursor);
  return undefined;
}

/**
 * The worker admin, registered (without a username) the first time and logged in. Its password
 * is random and replaced on every run, so no known admin credential is left behind; the seed
 * logs it out at the end.
 */
async function seedWorker(ctx: SeedContext): Promise<string> {
  const password = `${randomBytes(24).toString('base64url')}-Aa1`;
  const anonymous = ctx.as();
  try {
    await anonymous.auth.register({ ...SEED_WORKER, password });
  } catch (err) {
    if (!(err instanceof TRPCError) || err.code !== 'CONFLICT') throw err;
  }
  const leased = await lease(ctx.services.pool, ctx.services.log);
  try {
    const id = await promoteToAdmin(leased.client, SEED_WORKER.email, { passwordHash: await hashPassword(password), userAgent: 'db:seed' });
    if (!id) throw new Error(`db:seed: no user ${SEED_WORKER.email} to promote`);
  } finally {
    leased.release();
  }
  return (await anonymous.auth.login({ email: SEED_WORKER.email, password })).token;
}

/** The two versions of the test user's security prompt (the second the default), created when missing. */
async function securityPrompts(api: Api, created: Record<string, number>): Promise<[string, string]> {
  const versions = (await api.configurations.history({ configType: 'security', limit: 200 })).items;
  let v1 = versions.find((c) => c.version === 1);
  if (!v1) {
    v1 = await api.configurations.create({ configType: 'security', promptContent: SECURITY_PROMPTS[0]! });
    created.configurations! += 1;
  }
  let v2 = versions.find((c) => c.version === 2);
  if (!v2) {
    v2 = await api.configurations.newVersion({ id: v1.id, promptContent: SECURITY_PROMPTS[1]!, isDefault: true });
    created.configurations! += 1;
  }
  return [v1.id, v2.id];
}

/** Claims the session's next pending task as the worker (only this session's: the queue may hold real work). */
async function claimOne(worker: Api, sessionId: string, leaseSeconds?: number) {
  const [task] = await worker.tasks.claim({ workerId: 'db:seed worker', analysisSessionId: sessionId, limit: 1, leaseSeconds });
  if (!task) throw new Error(`db:seed: no pending task in analysis session ${sessionId}`);
  return task;
}

async function finishedSession(api: Api, worker: Api, prompts: [string, string], created: Record<string, number>): Promise<void> {
  const session = await api.sessions.create({ sessionName: FINISHED_SESSION });
  created.sessions! += 1;
  await api.sessions.setStatus({ id: session.id, status: 'uploading' });
  created.files! += (await api.files.registerMany({ analysisSessionId: session.id, files: AUDIT_FILES })).inserted;
  await api.sessions.setStatus({ id: session.id, status: 'analyzing' });

  for (const taskType of ['file_processing', 'code_analysis', 'code_analysis', 'report_generation'] as const) {
    await api.tasks.enqueue({ analysisSessionId: session.id, taskId: randomUUID(), taskType });
    created.tasks! += 1;
  }
  const files = (await api.files.list({ analysisSessionId: session.id, limit: 200 })).items;
  const byName = (name: string) => files.find((f) => f.fileName === name)!.id;
  const python = files.filter((f) => f.fileType === 'text/x-python').map((f) => f.id);

  // file_processing: the Python files are processed, the compiled one is refused.
  let task = await claimOne(worker, session.id);
  await worker.files.setStatus({ analysisSessionId: session.id, ids: python, uploadStatus: 'processing' });
  await worker.tasks.progress({ id: task.id, leaseToken: task.leaseToken, progress: 50 });
  await worker.files.setStatus({ analysisSessionId: session.id, ids: python, uploadStatus: 'processed' });
  await worker.files.setStatus({ analysisSessionId: session.id, ids: [byName('legacy.pyc')], uploadStatus: 'failed' });
  await worker.tasks.complete({ id: task.id, leaseToken: task.leaseToken });

  // code_analysis with each prompt version: the first run's results, then the edited prompt's.
  for (const [i, configurationId] of prompts.entries()) {
    task = await claimOne(worker, session.id);
    const results = FINDINGS[i]!.map(([fileName, score, resultContent]) => ({
      analysisType: 'security' as const,
      configurationId,
      fileName,
      score,
      resultContent,
    }));
    created.results! += (await worker.results.recordMany({ analysisSessionId: session.id, results })).inserted;
    await worker.tasks.progress({ id: task.id, leaseToken: task.leaseToken, progress: 100 });
    await worker.tasks.complete({ id: task.id, leaseToken: task.leaseToken });
  }
  // A code-quality pass without a stored prompt.
  created.results! += (
    await worker.results.recordMany({
      analysisSessionId: session.id,
      results: [
        { analysisType: 'code_quality', fileName: 'payments.py', score: '74.00', resultContent: 'refund() is 140 lines with cyclomatic complexity 23; split it.' },
        { analysisType: 'code_quality', fileName: 'legacy.pyc', status: 'failed', resultContent: 'Compiled bytecode cannot be analysed.' },
      ],
    })
  ).inserted;

  // report_generation fails: the report template is missing.
  task = await claimOne(worker, session.id);
  await worker.tasks.progress({ id: task.id, leaseToken: task.leaseToken, progress: 20 });
  await worker.tasks.fail({ id: task.id, leaseToken: task.leaseToken, error: 'report template "security-summary.html" not found' });

  await api.sessions.setStatus({ id: session.id, status: 'completed' });
}

async function runningSession(api: Api, worker: Api, created: Record<string, number>): Promise<void> {
  const session = await api.sessions.create({ sessionName: RUNNING_SESSION });
  created.sessions! += 1;
  await api.sessions.setStatus({ id: session.id, status: 'uploading' });
  const files = [
    { fileName: 'cart.ts', filePath: '/uploads/checkout-service/src/cart.ts', fileSize: 6_204, fileType: 'text/typescript' },
    { fileName: 'checkout.ts', filePath: '/uploads/checkout-service/src/checkout.ts', fileSize: 9_871, fileType: 'text/typescript' },
    { fileName: 'stripe.ts', filePath: '/uploads/checkout-service/src/stripe.ts', fileSize: 3_015, fileType: 'text/typescript' },
  ];
  created.files! += (await api.files.registerMany({ analysisSessionId: session.id, files })).inserted;
  await api.sessions.setStatus({ id: session.id, status: 'analyzing' });
  await api.tasks.enqueue({ analysisSessionId: session.id, taskId: randomUUID(), taskType: 'code_analysis' });
  await api.tasks.enqueue({ analysisSessionId: session.id, taskId: randomUUID(), taskType: 'report_generation' });
  created.tasks! += 2;
  // The analysis is under way: running under a day-long lease (then reclaimed like any
  // stalled task); the report waits, pending.
  const task = await claimOne(worker, session.id, 86_400);
  await worker.tasks.progress({ id: task.id, leaseToken: task.leaseToken, progress: 35 });
}

export const seedVerificai: AppSeed = async (ctx, { testUser }) => {
  const created = { sessions: 0, configurations: 0, files: 0, results: 0, tasks: 0 };
  // The seed's records belong to the test user, the first user db:seed makes.
  const api = ctx.as(testUser.token).verificai;
  const prompts = await securityPrompts(api, created);
  const finished = await findInPages((cursor) => api.sessions.list({ cursor }), (s) => s.sessionName === FINISHED_SESSION);
  const running = await findInPages((cursor) => api.sessions.list({ cursor }), (s) => s.sessionName === RUNNING_SESSION);
  if (finished && running) return created;

  const token = await seedWorker(ctx);
  try {
    const worker = ctx.as(token).verificai;
    if (!finished) await finishedSession(api, worker, prompts, created);
    if (!running) await runningSession(api, worker, created);
  } finally {
    await ctx.as(token).auth.logout();
  }
  return created;
};
