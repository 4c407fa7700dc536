/**
 * Every keyset list query keeps its index under a GENERIC plan, the plan a named prepared
 * statement switches to after five runs, planned without the parameter values. Each query runs
 * as a request does (SET ROLE app_request, the acting user in app.user_id: RLS applies), under
 * `plan_cache_mode = force_generic_plan`, through PREPARE and EXPLAIN EXECUTE (EXPLAIN
 * (GENERIC_PLAN) does not exist on PostgreSQL 15). The tables hold enough rows that a
 * sequential scan or a sort of the owner's rows would be chosen if the index did not fit, so a
 * query whose filters or cursor are not index conditions fails here.
 */
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { listActiveConversations, listUserConversations } from '../../sql/componentforge/conversations.queries.js';
import { listDocumentChunks } from '../../sql/componentforge/document_chunks.queries.js';
import { listPendingDocuments, listUserDocumentsByStatus } from '../../sql/componentforge/documents.queries.js';
import { listEvaluationRuns, listEvaluationRunsByStatus } from '../../sql/componentforge/evaluation_runs.queries.js';
import { listEmbeddingModels } from '../../sql/componentforge/embedding_models.queries.js';
import { listConversationMessages } from '../../sql/componentforge/messages.queries.js';
import { listAllExportsByComponent, listAllFastExports, listExportsByComponent, listFastExports } from '../../sql/componentforge/requirement_exports.queries.js';
import {
  listAuditEntries,
  listAuditEntriesByAction,
  listAuditEntriesByActor,
  listAuditEntriesForEntity,
  listAuditEntriesForTable,
} from '../../sql/core/audit_log.queries.js';
import { listConfigs } from '../../sql/core/system_configurations.queries.js';
import { listUsers } from '../../sql/core/users.queries.js';
import { listDocuments, listDocumentsByStatus, listDocumentsInProject } from '../../sql/socrates/documents.queries.js';
import { listMessages } from '../../sql/socrates/messages.queries.js';
import { listProjects, listProjectsByStatus } from '../../sql/socrates/projects.queries.js';
import { listSessions, listSessionsByStatus, listSessionsInProject } from '../../sql/socrates/sessions.queries.js';
import { useTestApp } from '../support/app.js';
import { genericPlan as planAs, indexCondition, type Runnable } from '../support/plans.js';

const app = useTestApp();
const genericPlan = (query: Runnable, params: Record<string, unknown>, actor: { id: string; role: 'user' | 'admin' }) =>
  planAs(app.superUrl, query, params, actor);
const ID = '01900000-0000-7000-8000-000000000001';

// Rows written straight in, triggers off (no audit): only the statistics matter. 2,000 users
// with 10 exports each; 100 of them own 20 projects, 240 sessions of 5 messages and 180
// documents each: owners with more than a page of rows, where a sort would cost.
const FILL = `
begin;
set local session_replication_role = replica;
insert into core.users (id, username, email, password_hash, status, role)
  select core.uuidv7(), 'plan' || i, 'plan' || i || '@example.com', '$argon2id$fill',
         case when i % 50 = 0 then 'SUSPENDED' when i % 20 = 0 then 'INACTIVE' else 'ACTIVE' end,
         case when i % 100 = 7 then 'admin' else 'user' end
    from generate_series(1, 2000) i;
insert into socrates.projects (owner_id, name, status)
  select u.id, 'p' || k, (array['PLANNING', 'DESIGN', 'DEVELOPMENT', 'TESTING', 'COMPLETE'])[1 + k % 5]
    from (select id from core.users where username like 'plan%' order by id limit 100) u, generate_series(1, 20) k;
insert into socrates.sessions (owner_id, project_id, name, status, archived_at)
  select p.owner_id, case when k % 3 = 0 then null else p.id end, 's' || k,
         (array['ACTIVE', 'PAUSED', 'ARCHIVED'])[1 + k % 3], case when k % 3 = 2 then now() end
    from socrates.projects p, generate_series(1, 12) k;
insert into socrates.documents (owner_id, project_id, filename, file_path, status)
  select p.owner_id, case when k % 3 = 0 then null else p.id end, 'f' || k, '/f',
         (array['UPLOADING', 'PROCESSING', 'PROCESSED', 'ERROR'])[1 + k % 4]
    from socrates.projects p, generate_series(1, 9) k;
insert into socrates.messages (session_id, user_id, role, content, created_at)
  select s.id, s.owner_id, 'user', 'm', now() - k * interval '1 second'
    from socrates.sessions s, generate_series(1, 5) k;
insert into componentforge.requirement_exports (user_id, component_type, requirements, proposal_latency_ms)
  select u.id, (array['Button', 'Card', 'Modal', 'Input', 'Tooltip'])[1 + k % 5], '{}', (k * 997 + length(u.username) * 13) % 10000
    from core.users u, generate_series(1, 10) k;
insert into componentforge.conversations (user_id, title, status)
  select u.id, 'c' || k, (array['active', 'archived'])[1 + k % 2] from core.users u, generate_series(1, 2) k;
insert into componentforge.documents (user_id, title, filename, file_path, processing_status)
  select p.owner_id, 'd', 'd.pdf', '/d.pdf', (array['completed', 'completed', 'completed', 'pending', 'failed'])[1 + k % 5]
    from socrates.projects p, generate_series(1, 2) k;
insert into componentforge.document_chunks (document_id, chunk_index, content)
  select d.id, k, 'chunk' from componentforge.documents d, generate_series(0, 19) k;
insert into componentforge.evaluation_runs (name, model_name, status)
  select 'run ' || i, 'gpt-4', (array['pending', 'running', 'completed', 'failed'])[1 + i % 4] from generate_series(1, 2000) i;
insert into componentforge.embedding_models (name, provider, dimension, max_tokens, is_active)
  select 'model-' || i, 'openai', 1536, 8191, false from generate_series(1, 2000) i;
insert into core.system_configurations (config_key, config_value, config_type, is_sensitive)
  select 'plan.key' || i, i::text, 'integer', false from generate_series(1, 2000) i;
insert into componentforge.messages (conversation_id, role, content, total_tokens)
  select c.id, 'user', 'm', k * 10 from componentforge.conversations c, generate_series(1, 10) k;
commit;
analyze core.users, socrates.projects, socrates.sessions, socrates.documents, socrates.messages,
        componentforge.requirement_exports, componentforge.conversations, componentforge.documents,
        componentforge.document_chunks, componentforge.evaluation_runs, componentforge.embedding_models,
        core.system_configurations;
`;

