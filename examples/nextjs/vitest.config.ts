import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'example-nextjs',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // `next build` alone takes a minute or more on two cores.
    testTimeout: 240_000,
    hookTimeout: 240_000,
  },
});
