/**
 * Bulk ingest of a worker's report: artifacts/s of scraper.artifacts.ingestMany (zod, the
 * per-user rate limit, the request transaction, the job, ONE unnest INSERT of the artifacts with
 * the de-duplication by content hash, ONE INSERT of their tags and extractions) against
 * hand-written pg in the same kind of transaction: multi-row INSERT ... VALUES into the same
 * three tables (= 1.00), without de-duplication. Each call reports 1,000 new artifacts (the
 * largest batch), each with two tags and one text extraction; the audit, privacy and
 * RLS checks run for all alike.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Services } from '../src/server/context.js';
import { median, type BenchDatabase, type Result } from './measure.js';
import { caller, closeRawPool, newUser, rawPool, rawRequest } from './support.js';

const ARTIFACTS = 1_000;
const ROUNDS = 7;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function batch(prefix: string) {
  return Array.from({ length: ARTIFACTS }, (_, i) => {
    const hash = sha256(`${prefix}-${i}`);
    return {
      contentHash: hash,
      artifactType: 'web_page' as const,
      sourceUrl: `https://example.com/${prefix}/${i}`,
      title: `Page ${i} about renewable energy policy`,
      fileSize: 20_000 + i,
      mimeType: 'text/html',
      minioPath: `scraper-artifacts/web/${hash}.html`,
      isPublic: i % 10 === 0,
      tags: [
        { tagType: 'keyword' as const, tagKey: 'renewable energy' },
        { tagType: 'type' as const, tagKey: 'format', tagValue: 'html' },
      ],
      extractions: [{ extractionType: 'text' as const, extractedData: { text: `Body of page ${i}` }, confidenceScore: '0.90' }],
    };
  });
}

/** Multi-row INSERT ... VALUES of `rows` (arrays of values), $n placeholders. */
async function insertValues(client: pg.PoolClient, head: string, rows: unknown[][], tail = ''): Promise<pg.QueryResult> {
  const values: unknown[] = [];
  const tuples = rows.map((row) => `(${row.map((v) => (values.push(v), `$${values.length}`)).join(', ')})`);
  return client.query(`${head} values ${tuples.join(', ')} ${tail}`, values);
}

export async function benchScraperIngest(db: BenchDatabase, services: Services): Promise<Result[]> {
  const user = await newUser(services);
  const api = caller(services, user.token).scraper;
  const job = await api.jobs.create({ jobType: 'web', keywords: ['renewable energy policy'] });
  const raw = rawPool(db.ownerUrl);
  let round = 0;
  try {
    const variants: Array<{ name: string; fn: () => Promise<unknown> }> = [
      {
        name: 'raw pg: multi-row INSERT ... VALUES (artifacts, then tags and extractions)',
        fn: () => {
          const artifacts = batch(`raw-${round++}`);
          return rawRequest(raw, user.token, async (client) => {
            const { rows } = await insertValues(
              client,
              'insert into scraper.artifacts (job_id, user_id, artifact_type, source_url, title, content_hash, file_size, mime_type, minio_path, is_public)',
              artifacts.map((a) => [job.id, user.id, a.artifactType, a.sourceUrl, a.title, a.contentHash, a.fileSize, a.mimeType, a.minioPath, a.isPublic]),
              'returning id, content_hash',
            );
            const ids = new Map(rows.map((r: { id: string; content_hash: string }) => [r.content_hash, r.id]));
            await insertValues(
              client,
              'insert into scraper.metadata_tags (artifact_id, tag_type, tag_key, tag_value)',
              artifacts.flatMap((a) => a.tags.map((t) => [ids.get(a.contentHash), t.tagType, t.tagKey, 'tagValue' in t ? t.tagValue : null])),
            );
            await insertValues(
              client,
              'insert into scraper.content_extractions (artifact_id, extraction_type, extracted_data, confidence_score)',
              artifacts.flatMap((a) => a.extractions.map((e) => [ids.get(a.contentHash), e.extractionType, JSON.stringify(e.extractedData), e.confidenceScore])),
            );
          });
        },
      },
      { name: 'scraper.artifacts.ingestMany', fn: () => api.artifacts.ingestMany({ jobId: job.id, artifacts: batch(`api-${round++}`) }) },
    ];
    // Interleaved rounds, the order rotating, after one warm-up call each: drift hits all alike.
    const times = variants.map(() => [] as number[]);
    for (const v of variants) await v.fn();
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < variants.length; k++) {
        const i = (k + r) % variants.length;
        const started = process.hrtime.bigint();
        await variants[i]!.fn();
        times[i]!.push(Number(process.hrtime.bigint() - started) / 1e9);
      }
    }
    const rates = times.map((t) => ARTIFACTS / median(t));
    return variants.map((v, i) => ({ name: v.name, value: rates[i]!, unit: 'artifacts/s', baseline: rates[0]! }));
  } finally {
    await closeRawPool(raw);
  }
}