// 40,000 audit rows in the current (UTC) month's partition, one every 10 seconds from its start
// (4.6 days: never past its end), as a busy log's month holds them: 20 actors, 20 tables, 100
// rows changed 400 times each (a user's row is updated at every login), five actions. The months
// ahead, last month's partition (made here: a range from this month's start prunes it) and the
// default partition stay empty.
const AUDIT_FILL = `
select core.audit_log_create_partitions((date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date, 1);
insert into core.audit_log (occurred_at, actor_id, actor_role, action, entity_schema, entity_table, entity_id)
  select date_trunc('month', now() at time zone 'UTC') at time zone 'UTC' + i * interval '10 seconds',
         a.ids[1 + i % 20], 'user',
         (array['CREATE', 'UPDATE', 'UPDATE', 'DELETE', 'LOGIN'])[1 + i % 5],
         'app' || (i % 4), 'table' || (i % 5),
         md5((i % 100)::text)::uuid
    from (select array_agg(id order by id) as ids from core.users where username like 'plan%') a, generate_series(1, 40000) i;
analyze core.audit_log;
`;

let user = '';
let admin = '';

beforeAll(async () => {
  await app.sql(FILL);
  // VACUUM (not in a transaction) marks the pages all-visible, as on a live table: index-only scans count on it.
  await app.sql('vacuum analyze componentforge.messages');
  await app.sql(AUDIT_FILL);
  const { rows } = await app.sql<{ id: string; role: string }>(
    `select distinct on (role) u.id, u.role from core.users u
      where u.username like 'plan%' and u.status = 'ACTIVE' and (u.role = 'admin' or exists (select from socrates.projects p where p.owner_id = u.id))
      order by u.role, u.id`,
  );
  user = rows.find((r) => r.role === 'user')!.id;
  admin = rows.find((r) => r.role === 'admin')!.id;
});

const asUser = () => ({ id: user, role: 'user' as const });
const asAdmin = () => ({ id: admin, role: 'admin' as const });
const OWNER = 'owner_id = $1';
const BEFORE_ID = /\bid < CASE WHEN/;

/** Paging parameters: none, or a [from, to) range of this month's first three days (UTC) and a cursor inside it. */
/** The name of the current (UTC) month's audit partition. */
const CURRENT_MONTH = () => `audit_log_y${new Date().getUTCFullYear()}m${String(new Date().getUTCMonth() + 1).padStart(2, '0')}`;

