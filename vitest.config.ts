import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      'packages/*/vitest.config.ts',
      'packages/*/vitest.edge.config.ts',
      'tools/vitest.config.ts',
      'examples/*/vitest.config.ts',
    ],
    // In CI, also write machine-readable results; .ci/run prints the totals from them.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.tmp/vitest-results.json' },
  },
});
