import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { unique, useTestApp } from '../support/app.js';
import { codeOf } from '../support/errors.js';

// Its own file, so its own database: the queue holds only what these tests put in it.
const app = useTestApp();

const upload = () => {
  const title = unique('queued');
  return { title, filename: `${title}.pdf`, filePath: `/uploads/${title}.pdf` };
};

describe('the document processing queue', () => {
  it('shows pending documents oldest first without claiming them', async () => {
    const user = await app.newUser();
    const admin = await app.newAdmin();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await app.caller({ token: user.token }).componentforge.documents.create(upload())).id);
    const worker = app.caller({ token: admin.token }).componentforge.documents;
    const first = await worker.pending({ limit: 3 });
    const second = await worker.pending({ limit: 3, cursor: first.nextCursor ?? undefined });
    expect([...first.items, ...second.items].map((d) => d.id)).toEqual(ids);
    expect(second.nextCursor).toBeNull();
    // Peeking twice claims nothing.
    expect((await worker.pending({})).items).toHaveLength(5);
    // Drain them for the next test.
    expect((await worker.claim({ limit: 100 })).map((d) => d.id).sort()).toEqual([...ids].sort());
    expect((await worker.pending({})).items).toEqual([]);
    expect(await codeOf(worker.claim({ limit: 0 }))).toBe('BAD_REQUEST');
    expect(await codeOf(worker.claim({ limit: 101 }))).toBe('BAD_REQUEST');
  });

  it('N concurrent workers claim every pending document exactly once, oldest first within each claim', async () => {
    const users = await Promise.all([app.newUser(), app.newUser(), app.newUser()]);
    const admins = await Promise.all(Array.from({ length: 6 }, () => app.newAdmin()));
    const created: string[] = [];
    for (let i = 0; i < 90; i++) {
      const user = users[i % users.length]!;
      created.push((await app.caller({ token: user.token }).componentforge.documents.create(upload())).id);
    }
    const order = new Map(created.map((id, i) => [id, i]));

    const claims = await Promise.all(
      admins.map(async (admin) => {
        const worker = app.caller({ token: admin.token }).componentforge.documents;
        const mine: string[] = [];
        for (;;) {
          const batch = await worker.claim({ limit: 4 });
          // An empty claim means every pending document is claimed or locked by another worker.
          if (!batch.length) return mine;
          expect(batch.every((d) => d.processingStatus === 'processing')).toBe(true);
          mine.push(...batch.map((d) => d.id));
        }
      }),
    );
    const all = claims.flat();
    expect(all).toHaveLength(created.length);
    expect(new Set(all).size).toBe(created.length);
    expect([...all].sort()).toEqual([...created].sort());
    // The workers shared the work.
    expect(claims.filter((c) => c.length > 0).length).toBeGreaterThan(1);
    // Each worker's own claims come oldest first (each claim takes the head of the queue).
    for (const mine of claims) {
      const positions = mine.map((id) => order.get(id)!);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    }
    const { rows } = await app.sql(
      `select processing_status, count(*)::int as n from componentforge.documents where id = any($1) group by 1`,
      [created],
    );
    expect(rows).toEqual([{ processing_status: 'processing', n: 90 }]);
  });

  it('a claim skips documents another worker holds locked instead of waiting for them', async () => {
    const user = await app.newUser();
    const admin = await app.newAdmin();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await app.caller({ token: user.token }).componentforge.documents.create(upload())).id);
    const holder = new pg.Client({ connectionString: app.superUrl });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(`select id from componentforge.documents where id = any($1) for update`, [ids.slice(0, 2)]);
      const claim = app.caller({ token: admin.token }).componentforge.documents.claim({ limit: 10 });
      const waited = new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), 3000));
      const result = await Promise.race([claim, waited]);
      expect(result).not.toBe('blocked');
      expect((result as Array<{ id: string }>).map((d) => d.id).sort()).toEqual(ids.slice(2).sort());
      await holder.query('rollback');
      // Released, the first two are claimable again.
      expect((await app.caller({ token: admin.token }).componentforge.documents.claim({ limit: 10 })).map((d) => d.id).sort()).toEqual(ids.slice(0, 2).sort());
    } finally {
      await holder.end();
    }
  });
});
