import pg from 'pg';
import type { Config, DatabaseSsl } from '../config.js';
import type { Logger } from '../logger.js';

// `date` columns stay 'YYYY-MM-DD' strings: pg's default turns them into a Date at local
// midnight, which shifts the day across time zones. pgtyped.config.json types them as string.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

export type PoolConfig = Pick<Config, 'DB_POOL_SIZE' | 'DB_POOL_TIMEOUT_MS' | 'DB_STATEMENT_TIMEOUT_MS'>;

/** `ssl`: TLS for DATABASE_URL's server (databaseSsl() in src/config.ts); undefined for the embedded one. */
export function createPool(connectionString: string, config: PoolConfig, log: Logger, ssl?: DatabaseSsl): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    ...(ssl ? { ssl } : {}),
    max: config.DB_POOL_SIZE,
    // pg waits forever for a free connection by default; a full pool must fail fast (503).
    connectionTimeoutMillis: config.DB_POOL_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    statement_timeout: config.DB_STATEMENT_TIMEOUT_MS || undefined,
    // A transaction left open by a crashed request must not hold locks for long.
    idle_in_transaction_session_timeout: Math.max(config.DB_STATEMENT_TIMEOUT_MS, 10_000) * 2,
    application_name: 'pg-trpc-persistence',
    // No `pipeline: true`: a procedure's statements already leave together, in one write, as
    // one transaction (src/db/envelope.ts), which pg allows only outside its pipeline mode.
  });
  // Covers idle clients only; checked-out clients get their own handler (see transaction.ts).
  pool.on('error', (err: Error & { code?: string }) =>
    log.warn({ message: err.message, code: err.code }, 'idle database connection failed'),
  );
  return pool;
}

/** A checked-out client, guarded from checkout to release. */
export interface Lease {
  client: pg.PoolClient;
  /** Set when the connection failed while checked out. */
  readonly broken: Error | undefined;
  /** Back to the pool; a broken connection (or one that failed with `err`) is discarded instead. */
  release(err?: Error): void;
}

/**
 * Checks out a client. A checked-out client whose socket dies emits 'error' on the client,
 * which crashes the process unless someone listens: the lease listens until release.
 */
export async function lease(pool: pg.Pool, log: Logger): Promise<Lease> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken = err;
    log.warn({ message: err.message }, 'database connection failed while in use');
  };
  client.on('error', onError);
  return {
    client,
    get broken() {
      return broken;
    },
    release(err?: Error) {
      client.off('error', onError);
      client.release(broken ?? err);
    },
  };
}
