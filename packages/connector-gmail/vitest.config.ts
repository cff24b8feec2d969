import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@act/source'] },
  ssr: { resolve: { conditions: ['@act/source'] } },
  test: {
    name: 'connector-gmail',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // PGlite and Postgres suites on a loaded 2-core CI machine: a first test that boots a database can take seconds.
    testTimeout: 30_000,
  },
});
