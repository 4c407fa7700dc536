import { describe, expect, it } from 'vitest';
import { RateLimited } from '../../src/server/rate-limit.js';
import { useTestApp } from '../support/app.js';
import { codeOf, failure } from '../support/errors.js';
import { rowsAs } from '../support/probe.js';
import { artifact, scraperUser, userWithJob, worker } from './helpers.js';

const app = useTestApp();

/** Sets a Scraper limit in core.system_configurations, as an admin would with config.set. */
async function setLimit(key: string, value: number, options: { sensitive?: boolean } = {}) {
  const admin = app.caller({ token: (await app.newAdmin()).token });
  await admin.config.set({ key, type: 'integer', value, isSensitive: options.sensitive ?? false });
}

/** Requests a user has made to an endpoint, over all windows (independent of where a window ends). */
async function counted(userId: string, endpoint: string): Promise<number> {
  const { rows } = await app.sql<{ n: number }>(
    `select coalesce(sum(request_count), 0)::int as n from core.api_rate_limits where user_id = $1 and endpoint = $2 and subject = 'user:' || $1`,
    [userId, endpoint],
  );
  return rows[0]!.n;
}

describe('per-user rate limits (core.api_rate_limits, limits from core.system_configurations)', () => {
  it('jobs.create and artifacts.ingestMany count per user (not per token) and refuse past the configured limit with retryAfterSeconds', async () => {
    const { user, api, job } = await userWithJob(app);
    expect(await counted(user.id, 'scraper.jobs.create')).toBe(1);
    // A second session of the same user shares the counter.
    const { token } = await app.caller().auth.login({ email: user.email, password: 'Correct-Horse-42' });
    await app.caller({ token }).scraper.jobs.create({ jobType: 'web', keywords: ['again'] });
    expect(await counted(user.id, 'scraper.jobs.create')).toBe(2);
    await api.artifacts.ingestMany({ jobId: job.id, artifacts: [artifact('counted')] });
    expect(await counted(user.id, 'scraper.artifacts.ingestMany')).toBe(1);

    await setLimit('scraper.rate_limit.jobs_create_per_minute', 0);
    await setLimit('scraper.rate_limit.ingest_per_minute', 0);
    const refused = await failure(api.jobs.create({ jobType: 'web', keywords: ['one too many'] }));
    expect(refused.code).toBe('TOO_MANY_REQUESTS');
    expect(refused.cause).toBeInstanceOf(RateLimited);
    const seconds = (refused.cause as RateLimited).retryAfterSeconds;
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(60);
    expect(await codeOf(api.artifacts.ingestMany({ jobId: job.id, artifacts: [artifact('refused')] }))).toBe('TOO_MANY_REQUESTS');
    // A refused request counts too, and writes nothing.
    expect(await counted(user.id, 'scraper.jobs.create')).toBe(3);
    expect((await api.jobs.list({})).items).toHaveLength(2);
    // Other procedures are not limited.
    expect((await api.jobs.get({ id: job.id })).id).toBe(job.id);
    await setLimit('scraper.rate_limit.jobs_create_per_minute', 1000);
    await setLimit('scraper.rate_limit.ingest_per_minute', 1000);
    expect((await api.jobs.create({ jobType: 'paper', keywords: ['allowed again'] })).status).toBe('pending');
  });

  it('a sensitive setting is not read as a limit (the default applies); anonymous and expired callers count nothing', async () => {
    await setLimit('scraper.rate_limit.jobs_create_per_minute', 0, { sensitive: true });
    const { user, api } = await scraperUser(app);
    expect((await api.jobs.create({ jobType: 'web', keywords: ['x'] })).status).toBe('pending');
    expect(await codeOf(app.caller().scraper.jobs.create({ jobType: 'web', keywords: ['x'] }))).toBe('UNAUTHORIZED');
    expect(await codeOf(app.caller({ token: 'not-a-token' }).scraper.jobs.create({ jobType: 'web', keywords: ['x'] }))).toBe('UNAUTHORIZED');
    expect(await counted(user.id, 'scraper.jobs.create')).toBe(1);
    const { rows } = await app.sql(`select count(*)::int as n from core.api_rate_limits where endpoint = 'scraper.jobs.create' and user_id is null`);
    expect(rows[0]).toEqual({ n: 0 });
  });
});

