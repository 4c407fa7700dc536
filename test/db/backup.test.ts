/**
 * Backups (src/db/backup.ts): a base backup taken with pg_backup_start / a file copy /
 * pg_backup_stop while writers commit, restored, holds every row acknowledged before
 * pg_backup_stop returned. Then db:backup / db:restore on a `.data`-like folder of their own:
 * the running server is backed up while it serves, a restore refuses while it runs, keeps the
 * current data aside, and brings back the backed-up state. The commands themselves:
 * test/db/backup-cli.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupEmbedded, restoreEmbedded, takeBaseBackup } from '../../src/db/backup.js';
import { ensureMajor, parseMajor } from '../../src/db/embedded.js';
import { openDatabase, startCluster, type Cluster, type Database } from '../../src/db/lifecycle.js';

const WRITERS = 4;
// The run's PostgreSQL major (`npm run test:pg -- 15`), else the one npm start ships.
const major = process.env.TEST_PG_MAJOR ? parseMajor(process.env.TEST_PG_MAJOR) : undefined;

let tmp: string;
const running: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pg-backup-'));
  // As root the server runs as user postgres, which must reach its folders (mkdtemp makes them 0700).
  await chmod(tmp, 0o755);
  if (major !== undefined) await ensureMajor(major);
});

afterAll(async () => {
  for (const server of running.reverse()) await server.stop();
  await rm(tmp, { recursive: true, force: true });
});

async function started(cluster: Cluster): Promise<Cluster> {
  running.push(cluster);
  return cluster;
}

/** Inserts numbered rows until told to stop; `acked` gets a number once its INSERT (autocommit) returned. */
async function writer(url: string, id: number, acked: number[], stop: { now: boolean }): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (let n = 0; !stop.now; n++) {
      await client.query('insert into public.writes (writer, n) values ($1, $2)', [id, n]);
      acked.push(n);
    }
  } finally {
    await client.end();
  }
}

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

// Servers start and copy files: on a busy 2-core machine that outlasts the default 30 s.
describe('a base backup under write load', () => {
  it('restored, holds every row acknowledged before pg_backup_stop returned, and serves', async ({ annotate }) => {
    const superuserPassword = randomBytes(12).toString('hex');
    const primary = await started(await startCluster({ dir: path.join(tmp, 'primary'), superuserPassword, persistent: false, major }));
    await query(primary.adminUrl, 'create table public.writes (writer int, n int, primary key (writer, n))');

    const stop = { now: false };
    const acked = Array.from({ length: WRITERS }, () => [] as number[]);
    const writers = acked.map((rows, id) => writer(primary.adminUrl, id, rows, stop));
    // The writers are under way before the backup starts, and carry on after it ends.
    while (acked.some((rows) => rows.length < 20)) await new Promise((resolve) => setTimeout(resolve, 10));
    const atStart = acked.map((rows) => rows.length);
    let atStop: number[] = [];
    const backup = await takeBaseBackup(primary.adminUrl, path.join(tmp, 'backup'), {
      onStopped: () => (atStop = acked.map((rows) => rows.length)),
    });
    const settle = acked.map((rows) => rows.length);
    while (acked.some((rows, id) => rows.length < settle[id]! + 20)) await new Promise((resolve) => setTimeout(resolve, 10));
    stop.now = true;
    await Promise.all(writers);

    // The copy is a data directory with the stop's label and the WAL to reach consistency.
    const files = await readdir(backup.dir);
    expect(files).toEqual(expect.arrayContaining(['backup_label', 'PG_VERSION', 'global', 'base', 'pg_wal']));
    expect(files).not.toContain('postmaster.pid');
    expect(backup.walSegments).toBeGreaterThan(0);

    const log: string[] = [];
    const restored = await started(await startCluster({ dir: backup.dir, superuserPassword, persistent: false, major, log: (line) => log.push(line) }));
    // It started from the backup's label (renamed once recovery has used it), not as a crashed copy.
    expect(existsSync(path.join(backup.dir, 'backup_label.old'))).toBe(true);
    const rows = await query<{ writer: number; n: number }>(restored.adminUrl, 'select writer, n from public.writes');
    const [state] = await query<{ recovery: boolean }>(restored.adminUrl, 'select pg_is_in_recovery() as recovery');
    const found = new Set(rows.map((row) => `${row.writer}:${row.n}`));
    const expected = atStop.flatMap((count, id) => Array.from({ length: count }, (_, n) => `${id}:${n}`));
    const missing = expected.filter((key) => !found.has(key));

    const during = atStop.reduce((sum, count, id) => sum + count - atStart[id]!, 0);
    const figures =
      `backup under load (PostgreSQL ${backup.serverVersion}): ${backup.files} files, ${(backup.bytes / 1048576).toFixed(1)} MB, ` +
      `${backup.walSegments} WAL segments in ${backup.ms} ms; ${during} rows committed during the backup, ` +
      `${expected.length} acknowledged before pg_backup_stop returned, ${rows.length} rows restored, ${missing.length} missing`;
    console.log(figures);
    await annotate(figures);
    // Writers really committed while the files were copied.
    expect(during).toBeGreaterThan(0);
    expect({ missing: missing.length, some: missing.slice(0, 10) }).toEqual({ missing: 0, some: [] });
    expect(state!.recovery).toBe(false);
    // It serves writes of its own.
    await query(restored.adminUrl, 'insert into public.writes (writer, n) values (-1, 0)');
  }, 90_000);
});

