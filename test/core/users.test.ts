import { createHash } from 'node:crypto';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { PASSWORD, unique, useTestApp } from '../support/app.js';
import { failure } from '../support/errors.js';
import { rowsAs } from '../support/probe.js';

const app = useTestApp();

const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA';
// bcrypt of 'Developer@1234' (cost 12), as seed 004's passlib stores it.
const BCRYPT = '$2b$12$AK1RwxG7oPrNAQIOyEPvMeAOB1S5Npw56Zm6xpEu2Fa09SM2Dn5NG';
function insertUser(columns: Record<string, unknown>) {
  const row = { username: unique('u'), email: `${unique('e')}@example.com`, password_hash: HASH, ...columns };
  const names = Object.keys(row);
  return app.sqlError(
    `insert into core.users (${names.join(', ')}) values (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
    Object.values(row),
  );
}

describe('auth: register, login, me', () => {
  it('registers, logs in with the password, and reads itself', async () => {
    const username = unique('Alice');
    const email = `${username}@Example.com`;
    const registered = await app.caller().auth.register({ username, email, password: PASSWORD, fullName: 'Alice A' });
    expect(registered).toMatchObject({ username, email, fullName: 'Alice A', role: 'user', status: 'ACTIVE' });
    expect(registered).not.toHaveProperty('passwordHash');

    // Emails match ignoring case.
    const login = await app.caller({ clientIp: '198.51.100.4', userAgent: 'ua' }).auth.login({ email: email.toUpperCase(), password: PASSWORD });
    expect(login.token).toMatch(/^[\w-]{43}$/);
    expect(login.expiresAt.getTime()).toBeGreaterThan(Date.now());

    const me = await app.caller({ token: login.token }).auth.me();
    expect(me.id).toBe(registered.id);
    expect(me.lastLoginAt).toBeInstanceOf(Date);

    // Only the SHA-256 of the token is stored, with the client's ip as INET.
    const { rows } = await app.sql(`select encode(token_hash, 'hex') as hash, host(ip) as ip, user_agent from core.auth_sessions where user_id = $1`, [me.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.hash).toBe(createHash('sha256').update(login.token).digest('hex'));
    expect(rows[0]).toMatchObject({ ip: '198.51.100.4', user_agent: 'ua' });

    // The password is stored as an argon2id hash.
    const { rows: hashes } = await app.sql(`select password_hash from core.users where id = $1`, [me.id]);
    expect(hashes[0]!.password_hash).toMatch(/^\$argon2id\$/);
  });

  it('refuses a wrong password and an unknown email alike', async () => {
    const user = await app.newUser();
    const wrong = await failure(app.caller().auth.login({ email: user.email, password: 'Wrong-Password-1' }));
    const unknown = await failure(app.caller().auth.login({ email: 'nobody@example.com', password: PASSWORD }));
    expect(wrong.code).toBe('UNAUTHORIZED');
    expect(unknown.code).toBe('UNAUTHORIZED');
    expect(wrong.message).toBe(unknown.message);
  });

  it('refuses weak passwords with a field error', async () => {
    for (const password of ['Sh0rt!', 'alllowercaseletters', 'NoDigitsOrSymbols', `${'x'}Aa1!`.repeat(40)]) {
      const err = await failure(app.caller().auth.register({ username: unique('weak'), email: `${unique('w')}@example.com`, password }));
      expect(err.code, password).toBe('BAD_REQUEST');
    }
    const username = unique('named');
    const err = await failure(app.caller().auth.register({ username, email: `${unique('n')}@example.com`, password: `${username}-A1!` }));
    expect(err.code).toBe('BAD_REQUEST');
  });

  it('me needs a live token: none, unknown, expired, revoked and suspended all get UNAUTHORIZED', async () => {
    expect((await failure(app.caller().auth.me())).code).toBe('UNAUTHORIZED');
    expect((await failure(app.caller({ token: 'not-a-token' }).auth.me())).code).toBe('UNAUTHORIZED');

    const expired = await app.newUser();
    await app.sql(`update core.auth_sessions set created_at = now() - interval '2 days', expires_at = now() - interval '1 second' where user_id = $1`, [expired.id]);
    expect((await failure(app.caller({ token: expired.token }).auth.me())).code).toBe('UNAUTHORIZED');

    const revoked = await app.newUser();
    await app.sql(`update core.auth_sessions set revoked_at = now() where user_id = $1`, [revoked.id]);
    expect((await failure(app.caller({ token: revoked.token }).auth.me())).code).toBe('UNAUTHORIZED');

    const suspended = await app.newUser();
    await app.caller({ token: suspended.token }).auth.me();
    await app.sqlAsAdmin(`update core.users set status = 'SUSPENDED' where id = $1`, [suspended.id]);
    expect((await failure(app.caller({ token: suspended.token }).auth.me())).code).toBe('UNAUTHORIZED');
    // And a suspended user cannot log in again.
    expect((await failure(app.caller().auth.login({ email: suspended.email, password: PASSWORD }))).code).toBe('FORBIDDEN');
  });

  it('a role change takes effect on the next request', async () => {
    const user = await app.newUser();
    const probe = () => app.probe({ token: user.token });
    expect(await probe().whoami()).toMatchObject({ role: 'user' });
    const admin = await app.newAdmin();
    await app.probe({ token: admin.token }).sql([{ text: `update core.users set role = 'admin' where id = $1`, values: [user.id] }]);
    expect(await probe().whoami()).toMatchObject({ role: 'admin' });
  });
});

describe('core.users constraints', () => {
  it('email and username are unique ignoring case', async () => {
    const user = await app.newUser();
    const sameEmail = await failure(app.caller().auth.register({ username: unique('other'), email: user.email.toUpperCase(), password: PASSWORD }));
    expect(sameEmail.code).toBe('CONFLICT');
    expect(sameEmail.message).toBe('email is already registered');
    const sameName = await failure(app.caller().auth.register({ username: user.username.toUpperCase(), email: `${unique('x')}@example.com`, password: PASSWORD }));
    expect(sameName.code).toBe('CONFLICT');
    expect(sameName.message).toBe('username is already taken');
  });

  it('each CHECK rejects what it should', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ username: '' }, 'users_username_format'],
      [{ username: ' lead' }, 'users_username_format'],
      [{ username: 'trail\t' }, 'users_username_format'],
      [{ username: 'bell\u0007' }, 'users_username_format'],
      [{ username: 'x'.repeat(256) }, 'users_username_format'],
      [{ email: 'no-at-sign' }, 'users_email_format'],
      [{ email: `${'a'.repeat(250)}@example.com` }, 'users_email_format'],
      [{ password_hash: 'plaintext' }, 'users_password_hash_format'],
      [{ password_hash: '$2b$12$tooshort' }, 'users_password_hash_format'],
      [{ password_hash: '$2x$12$' + 'a'.repeat(53) }, 'users_password_hash_format'],
      [{ full_name: '' }, 'users_full_name_length'],
      [{ first_name: 'x'.repeat(256) }, 'users_first_name_length'],
      [{ last_name: '' }, 'users_last_name_length'],
      [{ bio: 'x'.repeat(5001) }, 'users_bio_length'],
      [{ avatar_url: 'javascript:alert(1)' }, 'users_avatar_url_format'],
      [{ role: 'root' }, 'users_role_check'],
      [{ status: 'DELETED' }, 'users_status_check'],
      [{ preferences: '[]' }, 'users_preferences_object'],
    ];
    for (const [columns, constraint] of cases) {
      expect(await insertUser(columns), constraint).toEqual({ code: '23514', constraint });
    }
    // The valid counterparts are accepted, so the cases above fail for the named reason only.
    await app.sql(
      `insert into core.users (username, email, password_hash, full_name, avatar_url, role, status, preferences)
       values ($1, $2, $3, 'Ada', 'https://example.com/a.png', 'admin', 'SUSPENDED', '{"theme": "dark"}')`,
      [unique('ok'), `${unique('ok')}@example.com`, HASH],
    );
    for (const [username, hash] of [
      [null, BCRYPT],
      ['a', HASH],
      ['Ana María 李', HASH],
      [`${'x'.repeat(254)}${unique('')}`.slice(-255), HASH],
    ] as const) {
      await app.sql(`insert into core.users (username, email, password_hash) values ($1, $2, $3)`, [username, `${unique('ok')}@example.com`, hash]);
    }
  });

  it('auth_sessions CHECKs and its cascade from users', async () => {
    const user = await app.newUser();
    const insert = (hash: string, expires: string, ua: string | null = null) =>
      app.sqlError(`insert into core.auth_sessions (user_id, token_hash, expires_at, user_agent) values ($1, decode($2, 'hex'), ${expires}, $3)`, [user.id, hash, ua]);
    expect(await insert('abcd', `now() + interval '1 day'`)).toEqual({ code: '23514', constraint: 'auth_sessions_token_hash_sha256' });
    expect(await insert('ab'.repeat(32), `now() - interval '1 day'`)).toEqual({ code: '23514', constraint: 'auth_sessions_expires_after_created' });
    expect(await insert('ab'.repeat(32), `now() + interval '1 day'`, 'x'.repeat(513))).toEqual({ code: '23514', constraint: 'auth_sessions_user_agent_length' });
    expect(
      await app.sqlError(`insert into core.auth_sessions (user_id, token_hash, expires_at) values (core.uuidv7(), decode($1, 'hex'), now() + interval '1 day')`, ['cd'.repeat(32)]),
    ).toEqual({ code: '23503', constraint: 'auth_sessions_user_id_fkey' });
    const { rows } = await app.sql(`select encode(token_hash, 'hex') as hash from core.auth_sessions where user_id = $1`, [user.id]);
    expect(
      await app.sqlError(`insert into core.auth_sessions (user_id, token_hash, expires_at) values ($1, decode($2, 'hex'), now() + interval '1 day')`, [user.id, rows[0]!.hash]),
    ).toEqual({ code: '23505', constraint: 'auth_sessions_token_hash_key' });

    await app.sql(`delete from core.users where id = $1`, [user.id]);
    const { rowCount } = await app.sql(`select 1 from core.auth_sessions where user_id = $1`, [user.id]);
    expect(rowCount).toBe(0);
  });

  it('updated_at is kept by the database on every update', async () => {
    const user = await app.newUser();
    const before = (await app.sql(`select updated_at from core.users where id = $1`, [user.id])).rows[0]!.updated_at as Date;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await app.probe({ token: user.token }).sql([{ text: `update core.users set bio = 'hello' where id = $1`, values: [user.id] }]);
    const after = (await app.sql(`select updated_at from core.users where id = $1`, [user.id])).rows[0]!.updated_at as Date;
    expect(after.getTime()).toBeGreaterThan(before.getTime());
  });
});

describe('usernames: the union of the seeds\' rules', () => {
  const register = (username: string | undefined, email = `${unique('name')}@example.com`) =>
    app.caller().auth.register({ ...(username === undefined ? {} : { username }), email, password: PASSWORD });

  it('registers without a username (seeds 000 and 003 sign in by email), as many accounts as need it', async () => {
    const first = await register(undefined);
    const second = await register(undefined);
    expect(first.username).toBeNull();
    expect(second.username).toBeNull();
    const { token } = await app.caller().auth.login({ email: first.email, password: PASSWORD });
    expect(await app.caller({ token }).auth.me()).toMatchObject({ id: first.id, username: null });
  });

  it('accepts what the seeds accept: up to 255 characters (seed 002), seed 004\'s email local parts, any script', async () => {
    const long = `${unique('s002')}${'y'.repeat(255)}`.slice(0, 255);
    expect((await register(long)).username).toBe(long);
    // Seed 004 derives usernames from the email: email.split('@')[0].
    const local = `${unique('Dev.Ops+cf')}`;
    expect((await register(local, `${local}@componentforge.com`)).username).toBe(local);
    for (const name of [unique('Ana María '), unique('李小龍'), unique('o\'brien&co')]) {
      expect((await register(name)).username).toBe(name);
    }
    // A one-character username is allowed, and does not make a password containing it weak.
    const single = unique('').slice(-1);
    await app.sql(`delete from core.users where username = $1`, [single]);
    expect((await register(single)).username).toBe(single);
  });

  it('refuses what no seed would show: blank, control characters, over 255; surrounding spaces are trimmed', async () => {
    for (const username of ['', '   ', 'tab\there', 'x'.repeat(256)]) {
      const err = await failure(register(username));
      expect(err.code, JSON.stringify(username)).toBe('BAD_REQUEST');
      expect((err.cause as unknown as { issues: Array<{ path: string[]; message: string }> }).issues).toEqual([
        expect.objectContaining({ path: ['username'], message: 'username must be 1-255 characters, without control characters or leading/trailing spaces' }),
      ]);
    }
    const padded = unique('padded');
    expect((await register(`  ${padded} `)).username).toBe(padded);
  });

  it('a username-less owner reads back as username null, typed so (ComponentForge\'s document owner)', async () => {
    const user = await register(undefined);
    const { token } = await app.caller().auth.login({ email: user.email, password: PASSWORD });
    const api = app.caller({ token }).componentforge.documents;
    const document = await api.create({ title: 'Owned', filename: 'o.pdf', filePath: '/uploads/o.pdf', contentType: 'application/pdf' });
    const full = await api.getFull({ id: document.id });
    expectTypeOf(full.owner.username).toEqualTypeOf<string | null>();
    expect(full.owner).toMatchObject({ id: user.id, username: null, email: user.email });
  });

  it('stays unique ignoring case when present, and the database says so too', async () => {
    const name = unique('Ärger');
    await register(name);
    const err = await failure(register(name.toUpperCase()));
    expect(err.code).toBe('CONFLICT');
    expect(err.message).toBe('username is already taken');
  });
});

describe('row-level security on core.users and core.auth_sessions', () => {
  it('a user sees only themselves; an admin sees everyone; anonymous sees nobody', async () => {
    const alice = await app.newUser();
    const bob = await app.newUser();
    const admin = await app.newAdmin();
    const ids = async (token?: string) =>
      (await rowsAs<{ id: string }>(app.probe({ token }), 'select id from core.users')).map((r) => r.id);
    expect(await ids(alice.token)).toEqual([alice.id]);
    expect(await ids()).toEqual([]);
    expect(await ids(admin.token)).toEqual(expect.arrayContaining([alice.id, bob.id, admin.id]));
    // Guessing an id does not help.
    expect(await rowsAs(app.probe({ token: alice.token }), 'select id from core.users where id = $1', [bob.id])).toEqual([]);
  });

  it('a user cannot update or delete another user; only an admin deletes', async () => {
    const alice = await app.newUser();
    const bob = await app.newUser();
    const admin = await app.newAdmin();
    const asAlice = app.probe({ token: alice.token });
    expect(await rowsAs(asAlice, `update core.users set bio = 'pwned' where id = $1 returning id`, [bob.id])).toEqual([]);
    expect(await rowsAs(asAlice, `update core.users set bio = 'mine' where id = $1 returning id`, [alice.id])).toEqual([{ id: alice.id }]);
    expect(await rowsAs(asAlice, `delete from core.users where id = $1 returning id`, [bob.id])).toEqual([]);
    expect(await rowsAs(asAlice, `delete from core.users where id = $1 returning id`, [alice.id])).toEqual([]);
    const { rows } = await app.sql(`select bio from core.users where id = $1`, [bob.id]);
    expect(rows[0]).toEqual({ bio: null });
    expect(await rowsAs(app.probe({ token: admin.token }), `delete from core.users where id = $1 returning id`, [bob.id])).toEqual([{ id: bob.id }]);
  });

  it('a user cannot create a row for another identity, nor make themselves admin at sign-up', async () => {
    const alice = await app.newUser();
    const insert = (id: string, role = 'user') => ({
      text: `insert into core.users (id, username, email, password_hash, role) values ($1, $2, $3, '${HASH}', $4)`,
      values: [id, unique('x'), `${unique('x')}@example.com`, role],
    });
    const otherId = '01900000-0000-7000-8000-0000000000aa';
    expect((await failure(app.probe({ token: alice.token }).sql([insert(otherId)]))).code).toBe('FORBIDDEN');
    expect((await failure(app.probe().sql([insert(otherId)]))).code).toBe('FORBIDDEN');
    const selfAdmin = await failure(
      app.probe().sql([{ text: `select core.act_as($1, 'user')`, values: [otherId] }, insert(otherId, 'admin')]),
    );
    expect(selfAdmin.code).toBe('FORBIDDEN');
  });

  it('only an admin changes role or status (guard trigger)', async () => {
    const alice = await app.newUser();
    const asAlice = app.probe({ token: alice.token });
    const promote = await failure(asAlice.sql([{ text: `update core.users set role = 'admin' where id = $1`, values: [alice.id] }]));
    expect(promote.code).toBe('FORBIDDEN');
    expect(promote.message).toBe("only an admin may change a user's role or status");
    expect((await failure(asAlice.sql([{ text: `update core.users set status = 'INACTIVE' where id = $1`, values: [alice.id] }]))).code).toBe('FORBIDDEN');
    const admin = await app.newAdmin();
    await app.probe({ token: admin.token }).sql([{ text: `update core.users set status = 'INACTIVE' where id = $1`, values: [alice.id] }]);
    expect((await app.sql(`select status from core.users where id = $1`, [alice.id])).rows[0]).toEqual({ status: 'INACTIVE' });
  });

  it('sessions: a user sees, revokes and deletes only their own; opens them only for themselves', async () => {
    const alice = await app.newUser();
    const bob = await app.newUser();
    const admin = await app.newAdmin();
    const asAlice = app.probe({ token: alice.token });
    expect((await rowsAs<{ userId: string }>(asAlice, 'select user_id from core.auth_sessions')).map((r) => r.userId)).toEqual([alice.id]);
    expect(await rowsAs(asAlice, `update core.auth_sessions set revoked_at = now() where user_id = $1 returning id`, [bob.id])).toEqual([]);
    expect(await rowsAs(asAlice, `delete from core.auth_sessions where user_id = $1 returning id`, [bob.id])).toEqual([]);
    const forge = await failure(
      asAlice.sql([{ text: `insert into core.auth_sessions (user_id, token_hash, expires_at) values ($1, decode(repeat('ef', 32), 'hex'), now() + interval '1 day')`, values: [bob.id] }]),
    );
    expect(forge.code).toBe('FORBIDDEN');
    // Bob's token still works: nothing of his was touched.
    await app.caller({ token: bob.token }).auth.me();
    const seenByAdmin = await rowsAs<{ userId: string }>(app.probe({ token: admin.token }), 'select user_id from core.auth_sessions');
    expect(seenByAdmin.map((r) => r.userId)).toEqual(expect.arrayContaining([alice.id, bob.id]));
    expect(await rowsAs(asAlice, `update core.auth_sessions set revoked_at = now() where user_id = $1 returning user_id`, [alice.id])).toEqual([{ userId: alice.id }]);
    expect((await failure(app.caller({ token: alice.token }).auth.me())).code).toBe('UNAUTHORIZED');
  });

  it('the request role cannot call the per-request setup again, nor read credentials directly', async () => {
    const alice = await app.newUser();
    const asAlice = app.probe({ token: alice.token });
    expect((await failure(asAlice.sql([{ text: `select * from core.begin_request(null, null, null, null)` }]))).code).toBe('FORBIDDEN');
    // The login lookup is the one deliberate cross-user read (it returns someone else's row,
    // which RLS alone would hide), and only that email's row.
    const bob = await app.newUser();
    expect(await rowsAs(asAlice, `select id from core.users where id = $1`, [bob.id])).toEqual([]);
    expect(await rowsAs(asAlice, `select id from core.login_lookup($1)`, [bob.email])).toEqual([{ id: bob.id }]);
  });
});
