import { defineProject } from 'vitest/config';

// The kit's web-standard engines again under the edge runtime: no Node
// built-ins, Web Crypto only, as on Vercel Edge, Supabase Edge and Cloudflare.
// Suites that use nock (it patches Node's HTTP stack) or node:* stay out.
export default defineProject({
  resolve: { conditions: ['@act/source'] },
  ssr: { resolve: { conditions: ['@act/source'] } },
  test: {
    name: 'connector-kit-edge',
    include: ['test/verify-*.test.ts', 'test/mirror-*.test.ts', 'test/settings-*.test.ts', 'test/api-errors.test.ts'],
    environment: 'edge-runtime',
  },
});
