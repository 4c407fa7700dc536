/**
 * The indexes serve the queries they were made for. Each named query is planned as a
 * GENERIC plan (what a named prepared statement runs after its first executions, when the
 * parameter values are unknown: PREPARE, then EXPLAIN EXECUTE under
 * `plan_cache_mode = force_generic_plan`, which PostgreSQL 15 has too, unlike EXPLAIN
 * (GENERIC_PLAN)) over tables filled with a plausible spread of rows and analyzed, with
 * sequential scans disabled so that small tables do not hide a missing index: a query whose
 * index is gone, or whose WHERE clause no index can use, fails here.
 */
import type { IDatabaseConnection } from '@pgtyped/runtime';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { claimPendingDocuments, listPendingDocuments, listUserDocumentsByStatus } from '../../sql/componentforge/documents.queries.js';
import { findChunksByVectorIds, listAllDocumentChunks, listDocumentChunks } from '../../sql/componentforge/document_chunks.queries.js';
import { listActiveConversations, listUserConversations } from '../../sql/componentforge/conversations.queries.js';
import { listConversationMessages, listMessageThread, listMessagesOfConversations } from '../../sql/componentforge/messages.queries.js';
import { findActiveEmbeddingModel } from '../../sql/componentforge/embedding_models.queries.js';
import { listEvaluationRunsByStatus } from '../../sql/componentforge/evaluation_runs.queries.js';
import { listAllExportsByComponent, listAllFastExports, listExportsByComponent, listFastExports } from '../../sql/componentforge/requirement_exports.queries.js';
import { useTestApp } from '../support/app.js';

const app = useTestApp();
const ID = '01900000-0000-7000-8000-000000000001';

// Rows written straight in, triggers off (no audit, no counters): only the statistics matter.
const FILL = `
begin;
set local session_replication_role = replica;
insert into core.users (id, username, email, password_hash)
  select core.uuidv7(), 'fill' || i, 'fill' || i || '@example.com', '$argon2id$fill' from generate_series(1, 500) i;
insert into componentforge.documents (user_id, title, filename, file_path, processing_status, created_at)
  select (select id from core.users order by id offset i % 500 limit 1), 'd' || i, 'd.pdf', '/d.pdf',
         (array['completed', 'completed', 'completed', 'completed', 'completed', 'completed', 'pending', 'pending', 'failed'])[1 + i % 9],
         now() - i * interval '1 minute'
    from generate_series(1, 5000) i;
-- Every ninth is claimed: processing, under a lease (a CHECK wants both at once).
update componentforge.documents
   set processing_status = 'processing', attempts = 1, locked_by = 'fill', lease_token = gen_random_uuid(), lease_expires_at = now(), heartbeat_at = now()
 where substr(title, 2)::int % 9 = 7;
insert into componentforge.document_chunks (document_id, chunk_index, content, vector_id)
  select d.id, k, 'chunk', 'point-' || d.title || '-' || k from componentforge.documents d, generate_series(0, 7) k;
insert into componentforge.conversations (user_id, title, status, updated_at)
  select (select id from core.users order by id offset i % 500 limit 1), 'c' || i,
         (array['active', 'active', 'archived', 'deleted'])[1 + i % 4], now() - i * interval '1 minute'
    from generate_series(1, 2000) i;
insert into componentforge.messages (conversation_id, role, content, total_tokens, created_at)
  select c.id, 'user', 'm', k * 10, now() - k * interval '1 second' from componentforge.conversations c, generate_series(1, 10) k;
insert into componentforge.embedding_models (name, provider, dimension, max_tokens, is_active)
  select 'model-' || i, 'openai', 1536, 8191, i = 1 from generate_series(1, 20) i;
insert into componentforge.evaluation_runs (name, model_name, status)
  select 'run ' || i, 'gpt-4', case when i % 100 = 0 then 'running' else 'completed' end from generate_series(1, 1000) i;
insert into componentforge.requirement_exports (user_id, component_type, requirements, proposal_latency_ms)
  select (select id from core.users order by id offset i % 500 limit 1), (array['Button', 'Card', 'Modal', 'Input', 'Tooltip'])[1 + i % 5], '{}', i * 7 % 10000
    from generate_series(1, 3000) i;
commit;
analyze core.users, componentforge.documents, componentforge.document_chunks, componentforge.conversations, componentforge.messages,
        componentforge.embedding_models, componentforge.evaluation_runs, componentforge.requirement_exports;
`;

beforeAll(async () => {
  await app.sql(FILL);
});

interface Runnable {
  run(params: never, connection: IDatabaseConnection): Promise<unknown>;
}

