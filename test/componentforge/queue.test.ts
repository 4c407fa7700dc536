import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { unique, useTestApp } from '../support/app.js';
import { codeOf, failure } from '../support/errors.js';
import { reclaimExpiredDocuments } from '../../sql/componentforge/documents.queries.js';
import { badFields } from './helpers.js';

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
    expect((await worker.claim({ limit: 100, workerId: 'drain' })).map((d) => d.id).sort()).toEqual([...ids].sort());
    expect((await worker.pending({})).items).toEqual([]);
    expect(await codeOf(worker.claim({ limit: 0, workerId: 'w' }))).toBe('BAD_REQUEST');
    expect(await codeOf(worker.claim({ limit: 101, workerId: 'w' }))).toBe('BAD_REQUEST');
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
          const batch = await worker.claim({ limit: 4, workerId: admin.username });
          // An empty claim means every pending document is claimed or locked by another worker.
          if (!batch.length) return mine;
          expect(batch.every((d) => d.processingStatus === 'processing' && d.lockedBy === admin.username && d.attempts === 1)).toBe(true);
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
    // Every claim has its own lease token.
    const { rows: tokens } = await app.sql(`select count(distinct lease_token)::int as n from componentforge.documents where id = any($1)`, [created]);
    expect(tokens[0]).toEqual({ n: 90 });
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
      const claim = app.caller({ token: admin.token }).componentforge.documents.claim({ limit: 10, workerId: 'w' });
      const waited = new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), 3000));
      const result = await Promise.race([claim, waited]);
      expect(result).not.toBe('blocked');
      expect((result as Array<{ id: string }>).map((d) => d.id).sort()).toEqual(ids.slice(2).sort());
      await holder.query('rollback');
      // Released, the first two are claimable again.
      expect((await app.caller({ token: admin.token }).componentforge.documents.claim({ limit: 10, workerId: 'w' })).map((d) => d.id).sort()).toEqual(ids.slice(0, 2).sort());
    } finally {
      await holder.end();
    }
  });
});

/** Ends a document's lease as a worker's death would: time passes, no heartbeat comes. */
async function expire(id: string): Promise<void> {
  await app.sql(`update componentforge.documents set lease_expires_at = now() - interval '1 second' where id = $1`, [id]);
}

