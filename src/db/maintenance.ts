/**
 * Housekeeping, run by `npm start` at boot and twice a day, and by `npm run db:maintain`:
 * audit partitions for the coming months (and for any month whose rows landed in the default
 * partition while maintenance lapsed), retention of old ones, purge of ended rate-limit
 * windows and of ExportSathi reports soft-deleted more than 30 days ago. Runs as the owner (partition DDL is the owner's), outside any request.
 */
import type pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

const MONTHS_AHEAD = 4;

export interface MaintenanceResult {
  partitionsCreated: number;
  /** Rows found in the default audit partition (maintenance had lapsed) and moved into their month. */
  auditRowsMoved: number;
  partitionsDropped: string[];
  rateLimitWindowsPurged: number;
  /** ExportSathi reports soft-deleted more than REPORT_RESTORE_DAYS ago, deleted with their rows. */
  reportsPurged: number;
}

/** How long an ExportSathi owner may restore a deleted report (the restore query says the same). */
export const REPORT_RESTORE_DAYS = 30;

export async function runMaintenance(
  pool: pg.Pool,
  config: Pick<Config, 'AUDIT_RETENTION_MONTHS'>,
  log?: Logger,
): Promise<MaintenanceResult> {
  // Months are UTC months, whatever the session's TimeZone: "this month" is read in UTC too.
  const created = await pool.query<{ partition_name: string; rows_moved: string }>(
    `select partition_name, rows_moved from core.audit_log_create_partitions((now() at time zone 'UTC')::date, $1)`,
    [MONTHS_AHEAD],
  );
  const dropped =
    config.AUDIT_RETENTION_MONTHS > 0
      ? await pool.query<{ name: string }>(
          `select core.audit_log_drop_partitions((date_trunc('month', now() at time zone 'UTC') - make_interval(months => $1)) at time zone 'UTC') as name`,
          [config.AUDIT_RETENTION_MONTHS],
        )
      : { rows: [] };
  // Windows are at most a day long; anything older is history.
  const purged = await pool.query<{ n: string }>(`select core.rate_limit_purge(now() - interval '1 day') as n`);
  const reports = await pool.query<{ n: string }>(`select exportsathi.purge_deleted_reports(now() - make_interval(days => $1)) as n`, [
    REPORT_RESTORE_DAYS,
  ]);
  const result = {
    partitionsCreated: created.rows.length,
    auditRowsMoved: created.rows.reduce((sum, r) => sum + Number(r.rows_moved), 0),
    partitionsDropped: dropped.rows.map((r) => r.name),
    rateLimitWindowsPurged: Number(purged.rows[0]?.n ?? 0),
    reportsPurged: Number(reports.rows[0]?.n ?? 0),
  };
  if (result.auditRowsMoved > 0) {
    log?.warn({ partitions: created.rows }, 'audit rows had landed in the default partition (maintenance lapsed); moved into their months');
  }
  log?.info(result, 'maintenance done');
  return result;
}
