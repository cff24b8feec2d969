// Property-based fuzzing of the webhook receive path (the chaos suite, `pnpm chaos fuzz`, runs
// 100,000 cases per connector; this keeps a small version in the unit tests).
import { createMemoryStateStore, createWebhookHandler } from '@act/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signXeroBody } from '../src/xero-signature';
import { createXeroWebhook } from '../src/xero-webhook';
import { TEST_KEY } from './helpers/xero-fixtures';

const RUNS = 500;
const body = fc.oneof(
  fc.uint8Array({ maxLength: 500 }),
  fc.jsonValue({ maxDepth: 3 }).map((value) => new TextEncoder().encode(JSON.stringify(value) ?? 'null')),
);
const stored = (store: ReturnType<typeof createMemoryStateStore>) =>
  Object.values(store.counts()).reduce((sum, n) => sum + n, 0);
const post = (bytes: Uint8Array, headers: Record<string, string>) =>
  new Request('http://localhost/webhooks/xero', { method: 'POST', headers, body: new Uint8Array(bytes) });
const flip = (signature: string, at: number) => {
  const bytes = Uint8Array.from(atob(signature), (c) => c.charCodeAt(0));
  bytes[at % bytes.length] = (bytes[at % bytes.length] as number) ^ 1;
  return btoa(String.fromCharCode(...bytes));
};

describe('xero webhook fuzzing', () => {
  it('answers 4xx and stores nothing for unsigned or forged requests', async () => {
    const store = createMemoryStateStore();
    const handler = createWebhookHandler({ processor: createXeroWebhook({ keys: [TEST_KEY] }), store });
    await fc.assert(
      fc.asyncProperty(body, fc.string({ maxLength: 120 }), fc.nat(), async (bytes, header, at) => {
        const signature = await signXeroBody(bytes as never, TEST_KEY);
        for (const headers of [
          {},
          { 'x-xero-signature': header.replace(/[\r\n\0]/g, '') },
          { 'x-xero-signature': flip(signature, at) },
        ] as Record<string, string>[]) {
          const response = await handler(post(bytes, headers));
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(response.status).toBeLessThan(500);
        }
        const other = new Uint8Array([...bytes, 0x20 + (at % 90)]);
        expect((await handler(post(other, { 'x-xero-signature': signature }))).status).toBe(401);
      }),
      { numRuns: RUNS },
    );
    expect(stored(store)).toBe(0);
  });

  it('never answers 5xx for signed bodies it cannot parse', async () => {
    const handler = createWebhookHandler({
      processor: createXeroWebhook({ keys: [TEST_KEY] }),
      store: createMemoryStateStore(),
    });
    await fc.assert(
      fc.asyncProperty(body, async (bytes) => {
        const signature = await signXeroBody(bytes as never, TEST_KEY);
        const response = await handler(post(bytes, { 'x-xero-signature': signature }));
        expect(response.status).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers authentic poison deliveries for good (never 5xx or 429): deep JSON, NUL, lone surrogates, over-long ids', async () => {
    const handler = createWebhookHandler({
      processor: createXeroWebhook({ keys: [TEST_KEY] }),
      store: createMemoryStateStore(),
    });
    const poison = fc.oneof(
      fc.string({ maxLength: 20 }).map((text) => `${text}\u0000${text}`),
      fc.string({ maxLength: 20 }).map((text) => `${text}\ud800`),
      fc.string({ minLength: 600, maxLength: 3_000, unit: 'grapheme-ascii' }),
      fc.integer({ min: 129, max: 100_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
    );
    await fc.assert(
      fc.asyncProperty(poison, fc.constantFrom('resourceId', 'tenantId', 'deep'), async (value, where) => {
        const event: Record<string, unknown> = {
          resourceUrl: 'https://api.xero.com/api.xro/2.0/Invoices/0f0a3d4b-1a7c-4c8e-9e2b-2f6c1d8e9a01',
          resourceId: '0f0a3d4b-1a7c-4c8e-9e2b-2f6c1d8e9a01',
          eventDateUtc: '2026-03-02T10:00:00.000',
          eventType: 'UPDATE',
          eventCategory: 'INVOICE',
          tenantId: 'a1b2c3d4-0000-4000-8000-000000000001',
          tenantType: 'ORGANISATION',
        };
        if (where !== 'deep' && !value.startsWith('[')) event[where] = value;
        let text = JSON.stringify({ events: [event], firstEventSequence: 1, lastEventSequence: 1, entropy: 'X' });
        if (value.startsWith('[')) text = text.replace('"X"', value);
        const bytes = new TextEncoder().encode(text);
        const response = await handler(
          post(bytes, { 'x-xero-signature': await signXeroBody(bytes as never, TEST_KEY) }),
        );
        expect(response.status).not.toBe(429);
        expect(response.status).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
  });
});
