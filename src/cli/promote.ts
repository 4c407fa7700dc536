/** `npm run users:promote -- <email>`: make an existing user an admin (see src/auth/promote.ts). */
import { databaseSsl, loadConfig } from '../config.js';
import { promoteToAdmin } from '../auth/promote.js';
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
  const client = new pg.Client({ connectionString: database.url, ssl: databaseSsl(config) });
  await client.connect();
  try {
    const id = await promoteToAdmin(client, email, { userAgent: 'users:promote' });
    if (!id) {
      console.error(`no user with email ${email}`);
      process.exitCode = 1;
    } else {
      console.log(`${email} (${id}) is now an admin`);
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
