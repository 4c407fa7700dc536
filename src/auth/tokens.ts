import { hash, randomBytes } from 'node:crypto';

/** A new bearer token: 32 random bytes, base64url. Only its hash is ever stored. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 of the token (every request computes it: the one-shot hash, not a Hash object). */
export function hashToken(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}
