import { describe, expect, it } from 'vitest';
import { camelCase } from 'camel-case';
import { APP_SCHEMAS, enumValues } from '../../src/db/catalog.js';
import * as catalog from '../../src/db/generated/catalog.js';
import { constraints } from '../../src/db/generated/catalog.js';
import { useTestApp } from '../support/app.js';

const app = useTestApp();

describe('catalog-derived code', () => {
  it('every CHECK enumeration in the database has the same values in the generated module, and nothing else is there', async () => {
    const { rows } = await app.sql<{ schema: string; table: string; column: string; definition: string }>(
      `select n.nspname as schema, c.relname as table, a.attname as column, pg_get_constraintdef(con.oid) as definition
         from pg_constraint con
         join pg_class c on c.oid = con.conrelid
         join pg_namespace n on n.oid = c.relnamespace
         join pg_attribute a on a.attrelid = c.oid and a.attnum = con.conkey[1]
        where con.contype = 'c' and cardinality(con.conkey) = 1 and not c.relispartition
          and n.nspname = any($1)`,
      [APP_SCHEMAS],
    );
    const pascal = (s: string) => camelCase(s).replace(/^./, (c) => c.toUpperCase());
    const fromDatabase = Object.fromEntries(
      rows.flatMap((r) => {
        const values = enumValues(r.definition);
        return values ? [[`${camelCase(r.schema)}${pascal(r.table)}${pascal(r.column)}Values`, values]] : [];
      }),
    );
    const generated = Object.fromEntries(Object.entries(catalog).filter(([name]) => name.endsWith('Values')).map(([name, v]) => [name, [...(v as readonly string[])]]));
    expect(generated).toEqual(fromDatabase);
    expect(fromDatabase.coreUsersStatusValues).toEqual(['ACTIVE', 'INACTIVE', 'SUSPENDED']);
    expect(catalog.coreUsersRoleSchema.safeParse('superuser').success).toBe(false);
  });

  it('reads IN-list CHECKs as Postgres prints them, and nothing else', () => {
    expect(enumValues(`CHECK ((status = ANY (ARRAY['a'::text, 'it''s'::text])))`)).toEqual(['a', "it's"]);
    expect(enumValues(`CHECK (((kind)::text = ANY ((ARRAY['x'::character varying, 'y'::character varying])::text[])))`)).toEqual(['x', 'y']);
    expect(enumValues(`CHECK ((length(name) <= 10))`)).toBeUndefined();
    expect(enumValues(`CHECK (((status = ANY (ARRAY['a'::text])) OR (x > 0)))`)).toBeUndefined();
  });

  it('knows every constraint with its API field names and wording', () => {
    expect(constraints['core.users.users_email_key']).toEqual({ columns: ['email'], message: 'email is already registered' });
    expect(constraints['core.auth_sessions.auth_sessions_user_id_fkey']?.columns).toEqual(['userId']);
  });
});
