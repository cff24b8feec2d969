// Property-based fuzzing of the webhook receive paths (the chaos suite, `pnpm chaos fuzz`, runs
// 100,000 cases per processor; this keeps a small version in the unit tests). The checks every
// processor shares are the kit's; the no-downgrade case and the poison answer are GHL's own.

import { fuzzPoison, fuzzWebhookProcessor, tamperSignature } from '@act/connector-kit/testing';
import { createMemorySink, createMemoryStateStore, createWebhookHandler, createWorker } from '@act/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGhlWebhook, createGhlWorkflowWebhook } from '../src/ghl-webhook';
import { createGhlConnector } from '../src/index';
import { generateGhlTestKeys, signGhlBody, TEST_WORKFLOW_SECRET } from './helpers/ghl-fixtures';

const keys = await generateGhlTestKeys();
const contactUpdate = fc.nat().map((n) =>
  new TextEncoder().encode(
    JSON.stringify({
      type: 'ContactUpdate',
      locationId: 'loc',
      id: `c${n}`,
      webhookId: `w${n}`,
      timestamp: new Date().toISOString(),
    }),
  ),
);
const sign = async (bytes: Uint8Array) => ({
  'x-ghl-signature': await signGhlBody(bytes, keys.ed25519.privateKey, 'ed25519'),
});
const post = (bytes: Uint8Array, headers: Record<string, string>) =>
  new Request('http://localhost/webhooks/ghl', { method: 'POST', headers, body: new Uint8Array(bytes) });

fuzzWebhookProcessor({
  name: 'ghl marketplace',
  processor: () => createGhlWebhook({ ed25519PublicKeys: [keys.ed25519Pem], rsaPublicKeys: [keys.rsaPem] }),
  sign,
  signatureHeaders: ['x-ghl-signature', 'x-wh-signature'],
  bodies: [contactUpdate],
  deliveries: contactUpdate,
  // A forged x-ghl-signature is refused even beside a signature in the legacy header (no downgrade).
  forgeries: (signed, at) => [
    {
      'x-ghl-signature': tamperSignature(signed['x-ghl-signature'] as string, at),
      'x-wh-signature': signed['x-ghl-signature'] as string,
    },
  ],
});

fuzzWebhookProcessor({
  name: 'ghl workflow',
  processor: () => createGhlWorkflowWebhook({ secrets: [TEST_WORKFLOW_SECRET] }),
  sign: () => ({ 'x-act-workflow-secret': TEST_WORKFLOW_SECRET }),
  // A shared secret does not cover the body.
  bodyBound: false,
  bodies: [contactUpdate],
});

describe('ghl webhook poison', () => {
  it('keeps authentic poison deliveries (2xx, never 429) and dead-letters each at once: deep JSON, NUL, lone surrogates, over-long ids', async () => {
    const store = createMemoryStateStore();
    const connector = createGhlConnector({ webhook: { ed25519PublicKeys: [keys.ed25519Pem] } });
    const handler = createWebhookHandler({ processor: connector.webhook, store });
    const worker = createWorker({ connectors: [connector], store, sink: createMemorySink(), circuitBreaker: false });
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fuzzPoison.strings, fuzzPoison.deepObject),
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
          const response = await handler(post(bytes, await sign(bytes)));
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
