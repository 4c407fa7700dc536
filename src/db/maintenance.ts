/**
 * Housekeeping, run by `npm start` at boot and twice a day, and by `npm run db:maintain`:
 * audit partitions for the coming months, retention of old ones, purge of ended rate-limit
 * windows. Runs as the owner (partition DDL is the owner's), outside any request.
 */
import type pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

const MONTHS_AHEAD = 4;

export interface MaintenanceResult {
  partitionsCreated: number;
  partitionsDropped: string[];
  rateLimitWindowsPurged: number;
}

export async function runMaintenance(
  pool: pg.Pool,
  config: Pick<Config, 'AUDIT_RETENTION_MONTHS'>,
  log?: Logger,
): Promise<MaintenanceResult> {
  const created = await pool.query<{ n: number }>(`select core.audit_log_create_partitions(now()::date, $1) as n`, [MONTHS_AHEAD]);
  const dropped =
    config.AUDIT_RETENTION_MONTHS > 0
      ? await pool.query<{ name: string }>(
          `select core.audit_log_drop_partitions(date_trunc('month', now()) - make_interval(months => $1)) as name`,
          [config.AUDIT_RETENTION_MONTHS],
        )
      : { rows: [] };
  // Windows are at most a day long; anything older is history.
  const purged = await pool.query<{ n: string }>(`select core.rate_limit_purge(now() - interval '1 day') as n`);
  const result = {
    partitionsCreated: created.rows[0]?.n ?? 0,
    partitionsDropped: dropped.rows.map((r) => r.name),
    rateLimitWindowsPurged: Number(purged.rows[0]?.n ?? 0),
  };
  log?.info(result, 'maintenance done');
  return result;
}
