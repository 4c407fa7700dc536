/**
 * Keys and foreign-key actions of the core schema that no other test names: pinned to their
 * catalog definitions, so dropping one or changing its ON DELETE action fails here.
 */
import { describe, expect, it } from 'vitest';
import { unique, useTestApp } from '../support/app.js';
import { expectConstraints } from '../support/constraints.js';

const app = useTestApp();

describe('core keys and foreign-key actions', () => {
  it('exist with their columns, referenced keys and ON DELETE actions', async () => {
    await expectConstraints(app, [
      ['core.api_rate_limits', 'api_rate_limits_user_id_fkey', 'FOREIGN KEY (user_id) REFERENCES core.users(id) ON DELETE CASCADE'],
      ['core.api_rate_limits', 'api_rate_limits_window_key', 'UNIQUE (endpoint, subject, window_start)'],
      ['core.user_preferences', 'user_preferences_user_id_fkey', 'FOREIGN KEY (user_id) REFERENCES core.users(id) ON DELETE CASCADE'],
      ['core.users', 'users_username_key', 'UNIQUE (username)'],
    ]);
  });

  it('one rate-limit counter per endpoint, subject and window (api_rate_limits_window_key)', async () => {
    const subject = unique('ip:');
    expect(
      await app.sqlError(
        `insert into core.api_rate_limits (endpoint, subject, window_start) values ('auth.login', $1, '2026-01-01T00:00:00Z'), ('auth.login', $1, '2026-01-01T00:00:00Z')`,
        [subject],
      ),
    ).toEqual({ code: '23505', constraint: 'api_rate_limits_window_key' });
  });

  it('a user\'s rate-limit counters and preferences go with the user (ON DELETE CASCADE); a counter needs an existing user', async () => {
    const user = await app.newUser();
    const subject = unique('user:');
    await app.sql(`insert into core.api_rate_limits (user_id, endpoint, subject, window_start) values ($1, 'scraper.jobs.create', $2, now())`, [user.id, subject]);
    await app.sqlAsAdmin(`insert into core.user_preferences (user_id) values ($1)`, [user.id]);
    const count = async () =>
      (await app.sql(`select (select count(*) from core.api_rate_limits where user_id = $1)::int as limits, (select count(*) from core.user_preferences where user_id = $1)::int as preferences`, [user.id])).rows[0];
    expect(await count()).toEqual({ limits: 1, preferences: 1 });
    await app.sql(`delete from core.users where id = $1`, [user.id]);
    expect(await count()).toEqual({ limits: 0, preferences: 0 });
    expect(
      await app.sqlError(`insert into core.api_rate_limits (user_id, endpoint, subject, window_start) values ($1, 'scraper.jobs.create', $2, now())`, [user.id, subject]),
    ).toEqual({ code: '23503', constraint: 'api_rate_limits_user_id_fkey' });
    expect(await app.sqlError(`insert into core.user_preferences (user_id) values ($1)`, [user.id])).toEqual({ code: '23503', constraint: 'user_preferences_user_id_fkey' });
  });
});
