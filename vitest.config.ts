import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // browser tests on a loaded 2-core machine need headroom; nothing asserts wall-clock time
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // every test file gets its own SQLite file; browser tests each start their own Chromium
    maxWorkers: 2,
  },
});
