/** Runs the plain-SQL migrations in migrations/ with node-pg-migrate, as the owner role. */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { loadMigrationTimeouts, type DatabaseSsl } from '../config.js';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
export const MIGRATIONS_TABLE = 'pgmigrations';

export type Direction = 'up' | 'down';

export interface MigrateOptions {
  direction: Direction;
  /** How many migrations; default: all for up, one for down. */
  count?: number;
  log?: (message: string) => void;
  /** Longest wait for a lock, in ms (0: none); default MIGRATION_LOCK_TIMEOUT_MS. */
  lockTimeoutMs?: number;
  /** Longest single statement, in ms (0: none); default MIGRATION_STATEMENT_TIMEOUT_MS. */
  statementTimeoutMs?: number;
  /** TLS for DATABASE_URL's server (databaseSsl() in src/config.ts); none for the embedded one. */
  ssl?: DatabaseSsl;
}

/** A migration gave up waiting for a lock, or ran a statement past its limit; it was rolled back. */
export class MigrationTimeoutError extends Error {
  override name = 'MigrationTimeoutError';
}

/**
 * Applies or reverts migrations; returns the names it ran. On live tables a migration's lock
 * request queues every later request on the same table behind it, so the migration connection
 * sets lock_timeout (and statement_timeout): a migration that cannot get its lock soon fails,
 * rolled back, with a message naming it, rather than stalling the application.
 */
export async function migrate(databaseUrl: string, options: MigrateOptions): Promise<string[]> {
  const defaults = loadMigrationTimeouts();
  const lockTimeoutMs = options.lockTimeoutMs ?? defaults.MIGRATION_LOCK_TIMEOUT_MS;
  const statementTimeoutMs = options.statementTimeoutMs ?? defaults.MIGRATION_STATEMENT_TIMEOUT_MS;
  const log = options.log ?? (() => {});
  // node-pg-migrate announces each migration before running it: that names the one that failed.
  let current: string | undefined;
  await prepareDatabase(databaseUrl, options.ssl);
  try {
    return await runMigrations(databaseUrl, options, lockTimeoutMs, statementTimeoutMs, (message) => {
      current = /^### MIGRATION (\S+) \((?:UP|DOWN)\) ###/.exec(message)?.[1] ?? current;
      log(message);
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== '55P03' && code !== '57014') throw err;
    const what =
      code === '55P03'
        ? `waited ${lockTimeoutMs} ms for a lock another session holds (MIGRATION_LOCK_TIMEOUT_MS) and gave up`
        : `ran a statement for ${statementTimeoutMs} ms (MIGRATION_STATEMENT_TIMEOUT_MS) and was stopped`;
    throw new MigrationTimeoutError(
      `migration ${current ?? '(none yet)'} (${options.direction}) ${what}; it was rolled back and is still pending. ` +
        'Retry when the sessions using its tables are done, or raise the limit.',
      { cause: err },
    );
  }
}

async function runMigrations(
  connectionString: string,
  options: MigrateOptions,
  lockTimeoutMs: number,
  statementTimeoutMs: number,
  log: (message: string) => void,
): Promise<string[]> {
  const ran = await runner({
    // Session settings of the migration connection only (0 leaves the server's default, none).
    databaseUrl: { connectionString, ...(options.ssl ? { ssl: options.ssl } : {}), lock_timeout: lockTimeoutMs, statement_timeout: statementTimeoutMs },
    dir: MIGRATIONS_DIR,
    migrationsTable: MIGRATIONS_TABLE,
    migrationsSchema: 'public',
    direction: options.direction,
    count: options.count ?? (options.direction === 'up' ? Infinity : 1),
    checkOrder: true,
    // An advisory lock keeps two starting servers from migrating at once: the second waits (up
    // to lock_timeout), then finds nothing pending, instead of failing at once.
    noLock: false,
    advisoryLockMode: 'wait',
    log,
    verbose: false,
  });
  return ran.map((migration) => migration.name);
}

/** Names of the migration files in migrations/, in order. */
export async function migrationNames(): Promise<string[]> {
  const files = await readdir(MIGRATIONS_DIR);
  return files.filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, '')).sort();
}

/** Migrations on disk that the database has not run. */
export async function pendingMigrations(db: Pick<pg.ClientBase, 'query'>, onDisk?: string[]): Promise<string[]> {
  const names = onDisk ?? (await migrationNames());
  const { rows: table } = await db.query<{ exists: boolean }>(
    `select to_regclass('public.${MIGRATIONS_TABLE}') is not null as exists`,
  );
  if (!table[0]?.exists) return names;
  const { rows } = await db.query<{ name: string }>(`select name from public.${MIGRATIONS_TABLE}`);
  const applied = new Set(rows.map((row) => row.name));
  return names.filter((name) => !applied.has(name));
}

/**
 * On PostgreSQL 15 the owner role is NOINHERIT (the first migration makes it so: see
 * core.use_role), which also ends the rights it held as pg_database_owner, among them creating
 * in schema public, where node-pg-migrate keeps its table and the extensions go. It may still
 * act as pg_database_owner explicitly, so it grants itself that one right, in each database.
 */
export async function prepareDatabase(databaseUrl: string, ssl?: DatabaseSsl): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, ...(ssl ? { ssl } : {}) });
  await client.connect();
  try {
    const { rows } = await client.query<{ needed: boolean }>(
      `select current_setting('server_version_num')::int < 160000
              and not has_schema_privilege('public', 'create')
              and pg_has_role('pg_database_owner', 'member') as needed`,
    );
    if (!rows[0]?.needed) return;
    await client.query('begin');
    const { rows: session } = await client.query<{ owner: string }>('select session_user as owner');
    await client.query('set local role pg_database_owner');
    await client.query(`grant create on schema public to ${client.escapeIdentifier(session[0]!.owner)}`);
    await client.query('commit');
  } finally {
    await client.end();
  }
}
