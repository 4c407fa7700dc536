import { describe, expect, it } from 'vitest';
import { runMaintenance } from '../../src/db/maintenance.js';
import { PASSWORD, unique, useTestApp } from '../support/app.js';
import { codeOf, failure } from '../support/errors.js';
import { rowsAs } from '../support/probe.js';

const app = useTestApp();

interface AuditRow {
  action: string;
  actor_id: string | null;
  entity_table: string;
  ip_type: string;
  ip: string;
  user_agent: string | null;
  request_id: string | null;
  old_value: Record<string, unknown> | null;
  new_value: Record<string, unknown> | null;
}

async function auditOf(entityId: string): Promise<AuditRow[]> {
  const { rows } = await app.sql<AuditRow>(
    `select action, actor_id, entity_table, pg_typeof(ip)::text as ip_type, host(ip) as ip, user_agent, request_id, old_value, new_value
       from core.audit_log where entity_id = $1 order by occurred_at, id`,
    [entityId],
  );
  return rows;
}

describe('the audit trigger', () => {
  it('records insert, update and delete with the actor, the client ip as INET, user agent and request id; secrets redacted', async () => {
    const username = unique('audited');
    const email = `${username}@example.com`;
    const anonymous = app.caller({ clientIp: '198.51.100.23', userAgent: 'browser/1', requestId: 'req-register' });
    const user = await anonymous.auth.register({ username, email, password: PASSWORD });
    const { token } = await app.caller({ clientIp: '198.51.100.23', userAgent: 'browser/1' }).auth.login({ email, password: PASSWORD });
    await app.caller({ token, clientIp: '2001:db8::5', requestId: 'req-update' }).users.updateProfile({ bio: 'hi' });
    const admin = await app.newAdmin();
    await app.probe({ token: admin.token, clientIp: '192.0.2.99', requestId: 'req-delete' }).sql([{ text: 'delete from core.users where id = $1', values: [user.id] }]);

    const rows = await auditOf(user.id);
    const created = rows.find((r) => r.action === 'CREATE')!;
    expect(created).toMatchObject({ actor_id: user.id, entity_table: 'users', ip_type: 'inet', ip: '198.51.100.23', user_agent: 'browser/1', request_id: 'req-register' });
    expect(created.new_value).toMatchObject({ id: user.id, username, password_hash: '[redacted]' });
    expect(created.old_value).toBeNull();

    const updated = rows.find((r) => r.action === 'UPDATE' && r.request_id === 'req-update')!;
    expect(updated).toMatchObject({ actor_id: user.id, ip: '2001:db8::5' });
    expect(updated.old_value).toMatchObject({ bio: null, password_hash: '[redacted]' });
    expect(updated.new_value).toMatchObject({ bio: 'hi', password_hash: '[redacted]' });

    const deleted = rows.find((r) => r.action === 'DELETE')!;
    expect(deleted).toMatchObject({ actor_id: admin.id, ip: '192.0.2.99', request_id: 'req-delete', new_value: null });
    expect(deleted.old_value).toMatchObject({ id: user.id, bio: 'hi', password_hash: '[redacted]' });

    // Sessions: the token hash never reaches the log (and the user's deletion cascaded to them).
    const { rows: sessions } = await app.sql(`select action, old_value->>'token_hash' as old_hash, new_value->>'token_hash' as new_hash from core.audit_log where entity_table = 'auth_sessions' and (new_value->>'user_id' = $1 or old_value->>'user_id' = $1)`, [user.id]);
    expect(sessions.map((s) => s.action).sort()).toEqual(['CREATE', 'DELETE']);
    for (const s of sessions) expect([s.old_hash, s.new_hash].filter(Boolean)).toEqual(['[redacted]']);
    // Nothing anywhere in the log holds a hash.
    const { rows: leaks } = await app.sql(`select count(*)::int as n from core.audit_log where old_value::text like '%argon2id%' or new_value::text like '%argon2id%'`);
    expect(leaks[0]).toEqual({ n: 0 });
  });

  it('records named events: LOGIN, and LOGIN_FAILED even though the failed login is refused', async () => {
    const user = await app.newUser();
    expect(await codeOf(app.caller({ clientIp: '203.0.113.66' }).auth.login({ email: user.email, password: 'Wrong-Password-9' }))).toBe('UNAUTHORIZED');
    const { rows } = await app.sql(
      `select action, host(ip) as ip, details from core.audit_log where action in ('LOGIN', 'LOGIN_FAILED') and (entity_id = $1 or details->>'email' = $2) order by occurred_at`,
      [user.id, user.email],
    );
    expect(rows.map((r) => r.action)).toContain('LOGIN_FAILED');
    expect(rows.find((r) => r.action === 'LOGIN_FAILED')).toMatchObject({ ip: '203.0.113.66', details: { email: user.email, reason: 'bad credentials' } });
    const { rows: logins } = await app.sql(`select count(*)::int as n from core.audit_log where action = 'LOGIN' and actor_id = $1`, [user.id]);
    expect(logins[0]).toEqual({ n: 1 });
  });

  it('audit rows are immutable for the request role, even for an admin; and cannot be forged', async () => {
    const admin = await app.newAdmin();
    const probe = app.probe({ token: admin.token });
    expect(await codeOf(probe.sql([{ text: `update core.audit_log set action = 'LOGIN'` }]))).toBe('FORBIDDEN');
    expect(await codeOf(probe.sql([{ text: `delete from core.audit_log` }]))).toBe('FORBIDDEN');
    expect(await codeOf(probe.sql([{ text: `insert into core.audit_log (action) values ('CREATE')` }]))).toBe('FORBIDDEN');
    // Named events may be recorded, data-change rows only by the trigger.
    for (const action of ['CREATE', 'UPDATE', 'DELETE']) {
      const forged = await failure(probe.sql([{ text: `select core.audit_event($2, 'core', 'users', $1, null)`, values: [admin.id, action] }]));
      expect(forged.code, action).toBe('FORBIDDEN');
    }
    // Nor can the request role switch auditing off or drop history.
    expect(await codeOf(probe.sql([{ text: `select core.detach_audit('core.users')` }]))).toBe('FORBIDDEN');
    expect(await codeOf(probe.sql([{ text: `select core.audit_log_drop_partitions(now() + interval '10 years')` }]))).toBe('FORBIDDEN');
  });

  it('only admins read the log', async () => {
    const user = await app.newUser();
    expect(await codeOf(app.caller({ token: user.token }).audit.list({}))).toBe('FORBIDDEN');
    const [rows] = await app.probe({ token: user.token }).sql([{ text: 'select count(*)::int as n from core.audit_log' }]);
    expect(rows).toEqual([{ n: 0 }]);
  });
});

