import { describe, expect, expectTypeOf, it } from 'vitest';
import { pgTypedConnection } from '../../src/db/connection.js';
import { probeTypes, type IProbeTypesResult } from '../../sql/core/request.queries.js';
import type { IFindUserByIdResult } from '../../sql/core/users.queries.js';
import { useTestApp } from '../support/app.js';

const app = useTestApp();

describe('PgTyped types match what pg returns at run time', () => {
  it('for timestamptz, bigint, numeric, jsonb, inet, text[], date, boolean, integer, bytea', async () => {
    const client = await app.pool.connect();
    try {
      const [row] = await probeTypes.run(undefined, pgTypedConnection(client, true));
      expectTypeOf(row!).toEqualTypeOf<IProbeTypesResult>();

      expectTypeOf(row!.timestamptz).toEqualTypeOf<Date>();
      expect(row!.timestamptz).toBeInstanceOf(Date);

      // bigint and numeric arrive as strings: exact, never rounded through a float.
      expectTypeOf(row!.bigint).toEqualTypeOf<string>();
      expect(row!.bigint).toBe('9007199254740993');
      expectTypeOf(row!.numeric).toEqualTypeOf<string>();
      expect(row!.numeric).toBe('12345678901234567890.123456789');

      expect(row!.jsonb).toEqual({ a: [1, 'two', null], b: { c: true } });

      expectTypeOf(row!.inet).toEqualTypeOf<string>();
      expect(row!.inet).toBe('192.168.0.1');

      expectTypeOf(row!.textArray).toEqualTypeOf<string[]>();
      expect(row!.textArray).toEqual(['x', 'y', 'z']);

      // date stays a calendar day (pool.ts), as pgtyped.config.json declares.
      expectTypeOf(row!.date).toEqualTypeOf<string>();
      expect(row!.date).toBe('2026-11-22');

      expect(typeof row!.boolean).toBe('boolean');
      expect(typeof row!.integer).toBe('number');
      expect(Buffer.isBuffer(row!.bytea)).toBe(true);
    } finally {
      client.release();
    }
  });

  it('for a real table row read through a procedure, with camelCase keys exactly as declared', async () => {
    const user = await app.newUser();
    const me = await app.caller({ token: user.token }).auth.me();
    expectTypeOf(me).toEqualTypeOf<IFindUserByIdResult>();
    const declared: Array<keyof IFindUserByIdResult> = [
      'id', 'username', 'email', 'fullName', 'firstName', 'lastName', 'bio', 'avatarUrl', 'role', 'status',
      'preferences', 'lastLoginAt', 'createdAt', 'updatedAt',
    ];
    expect(Object.keys(me).sort()).toEqual([...declared].sort());
    expect(me.createdAt).toBeInstanceOf(Date);
    expect(me.lastLoginAt).toBeInstanceOf(Date);
    expect(me.preferences).toEqual({});
    expect(me.fullName).toBeNull();
  });
});

describe('core.uuidv7', () => {
  it('makes version 7 ids in time order', async () => {
    const { rows } = await app.sql<{ id: string }>(`select core.uuidv7()::text as id from generate_series(1, 50)`);
    const ids = rows.map((r) => r.id);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    // The first 48 bits are the current unix time in milliseconds.
    expect(Math.abs(parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16) - Date.now())).toBeLessThan(60_000);
  });

  // core.uuidv7() is PostgreSQL 18's uuidv7() there and the fallback below it; the fallback is
  // tested on every version, so CI's PostgreSQL 18 run checks it too.
  for (const fn of ['core.uuidv7', 'core.uuidv7_fallback']) {
    it(`${fn}() is strictly increasing within a backend, many ids per millisecond and across statements`, async () => {
      const client = await app.superClient();
      try {
        const ids: string[] = [];
        for (let round = 0; round < 5; round++) {
          const { rows } = await client.query<{ id: string }>(`select ${fn}()::text as id from generate_series(1, 5000) with ordinality as g(n, i) order by i`);
          ids.push(...rows.map((r) => r.id));
        }
        for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        // 25,000 ids in well under 25,000 ms: many share a millisecond, and still each sorts after the one before.
        const disorder = ids.findIndex((id, i) => i > 0 && id <= ids[i - 1]!);
        expect(disorder).toBe(-1);
        expect(new Set(ids.map((id) => id.slice(0, 13))).size).toBeLessThan(ids.length);
      } finally {
        client.release();
      }
    });
  }

  it('the fallback keeps its order when the clock steps back (the last step is remembered per backend)', async () => {
    const client = await app.superClient();
    try {
      const { rows: first } = await client.query<{ id: string }>('select core.uuidv7_fallback()::text as id');
      // As if this backend had already made an id an hour from now.
      const ahead = (Date.now() + 3_600_000) * 4096;
      await client.query(`select set_config('core.uuidv7_last_step', $1, false)`, [String(ahead)]);
      const { rows: next } = await client.query<{ id: string }>('select core.uuidv7_fallback()::text as id');
      expect(next[0]!.id > first[0]!.id).toBe(true);
      expect(parseInt(next[0]!.id.replace(/-/g, '').slice(0, 12), 16)).toBe(Math.floor((ahead + 1) / 4096));
    } finally {
      client.release();
    }
  });
});
