/**
 * The Scraper end to end over real HTTP with the typed client: a user's job is worked by an
 * admin worker (claim, heartbeat, progress, bulk ingest, complete), the user reads, searches,
 * shares and exports the results, another user reads what was shared; per-user limits answer
 * TOO_MANY_REQUESTS with retryAfterSeconds; and db:seed's workspace reads back.
 */
import type http from 'node:http';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { TEST_USER } from '../../src/seed/core.js';
import { seedAll } from '../../src/seed/index.js';
import { SEED_ARTIFACTS, SEED_JOBS } from '../../src/seed/scraper.js';
import { createHttpServer, listen } from '../../src/server/http.js';
import { PASSWORD, unique, useTestApp } from '../support/app.js';
import { artifact, artifacts } from './helpers.js';

const app = useTestApp();
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = await createHttpServer({ ...app.services, config: { ...app.services.config, LOGIN_LIMIT_PER_EMAIL: 100 }, trustedProxies: '' });
  base = await listen(server, 0, '127.0.0.1');
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function signIn(): Promise<{ id: string; token: string }> {
  const anonymous = createClient(base);
  const email = `${unique('scraper')}@example.com`;
  const user = await anonymous.auth.register.mutate({ email, password: PASSWORD, fullName: 'Ada Researcher' });
  const { token } = await anonymous.auth.login.mutate({ email, password: PASSWORD });
  return { id: user.id, token };
}

