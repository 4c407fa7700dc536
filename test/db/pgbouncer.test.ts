/**
 * Behind a transaction pooler: the app's pool goes through a PgBouncer of this file's own
 * (pool_mode = transaction, two server connections shared by all its clients) with
 * DB_NAMED_STATEMENTS=false, and the HTTP server answers as usual. Each procedure's role and
 * app.* settings are transaction-local, so a server connection that one client's request used
 * carries nothing into the next client's transaction: a probe outside any request, on every
 * server connection PgBouncer holds, finds the owner, no role, no app.* value, no prepared
 * statement, no advisory lock. A control shows that the probe does find session-level state.
 *
 * Needs the pgbouncer binary (scripts/install-pgbouncer.sh): without it the file is skipped,
 * except under CI, where it fails.
 */
import { TRPCClientError, createTRPCClient, httpBatchLink } from '@trpc/client';
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createClient, type Client } from '../../src/client.js';
import { createPool } from '../../src/db/pool.js';
import { createHttpServer, listen } from '../../src/server/http.js';
import { createContext, type Services } from '../../src/server/context.js';
import { transformer } from '../../src/server/transformer.js';
import { createCallerFactory } from '../../src/server/trpc.js';
import { PASSWORD, unique, useTestApp } from '../support/app.js';
import { findPgBouncer, leaksOf, probeServers, startPgBouncer, type PgBouncer } from '../support/pgbouncer.js';
import { probeRouter } from '../support/probe.js';

const binary = findPgBouncer();
const runs = Boolean(binary) || Boolean(process.env.CI);
if (!runs) console.warn('test/db/pgbouncer.test.ts skipped: PgBouncer is not installed (scripts/install-pgbouncer.sh installs it; under CI this fails)');

/** Server connections PgBouncer may open to the database: few, so that every client shares them. */
const SERVER_CONNECTIONS = 2;
/** The owner's own statement timeout in the test database, which PgBouncer's clients get instead of pg's startup parameter. */
const ROLE_STATEMENT_TIMEOUT = '7s';
/** What the request setup (sql/core/request.sql) sets for the transaction. */
const REQUEST_SETTINGS = ['app.user_id', 'app.user_role', 'app.session_id', 'app.client_ip', 'app.user_agent', 'app.request_id'];

type Probe = ReturnType<typeof probeClient>;
function probeClient(url: string, token?: string) {
  return createTRPCClient<typeof probeRouter>({
    links: [httpBatchLink({ url: `${url}/trpc`, transformer, headers: token ? { authorization: `Bearer ${token}` } : {} })],
  });
}

/** The tRPC code an HTTP call fails with, or 'OK'. */
async function clientCodeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'OK';
  } catch (err) {
    if (err instanceof TRPCClientError) return (err.data as { code: string }).code;
    throw err;
  }
}

