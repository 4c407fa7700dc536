/**
 * Brings a user of one of the seeds' existing systems over with the password hash that system
 * kept (bcrypt for seed 004's passlib; argon2id also accepted): they sign in with the password
 * they already have, and core.upgrade_password_hash moves the hash to argon2id at that first
 * login. Like promote.ts it acts as the system from the owner's connection (request role, an
 * admin without a user), so RLS, the CHECKs and the audit log all apply. Used by db:seed.
 */
import type pg from 'pg';
import { importUser } from '../../sql/core/users.queries.js';
import { asSystem } from './system.js';

export interface ImportedUser {
  email: string;
  username?: string | null;
  passwordHash: string;
  fullName?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  role?: 'user' | 'admin';
  status?: 'ACTIVE' | 'INACTIVE' | 'SUSPENDED';
  preferences?: Record<string, string | number | boolean | null>;
  lastLoginAt?: Date | null;
}

/** Returns the new user's id, or undefined when the email is already registered (nothing changes then). */
export async function importLegacyUser(client: pg.ClientBase, user: ImportedUser, options: { userAgent: string }): Promise<string | undefined> {
  return asSystem(client, options.userAgent, async (db) => {
    const [row] = await importUser.run(
      {
        email: user.email,
        username: user.username ?? null,
        passwordHash: user.passwordHash,
        fullName: user.fullName ?? null,
        firstName: user.firstName ?? null,
        lastName: user.lastName ?? null,
        role: user.role ?? 'user',
        status: user.status ?? 'ACTIVE',
        preferences: user.preferences ?? {},
        lastLoginAt: user.lastLoginAt ?? null,
      },
      db,
    );
    return row?.id;
  });
}
