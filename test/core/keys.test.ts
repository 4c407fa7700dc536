/**
 * Keys and foreign-key actions of the core schema that no other test names: pinned to their
 * catalog definitions, so dropping one or changing its ON DELETE action fails here.
 */
import { describe, it } from 'vitest';
import { useTestApp } from '../support/app.js';
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
});
