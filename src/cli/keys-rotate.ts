/**
 * `npm run keys:rotate`: re-encrypts every encrypted value (sensitive settings, ExportSathi's
 * business identifiers and finance payloads) under CONFIG_ENCRYPTION_KEY, reading the old ones
 * with CONFIG_ENCRYPTION_PREVIOUS_KEYS. The procedure (README, "Rotating the encryption key"):
 * start the servers with the new key and the old one among the previous keys, run this (again
 * after an interruption: it resumes), then drop the old key. Prints what it did as JSON; exits
 * 1 if a value could not be decrypted with any key given.
 */
import { loadConfigKey, previousKeys } from '../auth/encryption.js';
import { rotateKeys } from '../auth/key-rotation.js';
import { ConfigError, databaseSsl, loadConfig } from '../config.js';
import { openDatabase } from '../db/lifecycle.js';
import { createPool } from '../db/pool.js';
import { createLogger } from '../logger.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config);
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL });
  const pool = createPool(database.url, config, log, databaseSsl(config));
  try {
    const key = await loadConfigKey({ configured: config.CONFIG_ENCRYPTION_KEY, previous: config.CONFIG_ENCRYPTION_PREVIOUS_KEYS, embedded: database.embedded });
    const result = await rotateKeys(pool, key, previousKeys(), log);
    console.log(JSON.stringify(result));
    if (result.failed > 0) process.exitCode = 1;
  } finally {
    await pool.end();
    await database.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
