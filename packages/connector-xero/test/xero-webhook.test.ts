// The receive path: the core contract kit on the documented deliveries,
// intent-to-receive through the handler (public vectors, empty bodies, a slow
// or failing inbox), and parsing (collapse, names, dates, dedupe keys).
// Edge-safe: Web Crypto only, no node: modules.
import {
  createMemoryStateStore,
  createWebhookHandler,
  type NewDeliveryV1,
  PayloadError,
  type StateStoreV1,
} from '@act/core';
import { testWebhookProcessor } from '@act/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { signXeroBody } from '../src/xero-signature';
import { createXeroWebhook, parseXeroDelivery, splitXeroDelivery } from '../src/xero-webhook';
import {
  CONTACT_TENANT,
  deliveryBody,
  INVOICE_ID,
  INVOICE_TENANT,
  ITR_CORRECT_SIGNATURE,
  ITR_DECODED_KEY_SIGNATURE,
  ITR_KEY,
  ITR_SENT_SIGNATURE,
  notification,
  signedXeroRequest,
  TEST_KEY,
  webhookFixtures,
  XERO_PHP_SIGNATURE,
  XERO_PHP_TEST_KEY,
} from './helpers/xero-fixtures';

const encoder = new TextEncoder();
const processor = createXeroWebhook({ keys: [TEST_KEY] });
const parse = (body: string) => parseXeroDelivery({ body: encoder.encode(body) });

/** Every answer Xero gets must have an empty body and set no cookie ([X1][X2] endpoint requirements). */
async function expectEmpty(response: Response, status: number) {
  expect(response.status).toBe(status);
  expect(await response.text()).toBe('');
  expect(response.headers.get('set-cookie')).toBeNull();
  expect(response.headers.get('content-type')).toBeNull();
}

// The documented deliveries with events. The intent-to-receive bodies are not
// here: they are answered without being stored (below), and the kit expects
// every fixture to be stored.
testWebhookProcessor({
  processor,
  fixtures: [
    {
      name: 'contact-update.1.json',
      body: webhookFixtures['contact-update.1.json'],
      expected: { events: 1, tenant: CONTACT_TENANT, types: ['CONTACT.UPDATE'] },
    },
    {
      name: 'invoice-update.1.json',
      body: webhookFixtures['invoice-update.1.json'],
      expected: { events: 1, tenant: INVOICE_TENANT, types: ['INVOICE.UPDATE'] },
    },
    {
      name: 'credit-note-create.1.json',
      body: webhookFixtures['credit-note-create.1.json'],
      expected: { events: 1, tenant: 'aef86862-2015-4b6b-88bc-d89032cecc50', types: ['CREDITNOTE.CREATE'] },
    },
  ],
  sign: async (body) => ({ 'x-xero-signature': await signXeroBody(body, TEST_KEY) }),
  unconfigured: createXeroWebhook(),
});

