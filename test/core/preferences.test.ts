import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../support/app.js';
import { failure } from '../support/errors.js';
import { rowsAs } from '../support/probe.js';

const app = useTestApp();

describe('user preferences', () => {
  it('are created with the seed\'s defaults on first read, once', async () => {
    const user = await app.newUser();
    const me = app.caller({ token: user.token });
    const first = await me.preferences.get();
    expect(first).toMatchObject({
      userId: user.id,
      theme: 'dark',
      llmModel: 'claude-3-sonnet',
      llmTemperature: 0.7,
      llmMaxTokens: 2000,
      ideType: null,
      autoSync: false,
      notificationsEnabled: true,
    });
    const [again, concurrent] = await Promise.all([me.preferences.get(), me.preferences.get()]);
    expect(again!.id).toBe(first.id);
    expect(concurrent!.id).toBe(first.id);
    expect((await app.sql(`select count(*)::int as n from core.user_preferences where user_id = $1`, [user.id])).rows[0]).toEqual({ n: 1 });
  });

  it('update changes only the fields given', async () => {
    const user = await app.newUser();
    const me = app.caller({ token: user.token });
    const updated = await me.preferences.update({ theme: 'light', llmTemperature: 1.2, ideType: 'vscode' });
    expect(updated).toMatchObject({ theme: 'light', llmTemperature: 1.2, ideType: 'vscode', llmMaxTokens: 2000, autoSync: false });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const cleared = await me.preferences.update({ ideType: null, autoSync: true });
    expect(cleared).toMatchObject({ theme: 'light', ideType: null, autoSync: true });
    expect(cleared.updatedAt.getTime()).toBeGreaterThan(updated.updatedAt.getTime());
  });

  it('refuses out-of-range values, in the API and in the database', async () => {
    const user = await app.newUser();
    const me = app.caller({ token: user.token });
    for (const bad of [{ llmTemperature: 2.5 }, { llmTemperature: -0.1 }, { llmMaxTokens: 0 }, { llmMaxTokens: 200_001 }, { theme: '' }]) {
      const err = await failure(me.preferences.update(bad));
      expect(err, JSON.stringify(bad)).toBeInstanceOf(TRPCError);
      expect((err as TRPCError).code).toBe('BAD_REQUEST');
    }
    await me.preferences.get();
    const cases: Array<[string, string]> = [
      ['llm_temperature = 2.01', 'user_preferences_llm_temperature_range'],
      ['llm_temperature = -1', 'user_preferences_llm_temperature_range'],
      ['llm_max_tokens = 0', 'user_preferences_llm_max_tokens_range'],
      ['llm_max_tokens = 200001', 'user_preferences_llm_max_tokens_range'],
      [`theme = ''`, 'user_preferences_theme_length'],
      [`llm_model = ''`, 'user_preferences_llm_model_length'],
      [`ide_type = ''`, 'user_preferences_ide_type_length'],
    ];
    for (const [set, constraint] of cases) {
      expect(await app.sqlError(`update core.user_preferences set ${set} where user_id = $1`, [user.id]), set).toEqual({ code: '23514', constraint });
    }
    expect(await app.sqlError(`insert into core.user_preferences (user_id) values ($1)`, [user.id])).toEqual({
      code: '23505',
      constraint: 'user_preferences_user_id_key',
    });
    // A database error through the API names the rule.
    const viaApi = await failure(app
      .probe({ token: user.token })
      .sql([{ text: `update core.user_preferences set llm_temperature = 3 where user_id = $1`, values: [user.id] }]));
    expect(viaApi).toMatchObject({ code: 'BAD_REQUEST', message: 'llm_temperature must be between 0 and 2' });
  });

  it('another user can neither read, change nor delete them, even knowing the ids', async () => {
    const alice = await app.newUser();
    const bob = await app.newUser();
    const admin = await app.newAdmin();
    const bobs = await app.caller({ token: bob.token }).preferences.get();
    const asAlice = app.probe({ token: alice.token });
    expect(await rowsAs(asAlice, 'select id from core.user_preferences where id = $1', [bobs.id])).toEqual([]);
    expect(await rowsAs(asAlice, `update core.user_preferences set theme = 'pwned' where id = $1 returning id`, [bobs.id])).toEqual([]);
    expect(await rowsAs(asAlice, 'delete from core.user_preferences where id = $1 returning id', [bobs.id])).toEqual([]);
    const forged = await failure(asAlice
      .sql([{ text: `insert into core.user_preferences (user_id) values ($1)`, values: [bob.id] }]));
    expect((forged as TRPCError).code).toBe('FORBIDDEN');
    expect((await app.caller({ token: bob.token }).preferences.get()).theme).toBe('dark');
    // Admins read all, but do not edit someone else's preferences.
    const asAdmin = app.probe({ token: admin.token });
    expect(await rowsAs(asAdmin, 'select id from core.user_preferences where id = $1', [bobs.id])).toEqual([{ id: bobs.id }]);
    expect(await rowsAs(asAdmin, `update core.user_preferences set theme = 'x' where id = $1 returning id`, [bobs.id])).toEqual([]);
  });

  it('go with their user (ON DELETE CASCADE)', async () => {
    const user = await app.newUser();
    await app.caller({ token: user.token }).preferences.get();
    await app.sql('delete from core.users where id = $1', [user.id]);
    expect((await app.sql('select 1 from core.user_preferences where user_id = $1', [user.id])).rowCount).toBe(0);
  });
});
