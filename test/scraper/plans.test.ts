/**
 * The Scraper's queries keep their indexes under a GENERIC plan (what a named prepared statement
 * runs after five executions), planned as a request runs them: SET ROLE app_request with the
 * acting user in app.user_id (RLS applies), `plan_cache_mode = force_generic_plan`, PREPARE and
 * EXPLAIN EXECUTE (EXPLAIN (GENERIC_PLAN) does not exist on PostgreSQL 15). The tables hold
 * enough rows that a sequential scan or a sort would be chosen if the index did not fit.
 */
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  findArtifactsByHash,
  listArtifactsByTag,
  listJobArtifacts,
  listPublicArtifacts,
  listUserArtifacts,
  listUserArtifactsByType,
  searchArtifacts,
} from '../../sql/scraper/artifacts.queries.js';
import { listArtifactExtractions } from '../../sql/scraper/content_extractions.queries.js';
import {
  claimPendingJobs,
  listUserJobs,
  listUserJobsByKeyword,
  listUserJobsByStatus,
  listUserJobsByType,
  reclaimStaleJobs,
} from '../../sql/scraper/scraping_jobs.queries.js';
import { useTestApp } from '../support/app.js';
import { genericPlan as planAs, indexCondition, type Runnable } from '../support/plans.js';

const app = useTestApp();
const genericPlan = (query: Runnable, params: Record<string, unknown>, actor: { id: string; role: 'user' | 'admin' }) =>
  planAs(app.superUrl, query, params, actor);
const ID = '01900000-0000-7000-8000-000000000001';

// Rows written straight in, triggers off (no audit): only the statistics matter. 100 users; 20
// of them with 3,000 finished jobs each (keywords from 500 words), all with 3 pending ones, and
// 600 artifacts each (in six of their jobs, titles from 500 words), each with a tag and an
// extraction: owners with more than a page of rows of every kind, where a sort or a scan of
// their rows would cost.
const FILL = `
begin;
set local session_replication_role = replica;
insert into core.users (id, username, email, password_hash, role)
  select core.uuidv7(), 'splan' || i, 'splan' || i || '@example.com', '$argon2id$fill', case when i = 1 then 'admin' else 'user' end
    from generate_series(1, 100) i;
insert into scraper.scraping_jobs (user_id, job_type, keywords, status, started_at, completed_at, progress, error_message)
  select u.id, (array['web', 'paper', 'government'])[1 + k % 3], array['word' || (k * 7 % 500), 'word' || (k * 13 % 500)],
         case when k % 2 = 0 then 'completed' else 'failed' end, now(), now(), case when k % 2 = 0 then 100 else 0 end,
         case when k % 2 = 1 then 'e' end
    from core.users u, generate_series(1, 3000) k where u.username ~ '^splan([1-9]|1[0-9]|20)$';
insert into scraper.scraping_jobs (user_id, job_type, keywords)
  select u.id, 'web', array['pending' || k] from core.users u, generate_series(1, 3) k where u.username like 'splan%';
insert into scraper.artifacts (job_id, user_id, artifact_type, title, content_hash, minio_path, is_public, has_privacy_tag)
  select j.id, j.user_id, (array['web_page', 'paper', 'government_doc', 'social_media'])[1 + k % 4], 'report on word' || (k * 11 % 500),
         encode(sha256((j.id::text || k)::bytea), 'hex'), 'bucket/' || k, k % 10 = 0, k % 30 = 0
    from (select id, user_id, row_number() over (partition by user_id order by id) as n from scraper.scraping_jobs) j,
         generate_series(1, 100) k
   where j.n <= 6;
insert into scraper.metadata_tags (artifact_id, tag_type, tag_key, tag_value)
  select a.id, (array['type', 'keyword', 'user', 'privacy'])[1 + t % 4], 'key' || ((hashtext(a.id::text) + t) & 255), 'v'
    from scraper.artifacts a, generate_series(1, 1) t;
insert into scraper.content_extractions (artifact_id, extraction_type, extracted_data)
  select a.id, 'metadata', '{}' from scraper.artifacts a;
commit;
analyze core.users, scraper.scraping_jobs, scraper.artifacts, scraper.metadata_tags, scraper.content_extractions;
`;

