/**
 * `npm run db:migrate -- up [N] | down [N] | redo [N]`: runs migrations against DATABASE_URL,
 * or against the embedded database under .data/ (reusing it if `npm start` is running).
 * up: all pending (or the next N); down: the last one (or N); redo: down N then up N.
 * --backup: first a backup of the embedded server, as `npm run db:backup` takes (src/db/backup.ts).
 */
import { ConfigError, databaseSsl, loadConfig } from '../config.js';
import { backupEmbedded, DATABASE_URL_BACKUPS, describeBackup } from '../db/backup.js';
import { openDatabase } from '../db/lifecycle.js';
import { migrate } from '../db/migrate.js';

const USAGE = 'usage: npm run db:migrate -- up [N] | down [N] | redo [N] [--backup]';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const backup = args.includes('--backup');
  const [command = 'up', countArg] = args.filter((arg) => arg !== '--backup');
  const count = countArg === undefined ? undefined : Number(countArg);
  if (!['up', 'down', 'redo'].includes(command) || (count !== undefined && (!Number.isInteger(count) || count < 1))) {
    console.error(USAGE);
    process.exit(2);
  }
  const config = loadConfig();
  if (backup && config.DATABASE_URL) {
    console.error(DATABASE_URL_BACKUPS);
    process.exit(2);
  }
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL });
  try {
    if (backup) console.log(describeBackup(await backupEmbedded()));
    const log = (message: string) => console.log(message);
    const ssl = databaseSsl(config);
    if (command === 'redo') {
      await migrate(database.url, { direction: 'down', count: count ?? 1, log, ssl });
      await migrate(database.url, { direction: 'up', count: count ?? 1, log, ssl });
    } else {
      const ran = await migrate(database.url, { direction: command as 'up' | 'down', ...(count ? { count } : {}), log, ssl });
      if (!ran.length) console.log(command === 'up' ? 'No migrations to run: the database is up to date.' : 'No migrations to revert.');
    }
  } finally {
    await database.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
