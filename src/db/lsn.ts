/**
 * WAL positions (pg_lsn) as the replica routing compares them: 'X/Y', two hex numbers of up to
 * 32 bits, as one 64-bit bigint. No pg import: the typed client (src/client.ts) uses it too.
 */

/** 'X/Y' (two hex numbers of up to 32 bits, what pg_lsn prints) as a 64-bit position; undefined for anything else. */
export function parseLsn(text: string | undefined | null): bigint | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!match) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** A position as PostgreSQL prints it (upper-case hex, 'X/Y'). */
export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** The smallest WAL page (wal_block_size's default) and the longest page header (the first page of a segment). */
const WAL_PAGE = 8192n;
const LONG_PAGE_HEADER = 40n;

/**
 * Whether a replica that replayed up to `replayed` holds everything up to `target`. When a record
 * ends exactly at a page's end, replay stops there, while the primary's position may already be
 * past the next page's header: nothing lies in between (the rule of src/db/replica.ts's waitForReplay).
 */
export function hasReplayed(replayed: bigint, target: bigint): boolean {
  return replayed >= target || (replayed % WAL_PAGE === 0n && target - replayed <= LONG_PAGE_HEADER);
}