describe('audit of data access', () => {
  it('opening an artifact, reading its extractions and exporting a job are named events with the seed\'s action, resource_type, resource_id and details', async () => {
    const { user, api, job } = await userWithJob(app);
    const [a] = (
      await api.artifacts.ingestMany({
        jobId: job.id,
        artifacts: [artifact('audited', { isPublic: true, tags: [{ tagType: 'keyword', tagKey: 'k' }], extractions: [{ extractionType: 'text', extractedData: { text: 'x' } }] })],
      })
    ).artifacts;
    await api.artifacts.get({ id: a!.id });
    await api.extractions.list({ artifactId: a!.id });
    const exported = await api.jobs.export({ id: job.id });
    expect(exported.items).toHaveLength(1);
    expect(exported.items[0]).toMatchObject({ id: a!.id, tags: [{ tagType: 'keyword', tagKey: 'k', tagValue: null }], extractions: [{ extractionType: 'text', extractedData: { text: 'x' }, confidenceScore: null }] });
    // Another user reading the public artifact is recorded as its actor.
    const reader = await scraperUser(app);
    await reader.api.artifacts.get({ id: a!.id });
    const { rows } = await app.sql(
      `select actor_id, action, entity_schema, entity_table, entity_id, details, request_id is not null as has_request
         from core.audit_log where action in ('ARTIFACT_READ', 'EXTRACTIONS_READ', 'JOB_EXPORT') and entity_id in ($1, $2) order by occurred_at, id`,
      [a!.id, job.id],
    );
    expect(rows).toEqual([
      { actor_id: user.id, action: 'ARTIFACT_READ', entity_schema: 'scraper', entity_table: 'artifacts', entity_id: a!.id, details: { minioPath: expect.any(String), owner: user.id }, has_request: true },
      { actor_id: user.id, action: 'EXTRACTIONS_READ', entity_schema: 'scraper', entity_table: 'artifacts', entity_id: a!.id, details: { extractions: 1 }, has_request: true },
      { actor_id: user.id, action: 'JOB_EXPORT', entity_schema: 'scraper', entity_table: 'scraping_jobs', entity_id: job.id, details: { artifacts: 1, firstPage: true }, has_request: true },
      { actor_id: reader.user.id, action: 'ARTIFACT_READ', entity_schema: 'scraper', entity_table: 'artifacts', entity_id: a!.id, details: { minioPath: expect.any(String), owner: user.id }, has_request: true },
    ]);
    // A read that finds nothing records nothing.
    expect(await codeOf((await scraperUser(app)).api.jobs.export({ id: job.id }))).toBe('NOT_FOUND');
    expect((await app.sql(`select count(*)::int as n from core.audit_log where action = 'JOB_EXPORT' and entity_id = $1`, [job.id])).rows[0]).toEqual({ n: 1 });
  });

  it("request code cannot forge the core's security events, nor any other event, through the Scraper's function", async () => {
    const { user, api, job } = await userWithJob(app);
    const [a] = (await api.artifacts.ingestMany({ jobId: job.id, artifacts: [artifact('forgery')] })).artifacts;
    const probe = app.probe({ token: user.token });
    for (const [action, type] of [['LOGIN', 'auth_sessions'], ['CONFIG_REVEAL', 'system_configurations'], ['PASSWORD_CHANGE', 'users'], ['ARTIFACT_READ', 'users'], ['JOB_EXPORT', 'artifacts'], ['DELETE', 'artifacts']]) {
      const err = await failure(probe.sql([{ text: `select scraper.audit_access($1, $2, $3, null)`, values: [action, type, a!.id] }]));
      expect(err.code, `${action} ${type}`).toBe('FORBIDDEN');
    }
    // Anonymous callers record nothing either.
    expect(await codeOf(app.probe().sql([{ text: `select scraper.audit_access('ARTIFACT_READ', 'artifacts', $1, null)`, values: [a!.id] }]))).toBe('FORBIDDEN');
    // The log's action CHECK knows the Scraper's events and nothing made up.
    expect(await app.sqlError(`insert into core.audit_log (action) values ('ARTIFACT_DOWNLOAD')`)).toEqual({ code: '23514', constraint: 'audit_log_action_check' });
    expect(await rowsAs(probe, `select count(*)::int as n from core.audit_log where actor_id = $1 and action in ('LOGIN', 'CONFIG_REVEAL', 'PASSWORD_CHANGE')`, [user.id])).toEqual([{ n: 0 }]);
    const { rows } = await app.sql(`select action from core.audit_log where actor_id = $1 and action not in ('CREATE', 'UPDATE', 'DELETE') order by occurred_at`, [user.id]);
    expect(rows.map((r) => r.action)).toEqual(['LOGIN']);
    void worker;
  });
});
