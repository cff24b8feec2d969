// Property-based fuzzing of the webhook receive paths (the chaos suite, `pnpm chaos fuzz`, runs
// 100,000 cases per processor; this keeps a small version in the unit tests).
import { createMemorySink, createMemoryStateStore, createWebhookHandler, createWorker } from '@act/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGhlWebhook, createGhlWorkflowWebhook } from '../src/ghl-webhook';
import { createGhlConnector } from '../src/index';
import { generateGhlTestKeys, signGhlBody, TEST_WORKFLOW_SECRET } from './helpers/ghl-fixtures';

const RUNS = 500;
const body = fc.oneof(
  fc.uint8Array({ maxLength: 500 }),
  fc.jsonValue({ maxDepth: 3 }).map((value) => new TextEncoder().encode(JSON.stringify(value) ?? 'null')),
  fc.nat().map((n) =>
    new TextEncoder().encode(
      JSON.stringify({
        type: 'ContactUpdate',
        locationId: 'loc',
        id: `c${n}`,
        webhookId: `w${n}`,
        timestamp: new Date().toISOString(),
      }),
    ),
  ),
);
const stored = (store: ReturnType<typeof createMemoryStateStore>) =>
  Object.values(store.counts()).reduce((sum, n) => sum + n, 0);
const post = (bytes: Uint8Array, headers: Record<string, string>) =>
  new Request('http://localhost/webhooks/ghl', { method: 'POST', headers, body: new Uint8Array(bytes) });
const flip = (signature: string, at: number) => {
  const bytes = Uint8Array.from(atob(signature), (c) => c.charCodeAt(0));
  bytes[at % bytes.length] = (bytes[at % bytes.length] as number) ^ 1;
  return btoa(String.fromCharCode(...bytes));
};
const clean = (text: string) => text.replace(/[\r\n\0]/g, '');

describe('ghl webhook fuzzing', () => {
  it('answers 4xx and stores nothing for unsigned or forged Marketplace requests', async () => {
    const keys = await generateGhlTestKeys();
    const store = createMemoryStateStore();
    const handler = createWebhookHandler({
      processor: createGhlWebhook({ ed25519PublicKeys: [keys.ed25519Pem], rsaPublicKeys: [keys.rsaPem] }),
      store,
    });
    await fc.assert(
      fc.asyncProperty(body, fc.string({ maxLength: 120 }), fc.nat(), async (bytes, header, at) => {
        const signature = await signGhlBody(bytes, keys.ed25519.privateKey, 'ed25519');
        for (const headers of [
          {},
          { 'x-ghl-signature': clean(header) },
          { 'x-wh-signature': clean(header) },
          { 'x-ghl-signature': flip(signature, at) },
          { 'x-ghl-signature': flip(signature, at), 'x-wh-signature': signature },
        ] as Record<string, string>[]) {
          const response = await handler(post(bytes, headers));
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(response.status).toBeLessThan(500);
        }
        const other = new Uint8Array([...bytes, 0x20 + (at % 90)]);
        expect((await handler(post(other, { 'x-ghl-signature': signature }))).status).toBe(401);
      }),
      { numRuns: RUNS },
    );
    expect(stored(store)).toBe(0);
  });

  it('answers 4xx and stores nothing for workflow requests without the secret', async () => {
    const store = createMemoryStateStore();
    const handler = createWebhookHandler({
      processor: createGhlWorkflowWebhook({ secrets: [TEST_WORKFLOW_SECRET] }),
      store,
    });
    await fc.assert(
      fc.asyncProperty(body, fc.string({ maxLength: 60 }), async (bytes, secret) => {
        fc.pre(secret !== TEST_WORKFLOW_SECRET);
        for (const headers of [{}, { 'x-act-workflow-secret': clean(secret) }] as Record<string, string>[]) {
          const response = await handler(post(bytes, headers));
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(response.status).toBeLessThan(500);
        }
      }),
      { numRuns: RUNS },
    );
    expect(stored(store)).toBe(0);
  });

  it('never answers 5xx for authentic bodies it cannot parse', async () => {
    const keys = await generateGhlTestKeys();
    const marketplace = createWebhookHandler({
      processor: createGhlWebhook({ ed25519PublicKeys: [keys.ed25519Pem] }),
      store: createMemoryStateStore(),
    });
    const workflow = createWebhookHandler({
      processor: createGhlWorkflowWebhook({ secrets: [TEST_WORKFLOW_SECRET] }),
      store: createMemoryStateStore(),
    });
    await fc.assert(
      fc.asyncProperty(body, async (bytes) => {
        const signature = await signGhlBody(bytes, keys.ed25519.privateKey, 'ed25519');
        expect((await marketplace(post(bytes, { 'x-ghl-signature': signature }))).status).toBeLessThan(500);
        expect((await workflow(post(bytes, { 'x-act-workflow-secret': TEST_WORKFLOW_SECRET }))).status).toBeLessThan(
          500,
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps authentic poison deliveries (2xx, never 429) and dead-letters each at once: deep JSON, NUL, lone surrogates, over-long ids', async () => {
    const keys = await generateGhlTestKeys();
    const store = createMemoryStateStore();
    const connector = createGhlConnector({ webhook: { ed25519PublicKeys: [keys.ed25519Pem] } });
    const handler = createWebhookHandler({ processor: connector.webhook, store });
    const worker = createWorker({ connectors: [connector], store, sink: createMemorySink(), circuitBreaker: false });
    const poisonId = fc.oneof(
      fc.string({ maxLength: 20 }).map((text) => `${text}\u0000${text}`),
      fc.string({ maxLength: 20 }).map((text) => `${text}\ud800`),
      fc.string({ minLength: 600, maxLength: 3_000, unit: 'grapheme-ascii' }),
    );
    const deep = fc.integer({ min: 129, max: 100_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(poisonId, deep),
        fc.constantFrom('webhookId', 'locationId', 'id'),
        fc.nat(),
        async (poison, where, n) => {
          const body: Record<string, unknown> = {
            type: 'ContactUpdate',
            locationId: 'loc',
            id: `c${n}`,
            webhookId: `w${n}-${sent}`,
            timestamp: new Date().toISOString(),
          };
          const isDeep = poison.startsWith('{"a":');
          if (!isDeep) body[where] = poison;
          const text = isDeep
            ? JSON.stringify({ ...body, customData: 0 }).replace('"customData":0', `"customData":${poison}`)
            : JSON.stringify(body);
          const bytes = new TextEncoder().encode(text);
          const signature = await signGhlBody(bytes, keys.ed25519.privateKey, 'ed25519');
          const response = await handler(post(bytes, { 'x-ghl-signature': signature }));
          // GHL drops anything but a 429 and retries a 429 for hours: kept, 2xx.
          expect(response.status).toBeGreaterThanOrEqual(200);
          expect(response.status).toBeLessThan(300);
          sent++;
        },
      ),
      { numRuns: 200 },
    );
    const round = await worker.drain();
    expect(round.outcomes).toMatchObject({ done: 0, retrying: 0 });
    const deliveries = await store.listDeliveries({ limit: 1_000 });
    expect(round.outcomes.dead).toBe(deliveries.length);
    for (const delivery of deliveries) {
      expect(delivery).toMatchObject({ status: 'dead', lastErrorClass: 'validation', attempts: 1 });
      expect(delivery.lastError).toMatch(/nested deeper than 128|NUL character|lone surrogate|UTF-8 bytes, the limit/);
    }
  });
});
