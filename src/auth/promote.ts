/**
 * Makes a user an admin. The first admin cannot be made by an admin, so this acts as the
 * system from the owner's connection: through core.begin_request (request role, no user) and
 * core.act_as(null, 'admin'), so RLS, the guard trigger and the audit log all apply.
 * Used by `npm run users:promote` and by db:seed's admin.
 */
import type pg from 'pg';
import { promoteUser, updatePasswordHash } from '../../sql/core/users.queries.js';
import { asSystem } from './system.js';

/** Returns the promoted user's id, or undefined when no user has that email. */
export async function promoteToAdmin(
  client: pg.ClientBase,
  email: string,
  options: { passwordHash?: string; userAgent: string },
): Promise<string | undefined> {
  return asSystem(client, options.userAgent, async (db) => {
    const [row] = await promoteUser.run({ email }, db);
    // A separate statement: the request role may write a hash but never read one, so the
    // promotion cannot keep the old hash with coalesce(..., password_hash).
    if (row && options.passwordHash) await updatePasswordHash.run({ id: row.id, passwordHash: options.passwordHash }, db);
    return row?.id;
  });
}
