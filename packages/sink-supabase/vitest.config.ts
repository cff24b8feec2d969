import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@act/source'] },
  ssr: { resolve: { conditions: ['@act/source'] } },
  test: {
    name: 'sink-supabase',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // PGlite boots a WASM Postgres per test file; real-Postgres suites wait on locks.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
