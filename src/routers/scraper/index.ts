/**
 * Scraper (seed 001): scraping jobs (a leased work queue) and their settings, the artifacts
 * they find with metadata tags and content extractions, bulk ingest, per-user limits and
 * audited reads.
 */
import { router } from '../../server/trpc.js';
import { artifactsRouter } from './artifacts.js';
import { extractionsRouter } from './extractions.js';
import { jobsRouter } from './jobs.js';
import { tagsRouter } from './tags.js';

export const scraperRouter = router({
  jobs: jobsRouter,
  artifacts: artifactsRouter,
  tags: tagsRouter,
  extractions: extractionsRouter,
});
