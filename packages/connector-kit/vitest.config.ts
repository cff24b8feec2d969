import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@act/source'] },
  ssr: { resolve: { conditions: ['@act/source'] } },
  test: {
    name: 'connector-kit',
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
