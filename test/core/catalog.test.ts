/**
 * Walks the catalog: every table of every app schema must have row-level security enabled
 * and forced, a policy for each command it grants the request role, the audit trigger, and
 * (when it has updated_at) the touch trigger. Tables added by later migrations are held to
 * this without anyone remembering to add them here.
 */
import { describe, expect, inject, it } from 'vitest';
import { APP_SCHEMAS } from '../../src/db/catalog.js';
import { useTestApp } from '../support/app.js';

const app = useTestApp();

// Deliberate exceptions, each with its reason.
const NO_AUDIT_TRIGGER: Record<string, string> = {
  'core.audit_log': 'the log itself',
  'core.api_rate_limits': 'counters bumped on every throttled request, outside any request transaction; auditing them would log noise without an actor',
};

interface TableFacts {
  table: string;
  rls: boolean;
  forced: boolean;
  hasUpdatedAt: boolean;
  granted: string[];
  policyCommands: string[];
  triggers: string[];
  auditEvents: string[];
}

async function tables(): Promise<TableFacts[]> {
  const { rows } = await app.sql<TableFacts>(
    `select n.nspname || '.' || c.relname as table,
            c.relrowsecurity as rls,
            c.relforcerowsecurity as forced,
            exists (select from pg_attribute a where a.attrelid = c.oid and a.attname = 'updated_at' and not a.attisdropped) as "hasUpdatedAt",
            array(select p from unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE']) p
                   where has_table_privilege('app_request', c.oid, p)
                      -- column grants (core.users withholds its hash) count too
                      or (p <> 'DELETE' and has_any_column_privilege('app_request', c.oid, p))) as granted,
            array(select distinct case pol.polcmd when 'r' then 'SELECT' when 'a' then 'INSERT' when 'w' then 'UPDATE'
                                                  when 'd' then 'DELETE' else 'ALL' end
                    from pg_policy pol
                   where pol.polrelid = c.oid
                     and (pol.polroles = '{0}' or 'app_request'::regrole = any(pol.polroles))) as "policyCommands",
            array(select p.proname::text from pg_trigger t join pg_proc p on p.oid = t.tgfoid
                   where t.tgrelid = c.oid and not t.tgisinternal) as triggers,
            array(select distinct e from pg_trigger t
                    cross join lateral (values (4, 'INSERT'), (8, 'DELETE'), (16, 'UPDATE')) as bits(bit, e)
                   where t.tgrelid = c.oid and t.tgfoid = 'core.audit_write'::regproc and t.tgtype & bits.bit <> 0
                   order by e) as "auditEvents"
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any($1) and c.relkind in ('r', 'p') and not c.relispartition
      order by 1`,
    [APP_SCHEMAS],
  );
  return rows;
}

describe('every table of every app schema', () => {
  it('is found (the walk sees the core tables)', async () => {
    const names = (await tables()).map((t) => t.table);
    expect(names).toEqual(
      expect.arrayContaining(['core.users', 'core.auth_sessions', 'core.user_preferences', 'core.api_rate_limits', 'core.system_configurations', 'core.audit_log']),
    );
  });

  it('has row-level security enabled and forced', async () => {
    const missing = (await tables()).filter((t) => !t.rls || !t.forced).map((t) => t.table);
    expect(missing).toEqual([]);
  });

  it('has a policy for each command it grants the request role', async () => {
    const gaps = (await tables()).flatMap((t) =>
      t.granted.filter((cmd) => !t.policyCommands.includes(cmd) && !t.policyCommands.includes('ALL')).map((cmd) => `${t.table}: ${cmd}`),
    );
    expect(gaps).toEqual([]);
  });

  it('has the audit trigger for inserts, updates and deletes', async () => {
    const missing = (await tables())
      .filter((t) => !(t.table in NO_AUDIT_TRIGGER) && t.auditEvents.join() !== 'DELETE,INSERT,UPDATE')
      .map((t) => `${t.table}: ${t.auditEvents.join() || 'none'}`);
    expect(missing).toEqual([]);
  });

  it('has the updated_at trigger when it has updated_at', async () => {
    const missing = (await tables()).filter((t) => t.hasUpdatedAt && !t.triggers.includes('touch_updated_at')).map((t) => t.table);
    expect(missing).toEqual([]);
  });

  it('is owned by the owner role, never a superuser, and every SECURITY DEFINER function pins its search_path', async () => {
    const { rows: owners } = await app.sql(
      `select distinct r.rolname, r.rolsuper, r.rolbypassrls from pg_class c
         join pg_namespace n on n.oid = c.relnamespace join pg_roles r on r.oid = c.relowner
        where n.nspname = any($1) and c.relkind in ('r', 'p', 'v', 'm')
          and (n.nspname, c.relname) <> ('core', 'live_sessions')`,
      [APP_SCHEMAS],
    );
    expect(owners).toEqual([{ rolname: inject('testServer').owner, rolsuper: false, rolbypassrls: false }]);
    // The one exception: the request setup reads live sessions through a view of app_auth's,
    // which holds the only policy that reads every session (migration 1763800000015).
    const { rows: credentialViews } = await app.sql(
      `select c.relname, r.rolname, r.rolsuper, r.rolbypassrls from pg_class c
         join pg_namespace n on n.oid = c.relnamespace join pg_roles r on r.oid = c.relowner
        where n.nspname = 'core' and c.relname = 'live_sessions'`,
    );
    expect(credentialViews).toEqual([{ relname: 'live_sessions', rolname: 'app_auth', rolsuper: false, rolbypassrls: false }]);
    const { rows: definers } = await app.sql(
      `select p.proname, p.proowner::regrole::text as owner from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = any($1) and p.prosecdef
          and not exists (select from unnest(p.proconfig) c where c like 'search_path=%')`,
      [APP_SCHEMAS],
    );
    expect(definers).toEqual([]);
  });
});

describe('every trigger of every app schema', () => {
  // Shared trigger functions live in core; an app schema's own in that schema. A trigger on one
  // app's table running another app's function ties the two together: dropping or reworking one
  // schema would break the other's writes, which no DBA reading either migration would expect.
  it('executes a function of its own schema or of core, never of another app schema', async () => {
    const { rows } = await app.sql<{ trigger: string; fn: string }>(
      `select tn.nspname || '.' || c.relname || '.' || t.tgname as trigger, fn.nspname || '.' || p.proname as fn
         from pg_trigger t
         join pg_class c on c.oid = t.tgrelid
         join pg_namespace tn on tn.oid = c.relnamespace
         join pg_proc p on p.oid = t.tgfoid
         join pg_namespace fn on fn.oid = p.pronamespace
        where tn.nspname = any($1) and not t.tgisinternal and fn.nspname not in (tn.nspname, 'core')
        order by 1`,
      [APP_SCHEMAS],
    );
    expect(rows.map((r) => `${r.trigger} -> ${r.fn}`)).toEqual([]);
  });
});
