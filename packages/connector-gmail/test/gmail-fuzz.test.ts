// Property-based fuzzing of the webhook receive path (the chaos suite, `pnpm chaos fuzz`, runs
// 100,000 cases per connector; this keeps a small version in the unit tests). The checks every
// processor shares are the kit's; the poison answer is Gmail's own.

import { fuzzPoison, fuzzWebhookProcessor } from '@act/connector-kit/testing';
import { createMemoryStateStore, createWebhookHandler } from '@act/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGmailWebhook } from '../src/gmail-webhook';
import { fixtures, signGmailBody, TEST_SECRET } from './helpers/gmail-fixtures';

const sign = async (bytes: Uint8Array) => ({ 'x-gmail-signature': await signGmailBody(bytes) });
const post = (bytes: Uint8Array, headers: Record<string, string>) =>
  new Request('http://localhost/webhooks/gmail', { method: 'POST', headers, body: new Uint8Array(bytes) });
const stored = (store: ReturnType<typeof createMemoryStateStore>) =>
  Object.values(store.counts()).reduce((sum, n) => sum + n, 0);

fuzzWebhookProcessor({
  name: 'gmail',
  processor: () => createGmailWebhook({ secrets: [TEST_SECRET] }),
  sign,
  // One delivery id per body: a changed body under a known id would be a conflicting redelivery.
  deliveries: fc
    .nat()
    .map((n) =>
      new TextEncoder().encode(fixtures.recordCreated.replace(/"id":\s*"evt_[^"]*"/, `"id": "evt_fuzz_${n}"`)),
    ),
});

describe('gmail webhook poison', () => {
  it('refuses authentic poison deliveries for good (400, nothing stored): deep JSON, NUL, lone surrogates, over-long ids', async () => {
    const store = createMemoryStateStore();
    const handler = createWebhookHandler({ processor: createGmailWebhook({ secrets: [TEST_SECRET] }), store });
    let accepted = 0;
    // One timestamp for every case: the accepted body is then byte-identical each time (a changed body under a
    // known delivery id would rightly be kept as a conflicting redelivery).
    const at = new Date().toISOString();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fuzzPoison.strings, fuzzPoison.deepArray),
        fc.constantFrom('id', 'account_id', 'object_id', 'deep'),
        async (poison, where) => {
          const delivery = {
            id: where === 'id' ? poison : 'evt_1',
            type: 'record.updated',
            account_id: where === 'account_id' ? poison : 'acct_1',
            created_at: at,
            data: { object: { id: where === 'object_id' ? poison : 'rec_1', name: 'Ada', updated_at: at } },
          };
          const text =
            where === 'deep' || poison.startsWith('[')
              ? JSON.stringify(delivery).replace('"Ada"', poison.startsWith('[') ? poison : `"${'['.repeat(200)}"`)
              : JSON.stringify(delivery);
          const bytes = new TextEncoder().encode(text);
          const response = await handler(post(bytes, await sign(bytes)));
          // Never 5xx or 429 (a retry that can never succeed); a bracket-laden string is fine.
          expect(response.status).not.toBe(429);
          expect(response.status).toBeLessThan(500);
          if (poison.startsWith('[') || where !== 'deep') expect(response.status).toBe(400);
          else accepted += response.status === 200 ? 1 : 0;
        },
      ),
      { numRuns: 200 },
    );
    // Only the harmless string of brackets was stored (always delivery evt_1: once, then duplicates).
    expect(stored(store)).toBe(accepted > 0 ? 1 : 0);
  });
});
