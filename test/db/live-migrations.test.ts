/**
 * Migrations on live tables (issue 12, item 9): a migration that cannot get its lock gives up
 * quickly instead of queueing every request behind it; no name was silently cut at 63 bytes;
 * counters that outgrow integer are bigint.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadMigrationTimeouts } from '../../src/config.js';
import { migrate, migrationNames, MigrationTimeoutError, pendingMigrations } from '../../src/db/migrate.js';
import { useTestApp, useBlankDatabase } from '../support/app.js';

const app = useTestApp();

// A blank database of its own, migrated step by step.
const { ownerUrl, superUrl } = useBlankDatabase('live');

describe('migrations on live tables', () => {
  it('a migration blocked by a lock gives up after MIGRATION_LOCK_TIMEOUT_MS (or MIGRATION_STATEMENT_TIMEOUT_MS), rolled back and still pending, naming itself', async () => {
    const names = await migrationNames();
    const target = '1763800000007_plans-and-indexes';
    await migrate(ownerUrl, { direction: 'up', count: names.indexOf(target) });

    // A long request reading conversations: the migration's ALTER TABLE needs the table to itself.
    const reader = new pg.Client({ connectionString: superUrl });
    await reader.connect();
    const inspector = new pg.Client({ connectionString: superUrl });
    await inspector.connect();
    const saved = process.env.MIGRATION_LOCK_TIMEOUT_MS;
    try {
      await reader.query('begin');
      await reader.query('select count(*) from componentforge.conversations');
      process.env.MIGRATION_LOCK_TIMEOUT_MS = '200';
      const err = await migrate(ownerUrl, { direction: 'up', count: 1 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MigrationTimeoutError);
      const message = (err as Error).message;
      expect(message).toContain(target);
      expect(message).toContain('MIGRATION_LOCK_TIMEOUT_MS');
      expect(message).toContain('rolled back');
      expect(((err as Error).cause as { code?: string }).code).toBe('55P03');

      // With no lock timeout, the statement timeout ends the wait (the options override the environment).
      const slow = await migrate(ownerUrl, { direction: 'up', count: 1, lockTimeoutMs: 0, statementTimeoutMs: 200 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(slow).toBeInstanceOf(MigrationTimeoutError);
      expect((slow as Error).message).toContain('MIGRATION_STATEMENT_TIMEOUT_MS');
      expect(((slow as Error).cause as { code?: string }).code).toBe('57014');

      // Nothing of it stayed: still pending, the column still integer, the dropped indexes still there.
      expect(await pendingMigrations(inspector)).toContain(target);
      const { rows } = await inspector.query(
        `select format_type(atttypid, atttypmod) as type, to_regclass('socrates.sessions_status_idx') is not null as index
           from pg_attribute where attrelid = 'componentforge.conversations'::regclass and attname = 'total_tokens_used'`,
      );
      expect(rows[0]).toEqual({ type: 'integer', index: true });
    } finally {
      if (saved === undefined) delete process.env.MIGRATION_LOCK_TIMEOUT_MS;
      else process.env.MIGRATION_LOCK_TIMEOUT_MS = saved;
      await reader.query('rollback');
      await reader.end();
    }

    // Once the reader is done, the same migration runs.
    try {
      expect(await migrate(ownerUrl, { direction: 'up', count: 1 })).toEqual([target]);
      const { rows } = await inspector.query(
        `select format_type(atttypid, atttypmod) as type from pg_attribute
          where attrelid = 'componentforge.conversations'::regclass and attname = 'total_tokens_used'`,
      );
      expect(rows[0]).toEqual({ type: 'bigint' });
    } finally {
      await inspector.end();
    }
  });

  it('the timeouts come from MIGRATION_LOCK_TIMEOUT_MS and MIGRATION_STATEMENT_TIMEOUT_MS, validated like every setting', () => {
    expect(loadMigrationTimeouts({})).toEqual({ MIGRATION_LOCK_TIMEOUT_MS: 5000, MIGRATION_STATEMENT_TIMEOUT_MS: 60_000 });
    expect(loadMigrationTimeouts({ MIGRATION_LOCK_TIMEOUT_MS: '250', MIGRATION_STATEMENT_TIMEOUT_MS: '0' })).toEqual({
      MIGRATION_LOCK_TIMEOUT_MS: 250,
      MIGRATION_STATEMENT_TIMEOUT_MS: 0,
    });
    expect(() => loadConfig({ MIGRATION_LOCK_TIMEOUT_MS: 'soon' })).toThrow(ConfigError);
    expect(() => loadConfig({ MIGRATION_STATEMENT_TIMEOUT_MS: '-1' })).toThrow(/MIGRATION_STATEMENT_TIMEOUT_MS/);
  });
});

describe('names and counters', () => {
  it('no policy, constraint, index, table or trigger name is 63 bytes long (PostgreSQL cuts longer names there, silently)', async () => {
    // Indexes of partitions are named by PostgreSQL itself from their parent's and are left out.
    const { rows } = await app.sql<{ kind: string; name: string }>(
      `with app as (select oid from pg_namespace where nspname in ('core', 'verificai', 'scraper', 'socrates', 'exportsathi', 'componentforge', 'public'))
       select 'policy' as kind, p.polname::text as name
         from pg_policy p join pg_class c on c.oid = p.polrelid where c.relnamespace in (select oid from app)
       union all
       select 'constraint', conname::text from pg_constraint where connamespace in (select oid from app)
       union all
       select 'relation', relname::text from pg_class where relnamespace in (select oid from app) and not (relkind = 'i' and relispartition)
       union all
       select 'trigger', t.tgname::text from pg_trigger t join pg_class c on c.oid = t.tgrelid
        where c.relnamespace in (select oid from app) and not t.tgisinternal`,
    );
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.filter((row) => Buffer.byteLength(row.name) >= 63)).toEqual([]);
  });

  it("a conversation's total_tokens_used goes past 2^31 (bigint, an exact string in the API)", async () => {
    const user = await app.newUser();
    const api = app.caller({ token: user.token }).componentforge;
    const { conversation } = await api.conversations.start({ content: 'a long one' });
    for (let i = 0; i < 2; i++) {
      await api.messages.add({ conversationId: conversation.id, role: 'assistant', content: 'long answer', totalTokens: 2_000_000_000 });
    }
    expect((await api.conversations.get({ id: conversation.id })).totalTokensUsed).toBe('4000000000');
  });
});
