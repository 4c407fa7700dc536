import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import {
  scraperArtifactsArtifactTypeSchema,
  scraperContentExtractionsExtractionTypeSchema,
  scraperMetadataTagsTagTypeSchema,
} from '../../db/generated/catalog.js';
import { one } from '../../db/errors.js';
import { recordAccess } from '../../../sql/scraper/access_audit.queries.js';
import {
  attachIngested,
  deleteArtifact,
  findArtifact,
  findArtifactsByHash,
  ingestArtifacts,
  listArtifactsByTag,
  listJobArtifacts,
  listPublicArtifacts,
  listUserArtifacts,
  listUserArtifactsByType,
  searchArtifacts,
  setArtifactPublic,
} from '../../../sql/scraper/artifacts.queries.js';
import { listArtifactTags } from '../../../sql/scraper/metadata_tags.queries.js';
import { findJob } from '../../../sql/scraper/scraping_jobs.queries.js';
import { cursorInput, idKey, limitInput, page } from '../../server/cursor.js';
import { authedProcedure, rateLimitedProcedure, router } from '../../server/trpc.js';
import { extractionInput, tagInput } from './extractions-input.js';
import {
  contentHashInput,
  idInput,
  mimeTypeInput,
  minioPathInput,
  perUserLimit,
  sourceUrlInput,
  textInput,
} from './inputs.js';

/** Artifacts one ingestMany call may report. */
export const MAX_INGEST_BATCH = 1000;
/** Ingest calls per user per minute while core.system_configurations has no `scraper.rate_limit.ingest_per_minute`. */
export const INGEST_PER_MINUTE = 120;

const isAdmin = (user: { role: string }) => user.role === 'admin';

/** Ingest: counted per user before its transaction, then signed-in callers only (authedProcedure's check). */
const ingestProcedure = rateLimitedProcedure(perUserLimit('scraper.artifacts.ingestMany', 'scraper.rate_limit.ingest_per_minute', INGEST_PER_MINUTE), 'user');