/** A parameter value as an SQL literal, for EXECUTE's argument list. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return pg.escapeLiteral(`{${value.join(',')}}`);
  return pg.escapeLiteral(String(value));
}

let statement = 0;

/** The generic plan of a statement: prepared, then explained under force_generic_plan. */
async function genericPlan(client: pg.Client, text: string, values: unknown[]): Promise<string> {
  statement += 1;
  await client.query('set local plan_cache_mode = force_generic_plan');
  await client.query(`prepare generic_${statement} as ${text}`);
  const args = values.length ? `(${values.map(literal).join(', ')})` : '';
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain (costs off) execute generic_${statement}${args}`);
  await client.query(`deallocate generic_${statement}`);
  return rows.map((row) => row['QUERY PLAN']).join('\n');
}

/**
 * The plan of a generated query, as EXPLAIN prints it: the generic plan, or with `custom` the
 * plan for these very parameter values.
 */
async function planOf(query: Runnable, params: Record<string, unknown>, custom = false): Promise<string> {
  const client = new pg.Client({ connectionString: app.superUrl });
  await client.connect();
  try {
    await client.query('begin');
    await client.query('set local enable_seqscan = off');
    let plan = '';
    const explaining: IDatabaseConnection = {
      async query(text: string, values: unknown[]) {
        if (custom) {
          const result = await client.query<{ 'QUERY PLAN': string }>(`explain (costs off) ${text}`, values);
          plan = result.rows.map((row) => row['QUERY PLAN']).join('\n');
        } else {
          plan = await genericPlan(client, text, values);
        }
        return { rows: [], rowCount: 0 };
      },
    };
    await query.run(params as never, explaining);
    return plan;
  } finally {
    await client.query('rollback');
    await client.end();
  }
}

const cases: Array<[string, Runnable, Record<string, unknown>, string | RegExp]> = [
  ['a user\'s documents of a status, newest first', listUserDocumentsByStatus, { userId: ID, status: 'completed', beforeAt: null, beforeId: null, limit: 10 }, 'documents_user_status_created_idx'],
  ['the pending queue, oldest first', listPendingDocuments, { afterAt: null, afterId: null, limit: 10 }, 'documents_status_created_idx'],
  ['claiming the head of the queue', claimPendingDocuments, { limit: 10, workerId: 'w', leaseSeconds: 60 }, 'documents_status_created_idx'],
  ['a document\'s chunks in order, paged', listDocumentChunks, { documentId: ID, afterIndex: null, limit: 10 }, 'document_chunks_document_chunk_index_key'],
  ['all of a document\'s chunks in order', listAllDocumentChunks, { documentId: ID }, 'document_chunks_document_chunk_index_key'],
  ['chunks by Qdrant point id', findChunksByVectorIds, { vectorIds: ['a', 'b'] }, 'document_chunks_vector_id_idx'],
  ['a user\'s conversations, newest first', listUserConversations, { userId: ID, beforeId: null, limit: 10 }, 'conversations_user_id_idx'],
  ['a user\'s active conversations by last update', listActiveConversations, { userId: ID, beforeAt: null, beforeId: null, limit: 10 }, 'conversations_user_status_updated_idx'],
  ['a conversation\'s messages in order', listConversationMessages, { conversationId: ID, afterAt: null, afterId: null, limit: 10 }, 'messages_conversation_created_idx'],
  // Either index that leads with conversation_id serves it (the rows are sorted afterwards).
  ['the messages of a page of conversations', listMessagesOfConversations, { conversationIds: [ID, ID] }, /messages_conversation_(created|tokens)_idx/],
  ['the replies of a thread, step by step', listMessageThread, { id: ID }, 'messages_parent_message_id_idx'],
  ['the active embedding model', findActiveEmbeddingModel, {}, 'embedding_models_one_active_idx'],
  ['a user\'s exports of a component, newest first', listExportsByComponent, { userId: ID, componentType: 'Button', beforeAt: null, beforeId: null, limit: 10 }, 'requirement_exports_user_component_idx'],
  ['everyone\'s exports of a component, newest first', listAllExportsByComponent, { componentType: 'Button', beforeAt: null, beforeId: null, limit: 10 }, 'requirement_exports_component_idx'],
  ['a user\'s exports under a latency bound, fastest first', listFastExports, { userId: ID, maxLatencyMs: 3000, afterLatencyMs: null, afterId: null, limit: 10 }, 'requirement_exports_user_latency_idx'],
  ['everyone\'s exports under a latency bound, fastest first', listAllFastExports, { maxLatencyMs: 3000, afterLatencyMs: null, afterId: null, limit: 10 }, 'requirement_exports_latency_idx'],
];

describe('ComponentForge indexes', () => {
  it.each(cases)('%s uses its index in the generic plan', async (_name, query, params, index) => {
    const plan = await planOf(query, params);
    expect(plan).toMatch(index);
    expect(plan).not.toMatch(/Seq Scan on (documents|document_chunks|conversations|messages|requirement_exports|evaluation_runs)\b/);
  });

  it('the runs of a rare status, newest first, use the status index', async () => {
    // Four statuses: for a generic plan, walking the primary key is as good; for the rare
    // "running" runs among thousands of completed ones, the status index is what answers.
    const plan = await planOf(listEvaluationRunsByStatus, { status: 'running', beforeId: null, limit: 10 }, true);
    expect(plan).toContain('evaluation_runs_status_idx');
  });

  it('every foreign key has an index that serves its lookups (cascades, SET NULL, the check on delete)', async () => {
    const { rows: keys } = await app.sql<{ table: string; name: string; columns: string[] }>(
      `select c.conrelid::regclass::text as table, c.conname as name,
              array(select a.attname::text from unnest(c.conkey) k(n) join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n) as columns
         from pg_constraint c
        where c.contype = 'f' and c.connamespace = 'componentforge'::regnamespace
        order by 1, 2`,
    );
    expect(keys.length).toBe(6);
    const client = new pg.Client({ connectionString: app.superUrl });
    await client.connect();
    try {
      await client.query('begin');
      await client.query('set local enable_seqscan = off');
      for (const key of keys) {
        const where = key.columns.map((column, i) => `${pg.escapeIdentifier(column)} = $${i + 1}`).join(' and ');
        const plan = await genericPlan(client, `select 1 from ${key.table} where ${where}`, key.columns.map(() => null));
        expect(plan, `${key.table} ${key.name}`).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
      }
    } finally {
      await client.query('rollback');
      await client.end();
    }
  });
});
