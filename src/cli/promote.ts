/**
 * `npm run users:promote -- <email>`: make an existing user an admin. The first admin has to
 * come from somewhere other than an admin: this acts as the system (request role, admin
 * setting) from the owner's connection, so RLS, the guard trigger and the audit log all apply.
 */
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/lifecycle.js';
import pg from 'pg';

async function main(): Promise<void> {
  const email = process.argv[2];
  if (!email) {
    console.error('usage: npm run users:promote -- <email>');
    process.exit(2);
  }
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL });
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query('begin');
    await client.query(`select * from core.begin_request(null, null, 'users:promote', null)`);
    await client.query(`select core.act_as(null, 'admin')`);
    const { rows } = await client.query<{ id: string }>(`update core.users set role = 'admin' where email = $1 returning id`, [email]);
    await client.query('commit');
    if (!rows[0]) {
      console.error(`no user with email ${email}`);
      process.exitCode = 1;
    } else {
      console.log(`${email} (${rows[0].id}) is now an admin`);
    }
  } finally {
    await client.end();
    await database.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
