/**
 * Encryption of sensitive configuration values (AES-256-GCM) before they reach the database.
 * Stored form: enc:v1:<iv>:<tag>:<ciphertext>, base64url parts; the config key is the
 * additional authenticated data, so a ciphertext moved to another key does not decrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const PREFIX = 'enc:v1:';

export function encryptValue(key: Buffer, plaintext: string, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${PREFIX}${iv.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}:${data.toString('base64url')}`;
}

export function decryptValue(key: Buffer, stored: string, aad: string): string {
  if (!stored.startsWith(PREFIX)) throw new Error('not an encrypted value');
  const [iv, tag, data] = stored.slice(PREFIX.length).split(':');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv ?? '', 'base64url'));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(Buffer.from(tag ?? '', 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(data ?? '', 'base64url')), decipher.final()]).toString('utf8');
}

/** CONFIG_ENCRYPTION_KEY, or for the embedded database a key generated once beside its data. */
export async function loadConfigKey(options: { configured: string | undefined; embedded: boolean; dataDir?: string }): Promise<Buffer> {
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
