/**
 * `npm run bench [-- <filter>]`: runs every measurement (or those whose name contains the
 * filter) against one database and prints medians and ratios against hand-written pg. With
 * DATABASE_URL (the owner role, as for `npm start`) it migrates and uses that server; without,
 * it starts a throwaway embedded PostgreSQL exactly as `npm run db:gen` does, and stops it at
 * the end. Never part of `npm test`: numbers depend on the machine; ratios are what to compare.
 *
 * A new measurement is a file exporting a `Measurement` (bench/support.ts), added to MEASUREMENTS.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { provisionOwner, startCluster } from '../src/db/lifecycle.js';
import { migrate } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import { createLogger } from '../src/logger.js';
import type { Services } from '../src/server/context.js';
import { chunkInsert } from './chunk-insert.js';
import { conversationRead } from './conversation-read.js';
import { callerFactory, type BenchEnv, type Measurement, type Result } from './support.js';

const MEASUREMENTS: Measurement[] = [chunkInsert, conversationRead];

async function openBenchDatabase(): Promise<{ url: string; where: string; stop(): Promise<void> }> {
  const configured = process.env.DATABASE_URL;
  if (configured) {
    await migrate(configured, { direction: 'up' });
    return { url: configured, where: 'DATABASE_URL', stop: async () => {} };
  }
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'bench-'));
  const cluster = await startCluster({ dir: path.join(scratch, 'pg'), superuserPassword: randomBytes(12).toString('hex'), persistent: false });
  try {
    const url = await provisionOwner(cluster.adminUrl, { database: 'bench', password: randomBytes(12).toString('hex') });
    await migrate(url, { direction: 'up' });
    return {
      url,
      where: 'throwaway embedded PostgreSQL (fsync off)',
      stop: async () => {
        await cluster.stop();
        await rm(scratch, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await cluster.stop();
    await rm(scratch, { recursive: true, force: true });
    throw err;
  }
}

const format = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(1));

function printTable(measurement: string, results: Result[]): void {
  console.log(`\n${measurement}`);
  const width = Math.max(...results.map((r) => r.variant.length), 10);
  for (const group of [...new Set(results.map((r) => r.group))]) {
    const rows = results.filter((r) => r.group === group);
    const baseline = rows.find((r) => r.baseline) ?? rows[0]!;
    console.log(`  ${group} (ratio = variant / ${baseline.variant})`);
    for (const r of rows) {
      console.log(`    ${r.variant.padEnd(width)}  ${format(r.value).padStart(10)} ${r.unit.padEnd(8)}  ${(r.value / baseline.value).toFixed(2).padStart(6)}`);
    }
  }
}

async function main(): Promise<void> {
  const filter = process.argv[2];
  const chosen = MEASUREMENTS.filter((m) => !filter || m.name.includes(filter));
  if (!chosen.length) {
    console.error(`bench: no measurement matches "${filter}"; there are: ${MEASUREMENTS.map((m) => m.name).join('; ')}`);
    process.exit(2);
  }
  const started = Date.now();
  const database = await openBenchDatabase();
  const log = createLogger({ LOG_LEVEL: 'warn' });
  const config = {
    DB_POOL_SIZE: 4,
    DB_POOL_TIMEOUT_MS: 5000,
    DB_STATEMENT_TIMEOUT_MS: 60_000,
    DB_NAMED_STATEMENTS: true,
    AUTH_SESSION_TTL_HOURS: 1,
    NODE_ENV: 'production' as const,
    LOGIN_LIMIT_PER_EMAIL: 1_000_000,
    LOGIN_LIMIT_PER_IP: 1_000_000,
    LOGIN_LIMIT_WINDOW_SECONDS: 900,
  };
  const pool = createPool(database.url, config, log);
  const raw = new pg.Pool({ connectionString: database.url, max: 4, pipeline: true });
  // pool.end() resolves before a pipelined connection has said goodbye, so the server's
  // shutdown may still reach one; an idle connection failing mid-run is worth a warning.
  let stopping = false;
  raw.on('error', (err) => {
    if (!stopping) log.warn({ message: err.message }, 'idle baseline connection failed');
  });
  const services: Services = { pool, config, log, configKey: randomBytes(32) };
  const env: BenchEnv = { services, raw, caller: callerFactory(services) };
  try {
    const { rows } = await raw.query<{ server_version: string }>('show server_version');
    console.log(`bench: ${database.where}, PostgreSQL ${rows[0]!.server_version}, Node ${process.version}, ${os.cpus().length} cores; medians`);
    for (const measurement of chosen) printTable(measurement.name, await measurement.run(env));
    console.log(`\nbench: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    stopping = true;
    await pool.end();
    await raw.end();
    await database.stop();
  }
}

await main();