let user = '';
let admin = '';
let job = '';
let artifact = '';

beforeAll(async () => {
  await app.sql(FILL);
  const { rows } = await app.sql<{ id: string; role: string }>(`select id, role from core.users where username in ('splan1', 'splan2')`);
  admin = rows.find((r) => r.role === 'admin')!.id;
  user = rows.find((r) => r.role === 'user')!.id;
  job = (await app.sql<{ id: string }>(`select job_id as id from scraper.artifacts where user_id = $1 limit 1`, [user])).rows[0]!.id;
  artifact = (await app.sql<{ id: string }>(`select id from scraper.artifacts where job_id = $1 limit 1`, [job])).rows[0]!.id;
});

const asUser = () => ({ id: user, role: 'user' as const });
const asAdmin = () => ({ id: admin, role: 'admin' as const });
const BEFORE_ID = /\bid < CASE WHEN/;
const OWNER = 'user_id = $1';

// [name, query, params, actor, index, what its Index Cond must hold, whether a sort is fine]
const cases: Array<[string, Runnable, () => Record<string, unknown>, () => { id: string; role: 'user' | 'admin' }, string, Array<string | RegExp>, boolean]> = [
  ['jobs.list', listUserJobs, () => ({ userId: user, before: null, limit: 50 }), asUser, 'scraping_jobs_user_list_idx', [OWNER, BEFORE_ID], false],
  ['jobs.list by status', listUserJobsByStatus, () => ({ userId: user, status: 'completed', before: ID, limit: 50 }), asUser, 'scraping_jobs_user_status_list_idx', [OWNER, 'status = $2', BEFORE_ID], false],
  ['jobs.list by type', listUserJobsByType, () => ({ userId: user, jobType: 'paper', before: null, limit: 50 }), asUser, 'scraping_jobs_user_type_list_idx', [OWNER, 'job_type = $2', BEFORE_ID], false],
  ['jobs.list by type (admin, another user)', listUserJobsByType, () => ({ userId: user, jobType: 'paper', before: null, limit: 50 }), asAdmin, 'scraping_jobs_user_type_list_idx', [OWNER, 'job_type = $2', BEFORE_ID], false],
  // The ids come from scraper.jobs_with_keyword (its own plan below); the page is read by primary key.
  ['jobs.list by keyword', listUserJobsByKeyword, () => ({ userId: user, keyword: 'word7', before: null, limit: 50 }), asUser, 'scraping_jobs_pkey', ['id = ANY'], true],
  // The only sort is of the claimed rows (at most :limit), into the order they are returned in.
  ['jobs.claim (the pending partial index)', claimPendingJobs, () => ({ workerId: 'w', leaseSeconds: 60, limit: 10 }), asAdmin, 'scraping_jobs_pending_idx', [], true],
  ['artifacts.list', listUserArtifacts, () => ({ userId: user, before: null, limit: 50 }), asUser, 'artifacts_user_list_idx', [OWNER, BEFORE_ID], false],
  ['artifacts.list by type', listUserArtifactsByType, () => ({ userId: user, artifactType: 'paper', before: null, limit: 50 }), asUser, 'artifacts_user_type_list_idx', [OWNER, 'artifact_type = $2', BEFORE_ID], false],
  ['artifacts.list by job', listJobArtifacts, () => ({ jobId: job, before: null, limit: 50 }), asUser, 'artifacts_job_list_idx', ['job_id = $1', BEFORE_ID], false],
  ['artifacts.list public', listPublicArtifacts, () => ({ before: null, limit: 50 }), asUser, 'artifacts_public_list_idx', [BEFORE_ID], false],
  ['artifacts.list by tag', listArtifactsByTag, () => ({ tagType: 'keyword', tagKey: 'key7', before: null, limit: 50 }), asUser, 'metadata_tags_tag_idx', ['tag_type = $1', 'tag_key = $2', /artifact_id < CASE WHEN/], false],
  // The ids come from scraper.artifacts_matching (its own plan below); the page is read by primary key.
  ['artifacts.search', searchArtifacts, () => ({ terms: 'word42', before: null, limit: 50 }), asUser, 'artifacts_pkey', ['id = ANY'], true],
  ['ingest: the duplicates of a batch', findArtifactsByHash, () => ({ userId: user, contentHashes: ['ab', 'cd'] }), asUser, 'artifacts_user_content_hash_key', [OWNER, 'content_hash = ANY'], false],
  ['extractions.list', listArtifactExtractions, () => ({ artifactId: artifact, after: null, limit: 50 }), asUser, 'content_extractions_artifact_list_idx', ['artifact_id = $1', /id > CASE WHEN/], false],
];

