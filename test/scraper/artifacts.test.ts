import { describe, expect, it } from 'vitest';
import { useTestApp } from '../support/app.js';
import { codeOf, failure } from '../support/errors.js';
import { rowsAs } from '../support/probe.js';
import { artifact, artifacts, badFields, countQueries, MISSING_ID, scraperUser, sha256, userWithJob, worker } from './helpers.js';

const app = useTestApp();

const count = async (sql: string, values: unknown[]) => (await app.sql<{ n: number }>(`select count(*)::int as n from ${sql}`, values)).rows[0]!.n;

describe('scraper.artifacts.ingestMany', () => {
  it('stores a batch with its tags and extractions in a fixed number of statements, whatever its size', async () => {
    const { user, api, job } = await userWithJob(app);
    const batch = (n: number, prefix: string) =>
      artifacts(n, prefix).map((a, i) => ({
        ...a,
        tags: [{ tagType: 'keyword' as const, tagKey: 'solar' }, { tagType: 'type' as const, tagKey: 'html', tagValue: `v${i}` }],
        extractions: [{ extractionType: 'text' as const, extractedData: { text: `body ${i}` }, confidenceScore: '0.95' }],
      }));
    const small = await countQueries(() => api.artifacts.ingestMany({ jobId: job.id, artifacts: batch(3, 'small') }));
    const large = await countQueries(() => api.artifacts.ingestMany({ jobId: job.id, artifacts: batch(1000, 'large') }));
    expect(large.queries).toBe(small.queries);
    // The rate limit's counter, the job, the INSERT of the artifacts, the INSERT of their tags and extractions.
    expect(large.queries).toBe(4);
    expect(large.result).toMatchObject({ stored: 1000, duplicates: 0, tags: 2000, extractions: 1000 });
    expect(await count(`scraper.artifacts where user_id = $1`, [user.id])).toBe(1003);
    expect(await count(`scraper.metadata_tags t join scraper.artifacts a on a.id = t.artifact_id where a.user_id = $1`, [user.id])).toBe(2006);
    expect(await count(`scraper.content_extractions e join scraper.artifacts a on a.id = e.artifact_id where a.user_id = $1`, [user.id])).toBe(1003);
    const first = large.result.artifacts[0]!;
    expect(first).toMatchObject({ index: 0, duplicate: false });
    expect(await api.artifacts.get({ id: first.id })).toMatchObject({ jobId: job.id, userId: user.id, contentHash: first.contentHash, fileSize: expect.any(String) });
  });

  it('the same content reported twice for one user is stored once: the existing artifact is reported; other users have their own', async () => {
    const { user, api, job } = await userWithJob(app);
    const a = artifact('the same page', { tags: [{ tagType: 'keyword', tagKey: 'first' }] });
    const first = await api.artifacts.ingestMany({ jobId: job.id, artifacts: [a] });
    const secondJob = await api.jobs.create({ jobType: 'web', keywords: ['again'] });
    // Upper-case hex is the same digest; the repeat inside a batch is one too.
    const upper = { ...a, contentHash: a.contentHash.toUpperCase(), tags: [{ tagType: 'keyword' as const, tagKey: 'second' }] };
    const second = await api.artifacts.ingestMany({ jobId: secondJob.id, artifacts: [upper, artifact('new page'), upper] });
    expect(second.stored).toBe(1);
    expect(second.duplicates).toBe(2);
    expect(second.artifacts.map((x) => [x.id === first.artifacts[0]!.id, x.duplicate])).toEqual([[true, true], [false, false], [true, true]]);
    expect(await count(`scraper.artifacts where user_id = $1 and content_hash = $2`, [user.id, a.contentHash])).toBe(1);
    // The duplicate's tags were dropped (same content, already tagged).
    expect((await api.tags.list({ artifactId: first.artifacts[0]!.id })).map((t) => t.tagKey)).toEqual(['first']);
    // Another user reporting the same content gets an artifact of their own.
    const other = await userWithJob(app);
    const theirs = await other.api.artifacts.ingestMany({ jobId: other.job.id, artifacts: [a] });
    expect(theirs.stored).toBe(1);
    expect(theirs.artifacts[0]!.id).not.toBe(first.artifacts[0]!.id);
    // The unique key, whoever writes.
    expect(
      await app.sqlError(`insert into scraper.artifacts (user_id, artifact_type, content_hash, minio_path) values ($1, 'paper', $2, 'bucket/x')`, [user.id, a.contentHash]),
    ).toEqual({ code: '23505', constraint: 'artifacts_user_content_hash_key' });
  });

  it('16 concurrent ingests of overlapping batches store each content hash once and report every artifact', async () => {
    const { user, api, job } = await userWithJob(app);
    const pool = artifacts(300, 'overlap');
    // Batch k takes 100 consecutive artifacts starting at 12k, so neighbours share most of theirs.
    const batches = Array.from({ length: 16 }, (_, k) => pool.slice(k * 12, k * 12 + 100).reverse());
    const results = await Promise.all(batches.map((b) => api.artifacts.ingestMany({ jobId: job.id, artifacts: b })));
    const distinct = new Set(batches.flat().map((a) => a.contentHash));
    expect(await count(`scraper.artifacts where user_id = $1`, [user.id])).toBe(distinct.size);
    expect(results.reduce((n, r) => n + r.stored, 0)).toBe(distinct.size);
    const byHash = new Map<string, string>();
    for (const [k, result] of results.entries()) {
      expect(result.artifacts).toHaveLength(100);
      for (const reported of result.artifacts) {
        expect(reported.contentHash).toBe(batches[k]![reported.index]!.contentHash);
        const known = byHash.get(reported.contentHash);
        if (known) expect(reported.id).toBe(known);
        byHash.set(reported.contentHash, reported.id);
      }
    }
    expect(byHash.size).toBe(distinct.size);
  });

  it('bad input is a field error naming the artifact and field, and stores nothing', async () => {
    const { user, api, job } = await userWithJob(app);
    const good = artifact('fine');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ contentHash: 'abc' }, 'artifacts.1.contentHash'],
      [{ contentHash: 'g'.repeat(64) }, 'artifacts.1.contentHash'],
      [{ artifactType: 'video' }, 'artifacts.1.artifactType'],
      [{ minioPath: '/leading/slash' }, 'artifacts.1.minioPath'],
      [{ minioPath: 'Bucket/key' }, 'artifacts.1.minioPath'],
      [{ minioPath: 'bucket/../etc/passwd' }, 'artifacts.1.minioPath'],
      [{ minioPath: 'bucket//key' }, 'artifacts.1.minioPath'],
      [{ minioPath: 'bucket' }, 'artifacts.1.minioPath'],
      [{ sourceUrl: 'javascript:alert(1)' }, 'artifacts.1.sourceUrl'],
      [{ title: '' }, 'artifacts.1.title'],
      [{ title: 't'.repeat(501) }, 'artifacts.1.title'],
      [{ fileSize: -1 }, 'artifacts.1.fileSize'],
      [{ mimeType: 'html' }, 'artifacts.1.mimeType'],
      [{ tags: [{ tagType: 'secret', tagKey: 'k' }] }, 'artifacts.1.tags.0.tagType'],
      [{ tags: [{ tagType: 'user', tagKey: 'k' }, { tagType: 'user', tagKey: 'k' }] }, 'artifacts.1.tags.1.tagKey'],
      [{ extractions: [{ extractionType: 'text', extractedData: ['not', 'an', 'object'] }] }, 'artifacts.1.extractions.0.extractedData'],
      [{ extractions: [{ extractionType: 'links', extractedData: { href: 'x' } }] }, 'artifacts.1.extractions.0.extractedData'],
      [{ extractions: [{ extractionType: 'metadata', extractedData: {}, confidenceScore: '1.5' }] }, 'artifacts.1.extractions.0.confidenceScore'],
      [{ extractions: [{ extractionType: 'metadata', extractedData: JSON.parse('{"__proto__": 1}') }] }, 'artifacts.1.extractions.0.extractedData'],
      [{ extractions: [{ extractionType: 'images', extractedData: ['x'.repeat(300_000)] }] }, 'artifacts.1.extractions.0.extractedData'],
    ];
    for (const [override, field] of cases) {
      const err = await failure(api.artifacts.ingestMany({ jobId: job.id, artifacts: [good, { ...artifact('bad'), ...override }] as never }));
      expect(err.code, field).toBe('BAD_REQUEST');
      expect(badFields(err), field).toEqual([field]);
    }
    expect(badFields(await failure(api.artifacts.ingestMany({ jobId: job.id, artifacts: [] })))).toEqual(['artifacts']);
    expect(badFields(await failure(api.artifacts.ingestMany({ jobId: job.id, artifacts: artifacts(1001) })))).toEqual(['artifacts']);
    expect(await count(`scraper.artifacts where user_id = $1`, [user.id])).toBe(0);
  });

  it('every CHECK of artifacts, tags and extractions refuses what it names, whoever writes', async () => {
    const { user, job } = await userWithJob(app);
    const insert = (set: Record<string, string>) => {
      const row = { job_id: '$1', user_id: '$2', artifact_type: `'paper'`, content_hash: `'${sha256(JSON.stringify(set))}'`, minio_path: `'papers/a.pdf'`, ...set };
      return `insert into scraper.artifacts (${Object.keys(row).join(', ')}) values (${Object.values(row).join(', ')})`;
    };
    const cases: Array<[Record<string, string>, string]> = [
      [{ artifact_type: `'video'` }, 'artifacts_artifact_type_check'],
      [{ content_hash: `'${'A'.repeat(64)}'` }, 'artifacts_content_hash_sha256'],
      [{ content_hash: `'${'a'.repeat(63)}'` }, 'artifacts_content_hash_sha256'],
      [{ source_url: `'ftp://x'` }, 'artifacts_source_url_format'],
      [{ source_url: `'https://' || repeat('x', 2041)` }, 'artifacts_source_url_format'],
      [{ title: `''` }, 'artifacts_title_length'],
      [{ title: `repeat('t', 501)` }, 'artifacts_title_length'],
      [{ file_size: '-1' }, 'artifacts_file_size_nonnegative'],
      [{ mime_type: `'text'` }, 'artifacts_mime_type_format'],
      [{ minio_path: `'/a/b'` }, 'artifacts_minio_path_format'],
      [{ minio_path: `'ab/c'` }, 'artifacts_minio_path_format'],
      [{ minio_path: `'bucket/a/../b'` }, 'artifacts_minio_path_format'],
      [{ minio_path: `'bucket/./b'` }, 'artifacts_minio_path_format'],
      [{ minio_path: `'bucket/a/'` }, 'artifacts_minio_path_format'],
      [{ minio_path: `'bucket/a' || chr(10) || 'b'` }, 'artifacts_minio_path_format'],
      [{ minio_path: `'bucket/' || repeat('k', 494)` }, 'artifacts_minio_path_format'],
    ];
    for (const [set, constraint] of cases) {
      expect(await app.sqlError(insert(set), [job.id, user.id]), JSON.stringify(set)).toEqual({ code: '23514', constraint });
    }
    // The limits themselves, and a BIGINT size past 2^31.
    await app.sql(insert({ title: `repeat('t', 500)`, file_size: '5000000000', minio_path: `'bucket/' || repeat('k', 493)`, source_url: `'https://' || repeat('x', 2040)`, mime_type: `'application/vnd.ms-excel'` }), [job.id, user.id]);
    const { rows: [a] } = await app.sql<{ id: string }>(`select id from scraper.artifacts where user_id = $1`, [user.id]);
    const tag = (set: string) => `insert into scraper.metadata_tags (artifact_id, tag_type, tag_key, tag_value) values ($1, ${set})`;
    expect(await app.sqlError(tag(`'secret', 'k', null`), [a!.id])).toEqual({ code: '23514', constraint: 'metadata_tags_tag_type_check' });
    expect(await app.sqlError(tag(`'user', '', null`), [a!.id])).toEqual({ code: '23514', constraint: 'metadata_tags_tag_key_length' });
    expect(await app.sqlError(tag(`'user', repeat('k', 101), null`), [a!.id])).toEqual({ code: '23514', constraint: 'metadata_tags_tag_key_length' });
    expect(await app.sqlError(tag(`'user', 'k', repeat('v', 2001)`), [a!.id])).toEqual({ code: '23514', constraint: 'metadata_tags_tag_value_length' });
    await app.sqlAsAdmin(tag(`'user', 'k', null`), [a!.id]);
    expect(await app.sqlError(tag(`'user', 'k', 'again'`), [a!.id])).toEqual({ code: '23505', constraint: 'metadata_tags_artifact_type_key_key' });
    const extraction = (set: string) => `insert into scraper.content_extractions (artifact_id, extraction_type, extracted_data, confidence_score) values ($1, ${set})`;
    const extractionCases: Array<[string, string]> = [
      [`'ocr', '[]', null`, 'content_extractions_extraction_type_check'],
      [`'text', '{"body": "x"}', null`, 'content_extractions_extracted_data_shape'],
      [`'text', '{"text": 1}', null`, 'content_extractions_extracted_data_shape'],
      [`'text', '"x"', null`, 'content_extractions_extracted_data_shape'],
      [`'metadata', '[]', null`, 'content_extractions_extracted_data_shape'],
      [`'links', '{}', null`, 'content_extractions_extracted_data_shape'],
      [`'images', '"x"', null`, 'content_extractions_extracted_data_shape'],
      [`'links', jsonb_build_array(repeat('x', 262144)), null`, 'content_extractions_extracted_data_size'],
      [`'metadata', '{}', 1.01`, 'content_extractions_confidence_score_range'],
      [`'metadata', '{}', -0.01`, 'content_extractions_confidence_score_range'],
    ];
    for (const [set, constraint] of extractionCases) {
      expect(await app.sqlError(extraction(set), [a!.id]), set).toEqual({ code: '23514', constraint });
    }
    await app.sqlAsAdmin(extraction(`'text', '{"text": "ok"}', 1`), [a!.id]);
    await app.sqlAsAdmin(extraction(`'images', '[]', 0`), [a!.id]);
    // Cascades: the job takes its artifacts, an artifact its tags and extractions.
    await app.sqlAsAdmin(`delete from scraper.scraping_jobs where id = $1`, [job.id]);
    expect(await count(`scraper.artifacts where id = $1`, [a!.id])).toBe(0);
    expect(await count(`scraper.metadata_tags where artifact_id = $1`, [a!.id])).toBe(0);
    expect(await count(`scraper.content_extractions where artifact_id = $1`, [a!.id])).toBe(0);
  });

  it('only the job\'s owner or an admin ingests into a job; artifacts belong to the job\'s owner', async () => {
    const { user, api, job } = await userWithJob(app);
    const stranger = await scraperUser(app);
    expect(await codeOf(stranger.api.artifacts.ingestMany({ jobId: job.id, artifacts: artifacts(2) }))).toBe('NOT_FOUND');
    expect(await codeOf(stranger.api.artifacts.ingestMany({ jobId: MISSING_ID, artifacts: artifacts(2) }))).toBe('NOT_FOUND');
    const { api: admin } = await worker(app);
    const stored = await admin.artifacts.ingestMany({ jobId: job.id, artifacts: artifacts(2) });
    expect(stored.stored).toBe(2);
    expect((await api.artifacts.list({ jobId: job.id })).items.every((a) => a.userId === user.id)).toBe(true);
    // The insert policy: an artifact for someone else, or under someone else's job, is refused.
    const probe = app.probe({ token: stranger.user.token });
    const strangerJob = await stranger.api.jobs.create({ jobType: 'web', keywords: ['x'] });
    for (const [owner, jobId] of [[user.id, strangerJob.id], [stranger.user.id, job.id], [user.id, job.id]]) {
      expect(
        await codeOf(probe.sql([{ text: `insert into scraper.artifacts (job_id, user_id, artifact_type, content_hash, minio_path) values ($1, $2, 'paper', $3, 'bucket/k')`, values: [jobId, owner, sha256(`${jobId}${owner}`)] }])),
      ).toBe('FORBIDDEN');
    }
  });
});

