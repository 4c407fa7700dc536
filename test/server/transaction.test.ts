import { TRPCError } from '@trpc/server';
import { describe, expect, inject, it } from 'vitest';
import { createPool } from '../../src/db/pool.js';
import { createContext } from '../../src/server/context.js';
import { createCallerFactory } from '../../src/server/trpc.js';
import { unique, useTestApp } from '../support/app.js';
import { codeOf } from '../support/errors.js';
import { probeRouter, rowsAs } from '../support/probe.js';

const app = useTestApp();
const owner = inject('testServer').owner;

describe('the procedure transaction wrapper', () => {
  it('runs the procedure as the request role, never as the owner it connected as', async () => {
    const probe = app.probe();
    const [row] = await rowsAs<{ currentUser: string; sessionUser: string }>(
      probe,
      `select current_user, session_user`,
    );
    expect(row).toMatchObject({ currentUser: 'app_request', sessionUser: owner });
  });

  it('sets the transaction-local request settings: user id and role from the token, ip, user agent, request id', async () => {
    const user = await app.newUser();
    const probe = app.probe({
      token: user.token,
      clientIp: '203.0.113.7',
      userAgent: 'vitest/1.0',
      requestId: 'req-123',
    });
    const [row] = await rowsAs(
      probe,
      `select core.current_user_id() as user_id, core.current_user_role() as role,
              current_setting('app.client_ip') as ip, current_setting('app.user_agent') as ua,
              current_setting('app.request_id') as request_id`,
    );
    expect(row).toEqual({ userId: user.id, role: 'user', ip: '203.0.113.7', ua: 'vitest/1.0', requestId: 'req-123' });
    expect(await probe.whoami()).toMatchObject({ id: user.id, role: 'user' });
  });

  it('authedProcedure needs a live session; adminProcedure an admin', async () => {
    const user = await app.newUser();
    const admin = await app.newAdmin();
    expect(await codeOf(app.probe().signedIn())).toBe('UNAUTHORIZED');
    expect(await app.probe({ token: user.token }).signedIn()).toBe(user.id);
    expect(await codeOf(app.probe().adminOnly())).toBe('UNAUTHORIZED');
    expect(await codeOf(app.probe({ token: user.token }).adminOnly())).toBe('FORBIDDEN');
    expect(await app.probe({ token: admin.token }).adminOnly()).toBe(admin.id);
  });

  it('refuses mutations the same way, before they run, and re-verifies a refusal made from an out-of-date session', async () => {
    const user = await app.newUser();
    const admin = await app.newAdmin();
    const bio = async (id: string) => (await app.sql('select bio from core.users where id = $1', [id])).rows[0]?.bio as string | null;
    expect(await codeOf(app.probe().signedInWrite())).toBe('UNAUTHORIZED');
    expect(await codeOf(app.probe().adminWrite())).toBe('UNAUTHORIZED');
    expect(await codeOf(app.probe({ token: user.token }).adminWrite())).toBe('FORBIDDEN');
    expect(await bio(user.id)).toBeNull();
    expect(await app.probe({ token: user.token }).signedInWrite()).toBe(user.id);
    expect(await bio(user.id)).toBe('signedInWrite');
    expect(await app.probe({ token: admin.token }).adminWrite()).toBe(admin.id);
    expect(await bio(admin.id)).toBe('adminWrite');
    // The server remembers the user as a plain user; promoted since, the call is redone and runs.
    await app.sqlAsAdmin(`update core.users set role = 'admin' where id = $1`, [user.id]);
    expect(await app.probe({ token: user.token }).adminWrite()).toBe(user.id);
    expect(await bio(user.id)).toBe('adminWrite');
    await app.sqlAsAdmin(`update core.users set role = 'user', bio = null where id = $1`, [user.id]);
    expect(await codeOf(app.probe({ token: user.token }).adminWrite())).toBe('FORBIDDEN');
    expect(await bio(user.id)).toBeNull();
  });

  it('runs a request whose token matches no session as app_request with no user, in queries and mutations alike', async () => {
    const unknown = app.probe({ token: 'a-token-nobody-was-given' });
    const who = `select current_user, core.current_user_id() as user_id`;
    expect(await rowsAs(unknown, who)).toEqual([{ currentUser: 'app_request', userId: null }]);
    const [rows] = (await unknown.sqlQuery([{ text: who }])) as [Array<Record<string, unknown>>];
    expect(rows).toEqual([{ currentUser: 'app_request', userId: null }]);
  });

  it('leaves nothing behind for the next transaction on the same connection', async () => {
    const user = await app.newUser();
    // One connection, so the second request must reuse the first one's.
    const pool = createPool(app.url, { DB_POOL_SIZE: 1, DB_POOL_TIMEOUT_MS: 5000, DB_STATEMENT_TIMEOUT_MS: 10_000 }, app.services.log);
    try {
      const services = { ...app.services, pool };
      const call = (token?: string) => createCallerFactory(probeRouter)(createContext(services, { token }));
      const query = `select pg_backend_pid() as pid, core.current_user_id() as user_id, current_user`;
      const [first] = await rowsAs<{ pid: number; userId: string | null }>(call(user.token), query);
      const [second] = await rowsAs<{ pid: number; userId: string | null; currentUser: string }>(call(), query);
      expect(second!.pid).toBe(first!.pid);
      expect(first!.userId).toBe(user.id);
      expect(second).toMatchObject({ userId: null, currentUser: 'app_request' });
      const [afterwards] = (await pool.query(`select current_user, current_setting('app.user_id', true) as user_id`)).rows;
      expect(afterwards).toEqual({ current_user: owner, user_id: '' });
    } finally {
      await pool.end();
    }
  });

  it('rolls back everything the procedure wrote when it throws', async () => {
    const username = unique('rolled');
    const probe = app.probe();
    const id = '01900000-0000-7000-8000-000000000001';
    const err = await probe
      .sqlThenThrow([
        { text: `select core.act_as($1, 'user')`, values: [id] },
        {
          text: `insert into core.users (id, username, email, password_hash) values ($1, $2, $3, '$argon2id$x')`,
          values: [id, username, `${username}@example.com`],
        },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCError);
    expect((err as TRPCError).code).toBe('INTERNAL_SERVER_ERROR');
    expect((err as TRPCError).message).toBe('Internal server error');
    const { rowCount } = await app.sql('select 1 from core.users where username = $1', [username]);
    expect(rowCount).toBe(0);
  });

  it('rolls back earlier statements when a later one fails in the database', async () => {
    const user = await app.newUser();
    const probe = app.probe({ token: user.token });
    const code = await codeOf(
      probe.sql([
        { text: `update core.users set bio = 'changed' where id = $1`, values: [user.id] },
        { text: `update core.users set avatar_url = 'ftp://nope' where id = $1`, values: [user.id] },
      ]),
    );
    expect(code).toBe('BAD_REQUEST');
    const { rows } = await app.sql('select bio from core.users where id = $1', [user.id]);
    expect(rows[0]).toEqual({ bio: null });
  });

  it('returns every connection to the pool, after successes and failures alike', async () => {
    const probe = app.probe();
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        i % 3 === 0
          ? probe.sqlThenThrow([]).catch(() => undefined)
          : i % 3 === 1
            ? probe.sql([{ text: 'select 1' }])
            : probe.sqlQuery([{ text: 'select 1' }]),
      ),
    );
    // Query procedures hand their connection back when their COMMIT returns, just after answering.
    await expect.poll(() => app.pool.idleCount === app.pool.totalCount && app.pool.waitingCount === 0).toBe(true);
  });

  it('runs query procedures READ ONLY, so a query cannot write by accident', async () => {
    const user = await app.newUser();
    const [[row]] = (await app.probe({ token: user.token }).sqlQuery([{ text: `select current_setting('transaction_read_only') as ro` }])) as [[{ ro: string }]];
    expect(row.ro).toBe('on');
    const write = app.probe({ token: user.token }).sqlQuery([{ text: `update core.users set bio = 'x' where id = $1`, values: [user.id] }]);
    expect(await codeOf(write)).toBe('INTERNAL_SERVER_ERROR');
    expect((await app.sql('select bio from core.users where id = $1', [user.id])).rows[0]).toEqual({ bio: null });
    const [[mutation]] = (await app.probe({ token: user.token }).sql([{ text: `select current_setting('transaction_read_only') as ro` }])) as [[{ ro: string }]];
    expect(mutation.ro).toBe('off');
  });

  it('re-verifies a token the database already knows on every request, even when the first query rides with the setup', async () => {
    const user = await app.newUser();
    const probe = () => app.probe({ token: user.token });
    const who = `select core.current_user_id() as id, core.current_user_role() as role`;
    // The first use waits for the setup; the next ones send their query right behind it.
    expect(await rowsAs(probe(), who)).toEqual([{ id: user.id, role: 'user' }]);
    expect(await rowsAs(probe(), who)).toEqual([{ id: user.id, role: 'user' }]);
    // A role change is seen at once: the remembered role no longer matches, the request is redone.
    await app.sqlAsAdmin(`update core.users set role = 'admin' where id = $1`, [user.id]);
    expect(await rowsAs(probe(), who)).toEqual([{ id: user.id, role: 'admin' }]);
    expect(await probe().adminOnly()).toBe(user.id);
    await app.sqlAsAdmin(`update core.users set role = 'user' where id = $1`, [user.id]);
    expect(await codeOf(probe().adminOnly())).toBe('FORBIDDEN');
    // Revocation too: the request runs as anonymous, and anything needing a session is refused.
    await app.sql(`update core.auth_sessions set revoked_at = now() where user_id = $1`, [user.id]);
    expect(await rowsAs(probe(), who)).toEqual([{ id: null, role: null }]);
    expect(await codeOf(probe().signedIn())).toBe('UNAUTHORIZED');
  });

  it('discards a connection that dies mid-request, answers 503, and keeps serving', async () => {
    const probe = app.probe();
    const running = probe
      .sql([{ text: 'select pg_sleep(0.5)' }, { text: 'select 1' }])
      .then(() => 'ok', (e: unknown) => (e instanceof TRPCError ? e.code : String(e)));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const { rows } = await app.sql<{ pid: number }>(
      `select pid from pg_stat_activity where datname = current_database() and usename = $1 and query like '%pg_sleep(0.5)%'`,
      [owner],
    );
    expect(rows).toHaveLength(1);
    // The superuser kills the backend serving the request while it sleeps.
    await app.sql('select pg_terminate_backend($1)', [rows[0]!.pid]);
    expect(await running).toBe('SERVICE_UNAVAILABLE');
    // The pool dropped the dead connection and still serves.
    expect(await rowsAs(probe, 'select 1 as ok')).toEqual([{ ok: 1 }]);
  });

  it('runs the query procedures that start together (a batch) in one read-only transaction; calls made one after another each in their own', async () => {
    const probe = app.probe();
    const text = `select pg_backend_pid() as pid, now()::text as started, current_setting('transaction_read_only') as ro`;
    const together = await Promise.all([0, 1, 2].map(() => rowsAs<{ pid: number; started: string; ro: string }>({ sql: probe.sqlQuery }, text)));
    expect(new Set(together.map(([r]) => `${r!.pid} ${r!.started}`)).size).toBe(1);
    expect(together.map(([r]) => r!.ro)).toEqual(['on', 'on', 'on']);
    const [first] = await rowsAs<{ started: string }>({ sql: probe.sqlQuery }, text);
    const [second] = await rowsAs<{ started: string }>({ sql: probe.sqlQuery }, text);
    expect(first!.started).not.toBe(second!.started);
  });

  it('fails only the call whose statement failed in a shared read transaction; the others run again alone and answer', async () => {
    const probe = app.probe();
    const outcomes = await Promise.allSettled([
      probe.sqlQuery([{ text: 'select 1 as one' }, { text: 'select 2 as two' }]),
      probe.sqlQuery([{ text: 'select 1 / 0 as boom' }]),
      probe.sqlQuery([{ text: 'select 3 as three' }]),
    ]);
    expect(outcomes[0]).toMatchObject({ status: 'fulfilled', value: [[{ one: 1 }], [{ two: 2 }]] });
    expect(outcomes[1]).toMatchObject({ status: 'rejected' });
    expect(outcomes[2]).toMatchObject({ status: 'fulfilled', value: [[{ three: 3 }]] });
  });

  it('never shares a mutation\'s transaction, even with mutations that start together', async () => {
    const probe = app.probe();
    const ids = await Promise.all([0, 1, 2].map(() => rowsAs<{ x: string }>(probe, 'select txid_current()::text as x')));
    expect(new Set(ids.map(([r]) => r!.x)).size).toBe(3);
  });
});
