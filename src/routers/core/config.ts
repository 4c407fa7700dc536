import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { decryptValue, encryptValue } from '../../auth/encryption.js';
import { one } from '../../db/errors.js';
import { revealConfig } from '../../../sql/core/audit_log.queries.js';
import {
  deleteConfig,
  findConfig,
  listConfigs,
  upsertConfig,
  type IFindConfigResult,
} from '../../../sql/core/system_configurations.queries.js';
import { cursorInput, decodeCursor, limitInput, page } from '../../server/cursor.js';
import { cappedJson } from '../../server/json-input.js';
import { adminProcedure, authedProcedure, router } from '../../server/trpc.js';

const configKey = z
  .string()
  .regex(/^[a-z][a-z0-9_.-]{0,99}$/, 'key must be 1-100 characters of a-z 0-9 _ . - starting with a letter');

const BIGINT_MIN = -(2n ** 63n);
const BIGINT_MAX = 2n ** 63n - 1n;
const integerValue = z
  .union([z.number().int(), z.string().regex(/^-?\d+$/)])
  .refine((v) => BigInt(v) >= BIGINT_MIN && BigInt(v) <= BIGINT_MAX, 'value must fit in 64 bits');

/** The value must match its type; this is checked here as well because a sensitive value reaches the database encrypted. */
const typedValue = z.discriminatedUnion('type', [
  z.object({ type: z.literal('string'), value: z.string().max(50_000).nullable() }),
  z.object({ type: z.literal('integer'), value: integerValue.nullable() }),
  z.object({ type: z.literal('boolean'), value: z.boolean().nullable() }),
  // Characters, as system_configurations_config_value_length counts them.
  z.object({ type: z.literal('json'), value: cappedJson(z.json().nullable(), 100_000, 'characters') }),
]);

const setInput = z.intersection(
  z.object({ key: configKey, description: z.string().max(1000).nullable().optional(), isSensitive: z.boolean().default(false) }),
  typedValue,
);

export type ConfigValue = string | number | boolean | z.infer<ReturnType<typeof z.json>> | null;

function toText(type: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (type === 'json') return JSON.stringify(value);
  return String(value);
}

function fromText(type: string, text: string | null): ConfigValue {
  if (text === null) return null;
  switch (type) {
    case 'integer': {
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : text;
    }
    case 'boolean':
      return text === 'true';
    case 'json':
      return JSON.parse(text) as ConfigValue;
    default:
      return text;
  }
}

/** What clients see: typed values; sensitive ones masked unless revealed. */
function present(row: IFindConfigResult, revealed?: string | null) {
  const masked = row.isSensitive && revealed === undefined;
  return {
    key: row.configKey,
    type: row.configType,
    value: masked ? null : fromText(row.configType, row.isSensitive ? (revealed ?? null) : row.configValue),
    masked,
    description: row.description,
    isSensitive: row.isSensitive,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export const configRouter = router({
  /** Settings in key order, keyset-paginated. Signed-in users see the non-sensitive ones; admins all, masked. */
  list: authedProcedure.input(z.object({ cursor: cursorInput, limit: limitInput }).default({ limit: 50 })).query(async ({ ctx, input }) => {
    const after = input.cursor ? decodeCursor(input.cursor, z.tuple([z.string()]))[0] : null;
    const rows = await listConfigs.run({ after, limit: input.limit }, ctx.db);
    return page(rows.map((row) => present(row)), input.limit, (row) => [row.key]);
  }),

  /** One setting; a sensitive one exists only for admins, and masked. */
  get: authedProcedure.input(z.object({ key: configKey })).query(async ({ ctx, input }) => {
    return present(one(await findConfig.run({ configKey: input.key }, ctx.db), 'setting', input.key));
  }),

  /** Admins: a sensitive setting in clear. Every reveal is audited. */
  reveal: adminProcedure.input(z.object({ key: configKey })).mutation(async ({ ctx, input }) => {
    const row = one(await findConfig.run({ configKey: input.key }, ctx.db), 'setting', input.key);
    if (!row.isSensitive) throw new TRPCError({ code: 'BAD_REQUEST', message: `setting ${input.key} is not sensitive; use config.get` });
    // The stored value comes from the function that records the reveal: no CONFIG_REVEAL without a reveal.
    const [revealed] = await revealConfig.run({ id: row.id }, ctx.db);
    const stored = revealed?.configValue ?? null;
    let clear: string | null = null;
    if (stored !== null) {
      try {
        clear = decryptValue(ctx.configKey, stored, row.configKey);
      } catch (err) {
        ctx.log.error({ err, key: row.configKey }, 'sensitive setting does not decrypt with CONFIG_ENCRYPTION_KEY');
        throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' });
      }
    }
    return present(row, clear);
  }),

  /** Admins: create or replace a setting. Sensitive values are encrypted before the database sees them. */
  set: adminProcedure.input(setInput).mutation(async ({ ctx, input }) => {
    const text = toText(input.type, input.value);
    const stored = input.isSensitive && text !== null ? encryptValue(ctx.configKey, text, input.key) : text;
    const row = one(
      await upsertConfig.run(
        { configKey: input.key, configValue: stored, configType: input.type, description: input.description ?? null, isSensitive: input.isSensitive },
        ctx.db,
      ),
      'setting',
      input.key,
    );
    return present(row);
  }),

  /** Admins: delete a setting. */
  delete: adminProcedure.input(z.object({ key: configKey })).mutation(async ({ ctx, input }) => {
    one(await deleteConfig.run({ configKey: input.key }, ctx.db), 'setting', input.key);
    return { deleted: true };
  }),
});
