/**
 * Requirement 17.2: business identifiers and finance payloads are encrypted before they reach
 * the database, with the key id beside each value; `keys:rotate` moves every encrypted value
 * (sensitive settings included) to a new key, resumably and without losing concurrent writes.
 */
import { randomBytes } from 'node:crypto';
import type { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { decryptWithKeys, encryptValue, keyId } from '../../src/auth/encryption.js';
import { rotateKeys } from '../../src/auth/key-rotation.js';
import { appRouter } from '../../src/routers/_app.js';
import { gstinCheckCharacter } from '../../src/routers/exportsathi/inputs.js';
import { createContext } from '../../src/server/context.js';
import { createCallerFactory } from '../../src/server/trpc.js';
import { useTestApp } from '../support/app.js';
import { badFields, GSTIN, IEC, userWithReport } from './helpers.js';

const app = useTestApp();
const FINANCE = {
  workingCapitalData: { requiredInr: 1_850_000, cycleDays: 97 },
  rodtepBenefitData: { ratePercent: 0.9, benefitInr: 40_500 },
  gstRefundData: { refundInr: 216_000, route: 'LUT' },
};

async function failure(promise: Promise<unknown>): Promise<TRPCError> {
  try {
    await promise;
  } catch (err) {
    return err as TRPCError;
  }
  throw new Error('expected the call to fail');
}

/** The raw text of every column of a table's rows, as the database stores them. */
async function rawText(table: string, where: string, id: string): Promise<string> {
  const { rows } = await app.sql(`select to_jsonb(t)::text as raw from exportsathi.${table} t where ${where} = $1`, [id]);
  return rows.map((r) => r.raw as string).join('\n');
}

describe('encryption at rest', () => {
  it('stores IEC, GSTIN and finance payloads only encrypted, naming their key; the API reads them back', async () => {
    const { api, report, user } = await userWithReport(app);
    const profile = await api.profile.upsert({ businessType: 'Manufacturing', companySize: 'Small', companyName: 'Haldi Exports', iec: IEC, gstin: GSTIN });
    expect(profile).toMatchObject({ iec: IEC, gstin: GSTIN, businessType: 'Manufacturing', companySize: 'Small' });
    const finance = await api.finance.create({ reportId: report.id, ...FINANCE });
    expect(finance).toMatchObject(FINANCE);

    const raw = (await rawText('business_profiles', 'user_id', user.id)) + (await rawText('finance_analysis', 'id', finance.id));
    for (const secret of [IEC, GSTIN, 'AAPFU0939F', '1850000', '40500', '216000', 'requiredInr', 'LUT']) expect(raw).not.toContain(secret);
    const kid = keyId(app.services.configKey);
    expect(raw.match(/enc:v2:[0-9a-f]{16}:/g)!.every((m) => m === `enc:v2:${kid}:`)).toBe(true);
    // The audit log copies rows as stored: no plaintext there either.
    const audit = await app.sql(`select coalesce(new_value::text, '') as v from core.audit_log where entity_table in ('business_profiles', 'finance_analysis') and entity_id = any($1)`, [[user.id, finance.id]]);
    expect(audit.rows.length).toBeGreaterThan(0);
    for (const row of audit.rows) for (const secret of [IEC, GSTIN, '1850000']) expect(row.v).not.toContain(secret);

    expect(await api.profile.get()).toMatchObject({ iec: IEC, gstin: GSTIN });
    expect((await api.finance.list({ reportId: report.id })).items[0]).toMatchObject(FINANCE);
  });

  it('a ciphertext moved to another row does not decrypt (the row is in the authenticated data)', async () => {
    const a = await userWithReport(app);
    const b = await userWithReport(app);
    await a.api.profile.upsert({ businessType: 'Trading', companySize: 'Micro', iec: IEC });
    await b.api.profile.upsert({ businessType: 'Trading', companySize: 'Micro', iec: '0123456789' });
    await app.sql(`update exportsathi.business_profiles set iec = (select iec from exportsathi.business_profiles where user_id = $1) where user_id = $2`, [a.user.id, b.user.id]);
    expect((await failure(b.api.profile.get())).code).toBe('INTERNAL_SERVER_ERROR');
    await app.sql(`delete from exportsathi.business_profiles where user_id = $1`, [b.user.id]);
  });

  it('checks IEC and GSTIN formats (the GSTIN check character too) and accepts the seed\'s business values', async () => {
    const { api } = await userWithReport(app);
    const wrongCheck = GSTIN.slice(0, 14) + (GSTIN[14] === 'A' ? 'B' : 'A');
    expect(gstinCheckCharacter(GSTIN.slice(0, 14))).toBe(GSTIN[14]);
    for (const [input, field] of [
      [{ iec: 'AAPFU0939' }, 'iec'],
      [{ gstin: wrongCheck }, 'gstin'],
      [{ gstin: '27AAPFU0939F1Z' }, 'gstin'],
      [{ businessType: 'Mining' }, 'businessType'],
      [{ companySize: 'Tiny' }, 'companySize'],
    ] as const) {
      const err = await failure(api.profile.upsert({ businessType: 'Manufacturing', companySize: 'Small', ...input } as never));
      expect(err.code).toBe('BAD_REQUEST');
      expect(badFields(err)).toContain(field);
    }
    expect(await api.profile.get()).toBeNull();
    expect(await api.profile.upsert({ businessType: 'Manufacturing', companySize: 'Small', iec: 'aapfu0939f' })).toMatchObject({ iec: IEC, gstin: null });
  });

  it('keys:rotate re-encrypts every value (settings included) under the new key, resumes, and keeps concurrent writes', async () => {
    const oldKey = app.services.configKey;
    const newKey = randomBytes(32);
    const { api, report, user } = await userWithReport(app);
    await api.profile.upsert({ businessType: 'Handicrafts', companySize: 'Medium', iec: IEC, gstin: GSTIN });
    const finance = await api.finance.create({ reportId: report.id, ...FINANCE });
    // A report soft-deleted: hidden from every request, rotated all the same.
    const other = await userWithReport(app);
    const hiddenFinance = await other.api.finance.create({ reportId: other.report.id, ...FINANCE });
    await other.api.reports.delete({ id: other.report.id });
    const admin = app.caller({ token: (await app.newAdmin()).token });
    await admin.config.set({ key: 'es.rotation.secret', type: 'string', value: 'smtp-password', isSensitive: true });
    // A setting written before key ids (enc:v1).
    await app.sql(`insert into core.system_configurations (config_key, config_value, config_type, is_sensitive) values ('es.rotation.legacy', $1, 'string', true)`, [
      encryptValue(oldKey, 'legacy-secret', 'es.rotation.legacy'),
    ]);

    const first = await rotateKeys(app.pool, newKey, [oldKey]);
    expect(first).toMatchObject({ keyId: keyId(newKey), failed: 0 });
    expect(first.rows).toBeGreaterThanOrEqual(3);
    expect(first.configValues).toBeGreaterThanOrEqual(2);

    const newKid = `enc:v2:${keyId(newKey)}:`;
    const raw = await app.sql<{ v: string }>(
      `select iec as v from exportsathi.business_profiles where iec is not null union all select gstin from exportsathi.business_profiles where gstin is not null
       union all select working_capital_data from exportsathi.finance_analysis union all select rodtep_benefit_data from exportsathi.finance_analysis
       union all select gst_refund_data from exportsathi.finance_analysis`,
    );
    for (const { v } of raw.rows) expect(v.startsWith(newKid)).toBe(true);
    // Settings keep enc:v1 (their table's CHECK) and open with the new key alone.
    const settings = await app.sql<{ config_key: string; config_value: string }>(`select config_key, config_value from core.system_configurations where is_sensitive`);
    for (const row of settings.rows) expect(decryptWithKeys([newKey], row.config_value, row.config_key)).toMatch(/secret|password/);

    // A server on the new key reads everything; one on the old key alone no longer can.
    const withKey = (key: Buffer, token: string) => createCallerFactory(appRouter)(createContext({ ...app.services, configKey: key }, { token }));
    const rotated = withKey(newKey, user.token);
    expect(await rotated.exportsathi.profile.get()).toMatchObject({ iec: IEC, gstin: GSTIN });
    expect((await rotated.exportsathi.finance.list({ reportId: report.id })).items[0]).toMatchObject(FINANCE);
    expect((await withKey(newKey, (await app.newAdmin()).token).config.reveal({ key: 'es.rotation.legacy' })).value).toBe('legacy-secret');
    expect((await failure(api.profile.get())).code).toBe('INTERNAL_SERVER_ERROR');
    await other.api.reports.restore({ id: other.report.id });
    expect((await withKey(newKey, other.user.token).exportsathi.finance.list({ reportId: other.report.id })).items[0]).toMatchObject({ id: hiddenFinance.id, ...FINANCE });

    // Nothing left: a second run (or a resumed one) does nothing.
    expect(await rotateKeys(app.pool, newKey, [oldKey])).toMatchObject({ rows: 0, configValues: 0, failed: 0 });

    // A row rewritten between the rotation's read and its write keeps the newer value.
    const stale = (await app.sql(`select working_capital_data, rodtep_benefit_data, gst_refund_data from exportsathi.finance_analysis where id = $1`, [finance.id])).rows[0]!;
    await rotated.exportsathi.finance.update({ id: finance.id, ...FINANCE, workingCapitalData: { requiredInr: 1 } });
    const swapped = await app.pool.query(`select exportsathi.encrypted_replace('finance_analysis', $1, $2, $3) as ok`, [
      finance.id,
      [stale.working_capital_data, stale.rodtep_benefit_data, stale.gst_refund_data],
      ['enc:v2:0000000000000000:a:b:c', 'enc:v2:0000000000000000:a:b:c', 'enc:v2:0000000000000000:a:b:c'],
    ]);
    expect(swapped.rows[0].ok).toBe(false);
    expect((await rotated.exportsathi.finance.list({ reportId: report.id })).items[0]!.workingCapitalData).toEqual({ requiredInr: 1 });

    // A value no key opens is reported, not lost, and the run says so.
    const lost = await rotateKeys(app.pool, randomBytes(32), []);
    expect(lost.failed).toBeGreaterThan(0);
  });
});
