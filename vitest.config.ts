import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        // Pure functions, no Redis, no MySQL, no compiled CLI: `npm run check` runs these in seconds.
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        // Real Redis and MySQL, processes of their own (the compiled CLI, private instances).
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/unit/**'],
          globalSetup: ['test/global-setup.ts'],
          // The suites measure races on 2 cores; running files one at a time keeps each file's
          // concurrency its own instead of a contest between files.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
