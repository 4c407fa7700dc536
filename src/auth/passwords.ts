import { hash, verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
// algorithm 2 is Argon2id (a const enum, which verbatimModuleSyntax cannot import).
const OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

// Verified when the email is unknown too, so that the response time does not tell.
const DUMMY_HASH = hash('not a real password, only for timing', OPTIONS);

/** bcrypt ($2a$, $2b$, $2y$): the hashes users of the seeds' existing systems come with (seed 004's passlib). */
export function isLegacyHash(passwordHash: string): boolean {
  return /^\$2[aby]\$/.test(passwordHash);
}

/**
 * Checks a password against an argon2id or a bcrypt hash. bcrypt keeps its own rule that only
 * the first 72 bytes count, as the system that made the hash did; `rehash` says the hash must
 * be replaced by an argon2id one now that the password is known to be right.
 */
export async function checkPassword(passwordHash: string | undefined, password: string): Promise<{ ok: boolean; rehash: boolean }> {
  try {
    if (passwordHash !== undefined && isLegacyHash(passwordHash)) {
      const ok = await bcrypt.compare(password, passwordHash);
      return { ok, rehash: ok };
    }
    return { ok: await verify(passwordHash ?? (await DUMMY_HASH), password), rehash: false };
  } catch {
    return { ok: false, rehash: false };
  }
}

export async function verifyPassword(passwordHash: string | undefined, password: string): Promise<boolean> {
  return (await checkPassword(passwordHash, password)).ok;
}

export const PASSWORD_RULE =
  'password must be 8-128 characters with at least three of: lowercase, uppercase, digit, symbol; and must not contain the username';

/**
 * The strength rule for new passwords; undefined when the password passes. Usernames are
 * optional and may be a single character: only one of 3 or more characters is a word worth
 * refusing inside a password.
 */
export function passwordProblem(password: string, username?: string | null): string | undefined {
  if (password.length < 8 || password.length > 128) return PASSWORD_RULE;
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (classes < 3) return PASSWORD_RULE;
  if (username && username.length >= 3 && password.toLowerCase().includes(username.toLowerCase())) return PASSWORD_RULE;
  return undefined;
}
