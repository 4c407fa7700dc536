import { randomFillSync } from 'node:crypto';

// Random bytes are drawn 4 KiB at a time: one call into the CSPRNG per 256 ids instead of one
// per id (db:seed --scale makes a million of them).
const pool = Buffer.alloc(4096);
let offset = pool.length;

/**
 * A UUIDv7 (RFC 9562) made in the application, for the rows whose id must be known before the
 * insert (registration acts as the new user before creating it; db:seed --scale links rows it
 * writes in one statement). The database default, core.uuidv7(), makes all the others.
 */
export function uuidv7(now: number = Date.now()): string {
  if (offset + 16 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + 16));
  offset += 16;
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