describe('leases: a dead worker\'s documents come back', () => {
  // Each test leaves nothing claimable behind, so a claim here takes exactly the test's own document.
  async function queued() {
    const user = await app.newUser();
    const admin = await app.newAdmin();
    const document = await app.caller({ token: user.token }).componentforge.documents.create(upload());
    return { document, worker: app.caller({ token: admin.token }).componentforge.documents, owner: app.caller({ token: user.token }).componentforge.documents };
  }

  it('a claim takes a lease; a crashed worker\'s document is reclaimed to pending with the attempt counted and why kept', async () => {
    const { document, worker, owner } = await queued();
    const [claimed] = await worker.claim({ workerId: 'host-a:41', leaseSeconds: 60 });
    expect(claimed).toMatchObject({ id: document.id, processingStatus: 'processing', lockedBy: 'host-a:41', attempts: 1, lastError: null });
    const leaseMs = claimed!.leaseExpiresAt.getTime() - claimed!.heartbeatAt.getTime();
    expect(leaseMs).toBe(60_000);

    // Nothing to reclaim while the lease runs.
    expect(await worker.reclaimExpired({})).toEqual([]);
    await expire(document.id);
    const [reclaimed] = await worker.reclaimExpired({});
    expect(reclaimed).toMatchObject({ id: document.id, processingStatus: 'pending', attempts: 1, processingError: null });
    expect(reclaimed!.lastError).toMatch(/^attempt 1: worker host-a:41 sent its last heartbeat at .* and its lease expired$/);
    const { rows } = await app.sql(`select locked_by, lease_token, lease_expires_at, heartbeat_at from componentforge.documents where id = $1`, [document.id]);
    expect(rows[0]).toEqual({ locked_by: null, lease_token: null, lease_expires_at: null, heartbeat_at: null });
    expect(await owner.get({ id: document.id })).toMatchObject({ processingStatus: 'pending', attempts: 1, lastError: reclaimed!.lastError });

    // The next worker gets it, as attempt 2 with a new token.
    const [again] = await worker.claim({ workerId: 'host-b:7' });
    expect(again).toMatchObject({ id: document.id, lockedBy: 'host-b:7', attempts: 2, lastError: reclaimed!.lastError });
    expect(again!.leaseToken).not.toBe(claimed!.leaseToken);
    await worker.complete({ id: document.id, leaseToken: again!.leaseToken });
  });

  it('a claim reclaims expired leases first: no one has to call reclaimExpired', async () => {
    const { document, worker } = await queued();
    const [first] = await worker.claim({ workerId: 'dies' });
    await expire(document.id);
    const [second] = await worker.claim({ workerId: 'lives' });
    expect(second).toMatchObject({ id: document.id, lockedBy: 'lives', attempts: 2 });
    expect(second!.leaseToken).not.toBe(first!.leaseToken);
    await worker.complete({ id: document.id, leaseToken: second!.leaseToken });
  });

  it('after DOCUMENT_MAX_ATTEMPTS expired leases the document fails, the error kept', async () => {
    const { document, worker, owner } = await queued();
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [claimed] = await worker.claim({ workerId: `crashy-${attempt}` });
      expect(claimed).toMatchObject({ id: document.id, attempts: attempt });
      await expire(document.id);
    }
    const [failed] = await worker.reclaimExpired({});
    expect(failed).toMatchObject({ id: document.id, processingStatus: 'failed', attempts: 3 });
    expect(failed!.processingError).toMatch(/^attempt 3: worker crashy-3 /);
    expect(failed!.lastError).toBe(failed!.processingError);
    expect(await owner.get({ id: document.id })).toMatchObject({ processingStatus: 'failed', processingError: failed!.processingError });
    // Failed is final: nothing left to claim.
    expect(await worker.claim({ workerId: 'late' })).toEqual([]);
  });

  it('the number of attempts comes from the configuration', async () => {
    const { document } = await queued();
    const admin = await app.newAdmin();
    // The server passes the whole environment; this caller's configuration adds the queue's.
    const worker = app.caller({ token: admin.token }, { DOCUMENT_MAX_ATTEMPTS: 1 } as object).componentforge.documents;
    await worker.claim({ workerId: 'once' });
    await expire(document.id);
    expect(await worker.reclaimExpired({})).toMatchObject([{ id: document.id, processingStatus: 'failed', attempts: 1 }]);
  });

  it('the lease length comes from the configuration (DOCUMENT_LEASE_SECONDS, read from the environment): claims and heartbeats without leaseSeconds use it', async () => {
    const { document } = await queued();
    const admin = await app.newAdmin();
    const { DOCUMENT_LEASE_SECONDS, DOCUMENT_MAX_ATTEMPTS } = loadConfig({ DOCUMENT_LEASE_SECONDS: '45', DOCUMENT_MAX_ATTEMPTS: '2' });
    expect(DOCUMENT_LEASE_SECONDS).toBe(45);
    const worker = app.caller({ token: admin.token }, { DOCUMENT_LEASE_SECONDS, DOCUMENT_MAX_ATTEMPTS }).componentforge.documents;
    const [claimed] = await worker.claim({ workerId: 'configured' });
    expect(claimed!.id).toBe(document.id);
    expect(claimed!.leaseExpiresAt.getTime() - claimed!.heartbeatAt.getTime()).toBe(45_000);
    const beat = await worker.heartbeat({ id: document.id, leaseToken: claimed!.leaseToken });
    expect(beat.leaseExpiresAt.getTime() - beat.heartbeatAt.getTime()).toBe(45_000);
    // A worker's own leaseSeconds still wins.
    const longer = await worker.heartbeat({ id: document.id, leaseToken: claimed!.leaseToken, leaseSeconds: 600 });
    expect(longer.leaseExpiresAt.getTime() - longer.heartbeatAt.getTime()).toBe(600_000);
    // Two expired leases fail the document at DOCUMENT_MAX_ATTEMPTS = 2.
    await expire(document.id);
    await worker.claim({ workerId: 'configured' });
    await expire(document.id);
    expect(await worker.reclaimExpired({})).toMatchObject([{ id: document.id, processingStatus: 'failed', attempts: 2 }]);
  });

  it('a stale worker can neither heartbeat, complete nor fail a document once it was reclaimed', async () => {
    const { document, worker } = await queued();
    const [stale] = await worker.claim({ workerId: 'paused-by-gc' });
    await expire(document.id);
    await worker.reclaimExpired({});
    // Reclaimed and not yet claimed again, then claimed by someone else: refused both times.
    for (const moment of ['reclaimed', 'claimed by another'] as const) {
      if (moment === 'claimed by another') await worker.claim({ workerId: 'fresh' });
      const token = { id: document.id, leaseToken: stale!.leaseToken };
      const heartbeat = await failure(worker.heartbeat(token));
      expect(heartbeat.code, moment).toBe('CONFLICT');
      expect(heartbeat.message).toBe(`leaseToken: document ${document.id} is not leased with this token (it was reclaimed, finished, or never claimed so)`);
      expect(await codeOf(worker.complete({ ...token, extractedText: 'stale result' })), moment).toBe('CONFLICT');
      expect(await codeOf(worker.fail({ ...token, error: 'stale failure' })), moment).toBe('CONFLICT');
    }
    const { rows } = await app.sql(`select processing_status, locked_by, extracted_text, attempts from componentforge.documents where id = $1`, [document.id]);
    expect(rows[0]).toEqual({ processing_status: 'processing', locked_by: 'fresh', extracted_text: null, attempts: 2 });
    const { rows: [lease] } = await app.sql(`select lease_token from componentforge.documents where id = $1`, [document.id]);
    await worker.fail({ id: document.id, leaseToken: lease!.lease_token, error: 'cleanup' });
  });

  it('a heartbeat extends the lease of the worker holding it, and keeps the document from being reclaimed', async () => {
    const { document, worker } = await queued();
    const [claimed] = await worker.claim({ workerId: 'steady', leaseSeconds: 30 });
    await expire(document.id);
    // Late, but nobody reclaimed it yet: the lease is still this worker's to renew.
    const beat = await worker.heartbeat({ id: document.id, leaseToken: claimed!.leaseToken, leaseSeconds: 120 });
    expect(beat).toMatchObject({ id: document.id, lockedBy: 'steady', attempts: 1 });
    expect(beat.leaseExpiresAt.getTime() - beat.heartbeatAt.getTime()).toBe(120_000);
    expect(beat.leaseExpiresAt.getTime()).toBeGreaterThan(Date.now() + 60_000);
    expect(await worker.reclaimExpired({})).toEqual([]);
    // Another claim's token renews nothing.
    expect(await codeOf(worker.heartbeat({ id: document.id, leaseToken: '01900000-0000-7000-8000-00000000beef' }))).toBe('CONFLICT');
    expect(await worker.complete({ id: document.id, leaseToken: claimed!.leaseToken })).toMatchObject({ processingStatus: 'completed', attempts: 1 });
  });

  it('a reclaim skips a lease whose heartbeat holds the row right now, instead of waiting for it', async () => {
    const { document, worker } = await queued();
    const [claimed] = await worker.claim({ workerId: 'busy' });
    await expire(document.id);
    const holder = new pg.Client({ connectionString: app.superUrl });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(`select id from componentforge.documents where id = $1 for update`, [document.id]);
      expect(await worker.reclaimExpired({})).toEqual([]);
      await holder.query('rollback');
    } finally {
      await holder.end();
    }
    expect(await worker.reclaimExpired({})).toMatchObject([{ id: document.id, processingStatus: 'pending' }]);
    const [again] = await worker.claim({ workerId: 'busy' });
    expect(again!.leaseToken).not.toBe(claimed!.leaseToken);
    await worker.complete({ id: document.id, leaseToken: again!.leaseToken });
  });
});

