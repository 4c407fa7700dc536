/**
 * What a query procedure's statements cost the server, with Node out of the picture: pgbench's
 * C client (extended protocol, prepared statements, 4 clients) runs
 *  - the bare point select as the user (a session already in app_request with app.user_id set),
 *  - [settings and role, point select] in one pipeline: one implicit transaction, as the
 *    Envelope sends it, but with the settings given instead of looked up,
 *  - [StartRequest, point select] in one pipeline: exactly what a query procedure sends (the
 *    token looked up in core.live_sessions, its session and role compared with the guess).
 * The ratios are the server-side ceiling of the request path: no client, however fast, gets
 * `auth.me` past the third row's ratio on this server. Needs pgbench (PostgreSQL 14 or later,
 * for \startpipeline; Debian: postgresql-client); skipped when there is none.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { hashToken } from '../src/auth/tokens.js';
import type { Services } from '../src/server/context.js';
import { START_REQUEST, START_REQUEST_PARAMS } from '../src/server/trpc.js';
import type { IStartRequestParams } from '../sql/core/request.queries.js';
import { interleavedMedians, type BenchDatabase, type Result } from './measure.js';
import { POINT_SELECT, newUser } from './support.js';

const SECONDS = 5;
const ROUNDS = 3;

/** pgbench on PATH, else the newest one Debian installs under /usr/lib/postgresql. */
function findPgbench(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'pgbench'))) return path.join(dir, 'pgbench');
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root).filter((v) => /^\d+$/.test(v) && Number(v) >= 14).sort((a, b) => Number(b) - Number(a));
  return majors.map((v) => path.join(root, v, 'bin', 'pgbench')).find((p) => existsSync(p));
}

/** A statement as a pgbench command: comments dropped (one of them holds a ';'), $n as :pn. */
function pgbenchCommand(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join(' ')
    .replace(/\$(\d+)/g, ':p$1')
    .replace(/\s+/g, ' ')
    .trim();
}

export async function benchSetupCost(db: BenchDatabase, services: Services): Promise<Result[]> {
  const pgbench = findPgbench();
  if (!pgbench) {
    console.log('\nsetup-cost: skipped, no pgbench (PostgreSQL 14 or later) on PATH or under /usr/lib/postgresql');
    return [];
  }
  const { id: userId, token } = await newUser(services);
  const tokenHash = hashToken(token);

  // The session the server would guess for this token (what it passes once it has seen it).
  const params: IStartRequestParams = { tokenHash, clientIp: '127.0.0.1', userAgent: 'bench', requestId: 'bench', readOnly: true, expectedSessionId: null, expectedRole: null };
  const client = new pg.Client({ connectionString: db.ownerUrl });
  await client.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query(START_REQUEST.query, START_REQUEST_PARAMS.map((name) => params[name]));
    await client.query('rollback');
    params.expectedSessionId = rows[0].session_id;
    params.expectedRole = rows[0].user_role;
    if (!params.expectedSessionId) throw new Error('setup-cost: the bench token has no live session');
  } finally {
    await client.end();
  }

  // Every script reads :uid (the user); StartRequest's own parameters are :p1, :p2, ...
  const pointSelect = pgbenchCommand(POINT_SELECT).replace(':p1', ':uid::uuid');
  const settings =
    "select num_nonnulls(set_config('app.user_id', :uid, true), set_config('app.user_role', 'user', true), set_config('app.session_id', :p1, true), " +
    "set_config('app.client_ip', '127.0.0.1', true), set_config('app.user_agent', 'bench', true), set_config('app.request_id', 'bench', true), " +
    "set_config('transaction_read_only', 'on', true), set_config('role', 'app_request', true))";
  const pipeline = (first: string) => `\\startpipeline\n${first};\n${pointSelect};\n\\endpipeline\n`;

  const scratch = await mkdtemp(path.join(os.tmpdir(), 'setup-cost-'));
  const scripts: Array<{ name: string; file: string; body: string; env?: Record<string, string>; vars: unknown[] }> = [
    {
      name: 'point select as the user (session in app_request, app.user_id set)',
      file: 'point.sql',
      body: `${pointSelect};\n`,
      env: { PGOPTIONS: `-c role=app_request -c app.user_id=${userId}` },
      vars: [],
    },
    {
      name: '[settings and role given, point select] in one pipeline',
      file: 'settings.sql',
      body: pipeline(settings),
      vars: [params.expectedSessionId],
    },
    {
      name: '[StartRequest, point select] in one pipeline: a query procedure',
      file: 'start-request.sql',
      body: pipeline(pgbenchCommand(START_REQUEST.query)),
      vars: START_REQUEST_PARAMS.map((name) => (name === 'tokenHash' ? `\\x${tokenHash.toString('hex')}` : params[name])),
    },
  ];
  try {
    for (const s of scripts) await writeFile(path.join(scratch, s.file), s.body);
    const run = async (s: (typeof scripts)[number], seconds: number): Promise<number> => {
      const defines = ['-D', `uid=${userId}`, ...s.vars.flatMap((v, i) => ['-D', `p${i + 1}=${String(v)}`])];
      const { stdout } = await promisify(execFile)(
        pgbench,
        ['-n', '-M', 'prepared', '-c', '4', '-j', '2', '-T', String(seconds), ...defines, '-f', path.join(scratch, s.file), db.ownerUrl],
        { env: { ...process.env, ...s.env }, maxBuffer: 1 << 20 },
      );
      const failed = /number of failed transactions: (\d+)/.exec(stdout);
      if (failed && failed[1] !== '0') throw new Error(`setup-cost: ${s.file} had failed transactions:\n${stdout}`);
      const tps = /^tps = ([\d.]+)/m.exec(stdout);
      if (!tps) throw new Error(`setup-cost: no tps in pgbench output:\n${stdout}`);
      return Number(tps[1]);
    };
    for (const s of scripts) await run(s, 1);
    const medians = await interleavedMedians(scripts.length, ROUNDS, (i) => run(scripts[i]!, SECONDS));
    return scripts.map((s, i) => ({ name: s.name, value: medians[i]!, unit: 'tps', baseline: medians[0]! }));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
