import { describe, expect, it } from 'vitest';
import { decryptValue, encryptValue } from '../../src/auth/encryption.js';
import { unique, useTestApp } from '../support/app.js';
import { codeOf } from '../support/errors.js';

const app = useTestApp();

describe('system configuration', () => {
  it('stores typed values and reads them back typed', async () => {
    const admin = await app.newAdmin();
    const api = app.caller({ token: admin.token });
    await api.config.set({ key: 'site.name', type: 'string', value: 'Forge' });
    await api.config.set({ key: 'upload.max_mb', type: 'integer', value: 25 });
    await api.config.set({ key: 'signup.open', type: 'boolean', value: false });
    await api.config.set({ key: 'ui.defaults', type: 'json', value: { theme: 'dark', sizes: [1, 2] } });
    expect((await api.config.get({ key: 'site.name' })).value).toBe('Forge');
    expect((await api.config.get({ key: 'upload.max_mb' })).value).toBe(25);
    expect((await api.config.get({ key: 'signup.open' })).value).toBe(false);
    expect((await api.config.get({ key: 'ui.defaults' })).value).toEqual({ theme: 'dark', sizes: [1, 2] });
  });

  it('refuses a value that does not match its type, in the API and in the database', async () => {
    const admin = await app.newAdmin();
    const api = app.caller({ token: admin.token });
    expect(await codeOf(api.config.set({ key: 'bad.int', type: 'integer', value: 'twelve' as unknown as number }))).toBe('BAD_REQUEST');
    expect(await codeOf(api.config.set({ key: 'bad.int', type: 'integer', value: '99999999999999999999' }))).toBe('BAD_REQUEST');
    expect(await codeOf(api.config.set({ key: 'Bad Key', type: 'string', value: 'x' }))).toBe('BAD_REQUEST');
    const insert = (key: string, value: string, type: string, sensitive = false) =>
      app.sqlError(`insert into core.system_configurations (config_key, config_value, config_type, is_sensitive) values ($1, $2, $3, $4)`, [
        key,
        value,
        type,
        sensitive,
      ]);
    expect(await insert('a.int', '12.5', 'integer')).toEqual({ code: '23514', constraint: 'system_configurations_config_value_typed' });
    expect(await insert('a.bool', 'yes', 'boolean')).toEqual({ code: '23514', constraint: 'system_configurations_config_value_typed' });
    expect(await insert('a.json', '{nope', 'json')).toEqual({ code: '23514', constraint: 'system_configurations_config_value_typed' });
    expect(await insert('a.type', 'x', 'float')).toEqual({ code: '23514', constraint: 'system_configurations_config_type_check' });
    expect(await insert('Bad Key', 'x', 'string')).toEqual({ code: '23514', constraint: 'system_configurations_config_key_format' });
    expect(await insert('a.secret', 'plaintext', 'string', true)).toEqual({ code: '23514', constraint: 'system_configurations_sensitive_encrypted' });
    expect(await insert('a.long', 'x'.repeat(100_001), 'string')).toEqual({ code: '23514', constraint: 'system_configurations_config_value_length' });
    expect(
      await app.sqlError(`insert into core.system_configurations (config_key, description) values ('a.desc', $1)`, ['d'.repeat(1001)]),
    ).toEqual({ code: '23514', constraint: 'system_configurations_description_length' });
    await app.sql(`insert into core.system_configurations (config_key, config_value) values ('a.dup', 'x')`);
    expect(await insert('a.dup', 'y', 'string')).toEqual({ code: '23505', constraint: 'system_configurations_config_key_key' });
  });

  it('never stores a sensitive value in plaintext, masks it, and reveals it only to an admin who asks (audited)', async () => {
    const admin = await app.newAdmin();
    const api = app.caller({ token: admin.token, clientIp: '203.0.113.20' });
    const secret = `sk-live-${unique('secret')}`;
    const saved = await api.config.set({ key: 'payments.api_key', type: 'string', value: secret, isSensitive: true });
    expect(saved).toMatchObject({ masked: true, value: null, isSensitive: true });

    // Read the raw column past RLS: ciphertext only.
    const { rows } = await app.sql(`select config_value from core.system_configurations where config_key = 'payments.api_key'`);
    expect(rows[0]!.config_value).toMatch(/^enc:v1:/);
    expect(rows[0]!.config_value).not.toContain(secret);
    expect(decryptValue(app.services.configKey, rows[0]!.config_value, 'payments.api_key')).toBe(secret);
    // The ciphertext is bound to its key: moved to another key, it does not decrypt.
    expect(() => decryptValue(app.services.configKey, rows[0]!.config_value, 'other.key')).toThrow();

    expect(await api.config.get({ key: 'payments.api_key' })).toMatchObject({ masked: true, value: null });
    expect((await api.config.list({})).items.find((c) => c.key === 'payments.api_key')).toMatchObject({ masked: true, value: null });
    const revealed = await api.config.reveal({ key: 'payments.api_key' });
    expect(revealed).toMatchObject({ masked: false, value: secret });

    const { rows: audit } = await app.sql(
      `select actor_id, host(ip) as ip, details from core.audit_log where action = 'CONFIG_REVEAL' and details->>'key' = 'payments.api_key'`,
    );
    expect(audit).toEqual([{ actor_id: admin.id, ip: '203.0.113.20', details: { key: 'payments.api_key' } }]);
    // The audit row of the write carries no ciphertext either, but a non-sensitive value is kept.
    await api.config.set({ key: 'audit.visible', type: 'string', value: 'plain' });
    const { rows: writes } = await app.sql(
      `select new_value->>'config_key' as key, new_value->>'config_value' as v from core.audit_log
        where entity_table = 'system_configurations' and action = 'CREATE' and new_value->>'config_key' in ('payments.api_key', 'audit.visible')`,
    );
    expect(Object.fromEntries(writes.map((w) => [w.key, w.v]))).toEqual({ 'payments.api_key': '[redacted]', 'audit.visible': 'plain' });
  });

  it('sensitive values of every type are accepted (their type is checked before encryption) and read back typed', async () => {
    const admin = await app.newAdmin();
    const api = app.caller({ token: admin.token });
    await api.config.set({ key: 'secret.int', type: 'integer', value: 42, isSensitive: true });
    await api.config.set({ key: 'secret.bool', type: 'boolean', value: true, isSensitive: true });
    await api.config.set({ key: 'secret.json', type: 'json', value: { k: [1] }, isSensitive: true });
    expect((await api.config.reveal({ key: 'secret.int' })).value).toBe(42);
    expect((await api.config.reveal({ key: 'secret.bool' })).value).toBe(true);
    expect((await api.config.reveal({ key: 'secret.json' })).value).toEqual({ k: [1] });
  });

  it('signed-in users read non-sensitive settings only; anonymous nothing; only admins write', async () => {
    const admin = await app.newAdmin();
    const user = await app.newUser();
    const asAdmin = app.caller({ token: admin.token });
    await asAdmin.config.set({ key: 'public.motd', type: 'string', value: 'hello' });
    await asAdmin.config.set({ key: 'private.token', type: 'string', value: 'zzz', isSensitive: true });
    const asUser = app.caller({ token: user.token });
    expect((await asUser.config.get({ key: 'public.motd' })).value).toBe('hello');
    expect(await codeOf(asUser.config.get({ key: 'private.token' }))).toBe('NOT_FOUND');
    expect((await asUser.config.list({})).items.map((c) => c.key)).not.toContain('private.token');
    expect(await codeOf(asUser.config.reveal({ key: 'private.token' }))).toBe('FORBIDDEN');
    expect(await codeOf(asUser.config.set({ key: 'public.motd', type: 'string', value: 'pwned' }))).toBe('FORBIDDEN');
    expect(await codeOf(asUser.config.delete({ key: 'public.motd' }))).toBe('FORBIDDEN');
    expect(await codeOf(app.caller().config.get({ key: 'public.motd' }))).toBe('UNAUTHORIZED');

    // Below the procedures, RLS holds on its own.
    const probe = app.probe({ token: user.token });
    const [seen] = await probe.sql([{ text: `select config_key from core.system_configurations where config_key in ('public.motd', 'private.token')` }]);
    expect(seen).toEqual([{ configKey: 'public.motd' }]);
    const [updated] = await probe.sql([{ text: `update core.system_configurations set description = 'x' returning id` }]);
    expect(updated).toEqual([]);
    const [deleted] = await probe.sql([{ text: `delete from core.system_configurations returning id` }]);
    expect(deleted).toEqual([]);
    expect(await codeOf(probe.sql([{ text: `insert into core.system_configurations (config_key, config_value) values ('u.x', 'y')` }]))).toBe('FORBIDDEN');
    const [anonymous] = await app.probe().sql([{ text: `select count(*)::int as n from core.system_configurations` }]);
    expect(anonymous).toEqual([{ n: 0 }]);

    await asAdmin.config.delete({ key: 'public.motd' });
    expect(await codeOf(asAdmin.config.get({ key: 'public.motd' }))).toBe('NOT_FOUND');
  });

  it('paginates by key with an opaque cursor', async () => {
    const admin = await app.newAdmin();
    const api = app.caller({ token: admin.token });
    for (let i = 0; i < 5; i++) await api.config.set({ key: `page.k${i}`, type: 'integer', value: i });
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const result = await api.config.list({ cursor, limit: 2 });
      keys.push(...result.items.map((c) => c.key));
      cursor = result.nextCursor ?? undefined;
    } while (cursor);
    expect(keys.filter((k) => k.startsWith('page.'))).toEqual(['page.k0', 'page.k1', 'page.k2', 'page.k3', 'page.k4']);
    expect(new Set(keys).size).toBe(keys.length);
    expect(await codeOf(api.config.list({ cursor: 'garbage' }))).toBe('BAD_REQUEST');
  });

  it('encryption round-trips and detects tampering', () => {
    const key = app.services.configKey;
    const stored = encryptValue(key, 'p@ss', 'k');
    expect(decryptValue(key, stored, 'k')).toBe('p@ss');
    const tampered = stored.slice(0, -2) + (stored.endsWith('A') ? 'BB' : 'AA');
    expect(() => decryptValue(key, tampered, 'k')).toThrow();
  });
});
