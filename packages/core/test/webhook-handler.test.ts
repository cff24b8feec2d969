import { describe, expect, it } from 'vitest';
import { createWebhookHandler } from '../src/http/create-webhook-handler';
import { createMemoryStateStore } from '../src/memory/memory-state-store';
import type { WebhookProcessorV1 } from '../src/spec/v1';
import { createTestConnector, signedRequest, thing } from './helpers/test-connector';

describe('createWebhookHandler', () => {
  const body = { deliveryId: 'h1', tenant: 'acme', type: 'ThingUpsert' as const, thing: thing('t1', 'x') };

  it('stores only the headers that matter, never cookies or auth', async () => {
    const { webhook } = createTestConnector();
    const store = createMemoryStateStore();
    const handle = createWebhookHandler({ processor: webhook, store });
    await handle(
      await signedRequest(body, {
        headers: { cookie: 'session=1', authorization: 'Bearer x', 'user-agent': 'provider/1' },
      }),
    );
    const [stored] = await store.listDeliveries({});
    expect(Object.keys(stored?.headers ?? {}).sort()).toEqual(['content-type', 'user-agent', 'x-test-signature']);
  });

  it('keeps the caller’s correlation id, or makes one', async () => {
    const { webhook } = createTestConnector();
    const store = createMemoryStateStore();
    const handle = createWebhookHandler({ processor: webhook, store, generateId: () => 'generated-id' });
    await handle(await signedRequest(body, { headers: { 'x-correlation-id': 'from-gateway' } }));
    await handle(await signedRequest({ ...body, deliveryId: 'h2' }));
    const ids = (await store.listDeliveries({})).map((delivery) => delivery.correlationId).sort();
    expect(ids).toEqual(['from-gateway', 'generated-id']);
  });

  it('answers handshakes before verification, and 405 to other methods', async () => {
    const { webhook } = createTestConnector();
    const processor: WebhookProcessorV1 = {
      ...webhook,
      handshake: (request) => (request.method === 'GET' ? new Response('challenge-ok', { status: 200 }) : undefined),
    };
    const store = createMemoryStateStore();
    const handle = createWebhookHandler({ processor, store });
    const challenge = await handle(new Request('http://localhost/webhooks/test?challenge=1'));
    expect(await challenge.text()).toBe('challenge-ok');
    const put = await handle(new Request('http://localhost/webhooks/test', { method: 'PUT', body: '{}' }));
    expect(put.status).toBe(405);
    expect(await store.listDeliveries({})).toHaveLength(0);
  });

  it('lets a processor shape its answers (an empty body, as Xero requires)', async () => {
    const { webhook } = createTestConnector();
    const processor: WebhookProcessorV1 = {
      ...webhook,
      acknowledge: () => new Response(null, { status: 200 }),
      reject: (status) => new Response(null, { status }),
    };
    const handle = createWebhookHandler({ processor, store: createMemoryStateStore() });
    const ok = await handle(await signedRequest(body));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('');
    const bad = await handle(await signedRequest(body, { secret: 'wrong' }));
    expect(bad.status).toBe(401);
    expect(await bad.text()).toBe('');
  });

  it('treats a verify that throws as a failed verification (fail closed)', async () => {
    const { webhook } = createTestConnector();
    const processor: WebhookProcessorV1 = {
      ...webhook,
      verify: async () => Promise.reject(new Error('jwks unreachable')),
    };
    const store = createMemoryStateStore();
    const response = await createWebhookHandler({ processor, store })(await signedRequest(body));
    expect(response.status).toBe(401);
    expect((await response.json()).error).toBe('[@act/test-connector] verification failed: jwks unreachable');
    expect(await store.listDeliveries({})).toHaveLength(0);
  });

  it('reports receipts to the metric hooks', async () => {
    const { webhook } = createTestConnector();
    const counts: string[] = [];
    const handle = createWebhookHandler({
      processor: webhook,
      store: createMemoryStateStore(),
      metrics: { increment: (name, labels) => counts.push(`${name}:${labels?.outcome}`) },
    });
    await handle(await signedRequest(body));
    await handle(await signedRequest(body));
    await handle(await signedRequest(body, { secret: 'wrong' }));
    expect(counts).toEqual([
      'act_deliveries_received_total:stored',
      'act_deliveries_received_total:duplicate',
      'act_deliveries_received_total:rejected',
    ]);
  });

  it('can keep an authentic but unparseable delivery for replay instead of losing it to a 400', async () => {
    const { webhook, connector } = createTestConnector();
    const store = createMemoryStateStore();
    const handle = createWebhookHandler({ processor: { ...webhook, storeUnparseable: true }, store });
    const response = await handle(await signedRequest('{"tenant": "acme", '));
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ received: true, error: '[@act/test-connector] body is not JSON' });
    const [stored] = await store.listDeliveries({});
    expect(stored?.tenant).toBe('unknown');
    const { createWorker } = await import('../src/runtime/worker');
    const { createMemorySink } = await import('../src/memory/memory-sink');
    await createWorker({ connectors: [connector], store, sink: createMemorySink(), circuitBreaker: false }).drain();
    expect(await store.getDelivery(stored?.id ?? '')).toMatchObject({
      status: 'dead',
      lastErrorClass: 'validation',
      lastError: '[@act/test-connector] body is not JSON',
    });
    // A bad signature is still refused and never stored.
    expect((await handle(await signedRequest('{', { secret: 'wrong' }))).status).toBe(401);
    expect(await store.listDeliveries({})).toHaveLength(1);
  });

  it('answers a stored unparseable delivery through the processor’s own acknowledge (an empty body for Xero)', async () => {
    const { webhook } = createTestConnector();
    const store = createMemoryStateStore();
    const processor: WebhookProcessorV1 = {
      ...webhook,
      storeUnparseable: true,
      acknowledge: () => new Response(null, { status: 200 }),
    };
    const response = await createWebhookHandler({ processor, store })(await signedRequest('not json'));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
    expect(await store.listDeliveries({})).toHaveLength(1);
  });
});
