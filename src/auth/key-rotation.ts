/**
 * `npm run keys:rotate`: re-encrypts every encrypted value under the current key
 * (CONFIG_ENCRYPTION_KEY): sensitive configuration values and ExportSathi's business
 * identifiers and finance payloads. Values are read with any known key (the current one and
 * CONFIG_ENCRYPTION_PREVIOUS_KEYS) and rewritten under the current key: ExportSathi's as enc:v2
 * (naming the key), settings as enc:v1 (their table's CHECK).
 *
 * Resumable: every batch commits, and what is left is found again by what it is (a value not
 * naming the current key id), so an interrupted run is finished by running it again.
 * Safe while the server serves: each replacement is a compare-and-swap on the values read, so
 * a request that changed a row meanwhile keeps its change (written under the current key by a
 * server that runs with it); the skipped row needs no rotation any more.
 */
import type pg from 'pg';
import type { Logger } from '../logger.js';
import { decryptWithKeys, encryptValue, encryptWithKeyId, keyId } from './encryption.js';

const BATCH = 500;

/** Where each encrypted column's additional authenticated data comes from (see src/routers/exportsathi). */
const COLUMNS: Record<string, readonly string[]> = {
  business_profiles: ['business_profiles.iec', 'business_profiles.gstin'],
  finance_analysis: ['finance_analysis.working_capital_data', 'finance_analysis.rodtep_benefit_data', 'finance_analysis.gst_refund_data'],
};

export interface RotationResult {
  keyId: string;
  configValues: number;
  rows: number;
  /** Rows changed by someone else between read and write (already under the current key). */
  raced: number;
  /** Values no known key opens (left as they are, named in the log). */
  failed: number;
}

function reencrypt(current: Buffer, keys: Buffer[], stored: string, aad: string): string {
  return encryptWithKeyId(current, decryptWithKeys(keys, stored, aad), aad);
}

export async function rotateKeys(pool: pg.Pool, current: Buffer, previous: readonly Buffer[], log?: Logger): Promise<RotationResult> {
  const keys = [current, ...previous];
  const id = keyId(current);
  const result: RotationResult = { keyId: id, configValues: 0, rows: 0, raced: 0, failed: 0 };

  // Sensitive settings keep the enc:v1 form their table's CHECK asks for (no key id), so which
  // need rotating shows only by trying the current key: walked once in id order, a batch per
  // transaction, as an admin acting through app_request (their policies allow it, and the audit
  // log records each change). A row locked by a request is skipped: that request writes it
  // under the current key.
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const client = await pool.connect();
    let count = 0;
    try {
      await client.query('begin');
      await client.query(`set local role app_request`);
      await client.query(`select set_config('app.user_role', 'admin', true), set_config('app.request_id', 'keys:rotate', true)`);
      const { rows } = await client.query<{ id: string; config_key: string; config_value: string }>(
        `select id, config_key, config_value from core.system_configurations
          where is_sensitive and config_value is not null and id > $1
          order by id limit $2 for update skip locked`,
        [after, BATCH],
      );
      count = rows.length;
      for (const row of rows) {
        after = row.id;
        try {
          decryptWithKeys([current], row.config_value, row.config_key);
          continue; // already under the current key
        } catch {
          // not under the current key: rotate it below
        }
        let value: string;
        try {
          value = encryptValue(current, decryptWithKeys(keys, row.config_value, row.config_key), row.config_key);
        } catch (err) {
          result.failed += 1;
          log?.error({ err, key: row.config_key }, 'keys:rotate: a sensitive setting does not decrypt with any known key');
          continue;
        }
        await client.query(`update core.system_configurations set config_value = $2 where id = $1`, [row.id, value]);
        result.configValues += 1;
      }
      await client.query('commit');
    } catch (err) {
      await client.query('rollback').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
    if (count < BATCH) break;
  }

  // ExportSathi's encrypted rows, through the app_auth functions of migration 1763800000012.
  const skipped: string[] = [];
  for (;;) {
    const { rows } = await pool.query<{ table_name: string; row_id: string; owner_id: string; stored: Array<string | null> }>(
      `select table_name, row_id, owner_id, stored from exportsathi.encrypted_pending($1, $2, $3::uuid[])`,
      [id, BATCH, skipped],
    );
    if (rows.length === 0) break;
    for (const row of rows) {
      let fresh: Array<string | null>;
      try {
        fresh = row.stored.map((stored, i) =>
          stored === null ? null : reencrypt(current, keys, stored, `exportsathi.${COLUMNS[row.table_name]![i]}:${row.owner_id}`),
        );
      } catch (err) {
        skipped.push(row.row_id);
        result.failed += 1;
        log?.error({ err, table: row.table_name, id: row.row_id }, 'keys:rotate: a value does not decrypt with any known key');
        continue;
      }
      const swapped = await pool.query<{ ok: boolean }>(`select exportsathi.encrypted_replace($1, $2, $3, $4) as ok`, [
        row.table_name,
        row.row_id,
        row.stored,
        fresh,
      ]);
      if (swapped.rows[0]?.ok) result.rows += 1;
      else result.raced += 1;
    }
  }
  log?.info(result, 'keys:rotate done');
  return result;
}
