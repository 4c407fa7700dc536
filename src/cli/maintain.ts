/**
 * `npm run db:maintain`: create the coming months' audit partitions (and those of any month
 * whose rows landed in the default partition meanwhile, moving them in: `auditRowsMoved`),
 * drop those past AUDIT_RETENTION_MONTHS (0 keeps all), purge ended rate-limit windows.
 * `npm start` also runs this at boot and twice a day.
 */
import { ConfigError, databaseSsl, loadConfig } from '../config.js';
import { openDatabase } from '../db/lifecycle.js';
import { runMaintenance } from '../db/maintenance.js';
import { createPool } from '../db/pool.js';
import { createLogger } from '../logger.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config);
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL });
  const pool = createPool(database.url, config, log, databaseSsl(config));
  try {
    const result = await runMaintenance(pool, config);
    console.log(JSON.stringify(result));
  } finally {
    await pool.end();
    await database.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
