// Property-based fuzzing of the webhook receive path (the chaos suite, `pnpm chaos fuzz`, runs
// 100,000 cases per connector; this keeps a small version in the unit tests). The checks every
// processor shares are the kit's; the poison answer is Xero's own.

import { fuzzPoison, fuzzWebhookProcessor } from '@act/connector-kit/testing';
import { createMemoryStateStore, createWebhookHandler } from '@act/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signXeroBody } from '../src/xero-signature';
import { createXeroWebhook } from '../src/xero-webhook';
import { TEST_KEY } from './helpers/xero-fixtures';

const event = {
  resourceUrl: 'https://api.xero.com/api.xro/2.0/Invoices/0f0a3d4b-1a7c-4c8e-9e2b-2f6c1d8e9a01',
  resourceId: '0f0a3d4b-1a7c-4c8e-9e2b-2f6c1d8e9a01',
  eventDateUtc: '2026-03-02T10:00:00.000',
  eventType: 'UPDATE',
  eventCategory: 'INVOICE',
  tenantId: 'a1b2c3d4-0000-4000-8000-000000000001',
  tenantType: 'ORGANISATION',
};
const sign = async (bytes: Uint8Array) => ({ 'x-xero-signature': await signXeroBody(bytes, TEST_KEY) });
const post = (bytes: Uint8Array, headers: Record<string, string>) =>
  new Request('http://localhost/webhooks/xero', { method: 'POST', headers, body: new Uint8Array(bytes) });

fuzzWebhookProcessor({
  name: 'xero',
  processor: () => createXeroWebhook({ keys: [TEST_KEY] }),
  sign,
  deliveries: fc
    .nat()
    .map((n) =>
      new TextEncoder().encode(
        JSON.stringify({ events: [event], firstEventSequence: n, lastEventSequence: n, entropy: `E${n}` }),
      ),
    ),
});

describe('xero webhook poison', () => {
  it('answers authentic poison deliveries for good (never 5xx or 429): deep JSON, NUL, lone surrogates, over-long ids', async () => {
    const handler = createWebhookHandler({
      processor: createXeroWebhook({ keys: [TEST_KEY] }),
      store: createMemoryStateStore(),
    });
    const poison = fc.oneof(fuzzPoison.strings, fuzzPoison.deepArray);
    await fc.assert(
      fc.asyncProperty(poison, fc.constantFrom('resourceId', 'tenantId', 'deep'), async (value, where) => {
        const poisoned: Record<string, unknown> = { ...event };
        if (where !== 'deep' && !value.startsWith('[')) poisoned[where] = value;
        let text = JSON.stringify({ events: [poisoned], firstEventSequence: 1, lastEventSequence: 1, entropy: 'X' });
        if (value.startsWith('[')) text = text.replace('"X"', value);
        const bytes = new TextEncoder().encode(text);
        const response = await handler(post(bytes, await sign(bytes)));
        expect(response.status).not.toBe(429);
        expect(response.status).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
  });
});