describe('db:backup and db:restore on the embedded server', () => {
  it('backs up the running server, refuses to restore while it runs, keeps the current data aside and restores', async () => {
    const dataDir = path.join(tmp, 'data');
    let database: Database | undefined = await openDatabase({ dataDir });
    running.push(database);
    const owner = database.url;
    await query(owner, 'create table public.notes (body text)');
    await query(owner, `insert into public.notes values ('before the backup')`);

    const backup = await backupEmbedded({ dataDir });
    // The running server was used, not a second one, and it still serves.
    expect(backup.startedHere).toBe(false);
    expect(path.dirname(backup.folder)).toBe(path.join(dataDir, 'backups'));
    expect((await readdir(backup.folder)).sort()).toEqual(['backup.json', 'config-encryption.key', 'credentials.json', 'pg'].filter(
      (name) => name !== 'config-encryption.key' || existsSync(path.join(dataDir, name)),
    ));
    await query(owner, `insert into public.notes values ('after the backup')`);

    await expect(restoreEmbedded({ from: backup.folder, dataDir })).rejects.toThrow(/the embedded server is running .*stop `npm start`/);
    await database.stop();
    database = undefined;

    await expect(restoreEmbedded({ from: path.join(tmp, 'nowhere'), dataDir })).rejects.toThrow(/is not a backup made by db:backup/);
    const restore = await restoreEmbedded({ from: backup.folder, dataDir });
    expect(restore.databases).toContain('app');
    // The data from before the restore is renamed, not deleted: it still holds the later row.
    expect(restore.keptAside).toMatch(/before-restore-/);
    expect(existsSync(path.join(restore.keptAside!, 'pg', 'PG_VERSION'))).toBe(true);
    expect(existsSync(path.join(restore.keptAside!, 'credentials.json'))).toBe(true);

    const reopened = await openDatabase({ dataDir });
    running.push(reopened);
    expect(await query<{ body: string }>(reopened.url, 'select body from public.notes')).toEqual([{ body: 'before the backup' }]);
    await reopened.stop();
  }, 90_000);

  it('an interrupted backup (no backup.json) is refused', async () => {
    const folder = path.join(tmp, 'interrupted');
    await cp(path.join(tmp, 'data', 'backups'), folder, { recursive: true });
    const [only] = await readdir(folder);
    expect(only).toBeDefined();
    await rm(path.join(folder, only!, 'backup.json'));
    await expect(restoreEmbedded({ from: path.join(folder, only!), dataDir: path.join(tmp, 'data') })).rejects.toThrow(/interrupted backup: backup.json is missing/);
  });
});
