/** db:seed's core users: seed 002's test user and seed 004's developer, imported with its bcrypt hash. */
import { describe, expect, it } from 'vitest';
import { seedContext } from '../../src/seed/context.js';
import { DEVELOPER, DEVELOPER_PASSWORD, seedCore } from '../../src/seed/core.js';
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
    await seedCore(ctx);
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
    await seedCore(ctx);
    expect(await developerRows()).toEqual([after]);
  });
});
