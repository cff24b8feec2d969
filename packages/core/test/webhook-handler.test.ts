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

  it('stores the URL with the values of secret query parameters redacted, while verify sees them', async () => {
    const { webhook } = createTestConnector();
    const seen: string[] = [];
    const processor: WebhookProcessorV1 = {
      ...webhook,
      secretQueryParameters: ['token'],
      verify: async (request) => {
        seen.push(request.url);
        return webhook.verify(request);
      },
    };
    const store = createMemoryStateStore();
    const handle = createWebhookHandler({ processor, store });
    const signed = await signedRequest(body);
    const request = new Request('http://localhost/webhooks/test?token=s3cret&keep=1', {
      method: 'POST',
      headers: signed.headers,
      body: await signed.text(),
    });
    expect((await handle(request)).status).toBe(200);
    expect(seen).toEqual(['http://localhost/webhooks/test?token=s3cret&keep=1']);
    const [stored] = await store.listDeliveries({});
    expect(stored?.url).toBe('http://localhost/webhooks/test?token=redacted&keep=1');
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

  it('keeps a redelivery with a known id and a changed body as a conflict, applied only where it is newer', async () => {
    const { createWorker } = await import('../src/pipeline/worker');
    const { createMemorySink } = await import('../src/memory/memory-sink');
    const { webhook, connector } = createTestConnector();
    const store = createMemoryStateStore();
    const sink = createMemorySink();
    const counts: string[] = [];
    const warnings: Record<string, unknown>[] = [];
    const handle = createWebhookHandler({
      processor: webhook,
      store,
      metrics: { increment: (_name, labels) => counts.push(labels?.outcome ?? '') },
      logger: { debug() {}, info() {}, warn: (fields) => warnings.push(fields), error() {} },
    });
    const worker = createWorker({ connectors: [connector], store, sink, circuitBreaker: false });
    const at = (minute: number) => `2026-11-01T10:0${minute}:00.000Z`;
    const first = await handle(await signedRequest({ ...body, thing: thing('t1', 'first', at(1)) }));
    const { id: firstId } = await first.json();
    await worker.drain();

    // Same delivery id, newer version: answered 200 (the provider stops), kept, applied.
    const newer = await handle(await signedRequest({ ...body, thing: thing('t1', 'newer', at(2)) }));
    expect(newer.status).toBe(200);
    const answer = await newer.json();
    expect(answer).toEqual({ received: true, id: expect.any(String), duplicate: false, conflictOf: firstId });
    await worker.drain();
    expect(sink.row('things', { tenant_id: 'acme', id: 't1' })?.values.name).toBe('newer');

    // Same id, older version: still kept and visible, but the version guard keeps the newer row.
    const older = await (await handle(await signedRequest({ ...body, thing: thing('t1', 'older', at(0)) }))).json();
    expect(older.conflictOf).toBe(firstId);
    await worker.drain();
    expect(sink.row('things', { tenant_id: 'acme', id: 't1' })?.values.name).toBe('newer');
    expect(await store.getDelivery(older.id)).toMatchObject({ status: 'done', conflictOf: firstId });

    // The same changed body again is a plain duplicate.
    const again = await handle(await signedRequest({ ...body, thing: thing('t1', 'older', at(0)) }));
    expect(await again.json()).toEqual({ received: true, id: older.id, duplicate: true });
    expect(counts).toEqual(['stored', 'conflict', 'conflict', 'duplicate']);
    expect(warnings.map((fields) => fields.conflictOf)).toEqual([firstId, firstId]);
    expect((await store.listDeliveries({ conflicts: true })).map((delivery) => delivery.id)).toEqual([
      older.id,
      answer.id,
    ]);
    expect((await store.health()).find((figure) => figure.tenant === 'acme')?.conflicts).toBe(2);
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
    const { createWorker } = await import('../src/pipeline/worker');
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

describe('createWebhookHandler with a processor that splits deliveries', () => {
  interface Item {
    tenant: string;
    id: string;
  }
  const encoder = new TextEncoder();
  const itemsOf = (body: Uint8Array): Item[] => (JSON.parse(new TextDecoder().decode(body)) as { items: Item[] }).items;
  const eventOf = (item: Item) => ({
    source: 'split',
    tenant: item.tenant,
    type: 'thing.updated',
    entity: 'thing',
    entityId: item.id,
    payload: item,
  });
  const processor: WebhookProcessorV1 = {
    specificationVersion: 'v1',
    source: 'split',
    packageName: '@act/test-split',
    persistedHeaders: ['x-signature'],
    verify: async (request) =>
      request.headers['x-signature'] === 'ok' ? { valid: true } : { valid: false, reason: 'signature mismatch' },
    parse: (request) => ({ events: itemsOf(request.body).map(eventOf) }),
    split: (_request, parsed) =>
      parsed.events.map((event) => ({
        key: `${event.tenant}:${event.entityId}`,
        tenant: event.tenant,
        body: encoder.encode(JSON.stringify({ items: [event.payload] })),
        events: [event],
      })),
  };
  const post = (items: Item[]) =>
    new Request('http://localhost/webhooks/split', {
      method: 'POST',
      headers: { 'x-signature': 'ok', 'content-type': 'application/json' },
      body: JSON.stringify({ items }),
    });
  const items = [
    { tenant: 'north', id: 'a' },
    { tenant: 'south', id: 'b' },
    { tenant: 'north', id: 'c' },
  ];

  it('stores one inbox row per part, each with its tenant and a body parse accepts', async () => {
    const store = createMemoryStateStore();
    const response = await createWebhookHandler({ processor, store })(post(items));
    expect(response.status).toBe(200);
    const rows = (await store.listDeliveries({})).sort((a, b) => a.dedupeKey.localeCompare(b.dedupeKey));
    expect(rows.map((row) => [row.tenant, itemsOf(row.body)])).toEqual([
      ['north', [{ tenant: 'north', id: 'a' }]],
      ['north', [{ tenant: 'north', id: 'c' }]],
      ['south', [{ tenant: 'south', id: 'b' }]],
    ]);
    for (const row of rows) {
      // The signature covered the whole delivery, not the part: it is not kept; the origin is.
      expect(row.headers['x-signature']).toBeUndefined();
      expect(row.headers['x-act-split-of']).toMatch(/^split:sha256:[0-9a-f]{64}$/);
      expect(row.headers['x-act-part']).toMatch(/^[1-3]\/3$/);
      expect(row.dedupeKey.startsWith(`${row.headers['x-act-split-of']}#`)).toBe(true);
      expect(row.eventTypes).toEqual(['thing.updated']);
    }
  });

  it('recognises a redelivery part by part', async () => {
    const store = createMemoryStateStore();
    const handle = createWebhookHandler({ processor, store });
    expect((await (await handle(post(items))).json()).duplicate).toBe(false);
    expect((await (await handle(post(items))).json()).duplicate).toBe(true);
    expect(await store.listDeliveries({})).toHaveLength(3);
  });

  it('asks for a retry when any part fails to store, and the retry stores only what is missing', async () => {
    const store = createMemoryStateStore();
    let failNext = true;
    const flaky = {
      ...store,
      enqueue: async (delivery: Parameters<typeof store.enqueue>[0]) => {
        if (delivery.tenant === 'south' && failNext) {
          failNext = false;
          throw new Error('connection reset');
        }
        return store.enqueue(delivery);
      },
    };
    const handle = createWebhookHandler({ processor, store: flaky });
    expect((await handle(post(items))).status).toBe(503);
    expect(await store.listDeliveries({})).toHaveLength(2);
    const retried = await handle(post(items));
    expect(retried.status).toBe(200);
    expect((await retried.json()).duplicate).toBe(false);
    expect((await store.listDeliveries({})).map((row) => row.tenant).sort()).toEqual(['north', 'north', 'south']);
  });

  it('keeps only the changed part of a redelivery with a known delivery id as a conflict', async () => {
    const store = createMemoryStateStore();
    const withId: WebhookProcessorV1 = {
      ...processor,
      parse: (request) => ({ deliveryId: 'batch-1', events: itemsOf(request.body).map(eventOf) }),
    };
    const handle = createWebhookHandler({ processor: withId, store });
    expect((await (await handle(post(items))).json()).duplicate).toBe(false);
    const changed = items.map((item) => (item.id === 'b' ? { ...item, note: 'changed' } : item));
    const response = await handle(post(changed));
    expect(response.status).toBe(200);
    const answer = await response.json();
    const conflicts = await store.listDeliveries({ conflicts: true });
    expect(conflicts).toHaveLength(1);
    expect(answer).toMatchObject({ id: conflicts[0]?.id, duplicate: false, conflictOf: conflicts[0]?.conflictOf });
    expect(conflicts[0]?.tenant).toBe('south');
    expect(conflicts[0]?.dedupeKey).toMatch(/^split:batch-1#south:b~sha256:[0-9a-f]{64}$/);
    expect(itemsOf(conflicts[0]?.body ?? new Uint8Array())).toEqual([{ tenant: 'south', id: 'b', note: 'changed' }]);
    expect(await store.listDeliveries({})).toHaveLength(4);
  });

  it('stores a single-event delivery as received, signature header included', async () => {
    const store = createMemoryStateStore();
    await createWebhookHandler({ processor, store })(post([{ tenant: 'north', id: 'a' }]));
    const [row] = await store.listDeliveries({});
    expect(row?.headers['x-signature']).toBe('ok');
    expect(row?.headers['x-act-split-of']).toBeUndefined();
  });
});