describe('reads: owners, admins, public artifacts and privacy tags', () => {
  it('is_public makes an artifact readable, not writable, by every signed-in user; a privacy tag hides it again', async () => {
    const { user, api, job } = await userWithJob(app);
    const [pub, priv] = (await api.artifacts.ingestMany({ jobId: job.id, artifacts: [artifact('public report', { isPublic: true }), artifact('private notes')] })).artifacts;
    const reader = await scraperUser(app);
    expect((await reader.api.artifacts.get({ id: pub!.id })).id).toBe(pub!.id);
    expect(await codeOf(reader.api.artifacts.get({ id: priv!.id }))).toBe('NOT_FOUND');
    expect((await reader.api.artifacts.list({ public: true })).items.map((a) => a.id)).toContain(pub!.id);
    expect((await reader.api.artifacts.list({ public: true })).items.map((a) => a.id)).not.toContain(priv!.id);
    // Readable is not writable: no tag, no extraction, no change, no delete.
    expect(await codeOf(reader.api.tags.add({ artifactId: pub!.id, tagType: 'user', tagKey: 'mine' }))).toBe('FORBIDDEN');
    expect(await codeOf(reader.api.extractions.add({ artifactId: pub!.id, extractionType: 'metadata', extractedData: {} }))).toBe('FORBIDDEN');
    expect(await codeOf(reader.api.artifacts.setPublic({ id: pub!.id, isPublic: false }))).toBe('NOT_FOUND');
    expect(await codeOf(reader.api.artifacts.delete({ id: pub!.id }))).toBe('NOT_FOUND');
    expect(await codeOf(reader.api.tags.remove({ artifactId: pub!.id, tagType: 'user', tagKey: 'mine' }))).toBe('NOT_FOUND');
    // Anonymous callers read nothing (RLS, not only the procedure's check).
    expect(await rowsAs(app.probe(), `select id from scraper.artifacts where id = $1`, [pub!.id])).toEqual([]);
    // The owner tags it privacy: hidden from public reads, though is_public stays true.
    await api.tags.add({ artifactId: pub!.id, tagType: 'privacy', tagKey: 'pii', tagValue: 'contains e-mail addresses' });
    expect((await api.artifacts.get({ id: pub!.id })).isPublic).toBe(true);
    expect(await codeOf(reader.api.artifacts.get({ id: pub!.id }))).toBe('NOT_FOUND');
    expect(await codeOf(reader.api.tags.list({ artifactId: pub!.id }))).toBe('NOT_FOUND');
    expect((await reader.api.artifacts.list({ public: true })).items.map((a) => a.id)).not.toContain(pub!.id);
    expect(await rowsAs(app.probe({ token: reader.user.token }), `select id from scraper.artifacts where id = $1`, [pub!.id])).toEqual([]);
    // Removing the privacy tag makes it public again; admins always see it.
    await api.tags.remove({ artifactId: pub!.id, tagType: 'privacy', tagKey: 'pii' });
    expect((await reader.api.artifacts.get({ id: pub!.id })).id).toBe(pub!.id);
    expect((await (await worker(app)).api.artifacts.get({ id: priv!.id })).userId).toBe(user.id);
    // setPublic by the owner.
    expect((await api.artifacts.setPublic({ id: priv!.id, isPublic: true })).isPublic).toBe(true);
    expect((await reader.api.artifacts.get({ id: priv!.id })).id).toBe(priv!.id);
  });

  it('has_privacy_tag is kept by the tags\' trigger alone; ingest-time privacy tags hide at once', async () => {
    const { user, api, job } = await userWithJob(app);
    const [tagged] = (await api.artifacts.ingestMany({ jobId: job.id, artifacts: [artifact('embargoed', { isPublic: true, tags: [{ tagType: 'privacy', tagKey: 'embargo' }] })] })).artifacts;
    expect((await api.artifacts.get({ id: tagged!.id })).hasPrivacyTag).toBe(true);
    expect(await codeOf((await scraperUser(app)).api.artifacts.get({ id: tagged!.id }))).toBe('NOT_FOUND');
    const probe = app.probe({ token: user.token });
    expect(await codeOf(probe.sql([{ text: `update scraper.artifacts set has_privacy_tag = false where id = $1`, values: [tagged!.id] }]))).toBe('FORBIDDEN');
    // Deleting the last privacy tag clears it; another privacy tag keeps it.
    await api.tags.add({ artifactId: tagged!.id, tagType: 'privacy', tagKey: 'pii' });
    await api.tags.remove({ artifactId: tagged!.id, tagType: 'privacy', tagKey: 'embargo' });
    expect((await api.artifacts.get({ id: tagged!.id })).hasPrivacyTag).toBe(true);
    await api.tags.remove({ artifactId: tagged!.id, tagType: 'privacy', tagKey: 'pii' });
    expect((await api.artifacts.get({ id: tagged!.id })).hasPrivacyTag).toBe(false);
  });

  it('list by job, type, tag; search by title words; keyset pages', async () => {
    const { user, api, job } = await userWithJob(app);
    const stored = await api.artifacts.ingestMany({
      jobId: job.id,
      artifacts: [
        artifact('a1', { title: 'Solar panels on public buildings', tags: [{ tagType: 'keyword', tagKey: 'energy' }] }),
        artifact('a2', { title: 'Wind farms and birds', artifactType: 'paper', tags: [{ tagType: 'keyword', tagKey: 'energy' }] }),
        artifact('a3', { title: 'Municipal budget 2024', artifactType: 'government_doc' }),
      ],
    });
    const [a1, a2, a3] = stored.artifacts.map((a) => a.id);
    // Newest first is id order (a batch is inserted in hash order, not in the order sent).
    const desc = (...xs: Array<string | undefined>) => [...xs].sort().reverse();
    const ids = async (input: Record<string, unknown>) => (await api.artifacts.list(input)).items.map((a) => a.id);
    expect(await ids({})).toEqual(desc(a1, a2, a3));
    expect(await ids({ jobId: job.id })).toEqual(desc(a1, a2, a3));
    expect(await ids({ artifactType: 'paper' })).toEqual([a2]);
    expect(await ids({ tag: { tagType: 'keyword', tagKey: 'energy' } })).toEqual(desc(a1, a2));
    const page1 = await api.artifacts.list({ limit: 2 });
    expect(page1.items.map((a) => a.id)).toEqual(desc(a1, a2, a3).slice(0, 2));
    expect((await api.artifacts.list({ limit: 2, cursor: page1.nextCursor! })).items.map((a) => a.id)).toEqual(desc(a1, a2, a3).slice(2));
    const search = async (query: string) => (await api.artifacts.search({ terms: query })).items.map((a) => a.id);
    expect(await search('solar panel')).toEqual([a1]);
    expect(await search('building')).toEqual([a1]);
    expect(await search('wind OR budget')).toEqual(desc(a2, a3));
    expect(await search('"birds and wind"')).toEqual([]);
    expect(badFields(await failure(api.artifacts.list({ jobId: job.id, public: true })))).toEqual(['artifactType']);
    expect(await codeOf((await scraperUser(app)).api.artifacts.list({ userId: user.id }))).toBe('FORBIDDEN');
    // Another user's search sees only public artifacts.
    const reader = await scraperUser(app);
    expect((await reader.api.artifacts.search({ terms: 'solar' })).items).toEqual([]);
    await api.artifacts.setPublic({ id: a1!, isPublic: true });
    expect((await reader.api.artifacts.search({ terms: 'solar' })).items.map((a) => a.id)).toEqual([a1]);
    expect((await reader.api.artifacts.list({ tag: { tagType: 'keyword', tagKey: 'energy' } })).items.map((a) => a.id)).toEqual([a1]);
    // Delete takes tags along.
    await api.artifacts.delete({ id: a1! });
    expect(await ids({ tag: { tagType: 'keyword', tagKey: 'energy' } })).toEqual([a2]);
  });

  it('extractions: add and list in order, data kept as sent, confidence exact', async () => {
    const { api, job } = await userWithJob(app);
    const [a] = (await api.artifacts.ingestMany({ jobId: job.id, artifacts: [artifact('with extractions')] })).artifacts;
    const links = await api.extractions.add({ artifactId: a!.id, extractionType: 'links', extractedData: ['https://a.example', { href: 'b', constructor: 'kept' }], confidenceScore: '0.5' });
    expect(links).toMatchObject({ extractionType: 'links', confidenceScore: '0.50' });
    await api.extractions.add({ artifactId: a!.id, extractionType: 'text', extractedData: { text: 'Hello' } });
    const listed = await api.extractions.list({ artifactId: a!.id });
    expect(listed.items.map((e) => [e.extractionType, e.extractedData])).toEqual([
      ['links', ['https://a.example', { href: 'b', constructor: 'kept' }]],
      ['text', { text: 'Hello' }],
    ]);
    expect(badFields(await failure(api.extractions.add({ artifactId: a!.id, extractionType: 'text', extractedData: { body: 'x' } })))).toEqual(['extractedData']);
    expect(badFields(await failure(api.extractions.add({ artifactId: a!.id, extractionType: 'text', extractedData: { text: 'x' }, confidenceScore: '0.123' })))).toEqual(['confidenceScore']);
    expect(await codeOf((await scraperUser(app)).api.extractions.list({ artifactId: a!.id }))).toBe('NOT_FOUND');
  });
});