describe('intent to receive through the handler ([X1][X2][X12][X13])', () => {
  const itrProcessor = createXeroWebhook({ keys: [ITR_KEY] });
  const itrBody = webhookFixtures['intent-to-receive.1.json'];

  it('answers the correctly signed real request 200 with an empty body, and stores nothing', async () => {
    const store = createMemoryStateStore();
    const handler = createWebhookHandler({ processor: itrProcessor, store });
    await expectEmpty(await handler(await signedXeroRequest(itrBody, { signature: ITR_CORRECT_SIGNATURE })), 200);
    expect(await store.listDeliveries({})).toEqual([]);
  });

  it("answers Xero's own mis-signed request 401 with an empty body", async () => {
    const store = createMemoryStateStore();
    const handler = createWebhookHandler({ processor: itrProcessor, store });
    await expectEmpty(await handler(await signedXeroRequest(itrBody, { signature: ITR_SENT_SIGNATURE })), 401);
    expect(await store.listDeliveries({})).toEqual([]);
  });

  it('answers 401 to the negative controls (decoded key, re-serialised body) and to no signature', async () => {
    const handler = createWebhookHandler({ processor: itrProcessor, store: createMemoryStateStore() });
    await expectEmpty(await handler(await signedXeroRequest(itrBody, { signature: ITR_DECODED_KEY_SIGNATURE })), 401);
    await expectEmpty(
      await handler(await signedXeroRequest(JSON.stringify(JSON.parse(itrBody)), { signature: ITR_CORRECT_SIGNATURE })),
      401,
    );
    await expectEmpty(await handler(await signedXeroRequest(itrBody, { signature: null })), 401);
  });

  it('answers the xero-php vector 200 under its key, 401 under another', async () => {
    const body = webhookFixtures['intent-to-receive.2.json'];
    const right = createWebhookHandler({
      processor: createXeroWebhook({ keys: [XERO_PHP_TEST_KEY] }),
      store: createMemoryStateStore(),
    });
    await expectEmpty(await right(await signedXeroRequest(body, { signature: XERO_PHP_SIGNATURE })), 200);
    const wrong = createWebhookHandler({ processor, store: createMemoryStateStore() });
    await expectEmpty(await wrong(await signedXeroRequest(body, { signature: XERO_PHP_SIGNATURE })), 401);
  });

  it('answers 401 to the public vector made non-canonical: same bytes, other text (issue 11, finding 8)', async () => {
    const handler = createWebhookHandler({ processor: itrProcessor, store: createMemoryStateStore() });
    // `…1E4=`: the last character carries 2 unused bits; `…1E5=` decodes to the same 32 bytes.
    expect(ITR_CORRECT_SIGNATURE.endsWith('4=')).toBe(true);
    const sameBytes = `${ITR_CORRECT_SIGNATURE.slice(0, -2)}5=`;
    expect(atob(sameBytes)).toBe(atob(ITR_CORRECT_SIGNATURE));
    for (const signature of [sameBytes, ITR_CORRECT_SIGNATURE.slice(0, -1), `${ITR_CORRECT_SIGNATURE}=`]) {
      await expectEmpty(await handler(await signedXeroRequest(itrBody, { signature })), 401);
    }
    // `Headers` strips surrounding whitespace, so a leading space is checked where a raw header map reaches the processor.
    const request = (signature: string) => ({
      method: 'POST',
      url: 'http://localhost/webhooks/xero',
      headers: { 'x-xero-signature': signature },
      body: encoder.encode(itrBody),
      receivedAt: new Date(),
    });
    expect(await itrProcessor.verify(request(ITR_CORRECT_SIGNATURE))).toMatchObject({ valid: true });
    for (const signature of [` ${ITR_CORRECT_SIGNATURE}`, `${ITR_CORRECT_SIGNATURE} `, sameBytes]) {
      expect(await itrProcessor.verify(request(signature))).toEqual({
        valid: false,
        reason: 'malformed x-xero-signature header',
      });
    }
  });

  it('answers 401 (empty) when no key is configured: fail closed', async () => {
    const handler = createWebhookHandler({ processor: createXeroWebhook(), store: createMemoryStateStore() });
    await expectEmpty(await handler(await signedXeroRequest(itrBody, { signature: ITR_CORRECT_SIGNATURE })), 401);
  });

  describe('with a slow inbox', () => {
    const timers: ReturnType<typeof setTimeout>[] = [];
    afterEach(() => {
      for (const timer of timers.splice(0)) clearTimeout(timer);
    });
    /** A store whose `enqueue` takes `delayMs` (the rest is the memory store). */
    function slowStore(delayMs: number) {
      const inner = createMemoryStateStore();
      const calls: NewDeliveryV1[] = [];
      const store: StateStoreV1 = {
        ...inner,
        enqueue: (delivery) => {
          calls.push(delivery);
          return new Promise((resolve, reject) => {
            timers.push(setTimeout(() => inner.enqueue(delivery).then(resolve, reject), delayMs));
          });
        },
      };
      return { store, calls };
    }

    it('answers intent-to-receive in well under a second when enqueue takes 10 s: the inbox is not used', async () => {
      const { store, calls } = slowStore(10_000);
      const handler = createWebhookHandler({ processor: itrProcessor, store });
      for (const signature of [ITR_CORRECT_SIGNATURE, ITR_SENT_SIGNATURE, ITR_CORRECT_SIGNATURE]) {
        const started = Date.now();
        const response = await handler(await signedXeroRequest(itrBody, { signature }));
        expect(Date.now() - started).toBeLessThan(1_000);
        await expectEmpty(response, signature === ITR_CORRECT_SIGNATURE ? 200 : 401);
      }
      expect(calls).toEqual([]);
    });

    it('holds the answer to a delivery with events until the inbox has it (the documented latency path)', async () => {
      const { store, calls } = slowStore(300);
      const handler = createWebhookHandler({ processor, store });
      const started = Date.now();
      const response = await handler(await signedXeroRequest(webhookFixtures['invoice-update.1.json']));
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      await expectEmpty(response, 200);
      expect(calls).toHaveLength(1);
    });
  });

  it('answers intent-to-receive even with the inbox down, and a delivery 503 (empty, Retry-After) so Xero retries', async () => {
    const store: StateStoreV1 = {
      ...createMemoryStateStore(),
      enqueue: () => Promise.reject(new Error('connection refused')),
    };
    const handler = createWebhookHandler({ processor: itrProcessor, store });
    await expectEmpty(await handler(await signedXeroRequest(itrBody, { signature: ITR_CORRECT_SIGNATURE })), 200);
    const delivery = deliveryBody([notification({})]);
    const response = await handler(await signedXeroRequest(delivery, { key: ITR_KEY }));
    expect(response.status).toBe(503);
    expect(await response.text()).toBe('');
    expect(response.headers.get('retry-after')).toBe('10');
  });
});

