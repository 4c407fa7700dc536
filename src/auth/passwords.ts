import { hash, verify } from '@node-rs/argon2';

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
// algorithm 2 is Argon2id (a const enum, which verbatimModuleSyntax cannot import).
const OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

// Verified when the email is unknown too, so that the response time does not tell.
const DUMMY_HASH = hash('not a real password, only for timing', OPTIONS);

export async function verifyPassword(passwordHash: string | undefined, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash ?? (await DUMMY_HASH), password);
  } catch {
    return false;
  }
}

export const PASSWORD_RULE =
  'password must be 8-128 characters with at least three of: lowercase, uppercase, digit, symbol; and must not contain the username';

/** The strength rule for new passwords; undefined when the password passes. */
export function passwordProblem(password: string, username?: string): string | undefined {
  if (password.length < 8 || password.length > 128) return PASSWORD_RULE;
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (classes < 3) return PASSWORD_RULE;
  if (username && password.toLowerCase().includes(username.toLowerCase())) return PASSWORD_RULE;
  return undefined;
}
