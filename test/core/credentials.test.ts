/**
 * Credentials under defence in depth (issue 12, items 4 and 6): the request role cannot read a
 * password or token hash whatever app.* settings a statement forges, and users of the seeds'
 * existing systems sign in with their bcrypt hashes, which move to argon2id at that login.
 */
import { describe, expect, it } from 'vitest';
import { RuleViolation } from '../../src/db/errors.js';
import { PASSWORD, unique, useTestApp } from '../support/app.js';
import { codeOf, failure } from '../support/errors.js';
import { rowsAs } from '../support/probe.js';

const app = useTestApp();

/** The SQLSTATE behind a mapped database error. */
function sqlState(err: { cause?: unknown }): string | undefined {
  return err.cause instanceof RuleViolation ? err.cause.sqlState : undefined;
}

/** Statements that forge the request settings: act as `userId`, as an admin. */
const forge = (userId: string) => ({
  text: `select set_config('app.user_id', $1, true), set_config('app.user_role', 'admin', true)`,
  values: [userId],
});

// bcrypt of 'Developer@1234' in passlib's format; cost 4 instead of the seed's 12 keeps the tests fast
// (seed.test.ts signs in with the seed's cost-12 hash).
const BCRYPT = '$2b$04$AWBUBHh8CtZZCnZ3EFyQbOsP49kOVw1lCkbMUilbWS86LBC8jsfi6';
const BCRYPT_PASSWORD = 'Developer@1234';

async function hashOf(id: string): Promise<string> {
  return (await app.sql<{ password_hash: string }>(`select password_hash from core.users where id = $1`, [id])).rows[0]!.password_hash;
}

async function legacyUser(hash = BCRYPT): Promise<{ id: string; email: string }> {
  const email = `${unique('legacy')}@componentforge.com`;
  const { rows } = await app.sql<{ id: string }>(
    `insert into core.users (username, email, password_hash) values ($1, $2, $3) returning id`,
    [unique('legacy'), email, hash],
  );
  return { id: rows[0]!.id, email };
}

describe('column privileges: the request role never reads a credential', () => {
  it('password_hash and token_hash are refused with 42501, for the own row and with forged app.* settings alike', async () => {
    const alice = await app.newUser();
    const bob = await app.newUser();
    const reads = [
      'select password_hash from core.users where id = $1',
      'select * from core.users where id = $1',
      // A whole-row reference reads every column, the hash included.
      'select to_jsonb(u) from core.users u where id = $1',
      // Comparing is reading: a WHERE on the hash could guess it.
      `select id from core.users where id = $1 and password_hash like '$argon2id$%'`,
      'select token_hash from core.auth_sessions where user_id = $1',
      'select * from core.auth_sessions where user_id = $1',
    ];
    for (const text of reads) {
      const own = await failure(app.probe({ token: alice.token }).sql([{ text, values: [alice.id] }]));
      expect([own.code, sqlState(own)], text).toEqual(['FORBIDDEN', '42501']);
      // An injected statement that first claims to be bob, as an admin, gets no further.
      const forged = await failure(app.probe().sql([forge(bob.id), { text, values: [bob.id] }]));
      expect([forged.code, sqlState(forged)], text).toEqual(['FORBIDDEN', '42501']);
    }
  });

  it('core.live_sessions, the request setup\'s view of every bearer token, is refused to the request role (42501), even with forged settings', async () => {
    const alice = await app.newUser();
    for (const text of ['select * from core.live_sessions', 'select user_id from core.live_sessions where user_id = $1']) {
      const values = text.includes('$1') ? [alice.id] : [];
      const own = await failure(app.probe({ token: alice.token }).sql([{ text, values }]));
      expect([own.code, sqlState(own)], text).toEqual(['FORBIDDEN', '42501']);
      const forged = await failure(app.probe().sql([forge(alice.id), { text, values }]));
      expect([forged.code, sqlState(forged)], text).toEqual(['FORBIDDEN', '42501']);
    }
    // The owner (the setup's role) reads it, and only live sessions: a revoked one is gone.
    const { rows } = await app.sql(`select count(*)::int as n from core.live_sessions where user_id = $1`, [alice.id]);
    expect(rows[0]).toEqual({ n: 1 });
    await app.sql(`update core.auth_sessions set revoked_at = now() where user_id = $1`, [alice.id]);
    expect((await app.sql(`select count(*)::int as n from core.live_sessions where user_id = $1`, [alice.id])).rows[0]).toEqual({ n: 0 });
  });

  it('every other column stays readable, and sign-in, password change and sessions work without the hashes', async () => {
    const user = await app.newUser();
    const [row] = await rowsAs(
      app.probe({ token: user.token }),
      `select id, username, email, full_name, first_name, last_name, bio, avatar_url, role, status, preferences,
              last_login_at, created_at, updated_at from core.users where id = $1`,
      [user.id],
    );
    expect(row).toMatchObject({ id: user.id, email: user.email });
    const [session] = await rowsAs(
      app.probe({ token: user.token }),
      'select id, user_id, expires_at, ip, user_agent, created_at, revoked_at from core.auth_sessions where user_id = $1',
      [user.id],
    );
    expect(session).toMatchObject({ userId: user.id, revokedAt: null });

    const api = app.caller({ token: user.token });
    expect(await codeOf(api.auth.changePassword({ currentPassword: 'Wrong-Password-1', newPassword: 'Another-Secret-77' }))).toBe('BAD_REQUEST');
    await api.auth.changePassword({ currentPassword: PASSWORD, newPassword: 'Another-Secret-77' });
    await app.caller().auth.login({ email: user.email, password: 'Another-Secret-77' });
    expect((await api.auth.sessions.list()).length).toBeGreaterThan(0);
  });
});

