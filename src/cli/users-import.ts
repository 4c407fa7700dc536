/**
 * `npm run users:import -- <file>`: bring users of the seeds' existing systems over with their
 * password hashes (see src/auth/import-users.ts). Prints the summary as JSON. Exit code 0 when
 * the file was read (skipped lines included), 1 when it cannot be read or parsed at all (or
 * the database fails), 2 for usage.
 */
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { ImportFileError, importUsers, parseImportFile, type ParsedFile } from '../auth/import-users.js';
import { databaseSsl, loadConfig } from '../config.js';
import { openDatabase } from '../db/lifecycle.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length !== 1 || args[0]!.startsWith('-')) {
    console.error('usage: npm run users:import -- <file.csv | file.jsonl>');
    process.exit(2);
  }
  const file = args[0]!;
  // Read and parse before opening the database: a bad file fails fast and touches nothing.
  let parsed: ParsedFile;
  try {
    parsed = parseImportFile(await readFile(file, 'utf8'), file);
  } catch (err) {
    const reason = err instanceof ImportFileError ? err.message : `cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
    console.error(`${file}: ${reason}`);
    process.exit(1);
  }
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL });
  const client = new pg.Client({ connectionString: database.url, ssl: databaseSsl(config) });
  await client.connect();
  try {
    const summary = await importUsers(client, parsed, { userAgent: 'users:import' });
    console.log(JSON.stringify({ file, ...summary }, null, 2));
  } finally {
    await client.end();
    await database.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