const PREVIOUS_MONTH = () => {
  const month = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 1));
  return `audit_log_y${month.getUTCFullYear()}m${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
};

function auditPage(bounded: boolean) {
  if (!bounded) return { from: null, to: null, beforeAt: null, beforeId: null, limit: 50 };
  const day = (n: number) => new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), n)).toISOString();
  return { from: day(1), to: day(4), beforeAt: day(3), beforeId: ID, limit: 50 };
}

// [name, query, params, actor, index, what its Index Cond must hold]
const cases: Array<[string, Runnable, () => Record<string, unknown>, () => { id: string; role: 'user' | 'admin' }, string, Array<string | RegExp>]> = [
  ['componentforge.conversations.list', listUserConversations, () => ({ userId: user, beforeId: null, limit: 50 }), asUser, 'conversations_user_id_idx', ['user_id = $1', BEFORE_ID]],
  ['componentforge.conversations.listActive', listActiveConversations, () => ({ userId: user, beforeAt: null, beforeId: null, limit: 50 }), asUser, 'conversations_user_status_updated_idx', ['user_id = $1', "status = 'active'", /ROW\(updated_at, id\) < ROW\(CASE/]],
  ['componentforge.messages.list', listConversationMessages, () => ({ conversationId: ID, afterAt: null, afterId: null, limit: 50 }), asUser, 'messages_conversation_created_idx', ['conversation_id = $1', /ROW\(created_at, id\) > ROW\(CASE/]],
  ['componentforge.documents.list', listUserDocumentsByStatus, () => ({ userId: user, status: 'completed', beforeAt: null, beforeId: null, limit: 50 }), asUser, 'documents_user_status_created_idx', ['user_id = $1', 'processing_status = $2', /ROW\(created_at, id\) < ROW\(CASE/]],
  ['componentforge.documents.pending', listPendingDocuments, () => ({ afterAt: null, afterId: null, limit: 50 }), asAdmin, 'documents_status_created_idx', ["processing_status = 'pending'", /ROW\(created_at, id\) > ROW\(CASE/]],
  ['componentforge.chunks.list', listDocumentChunks, () => ({ documentId: ID, afterIndex: null, limit: 50 }), asUser, 'document_chunks_document_chunk_index_key', ['document_id = $1', /chunk_index > CASE/]],
  ['componentforge.evaluationRuns.list', listEvaluationRuns, () => ({ beforeId: null, limit: 50 }), asUser, 'evaluation_runs_pkey', [BEFORE_ID]],
  // Four statuses: a generic plan may as well walk the primary key and filter.
  ['componentforge.evaluationRuns.list by status', listEvaluationRunsByStatus, () => ({ status: 'running', beforeId: null, limit: 50 }), asUser, '(evaluation_runs_status_idx|evaluation_runs_pkey)', [BEFORE_ID]],
  ['socrates.projects.list', listProjects, () => ({ ownerId: user, before: null, limit: 50 }), asUser, 'projects_owner_list_idx', [OWNER, BEFORE_ID]],
  ['socrates.projects.list by status', listProjectsByStatus, () => ({ ownerId: user, status: 'DESIGN', before: ID, limit: 50 }), asUser, 'projects_owner_status_list_idx', [OWNER, 'status = $2', BEFORE_ID]],
  ['socrates.sessions.list', listSessions, () => ({ ownerId: user, before: null, limit: 50 }), asUser, 'sessions_owner_list_idx', [OWNER, BEFORE_ID]],
  ['socrates.sessions.list by status', listSessionsByStatus, () => ({ ownerId: user, status: 'PAUSED', before: null, limit: 50 }), asUser, 'sessions_owner_status_list_idx', [OWNER, 'status = $2', BEFORE_ID]],
  ['socrates.sessions.list in a project (and a status)', listSessionsInProject, () => ({ ownerId: user, projectId: ID, status: 'ACTIVE', before: null, limit: 50 }), asUser, 'sessions_owner_project_list_idx', [OWNER, 'project_id = $2', BEFORE_ID]],
  ['socrates.documents.list', listDocuments, () => ({ ownerId: user, before: null, limit: 50 }), asUser, 'documents_owner_list_idx', [OWNER, BEFORE_ID]],
  ['socrates.documents.list by status', listDocumentsByStatus, () => ({ ownerId: user, status: 'ERROR', before: null, limit: 50 }), asUser, 'documents_owner_status_list_idx', [OWNER, 'status = $2', BEFORE_ID]],
  ['socrates.documents.list in a project (and a status)', listDocumentsInProject, () => ({ ownerId: user, projectId: ID, status: null, before: null, limit: 50 }), asUser, 'documents_owner_project_list_idx', [OWNER, 'project_id = $2', BEFORE_ID]],
  ['socrates.messages.list', listMessages, () => ({ sessionId: ID, afterAt: null, afterId: null, limit: 50 }), asUser, 'messages_session_timeline_idx', ['session_id = $1', /ROW\(created_at, id\) > ROW\(CASE/]],
  ['users.list (any filters)', listUsers, () => ({ status: 'SUSPENDED', role: 'user', prefix: 'plan%', before: null, limit: 50 }), asAdmin, 'users_pkey', [BEFORE_ID]],
  ['componentforge.exports.byComponent', listExportsByComponent, () => ({ userId: user, componentType: 'Button', beforeAt: null, beforeId: null, limit: 50 }), asUser, 'requirement_exports_user_component_idx', ['user_id = $1', 'component_type = $2', /ROW\(created_at, id\) < ROW\(CASE/]],
  ['componentforge.exports.byComponent (admin)', listAllExportsByComponent, () => ({ componentType: 'Button', beforeAt: null, beforeId: null, limit: 50 }), asAdmin, 'requirement_exports_component_idx', ['component_type = $1', /ROW\(created_at, id\) < ROW\(CASE/]],
  ['componentforge.exports.fast', listFastExports, () => ({ userId: user, maxLatencyMs: 3000, afterLatencyMs: null, afterId: null, limit: 50 }), asUser, 'requirement_exports_user_latency_idx', ['user_id = $1', 'proposal_latency_ms < $2', /ROW\(proposal_latency_ms, id\) > ROW\(CASE/]],
  ['componentforge.exports.fast (admin)', listAllFastExports, () => ({ maxLatencyMs: 3000, afterLatencyMs: null, afterId: null, limit: 50 }), asAdmin, 'requirement_exports_latency_idx', ['proposal_latency_ms < $1', /ROW\(proposal_latency_ms, id\) > ROW\(CASE/]],
  ['componentforge.embeddingModels.list', listEmbeddingModels, () => ({ afterName: null, limit: 50 }), asUser, 'embedding_models_name_key', [/name > CASE WHEN/]],
  ['config.list', listConfigs, () => ({ after: null, limit: 50 }), asUser, 'system_configurations_config_key_key', [/config_key > CASE WHEN/]],
  ['config.list (admin)', listConfigs, () => ({ after: 'plan.key5', limit: 50 }), asAdmin, 'system_configurations_config_key_key', [/config_key > CASE WHEN/]],
];

describe('list queries under generic plans (named prepared statements), as the request role under RLS', () => {
  it.each(cases)('%s: its index, with the filters and the cursor as index conditions, and no sort', async (_name, query, params, actor, index, conditions) => {
    const plan = await genericPlan(query, params(), actor());
    const cond = indexCondition(plan, index);
    expect(cond, plan).not.toBe('');
    for (const condition of conditions) {
      if (typeof condition === 'string') expect(cond, plan).toContain(condition);
      else expect(cond, plan).toMatch(condition);
    }
    // (The RLS policies' own subqueries may scan other tables as they like.)
    expect(plan).not.toMatch(/\bSort\b|Seq Scan/);
  });

  // core.audit_log is partitioned by month: the plan appends one scan per partition. Each must use
  // the partition's copy of the shape's index with the filter, the time range and the cursor as
  // index conditions, merged in order (Merge Append) rather than collected and sorted: a busy
  // row's or actor's whole history would otherwise be read for every page. (An empty partition's
  // scan may be anything: it returns nothing.) With a time range, the months outside it are
  // pruned when the generic plan starts (Subplans Removed).
  // Five actions: a generic plan may as well walk the primary key and filter, as for evaluation runs' statuses.
  const ACTION_INDEXES = ['audit_log_action_idx', 'audit_log_pkey'];
  const RANGE = [/occurred_at >= CASE WHEN/, /ROW\(occurred_at, id\) < ROW\(CASE/];
  const auditCases: Array<[string, Runnable, () => Record<string, unknown>, string | string[], Array<string | RegExp>]> = [
    ['audit.list', listAuditEntries, () => ({ entitySchema: null, entityTable: null, ...auditPage(false) }), 'audit_log_pkey', RANGE],
    ['audit.list (a time range)', listAuditEntries, () => ({ entitySchema: 'app1', entityTable: null, ...auditPage(true) }), 'audit_log_pkey', RANGE],
    ['audit.list by actor', listAuditEntriesByActor, () => ({ actorId: user, action: 'UPDATE', entitySchema: null, entityTable: null, ...auditPage(false) }), 'audit_log_actor_idx', ['actor_id = $1', ...RANGE]],
    ['audit.list by actor (a time range)', listAuditEntriesByActor, () => ({ actorId: user, action: null, entitySchema: null, entityTable: null, ...auditPage(true) }), 'audit_log_actor_idx', ['actor_id = $1', ...RANGE]],
    ['audit.list for an entity', listAuditEntriesForEntity, () => ({ entityId: ID, actorId: null, action: null, entitySchema: 'core', entityTable: 'users', ...auditPage(false) }), 'audit_log_entity_idx', ['entity_id = $1', ...RANGE]],
    ['audit.list for an entity (a time range)', listAuditEntriesForEntity, () => ({ entityId: ID, actorId: user, action: null, entitySchema: null, entityTable: null, ...auditPage(true) }), 'audit_log_entity_idx', ['entity_id = $1', ...RANGE]],
    ['audit.list for a table', listAuditEntriesForTable, () => ({ entitySchema: 'app1', entityTable: 'table2', action: 'DELETE', ...auditPage(false) }), 'audit_log_table_idx', ['entity_schema = $1', 'entity_table = $2', ...RANGE]],
    ['audit.list for a table (a time range)', listAuditEntriesForTable, () => ({ entitySchema: 'app1', entityTable: 'table2', action: null, ...auditPage(true) }), 'audit_log_table_idx', ['entity_schema = $1', 'entity_table = $2', ...RANGE]],
    ['audit.list by action', listAuditEntriesByAction, () => ({ action: 'LOGIN', entitySchema: null, entityTable: 'table1', ...auditPage(false) }), ACTION_INDEXES, RANGE],
    ['audit.list by action (a time range)', listAuditEntriesByAction, () => ({ action: 'LOGIN', entitySchema: null, entityTable: null, ...auditPage(true) }), ACTION_INDEXES, RANGE],
  ];

  it.each(auditCases)('%s: the index in each month holding rows, every bound an index condition, merged without a sort', async (name, query, params, index, conditions) => {
    const given = params();
    const plan = await genericPlan(query, given, asAdmin());
    // This month's partition of the index, by the partitioned index it belongs to.
    const { rows } = await app.sql<{ relname: string }>(
      `select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = any($1::regclass[]) and c.relname like $2`,
      [[index].flat().map((name) => `core.${name}`), `${CURRENT_MONTH()}%`],
    );
    const cond = rows.map((row) => indexCondition(plan, row.relname)).find((found) => found !== '') ?? '';
    expect(cond, plan).not.toBe('');
    for (const condition of conditions) {
      if (typeof condition === 'string') expect(cond, plan).toContain(condition);
      else expect(cond, plan).toMatch(condition);
    }
    expect(plan, plan).toMatch(/Merge Append\n\s+Sort Key: audit_log\.occurred_at DESC, audit_log\.id DESC/);
    expect(plan, plan).not.toMatch(/Sort\n\s+Sort Key: audit_log\.occurred_at DESC, audit_log\.id DESC\n\s+->\s+Append/);
    expect(plan, plan).not.toMatch(new RegExp(`Seq Scan on ${CURRENT_MONTH()}`));
    // Last month's partition is pruned by `from` at the start of this month, not before it.
    if (given.from !== null) expect(plan, `${name}: the month before the range pruned\n${plan}`).toMatch(/Subplans Removed: 1\b/);
    else expect(plan).toMatch(new RegExp(`on ${PREVIOUS_MONTH()} `));
  });

  it('the plans are generic: parameters stay $n, where a custom plan would show the values', async () => {
    const plan = await genericPlan(listSessionsByStatus, { ownerId: user, status: 'PAUSED', before: null, limit: 50 }, asUser());
    expect(plan).toContain('$1');
    expect(plan).not.toContain(user);
    expect(plan).not.toContain('PAUSED');
  });

  it("seed 004's (conversation_id, total_tokens) index answers a conversation's token recount from the index alone", async () => {
    const client = new pg.Client({ connectionString: app.superUrl });
    await client.connect();
    try {
      // An index-only scan is chosen only over all-visible pages: vacuum right before planning,
      // as the other tests of this file may have written since the vacuum in beforeAll.
      await client.query('vacuum analyze componentforge.messages');
      await client.query('begin');
      await client.query('set local plan_cache_mode = force_generic_plan');
      await client.query(`prepare tokens as select count(*), sum(total_tokens) from componentforge.messages where conversation_id = $1`);
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain (costs off) execute tokens(${pg.escapeLiteral(ID)})`);
      expect(rows.map((row) => row['QUERY PLAN']).join('\n')).toMatch(/Index Only Scan using messages_conversation_tokens_idx/);
    } finally {
      await client.query('rollback');
      await client.end();
    }
  });
});
