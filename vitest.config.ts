import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One PostgreSQL server per run, a migrated template database, a copy per test file.
    globalSetup: ['test/support/global-setup.ts'],
    // Files run in parallel on the machine's cores; each has its own database.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    env: { NODE_ENV: 'test' },
  },
});
