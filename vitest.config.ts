import { defineConfig } from 'vitest/config';

// FAILING_FIXTURE=1 runs only the test that fails on purpose (test/fixtures), through the same
// global setup as the suite: .ci/run uses it to prove that a red run exits non-zero.
const fixture = Boolean(process.env.FAILING_FIXTURE);

export default defineConfig({
  test: {
    include: fixture ? ['test/fixtures/*.test.ts'] : ['test/**/*.test.ts'],
    exclude: fixture ? [] : ['test/fixtures/**', '**/node_modules/**'],
    // One PostgreSQL server per run, a migrated template database, a copy per test file.
    globalSetup: ['test/support/global-setup.ts'],
    // Files run in parallel on the machine's cores; each has its own database.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    env: { NODE_ENV: 'test' },
  },
});
