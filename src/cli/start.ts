/**
 * `npm start`: open the database (embedded unless DATABASE_URL is set), migrate up, serve.
 * SIGINT/SIGTERM drain in-flight requests, then close the pool, then stop the embedded server.
 */
import { ConfigError, databaseSsl, loadConfig } from '../config.js';
import { openDatabase } from '../db/lifecycle.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { createReplicaSet } from '../db/replicas.js';
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
  // Set once serving; until then a failure simply ends start-up with exit code 1.
  let shutdown: ((reason: string, exitCode: number) => Promise<void>) | undefined;
  const database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    log: (m) => log.debug({ postgres: m }),
    onUnexpectedExit: (code, signal) => {
      log.fatal({ code, signal }, 'the embedded PostgreSQL stopped unexpectedly');
      if (shutdown) void shutdown('postgres exited', 1);
      else process.exitCode = 1;
    },
  });
  log.info({ embedded: !config.DATABASE_URL }, 'database open');
  // Read once (DATABASE_SSL_CA_FILE) for the migration runner and the pool alike.
  const ssl = databaseSsl(config);
  const ran = await migrate(database.url, { direction: 'up', ssl });
  if (ran.length) log.info({ migrations: ran }, 'migrated');
  const configKey = await loadConfigKey({ configured: config.CONFIG_ENCRYPTION_KEY, previous: config.CONFIG_ENCRYPTION_PREVIOUS_KEYS, embedded: database.embedded });
  const pool = createPool(database.url, config, log, ssl);
  await runMaintenance(pool, config, log);
  // Audit partitions are created months ahead; twice a day is plenty.
  const maintenance = setInterval(() => void runMaintenance(pool, config, log).catch((err) => log.error({ err }, 'maintenance failed')), 12 * 3_600_000);
  maintenance.unref();
  // A pool per read replica; query procedures go to one that has replayed the caller's writes.
  const replicaSet = config.DATABASE_REPLICA_URLS.length
    ? createReplicaSet(config.DATABASE_REPLICA_URLS, config, log, ssl, { primaryUrl: database.url, maxLagMs: config.REPLICA_MAX_LAG_MS })
    : undefined;
  if (replicaSet) {
    await replicaSet.refresh();
    log.info({ replicas: replicaSet.status().replicas.map(({ name, state, reason }) => ({ name, state, reason })) }, 'read replicas');
  }
  const server = await createHttpServer({ pool, config, log, configKey, trustedProxies: config.TRUSTED_PROXIES, replicaSet });
  const url = await listen(server, config.PORT, config.HOST);
  log.info({ url: `${url}/trpc` }, 'serving');

  // The exit code says why the server stopped: 0 after a requested stop (SIGINT/SIGTERM) that
  // drained cleanly, 1 when the database went away or the shutdown itself failed.
  let stopping = false;
  shutdown = async (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, 'shutting down');
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Requests still running after 5 s are cut off.
    const force = setTimeout(() => server.closeAllConnections(), 5_000);
    try {
      await drained;
      clearTimeout(force);
      clearInterval(maintenance);
      await replicaSet?.close();
      await pool.end();
      await database.stop();
      log.info({ exitCode }, 'stopped');
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      exitCode = 1;
    }
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void shutdown?.('SIGINT', 0));
  process.on('SIGTERM', () => void shutdown?.('SIGTERM', 0));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
