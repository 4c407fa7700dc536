/**
 * VerificAI's queries keep their indexes under a GENERIC plan (what a named prepared statement
 * runs after five executions), planned as a request runs them: SET ROLE app_request with the
 * acting user in app.user_id (RLS applies), `plan_cache_mode = force_generic_plan`, PREPARE and
 * EXPLAIN EXECUTE (EXPLAIN (GENERIC_PLAN) does not exist on PostgreSQL 15). The tables hold
 * enough rows that a sequential scan or a sort would be chosen if the index did not fit.
 */
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { listResults, listResultsByStatus, listResultsByType, listResultsByTypeAndStatus } from '../../sql/verificai/analysis_results.queries.js';
import { listAllSessions, listAllSessionsByStatus, listSessions, listSessionsByStatus } from '../../sql/verificai/analysis_sessions.queries.js';
import { claimPendingTasks, claimSessionTasks, listTasks, reclaimStaleTasks } from '../../sql/verificai/analysis_tasks.queries.js';
import { listConfigurationHistory, listLatestConfigurations } from '../../sql/verificai/configurations.queries.js';
import { listFileUploads, listFileUploadsByStatus } from '../../sql/verificai/file_uploads.queries.js';
import { useTestApp } from '../support/app.js';
import { genericPlan as planAs, indexCondition, type Runnable } from '../support/plans.js';

const app = useTestApp();
const genericPlan = (query: Runnable, params: Record<string, unknown>, actor: { id: string; role: 'user' | 'admin' }) =>
  planAs(app.superUrl, query, params, actor);
const ID = '01900000-0000-7000-8000-000000000001';

// Rows written straight in, triggers off (no audit, no counters): only the statistics matter.
// 300 users with 10 sessions each; 100 sessions of one user hold 40 files, 30 results and 10 tasks.
const FILL = `
begin;
set local session_replication_role = replica;
insert into core.users (id, username, email, password_hash, role)
  select core.uuidv7(), 'vplan' || i, 'vplan' || i || '@example.com', '$argon2id$fill', case when i = 1 then 'admin' else 'user' end
    from generate_series(1, 300) i;
insert into verificai.analysis_sessions (user_id, session_name, status, completed_at)
  select u.id, 's' || k, (array['created', 'uploading', 'analyzing', 'completed'])[1 + k % 4], case when k % 4 = 3 then now() end
    from core.users u, generate_series(1, 10) k where u.username like 'vplan%';
insert into verificai.configurations (user_id, config_type, prompt_content, version)
  select u.id, t, 'prompt', v from core.users u, unnest(array['security', 'performance', 'code_quality']) t, generate_series(1, 60) v
   where u.username like 'vplan%';
insert into verificai.file_uploads (analysis_session_id, file_name, file_path, file_size, file_type, upload_status)
  select s.id, 'f' || k, '/f/' || k, 100, 'text/x-python', (array['uploaded', 'processing', 'processed', 'failed'])[1 + k % 4]
    from verificai.analysis_sessions s, generate_series(1, 40) k;
insert into verificai.analysis_results (analysis_session_id, analysis_type, result_content, score, status)
  select s.id, (array['security', 'performance', 'code_quality'])[1 + k % 3], 'r', k, (array['completed', 'completed', 'pending', 'failed'])[1 + k % 4]
    from verificai.analysis_sessions s, generate_series(1, 30) k;
insert into verificai.analysis_tasks (analysis_session_id, task_id, task_type, status, progress, started_at, completed_at)
  select s.id, s.id || '-' || k, 'code_analysis', case when k = 1 then 'pending' else 'completed' end,
         case when k = 1 then 0 else 100 end, case when k > 1 then now() end, case when k > 1 then now() end
    from verificai.analysis_sessions s, generate_series(1, 10) k;
commit;
analyze core.users, verificai.analysis_sessions, verificai.configurations, verificai.file_uploads, verificai.analysis_results, verificai.analysis_tasks;
`;

