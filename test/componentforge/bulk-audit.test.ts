/**
 * document_chunks is audited per statement above 100 rows (migration 1763800000017, trigger
 * argument 'rows>100'): every chunk stays traceable to its actor and request by id.
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
});
