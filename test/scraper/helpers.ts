/** Helpers shared by the Scraper tests. */
import { createHash } from 'node:crypto';
import type { TestApp } from '../support/app.js';
import { unique } from '../support/app.js';

export { badFields, countQueries, MISSING_ID } from '../componentforge/helpers.js';

/** The SHA-256 hex digest of a text: an artifact's content_hash. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A fresh user with the Scraper API. */
export async function scraperUser(app: TestApp) {
  const user = await app.newUser();
  return { user, api: app.caller({ token: user.token }).scraper };
}

/** A fresh user with a pending web job. */
export async function userWithJob(app: TestApp, keywords = ['solar energy', 'photovoltaics']) {
  const { user, api } = await scraperUser(app);
  const job = await api.jobs.create({ jobType: 'web', keywords });
  return { user, api, job };
}

/** A scraping worker: a fresh admin's Scraper API. */
export async function worker(app: TestApp) {
  const admin = await app.newAdmin();
  return { admin, api: app.caller({ token: admin.token }).scraper };
}

/** One artifact as ingestMany takes it, of the given content (its hash is the content's). */
export function artifact(content: string, overrides: Record<string, unknown> = {}) {
  return {
    contentHash: sha256(content),
    artifactType: 'web_page' as const,
    sourceUrl: `https://example.com/${encodeURIComponent(content)}`,
    title: `Page about ${content}`,
    fileSize: 1000 + content.length,
    mimeType: 'text/html',
    minioPath: `artifacts/web/${sha256(content)}.html`,
    ...overrides,
  };
}

/** `n` artifacts of distinct contents. */
export function artifacts(n: number, prefix = unique('content')) {
  return Array.from({ length: n }, (_, i) => artifact(`${prefix}-${i}`));
}