describe('audit.list', () => {
  it('filters by actor, entity, action and time range', async () => {
    const admin = await app.newAdmin();
    const user = await app.newUser();
    await app.caller({ token: user.token }).users.updateProfile({ fullName: 'Filtered' });
    const api = app.caller({ token: admin.token });
    const byActor = await api.audit.list({ actorId: user.id, limit: 200 });
    expect(byActor.items.length).toBeGreaterThan(0);
    expect(byActor.items.every((e) => e.actorId === user.id)).toBe(true);
    const updates = await api.audit.list({ entitySchema: 'core', entityTable: 'users', entityId: user.id, action: 'UPDATE' });
    expect(updates.items.some((e) => (e.newValue as { full_name?: string }).full_name === 'Filtered')).toBe(true);
    expect(updates.items.every((e) => e.action === 'UPDATE' && e.entityId === user.id)).toBe(true);
    const future = await api.audit.list({ from: new Date(Date.now() + 3_600_000) });
    expect(future.items).toEqual([]);
    const past = await api.audit.list({ to: new Date(Date.now() - 3_600_000) });
    expect(past.items).toEqual([]);
    expect(await codeOf(api.audit.list({ action: 'EXPLODE' as 'LOGIN' }))).toBe('BAD_REQUEST');
  });

  it('pages newest first, every entry exactly once, while new entries keep arriving', async () => {
    const admin = await app.newAdmin();
    const api = app.caller({ token: admin.token });
    const user = await app.newUser();
    for (let i = 0; i < 25; i++) await app.caller({ token: user.token }).users.updateProfile({ bio: `v${i}` });
    const before = await app.sql<{ id: string }>(`select id from core.audit_log where actor_id = $1`, [user.id]);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const result = await api.audit.list({ actorId: user.id, cursor, limit: 4 });
      seen.push(...result.items.map((e) => e.id));
      // Concurrent writes land at the head of the list, never inside the pages still to come.
      await app.caller({ token: user.token }).users.updateProfile({ bio: `during page ${pages}` });
      cursor = result.nextCursor ?? undefined;
      pages += 1;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(before.rows.map((r) => r.id)));
    expect(pages).toBeGreaterThan(5);
  });
});

