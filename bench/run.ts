/**
 * `npm run bench [-- section ...]`: measurements against one real PostgreSQL in one run —
 * DATABASE_URL if set, else an embedded server in a scratch folder, started DURABLE (fsync,
 * synchronous_commit and full_page_writes on, as `npm start` runs it) — printed as medians and
 * ratios against raw `pg` and the named peers, after the server settings they ran under.
 * Sections: request-path, setup-cost, http, replica, copy, chunks, conversations, verificai, scraper (default: all).
 * Never part of `npm test`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import pg from 'pg';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { provisionOwner, startCluster } from '../src/db/lifecycle.js';
import { migrate } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import { createLogger } from '../src/logger.js';
import type { Services } from '../src/server/context.js';
import { printTable, type BenchDatabase } from './measure.js';
import { benchHttp } from './http.js';
import { benchRequestPath } from './request-path.js';
import { benchSetupCost } from './setup-cost.js';
import { benchChunkInsert } from './chunk-insert.js';
import { benchCopy } from './copy.js';
import { benchReplica } from './replica.js';
import { benchConversationRead } from './conversation-read.js';
import { benchVerificaiFiles } from './verificai-files.js';
import { benchScraperIngest } from './scraper-ingest.js';

async function openBenchDatabase(): Promise<{ db: BenchDatabase; close: () => Promise<void> }> {
  if (process.env.DATABASE_URL) return { db: { ownerUrl: process.env.DATABASE_URL }, close: async () => {} };
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'bench-'));
  const cluster = await startCluster({ dir: path.join(scratch, 'pg'), superuserPassword: randomBytes(12).toString('hex'), persistent: true });
  const ownerUrl = await provisionOwner(cluster.adminUrl, { database: 'bench', password: randomBytes(12).toString('hex') });
  return {
    db: { ownerUrl, adminUrl: cluster.adminUrl },
    close: async () => {
      await cluster.stop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

/** The server settings that decide what a write costs, printed with every run. */
const SETTINGS = ['server_version', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'shared_buffers', 'max_connections', 'jit'];

async function printSettings(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; setting: string }>(
      `select name, current_setting(name) as setting from unnest($1::text[]) as name`,
      [SETTINGS],
    );
    console.log(`server: ${rows.map((r) => `${r.name}=${r.setting}`).join(', ')}`);
  } finally {
    await client.end();
  }
}

const SECTIONS = ['request-path', 'setup-cost', 'http', 'replica', 'copy', 'chunks', 'conversations', 'verificai', 'scraper'] as const;

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !(SECTIONS as readonly string[]).includes(w));
  if (unknown.length) {
    console.error(`bench: unknown section ${unknown.join(', ')}; sections: ${SECTIONS.join(', ')}`);
    process.exit(2);
  }
  const runs = (section: (typeof SECTIONS)[number]) => wanted.length === 0 || wanted.includes(section);
  const { db, close } = await openBenchDatabase();
  const config = { ...loadConfig({}), LOGIN_LIMIT_PER_EMAIL: 1_000_000, LOGIN_LIMIT_PER_IP: 1_000_000 };
  const log = createLogger({ LOG_LEVEL: 'warn' });
  const pool = createPool(db.ownerUrl, config, log);
  try {
    await migrate(db.ownerUrl, { direction: 'up' });
    const services: Services = { pool, config, log, configKey: randomBytes(32) };
    console.log(`bench: node ${process.version}, ${os.cpus().length} cores, ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded PostgreSQL (durable)'}`);
    await printSettings(db.ownerUrl);
    if (runs('request-path')) printTable('Request path (ratios against a bare named point query as the user)', await benchRequestPath(db, services));
    if (runs('setup-cost')) {
      const results = await benchSetupCost(db, services);
      if (results.length) printTable('Server side of a query procedure: pgbench (C, prepared, 4 clients), ratios against the bare point select as the user', results);
    }
    if (runs('http')) printTable('HTTP, autocannon c=32 in its own process (ratios: auth.me against tRPC + pg; batched calls against raw node:http + pg)', await benchHttp(db, services));
    if (runs('replica')) printTable('Read replica: auth.me reads, 16 in flight, primary with one streaming replica against the primary alone; replica lag under 8 writers', await benchReplica(log));
    if (runs('copy')) printTable('Trigger cost of a bulk path: COPY of 20,000 chunks, committed (ratio against the trigger-less twin; as the superuser, so RLS is not counted)', await benchCopy(db));
    if (runs('chunks')) printTable('ComponentForge bulk chunk insert, 10,000 chunks per call (ratio against raw pg multi-row INSERT)', await benchChunkInsert(db, services));
    if (runs('conversations')) printTable(
      'ComponentForge conversations with messages (ratios: a page against raw pg N+1; one conversation against raw pg, same 2 queries)',
      await benchConversationRead(db, services),
    );
    if (runs('verificai')) printTable('VerificAI bulk file registration, 10,000 files per call (ratio against raw pg multi-row INSERT)', await benchVerificaiFiles(db, services));
    if (runs('scraper')) printTable('Scraper bulk ingest, 1,000 artifacts with 2 tags and an extraction each per call (ratio against raw pg multi-row INSERTs)', await benchScraperIngest(db, services));
  } finally {
    await pool.end();
    await close();
  }
}

await main();