describe.skipIf(!runs)('the app behind PgBouncer in transaction mode, DB_NAMED_STATEMENTS=false', () => {
  const app = useTestApp();
  const owner = inject('testServer').owner;
  let bouncer: PgBouncer;
  let pool: pg.Pool;
  let appUrl: string;
  let probeUrl: string;
  const servers: http.Server[] = [];

  beforeAll(async () => {
    if (!binary) throw new Error('PgBouncer is not installed: CI must run scripts/install-pgbouncer.sh before the suite');
    // Before PgBouncer opens a server connection: sessions of the owner in this database start with it.
    await app.sql(`alter role ${pg.escapeIdentifier(owner)} in database ${pg.escapeIdentifier(app.name)} set statement_timeout = '${ROLE_STATEMENT_TIMEOUT}'`);
    bouncer = await startPgBouncer(binary, { upstreamUrl: app.url, poolSize: SERVER_CONNECTIONS });
    // Many client connections over two server connections; a checkout may wait behind the
    // whole concurrency test on a busy machine, which must not turn into 503s.
    pool = createPool(bouncer.url, { DB_POOL_SIZE: 10, DB_POOL_TIMEOUT_MS: 60_000, DB_STATEMENT_TIMEOUT_MS: 10_000 }, app.services.log);
    const services: Services = { ...app.services, pool, config: { ...app.services.config, DB_NAMED_STATEMENTS: false, NODE_ENV: 'production' } };
    for (const router of [undefined, probeRouter]) {
      const server = await createHttpServer({ ...services, trustedProxies: '', ...(router ? { router } : {}) });
      servers.push(server);
      const url = await listen(server, 0, '127.0.0.1');
      if (router) probeUrl = url;
      else appUrl = url;
    }
  });

  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await pool?.end();
    await bouncer?.stop();
  });

  /**
   * Every server connection PgBouncer holds, probed outside any request: none may carry
   * anything. `extra`: app.* settings a test set besides the request's own.
   */
  async function expectEveryServerClean(pooler: PgBouncer, extra: string[] = []) {
    const held = await pooler.serverPids();
    const states = await probeServers(pooler, extra);
    expect(held.length).toBeGreaterThan(0);
    // Each one was looked at, not just whichever PgBouncer handed out.
    expect(states.map((s) => s.pid).sort()).toEqual([...held].sort());
    // The settings a request makes were all looked at.
    for (const state of states) expect(Object.keys(state.appSettings)).toEqual(expect.arrayContaining([...REQUEST_SETTINGS, ...extra]));
    expect(states.flatMap((state) => leaksOf(state, owner))).toEqual([]);
  }

  async function signUp(): Promise<{ id: string; token: string; username: string; client: Client; probe: Probe }> {
    const username = unique('bouncer');
    const email = `${username}@example.com`;
    const anonymous = createClient(appUrl);
    const user = await anonymous.auth.register.mutate({ username, email, password: PASSWORD });
    const { token } = await anonymous.auth.login.mutate({ email, password: PASSWORD });
    return { id: user.id, token, username, client: createClient(appUrl, { token }), probe: probeClient(probeUrl, token) };
  }

  it('HTTP smoke flow: register, log in, auth.me, a SOCRATES project created, listed and updated, log out, the token refused', async () => {
    const before = await bouncer.transactions();
    let token: string | undefined;
    const client = createClient(appUrl, { token: () => token });
    const username = unique('smoke');
    const email = `${username}@example.com`;
    const user = await client.auth.register.mutate({ username, email, password: PASSWORD });
    expect(user.createdAt).toBeInstanceOf(Date);
    token = (await client.auth.login.mutate({ email, password: PASSWORD })).token;
    expect(await client.auth.me.query()).toMatchObject({ id: user.id, username, role: 'user' });

    const project = await client.socrates.projects.create.mutate({ name: 'Pooled', technologyStack: ['postgres', 'pgbouncer'] });
    expect(project).toMatchObject({ ownerId: user.id, name: 'Pooled', status: 'PLANNING', technologyStack: ['postgres', 'pgbouncer'] });
    const list = await client.socrates.projects.list.query({});
    expect(list.items.map((p) => p.id)).toEqual([project.id]);
    const updated = await client.socrates.projects.update.mutate({ id: project.id, name: 'Pooled twice', description: 'behind a transaction pooler' });
    expect(updated).toMatchObject({ id: project.id, name: 'Pooled twice', description: 'behind a transaction pooler' });
    expect((await client.socrates.projects.get.query({ id: project.id })).name).toBe('Pooled twice');

    expect(await client.auth.logout.mutate()).toEqual({ revoked: true });
    expect(await clientCodeOf(client.auth.me.query())).toBe('UNAUTHORIZED');
    expect(await clientCodeOf(client.socrates.projects.list.query({}))).toBe('UNAUTHORIZED');

    // It went through PgBouncer: each of the five mutations is a transaction of its own there
    // (query procedures called together may share one, so they are not counted).
    expect((await bouncer.transactions()) - before).toBeGreaterThanOrEqual(5);
    await expectEveryServerClean(bouncer);
  });

  it("many users at once over two server connections: every answer is its caller's, failures included", async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => signUp()));
    const projects = new Map<string, string>();
    await Promise.all(
      users.map(async (user) => {
        projects.set(user.id, (await user.client.socrates.projects.create.mutate({ name: `project of ${user.username}` })).id);
      }),
    );
    const before = await bouncer.transactions();
    const ROUNDS = 3;
    const pids = new Set<number>();
    const checks: Promise<unknown>[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      users.forEach((user, i) => {
        const other = users[(i + 1) % users.length]!;
        checks.push(
          user.client.auth.me.query().then((me) => expect(me.id).toBe(user.id)),
          // RLS keys on app.user_id: another caller's setting would show that caller's project, or none.
          user.client.socrates.projects.list.query({}).then((page) => expect(page.items.map((p) => p.id)).toEqual([projects.get(user.id)])),
          user.probe.sqlQuery
            .query([{ text: `select pg_backend_pid() as pid, core.current_user_id() as user_id, current_user, current_setting('app.user_role') as role` }])
            .then(([rows]) => {
              const { pid, ...rest } = rows![0] as { pid: number };
              pids.add(pid);
              expect(rest).toEqual({ userId: user.id, currentUser: 'app_request', role: 'user' });
            }),
          // Fails after its setup, having changed app.user_id to another user's: rolled back.
          user.probe.sqlThenThrow
            .mutate([{ text: `select set_config('app.user_id', $1, true)`, values: [other.id] }])
            .then(
              () => expect.fail('sqlThenThrow succeeded'),
              (err: TRPCClientError<typeof probeRouter>) => expect(err.message).toBe('Internal server error'),
            ),
          // Fails in the database mid-transaction (a unique violation after the request's setup).
          clientCodeOf(createClient(appUrl).auth.register.mutate({ username: unique('dupe'), email: `${other.username}@example.com`, password: PASSWORD })).then((code) =>
            expect(code).toBe('CONFLICT'),
          ),
          // A query procedure that fails (another user's project is not found, RLS hides it).
          clientCodeOf(user.client.socrates.projects.get.query({ id: projects.get(other.id)! })).then((code) => expect(code).toBe('NOT_FOUND')),
        );
      });
    }
    const outcomes = await Promise.allSettled(checks);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason))).toEqual([]);
    // All those transactions, from the pool's ten client connections, shared PgBouncer's two server connections.
    expect(pool.totalCount).toBeGreaterThan(SERVER_CONNECTIONS);
    expect((await bouncer.serverPids()).length).toBe(SERVER_CONNECTIONS);
    expect(pids.size).toBeGreaterThanOrEqual(1);
    expect(pids.size).toBeLessThanOrEqual(SERVER_CONNECTIONS);
    // At least the two failing mutations of each user and round went through it as transactions.
    expect((await bouncer.transactions()) - before).toBeGreaterThanOrEqual(users.length * ROUNDS * 2);
    await expectEveryServerClean(bouncer);
  });

  it('after a request fails mid-transaction, the next client on its server connection finds it clean', async () => {
    const user = await signUp();
    // A procedure that sets more than the setup did and then throws.
    const err = await user.probe.sqlThenThrow
      .mutate([
        { text: `select set_config('app.user_id', $1, true), set_config('app.leak_check', 'left behind?', true)`, values: [randomUUID()] },
        { text: `set local statement_timeout = '1ms'` },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect((err as Error).message).toBe('Internal server error');
    // A statement that fails in the database, after the setup and a successful statement.
    expect(await clientCodeOf(user.probe.sql.mutate([{ text: 'select 1' }, { text: 'select 1 / 0' }]))).not.toBe('OK');
    await expectEveryServerClean(bouncer, ['app.leak_check']);
    // And the next request, anonymous, is nobody.
    const [[row]] = (await probeClient(probeUrl).sqlQuery.query([{ text: `select core.current_user_id() as user_id, current_user, nullif(current_setting('app.leak_check', true), '') as leak` }])) as [[Record<string, unknown>]];
    expect(row).toEqual({ userId: null, currentUser: 'app_request', leak: null });
  });

  it('PgBouncer drops pg\'s statement_timeout startup parameter: the owner\'s own setting in the database applies instead', async () => {
    const client = new pg.Client({ connectionString: bouncer.url, statement_timeout: 3000 });
    await client.connect();
    try {
      expect((await client.query('show statement_timeout')).rows[0].statement_timeout).toBe(ROLE_STATEMENT_TIMEOUT);
    } finally {
      await client.end();
    }
    // So a request through PgBouncer runs with a timeout, not none.
    const [[row]] = (await probeClient(probeUrl).sqlQuery.query([{ text: 'show statement_timeout' }])) as [[{ statementTimeout: string }]];
    expect(row.statementTimeout).not.toBe('0');
  });

  it('control: a request that set its role and settings at session level would leave them behind, and the probe would fail', async () => {
    // A PgBouncer of its own, one server connection, so the leak reaches no other test.
    const control = await startPgBouncer(binary!, { upstreamUrl: app.url, poolSize: 1 });
    const controlPool = createPool(control.url, { DB_POOL_SIZE: 2, DB_POOL_TIMEOUT_MS: 5000, DB_STATEMENT_TIMEOUT_MS: 10_000 }, app.services.log);
    const services: Services = { ...app.services, pool: controlPool, config: { ...app.services.config, DB_NAMED_STATEMENTS: false } };
    try {
      const user = await signUp();
      const probe = createCallerFactory(probeRouter)(createContext(services, { token: user.token }));
      const mark = (local: boolean) => [
        { text: `set ${local ? 'local ' : ''}role app_request` },
        { text: `select set_config('app.user_id', $1, ${local})`, values: [user.id] },
      ];
      // Transaction-local, as the request path does it: nothing stays.
      await probe.sql(mark(true));
      await expectEveryServerClean(control);
      // The same through the same request path at session level (and a named statement): it stays.
      await probe.sql([...mark(false), { text: 'prepare leaked as select 1' }]);
      await expect(expectEveryServerClean(control)).rejects.toThrow();
      const [dirty] = await probeServers(control);
      expect(leaksOf(dirty!, owner)).toEqual([
        `server connection ${dirty!.pid}: current_user is app_request, not ${owner}`,
        `server connection ${dirty!.pid}: role is set to app_request`,
        `server connection ${dirty!.pid}: app.user_id = ${user.id}`,
        `server connection ${dirty!.pid}: 1 prepared statements`,
      ]);
    } finally {
      await controlPool.end();
      await control.stop();
    }
  });
});
