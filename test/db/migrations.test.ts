import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrate, migrationNames, pendingMigrations, prepareDatabase } from '../../src/db/migrate.js';
import { catalogSnapshot, type CatalogSnapshot } from '../support/catalog.js';
import { useBlankDatabase } from '../support/app.js';

// A blank database (not the migrated template): migrations run here from zero.
const server = inject('testServer');
const { ownerUrl, superUrl } = useBlankDatabase('blank');
let inspector: pg.Client;

beforeAll(async () => {
  inspector = new pg.Client({ connectionString: superUrl });
  await inspector.connect();
});

afterAll(async () => {
  await inspector.end();
});

describe('migrations', () => {
  it('each migration is reversible: down restores the exact catalog before its up, and up again rebuilds the same schema', async () => {
    const names = await migrationNames();
    expect(names.length).toBeGreaterThanOrEqual(2);
    // What migrate() does before any migration (on PostgreSQL 15: the owner's right to create in
    // schema public), so that the state before the first migration is the one down returns to.
    await prepareDatabase(ownerUrl);
    const before: CatalogSnapshot[] = [await catalogSnapshot(inspector)];
    for (const migration of names) {
      expect(await migrate(ownerUrl, { direction: 'up', count: 1 })).toEqual([migration]);
      before.push(await catalogSnapshot(inspector));
      // Each migration changes something, or the comparison below would prove nothing.
      expect(before.at(-1)).not.toEqual(before.at(-2));
    }
    const fullyMigrated = before.at(-1);

    for (let i = names.length - 1; i >= 0; i--) {
      expect(await migrate(ownerUrl, { direction: 'down', count: 1 })).toEqual([names[i]]);
      expect(await catalogSnapshot(inspector), `down of ${names[i]}`).toEqual(before[i]);
    }

    await migrate(ownerUrl, { direction: 'up' });
    expect(await catalogSnapshot(inspector)).toEqual(fullyMigrated);
  });

  it('reports pending migrations until they have run', async () => {
    const client = new pg.Client({ connectionString: ownerUrl });
    await client.connect();
    try {
      await migrate(ownerUrl, { direction: 'up' });
      expect(await pendingMigrations(client)).toEqual([]);
      const names = await migrationNames();
      await migrate(ownerUrl, { direction: 'down', count: 1 });
      expect(await pendingMigrations(client)).toEqual([names.at(-1)]);
      await migrate(ownerUrl, { direction: 'up' });
      expect(await pendingMigrations(client)).toEqual([]);
    } finally {
      await client.end();
    }
  });

  it('the template the other test files copy is fully migrated and owned by the owner role, not a superuser', async () => {
    const { rows } = await inspector.query<{ owner: string; superuser: boolean; bypassrls: boolean }>(
      `select pg_get_userbyid(c.relowner) as owner, r.rolsuper as superuser, r.rolbypassrls as bypassrls
         from pg_class c join pg_roles r on r.oid = c.relowner where c.oid = 'core.users'::regclass`,
    );
    expect(rows[0]).toEqual({ owner: server.owner, superuser: false, bypassrls: false });
    const { rows: roles } = await inspector.query<{ rolname: string; rolbypassrls: boolean; rolsuper: boolean }>(
      `select rolname, rolbypassrls, rolsuper from pg_roles where rolname in ('app_request', 'app_auth', 'app_audit') order by rolname`,
    );
    expect(roles).toEqual([
      { rolname: 'app_audit', rolbypassrls: false, rolsuper: false },
      { rolname: 'app_auth', rolbypassrls: false, rolsuper: false },
      { rolname: 'app_request', rolbypassrls: false, rolsuper: false },
    ]);
    // The owner may switch to these roles but inherits none of them: app_auth's read-everything
    // policies must not apply to the owner's own connections. MEMBER: it may SET ROLE to them
    // (on 16+ through the grant's SET option, on 15 by membership); USAGE: it would hold their
    // rights without switching (the grant's INHERIT option on 16+, the role's INHERIT on 15).
    const { rows: memberships } = await inspector.query(
      `select r.rolname, pg_has_role($1, r.oid, 'MEMBER') as member, pg_has_role($1, r.oid, 'USAGE') as inherits
         from pg_roles r where r.rolname in ('app_request', 'app_auth', 'app_audit') order by r.rolname`,
      [server.owner],
    );
    expect(memberships).toEqual([
      { rolname: 'app_audit', member: true, inherits: false },
      { rolname: 'app_auth', member: true, inherits: false },
      { rolname: 'app_request', member: true, inherits: false },
    ]);
    const owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    try {
      for (const role of ['app_request', 'app_auth', 'app_audit']) {
        await owner.query('begin');
        await owner.query(`set local role ${role}`);
        await owner.query('rollback');
      }
    } finally {
      await owner.end();
    }
  });
});
