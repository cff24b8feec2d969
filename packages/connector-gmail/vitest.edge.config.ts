import { defineProject } from 'vitest/config';

// The receive path (signature, webhook parsing, transform) again under the
// edge runtime: no Node built-ins, Web Crypto only, as on Vercel Edge,
// Supabase Edge and Cloudflare. Tests that use nock (it patches Node's HTTP
// stack) or node:fs are Node-only and stay out: list new edge-safe tests here.
export default defineProject({
  resolve: { conditions: ['@act/source'] },
  ssr: { resolve: { conditions: ['@act/source'] } },
  test: {
    name: 'connector-gmail-edge',
    include: [
      'test/gmail-settings.test.ts',
      'test/gmail-signature.test.ts',
      'test/gmail-transform.test.ts',
      'test/calendar-webhook.test.ts',
    ],
    environment: 'edge-runtime',
  },
});
