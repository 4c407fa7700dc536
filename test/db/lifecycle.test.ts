/**
 * src/db/lifecycle.ts and the CLI commands: exit codes that say what happened, the root-in-a-
 * private-folder message, and two deployments with their own owner roles on one cluster.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { assertReachableByPostgres, provisionOwner, serverVersionNum, unreachableFolder, withCredentials } from '../../src/db/lifecycle.js';
import { migrate } from '../../src/db/migrate.js';
import { useTestApp } from '../support/app.js';

const app = useTestApp();
const server = inject('testServer');
const run = promisify(execFile);

/** Runs `npx tsx src/cli/<command>.ts args` and returns its exit code and output. */
async function cli(command: string, args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', `src/cli/${command}.ts`, ...args], {
      env: { ...process.env, ...env, LOG_LEVEL: 'silent' },
    });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const failure = err as { code: number; stdout: string; stderr: string };
    return { code: failure.code, output: failure.stdout + failure.stderr };
  }
}

describe('exit codes', () => {
  it('a CLI command that fails exits non-zero: bad usage 2, a failed migration or an unknown user 1', async () => {
    expect((await cli('migrate', ['sideways'])).code).toBe(2);
    const unreachable = await cli('migrate', ['up'], { DATABASE_URL: 'postgres://nobody:wrong@127.0.0.1:1/none' });
    expect(unreachable.code).toBe(1);
    const promote = await cli('promote', [`nobody-${randomBytes(4).toString('hex')}@example.com`], { DATABASE_URL: app.url });
    expect(promote).toMatchObject({ code: 1, output: expect.stringContaining('no user with email') });
  });
});

describe('root in a private folder', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('names the first folder other users cannot traverse, and what to do', async () => {
    const top = await mkdtemp(path.join(os.tmpdir(), 'private-'));
    dirs.push(top);
    await chmod(top, 0o755);
    await mkdir(path.join(top, 'clone', 'node_modules'), { recursive: true });
    expect(unreachableFolder(path.join(top, 'clone', 'node_modules'))).toBeUndefined();
    await chmod(path.join(top, 'clone'), 0o700);
    expect(unreachableFolder(path.join(top, 'clone', 'node_modules', 'bin'))).toBe(path.join(top, 'clone'));
    expect(() => assertReachableByPostgres([path.join(top, 'clone', '.data')])).toThrow(
      new RegExp(`runs as the user 'postgres'.*${path.join(top, 'clone').replace(/[/.]/g, '\\$&')} lets no other user in \\(mode 700\\).*chmod o\\+x.*DATABASE_URL`),
    );
  });
});

describe('two deployments on one cluster', () => {
  const admin = new pg.Client({ connectionString: server.adminUrl });
  const created: { databases: string[]; roles: string[] } = { databases: [], roles: [] };
  afterAll(async () => {
    for (const db of created.databases) await admin.query(`drop database if exists ${pg.escapeIdentifier(db)} with (force)`);
    for (const role of created.roles) await admin.query(`drop role if exists ${pg.escapeIdentifier(role)}`);
    await admin.end();
  });

  it('a second owner role migrates its own database beside the first, and both serve under their own RLS', async () => {
    await admin.connect();
    const pg16 = (await serverVersionNum(admin)) >= 160000;
    const id = randomBytes(4).toString('hex');
    const owner = `staging_owner_${id}`;
    const database = `staging_${id}`;
    const password = randomBytes(12).toString('hex');
    created.databases.push(database);
    created.roles.push(owner);
    // As a DBA would set up a DATABASE_URL deployment: a login with CREATEROLE and a database it owns.
    await admin.query(`create role ${owner} login createrole password '${password}'`);
    await admin.query(`create database ${database} owner ${owner}`);
    const url = withCredentials(server.adminUrl, owner, password, database);
    if (pg16) {
      // PostgreSQL 16+ lets only holders of ADMIN grant the shared roles: the migration says who must do what.
      await expect(migrate(url, { direction: 'up' })).rejects.toThrow(/may not use role app_request, which another deployment on this server created/);
      // provisionOwner does that grant as the superuser (and is what the embedded server and the tests use).
      await provisionOwner(server.adminUrl, { database, password, owner });
    }
    await migrate(url, { direction: 'up' });

    const { rows: memberships } = await admin.query(
      `select r.rolname, pg_has_role($1, r.oid, 'MEMBER') as member, pg_has_role($1, r.oid, 'USAGE') as inherits
         from pg_roles r where r.rolname in ('app_request', 'app_auth', 'app_audit') order by r.rolname`,
      [owner],
    );
    expect(memberships).toEqual(['app_audit', 'app_auth', 'app_request'].map((rolname) => ({ rolname, member: true, inherits: false })));

    // The second deployment runs requests the way the server does: as app_request, under RLS.
    const staging = new pg.Client({ connectionString: url });
    await staging.connect();
    try {
      await staging.query('begin read only');
      await staging.query('set local role app_request');
      const { rows } = await staging.query(`select current_user as role, count(*)::int as users from core.users group by 1`);
      expect(rows).toEqual([]); // no users there, and none visible to an anonymous request anyway
      await staging.query('commit');
    } finally {
      await staging.end();
    }
    // And the first deployment still serves requests.
    const me = await app.newUser();
    expect(me.id).toMatch(/^[0-9a-f-]{36}$/);

    // Taking the second deployment back down keeps the shared roles the first one uses.
    await migrate(url, { direction: 'down', count: Infinity });
    const { rows: roles } = await admin.query(`select count(*)::int as n from pg_roles where rolname in ('app_request', 'app_auth', 'app_audit')`);
    expect(roles[0]!.n).toBe(3);
  });
});