describe('bcrypt hashes from the seeds\' existing systems', () => {
  it('a bcrypt user signs in with their password; that login moves the hash to argon2id; a wrong password changes nothing', async () => {
    const user = await legacyUser();
    expect(await codeOf(app.caller().auth.login({ email: user.email, password: 'Developer@12345' }))).toBe('UNAUTHORIZED');
    expect(await hashOf(user.id)).toBe(BCRYPT);

    const login = await app.caller().auth.login({ email: user.email, password: BCRYPT_PASSWORD });
    expect(login.user.id).toBe(user.id);
    const rehashed = await hashOf(user.id);
    expect(rehashed).toMatch(/^\$argon2id\$/);
    // The argon2id hash is of the same password, and it stays: the next login changes nothing.
    await app.caller().auth.login({ email: user.email, password: BCRYPT_PASSWORD });
    expect(await hashOf(user.id)).toBe(rehashed);
    // The upgrade is audited as the user's own change, the hashes redacted.
    const { rows } = await app.sql(
      `select actor_id, old_value->>'password_hash' as old, new_value->>'password_hash' as new from core.audit_log
        where entity_id = $1 and action = 'UPDATE' and old_value->>'password_hash' is not null
          and old_value->>'updated_at' <> new_value->>'updated_at'`,
      [user.id],
    );
    expect(rows).toContainEqual({ actor_id: user.id, old: '[redacted]', new: '[redacted]' });
  });

  it('the $2a$ and $2y$ spellings of bcrypt verify too', async () => {
    for (const prefix of ['$2a$', '$2y$']) {
      const user = await legacyUser(BCRYPT.replace('$2b$', prefix));
      await app.caller().auth.login({ email: user.email, password: BCRYPT_PASSWORD });
      expect(await hashOf(user.id), prefix).toMatch(/^\$argon2id\$/);
    }
  });

  it('a bcrypt user changes their password with the bcrypt one as the current password', async () => {
    const user = await legacyUser();
    // Signed in (which upgrades the hash), then the hash put back to bcrypt, as an import would.
    const first = await app.caller().auth.login({ email: user.email, password: BCRYPT_PASSWORD });
    await app.sql(`update core.users set password_hash = $2 where id = $1`, [user.id, BCRYPT]);
    await app.caller({ token: first.token }).auth.changePassword({ currentPassword: BCRYPT_PASSWORD, newPassword: 'Brand-New-Secret-5' });
    expect(await hashOf(user.id)).toMatch(/^\$argon2id\$/);
    await app.caller().auth.login({ email: user.email, password: 'Brand-New-Secret-5' });
  });

  it('the upgrade replaces only the hash that was checked, only a bcrypt one, and only by argon2id', async () => {
    const user = await legacyUser();
    const argon = await hashOf((await app.newUser()).id);
    const upgrade = (id: string, oldHash: string, newHash: string) =>
      rowsAs<{ upgraded: boolean }>(app.probe(), 'select core.upgrade_password_hash($1, $2, $3) as upgraded', [id, oldHash, newHash]);

    // The password changed since the login read the hash: the new one stays.
    const changed = BCRYPT.replace('AWBU', 'ZZBU');
    await app.sql(`update core.users set password_hash = $2 where id = $1`, [user.id, changed]);
    expect(await upgrade(user.id, BCRYPT, argon)).toEqual([{ upgraded: false }]);
    expect(await hashOf(user.id)).toBe(changed);

    // Not into anything but argon2id (the policy's WITH CHECK).
    expect((await failure(upgrade(user.id, changed, BCRYPT))).code).toBe('FORBIDDEN');
    expect(await hashOf(user.id)).toBe(changed);

    // Never over an argon2id hash: the function cannot be used to replace a current password.
    const modern = await app.newUser();
    const before = await hashOf(modern.id);
    expect(await upgrade(modern.id, before, argon)).toEqual([{ upgraded: false }]);
    expect(await hashOf(modern.id)).toBe(before);

    expect(await upgrade(user.id, changed, argon)).toEqual([{ upgraded: true }]);
    expect(await hashOf(user.id)).toBe(argon);
  });
});