describe('the Scraper over HTTP with the typed client', () => {
  it('a job from creation to an export, with a worker claiming, ingesting and completing it', async () => {
    const owner = await signIn();
    const api = createClient(base, { token: owner.token }).scraper;
    const job = await api.jobs.create.mutate({ jobType: 'web', keywords: ['heat pumps', 'district heating'] });
    expect(job.createdAt).toBeInstanceOf(Date);
    await api.jobs.configure.set.mutate({ jobId: job.id, configKey: 'max_pages', configValue: '250' });

    const admin = await app.newAdmin();
    const worker = createClient(base, { token: admin.token }).scraper;
    const [claim] = await worker.jobs.claim.mutate({ workerId: 'crawler-1', userId: owner.id });
    expect(claim).toMatchObject({ id: job.id, status: 'running', attempts: 1 });
    await worker.jobs.heartbeat.mutate({ id: job.id, leaseToken: claim!.leaseToken });
    await worker.jobs.progress.mutate({ id: job.id, leaseToken: claim!.leaseToken, totalItems: 250, itemsDone: 0 });
    const batch = artifacts(250, 'heat').map((a, i) => ({
      ...a,
      title: i === 7 ? 'Heat pumps in cold climates' : `District heating report ${i}`,
      fileSize: 5_000_000_000 + i,
      tags: [{ tagType: 'keyword' as const, tagKey: i % 2 ? 'district heating' : 'heat pumps' }],
      extractions: [{ extractionType: 'text' as const, extractedData: { text: `page ${i}` }, confidenceScore: '0.90' }],
    }));
    const ingested = await worker.artifacts.ingestMany.mutate({ jobId: job.id, artifacts: batch });
    expect(ingested).toMatchObject({ stored: 250, duplicates: 0, tags: 250, extractions: 250 });
    // The same batch again (a retried report): nothing new, every artifact reported.
    const again = await worker.artifacts.ingestMany.mutate({ jobId: job.id, artifacts: batch.slice(0, 10) });
    expect(again.stored).toBe(0);
    expect(again.artifacts.map((a) => a.id)).toEqual(ingested.artifacts.slice(0, 10).map((a) => a.id));
    await worker.jobs.progress.mutate({ id: job.id, leaseToken: claim!.leaseToken, itemsDone: 250 });
    expect(await worker.jobs.complete.mutate({ id: job.id, leaseToken: claim!.leaseToken })).toMatchObject({ status: 'completed', progress: 100, completedItems: 250 });

    const listed = await api.artifacts.list.query({ jobId: job.id, limit: 200 });
    expect(listed.items).toHaveLength(200);
    expect((await api.artifacts.list.query({ jobId: job.id, limit: 200, cursor: listed.nextCursor! })).items).toHaveLength(50);
    const [found] = (await api.artifacts.search.query({ terms: 'cold climate' })).items;
    expect(found).toMatchObject({ title: 'Heat pumps in cold climates', fileSize: '5000000007' });
    const opened = await api.artifacts.get.query({ id: found!.id });
    expect(opened.tags.map((t) => t.tagKey)).toEqual(['district heating']);
    expect((await api.extractions.list.query({ artifactId: found!.id })).items[0]).toMatchObject({ extractedData: { text: 'page 7' }, confidenceScore: '0.90' });
    expect((await api.jobs.export.query({ id: job.id, limit: 5 })).items).toHaveLength(5);

    // Shared with everyone signed in, not with strangers' writes; a privacy tag takes it back.
    const reader = createClient(base, { token: (await signIn()).token }).scraper;
    await expect(reader.artifacts.get.query({ id: found!.id })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    await api.artifacts.setPublic.mutate({ id: found!.id, isPublic: true });
    expect((await reader.artifacts.get.query({ id: found!.id })).title).toBe('Heat pumps in cold climates');
    await expect(reader.tags.add.mutate({ artifactId: found!.id, tagType: 'user', tagKey: 'mine' })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await api.tags.add.mutate({ artifactId: found!.id, tagType: 'privacy', tagKey: 'embargo', tagValue: 'until 2026-12-01' });
    await expect(reader.artifacts.get.query({ id: found!.id })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });

    // Bad input: a field error, over the wire too.
    const bad = await reader.artifacts.ingestMany.mutate({ jobId: job.id, artifacts: [artifact('x', { contentHash: 'nope' })] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(TRPCClientError);
    expect((bad as TRPCClientError<never>).data).toMatchObject({ code: 'BAD_REQUEST', fieldErrors: { 'artifacts.0.contentHash': ['must be a SHA-256 digest: 64 hex characters'] } });

    await api.jobs.delete.mutate({ id: job.id });
    expect((await api.artifacts.list.query({})).items).toEqual([]);
  });

  it('per-user limits answer TOO_MANY_REQUESTS with retryAfterSeconds over the wire', async () => {
    const admin = createClient(base, { token: (await app.newAdmin()).token });
    await admin.config.set.mutate({ key: 'scraper.rate_limit.jobs_create_per_minute', type: 'integer', value: 0 });
    try {
      const api = createClient(base, { token: (await signIn()).token }).scraper;
      const refused = await api.jobs.create.mutate({ jobType: 'web', keywords: ['x'] }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(TRPCClientError);
      const data = (refused as TRPCClientError<never>).data as unknown as { code: string; retryAfterSeconds: number };
      expect(data.code).toBe('TOO_MANY_REQUESTS');
      expect(data.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(data.retryAfterSeconds).toBeLessThanOrEqual(60);
    } finally {
      await admin.config.delete.mutate({ key: 'scraper.rate_limit.jobs_create_per_minute' });
    }
  });

  it('db:seed adds the Scraper workspace once: jobs in every state, public and private artifacts with tags and extractions', async () => {
    const services = { ...app.services, config: { ...app.services.config, LOGIN_LIMIT_PER_EMAIL: 1_000_000 } };
    const first = await seedAll(services);
    expect(first.scraper).toEqual({ jobs: 4, settings: 3, artifacts: 4, tags: 7, extractions: 6 });
    const second = await seedAll(services);
    expect(second.scraper).toEqual({ jobs: 0, settings: 0, artifacts: 0, tags: 0, extractions: 0 });

    const { token } = await createClient(base).auth.login.mutate({ email: TEST_USER.email, password: TEST_USER.password });
    const api = createClient(base, { token }).scraper;
    const jobs = (await api.jobs.list.query({})).items;
    const byKeyword = (k: string) => jobs.find((j) => j.keywords[0] === k)!;
    expect(byKeyword(SEED_JOBS.completed.keywords[0])).toMatchObject({ status: 'completed', progress: 100, totalItems: 4, completedItems: 4 });
    expect(byKeyword(SEED_JOBS.running.keywords[0])).toMatchObject({ status: 'running', progress: 40, lockedBy: 'db:seed scraper' });
    expect(byKeyword(SEED_JOBS.pending.keywords[0])).toMatchObject({ status: 'pending', startedAt: null });
    expect(byKeyword(SEED_JOBS.failed.keywords[0])).toMatchObject({ status: 'failed', errorMessage: expect.stringContaining('robots.txt') });
    const completed = byKeyword(SEED_JOBS.completed.keywords[0]);
    expect((await api.jobs.configure.get.query({ jobId: completed.id })).map((c) => c.configKey)).toEqual(['crawl.delay_ms', 'max_depth', 'user_agent']);
    const mine = (await api.artifacts.list.query({ jobId: completed.id })).items;
    expect(mine.map((a) => a.title).sort()).toEqual(SEED_ARTIFACTS.map((a) => a.title).sort());
    // Another user sees the two public artifacts, not the private one nor the privacy-tagged one.
    const reader = createClient(base, { token: (await signIn()).token }).scraper;
    const visible = (await reader.artifacts.list.query({ public: true })).items.filter((a) => a.jobId === completed.id);
    expect(visible.map((a) => a.title).sort()).toEqual(['Feed-in tariffs explained', 'Renewable Energy Policy Review 2024']);
  });
});
