import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { runMaintenance } from '../../src/db/maintenance.js';
import { PASSWORD, unique, useTestApp } from '../support/app.js';
import { codeOf, failure } from '../support/errors.js';

const app = useTestApp();

async function login(email: string, password = PASSWORD, clientIp = '192.0.2.10') {
  return app.caller({ clientIp, userAgent: `agent-${clientIp}` }).auth.login({ email, password });
}

describe('auth sessions', () => {
  it('lists the caller\'s live sessions, marks the current one, and revokes one', async () => {
    const user = await app.newUser();
    const second = await login(user.email, PASSWORD, '192.0.2.77');
    const sessions = await app.caller({ token: user.token }).auth.sessions.list();
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    expect(sessions.find((s) => s.id === second.sessionId)).toMatchObject({ ip: '192.0.2.77', userAgent: 'agent-192.0.2.77', current: false });

    await app.caller({ token: user.token }).auth.sessions.revoke({ sessionId: second.sessionId });
    expect(await codeOf(app.caller({ token: second.token }).auth.me())).toBe('UNAUTHORIZED');
    expect(await app.caller({ token: user.token }).auth.sessions.list()).toHaveLength(1);
    // Revoking it again, or someone else's, finds nothing.
    expect(await codeOf(app.caller({ token: user.token }).auth.sessions.revoke({ sessionId: second.sessionId }))).toBe('NOT_FOUND');
    const other = await app.newUser();
    const [otherSession] = await app.caller({ token: other.token }).auth.sessions.list();
    expect(await codeOf(app.caller({ token: user.token }).auth.sessions.revoke({ sessionId: otherSession!.id }))).toBe('NOT_FOUND');
    await app.caller({ token: other.token }).auth.me();
  });

  it('revokeOthers keeps only the current session', async () => {
    const user = await app.newUser();
    const a = await login(user.email);
    const b = await login(user.email);
    expect(await app.caller({ token: user.token }).auth.sessions.revokeOthers()).toEqual({ sessionsRevoked: 2 });
    expect(await codeOf(app.caller({ token: a.token }).auth.me())).toBe('UNAUTHORIZED');
    expect(await codeOf(app.caller({ token: b.token }).auth.me())).toBe('UNAUTHORIZED');
    expect(await codeOf(app.caller({ token: user.token }).auth.me())).toBe('OK');
  });

  it('logout ends the current session only', async () => {
    const user = await app.newUser();
    const other = await login(user.email);
    await app.caller({ token: user.token }).auth.logout();
    expect(await codeOf(app.caller({ token: user.token }).auth.me())).toBe('UNAUTHORIZED');
    expect(await codeOf(app.caller({ token: other.token }).auth.me())).toBe('OK');
  });

  it('changePassword checks the current password and the strength rule, then revokes the other sessions', async () => {
    const user = await app.newUser();
    const other = await login(user.email);
    const me = app.caller({ token: user.token });
    const wrong = await failure(me.auth.changePassword({ currentPassword: 'Not-The-Password-1', newPassword: 'Brand-New-Secret-9' }));
    expect(wrong).toMatchObject({ code: 'BAD_REQUEST', message: 'currentPassword is incorrect' });
    expect(await codeOf(me.auth.changePassword({ currentPassword: PASSWORD, newPassword: 'weak' }))).toBe('BAD_REQUEST');

    expect(await me.auth.changePassword({ currentPassword: PASSWORD, newPassword: 'Brand-New-Secret-9' })).toEqual({ sessionsRevoked: 1 });
    expect(await codeOf(app.caller({ token: other.token }).auth.me())).toBe('UNAUTHORIZED');
    expect(await codeOf(me.auth.me())).toBe('OK');
    expect(await codeOf(login(user.email, PASSWORD))).toBe('UNAUTHORIZED');
    expect(await codeOf(login(user.email, 'Brand-New-Secret-9'))).toBe('OK');
  });
});