describe('audit partitions', () => {
  it('rows land in their month\'s partition, and retention drops whole old months', async () => {
    const user = await app.newUser();
    const { rows } = await app.sql(`select distinct tableoid::regclass::text as partition from core.audit_log where actor_id = $1`, [user.id]);
    const now = new Date();
    const expected = `core.audit_log_y${now.getUTCFullYear()}m${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    expect(rows.map((r) => r.partition)).toEqual([expected]);

    // An old month, with a row in it.
    await app.sql(`select core.audit_log_create_partitions(date '2020-01-01', 1)`);
    await app.sql(`insert into core.audit_log (occurred_at, action) values ('2020-01-15', 'LOGIN')`);
    const result = await runMaintenance(app.pool, { AUDIT_RETENTION_MONTHS: 24 });
    expect(result.partitionsDropped).toEqual(['audit_log_y2020m01']);
    expect((await app.sql(`select 1 from core.audit_log where occurred_at < '2021-01-01'`)).rowCount).toBe(0);
    // Months ahead exist, so the default partition stays empty.
    const { rows: ahead } = await app.sql(
      `select count(*)::int as n from pg_inherits where inhparent = 'core.audit_log'::regclass
         and inhrelid::regclass::text > $1`,
      [expected],
    );
    expect(ahead[0]!.n).toBeGreaterThanOrEqual(3);
    expect((await app.sql('select count(*)::int as n from core.audit_log_default')).rows[0]).toEqual({ n: 0 });
    // Retention 0 keeps everything.
    expect((await runMaintenance(app.pool, { AUDIT_RETENTION_MONTHS: 0 })).partitionsDropped).toEqual([]);
  });
});

describe('named events have owners: each is written only with the action it names', () => {
  const event = (action: string, table: string | null, id: string | null, details: unknown = null) => ({
    text: `select core.audit_event($1, $2, $3, $4, $5)`,
    values: [action, table ? 'core' : null, table, id, details],
  });
  const forgedAdmin = (userId: string, sessionId: string | null = null) => ({
    text: `select set_config('app.user_id', $1, true), set_config('app.user_role', 'admin', true), set_config('app.session_id', coalesce($2, ''), true)`,
    values: [userId, sessionId],
  });
  const countOf = async (actions: string[]) =>
    (await app.sql<{ n: number }>(`select count(*)::int as n from core.audit_log where action = any($1)`, [actions])).rows[0]!.n;

  it('forging LOGIN, LOGOUT, SESSION_REVOKE, PASSWORD_CHANGE, LOGIN_FAILED or CONFIG_REVEAL as app_request fails with 42501', async () => {
    const user = await app.newUser();
    const victim = await app.newUser();
    const { rows } = await app.sql<{ id: string }>(`select id from core.auth_sessions where user_id = $1`, [victim.id]);
    const victimSession = rows[0]!.id;
    const setting = await app.caller({ token: (await app.newAdmin()).token }).config.set({ key: unique('vault.key'), type: 'string', value: 's3cret', isSensitive: true });
    const { rows: settings } = await app.sql<{ id: string }>(`select id from core.system_configurations where config_key = $1`, [setting.key]);
    const settingId = settings[0]!.id;
    const actions = ['LOGIN', 'LOGOUT', 'SESSION_REVOKE', 'PASSWORD_CHANGE', 'LOGIN_FAILED', 'CONFIG_REVEAL'];
    const before = await countOf(actions);

    const attempts: Array<[string, ReturnType<typeof app.probe>, Array<{ text: string; values?: unknown[] }>]> = [
      // A LOGIN for a session that exists, but was not opened in this transaction.
      ['LOGIN as the victim', app.probe(), [forgedAdmin(victim.id, victimSession), event('LOGIN', 'auth_sessions', victimSession)]],
      ['LOGIN for an invented session', app.probe({ token: user.token }), [event('LOGIN', 'auth_sessions', '01900000-0000-7000-8000-000000000001')]],
      ['LOGOUT without revoking', app.probe(), [forgedAdmin(victim.id, victimSession), event('LOGOUT', 'auth_sessions', victimSession)]],
      ['SESSION_REVOKE without revoking', app.probe(), [forgedAdmin(victim.id), event('SESSION_REVOKE', 'auth_sessions', null)]],
      ['PASSWORD_CHANGE without a change', app.probe(), [forgedAdmin(victim.id), event('PASSWORD_CHANGE', 'users', victim.id)]],
      ['LOGIN_FAILED while acting as someone', app.probe({ token: user.token }), [event('LOGIN_FAILED', 'users', victim.id, { email: victim.email })]],
      // CONFIG_REVEAL belongs to core.config_reveal alone, even for a (forged) admin.
      ['CONFIG_REVEAL', app.probe(), [forgedAdmin(user.id), event('CONFIG_REVEAL', 'system_configurations', settingId, { key: setting.key })]],
      ['an unknown event', app.probe({ token: user.token }), [event('LOGIN_SUCCEEDED', null, null)]],
    ];
    for (const [name, probe, statements] of attempts) {
      const err = await failure(probe.sql(statements));
      expect(err.code, name).toBe('FORBIDDEN');
      expect((err.cause as { sqlState?: string }).sqlState, name).toBe('42501');
    }
    expect(await countOf(actions)).toBe(before);
  });

  it('with its action in the same transaction, the event is recorded; the procedures write theirs', async () => {
    const user = await app.newUser();
    const second = await app.caller().auth.login({ email: user.email, password: PASSWORD });
    // The action, then its event: a revoked session of the acting user.
    await app.probe({ token: user.token }).sql([
      { text: `update core.auth_sessions set revoked_at = now() where id = $1`, values: [second.sessionId] },
      event('SESSION_REVOKE', 'auth_sessions', second.sessionId),
    ]);
    const api = app.caller({ token: user.token });
    await api.auth.changePassword({ currentPassword: PASSWORD, newPassword: 'Changed-Secret-31' });
    await api.auth.logout();
    const { rows } = await app.sql<{ action: string }>(
      `select action from core.audit_log where actor_id = $1 and action in ('LOGIN', 'SESSION_REVOKE', 'PASSWORD_CHANGE', 'LOGOUT') order by occurred_at, id`,
      [user.id],
    );
    expect(rows.map((r) => r.action)).toEqual(['LOGIN', 'LOGIN', 'SESSION_REVOKE', 'PASSWORD_CHANGE', 'LOGOUT']);
  });

  it('core.config_reveal hands a sensitive value only to an admin, and always with its CONFIG_REVEAL', async () => {
    const admin = await app.newAdmin();
    const user = await app.newUser();
    const adminApi = app.caller({ token: admin.token });
    const secret = await adminApi.config.set({ key: unique('reveal.secret'), type: 'string', value: 'hidden', isSensitive: true });
    const plain = await adminApi.config.set({ key: unique('reveal.plain'), type: 'string', value: 'open' });
    const idOf = async (key: string) => (await app.sql<{ id: string }>(`select id from core.system_configurations where config_key = $1`, [key])).rows[0]!.id;
    const reveal = (probe: ReturnType<typeof app.probe>, id: string) => rowsAs<{ value: string }>(probe, 'select core.config_reveal($1) as value', [id]);
    const reveals = async () => (await app.sql<{ n: number }>(`select count(*)::int as n from core.audit_log where action = 'CONFIG_REVEAL' and actor_id = $1`, [admin.id])).rows[0]!.n;

    expect(await codeOf(reveal(app.probe({ token: user.token }), await idOf(secret.key)))).toBe('FORBIDDEN');
    expect(await codeOf(reveal(app.probe({ token: admin.token }), await idOf(plain.key)))).toBe('FORBIDDEN');
    expect(await reveals()).toBe(0);
    const [row] = await reveal(app.probe({ token: admin.token }), await idOf(secret.key));
    expect(row!.value).toMatch(/^enc:v1:/);
    expect(await reveals()).toBe(1);
    expect((await adminApi.config.reveal({ key: secret.key })).value).toBe('hidden');
    expect(await reveals()).toBe(2);
  });
});

describe('audit.list filter shapes', () => {
  it('each combination of filters (one statement per indexed shape) pages exactly the matching rows, newest first, ties by id, within [from, to)', async () => {
    const admin = await app.newAdmin();
    const api = app.caller({ token: admin.token });
    // 36 rows an hour ago, two per second (ties on occurred_at), away from what other tests write.
    const base = new Date(Date.now() - 3_600_000);
    base.setUTCMilliseconds(0);
    const actors = ['01900000-0000-7000-8000-0000000000a1', '01900000-0000-7000-8000-0000000000a2', '01900000-0000-7000-8000-0000000000a3'];
    const entities = Array.from({ length: 4 }, (_, i) => `01900000-0000-7000-8000-0000000000e${i}`);
    const { rows } = await app.sql<{ id: string; at: Date; actor_id: string; action: string; entity_schema: string; entity_table: string; entity_id: string }>(
      `insert into core.audit_log (occurred_at, actor_id, actor_role, action, entity_schema, entity_table, entity_id)
       select $1::timestamptz - (i / 2) * interval '1 second', ($2::uuid[])[1 + i % 3], 'user',
              (array['CREATE', 'UPDATE', 'DELETE'])[1 + (i / 2) % 3], 'shape_s' || (i % 2), 't' || ((i / 4) % 3), ($3::uuid[])[1 + i % 4]
         from generate_series(0, 35) i
       returning id, occurred_at as at, actor_id, action, entity_schema, entity_table, entity_id`,
      [base, actors, entities],
    );
    const newestFirst = [...rows].sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : -1));
    const from = new Date(base.getTime() - 17_000);
    const to = new Date(base.getTime() - 2_000); // exclusive: the two rows at exactly `to` are left out
    type Filters = { actorId?: string; entitySchema?: string; entityTable?: string; entityId?: string; action?: 'CREATE' | 'UPDATE' | 'DELETE' };
    const shapes: Filters[] = [
      {},
      { actorId: actors[0] },
      { actorId: actors[1], action: 'DELETE', entityTable: 't2' },
      { entityId: entities[2] },
      { entityId: entities[1], actorId: actors[0], entitySchema: 'shape_s1' },
      { entitySchema: 'shape_s0', entityTable: 't2' },
      { entitySchema: 'shape_s1', entityTable: 't1', action: 'DELETE' },
      { action: 'CREATE' },
      { action: 'UPDATE', entitySchema: 'shape_s0' },
      { entitySchema: 'shape_s1' },
      { entityTable: 't2' },
    ];
    for (const filters of shapes) {
      const expected = newestFirst
        .filter((r) => r.at >= from && r.at < to)
        .filter((r) => (filters.actorId ?? r.actor_id) === r.actor_id && (filters.action ?? r.action) === r.action)
        .filter((r) => (filters.entitySchema ?? r.entity_schema) === r.entity_schema && (filters.entityTable ?? r.entity_table) === r.entity_table)
        .filter((r) => (filters.entityId ?? r.entity_id) === r.entity_id)
        .map((r) => r.id);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const result = await api.audit.list({ ...filters, from, to, cursor, limit: 3 });
        seen.push(...result.items.map((e) => e.id));
        cursor = result.nextCursor ?? undefined;
      } while (cursor);
      expect(seen, JSON.stringify(filters)).toEqual(expected);
      expect(expected.length, JSON.stringify(filters)).toBeGreaterThan(0);
    }
    // The whole window, unfiltered: 15 seconds of two rows each.
    expect((await api.audit.list({ from, to, limit: 200 })).items).toHaveLength(30);
    // A cursor past `to` does not widen the range, one before it narrows it.
    const firstPage = await api.audit.list({ from, to, limit: 5 });
    const rest = await api.audit.list({ from, to, cursor: firstPage.nextCursor!, limit: 200 });
    expect([...firstPage.items, ...rest.items].map((e) => e.id)).toEqual(newestFirst.filter((r) => r.at >= from && r.at < to).map((r) => r.id));
  });
});
