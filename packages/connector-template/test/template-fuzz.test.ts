// Property-based fuzzing of the webhook receive path (the chaos suite, `pnpm chaos fuzz`, runs
// 100,000 cases per connector; this keeps a small version in the unit tests).
import { createMemoryStateStore, createWebhookHandler } from '@act/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTemplateWebhook } from '../src/template-webhook';
import { signTemplateBody, TEST_SECRET } from './helpers/template-fixtures';

const RUNS = 500;
const body = fc.oneof(
  fc.uint8Array({ maxLength: 500 }),
  fc.jsonValue({ maxDepth: 3 }).map((value) => new TextEncoder().encode(JSON.stringify(value) ?? 'null')),
);
const stored = (store: ReturnType<typeof createMemoryStateStore>) =>
  Object.values(store.counts()).reduce((sum, n) => sum + n, 0);
const post = (bytes: Uint8Array, headers: Record<string, string>) =>
  new Request('http://localhost/webhooks/template', { method: 'POST', headers, body: new Uint8Array(bytes) });

describe('template webhook fuzzing', () => {
  it('answers 4xx and stores nothing for unsigned or forged requests', async () => {
    const store = createMemoryStateStore();
    const handler = createWebhookHandler({ processor: createTemplateWebhook({ secrets: [TEST_SECRET] }), store });
    await fc.assert(
      fc.asyncProperty(body, fc.string({ maxLength: 120 }), fc.nat(), async (bytes, header, flip) => {
        const signed = await signTemplateBody(bytes);
        const forged = signed.replace(/v1=([0-9a-f])/, (_, digit: string) => `v1=${digit === '0' ? '1' : '0'}`);
        for (const headers of [
          {},
          { 'x-template-signature': header.replace(/[\r\n\0]/g, '') },
          { 'x-template-signature': forged },
        ] as Record<string, string>[]) {
          const response = await handler(post(bytes, headers));
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(response.status).toBeLessThan(500);
        }
        // The right signature over other bytes.
        const other = new Uint8Array([...bytes, 0x20 + (flip % 90)]);
        expect((await handler(post(other, { 'x-template-signature': signed }))).status).toBe(401);
      }),
      { numRuns: RUNS },
    );
    expect(stored(store)).toBe(0);
  });

  it('never answers 5xx for signed bodies it cannot parse', async () => {
    const handler = createWebhookHandler({
      processor: createTemplateWebhook({ secrets: [TEST_SECRET] }),
      store: createMemoryStateStore(),
    });
    await fc.assert(
      fc.asyncProperty(body, async (bytes) => {
        const response = await handler(post(bytes, { 'x-template-signature': await signTemplateBody(bytes) }));
        expect(response.status).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses authentic poison deliveries for good (400, nothing stored): deep JSON, NUL, lone surrogates, over-long ids', async () => {
    const store = createMemoryStateStore();
    const handler = createWebhookHandler({ processor: createTemplateWebhook({ secrets: [TEST_SECRET] }), store });
    const poisonId = fc.oneof(
      fc.string({ maxLength: 20 }).map((text) => `${text}\u0000${text}`),
      fc.string({ maxLength: 20 }).map((text) => `${text}\ud800`),
      fc.string({ minLength: 600, maxLength: 3_000, unit: 'grapheme-ascii' }),
    );
    let accepted = 0;
    // One timestamp for every case: the accepted body is then byte-identical each time (a changed body under a
    // known delivery id would rightly be kept as a conflicting redelivery).
    const at = new Date().toISOString();
    const deep = fc.integer({ min: 129, max: 100_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(poisonId, deep),
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
          const response = await handler(post(bytes, { 'x-template-signature': await signTemplateBody(bytes) }));
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
