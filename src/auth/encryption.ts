/**
 * Encryption of sensitive values (AES-256-GCM) before they reach the database: configuration
 * values, ExportSathi's business identifiers and finance payloads.
 * Stored forms, base64url parts:
 * - enc:v1:<iv>:<tag>:<ciphertext>: configuration values written before key ids;
 * - enc:v2:<key id>:<iv>:<tag>:<ciphertext>: the key id (see keyId) beside each value, so that
 *   values under several keys can coexist while `keys:rotate` moves them to the current one.
 * The additional authenticated data names where the value belongs (the config key, or table,
 * column and row), so a ciphertext moved elsewhere does not decrypt.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const PREFIX = 'enc:v1:';
const PREFIX_V2 = 'enc:v2:';

/** A key's id: the first 16 hex digits of its SHA-256 (names the key, reveals nothing of it). */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

function seal(key: Buffer, plaintext: string, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${iv.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}:${data.toString('base64url')}`;
}

function open(key: Buffer, sealed: string, aad: string): string {
  const [iv, tag, data] = sealed.split(':');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv ?? '', 'base64url'));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(Buffer.from(tag ?? '', 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(data ?? '', 'base64url')), decipher.final()]).toString('utf8');
}

/** enc:v2 under `key`, its key id in the clear beside the ciphertext. */
export function encryptWithKeyId(key: Buffer, plaintext: string, aad: string): string {
  return `${PREFIX_V2}${keyId(key)}:${seal(key, plaintext, aad)}`;
}

/** The key id of an enc:v2 value (undefined for enc:v1 and anything else). */
export function storedKeyId(stored: string): string | undefined {
  return stored.startsWith(PREFIX_V2) ? stored.slice(PREFIX_V2.length).split(':')[0] : undefined;
}

/**
 * Decrypts an enc:v2 value with whichever of `keys` it names, or an enc:v1 value with the first
 * key that opens it. Throws when no key fits or the value was tampered with.
 */
export function decryptWithKeys(keys: readonly Buffer[], stored: string, aad: string): string {
  const id = storedKeyId(stored);
  if (id !== undefined) {
    const key = keys.find((k) => keyId(k) === id);
    if (!key) throw new Error(`no key with id ${id}`);
    return open(key, stored.slice(PREFIX_V2.length + id.length + 1), aad);
  }
  if (!stored.startsWith(PREFIX)) throw new Error('not an encrypted value');
  let failure: unknown = new Error('no key');
  for (const key of keys) {
    try {
      return open(key, stored.slice(PREFIX.length), aad);
    } catch (err) {
      failure = err;
    }
  }
  throw failure;
}

export function encryptValue(key: Buffer, plaintext: string, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${PREFIX}${iv.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}:${data.toString('base64url')}`;
}

/**
 * CONFIG_ENCRYPTION_PREVIOUS_KEYS, registered by loadConfigKey: during a key rotation, values
 * not yet moved to the current key are still read with these.
 */
let previous: Buffer[] = [];

export function previousKeys(): readonly Buffer[] {
  return previous;
}

export function parseKeys(spec: string | undefined): Buffer[] {
  return (spec ?? '').split(',').map((k) => k.trim()).filter(Boolean).map((k) => Buffer.from(k, 'base64'));
}

export function decryptValue(key: Buffer, stored: string, aad: string): string {
  // During a key rotation a value may still be under a previous key.
  if (previous.length) return decryptWithKeys([key, ...previous], stored, aad);
  if (!stored.startsWith(PREFIX)) throw new Error('not an encrypted value');
  const [iv, tag, data] = stored.slice(PREFIX.length).split(':');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv ?? '', 'base64url'));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(Buffer.from(tag ?? '', 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(data ?? '', 'base64url')), decipher.final()]).toString('utf8');
}

/** CONFIG_ENCRYPTION_KEY, or for the embedded database a key generated once beside its data. */
export async function loadConfigKey(options: {
  configured: string | undefined;
  embedded: boolean;
  dataDir?: string;
  /** CONFIG_ENCRYPTION_PREVIOUS_KEYS: remembered for reading values a rotation has not reached yet. */
  previous?: string | undefined;
}): Promise<Buffer> {
  previous = parseKeys(options.previous);
  if (options.configured) return Buffer.from(options.configured, 'base64');
  if (!options.embedded) {
    throw new Error('CONFIG_ENCRYPTION_KEY: required when DATABASE_URL is set (32 random bytes, base64)');
  }
  const file = path.resolve(options.dataDir ?? '.data', 'config-encryption.key');
  if (existsSync(file)) return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
  await mkdir(path.dirname(file), { recursive: true });
  const key = randomBytes(32);
  await writeFile(file, key.toString('base64'), { mode: 0o600 });
  return key;
}
