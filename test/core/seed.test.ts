/** db:seed's core users: seed 002's test user and seed 004's developer, imported with its bcrypt hash. */
import { describe, expect, it } from 'vitest';
import { seedContext } from '../../src/seed/context.js';
import { DEVELOPER, DEVELOPER_PASSWORD, seedCore, TEST_USER } from '../../src/seed/core.js';
import { seedAll } from '../../src/seed/index.js';
import { useTestApp } from '../support/app.js';

const app = useTestApp();

async function developerRows() {
  const { rows } = await app.sql(
    `select username, role, status, preferences, last_login_at, password_hash from core.users where email = 'dev@componentforge.com'`,
  );
  return rows;
}

describe('db:seed: seed 004\'s developer', () => {
  it('is imported with the seed\'s data and a bcrypt hash, once; its first login moves the hash to argon2id', async () => {
    const ctx = seedContext(app.services);
    // The test user registered and the developer imported: two users, and the report says so.
    expect((await seedCore(ctx)).created).toEqual({ users: 2 });
    const [developer] = await developerRows();
    expect(developer).toEqual({
      username: 'developer',
      role: 'user',
      status: 'ACTIVE',
      preferences: { theme: 'dark', defaultModel: 'gpt-4', defaultTemperature: 0.7 },
      last_login_at: new Date('2025-10-08T10:30:00Z'),
      password_hash: DEVELOPER.passwordHash,
    });
    expect(developer!.password_hash).toMatch(/^\$2b\$12\$/);
    // Imported as the system acting as an admin: audited like any other change.
    const { rows: audit } = await app.sql(
      `select actor_role, user_agent, new_value->>'password_hash' as hash from core.audit_log where action = 'CREATE' and new_value->>'email' = 'dev@componentforge.com'`,
    );
    expect(audit).toEqual([{ actor_role: 'admin', user_agent: 'db:seed', hash: '[redacted]' }]);

    const login = await app.caller().auth.login({ email: DEVELOPER.email, password: DEVELOPER_PASSWORD });
    expect(login.user).toMatchObject({ username: 'developer', role: 'user' });
    const [after] = await developerRows();
    expect(after!.password_hash).toMatch(/^\$argon2id\$/);

    // A second run adds nothing and leaves the upgraded hash alone.
    expect((await seedCore(ctx)).created).toEqual({ users: 0 });
    expect(await developerRows()).toEqual([after]);
  });
});

describe('db:seed report', () => {
  it("counts the core users this run created (none on a rerun), as the apps' counts do", async () => {
    const services = { ...app.services, config: { ...app.services.config, LOGIN_LIMIT_PER_EMAIL: 1_000_000 } };
    const users = async () => (await app.sql<{ n: number }>(`select count(*)::int as n from core.users where email in ($1, $2)`, [TEST_USER.email, DEVELOPER.email])).rows[0]!.n;
    const before = await users();
    const first = await seedAll(services);
    expect(first.core).toEqual({ users: 2 - before });
    expect(await users()).toBe(2);
    const second = await seedAll(services);
    expect(second.core).toEqual({ users: 0 });
  });
});