describe('other answers are empty too', () => {
  it('a delivery: 200, stored once; its redelivery: 200, not stored again', async () => {
    const store = createMemoryStateStore();
    const handler = createWebhookHandler({ processor, store });
    const body = webhookFixtures['invoice-update.1.json'];
    await expectEmpty(await handler(await signedXeroRequest(body)), 200);
    await expectEmpty(await handler(await signedXeroRequest(body)), 200);
    const stored = await store.listDeliveries({});
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ tenant: INVOICE_TENANT, eventTypes: ['INVOICE.UPDATE'] });
    expect(stored[0]?.dedupeKey).toMatch(/^xero:seq%3A2-3%3A[0-9a-f]{64}$/);
    expect(Object.keys(stored[0]?.headers ?? {}).sort()).toEqual(['content-type', 'x-xero-signature']);
  });

  it('GET: 405; an oversized body: 413', async () => {
    const handler = createWebhookHandler({ processor, store: createMemoryStateStore() });
    await expectEmpty(await handler(new Request('http://localhost/webhooks/xero', { method: 'GET' })), 405);
    const huge = deliveryBody([notification({})], { first: 1, last: 1 }, 'x'.repeat(1024 * 1024));
    await expectEmpty(await handler(await signedXeroRequest(huge)), 413);
  });

  it('an authentic body that does not parse is stored for replay and acknowledged empty, not refused: a 400 would be retried for 24 h, then disable the webhook', async () => {
    const store = createMemoryStateStore();
    const handler = createWebhookHandler({ processor, store });
    const response = await handler(await signedXeroRequest('{"events":[{"resourceId":"x"}],"firstEventSequence": 9}'));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
    expect(await store.listDeliveries({})).toHaveLength(1);
  });
});

