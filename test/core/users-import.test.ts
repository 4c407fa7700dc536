/** users:import: users of the seeds' systems from CSV or JSON lines, with their old password hashes. */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { ImportFileError, importUsers, parseImportFile } from '../../src/auth/import-users.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { unique, useTestApp } from '../support/app.js';

const app = useTestApp();
const run = promisify(execFile);

// Cost 4 keeps the test fast; the format is the one passlib writes ($2b$, two-digit cost, 53 characters).
const BCRYPT_PASSWORD = 'Old-System-Pass-1';
const bcryptHash = bcrypt.hashSync(BCRYPT_PASSWORD, 4);
const ARGON_PASSWORD = 'Other-System-Pass-2';

async function importText(text: string, fileName = '') {
  const client = await app.pool.connect();
  try {
    return await importUsers(client, parseImportFile(text, fileName), { userAgent: 'users:import' });
  } finally {
    client.release();
  }
}

async function userRow(email: string) {
  const { rows } = await app.sql(
    `select username, full_name, first_name, last_name, role, status, password_hash, preferences, last_login_at from core.users where email = $1`,
    [email],
  );
  return rows[0];
}

describe('users:import', () => {
  it('imports CSV with the seeds\' field names and quoted fields holding commas, quotes and line breaks; a rerun imports nothing', async () => {
    const a = `${unique('csv')}@example.com`;
    const b = `${unique('csv')}@example.com`;
    const csv = [
      'id,email,username,full_name,role,is_active,hashed_password,created_at',
      `1,${a},${unique('u')},"Lovelace, Ada ""Countess""",admin,t,${bcryptHash},2024-01-01`,
      `2,${b},,"Two\nLines",user,false,${bcryptHash},2024-01-02`,
      '',
    ].join('\r\n');
    const summary = await importText(csv, 'users.csv');
    expect(summary).toMatchObject({ format: 'csv', records: 2, imported: 2, skipped: 0, skips: [], ignoredFields: ['created_at', 'id'] });
    expect(await userRow(a)).toMatchObject({ full_name: 'Lovelace, Ada "Countess"', role: 'admin', status: 'ACTIVE', password_hash: bcryptHash });
    expect(await userRow(b)).toMatchObject({ username: null, full_name: 'Two\nLines', role: 'user', status: 'INACTIVE' });

    // The quoted line break does not shift line numbers of later records.
    const again = await importText(csv + `3,${a.toUpperCase()},,,user,true,${bcryptHash},\r\n`, 'users.csv');
    expect(again).toMatchObject({ imported: 0, skipped: 3, skippedBy: { exists: 2, email: 1 } });
    expect(again.skips).toEqual([
      { line: 2, field: 'email', reason: 'exists', email: a },
      { line: 3, field: 'email', reason: 'exists', email: b },
      { line: 5, field: 'email', reason: 'duplicate of line 2', email: a.toUpperCase() },
    ]);
  });

  it('imports JSON lines (seed 004 and seed 002 shapes), audited as created by the import; a rerun finds every email existing, ignoring case', async () => {
    const dev = `${unique('jl')}@example.com`;
    const sam = `${unique('jl')}@example.com`;
    const lines = [
      JSON.stringify({
        email: dev,
        username: unique('dev'),
        hashed_password: bcryptHash,
        is_active: true,
        is_admin: false,
        preferences: { theme: 'dark' },
        last_login_at: '2025-10-08T10:30:00Z',
      }),
      JSON.stringify({ email: sam, username: unique('sam'), password_hash: await hashPassword(ARGON_PASSWORD), first_name: 'Sam', last_name: 'Lee', status: 'SUSPENDED' }),
    ];
    const summary = await importText(lines.join('\n') + '\n', 'users.jsonl');
    expect(summary).toMatchObject({ format: 'jsonl', imported: 2, skipped: 0 });
    expect(await userRow(dev)).toMatchObject({ role: 'user', status: 'ACTIVE', preferences: { theme: 'dark' }, last_login_at: new Date('2025-10-08T10:30:00Z') });
    expect(await userRow(sam)).toMatchObject({ first_name: 'Sam', last_name: 'Lee', status: 'SUSPENDED' });

    const { rows: audit } = await app.sql(
      `select actor_role, user_agent, new_value->>'password_hash' as hash from core.audit_log
        where action = 'CREATE' and entity_schema = 'core' and entity_table = 'users' and new_value->>'email' in ($1, $2)`,
      [dev, sam],
    );
    expect(audit).toEqual([
      { actor_role: 'admin', user_agent: 'users:import', hash: '[redacted]' },
      { actor_role: 'admin', user_agent: 'users:import', hash: '[redacted]' },
    ]);

    // An existing user is never overwritten: not even its status by a changed line.
    const changed = [lines[0]!.replace(dev, dev.toUpperCase()), lines[1]!.replace('SUSPENDED', 'ACTIVE')].join('\n');
    const again = await importText(changed, 'users.jsonl');
    expect(again).toMatchObject({ imported: 0, skipped: 2, skippedBy: { exists: 2 } });
    expect(again.skips.map((s) => s.reason)).toEqual(['exists', 'exists']);
    expect((await userRow(sam))!.status).toBe('SUSPENDED');
  });

  it('skips each bad line with its line, field and rule, imports the rest, and leaves nothing of a skipped line', async () => {
    const ok = `${unique('ok')}@example.com`;
    const taken = (await app.newUser()).username;
    const bad = (n: number) => `${unique(`bad${n}`)}@example.com`;
    const argon2i = '$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo';
    const lines = [
      JSON.stringify({ email: 'not-an-email', password_hash: bcryptHash }),
      JSON.stringify({ email: bad(1), password_hash: argon2i }),
      JSON.stringify({ email: bad(2), hashed_password: 'plaintext-password' }),
      JSON.stringify({ email: bad(3) }),
      JSON.stringify({ email: bad(4), password_hash: bcryptHash, role: 'superuser' }),
      JSON.stringify({ email: bad(5), password_hash: bcryptHash, is_active: 'maybe' }),
      JSON.stringify({ email: bad(6), password_hash: bcryptHash, status: 'ACTIVE', is_active: false }),
      JSON.stringify({ email: bad(7), password_hash: bcryptHash, role: 'user', is_admin: true }),
      JSON.stringify({ email: bad(8), password_hash: bcryptHash, username: ' padded' }),
      JSON.stringify({ email: bad(9), password_hash: bcryptHash, full_name: 'x'.repeat(256) }),
      JSON.stringify({ email: bad(10), password_hash: bcryptHash, preferences: [1] }),
      JSON.stringify({ email: bad(11), password_hash: bcryptHash, last_login: 'yesterday' }),
      '[1, 2]',
      '{ not json',
      // Only the database knows these two: the username is someone else's, the preferences too large.
      JSON.stringify({ email: bad(12), password_hash: bcryptHash, username: taken.toUpperCase() }),
      JSON.stringify({ email: bad(13), password_hash: bcryptHash, preferences: { blob: 'x'.repeat(70_000) } }),
      JSON.stringify({ email: ok, password_hash: bcryptHash }),
    ];
    const summary = await importText(lines.join('\n'));
    expect(summary.imported).toBe(1);
    expect(summary.skips.map(({ line, field, reason }) => ({ line, field, reason }))).toEqual([
      { line: 1, field: 'email', reason: 'email must be a valid address of at most 255 characters' },
      { line: 2, field: 'password_hash', reason: 'password_hash must be a bcrypt ($2a$, $2b$, $2y$) or argon2id hash' },
      { line: 3, field: 'hashed_password', reason: 'hashed_password must be a bcrypt ($2a$, $2b$, $2y$) or argon2id hash' },
      { line: 4, field: 'password_hash', reason: 'password_hash is required' },
      { line: 5, field: 'role', reason: 'role must be user or admin (got "superuser")' },
      { line: 6, field: 'is_active', reason: 'is_active must be true or false' },
      { line: 7, field: 'is_active', reason: 'is_active contradicts status' },
      { line: 8, field: 'is_admin', reason: 'is_admin contradicts role' },
      { line: 9, field: 'username', reason: 'username must be 1-255 characters, without control characters or leading/trailing spaces' },
      { line: 10, field: 'full_name', reason: 'full_name must be 1-255 characters' },
      { line: 11, field: 'preferences', reason: 'preferences must be a JSON object' },
      { line: 12, field: 'last_login', reason: 'last_login must be a date and time' },
      { line: 13, field: 'line', reason: 'line is not a JSON object' },
      { line: 14, field: 'line', reason: 'line is not valid JSON' },
      { line: 15, field: 'username', reason: 'username is already taken' },
      { line: 16, field: 'preferences', reason: expect.stringMatching(/^preferences must be/) },
    ]);
    const { rows } = await app.sql(`select count(*)::int as n from core.users where email like 'bad%'`);
    expect(rows[0]).toEqual({ n: 0 });
    expect(await userRow(ok)).toBeDefined();
  });

  it('one transaction per batch, not per line: the rows of a batch share its start time', async () => {
    const emails = [1, 2, 3].map((n) => `${unique(`tx${n}`)}@example.com`);
    const client = await app.pool.connect();
    try {
      const csv = `email,hashed_password\n${emails.map((e) => `${e},${bcryptHash}`).join('\n')}\n`;
      expect((await importUsers(client, parseImportFile(csv), { userAgent: 'users:import', batchSize: 2 })).imported).toBe(3);
    } finally {
      client.release();
    }
    // now() is the transaction's start: two batches, two times, the first shared by two users.
    const { rows } = await app.sql(`select count(*)::int as n from core.users where email = any($1) group by created_at order by n desc`, [emails]);
    expect(rows).toEqual([{ n: 2 }, { n: 1 }]);
  });

  it('a CSV row of the wrong width is skipped; a file without an email column, an unclosed quote or no JSON object is not read at all', async () => {
    const summary = await importText(`email,hashed_password\n${unique('w')}@example.com,${bcryptHash},extra\n`);
    expect(summary.skips).toEqual([{ line: 2, field: 'line', reason: 'line has 3 fields, the header has 2' }]);
    expect(() => parseImportFile('mail,hashed_password\na@b.co,x\n')).toThrow(new ImportFileError('the header row (line 1) has no email column'));
    expect(() => parseImportFile('email,hashed_password\n"a@b.co,x\n')).toThrow(new ImportFileError('line 2: a quoted field is never closed'));
    expect(() => parseImportFile('{ nope\n[]\n', 'x.jsonl')).toThrow(ImportFileError);
    expect(() => parseImportFile('  \n')).toThrow(new ImportFileError('the file is empty'));
  });

  it('imported users sign in with their old passwords; the bcrypt one is rehashed to argon2id', async () => {
    const bc = `${unique('bc')}@example.com`;
    const ar = `${unique('ar')}@example.com`;
    // An argon2id hash holds commas (m=...,t=...,p=...): a CSV export quotes it.
    const csv = `email,password_hash\n${bc},${bcryptHash}\n${ar},"${await hashPassword(ARGON_PASSWORD)}"\n`;
    expect((await importText(csv)).imported).toBe(2);

    const loginBc = await app.caller().auth.login({ email: bc, password: BCRYPT_PASSWORD });
    expect(loginBc.user.email).toBe(bc);
    expect((await userRow(bc))!.password_hash).toMatch(/^\$argon2id\$/);
    await app.caller().auth.login({ email: bc, password: BCRYPT_PASSWORD });

    const argonBefore = (await userRow(ar))!.password_hash;
    expect((await app.caller().auth.login({ email: ar, password: ARGON_PASSWORD })).user.email).toBe(ar);
    expect((await userRow(ar))!.password_hash).toBe(argonBefore);
  });

  it('the command: exit 2 for usage, 1 for a file it cannot read or parse, 0 with the summary as JSON', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'users-import-'));
    const cli = (args: string[]) =>
      run(process.execPath, ['--import', 'tsx', 'src/cli/users-import.ts', ...args], {
        env: { ...process.env, DATABASE_URL: app.url, CONFIG_ENCRYPTION_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'silent' },
      }).then(
        ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
        (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
      );
    const unreadable = path.join(dir, 'missing.csv');
    const broken = path.join(dir, 'broken.csv');
    await writeFile(broken, 'name\nx\n');
    const good = path.join(dir, 'good.csv');
    const email = `${unique('cli')}@example.com`;
    await writeFile(good, `email,hashed_password\n${email},${bcryptHash}\nbad,${bcryptHash}\n`);

    const [usage, missing, parse, ok] = await Promise.all([cli([]), cli([unreadable]), cli([broken]), cli([good])]);
    expect(usage.code).toBe(2);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot read it (ENOENT)') });
    expect(parse).toMatchObject({ code: 1, stderr: expect.stringContaining('no email column') });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ file: good, imported: 1, skipped: 1, skips: [{ line: 3, field: 'email' }] });
  });
});
