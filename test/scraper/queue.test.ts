import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../support/app.js';
import { codeOf, failure } from '../support/errors.js';
import { badFields, userWithJob, worker } from './helpers.js';

// Its own file, so its own database: the queue holds only what these tests put in it.
const app = useTestApp();

/** Ends a job's lease as a worker's death would: time passes, no heartbeat comes. */
async function expire(id: string): Promise<void> {
  await app.sql(`update scraper.scraping_jobs set lease_expires_at = now() - interval '1 second' where id = $1`, [id]);
}

/** A user's pending job and a worker; each test leaves nothing claimable behind. */
async function queued(maxAttempts?: number) {
  const { api, job, user } = await userWithJob(app);
  const queuedJob = maxAttempts ? await api.jobs.create({ jobType: 'paper', keywords: ['q'], maxAttempts }) : job;
  if (maxAttempts) await api.jobs.delete({ id: job.id });
  const { api: workerApi } = await worker(app);
  return { owner: api, user, job: queuedJob, worker: workerApi.jobs };
}

describe('the scraping job queue', () => {
  it('only admins (the workers) run the queue', async () => {
    const { owner, job, worker: jobs } = await queued();
    for (const call of [
      () => owner.jobs.claim({ workerId: 'w' }),
      () => owner.jobs.reclaimStale(),
      () => owner.jobs.heartbeat({ id: job.id, leaseToken: job.id }),
      () => owner.jobs.progress({ id: job.id, leaseToken: job.id, itemsDone: 1 }),
      () => owner.jobs.complete({ id: job.id, leaseToken: job.id }),
      () => owner.jobs.fail({ id: job.id, leaseToken: job.id, error: 'x' }),
    ]) {
      expect(await codeOf(call())).toBe('FORBIDDEN');
    }
    const [claimed] = await jobs.claim({ workerId: 'drain' });
    await jobs.complete({ id: claimed!.id, leaseToken: claimed!.leaseToken });
  });

  it('8 concurrent workers claim 1,000 jobs, each exactly once, oldest first within each claim', async () => {
    const { user } = await userWithJob(app);
    await app.sql(`delete from scraper.scraping_jobs where user_id = $1`, [user.id]);
    await app.sql(`insert into scraper.scraping_jobs (user_id, job_type, keywords) select $1, 'web', array['k' || i] from generate_series(1, 1000) i`, [user.id]);
    const { rows: created } = await app.sql<{ id: string }>(`select id from scraper.scraping_jobs where user_id = $1 order by id`, [user.id]);
    const order = new Map(created.map((row, i) => [row.id, i]));
    const admins = await Promise.all(Array.from({ length: 8 }, () => app.newAdmin()));
    const claims = await Promise.all(
      admins.map(async (admin) => {
        const api = app.caller({ token: admin.token }).scraper.jobs;
        const mine: string[] = [];
        for (;;) {
          const batch = await api.claim({ limit: 10, workerId: admin.username });
          if (!batch.length) return mine;
          expect(batch.every((j) => j.status === 'running' && j.lockedBy === admin.username && j.attempts === 1 && j.startedAt instanceof Date)).toBe(true);
          mine.push(...batch.map((j) => j.id));
        }
      }),
    );
    const all = claims.flat();
    expect(all).toHaveLength(1000);
    expect(new Set(all).size).toBe(1000);
    expect(claims.filter((c) => c.length > 0).length).toBeGreaterThan(1);
    for (const mine of claims) {
      const positions = mine.map((id) => order.get(id)!);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    }
    const { rows } = await app.sql(
      `select status, count(*)::int as n, count(distinct lease_token)::int as tokens from scraper.scraping_jobs where user_id = $1 group by 1`,
      [user.id],
    );
    expect(rows).toEqual([{ status: 'running', n: 1000, tokens: 1000 }]);
    await app.sql(`delete from scraper.scraping_jobs where user_id = $1`, [user.id]);
  });

  it('a claim skips jobs another worker holds locked instead of waiting for them', async () => {
    const { job, worker: api } = await queued();
    const holder = new pg.Client({ connectionString: app.superUrl });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(`select id from scraper.scraping_jobs where id = $1 for update`, [job.id]);
      const claim = api.claim({ workerId: 'w' });
      const waited = new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), 3000));
      expect(await Promise.race([claim, waited])).toEqual([]);
      await holder.query('rollback');
    } finally {
      await holder.end();
    }
    const [claimed] = await api.claim({ workerId: 'w' });
    expect(claimed!.id).toBe(job.id);
    await api.complete({ id: job.id, leaseToken: claimed!.leaseToken });
  });

  it('progress adds items atomically, derives the percentage, refuses more done than total; complete sets 100', async () => {
    const { job, worker: api, owner } = await queued();
    const [claimed] = await api.claim({ workerId: 'steady', leaseSeconds: 60 });
    expect(claimed!.leaseExpiresAt.getTime() - claimed!.heartbeatAt.getTime()).toBe(60_000);
    const lease = { id: job.id, leaseToken: claimed!.leaseToken };
    expect(await api.progress({ ...lease, itemsDone: 0, totalItems: 200 })).toMatchObject({ totalItems: 200, completedItems: 0, progress: 0 });
    // 20 concurrent reports of 5 items each: none lost.
    await Promise.all(Array.from({ length: 20 }, () => api.progress({ ...lease, itemsDone: 5 })));
    expect(await owner.jobs.get({ id: job.id })).toMatchObject({ completedItems: 100, progress: 50 });
    const over = await failure(api.progress({ ...lease, itemsDone: 101 }));
    expect(over).toMatchObject({ code: 'BAD_REQUEST', message: 'completed_items must be between 0 and total_items' });
    expect(badFields(await failure(api.progress({ ...lease, itemsDone: -1 })))).toEqual(['itemsDone']);
    expect((await api.progress({ ...lease, itemsDone: 99 })).progress).toBe(99);
    const done = await api.complete(lease);
    expect(done).toMatchObject({ status: 'completed', progress: 100, completedItems: 199, attempts: 1, lockedBy: null, leaseExpiresAt: null });
    expect(done.completedAt!.getTime()).toBeGreaterThanOrEqual(done.startedAt!.getTime());
    expect(await codeOf(api.heartbeat(lease))).toBe('CONFLICT');
    expect(await codeOf(owner.jobs.cancel({ id: job.id }))).toBe('BAD_REQUEST');
  });

  it('a crashed worker\'s job goes back to pending (attempt counted, why kept) and the next worker gets it', async () => {
    const { job, worker: api } = await queued();
    const [claimed] = await api.claim({ workerId: 'host-a:41' });
    await api.heartbeat({ id: job.id, leaseToken: claimed!.leaseToken });
    expect(await api.reclaimStale()).toEqual([]);
    await expire(job.id);
    const [reclaimed] = await api.reclaimStale();
    expect(reclaimed).toMatchObject({ id: job.id, status: 'pending', attempts: 1, errorMessage: null });
    expect(reclaimed!.lastError).toMatch(/^attempt 1: worker host-a:41 sent its last heartbeat at .* and its lease expired$/);
    const { rows } = await app.sql(`select started_at, completed_at, locked_by, lease_token from scraper.scraping_jobs where id = $1`, [job.id]);
    expect(rows[0]).toEqual({ started_at: null, completed_at: null, locked_by: null, lease_token: null });
    // The stale worker's token is worth nothing now.
    const stale = { id: job.id, leaseToken: claimed!.leaseToken };
    for (const call of [() => api.heartbeat(stale), () => api.progress({ ...stale, itemsDone: 1 }), () => api.complete(stale), () => api.fail({ ...stale, error: 'x' })]) {
      expect(await codeOf(call())).toBe('CONFLICT');
    }
    // The next claim reclaims on its own too.
    const [again] = await api.claim({ workerId: 'host-b:7' });
    expect(again).toMatchObject({ id: job.id, attempts: 2, lockedBy: 'host-b:7', lastError: reclaimed!.lastError });
    await expire(job.id);
    const [third] = await api.claim({ workerId: 'host-c:1' });
    expect(third).toMatchObject({ id: job.id, attempts: 3 });
    const failed = await api.fail({ id: job.id, leaseToken: third!.leaseToken, error: 'robots.txt forbids it' });
    expect(failed).toMatchObject({ status: 'failed', errorMessage: 'robots.txt forbids it', lastError: 'robots.txt forbids it' });
  });

  it('after max_attempts expired leases the job fails, its error kept', async () => {
    const { job, worker: api, owner } = await queued(2);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const [claimed] = await api.claim({ workerId: `crashy-${attempt}` });
      expect(claimed).toMatchObject({ id: job.id, attempts: attempt });
      await expire(job.id);
    }
    const [failed] = await api.reclaimStale({ limit: 10 });
    expect(failed).toMatchObject({ id: job.id, status: 'failed', attempts: 2 });
    expect(failed!.errorMessage).toMatch(/^attempt 2: worker crashy-2 /);
    const listed = await owner.jobs.get({ id: job.id });
    expect(listed).toMatchObject({ status: 'failed', errorMessage: failed!.errorMessage });
    expect(listed.completedAt).toBeInstanceOf(Date);
    expect(await api.claim({ workerId: 'late' })).toEqual([]);
  });

  it('an owner may cancel a running job: its lease ends and the worker gets CONFLICT', async () => {
    const { job, worker: api, owner } = await queued();
    const [claimed] = await api.claim({ workerId: 'w' });
    expect(await owner.jobs.cancel({ id: job.id })).toMatchObject({ status: 'failed', lockedBy: null, leaseExpiresAt: null });
    expect(await codeOf(api.progress({ id: job.id, leaseToken: claimed!.leaseToken, itemsDone: 1 }))).toBe('CONFLICT');
  });
});
