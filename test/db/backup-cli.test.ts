/**
 * The backup commands as a user runs them, in a folder of their own (its `.data/`):
 * `db:migrate -- up 1 --backup` backs up the server it opened before migrating; `db:backup`
 * with no server running starts one, backs up and stops it again; `db:restore` brings back the
 * state from before the migration and keeps the migrated data aside. With DATABASE_URL all
 * three refuse and say what to use instead.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/lifecycle.js';
import { MIGRATIONS_TABLE } from '../../src/db/migrate.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The commands run in another folder, where `--import tsx` would not resolve.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const run = promisify(execFile);

async function cli(command: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', TSX, path.join(ROOT, 'src', 'cli', `${command}.ts`), ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, LOG_LEVEL: 'silent', ...options.env },
    });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const failure = err as { code: number; stdout: string; stderr: string };
    return { code: failure.code, output: failure.stdout + failure.stderr };
  }
}

let tmp: string | undefined;
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('db:backup, db:restore and db:migrate --backup', () => {
  it('with DATABASE_URL, refuse and point to pg_dump and the provider\'s snapshots', async () => {
    const env = { DATABASE_URL: 'postgres://nobody:wrong@127.0.0.1:1/none' };
    const results = await Promise.all([
      cli('backup', [], { env }),
      cli('restore', ['/nowhere'], { env }),
      cli('migrate', ['up', '--backup'], { env }),
    ]);
    for (const result of results) {
      expect(result).toEqual({ code: 2, output: expect.stringMatching(/DATABASE_URL is set.*pg_dump.*snapshots/s) });
    }
  });

  it('on the embedded server: a backup before migrating, one with the server stopped, and a restore to before the migration', async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'pg-backup-cli-'));
    // As root the server runs as user postgres, which must reach the folder (mkdtemp makes it 0700).
    await chmod(tmp, 0o755);
    const cwd = path.join(tmp, 'project');
    await mkdir(cwd);
    const dataDir = path.join(cwd, '.data');
    const backups = () => readdir(path.join(dataDir, 'backups')).then((names) => names.sort());

    const migrated = await cli('migrate', ['up', '1', '--backup'], { cwd });
    expect(migrated, migrated.output).toEqual({ code: 0, output: expect.stringMatching(/backed up PostgreSQL \S+ \(the running server, which kept serving\) to .*\n(.|\n)*1763800000000_platform/) });
    const [beforeMigration] = await backups();
    expect(existsSync(path.join(dataDir, 'backups', beforeMigration!, 'backup.json'))).toBe(true);

    const backedUp = await cli('backup', [], { cwd });
    expect(backedUp, backedUp.output).toEqual({ code: 0, output: expect.stringContaining('(started for the backup, stopped again)') });
    expect(backedUp.output).toContain(`restore it with: npm run db:restore -- ${path.join(dataDir, 'backups')}`);
    expect(await backups()).toHaveLength(2);
    // Stopped again: nothing runs on the folder any more.
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);

    const restored = await cli('restore', [path.join('.data', 'backups', beforeMigration!)], { cwd });
    expect(restored, restored.output).toEqual({ code: 0, output: expect.stringMatching(/restored .* \(PostgreSQL \S+, databases app, postgres\) .*the data from before is in .*before-restore-/) });

    // The migration's table is gone with the restore; the data kept aside still has it.
    const database = await openDatabase({ dataDir });
    try {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const { rows } = await client.query(`select to_regclass('public.${MIGRATIONS_TABLE}') as found`);
      await client.end();
      expect(rows).toEqual([{ found: null }]);
    } finally {
      await database.stop();
    }
    const aside = (await readdir(dataDir)).filter((name) => name.startsWith('before-restore-'));
    expect(aside).toHaveLength(1);
    expect(existsSync(path.join(dataDir, aside[0]!, 'pg', 'PG_VERSION'))).toBe(true);
    // Three commands, each starting a durable server of its own (about 12 s on an idle machine).
  }, 90_000);
});