let user = '';
let admin = '';
let session = '';

beforeAll(async () => {
  await app.sql(FILL);
  const { rows } = await app.sql<{ id: string; role: string }>(`select id, role from core.users where username in ('vplan1', 'vplan2')`);
  admin = rows.find((r) => r.role === 'admin')!.id;
  user = rows.find((r) => r.role === 'user')!.id;
  session = (await app.sql<{ id: string }>(`select id from verificai.analysis_sessions where user_id = $1 limit 1`, [user])).rows[0]!.id;
});

const asUser = () => ({ id: user, role: 'user' as const });
const asAdmin = () => ({ id: admin, role: 'admin' as const });
const BEFORE_ID = /\bid < CASE WHEN/;
const AFTER_ID = /\bid > CASE WHEN/;
const SESSION = 'analysis_session_id = $1';

// [name, query, params, actor, index, what its Index Cond must hold]
const cases: Array<[string, Runnable, () => Record<string, unknown>, () => { id: string; role: 'user' | 'admin' }, string, Array<string | RegExp>]> = [
  ['sessions.list', listSessions, () => ({ userId: user, before: null, limit: 50 }), asUser, 'analysis_sessions_user_list_idx', ['user_id = $1', BEFORE_ID]],
  ['sessions.list by status', listSessionsByStatus, () => ({ userId: user, status: 'completed', before: ID, limit: 50 }), asUser, 'analysis_sessions_user_status_list_idx', ['user_id = $1', 'status = $2', BEFORE_ID]],
  ['sessions.list (admin)', listAllSessions, () => ({ before: null, limit: 50 }), asAdmin, 'analysis_sessions_pkey', [BEFORE_ID]],
  ['sessions.list by status (admin)', listAllSessionsByStatus, () => ({ status: 'analyzing', before: null, limit: 50 }), asAdmin, 'analysis_sessions_pkey', [BEFORE_ID]],
  ['configurations.history', listConfigurationHistory, () => ({ userId: user, configType: 'security', beforeVersion: null, limit: 50 }), asUser, 'configurations_user_type_version_key', ['user_id = $1', 'config_type = $2', /version < CASE WHEN/]],
  ['files.list', listFileUploads, () => ({ sessionId: session, after: null, limit: 50 }), asUser, 'file_uploads_session_list_idx', [SESSION, AFTER_ID]],
  ['files.list by status', listFileUploadsByStatus, () => ({ sessionId: session, status: 'failed', after: null, limit: 50 }), asUser, 'file_uploads_session_status_list_idx', [SESSION, 'upload_status = $2', AFTER_ID]],
  ['results.list', listResults, () => ({ sessionId: session, before: null, limit: 50 }), asUser, 'analysis_results_session_list_idx', [SESSION, BEFORE_ID]],
  ['results.list by type', listResultsByType, () => ({ sessionId: session, analysisType: 'security', before: null, limit: 50 }), asUser, 'analysis_results_session_type_list_idx', [SESSION, 'analysis_type = $2', BEFORE_ID]],
  ['results.list by status', listResultsByStatus, () => ({ sessionId: session, status: 'failed', before: null, limit: 50 }), asUser, 'analysis_results_session_status_list_idx', [SESSION, 'status = $2', BEFORE_ID]],
  ['tasks.list', listTasks, () => ({ sessionId: session, before: null, limit: 50 }), asUser, 'analysis_tasks_session_list_idx', [SESSION, BEFORE_ID]],
];