describe('parsing', () => {
  it('collapses repeats of one resource into one thin event: the newest notification, counted', async () => {
    expect(await parse(webhookFixtures['invoice-update.1.json'])).toMatchInlineSnapshot(`
      {
        "deliveryId": "seq:2-3:aee6b7c4c25bdb7d0fbd00fe58ae4783d1e31ac8cee9fcd208689a9af33d17a4",
        "events": [
          {
            "entity": "invoice",
            "entityId": "44aa0707-f718-4f1c-8d53-f2da9ca59533",
            "occurredAt": "2018-02-09T09:19:05.060Z",
            "payload": {
              "collapsed": 2,
              "eventCategory": "INVOICE",
              "eventDateUtc": "2018-02-09T09:19:05.06Z",
              "eventType": "UPDATE",
              "firstEventSequence": 2,
              "lastEventSequence": 3,
              "resourceId": "44aa0707-f718-4f1c-8d53-f2da9ca59533",
              "resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/44aa0707-f718-4f1c-8d53-f2da9ca59533",
              "tenantId": "e629a03c-7ffe-4913-bd94-ff2fdb36a702",
              "tenantType": "ORGANISATION",
            },
            "source": "xero",
            "tenant": "e629a03c-7ffe-4913-bd94-ff2fdb36a702",
            "thin": true,
            "type": "INVOICE.UPDATE",
          },
        ],
        "tenant": "e629a03c-7ffe-4913-bd94-ff2fdb36a702",
      }
    `);
  });

  it('keeps the credit note data and reads eventDateUtc without Z as UTC', async () => {
    const { events } = await parse(webhookFixtures['credit-note-create.1.json']);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'CREDITNOTE.CREATE',
      entity: 'credit_note',
      entityId: '55d84274-a3da-4829-a7c0-0cab601b95cc',
      occurredAt: '2025-12-02T00:44:09.923Z',
      thin: true,
      payload: { data: { Type: 'ACCPAYCREDIT', Status: 'DRAFT' }, collapsed: 1 },
    });
  });

  it('compares categories and types without regard to case ("Update" on the doc pages)', async () => {
    const { events } = await parse(
      deliveryBody([
        notification({ category: 'invoice', type: 'Update' }),
        notification({ category: 'Contact', type: 'create', id: '717F2BFC-C6D4-41FD-B238-3F2F0C0CF777' }),
      ]),
    );
    expect(events.map((event) => [event.type, event.entity, event.entityId])).toEqual([
      ['INVOICE.UPDATE', 'invoice', INVOICE_ID],
      ['CONTACT.CREATE', 'contact', '717f2bfc-c6d4-41fd-b238-3f2f0c0cf777'],
    ]);
  });

  it.each([
    ['2024-06-21T01:15:39.902', '2024-06-21T01:15:39.902Z'],
    ['2024-06-21T01:15:39.902Z', '2024-06-21T01:15:39.902Z'],
    ['2024-06-21T01:15:39.9020000', '2024-06-21T01:15:39.902Z'],
    ['2024-06-21T11:15:39.902+10:00', '2024-06-21T01:15:39.902Z'],
    ['2024-06-21T01:15:39', '2024-06-21T01:15:39.000Z'],
  ])('eventDateUtc %s is %s', async (eventDateUtc, occurredAt) => {
    const { events } = await parse(deliveryBody([notification({ at: eventDateUtc })]));
    expect(events[0]?.occurredAt).toBe(occurredAt);
  });

  it('collapses per (tenant, category, resource): ids without regard to case, the newest wins wherever it is listed', async () => {
    const other = 'aef86862-2015-4b6b-88bc-d89032cecc50';
    const { events, tenant } = await parse(
      deliveryBody([
        notification({ at: '2026-03-02T10:00:05', type: 'UPDATE' }),
        notification({ at: '2026-03-02T10:00:01', type: 'CREATE', id: INVOICE_ID.toUpperCase() }),
        notification({ at: '2026-03-02T10:00:03Z', type: 'UPDATE' }),
        notification({ tenant: other }),
        notification({ category: 'CREDITNOTE', data: { Type: 'ACCRECCREDIT', Status: 'VOIDED' } }),
        notification({ category: 'QUOTE' }),
      ]),
    );
    expect(events.map((event) => [event.tenant, event.type, event.payload.collapsed, event.occurredAt])).toEqual([
      [INVOICE_TENANT, 'INVOICE.UPDATE', 3, '2026-03-02T10:00:05.000Z'],
      [other, 'INVOICE.UPDATE', 1, '2026-03-02T10:00:00.000Z'],
      [INVOICE_TENANT, 'CREDITNOTE.UPDATE', 1, '2026-03-02T10:00:00.000Z'],
    ]);
    // Two tenants in one delivery: the delivery has no single tenant (each event has its own).
    expect(tenant).toBeUndefined();
  });

  it('a subscription event is kept, not fetched', async () => {
    const { events } = await parse(
      deliveryBody([
        {
          resourceUrl: 'https://api.xero.com/appstore/2.0/Subscriptions/9f8a…',
          resourceId: '9f8a1f37-6b19-4a4b-8f7e-3c0f5d3e2a11',
          eventDateUtc: '2026-03-02T10:00:00.000',
          eventType: 'UPDATE',
          eventCategory: 'SUBSCRIPTION',
          tenantId: '0e9a8b7c-1d2e-4f30-a1b2-c3d4e5f60718',
          tenantType: 'APPLICATION',
        },
      ]),
    );
    expect(events[0]).toMatchObject({ type: 'SUBSCRIPTION.UPDATE', entity: 'subscription' });
    expect(events[0]).not.toHaveProperty('thin');
  });

  it('intent-to-receive bodies have no events and no delivery id', async () => {
    expect(await parse(webhookFixtures['intent-to-receive.1.json'])).toEqual({ events: [] });
  });

  it('dedupe key: a redelivery with another entropy is the same delivery; other events under the same numbers are not', async () => {
    const events = [notification({}), notification({ category: 'CONTACT', id: 'c1' })];
    const first = await parse(deliveryBody(events, { first: 7, last: 8 }, 'AAAAAAAAAAAAAAAAAAAA'));
    const retry = await parse(deliveryBody(events, { first: 7, last: 8 }, 'BBBBBBBBBBBBBBBBBBBB'));
    const other = await parse(
      deliveryBody([notification({ tenant: CONTACT_TENANT }), events[1] as never], { first: 7, last: 8 }),
    );
    expect(first.deliveryId).toMatch(/^seq:7-8:[0-9a-f]{64}$/);
    expect(retry.deliveryId).toBe(first.deliveryId);
    expect(other.deliveryId).not.toBe(first.deliveryId);
    // Without sequence numbers the handler falls back to the body's hash.
    expect((await parse('{"events":[]}')).deliveryId).toBeUndefined();
  });

  it('refuses what is not Xero’s envelope, naming the field', async () => {
    await expect(parse('not json')).rejects.toThrow(PayloadError);
    await expect(parse('[]')).rejects.toThrow('[@act/connector-xero] body is not a UTF-8 JSON object');
    await expect(
      parse('{"events":[{"resourceId":"x","eventType":"UPDATE","eventCategory":"INVOICE"}]}'),
    ).rejects.toThrow('invalid webhook delivery: events.0.tenantId');
    await expect(parse('{"firstEventSequence": 1}')).rejects.toThrow('events');
  });
});

