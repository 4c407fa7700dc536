/**
 * `npm run db:restore -- <backup folder>`: puts a db:backup folder back as the embedded server
 * under .data/ (src/db/backup.ts). Refuses while a server runs on it; the current data is renamed
 * into .data/before-restore-<timestamp>/, never deleted. With DATABASE_URL it refuses: that
 * server is restored with pg_restore or the provider's tools.
 */
import { ConfigError, loadConfig } from '../config.js';
import { DATABASE_URL_BACKUPS, restoreEmbedded } from '../db/backup.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length !== 1 || args[0]!.startsWith('-')) {
    console.error('usage: npm run db:restore -- <backup folder> (for example .data/backups/<timestamp>)');
    process.exit(2);
  }
  const config = loadConfig();
  if (config.DATABASE_URL) {
    console.error(DATABASE_URL_BACKUPS);
    process.exit(2);
  }
  const restore = await restoreEmbedded({ from: args[0]!, log: (message) => console.log(message) });
  console.log(
    `restored ${restore.from} into ${restore.clusterDir} (PostgreSQL ${restore.serverVersion}, databases ${restore.databases.join(', ')}) in ${restore.ms} ms; ` +
      (restore.keptAside ? `the data from before is in ${restore.keptAside}` : 'there was no data before'),
  );
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
