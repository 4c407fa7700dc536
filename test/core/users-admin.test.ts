import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { unique, useTestApp } from '../support/app.js';
import { codeOf, failure } from '../support/errors.js';

const app = useTestApp();

describe('users.updateProfile', () => {
  it('changes the fields given, clears those set to null, and keeps the rest', async () => {
    const user = await app.newUser();
    const me = app.caller({ token: user.token });
    const updated = await me.users.updateProfile({ fullName: 'Ada Lovelace', bio: 'Engines', avatarUrl: 'https://example.com/a.png', preferences: { theme: 'dark', panes: [1, 2] } });
    expect(updated).toMatchObject({ fullName: 'Ada Lovelace', bio: 'Engines', avatarUrl: 'https://example.com/a.png', preferences: { theme: 'dark', panes: [1, 2] } });
    const cleared = await me.users.updateProfile({ bio: null });
    expect(cleared).toMatchObject({ fullName: 'Ada Lovelace', bio: null, avatarUrl: 'https://example.com/a.png' });
  });

  it('refuses bad values and fields a user may not set', async () => {
    const user = await app.newUser();
    const me = app.caller({ token: user.token });
    const bad = await failure(me.users.updateProfile({ avatarUrl: 'javascript:alert(1)' }));
    expect(bad).toMatchObject({ code: 'BAD_REQUEST' });
    expect(await codeOf(me.users.updateProfile({ role: 'admin' } as never))).toBe('BAD_REQUEST');
    expect(await codeOf(me.users.updateProfile({ fullName: '' }))).toBe('BAD_REQUEST');
    expect(await codeOf(app.caller().users.updateProfile({ bio: 'x' }))).toBe('UNAUTHORIZED');
  });
});

describe('admin user management', () => {
  it('is for admins only', async () => {
    const user = await app.newUser();
    const asUser = app.caller({ token: user.token });
    expect(await codeOf(asUser.users.list({}))).toBe('FORBIDDEN');
    expect(await codeOf(asUser.users.get({ id: user.id }))).toBe('FORBIDDEN');
    expect(await codeOf(asUser.users.getByEmail({ email: user.email }))).toBe('FORBIDDEN');
    expect(await codeOf(asUser.users.setStatus({ id: user.id, status: 'SUSPENDED' }))).toBe('FORBIDDEN');
    expect(await codeOf(asUser.users.setRole({ id: user.id, role: 'admin' }))).toBe('FORBIDDEN');
  });

  it('gets a user by id and by email (ignoring case); a missing one is NOT_FOUND naming it', async () => {
    const admin = await app.newAdmin();
    const user = await app.newUser();
    const api = app.caller({ token: admin.token });
    expect((await api.users.get({ id: user.id })).email).toBe(user.email);
    expect((await api.users.getByEmail({ email: user.email.toUpperCase() })).id).toBe(user.id);
    const missing = await failure(api.users.get({ id: '01900000-0000-7000-8000-00000000dead' }));
    expect(missing).toMatchObject({ code: 'NOT_FOUND', message: 'user 01900000-0000-7000-8000-00000000dead not found' });
    expect(await codeOf(api.users.get({ id: 'not-a-uuid' }))).toBe('BAD_REQUEST');
  });

  it('suspending a user stops their tokens at once; reactivating lets them log in again', async () => {
    const admin = await app.newAdmin();
    const user = await app.newUser();
    const api = app.caller({ token: admin.token });
    expect((await api.users.setStatus({ id: user.id, status: 'SUSPENDED' })).status).toBe('SUSPENDED');
    expect(await codeOf(app.caller({ token: user.token }).auth.me())).toBe('UNAUTHORIZED');
    expect(await codeOf(app.caller().auth.login({ email: user.email, password: 'Correct-Horse-42' }))).toBe('FORBIDDEN');
    await api.users.setStatus({ id: user.id, status: 'ACTIVE' });
    // The old token was revoked with the suspension; a new login works.
    expect(await codeOf(app.caller({ token: user.token }).auth.me())).toBe('UNAUTHORIZED');
    const again = await app.caller().auth.login({ email: user.email, password: 'Correct-Horse-42' });
    expect(await codeOf(app.caller({ token: again.token }).auth.me())).toBe('OK');
    expect(await codeOf(api.users.setStatus({ id: admin.id, status: 'SUSPENDED' }))).toBe('BAD_REQUEST');
    expect(await codeOf(api.users.setStatus({ id: user.id, status: 'GONE' as 'ACTIVE' }))).toBe('BAD_REQUEST');
  });

  it('changes a role, which takes effect on the next request', async () => {
    const admin = await app.newAdmin();
    const user = await app.newUser();
    const api = app.caller({ token: admin.token });
    await api.users.setRole({ id: user.id, role: 'admin' });
    expect(await codeOf(app.caller({ token: user.token }).users.list({}))).toBe('OK');
    await api.users.setRole({ id: user.id, role: 'user' });
    expect(await codeOf(app.caller({ token: user.token }).users.list({}))).toBe('FORBIDDEN');
    expect(await codeOf(api.users.setRole({ id: admin.id, role: 'user' }))).toBe('BAD_REQUEST');
  });

  it('filters by status, role and an email/username prefix (LIKE characters taken literally)', async () => {
    const admin = await app.newAdmin();
    const api = app.caller({ token: admin.token });
    const tag = unique('pfx').toLowerCase();
    const a = await app.newUser({ username: `${tag}_a` });
    const b = await app.newUser({ username: `${tag}_b` });
    await app.newUser({ username: `${tag}xa` });
    await api.users.setStatus({ id: b.id, status: 'INACTIVE' });
    const byPrefix = await api.users.list({ search: `${tag}_`, limit: 200 });
    expect(byPrefix.items.map((u) => u.id).sort()).toEqual([a.id, b.id].sort());
    const inactive = await api.users.list({ search: tag.toUpperCase(), status: 'INACTIVE', limit: 200 });
    expect(inactive.items.map((u) => u.id)).toEqual([b.id]);
    const admins = await api.users.list({ role: 'admin', limit: 200 });
    expect(admins.items.every((u) => u.role === 'admin')).toBe(true);
    expect(await codeOf(api.users.list({ limit: 0 }))).toBe('BAD_REQUEST');
    expect(await codeOf(api.users.list({ limit: 201 }))).toBe('BAD_REQUEST');
  });

  it('keyset pagination returns every user exactly once while users are inserted concurrently', async () => {
    const admin = await app.newAdmin();
    const api = app.caller({ token: admin.token });
    for (let i = 0; i < 12; i++) await app.newUser();
    const existing = (await app.sql<{ id: string }>('select id from core.users')).rows.map((r) => r.id);

    const seen: string[] = [];
    let cursor: string | undefined;
    const inserting: Promise<unknown>[] = [];
    do {
      const result = await api.users.list({ cursor, limit: 3 });
      seen.push(...result.items.map((u) => u.id));
      inserting.push(app.newUser());
      cursor = result.nextCursor ?? undefined;
    } while (cursor);
    await Promise.all(inserting);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(existing));
    // Newest first (seed 004's get_active_users): users created during the walk are newer than the cursor.
    expect([...seen].sort().reverse()).toEqual(seen);
  });
});