describe('lease rules in the database', () => {
  it('each lease CHECK holds', async () => {
    const user = await app.newUser();
    const { id } = await app.caller({ token: user.token }).componentforge.documents.create(upload());
    const lease = `locked_by = 'w', lease_token = gen_random_uuid(), lease_expires_at = now(), heartbeat_at = now()`;
    const cases: Array<[string, string]> = [
      [`attempts = -1`, 'documents_attempts_nonnegative'],
      [`processing_status = 'processing', attempts = 1, locked_by = '', lease_token = gen_random_uuid(), lease_expires_at = now(), heartbeat_at = now()`, 'documents_locked_by_length'],
      [`last_error = ''`, 'documents_last_error_length'],
      [`last_error = repeat('e', 2001)`, 'documents_last_error_length'],
      // A pending document holding (part of) a lease.
      [`lease_token = gen_random_uuid()`, 'documents_lease_when_processing'],
      [`${lease}, attempts = 1`, 'documents_lease_when_processing'],
      // A processing document without its lease, or with part of it.
      [`processing_status = 'processing', attempts = 1`, 'documents_lease_when_processing'],
      [`processing_status = 'processing', attempts = 1, locked_by = 'w', lease_token = gen_random_uuid(), lease_expires_at = now()`, 'documents_lease_when_processing'],
      // A claim always counts its attempt.
      [`processing_status = 'processing', ${lease}`, 'documents_attempt_counted'],
    ];
    for (const [set, constraint] of cases) {
      expect(await app.sqlError(`update componentforge.documents set ${set} where id = $1`, [id], { triggers: false }), set).toEqual({ code: '23514', constraint });
    }
    // The same update with everything in place is accepted: the cases fail for their rule alone.
    await app.sql(`update componentforge.documents set processing_status = 'processing', attempts = 1, ${lease} where id = $1`, [id]);
    // Through a procedure the rule's wording and fields come back.
    const admin = await app.newAdmin();
    const err = await failure(
      app.probe({ token: admin.token }).sql([{ text: `update componentforge.documents set locked_by = null where id = $1`, values: [id] }]),
    );
    expect(err).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'a processing document holds a lease (locked_by, lease_token, lease_expires_at, heartbeat_at) and no other document does',
    });
    expect(badFields(err)).toContain('lockedBy');
    await app.sql(`update componentforge.documents set processing_status = 'failed', processing_error = 'x', locked_by = null, lease_token = null, lease_expires_at = null, heartbeat_at = null where id = $1`, [id]);
  });

  it('the status guard lets a reclaim move processing -> pending, and still refuses the other moves back', async () => {
    const { rows: [doc] } = await app.sql(
      `insert into componentforge.documents (user_id, title, filename, file_path, processing_status, attempts, locked_by, lease_token, lease_expires_at, heartbeat_at)
       select id, 't', 'f', 'p', 'processing', 1, 'w', gen_random_uuid(), now(), now() from core.users limit 1 returning id`,
    );
    const release = `locked_by = null, lease_token = null, lease_expires_at = null, heartbeat_at = null`;
    await app.sql(`update componentforge.documents set processing_status = 'pending', ${release} where id = $1`, [doc!.id]);
    expect(await app.sqlError(`update componentforge.documents set processing_status = 'completed' where id = $1`, [doc!.id])).toEqual({ code: '23514', constraint: undefined });
    await app.sql(`update componentforge.documents set processing_status = 'processing', attempts = 2, locked_by = 'w', lease_token = gen_random_uuid(), lease_expires_at = now(), heartbeat_at = now() where id = $1`, [doc!.id]);
    await app.sql(`update componentforge.documents set processing_status = 'failed', processing_error = 'x', ${release} where id = $1`, [doc!.id]);
    expect(await app.sqlError(`update componentforge.documents set processing_status = 'pending' where id = $1`, [doc!.id])).toEqual({ code: '23514', constraint: undefined });
  });
});

