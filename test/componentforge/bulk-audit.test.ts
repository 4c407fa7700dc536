/**
 * Bulk statements are audited per statement above 100 rows (migrations 1763800000017 and 018,
 * trigger argument 'rows>100'): every row stays traceable to its actor and request by id.
 */
import { describe, expect, it } from 'vitest';
import { unique, useTestApp } from '../support/app.js';

const app = useTestApp();
const upload = (title = unique('doc')) => ({ title, filename: `${title}.pdf`, filePath: `/uploads/${title}.pdf` });
const chunks = (n: number) => Array.from({ length: n }, (_, i) => ({ chunkIndex: i, content: `chunk ${i}` }));

interface AuditRow {
  action: string;
  entityId: string | null;
  actorId: string | null;
  requestId: string | null;
  newValue: { rows?: number; ids?: string[]; content?: string } | null;
  oldValue: { rows?: number; ids?: string[] } | null;
}

async function chunkAudit(requestId: string): Promise<AuditRow[]> {
  const { rows } = await app.sql(
    `select action, entity_id as "entityId", actor_id as "actorId", request_id as "requestId", new_value as "newValue", old_value as "oldValue"
       from core.audit_log where entity_table = 'document_chunks' and request_id = $1 order by occurred_at, id`,
    [requestId],
  );
  return rows as AuditRow[];
}

describe('document_chunks audit', () => {
  it('logs an insert of more than 100 chunks as one CREATE row listing every id, with the actor and request', async () => {
    const user = await app.newUser();
    const requestId = unique('bulk-insert');
    const document = await app.caller({ token: user.token, requestId }).componentforge.documents.upload({ ...upload(), chunks: chunks(101) });
    const audit = await chunkAudit(requestId);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'CREATE', entityId: null, actorId: user.id, requestId });
    const { rows } = await app.sql<{ id: string }>(`select id::text from componentforge.document_chunks where document_id = $1`, [document.id]);
    expect(audit[0]!.newValue!.rows).toBe(101);
    expect([...audit[0]!.newValue!.ids!].sort()).toEqual(rows.map((r) => r.id).sort());
    // Traceable by id, through the table's index.
    const { rows: found } = await app.sql(`select request_id from core.audit_log where entity_table = 'document_chunks' and new_value -> 'ids' ? $1`, [rows[0]!.id]);
    expect(found).toEqual([{ request_id: requestId }]);
  });

  it('logs an insert of 100 chunks or fewer row by row, content redacted', async () => {
    const user = await app.newUser();
    const requestId = unique('small-insert');
    await app.caller({ token: user.token, requestId }).componentforge.documents.upload({ ...upload(), chunks: chunks(100) });
    const audit = await chunkAudit(requestId);
    expect(audit).toHaveLength(100);
    expect(audit.every((r) => r.action === 'CREATE' && r.entityId !== null && r.actorId === user.id && r.newValue?.content === '[redacted]')).toBe(true);
  });

  it('logs the deletion of more than 100 chunks (a document deleted) as one DELETE row listing every id', async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge;
    const document = await api.documents.upload({ ...upload(), chunks: chunks(150) });
    const { rows } = await app.sql<{ id: string }>(`select id::text from componentforge.document_chunks where document_id = $1`, [document.id]);
    const requestId = unique('bulk-delete');
    await app.caller({ token: user.token, requestId }).componentforge.documents.delete({ id: document.id });
    const audit = await chunkAudit(requestId);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'DELETE', entityId: null, actorId: user.id, newValue: null });
    expect([...audit[0]!.oldValue!.ids!].sort()).toEqual(rows.map((r) => r.id).sort());
  });

  it('holds for every audited table with an id column: each of its three audit triggers carries the bound', async () => {
    const { rows } = await app.sql<{ table: string; bounded: boolean }>(
      `select t.tgrelid::regclass::text as table, bool_and(pg_get_triggerdef(t.oid) like '%''rows>100''%') as bounded
         from pg_trigger t join pg_proc p on p.oid = t.tgfoid
        where p.proname = 'audit_write' group by 1 order by 1`,
    );
    expect(rows.length).toBeGreaterThan(30);
    expect(rows.filter((r) => !r.bounded).map((r) => r.table)).toEqual(['exportsathi.business_profiles']);
  });

  it('logs a bulk insert into another table (core.users, as an import would) as one row, and a small one row by row', async () => {
    const insertUsers = async (n: number, requestId: string) => {
      const client = await app.superClient();
      try {
        await client.query('begin');
        await client.query(`select set_config('app.request_id', $1, true)`, [requestId]);
        await client.query(
          `insert into core.users (email, password_hash)
           select $1 || i || '@example.com', '$argon2id$v=19$m=19456,t=2,p=1$YWJj$ZGVm' from generate_series(1, $2::int) i`,
          [requestId, n],
        );
        await client.query('commit');
      } finally {
        client.release();
      }
      const { rows } = await app.sql(`select action, coalesce(jsonb_array_length(new_value -> 'ids'), 0) as ids from core.audit_log where entity_table = 'users' and request_id = $1`, [requestId]);
      return rows;
    };
    expect(await insertUsers(150, unique('bulk-users'))).toEqual([{ action: 'CREATE', ids: 150 }]);
    expect(await insertUsers(3, unique('few-users'))).toHaveLength(3);
  });
});