describe('VerificAI queries under generic plans, as the request role under RLS', () => {
  it.each(cases)('%s: its index, with the filters and the cursor as index conditions, and no sort', async (_name, query, params, actor, index, conditions) => {
    const plan = await genericPlan(query, params(), actor());
    const cond = indexCondition(plan, index);
    expect(cond, plan).not.toBe('');
    for (const condition of conditions) {
      if (typeof condition === 'string') expect(cond, plan).toContain(condition);
      else expect(cond, plan).toMatch(condition);
    }
    expect(plan).not.toMatch(/\bSort\b|Seq Scan|Bitmap/);
  });

  it('configurations.list reads only the user\'s versions, through the (user_id, config_type, version) key', async () => {
    // DISTINCT ON reads all of the user's versions whatever the plan; sorting them is its cost.
    const plan = await genericPlan(listLatestConfigurations, { userId: user }, asUser());
    expect(plan).toMatch(/Index Cond: \(user_id = \$1\)/);
    expect(plan).toContain('configurations_user_type_version_key');
    expect(plan).not.toMatch(/Seq Scan/);
  });

  it('results.list by type and status: one of the session\'s indexes, both filters applied, no sort', async () => {
    const plan = await genericPlan(listResultsByTypeAndStatus, { sessionId: session, analysisType: 'security', status: 'failed', before: null, limit: 50 }, asUser());
    expect(plan).toMatch(/Index Scan using analysis_results_session_(type|status)_list_idx/);
    expect(plan).toContain('analysis_type');
    expect(plan).toMatch(/\bstatus\b/);
    expect(plan).not.toMatch(/\bSort\b|Seq Scan/);
  });

  it('claiming takes the head of the queue from the pending tasks\' partial index; reclaiming reads only the expired leases', async () => {
    const claim = await genericPlan(claimPendingTasks, { workerId: 'w', leaseSeconds: 60, limit: 10 }, asAdmin());
    expect(claim).toMatch(/Index (Only )?Scan using analysis_tasks_pending_idx/);
    // The only sort is of the claimed rows (at most :limit), into the order they are returned in.
    expect(claim.match(/Sort Key: .*/g)).toEqual(['Sort Key: claimed.id']);
    expect(claim).not.toMatch(/Seq Scan on analysis_tasks/);
    // A claim of one session's tasks reads that session's tasks, not the whole queue.
    const dedicated = await genericPlan(claimSessionTasks, { workerId: 'w', leaseSeconds: 60, limit: 10, sessionId: session }, asAdmin());
    expect(dedicated).toMatch(/Index Cond: \(analysis_session_id = \$\d\)|Index Scan using analysis_tasks_pending_idx/);
    expect(dedicated).not.toMatch(/Seq Scan on analysis_tasks/);
    const reclaim = await genericPlan(reclaimStaleTasks, { limit: 100 }, asAdmin());
    expect(indexCondition(reclaim, 'analysis_tasks_lease_expires_idx')).toMatch(/lease_expires_at < now\(\)/);
    expect(reclaim).not.toMatch(/Seq Scan on analysis_tasks|\bSort\b/);
  });

  it('every foreign key has an index that serves its lookups (cascades, SET NULL, the check on delete)', async () => {
    const { rows: keys } = await app.sql<{ table: string; name: string; columns: string[] }>(
      `select c.conrelid::regclass::text as table, c.conname as name,
              array(select a.attname::text from unnest(c.conkey) k(n) join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n) as columns
         from pg_constraint c
        where c.contype = 'f' and c.connamespace = 'verificai'::regnamespace
        order by 1, 2`,
    );
    expect(keys.length).toBe(6);
    const client = new pg.Client({ connectionString: app.superUrl });
    await client.connect();
    try {
      await client.query('begin');
      await client.query('set local enable_seqscan = off');
      await client.query('set local plan_cache_mode = force_generic_plan');
      for (const [i, key] of keys.entries()) {
        const where = key.columns.map((column, n) => `${pg.escapeIdentifier(column)} = $${n + 1}`).join(' and ');
        await client.query(`prepare fk_${i} as select 1 from ${key.table} where ${where}`);
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain (costs off) execute fk_${i}(${key.columns.map(() => 'null').join(', ')})`);
        expect(rows.map((r) => r['QUERY PLAN']).join('\n'), `${key.table} ${key.name}`).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
      }
    } finally {
      await client.query('rollback');
      await client.end();
    }
  });
});
