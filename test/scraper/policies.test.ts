/**
 * The Scraper's row-level security, column grants and audit copies, asked directly with SQL
 * as the request role (the probe), whatever the procedures would send.
 */
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../support/app.js';
import { codeOf } from '../support/errors.js';
import { rowsAs } from '../support/probe.js';
import { artifact, scraperUser, sha256, userWithJob } from './helpers.js';

const app = useTestApp();

/** A user's job with settings and a private artifact carrying a tag and an extraction; a stranger. */
async function privateWorld() {
  const { user, api, job } = await userWithJob(app, ['confidential keyword']);
  await api.jobs.configure.set({ jobId: job.id, configKey: 'api_endpoint', configValue: 'https://internal.example' });
  const [a] = (
    await api.artifacts.ingestMany({
      jobId: job.id,
      artifacts: [artifact('private memo', { title: 'Private memo about mergers', tags: [{ tagType: 'user', tagKey: 'secret-project' }], extractions: [{ extractionType: 'text', extractedData: { text: 'merger terms' } }] })],
    })
  ).artifacts;
  const stranger = await scraperUser(app);
  return { user, api, job, artifactId: a!.id, stranger, probe: app.probe({ token: stranger.user.token }), own: app.probe({ token: user.token }) };
}

describe('a stranger reads nothing of another user\'s private rows, by any query', () => {
  it('jobs, settings, artifacts, tags and extractions', async () => {
    const { job, artifactId, probe, own } = await privateWorld();
    for (const [table, column, id] of [
      ['scraper.scraping_jobs', 'id', job.id],
      ['scraper.job_configurations', 'job_id', job.id],
      ['scraper.artifacts', 'id', artifactId],
      ['scraper.metadata_tags', 'artifact_id', artifactId],
      ['scraper.content_extractions', 'artifact_id', artifactId],
    ]) {
      expect(await rowsAs(probe, `select 1 from ${table} where ${column} = $1`, [id]), table).toEqual([]);
      expect(await rowsAs(own, `select 1 as one from ${table} where ${column} = $1`, [id]), table).toEqual([{ one: 1 }]);
    }
  });

  it('nor through the search functions, which apply the select policies\' rule themselves', async () => {
    const { user, job, artifactId, probe, own } = await privateWorld();
    expect(await rowsAs(probe, `select scraper.jobs_with_keyword($1, 'confidential keyword') as id`, [user.id])).toEqual([]);
    expect(await rowsAs(own, `select scraper.jobs_with_keyword($1, 'confidential keyword') as id`, [user.id])).toEqual([{ id: job.id }]);
    expect(await rowsAs(probe, `select scraper.artifacts_matching('mergers', null) as id`)).toEqual([]);
    expect(await rowsAs(own, `select scraper.artifacts_matching('mergers', null) as id`)).toEqual([{ id: artifactId }]);
    expect(await rowsAs(app.probe(), `select scraper.artifacts_matching('mergers', null) as id`)).toEqual([]);
    // Shared: every signed-in user finds it, anonymous callers still not; a privacy tag hides it again.
    await app.sqlAsAdmin(`update scraper.artifacts set is_public = true where id = $1`, [artifactId]);
    expect(await rowsAs(probe, `select scraper.artifacts_matching('mergers', null) as id`)).toEqual([{ id: artifactId }]);
    expect(await rowsAs(app.probe(), `select scraper.artifacts_matching('mergers', null) as id`)).toEqual([]);
    await app.sqlAsAdmin(`insert into scraper.metadata_tags (artifact_id, tag_type, tag_key) values ($1, 'privacy', 'nda')`, [artifactId]);
    expect(await rowsAs(probe, `select scraper.artifacts_matching('mergers', null) as id`)).toEqual([]);
  });

  it('a stranger changes and deletes nothing: settings, tags', async () => {
    const { job, artifactId, probe } = await privateWorld();
    expect(await rowsAs(probe, `delete from scraper.job_configurations where job_id = $1 returning id`, [job.id])).toEqual([]);
    expect(await rowsAs(probe, `update scraper.job_configurations set config_value = 'x' where job_id = $1 returning id`, [job.id])).toEqual([]);
    expect(await rowsAs(probe, `delete from scraper.metadata_tags where artifact_id = $1 returning id`, [artifactId])).toEqual([]);
    expect(await rowsAs(probe, `delete from scraper.artifacts where id = $1 returning id`, [artifactId])).toEqual([]);
    expect(await codeOf(probe.sql([{ text: `insert into scraper.job_configurations (job_id, config_key) values ($1, 'injected')`, values: [job.id] }]))).toBe('FORBIDDEN');
    expect(await codeOf(probe.sql([{ text: `insert into scraper.metadata_tags (artifact_id, tag_type, tag_key) values ($1, 'user', 'injected')`, values: [artifactId] }]))).toBe('FORBIDDEN');
    expect((await app.sql(`select count(*)::int as n from scraper.job_configurations where job_id = $1`, [job.id])).rows[0]).toEqual({ n: 1 });
  });
});

describe('column grants: what stays as it was written', () => {
  it('an artifact\'s content fields, a setting\'s key, tags and extractions cannot be rewritten, even by their owner', async () => {
    const { job, artifactId, own } = await privateWorld();
    for (const text of [
      `update scraper.artifacts set title = 'rewritten' where id = $1`,
      `update scraper.artifacts set content_hash = '${sha256('other')}' where id = $1`,
      `update scraper.artifacts set user_id = gen_random_uuid() where id = $1`,
      `update scraper.metadata_tags set tag_value = 'rewritten' where artifact_id = $1`,
      `update scraper.content_extractions set confidence_score = 1 where artifact_id = $1`,
    ]) {
      expect(await codeOf(own.sql([{ text, values: [artifactId] }])), text).toBe('FORBIDDEN');
    }
    expect(await codeOf(own.sql([{ text: `update scraper.job_configurations set config_key = 'renamed' where job_id = $1`, values: [job.id] }]))).toBe('FORBIDDEN');
    expect(await codeOf(own.sql([{ text: `delete from scraper.content_extractions where artifact_id = $1`, values: [artifactId] }]))).toBe('FORBIDDEN');
  });
});

describe('audit copies and cascades', () => {
  it('extractions are audited without their data; artifacts with a job of their own user only', async () => {
    const { user, artifactId } = await privateWorld();
    const { rows } = await app.sql(
      `select new_value from core.audit_log where entity_schema = 'scraper' and entity_table = 'content_extractions' and new_value ->> 'artifact_id' = $1`,
      [artifactId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.new_value.extracted_data).toBe('[redacted]');
    expect(rows[0]!.new_value.extraction_type).toBe('text');
    // An artifact without a job goes with its user (ON DELETE CASCADE on user_id).
    await app.sqlAsAdmin(`insert into scraper.artifacts (user_id, artifact_type, content_hash, minio_path) values ($1, 'paper', $2, 'bucket/jobless.pdf')`, [user.id, sha256('jobless')]);
    await app.sqlAsAdmin(`delete from core.users where id = $1`, [user.id]);
    expect((await app.sql(`select count(*)::int as n from scraper.artifacts where user_id = $1`, [user.id])).rows[0]).toEqual({ n: 0 });
  });
});