describe('a delivery of several resources is stored as one inbox row per resource', () => {
  const OTHER_INVOICE = '11111111-2222-3333-4444-555555555555';
  const body = deliveryBody(
    [
      notification({ at: '2026-03-02T10:00:01' }),
      notification({ category: 'CONTACT', tenant: CONTACT_TENANT, id: 'AAAA0000-0000-0000-0000-00000000000A' }),
      notification({ at: '2026-03-02T10:00:02' }), // a repeat of the first invoice: same part
      notification({ id: OTHER_INVOICE }),
      notification({ category: 'SOMETHINGNEW', id: 'x-1' }),
    ],
    { first: 20, last: 24 },
  );

  it('splits by (tenant, category, resource), keeping each part a Xero envelope that parse reads back', async () => {
    const parsed = await parse(body);
    const parts = splitXeroDelivery({ body: encoder.encode(body) }, parsed) ?? [];
    expect(parts.map((part) => [part.key, part.tenant, part.events.length])).toEqual([
      [`${INVOICE_TENANT}:INVOICE:${INVOICE_ID}`, INVOICE_TENANT, 1],
      [`${CONTACT_TENANT}:CONTACT:aaaa0000-0000-0000-0000-00000000000a`, CONTACT_TENANT, 1],
      [`${INVOICE_TENANT}:INVOICE:${OTHER_INVOICE}`, INVOICE_TENANT, 1],
      [`${INVOICE_TENANT}:unmapped`, INVOICE_TENANT, 0],
    ]);
    const first = JSON.parse(new TextDecoder().decode(parts[0]?.body)) as Record<string, unknown>;
    // The envelope's sequence numbers and entropy travel with every part; both repeats stay, as received.
    expect(first).toMatchObject({ firstEventSequence: 20, lastEventSequence: 24, entropy: 'QWERTYUIOPASDFGHJKLZ' });
    expect(first.events).toHaveLength(2);
    const reparsed = await parseXeroDelivery({ body: parts[0]?.body as Uint8Array });
    expect(reparsed.tenant).toBe(INVOICE_TENANT);
    expect(reparsed.events).toEqual(parts[0]?.events);
  });

  it('leaves a delivery about one resource as received', async () => {
    const single = webhookFixtures['invoice-update.1.json'];
    expect(splitXeroDelivery({ body: encoder.encode(single) }, await parse(single))).toBeUndefined();
  });

  it('through the handler: a mixed-tenant delivery becomes rows with their own tenants, and Xero’s retry adds none', async () => {
    const store = createMemoryStateStore();
    const handle = createWebhookHandler({ processor, store });
    await expectEmpty(await handle(await signedXeroRequest(body)), 200);
    await expectEmpty(await handle(await signedXeroRequest(body)), 200);
    const rows = await store.listDeliveries({});
    expect(rows.map((row) => row.tenant).sort()).toEqual(
      [CONTACT_TENANT, INVOICE_TENANT, INVOICE_TENANT, INVOICE_TENANT].sort(),
    );
    expect(new Set(rows.map((row) => row.headers['x-act-split-of'])).size).toBe(1);
  });
});
