/**
 * `npm run db:backup [-- --to <dir>]`: a consistent physical backup of the embedded server under
 * .data/ while it serves (src/db/backup.ts), into .data/backups/<timestamp>/ or <dir>. When the
 * server is not running, it is started for the backup and stopped again. With DATABASE_URL it
 * refuses: that server is backed up with pg_dump or the provider's snapshots.
 */
import { ConfigError, loadConfig } from '../config.js';
import { backupEmbedded, DATABASE_URL_BACKUPS, describeBackup } from '../db/backup.js';

const USAGE = 'usage: npm run db:backup [-- --to <dir>]';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const to = args[0] === '--to' ? args[1] : undefined;
  if (args.length && (args[0] !== '--to' || !to || args.length > 2)) {
    console.error(USAGE);
    process.exit(2);
  }
  const config = loadConfig();
  if (config.DATABASE_URL) {
    console.error(DATABASE_URL_BACKUPS);
    process.exit(2);
  }
  const backup = await backupEmbedded({ to, log: (message) => console.log(message) });
  console.log(describeBackup(backup));
  console.log(`restore it with: npm run db:restore -- ${backup.folder}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
