import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // every test file gets its own SQLite file; browser tests each start their own Chromium
    maxWorkers: 2,
  },
});