const artifactInput = z
  .object({
    contentHash: contentHashInput,
    artifactType: scraperArtifactsArtifactTypeSchema,
    sourceUrl: sourceUrlInput.nullable().optional(),
    title: textInput(500).nullable().optional(),
    fileSize: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().optional(),
    mimeType: mimeTypeInput.nullable().optional(),
    minioPath: minioPathInput,
    isPublic: z.boolean().default(false),
    tags: z.array(tagInput).max(100).default([]),
    extractions: z.array(extractionInput).max(20).default([]),
  })
  .superRefine((artifact, ctx) => {
    const seen = new Set<string>();
    artifact.tags.forEach((tag, i) => {
      const key = `${tag.tagType}\u0000${tag.tagKey}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['tags', i, 'tagKey'], message: 'this artifact already has a tag of this tagType and tagKey' });
      seen.add(key);
    });
  });

export const artifactsRouter = router({
  /**
   * A worker (the job's owner or an admin) reports up to 1,000 artifacts of a job, each with its
   * tags and extractions, in a fixed number of statements whatever the batch's size: the job,
   * one INSERT of the artifacts, one INSERT of their tags and extractions, one read of the
   * duplicates. Content the job's owner already has (same contentHash, from any
   * job or an earlier item of this batch) is stored once: the existing artifact is reported
   * (`duplicate: true`) and the duplicate's tags and extractions are dropped, the content being
   * the same. Limited per user (TOO_MANY_REQUESTS with retryAfterSeconds).
   */
  ingestMany: ingestProcedure
    .input(z.object({ jobId: z.uuid(), artifacts: z.array(artifactInput).min(1).max(MAX_INGEST_BATCH) }))
    .mutation(async ({ ctx, input }) => {
      const job = one(await findJob.run({ id: input.jobId }, ctx.db), 'scraping job', input.jobId);
      // First occurrence of each hash goes into the INSERT; later ones are duplicates.
      const firsts = new Map<string, (typeof input.artifacts)[number]>();
      for (const artifact of input.artifacts) if (!firsts.has(artifact.contentHash)) firsts.set(artifact.contentHash, artifact);
      const batch = [...firsts.values()];
      const tags = batch.flatMap((a) => a.tags.map((t) => ({ hash: a.contentHash, ...t })));
      const extractions = batch.flatMap((a) => a.extractions.map((e) => ({ hash: a.contentHash, ...e })));
      const stored = await ingestArtifacts.run(
        {
          jobId: input.jobId,
          contentHashes: batch.map((a) => a.contentHash),
          artifactTypes: batch.map((a) => a.artifactType),
          sourceUrls: batch.map((a) => a.sourceUrl ?? null) as string[],
          titles: batch.map((a) => a.title ?? null) as string[],
          fileSizes: batch.map((a) => a.fileSize ?? null) as number[],
          mimeTypes: batch.map((a) => a.mimeType ?? null) as string[],
          minioPaths: batch.map((a) => a.minioPath),
          publicFlags: batch.map((a) => a.isPublic),
        },
        ctx.db,
      );
      const ids = new Map(stored.map((row) => [row.contentHash, row.id]));
      const fresh = new Set(ids.keys());
      // The new artifacts' tags and extractions; a duplicate's are dropped (same content).
      const freshTags = tags.filter((t) => fresh.has(t.hash));
      const freshExtractions = extractions.filter((e) => fresh.has(e.hash));
      let attached = { tags: 0, extractions: 0 };
      if (freshTags.length + freshExtractions.length > 0) {
        const [row] = await attachIngested.run(
          {
            ids: stored.map((row) => row.id),
            contentHashes: stored.map((row) => row.contentHash),
            tagHashes: freshTags.map((t) => t.hash),
            tagTypes: freshTags.map((t) => t.tagType),
            tagKeys: freshTags.map((t) => t.tagKey),
            tagValues: freshTags.map((t) => t.tagValue ?? null) as string[],
            extractionHashes: freshExtractions.map((e) => e.hash),
            extractionTypes: freshExtractions.map((e) => e.extractionType),
            extractionData: freshExtractions.map((e) => JSON.stringify(e.extractedData)),
            confidenceScores: freshExtractions.map((e) => e.confidenceScore ?? null) as string[],
          },
          ctx.db,
        );
        if (row) attached = row;
      }
      const missing = batch.map((a) => a.contentHash).filter((hash) => !ids.has(hash));
      if (missing.length > 0) {
        for (const row of await findArtifactsByHash.run({ userId: job.userId, contentHashes: missing }, ctx.db)) ids.set(row.contentHash, row.id);
      }
      const seen = new Set<string>();
      const artifacts = input.artifacts.map((a, index) => {
        const id = ids.get(a.contentHash);
        // A hash neither stored nor found: the caller may not write for this job's owner.
        if (id === undefined) throw new TRPCError({ code: 'FORBIDDEN', message: `artifacts.${index}: not stored (no right to add artifacts to this job)` });
        const duplicate = !fresh.has(a.contentHash) || seen.has(a.contentHash);
        seen.add(a.contentHash);
        return { index, id, contentHash: a.contentHash, duplicate };
      });
      return {
        stored: stored.length,
        duplicates: artifacts.filter((a) => a.duplicate).length,
        tags: attached.tags,
        extractions: attached.extractions,
        artifacts,
      };
    }),

  /**
   * One artifact with its tags (the caller's, any public one without a privacy tag; admins:
   * any). Opening it is audited as ARTIFACT_READ.
   */
  get: authedProcedure
    .meta({ writes: true })
    .input(idInput)
    .query(async ({ ctx, input }) => {
      const artifact = one(await findArtifact.run({ id: input.id }, ctx.db), 'artifact', input.id);
      const tags = await listArtifactTags.run({ artifactId: input.id }, ctx.db);
      await recordAccess.run(
        { action: 'ARTIFACT_READ', resourceType: 'artifacts', resourceId: input.id, details: { minioPath: artifact.minioPath, owner: artifact.userId } },
        ctx.db,
      );
      return { ...artifact, tags };
    }),

  /**
   * Artifacts newest first, keyset pages: the caller's (admins: `userId`'s), optionally of one
   * artifactType; or those of one job; or those carrying a tag; or the public ones (every
   * signed-in user's view). One filter shape per call, each with its own index.
   */
  list: authedProcedure
    .input(
      z
        .object({
          userId: z.uuid().optional(),
          artifactType: scraperArtifactsArtifactTypeSchema.optional(),
          jobId: z.uuid().optional(),
          tag: z.object({ tagType: scraperMetadataTagsTagTypeSchema, tagKey: textInput(100) }).optional(),
          public: z.literal(true).optional(),
          cursor: cursorInput,
          limit: limitInput,
        })
        .refine((i) => [i.artifactType, i.jobId, i.tag, i.public].filter((f) => f !== undefined).length <= 1, {
          message: 'filter by at most one of artifactType, jobId, tag and public',
          path: ['artifactType'],
        }),
    )
    .query(async ({ ctx, input }) => {
      const before = idKey(input.cursor);
      const { limit } = input;
      if (input.jobId) return page(await listJobArtifacts.run({ jobId: input.jobId, before, limit }, ctx.db), limit, (row) => [row.id]);
      if (input.tag) {
        const rows = await listArtifactsByTag.run({ ...input.tag, before, limit }, ctx.db);
        return page(rows, limit, (row) => [row.id]);
      }
      if (input.public) return page(await listPublicArtifacts.run({ before, limit }, ctx.db), limit, (row) => [row.id]);
      const userId = input.userId ?? ctx.user.id;
      if (userId !== ctx.user.id && !isAdmin(ctx.user)) {
        throw new TRPCError({ code: 'FORBIDDEN', message: "userId: only an admin may list another user's artifacts" });
      }
      const rows = input.artifactType
        ? await listUserArtifactsByType.run({ userId, artifactType: input.artifactType, before, limit }, ctx.db)
        : await listUserArtifacts.run({ userId, before, limit }, ctx.db);
      return page(rows, limit, (row) => [row.id]);
    }),

  /** Readable artifacts whose title matches a web-search query ("solar panels" -wind), newest first, keyset pages. */
  search: authedProcedure
    .input(z.object({ terms: textInput(200), cursor: cursorInput, limit: limitInput }))
    .query(async ({ ctx, input }) => {
      const rows = await searchArtifacts.run({ terms: input.terms, before: idKey(input.cursor), limit: input.limit }, ctx.db);
      return page(rows, input.limit, (row) => [row.id]);
    }),

  /** Makes an artifact of the caller's public or private (a privacy tag keeps a public one hidden). */
  setPublic: authedProcedure.input(z.object({ id: z.uuid(), isPublic: z.boolean() })).mutation(async ({ ctx, input }) => {
    return one(await setArtifactPublic.run(input, ctx.db), 'artifact', input.id);
  }),

  /** Deletes an artifact of the caller's (admins: any) with its tags and extractions. */
  delete: authedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    return one(await deleteArtifact.run({ id: input.id }, ctx.db), 'artifact', input.id);
  }),
});
