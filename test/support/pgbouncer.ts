/**
 * A private PgBouncer process in transaction pooling mode in front of one test database, and a
 * probe that looks at every server connection it holds. Never the system service: each test
 * file starts its own on a free port and stops it afterwards. scripts/install-pgbouncer.sh
 * installs the binary (CI runs it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * The binary: $PGBOUNCER when set (and then only it), else `pgbouncer` on PATH, else Debian's
 * /usr/sbin/pgbouncer; undefined when there is none.
 */
export function findPgBouncer(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const candidates = process.env.PGBOUNCER ? [process.env.PGBOUNCER] : [...dirs.map((dir) => path.join(dir, 'pgbouncer')), '/usr/sbin/pgbouncer'];
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export interface PgBouncerOptions {
  /** The owner's connection string to the database behind the pooler (user, password, host, port, database). */
  upstreamUrl: string;
  /** Server connections per user and database: small, so that many clients share them. */
  poolSize: number;
}

export interface PgBouncer {
  port: number;
  /** `upstreamUrl` with PgBouncer's address instead of the server's: same user, password and database. */
  url: string;
  /** PgBouncer's admin console (SHOW ...), as the same user. */
  admin<R extends pg.QueryResultRow>(command: string): Promise<R[]>;
  /** The backend pids of the server connections it holds to the database now. */
  serverPids(): Promise<number[]>;
  /** Transactions it has passed to the database so far. */
  transactions(): Promise<number>;
  stop(): Promise<void>;
}

/** A port nobody listens on right now (PgBouncer is started on it; a lost race is retried). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A value in PgBouncer's ini and auth file syntax: double quotes, doubled inside. */
const quoted = (value: string) => `"${value.replaceAll('"', '""')}"`;

export async function startPgBouncer(binary: string, options: PgBouncerOptions): Promise<PgBouncer> {
  const upstream = new URL(options.upstreamUrl);
  const user = decodeURIComponent(upstream.username);
  const password = decodeURIComponent(upstream.password);
  const database = decodeURIComponent(upstream.pathname.slice(1));
  // Written into the ini file bare: the test databases' names need no quoting (test/support/app.ts).
  if (!/^\w+$/.test(database)) throw new Error(`startPgBouncer: database name ${JSON.stringify(database)} is not a plain identifier`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pgbouncer-'));
  // Plain text in the auth file: PgBouncer checks the client's SCRAM proof with it and logs in
  // to the server with SCRAM itself.
  await writeFile(path.join(dir, 'userlist.txt'), `${quoted(user)} ${quoted(password)}\n`, { mode: 0o600 });
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const ini = [
      '[databases]',
      `${database} = host=${upstream.hostname} port=${upstream.port || 5432} dbname=${database}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      // TCP only: no socket file for the unprivileged user to write.
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      `admin_users = ${user}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize}`,
      'min_pool_size = 0',
      'reserve_pool_size = 0',
      'max_client_conn = 200',
      // pg sends these as startup parameters (src/db/pool.ts); PgBouncer refuses a client whose
      // startup carries a parameter it does not know, unless told to ignore it. Ignored means
      // dropped: the server never sees them (see "Behind PgBouncer" in README.md).
      'ignore_startup_parameters = extra_float_digits, statement_timeout, idle_in_transaction_session_timeout',
      // Each transaction's state must go with its transaction; nothing may reset it for us.
      'server_reset_query =',
      'server_reset_query_always = 0',
      'log_connections = 0',
      'log_disconnections = 0',
    ].join('\n');
    const iniFile = path.join(dir, 'pgbouncer.ini');
    await writeFile(iniFile, `${ini}\n`, { mode: 0o600 });
    // PgBouncer refuses to run as root; -u drops to another user once it has read its files.
    const args = process.getuid?.() === 0 ? ['-u', 'nobody', iniFile] : [iniFile];
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await listening(child, port);
      return handle(child, dir, port, upstream, user, password, database);
    } catch (err) {
      lastError = err as Error;
      child.kill('SIGKILL');
      if (!/address already in use/i.test(lastError.message)) break;
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError ?? new Error('PgBouncer did not start');
}

/** Resolves once PgBouncer accepts connections on the port; rejects with its output if it exits or takes too long. */
function listening(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    let settled = false;
    const onData = (chunk: Buffer) => void (output += chunk.toString());
    const onExit = (code: number | null) => done(new Error(`PgBouncer exited with ${code}:\n${output}`));
    const onError = (err: Error) => done(err);
    const deadline = Date.now() + 10_000;
    const poll = () => {
      if (settled) return;
      if (Date.now() > deadline) return done(new Error(`PgBouncer did not listen on port ${port} within 10 s:\n${output}`));
      const socket = net.connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        done();
      });
      socket.once('error', () => {
        socket.destroy();
        setTimeout(poll, 25);
      });
    };
    function done(err?: Error) {
      if (settled) return;
      settled = true;
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      if (err) reject(err);
      else resolve();
    }
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
    poll();
  });
}

function handle(child: ChildProcess, dir: string, port: number, upstream: URL, user: string, password: string, database: string): PgBouncer {
  // Its log is not read after start-up, but a full pipe would stall it.
  child.stdout!.resume();
  child.stderr!.resume();
  const url = new URL(upstream.href);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  const admin = async <R extends pg.QueryResultRow>(command: string): Promise<R[]> => {
    // The admin console speaks the simple query protocol only: a query without parameters.
    const client = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'pgbouncer' });
    await client.connect();
    try {
      return (await client.query<R>(command)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    port,
    url: url.href,
    admin,
    async serverPids() {
      // A server connection still logging in has no backend pid yet (0): wait for it.
      for (let attempt = 0; ; attempt++) {
        const rows = await admin<{ database: string; remote_pid: string }>('show servers');
        const pids = rows.filter((row) => row.database === database).map((row) => Number(row.remote_pid));
        if (!pids.includes(0) || attempt >= 100) return pids;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async transactions() {
      const rows = await admin<{ database: string; total_xact_count: string }>('show stats');
      return Number(rows.find((row) => row.database === database)?.total_xact_count ?? 0);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** What one server connection carries between transactions. */
export interface ServerState {
  pid: number;
  currentUser: string;
  sessionUser: string;
  /** `none` unless a session-level SET ROLE is in force. */
  role: string;
  /**
   * Every app.* setting that the database's functions and policies use (and the `extra` ones
   * asked for), with its value: '' or null unless a session-level value is in force (a
   * transaction-local one reads back as '' afterwards).
   */
  appSettings: Record<string, string | null>;
  preparedStatements: number;
  advisoryLocks: number;
}

// Custom settings are not listed by pg_settings or SHOW ALL (placeholders are hidden), so
// their names come from the catalog: every 'app.…' literal in a function's source or a policy.
const STATE_QUERY = String.raw`
  with names as (
    select m[1] as name
    from pg_catalog.pg_proc p
    cross join lateral regexp_matches(p.prosrc, '''(app\.[A-Za-z0-9_]+)''', 'g') m
    union
    select m[1]
    from pg_catalog.pg_policies p
    cross join lateral regexp_matches(concat_ws(' ', p.qual, p.with_check), '''(app\.[A-Za-z0-9_]+)''', 'g') m
    union
    select unnest($1::text[])
  )
  select pg_backend_pid() as pid, current_user as current_user, session_user as session_user,
         current_setting('role') as role,
         (select json_object_agg(name, current_setting(name, true) order by name) from names) as app_settings,
         (select count(*)::int from pg_catalog.pg_prepared_statements) as prepared_statements,
         (select count(*)::int from pg_catalog.pg_locks
           where locktype = 'advisory' and pid = pg_backend_pid()) as advisory_locks`;

/**
 * The state of EVERY server connection PgBouncer holds to the database, seen from fresh client
 * connections outside any request: as many clients as it has server connections each open a
 * transaction at once, so each holds a different one while it looks. `extra`: app.* settings
 * to look at besides those the catalog names.
 */
export async function probeServers(bouncer: PgBouncer, extra: string[] = []): Promise<ServerState[]> {
  const count = (await bouncer.serverPids()).length;
  const clients = Array.from({ length: count }, () => new pg.Client({ connectionString: bouncer.url }));
  try {
    await Promise.all(clients.map((client) => client.connect()));
    await Promise.all(clients.map((client) => client.query('begin')));
    const states = await Promise.all(
      clients.map(async (client) => {
        const { rows } = await client.query(STATE_QUERY, [extra]);
        const row = rows[0];
        return {
          pid: row.pid,
          currentUser: row.current_user,
          sessionUser: row.session_user,
          role: row.role,
          appSettings: row.app_settings,
          preparedStatements: row.prepared_statements,
          advisoryLocks: row.advisory_locks,
        } satisfies ServerState;
      }),
    );
    await Promise.all(clients.map((client) => client.query('rollback')));
    return states;
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => {})));
  }
}

/** What a server connection would carry into another client's transaction; [] when clean. */
export function leaksOf(state: ServerState, owner: string): string[] {
  const found: string[] = [];
  if (state.currentUser !== owner) found.push(`current_user is ${state.currentUser}, not ${owner}`);
  if (state.sessionUser !== owner) found.push(`session_user is ${state.sessionUser}, not ${owner}`);
  if (state.role !== 'none') found.push(`role is set to ${state.role}`);
  for (const [name, value] of Object.entries(state.appSettings)) if (value) found.push(`${name} = ${value}`);
  if (state.preparedStatements > 0) found.push(`${state.preparedStatements} prepared statements`);
  if (state.advisoryLocks > 0) found.push(`${state.advisoryLocks} advisory locks held`);
  return found.map((leak) => `server connection ${state.pid}: ${leak}`);
}