describe('Scraper queries under generic plans (named prepared statements), as the request role under RLS', () => {
  it.each(cases)('%s: its index, with the filters as index conditions', async (_name, query, params, actor, index, conditions, sorts) => {
    const plan = await genericPlan(query, params(), actor());
    const lines = plan.split('\n');
    expect(lines.some((line) => line.includes(index) && /Scan/.test(line)), plan).toBe(true);
    const cond = indexCondition(plan, index);
    for (const condition of conditions) {
      if (typeof condition === 'string') expect(cond, plan).toContain(condition);
      else expect(cond, plan).toMatch(condition);
    }
    // The RLS policies' own subqueries may scan other tables as they like; the listed table is never read whole.
    expect(plan).not.toMatch(/Seq Scan on (scraping_jobs|artifacts|metadata_tags|content_extractions)\b/);
    if (!sorts) expect(plan).not.toMatch(/\bSort\b/);
    else expect((plan.match(/Sort Key: .*/g) ?? []).length, plan).toBeLessThanOrEqual(1);
  });

  it('reclaim finds expired leases through the partial index on lease_expires_at', async () => {
    const plan = await genericPlan(reclaimStaleJobs, { limit: 100 }, asAdmin());
    expect(plan).toMatch(/scraping_jobs_lease_expires_idx/);
  });

  // A request's own query could not use these GIN indexes (@> and @@ are not leakproof, so RLS
  // keeps them out of index conditions): the search functions run as the owner and use them.
  it.each([
    ['scraper.jobs_with_keyword', 'scraper.jobs_with_keyword(uuid, text)', ['p_user_id', 'p_keyword'], '(uuid, text)', 'scraping_jobs_user_keywords_idx', ['user_id = $1', 'keywords @> ARRAY[$2]']],
    ['scraper.artifacts_matching', 'scraper.artifacts_matching(text, uuid)', ['p_terms', 'p_before'], '(text, uuid)', 'artifacts_title_search_idx', ['@@ websearch_to_tsquery']],
  ])('%s finds its matches through the GIN index under a generic plan, as the owner it runs as', async (_name, fn, args, types, index, conditions) => {
    const { rows } = await app.sql<{ src: string }>(`select prosrc as src from pg_proc where oid = $1::regprocedure`, [fn]);
    const body = args.reduce((text, arg, i) => text.replaceAll(arg, `$${i + 1}`), rows[0]!.src);
    const client = new pg.Client({ connectionString: app.url });
    await client.connect();
    try {
      await client.query('begin');
      await client.query(`select set_config('app.user_id', $1, true), set_config('app.user_role', 'user', true)`, [user]);
      await client.query('set local plan_cache_mode = force_generic_plan');
      await client.query(`prepare search_plan${types} as ${body}`);
      const values = types.startsWith('(uuid') ? [user, 'word7'] : ['word42', null];
      const args = values.map((value) => (value === null ? 'null' : pg.escapeLiteral(value))).join(', ');
      const plan = (await client.query<{ 'QUERY PLAN': string }>(`explain (costs off) execute search_plan(${args})`)).rows
        .map((row) => row['QUERY PLAN'])
        .join('\n');
      expect(plan).toMatch(new RegExp(`Bitmap Index Scan on ${index}`));
      const cond = indexCondition(plan, index);
      for (const condition of conditions) expect(cond, plan).toContain(condition);
      expect(plan).not.toMatch(/Seq Scan/);
    } finally {
      await client.query('rollback');
      await client.end();
    }
  });
});
