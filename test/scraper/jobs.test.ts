import { describe, expect, it } from 'vitest';
import { useTestApp } from '../support/app.js';
import { codeOf, failure } from '../support/errors.js';
import { rowsAs } from '../support/probe.js';
import { badFields, MISSING_ID, scraperUser, userWithJob, worker } from './helpers.js';

const app = useTestApp();

describe('scraper.jobs', () => {
  it('create: a pending job of the caller with the seed defaults; get and delete', async () => {
    const { user, api } = await scraperUser(app);
    const job = await api.jobs.create({ jobType: 'paper', keywords: ['  graphene ', 'superconductors'], expandedKeywords: ['2D materials'] });
    expect(job).toMatchObject({
      userId: user.id, jobType: 'paper', keywords: ['graphene', 'superconductors'], expandedKeywords: ['2D materials'],
      status: 'pending', progress: 0, totalItems: 0, completedItems: 0, errorMessage: null, startedAt: null, completedAt: null,
      attempts: 0, maxAttempts: 3,
    });
    expect(await api.jobs.get({ id: job.id })).toEqual(job);
    // Others do not see it; an admin does.
    const stranger = (await scraperUser(app)).api;
    expect(await codeOf(stranger.jobs.get({ id: job.id }))).toBe('NOT_FOUND');
    expect(await codeOf(stranger.jobs.delete({ id: job.id }))).toBe('NOT_FOUND');
    expect((await (await worker(app)).api.jobs.get({ id: job.id })).id).toBe(job.id);
    expect(await api.jobs.delete({ id: job.id })).toEqual({ id: job.id });
    expect(await codeOf(api.jobs.get({ id: job.id }))).toBe('NOT_FOUND');
    expect(await codeOf(api.jobs.get({ id: MISSING_ID }))).toBe('NOT_FOUND');
  });

  it('bad input is a field error and writes nothing', async () => {
    const { user, api } = await scraperUser(app);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ jobType: 'ftp', keywords: ['a'] }, 'jobType'],
      [{ jobType: 'web', keywords: [] }, 'keywords'],
      [{ jobType: 'web', keywords: ['   '] }, 'keywords.0'],
      [{ jobType: 'web', keywords: ['x'.repeat(201)] }, 'keywords.0'],
      [{ jobType: 'web', keywords: Array.from({ length: 101 }, (_, i) => `k${i}`) }, 'keywords'],
      [{ jobType: 'web', keywords: ['a'], expandedKeywords: [''] }, 'expandedKeywords.0'],
      [{ jobType: 'web', keywords: ['a'], maxAttempts: 0 }, 'maxAttempts'],
    ];
    for (const [input, field] of cases) {
      const err = await failure(api.jobs.create(input as never));
      expect(err.code, field).toBe('BAD_REQUEST');
      expect(badFields(err), field).toEqual([field]);
    }
    expect((await app.sql(`select count(*)::int as n from scraper.scraping_jobs where user_id = $1`, [user.id])).rows[0]!.n).toBe(0);
  });

  it('every CHECK of scraping_jobs refuses what it names', async () => {
    const { user, job } = await userWithJob(app);
    expect(await app.sqlError(`insert into scraper.scraping_jobs (user_id, job_type, keywords) values ($1, 'ftp', '{a}')`, [user.id])).toEqual({ code: '23514', constraint: 'scraping_jobs_job_type_check' });
    for (const keywords of [`'{}'`, `'{" "}'`, `array[null]::text[]`, `array[repeat('k', 201)]`, `'{{a,b},{c,d}}'`, `(select array_agg(i::text) from generate_series(1, 101) i)`]) {
      expect(await app.sqlError(`insert into scraper.scraping_jobs (user_id, job_type, keywords) values ($1, 'web', ${keywords})`, [user.id]), keywords).toEqual({ code: '23514', constraint: 'scraping_jobs_keywords_valid' });
    }
    for (const expanded of [`'{""}'`, `array[null]::text[]`, `(select array_agg(i::text) from generate_series(1, 501) i)`]) {
      expect(await app.sqlError(`insert into scraper.scraping_jobs (user_id, job_type, keywords, expanded_keywords) values ($1, 'web', '{a}', ${expanded})`, [user.id]), expanded).toEqual({ code: '23514', constraint: 'scraping_jobs_expanded_keywords_valid' });
    }
    // The limits themselves are accepted (100 keywords of 200 characters, 500 expanded, none expanded).
    await app.sql(
      `insert into scraper.scraping_jobs (user_id, job_type, keywords, expanded_keywords)
       values ($1, 'government', (select array_agg(repeat('k', 199) || i % 10) from generate_series(1, 100) i), (select array_agg(i::text) from generate_series(1, 500) i)),
              ($1, 'web', '{a}', '{}')`,
      [user.id],
    );
    // Updates that break the row's own rules (triggers off: the CHECK alone).
    const update = (set: string) => `update scraper.scraping_jobs set ${set} where id = $1`;
    const cases: Array<[string, string]> = [
      [`status = 'paused', started_at = now()`, 'scraping_jobs_status_check'],
      [`progress = 101`, 'scraping_jobs_progress_range'],
      [`progress = -1`, 'scraping_jobs_progress_range'],
      [`total_items = 5, completed_items = 6`, 'scraping_jobs_items_range'],
      [`completed_items = -1`, 'scraping_jobs_items_range'],
      [`status = 'completed', progress = 50, started_at = now(), completed_at = now()`, 'scraping_jobs_completed_full_progress'],
      [`status = 'failed', error_message = '', completed_at = now()`, 'scraping_jobs_error_message_length'],
      [`error_message = 'boom'`, 'scraping_jobs_error_message_when_failed'],
      [`started_at = now()`, 'scraping_jobs_started_at_by_status'],
      [`status = 'completed', progress = 100, completed_at = now()`, 'scraping_jobs_started_at_by_status'],
      [`completed_at = now()`, 'scraping_jobs_completed_at_when_finished'],
      [`status = 'failed', error_message = 'x', started_at = now(), completed_at = now() - interval '1 hour'`, 'scraping_jobs_completed_after_started'],
      [`attempts = -1`, 'scraping_jobs_attempts_nonnegative'],
      [`max_attempts = 0`, 'scraping_jobs_max_attempts_range'],
      [`max_attempts = 101`, 'scraping_jobs_max_attempts_range'],
      [`status = 'running', started_at = now(), attempts = 1, locked_by = '', lease_token = gen_random_uuid(), lease_expires_at = now(), heartbeat_at = now()`, 'scraping_jobs_locked_by_length'],
      [`last_error = ''`, 'scraping_jobs_last_error_length'],
      [`status = 'running', started_at = now(), attempts = 1, locked_by = 'w'`, 'scraping_jobs_lease_when_running'],
      [`lease_token = gen_random_uuid()`, 'scraping_jobs_lease_when_running'],
      [`status = 'running', started_at = now(), locked_by = 'w', lease_token = gen_random_uuid(), lease_expires_at = now(), heartbeat_at = now()`, 'scraping_jobs_attempt_counted'],
    ];
    for (const [set, constraint] of cases) {
      expect(await app.sqlError(update(set), [job.id], { triggers: false }), set).toEqual({ code: '23514', constraint });
    }
    // A job cancelled while pending never started: failed without started_at is fine.
    await app.sqlAsAdmin(update(`status = 'failed', error_message = 'cancelled', completed_at = now()`), [job.id]);
  });

  it('status moves only pending -> running -> completed | failed, running -> pending (reclaim), pending -> failed (cancel)', async () => {
    const { job } = await userWithJob(app);
    const set = (to: string) =>
      app.sqlError(`update scraper.scraping_jobs set status = '${to}' where id = $1`, [job.id]);
    expect(await set('completed')).toEqual({ code: '23514', constraint: undefined });
    const completed = (await userWithJob(app)).job;
    await app.sqlAsAdmin(`update scraper.scraping_jobs set status = 'running', started_at = now(), attempts = 1, locked_by = 'w', lease_token = gen_random_uuid(), lease_expires_at = now() + interval '1 minute', heartbeat_at = now() where id = $1`, [completed.id]);
    await app.sqlAsAdmin(`update scraper.scraping_jobs set status = 'completed', progress = 100, completed_at = now(), locked_by = null, lease_token = null, lease_expires_at = null, heartbeat_at = null where id = $1`, [completed.id]);
    for (const to of ['running', 'pending', 'failed']) {
      expect(await app.sqlError(`update scraper.scraping_jobs set status = '${to}' where id = $1`, [completed.id]), to).toEqual({ code: '23514', constraint: undefined });
    }
  });

  it('list: the caller\'s jobs newest first, by status, type or keyword, keyset pages; one filter at a time', async () => {
    const { user, api } = await scraperUser(app);
    const a = await api.jobs.create({ jobType: 'web', keywords: ['climate', 'policy'] });
    const b = await api.jobs.create({ jobType: 'paper', keywords: ['climate'] });
    const c = await api.jobs.create({ jobType: 'government', keywords: ['tax'] });
    await api.jobs.cancel({ id: c.id });
    const ids = async (input: Record<string, unknown>) => (await api.jobs.list(input)).items.map((j) => j.id);
    expect(await ids({})).toEqual([c.id, b.id, a.id]);
    expect(await ids({ status: 'pending' })).toEqual([b.id, a.id]);
    expect(await ids({ status: 'failed' })).toEqual([c.id]);
    expect(await ids({ jobType: 'paper' })).toEqual([b.id]);
    expect(await ids({ keyword: 'climate' })).toEqual([b.id, a.id]);
    expect(await ids({ keyword: 'policy' })).toEqual([a.id]);
    expect(await ids({ keyword: 'nothing' })).toEqual([]);
    const first = await api.jobs.list({ limit: 2 });
    expect(first.items.map((j) => j.id)).toEqual([c.id, b.id]);
    expect((await api.jobs.list({ limit: 2, cursor: first.nextCursor! })).items.map((j) => j.id)).toEqual([a.id]);
    expect(badFields(await failure(api.jobs.list({ status: 'pending', keyword: 'climate' })))).toEqual(['status']);
    expect(await codeOf(api.jobs.list({ cursor: 'not-a-cursor' }))).toBe('BAD_REQUEST');
    // Another user's jobs: only an admin may ask.
    const stranger = (await scraperUser(app)).api;
    expect(await codeOf(stranger.jobs.list({ userId: user.id }))).toBe('FORBIDDEN');
    expect((await stranger.jobs.list({})).items).toEqual([]);
    const admin = (await worker(app)).api;
    expect((await admin.jobs.list({ userId: user.id, keyword: 'climate' })).items.map((j) => j.id)).toEqual([b.id, a.id]);
  });

  it('cancel: a pending or running job of the caller becomes failed; a finished one is BAD_REQUEST; owners can do nothing else to a job', async () => {
    const { user, api, job } = await userWithJob(app);
    const cancelled = await api.jobs.cancel({ id: job.id });
    expect(cancelled).toMatchObject({ status: 'failed', errorMessage: 'cancelled by its owner', startedAt: null });
    expect(cancelled.completedAt).toBeInstanceOf(Date);
    expect(await failure(api.jobs.cancel({ id: job.id }))).toMatchObject({ code: 'BAD_REQUEST', message: 'status: the job is already failed and cannot be cancelled' });
    expect(await codeOf((await scraperUser(app)).api.jobs.cancel({ id: job.id }))).toBe('NOT_FOUND');
    // The update policy lets an owner only cancel: faking progress or a completion is refused.
    const other = await api.jobs.create({ jobType: 'web', keywords: ['x'] });
    const probe = app.probe({ token: user.token });
    expect(await codeOf(probe.sql([{ text: `update scraper.scraping_jobs set total_items = 10, completed_items = 10, progress = 100 where id = $1`, values: [other.id] }]))).toBe('FORBIDDEN');
    // What was asked for stays as created (column grants).
    expect(await codeOf(probe.sql([{ text: `update scraper.scraping_jobs set status = 'failed', error_message = 'x', completed_at = now(), keywords = '{y}' where id = $1`, values: [other.id] }]))).toBe('FORBIDDEN');
    expect((await api.jobs.get({ id: other.id })).status).toBe('pending');
    // A job is created only for its caller.
    expect(await codeOf(probe.sql([{ text: `insert into scraper.scraping_jobs (user_id, job_type, keywords) values ($1, 'web', '{x}')`, values: [(await app.newUser()).id] }]))).toBe('FORBIDDEN');
    expect(await rowsAs(probe, `select id from scraper.scraping_jobs where id = $1`, [other.id])).toEqual([{ id: other.id }]);
  });

  it('configure: settings unique per job and key, set replaces, get in key order, only for the owner', async () => {
    const { user, api, job } = await userWithJob(app);
    await api.jobs.configure.set({ jobId: job.id, configKey: 'max_depth', configValue: '3' });
    await api.jobs.configure.set({ jobId: job.id, configKey: 'crawl.delay_ms', configValue: '500' });
    const replaced = await api.jobs.configure.set({ jobId: job.id, configKey: 'max_depth', configValue: '5' });
    expect(replaced.configValue).toBe('5');
    expect((await api.jobs.configure.get({ jobId: job.id })).map((c) => [c.configKey, c.configValue])).toEqual([['crawl.delay_ms', '500'], ['max_depth', '5']]);
    expect(badFields(await failure(api.jobs.configure.set({ jobId: job.id, configKey: 'Bad Key', configValue: 'x' })))).toEqual(['configKey']);
    expect(badFields(await failure(api.jobs.configure.set({ jobId: job.id, configKey: 'k', configValue: 'x'.repeat(10_001) })))).toEqual(['configValue']);
    const stranger = (await scraperUser(app)).api;
    expect(await codeOf(stranger.jobs.configure.set({ jobId: job.id, configKey: 'max_depth', configValue: '99' }))).toBe('FORBIDDEN');
    expect(await codeOf(stranger.jobs.configure.get({ jobId: job.id }))).toBe('NOT_FOUND');
    expect(await failure(api.jobs.configure.set({ jobId: MISSING_ID, configKey: 'k', configValue: 'v' }))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await api.jobs.configure.unset({ jobId: job.id, configKey: 'max_depth' })).toMatchObject({});
    expect(await codeOf(api.jobs.configure.unset({ jobId: job.id, configKey: 'max_depth' }))).toBe('NOT_FOUND');
    // The unique key and CHECKs, whoever writes.
    expect(await app.sqlError(`insert into scraper.job_configurations (job_id, config_key) values ($1, 'crawl.delay_ms')`, [job.id])).toEqual({ code: '23505', constraint: 'job_configurations_job_key_key' });
    expect(await app.sqlError(`insert into scraper.job_configurations (job_id, config_key) values ($1, '9lives')`, [job.id])).toEqual({ code: '23514', constraint: 'job_configurations_config_key_format' });
    expect(await app.sqlError(`insert into scraper.job_configurations (job_id, config_key, config_value) values ($1, 'k', repeat('v', 10001))`, [job.id])).toEqual({ code: '23514', constraint: 'job_configurations_config_value_length' });
    // Deleting the job takes its settings (cascade); deleting the user takes the jobs.
    await api.jobs.delete({ id: job.id });
    expect((await app.sql(`select count(*)::int as n from scraper.job_configurations where job_id = $1`, [job.id])).rows[0]!.n).toBe(0);
    const second = await api.jobs.create({ jobType: 'web', keywords: ['x'] });
    await app.sqlAsAdmin(`delete from core.users where id = $1`, [user.id]);
    expect((await app.sql(`select count(*)::int as n from scraper.scraping_jobs where id = $1`, [second.id])).rows[0]!.n).toBe(0);
  });
});
