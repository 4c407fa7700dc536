/** Inputs and helpers shared by the ExportSathi routers. */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { decryptWithKeys, encryptWithKeyId, previousKeys } from '../../auth/encryption.js';
import type { Context } from '../../server/context.js';

export { idInput, textInput } from '../../server/inputs.js';
export const reportIdInput = z.object({ reportId: z.uuid() });

/** ITC-HS code: 2 (chapter) to 8 (tariff line) digits. */
export const hsCodeInput = z.string().regex(/^[0-9]{2,8}$/, 'must be an ITC-HS code of 2 to 8 digits');
/** ISO 3166-1 alpha-2. */
export const countryInput = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code (two capital letters)');

/** A non-negative amount with at most two decimals, as an exact decimal string (numeric comes back as one). */
export const amountInput = z
  .string()
  .regex(/^\d{1,12}(\.\d{1,2})?$/, 'must be a non-negative decimal number with at most two decimals, e.g. "15000.50"');
/** A probability or confidence 0-1 with at most three decimals, as an exact decimal string. */
export const fractionInput = z
  .string()
  .regex(/^(0(\.\d{1,3})?|1(\.0{1,3})?)$/, 'must be a decimal number between 0 and 1 with at most three decimals');
export const urlInput = z
  .string()
  .max(2048)
  .regex(/^https?:\/\/\S+$/, 'must be an http(s) URL');

/**
 * Importer-Exporter Code: since 2019 the exporter's PAN (AAAAA9999A); older codes are ten digits.
 */
export const iecInput = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^([A-Z]{5}[0-9]{4}[A-Z]|[0-9]{10})$/, 'must be an IEC: the PAN (e.g. AAACB1234C) or a 10-digit code');

const GSTIN_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** The GSTIN's 15th character: the GSTN's mod-36 checksum of the first 14. */
export function gstinCheckCharacter(first14: string): string {
  let sum = 0;
  for (let i = 0; i < 14; i++) {
    const product = GSTIN_CHARS.indexOf(first14[i]!) * (i % 2 === 0 ? 1 : 2);
    sum += Math.floor(product / 36) + (product % 36);
  }
  return GSTIN_CHARS[(36 - (sum % 36)) % 36]!;
}

/** GSTIN: state code, PAN, entity number, Z, check character. */
export const gstinInput = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$/, 'must be a 15-character GSTIN (e.g. 27AAPFU0939F1ZV)')
  .refine((g) => gstinCheckCharacter(g.slice(0, 14)) === g[14], 'must be a GSTIN whose check character is right');

/** The keys data may be encrypted with: the current one (the configuration key), then those a rotation is moving away from. */
function keys(ctx: Pick<Context, 'configKey'>): Buffer[] {
  return [ctx.configKey, ...previousKeys()];
}

/** Encrypts a value for `table.column` of the row keyed by `owner` (the additional authenticated data). */
export function seal(ctx: Pick<Context, 'configKey'>, where: string, owner: string, plaintext: string): string {
  return encryptWithKeyId(ctx.configKey, plaintext, `exportsathi.${where}:${owner}`);
}

/** Decrypts what `seal` stored; a value no key opens is logged and answered as a server error. */
export function unseal(ctx: Pick<Context, 'configKey' | 'log'>, where: string, owner: string, stored: string): string {
  try {
    return decryptWithKeys(keys(ctx), stored, `exportsathi.${where}:${owner}`);
  } catch (err) {
    ctx.log.error({ err, where, owner }, 'stored value does not decrypt with the configured keys');
    throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' });
  }
}

/** A report that is not (or no longer) the caller's to see. */
export function reportNotFound(reportId: string): TRPCError {
  return new TRPCError({ code: 'NOT_FOUND', message: `report ${reportId} not found` });
}
