import { defineProject } from 'vitest/config';

// The same tests under the edge runtime (no Node built-ins, Web Crypto only),
// proving the main entry runs on Vercel Edge, Supabase Edge and Cloudflare.
// Tests of the Node adapter are Node-only by nature and stay out.
export default defineProject({
  resolve: { conditions: ['@act/source'] },
  ssr: { resolve: { conditions: ['@act/source'] } },
  test: {
    name: 'core-edge',
    include: ['test/**/*.test.ts'],
    exclude: ['test/node/**', 'test/deno/**'],
    environment: 'edge-runtime',
  },
});
