/**
 * `npm run db:seed`: migrate, then create the seed data of every application (the test user
 * testuser / test@example.com / Test@1234 and their workspaces). Idempotent.
 */
import { loadConfigKey } from '../auth/encryption.js';
import { databaseSsl, loadConfig } from '../config.js';
import { openDatabase } from '../db/lifecycle.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { createLogger } from '../logger.js';
import { seedAll } from '../seed/index.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ LOG_LEVEL: 'warn' });
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL });
  const ssl = databaseSsl(config);
  const pool = createPool(database.url, config, log, ssl);
  try {
    await migrate(database.url, { direction: 'up', ssl });
    const configKey = await loadConfigKey({ configured: config.CONFIG_ENCRYPTION_KEY, previous: config.CONFIG_ENCRYPTION_PREVIOUS_KEYS, embedded: database.embedded });
    const report = await seedAll({ pool, log, configKey, config });
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await pool.end();
    await database.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
