import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@act/source'] },
  ssr: { resolve: { conditions: ['@act/source'] } },
  test: {
    name: 'cli',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // PGlite data directories on disk open in seconds, and every command opens one.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
