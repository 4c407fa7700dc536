/**
 * Migration 1763800000008 on a database that has data: documents left in processing by
 * workers of the time before leases (maybe dead) get an expired lease, so that the first
 * reclaim puts them back in the queue; the others get no lease. A blank database of its own,
 * migrated step by step.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, migrationNames, prepareDatabase } from '../../src/db/migrate.js';
import { reclaimExpiredDocuments } from '../../sql/componentforge/documents.queries.js';
import { useBlankDatabase } from '../support/app.js';

const LEASES = '1763800000008_queue-leases-and-partitions';

const { ownerUrl, superUrl } = useBlankDatabase('leases');
let db: pg.Client;

beforeAll(async () => {
  db = new pg.Client({ connectionString: superUrl });
  await db.connect();
});

afterAll(async () => {
  await db.end();
});

describe(`migration ${LEASES}`, () => {
  it('gives documents already in processing an expired lease with one attempt, and reclaim returns them to the queue', async () => {
    const names = await migrationNames();
    await prepareDatabase(ownerUrl);
    await migrate(ownerUrl, { direction: 'up', count: names.indexOf(LEASES) });

    const { rows: [user] } = await db.query<{ id: string }>(
      `insert into core.users (username, email, password_hash) values ('oldworker', 'old-worker@example.com', '$argon2id$old') returning id`,
    );
    const insert = (title: string, status: string) =>
      db.query<{ id: string }>(
        `insert into componentforge.documents (user_id, title, filename, file_path, processing_status, created_at, updated_at)
         values ($1, $2, 'f.pdf', '/f.pdf', $3, now() - interval '2 days', now() - interval '1 day') returning id`,
        [user!.id, title, status],
      );
    const stuck = (await insert('stuck', 'processing')).rows[0]!.id;
    const queued = (await insert('queued', 'pending')).rows[0]!.id;

    expect(await migrate(ownerUrl, { direction: 'up', count: 1 })).toEqual([LEASES]);

    const { rows } = await db.query(
      `select title, attempts, locked_by, lease_token is not null as has_token, lease_expires_at < now() as expired, heartbeat_at = lease_expires_at as beat_at_expiry
         from componentforge.documents order by title`,
    );
    expect(rows).toEqual([
      { title: 'queued', attempts: 0, locked_by: null, has_token: false, expired: null, beat_at_expiry: null },
      { title: 'stuck', attempts: 1, locked_by: 'unknown (claimed before leases)', has_token: true, expired: true, beat_at_expiry: true },
    ]);

    // The reclaim query itself (as the superuser here: no RLS in the way) takes the stuck one back.
    const reclaimed = await reclaimExpiredDocuments.run({ maxAttempts: 3, limit: 100 }, db);
    expect(reclaimed.map((r) => r.id)).toEqual([stuck]);
    expect((await db.query(`select title, processing_status, attempts, locked_by from componentforge.documents where id = any($1) order by title`, [[stuck, queued]])).rows).toEqual([
      { title: 'queued', processing_status: 'pending', attempts: 0, locked_by: null },
      { title: 'stuck', processing_status: 'pending', attempts: 1, locked_by: null },
    ]);
  });
});
