/**
 * `npm run db:seed`: migrate, then create the seed data of every application (the test user
 * testuser / test@example.com / Test@1234 and their workspaces). Idempotent.
 *
 * `npm run db:seed -- --scale N [--seed-value V] [--sessions] [--jobs J]`: instead, N users with
 * realistic data in every application (src/seed/scale.ts), a new batch of distinct users on each
 * run; progress and rate on stderr, the per-table counts as JSON on stdout.
 */
import { parseArgs } from 'node:util';
import { loadConfigKey } from '../auth/encryption.js';
import { databaseSsl, loadConfig } from '../config.js';
import { openDatabase } from '../db/lifecycle.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { createLogger } from '../logger.js';
import { seedAll } from '../seed/index.js';
import { seedScale } from '../seed/scale.js';

const USAGE = 'usage: npm run db:seed [-- --scale <users 1-1000000> [--seed-value <text>] [--sessions] [--jobs <1-16>]]';

interface ScaleArgs {
  users: number;
  seedValue: string;
  sessions: boolean;
  jobs: number;
}

/** The command line, or a message saying what is wrong with it. */
function parseCommandLine(argv: string[]): { scale: ScaleArgs | undefined } | { error: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        scale: { type: 'string' },
        'seed-value': { type: 'string' },
        sessions: { type: 'boolean' },
        jobs: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  if (values.scale === undefined) {
    const extra = ['seed-value', 'sessions', 'jobs'].find((name) => values[name as keyof typeof values] !== undefined);
    return extra ? { error: `--${extra} goes with --scale` } : { scale: undefined };
  }
  const integer = (name: string, text: string, min: number, max: number): number | string => {
    const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
    return Number.isSafeInteger(n) && n >= min && n <= max ? n : `--${name} must be a whole number from ${min} to ${max}, not "${text}"`;
  };
  const users = integer('scale', values.scale, 1, 1_000_000);
  if (typeof users === 'string') return { error: users };
  const jobs = integer('jobs', values.jobs ?? '2', 1, 16);
  if (typeof jobs === 'string') return { error: jobs };
  const seedValue = values['seed-value'] ?? '1';
  if (seedValue.length === 0 || seedValue.length > 200) return { error: '--seed-value must be 1-200 characters' };
  return { scale: { users, jobs, seedValue, sessions: values.sessions ?? false } };
}

async function main(): Promise<void> {
  const args = parseCommandLine(process.argv.slice(2));
  if ('error' in args) {
    console.error(`${args.error}\n${USAGE}`);
    process.exit(2);
  }
  const config = loadConfig();
  const log = createLogger({ LOG_LEVEL: 'warn' });
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL });
  const ssl = databaseSsl(config);
  const scale = args.scale;
  // The scale seed opens connections of its own (pipelined); the procedures' seed uses the pool.
  const pool = scale ? undefined : createPool(database.url, config, log, ssl);
  try {
    await migrate(database.url, { direction: 'up', ssl });
    const configKey = await loadConfigKey({ configured: config.CONFIG_ENCRYPTION_KEY, previous: config.CONFIG_ENCRYPTION_PREVIOUS_KEYS, embedded: database.embedded });
    const report = pool
      ? await seedAll({ pool, log, configKey, config })
      : await seedScale(
          { url: database.url, ...(ssl ? { ssl } : {}), log, configKey, sessionTtlHours: config.AUTH_SESSION_TTL_HOURS },
          { ...scale!, progress: process.stderr },
        );
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await pool?.end();
    await database.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
