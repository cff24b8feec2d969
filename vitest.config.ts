import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      'packages/*/vitest.config.ts',
      'packages/*/vitest.edge.config.ts',
      'tools/vitest.config.ts',
      'examples/*/vitest.config.ts',
    ],
    // Most suites wait on Postgres or a child process rather than the CPU, so two
    // workers on a 2-core machine roughly halve the wall time.
    maxWorkers: 2,
    // In CI, also write machine-readable results; .ci/run prints the totals from them.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.tmp/vitest-results.json' },
  },
});