describe('reclaim under a generic plan', () => {
  it('finds the expired leases through documents_lease_expires_idx, in lease order, without a sort', async () => {
    // Many documents, few of them processing: the reclaim must not read the rest.
    const user = await app.newUser();
    await app.sql(
      `insert into componentforge.documents (user_id, title, filename, file_path, processing_status)
         select $1, 'filler ' || i, 'f.pdf', '/f.pdf', 'completed' from generate_series(1, 5000) i`,
      [user.id],
    );
    await app.sql(
      `insert into componentforge.documents (user_id, title, filename, file_path, processing_status, attempts, locked_by, lease_token, lease_expires_at, heartbeat_at)
         select $1, 'leased ' || i, 'f.pdf', '/f.pdf', 'processing', 1, 'w', gen_random_uuid(), now() + interval '1 hour', now() from generate_series(1, 20) i`,
      [user.id],
    );
    await app.sql('analyze componentforge.documents');
    const client = await app.superClient();
    try {
      await client.query('begin');
      await client.query('set local plan_cache_mode = force_generic_plan');
      // The generated query's own text and parameters, as it sends them.
      let sent = { text: '', values: [] as unknown[] };
      await reclaimExpiredDocuments.run({ maxAttempts: 3, limit: 100 }, {
        query: async (text: string, values: unknown[]) => {
          sent = { text, values };
          return { rows: [], rowCount: 0 };
        },
      });
      expect(sent.text).toContain('lease_expires_at < now()');
      await client.query(`prepare reclaim as ${sent.text}`);
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain (costs off) execute reclaim(${sent.values.map(Number).join(', ')})`);
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toContain('Index Scan using documents_lease_expires_idx');
      expect(plan).toMatch(/Index Cond: \(lease_expires_at < now\(\)\)/);
      expect(plan).not.toContain('Sort');
      expect(plan).not.toMatch(/Seq Scan on documents/);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});
