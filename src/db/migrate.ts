/** Runs the plain-SQL migrations in migrations/ with node-pg-migrate, as the owner role. */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type pg from 'pg';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
export const MIGRATIONS_TABLE = 'pgmigrations';

export type Direction = 'up' | 'down';

export interface MigrateOptions {
  direction: Direction;
  /** How many migrations; default: all for up, one for down. */
  count?: number;
  log?: (message: string) => void;
}

/** Applies or reverts migrations; returns the names it ran. */
export async function migrate(databaseUrl: string, options: MigrateOptions): Promise<string[]> {
  const ran = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    migrationsTable: MIGRATIONS_TABLE,
    migrationsSchema: 'public',
    direction: options.direction,
    count: options.count ?? (options.direction === 'up' ? Infinity : 1),
    checkOrder: true,
    // An advisory lock keeps two starting servers from migrating at once.
    noLock: false,
    log: options.log ?? (() => {}),
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
