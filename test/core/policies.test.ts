/**
 * The halves of the row-level security policies that a refusal test cannot show: the WITH
 * CHECK that stops a row being handed to someone else, the allowed deletes, the admin
 * branches, and the function grants that guard the counters and the sign-up rule.
 */
import { describe, expect, it } from 'vitest';
import { unique, useTestApp } from '../support/app.js';
import { codeOf } from '../support/errors.js';
import { rowsAs } from '../support/probe.js';

const app = useTestApp();
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA';

describe('core policies', () => {
  it('a user cannot hand their session or their preferences to someone else (WITH CHECK)', async () => {
    const alice = await app.newUser();
    const bob = await app.newUser();
    const asAlice = app.probe({ token: alice.token });
    await app.caller({ token: alice.token }).preferences.get();
    expect(await codeOf(asAlice.sql([{ text: `update core.auth_sessions set user_id = $1 where user_id = $2`, values: [bob.id, alice.id] }]))).toBe('FORBIDDEN');
    expect(await codeOf(asAlice.sql([{ text: `update core.user_preferences set user_id = $1 where user_id = $2`, values: [bob.id, alice.id] }]))).toBe('FORBIDDEN');
    // Alice is still herself.
    expect((await app.caller({ token: alice.token }).auth.me()).id).toBe(alice.id);
  });

  it('users delete their own sessions and preferences; admins delete anyone\'s', async () => {
    const alice = await app.newUser();
    const bob = await app.newUser();
    const admin = await app.newAdmin();
    await app.caller({ token: alice.token }).preferences.get();
    await app.caller({ token: bob.token }).preferences.get();
    const asAlice = app.probe({ token: alice.token });
    expect(await rowsAs(asAlice, `delete from core.user_preferences where user_id = $1 returning user_id`, [alice.id])).toEqual([{ userId: alice.id }]);
    const extra = await app.caller().auth.login({ email: alice.email, password: 'Correct-Horse-42' });
    expect(await rowsAs(asAlice, `delete from core.auth_sessions where id = $1 returning id`, [extra.sessionId])).toEqual([{ id: extra.sessionId }]);
    const asAdmin = app.probe({ token: admin.token });
    expect(await rowsAs(asAdmin, `delete from core.user_preferences where user_id = $1 returning user_id`, [bob.id])).toEqual([{ userId: bob.id }]);
    expect((await rowsAs(asAdmin, `delete from core.auth_sessions where user_id = $1 returning user_id`, [bob.id])).length).toBe(1);
    expect(await codeOf(app.caller({ token: bob.token }).auth.me())).toBe('UNAUTHORIZED');
  });

  it('a newcomer may create only an ACTIVE plain user; an admin may create any', async () => {
    const insert = (status: string, role = 'user') => [
      { text: `select core.act_as($1, 'user')`, values: [id] },
      {
        text: `insert into core.users (id, username, email, password_hash, status, role) values ($1, $2, $3, $4, $5, $6)`,
        values: [id, unique('new'), `${unique('new')}@example.com`, HASH, status, role],
      },
    ];
    const id = '01900000-0000-7000-8000-0000000000b1';
    expect(await codeOf(app.probe().sql(insert('SUSPENDED')))).toBe('FORBIDDEN');
    expect(await codeOf(app.probe().sql(insert('INACTIVE')))).toBe('FORBIDDEN');
    expect(await codeOf(app.probe().sql(insert('ACTIVE')))).toBe('OK');
    const admin = await app.newAdmin();
    const made = await rowsAs(
      app.probe({ token: admin.token }),
      `insert into core.users (username, email, password_hash, role, status) values ($1, $2, $3, 'admin', 'INACTIVE') returning role, status`,
      [unique('made'), `${unique('made')}@example.com`, HASH],
    );
    expect(made).toEqual([{ role: 'admin', status: 'INACTIVE' }]);
  });

  it('the request role cannot purge the login-throttling counters', async () => {
    const admin = await app.newAdmin();
    expect(await codeOf(app.probe({ token: admin.token }).sql([{ text: `select core.rate_limit_purge(now() + interval '1 day')` }]))).toBe('FORBIDDEN');
  });
});

describe('audit rows', () => {
  it('carry the actor\'s role and session, pair old and new rows of a multi-row update, and skip rows left unchanged', async () => {
    const admin = await app.newAdmin();
    const alice = await app.newUser();
    const bob = await app.newUser();
    const [session] = await app.caller({ token: admin.token }).auth.sessions.list();
    const requestId = unique('req');
    // One statement over two sessions (a table without updated_at): Alice's is revoked, Bob's set to what it was.
    await app.probe({ token: admin.token, requestId }).sql([
      {
        text: `update core.auth_sessions set revoked_at = case when user_id = $1 then now() else revoked_at end where user_id in ($1, $2)`,
        values: [alice.id, bob.id],
      },
    ]);
    const { rows } = await app.sql(
      `select actor_role, session_id, old_value->>'user_id' as old_user, new_value->>'user_id' as new_user,
              old_value->>'revoked_at' is null as was_live, new_value->>'revoked_at' is not null as now_revoked
         from core.audit_log where request_id = $1 and action = 'UPDATE'`,
      [requestId],
    );
    expect(rows).toEqual([{ actor_role: 'admin', session_id: session!.id, old_user: alice.id, new_user: alice.id, was_live: true, now_revoked: true }]);
  });

  it('refuse malformed entries (CHECKs on action, entity and details)', async () => {
    const insert = (cols: string, vals: string) => app.sqlError(`insert into core.audit_log (${cols}) values (${vals})`);
    expect(await insert('action', `'EXPLODE'`)).toEqual({ code: '23514', constraint: 'audit_log_action_check' });
    expect(await insert('action, entity_schema', `'LOGIN', 'core'`)).toEqual({ code: '23514', constraint: 'audit_log_entity_named' });
    expect(await insert('action, details', `'LOGIN', '[1]'`)).toEqual({ code: '23514', constraint: 'audit_log_details_object' });
  });
});
