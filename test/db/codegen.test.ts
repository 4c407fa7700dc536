import { describe, expect, it } from 'vitest';
import { enumValues } from '../../src/db/catalog.js';
import { constraints, coreUsersRoleSchema, coreUsersRoleValues, coreUsersStatusValues } from '../../src/db/generated/catalog.js';
import { useTestApp } from '../support/app.js';

const app = useTestApp();

describe('catalog-derived code', () => {
  it('every CHECK enumeration in the database has the same values in the generated module', async () => {
    const { rows } = await app.sql<{ key: string; definition: string }>(
      `select n.nspname || '.' || c.relname || '.' || a.attname as key, pg_get_constraintdef(con.oid) as definition
         from pg_constraint con
         join pg_class c on c.oid = con.conrelid
         join pg_namespace n on n.oid = c.relnamespace
         join pg_attribute a on a.attrelid = c.oid and a.attnum = con.conkey[1]
        where con.contype = 'c' and cardinality(con.conkey) = 1 and n.nspname = 'core'`,
    );
    const fromDatabase = Object.fromEntries(
      rows.flatMap((r) => (enumValues(r.definition) ? [[r.key, enumValues(r.definition)]] : [])),
    );
    expect(fromDatabase).toEqual({
      'core.users.role': [...coreUsersRoleValues],
      'core.users.status': [...coreUsersStatusValues],
    });
    expect(coreUsersRoleSchema.safeParse('superuser').success).toBe(false);
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