describe('login throttling (core.api_rate_limits)', () => {
  it('refuses the attempt after the per-email limit with the retry time, counts failures too, and resets after the window', async () => {
    const user = await app.newUser(); // one successful login already counted
    const limit = app.services.config.LOGIN_LIMIT_PER_EMAIL;
    for (let i = 1; i < limit; i++) {
      expect(await codeOf(login(user.email, 'Wrong-Password-1'))).toBe('UNAUTHORIZED');
    }
    const limited = await failure(login(user.email));
    expect(limited).toBeInstanceOf(TRPCError);
    expect((limited as TRPCError).code).toBe('TOO_MANY_REQUESTS');
    expect((limited as TRPCError).message).toMatch(/try again in \d+ s/);
    // Even the right password is refused until the window ends.
    expect(await codeOf(login(user.email))).toBe('TOO_MANY_REQUESTS');
    // Other emails from the same ip are not affected by this email's counter.
    const other = await app.newUser();
    expect(await codeOf(login(other.email))).toBe('OK');

    // The window passes: move this email's counters into the past.
    await app.sql(`update core.api_rate_limits set window_start = window_start - interval '1 hour' where subject = $1`, [`email:${user.email.toLowerCase()}`]);
    expect(await codeOf(login(user.email))).toBe('OK');
  });

  it('also limits per client ip, whatever the email', async () => {
    const ip = '198.51.100.200';
    const tight = () => app.caller({ clientIp: ip }, { LOGIN_LIMIT_PER_IP: 3 });
    for (let i = 0; i < 3; i++) {
      expect(await codeOf(tight().auth.login({ email: `${unique('nobody')}@example.com`, password: PASSWORD }))).toBe('UNAUTHORIZED');
    }
    expect(await codeOf(tight().auth.login({ email: `${unique('nobody')}@example.com`, password: PASSWORD }))).toBe('TOO_MANY_REQUESTS');
    // Other procedures are not throttled by it.
    expect(await codeOf(app.caller({ clientIp: ip }).auth.me())).toBe('UNAUTHORIZED');
  });

  it('counts concurrent attempts exactly (one atomic upsert per hit)', async () => {
    const email = `${unique('burst')}@example.com`;
    await Promise.all(
      Array.from({ length: 40 }, () =>
        app.caller({ clientIp: '203.0.113.50' }, { LOGIN_LIMIT_PER_EMAIL: 1000 }).auth.login({ email, password: PASSWORD }).catch(() => undefined),
      ),
    );
    const { rows } = await app.sql(`select sum(request_count)::int as n from core.api_rate_limits where subject = $1`, [`email:${email}`]);
    expect(rows[0]).toEqual({ n: 40 });
  });

  it('maintenance purges ended windows and keeps current ones', async () => {
    await login(`${unique('x')}@example.com`).catch(() => undefined);
    await app.sql(
      `insert into core.api_rate_limits (endpoint, subject, request_count, window_start) values ('auth.login', 'ip:old', 3, now() - interval '3 days')`,
    );
    const result = await runMaintenance(app.pool, { AUDIT_RETENTION_MONTHS: 0 });
    expect(result.rateLimitWindowsPurged).toBeGreaterThanOrEqual(1);
    expect((await app.sql(`select 1 from core.api_rate_limits where subject = 'ip:old'`)).rowCount).toBe(0);
    expect((await app.sql(`select 1 from core.api_rate_limits where window_start > now() - interval '1 hour'`)).rowCount).toBeGreaterThan(0);
  });

  it('the request role cannot touch the counters directly; admins may read them', async () => {
    const user = await app.newUser();
    const admin = await app.newAdmin();
    const [read] = await app.probe({ token: user.token }).sql([{ text: 'select count(*)::int as n from core.api_rate_limits' }]);
    expect(read).toEqual([{ n: 0 }]);
    const [adminRead] = await app.probe({ token: admin.token }).sql([{ text: 'select count(*)::int as n from core.api_rate_limits' }]);
    expect((adminRead![0] as { n: number }).n).toBeGreaterThan(0);
    expect(await codeOf(app.probe({ token: admin.token }).sql([{ text: `delete from core.api_rate_limits` }]))).toBe('FORBIDDEN');
    expect(await codeOf(app.probe({ token: user.token }).sql([{ text: `select * from core.rate_limit_hit('x', 'y', null, 60)` }]))).toBe('FORBIDDEN');
  });

  it('the counters\' CHECKs hold, and a user\'s counters go with the user', async () => {
    const insert = (endpoint: string, subject: string, count: number) =>
      app.sqlError(`insert into core.api_rate_limits (endpoint, subject, request_count, window_start) values ($1, $2, $3, now())`, [endpoint, subject, count]);
    expect(await insert('', 'ip:x', 1)).toEqual({ code: '23514', constraint: 'api_rate_limits_endpoint_length' });
    expect(await insert('e', 'x'.repeat(301), 1)).toEqual({ code: '23514', constraint: 'api_rate_limits_subject_length' });
    expect(await insert('e', 'ip:x', -1)).toEqual({ code: '23514', constraint: 'api_rate_limits_request_count_nonnegative' });
    const user = await app.newUser();
    await app.sql(`insert into core.api_rate_limits (user_id, endpoint, subject, request_count, window_start) values ($1, 'e', $2, 1, now())`, [user.id, `session:${user.id}`]);
    await app.sql(`delete from core.users where id = $1`, [user.id]);
    expect((await app.sql(`select 1 from core.api_rate_limits where user_id = $1`, [user.id])).rowCount).toBe(0);
  });
});

describe('registration throttling (core.api_rate_limits)', () => {
  it('refuses registrations from an ip over its limit with the retry time, counts refused ones too, and resets after the window', async () => {
    const ip = '198.51.100.220';
    const register = (email: string, password = PASSWORD) =>
      app.caller({ clientIp: ip }, { REGISTER_LIMIT_PER_IP: 3, REGISTER_LIMIT_WINDOW_SECONDS: 3600 }).auth.register({ email, password });
    // A refused registration (weak password) counts like any other.
    expect(await codeOf(register(`${unique('weak')}@example.com`, 'weak'))).toBe('BAD_REQUEST');
    await register(`${unique('first')}@example.com`);
    await register(`${unique('second')}@example.com`);

    const blockedEmail = `${unique('blocked')}@example.com`;
    const err = await failure(register(blockedEmail));
    expect(err.code).toBe('TOO_MANY_REQUESTS');
    expect(err.message).toMatch(/^Too many requests; try again in \d+ s$/);
    const retryAfter = (err.cause as { retryAfterSeconds?: number }).retryAfterSeconds!;
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    // Nothing was written for the refused call.
    expect((await app.sql(`select 1 from core.users where email = $1`, [blockedEmail])).rowCount).toBe(0);

    // Another address is not affected, and neither is login from this one.
    expect(await codeOf(app.caller({ clientIp: '198.51.100.221' }, { REGISTER_LIMIT_PER_IP: 3 }).auth.register({ email: `${unique('other')}@example.com`, password: PASSWORD }))).toBe('OK');
    const user = await app.newUser();
    expect(await codeOf(app.caller({ clientIp: ip }).auth.login({ email: user.email, password: PASSWORD }))).toBe('OK');

    // The window passes.
    await app.sql(`update core.api_rate_limits set window_start = window_start - interval '2 hours' where endpoint = 'auth.register' and subject = $1`, [`ip:${ip}`]);
    expect(await codeOf(register(blockedEmail))).toBe('OK');
  });
});
