import { describe, expect, it } from 'vitest';
import { useTestApp } from '../support/app.js';
import { failure } from '../support/errors.js';

const app = useTestApp();

// users_preferences_size caps the column at 65536 bytes as JSON; the input refuses more before
// the database is asked, naming the field, and changes nothing.
describe('users.updateProfile preferences', () => {
  it('are capped at 64 KiB as JSON by the input (BAD_REQUEST naming preferences), and the profile is unchanged', async () => {
    const user = await app.newUser();
    const me = app.caller({ token: user.token });
    const fits = { k: 'x'.repeat(60_000) };
    expect((await me.users.updateProfile({ preferences: fits })).preferences).toEqual(fits);
    // One byte over 64 KiB as JSON: refused by the input itself (zod issues, no SQLSTATE), so the
    // transaction never starts, not only by the table's CHECK.
    const tooBig = { k: 'x'.repeat(65_537 - '{"k":""}'.length) };
    expect(JSON.stringify(tooBig)).toHaveLength(65_537);
    const err = await failure(me.users.updateProfile({ preferences: tooBig, bio: 'not written' }));
    expect(err.code).toBe('BAD_REQUEST');
    const issues = (err.cause as unknown as { issues?: Array<{ path: string[]; message: string }> }).issues;
    expect(issues).toEqual([expect.objectContaining({ path: ['preferences'], message: 'must be at most 65536 bytes as JSON' })]);
    expect((err.cause as { sqlState?: string }).sqlState).toBeUndefined();
    const { rows } = await app.sql(`select preferences, bio from core.users where id = $1`, [user.id]);
    expect(rows[0]).toEqual({ preferences: fits, bio: null });
  });

  it('refuse a value nested deeper than the JSON depth limit and the key __proto__', async () => {
    const user = await app.newUser();
    const me = app.caller({ token: user.token });
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = { d: deep };
    expect((await failure(me.users.updateProfile({ preferences: deep as Record<string, never> }))).code).toBe('BAD_REQUEST');
    const proto = JSON.parse('{"__proto__": {"x": 1}}') as Record<string, never>;
    expect((await failure(me.users.updateProfile({ preferences: proto }))).message).toMatch(/__proto__/);
  });
});
