import { createMemoryStateStore, createWebhookHandler, PayloadError } from '@act/core';
import { testWebhookProcessor } from '@act/core/testing';
import { describe, expect, it } from 'vitest';
import { createGmailWebhook, parseGmailDelivery } from '../src/gmail-webhook';
import {
  fixtures,
  signedGmailRequest,
  signGmailBody,
  TEST_ACCOUNT,
  TEST_SECRET,
  thinEventBody,
} from './helpers/gmail-fixtures';

const processor = createGmailWebhook({ secrets: [TEST_SECRET] });
const encoder = new TextEncoder();
const parse = (body: string) => parseGmailDelivery({ body: encoder.encode(body) });

testWebhookProcessor({
  processor,
  fixtures: [
    {
      name: 'record-created.1.json',
      body: fixtures.recordCreated,
      expected: {
        events: 1,
        tenant: TEST_ACCOUNT,
        deliveryId: 'evt_01JHX4Q7ZK3M8R2T5V9W0YB6CD',
        types: ['record.created'],
      },
    },
    {
      name: 'record-updated.1.json',
      body: fixtures.recordUpdated,
      expected: {
        events: 1,
        tenant: TEST_ACCOUNT,
        deliveryId: 'evt_01JHX5B2N8P4S6U1W3Y5A7C9EF',
        types: ['record.updated'],
      },
    },
    {
      name: 'record-deleted.1.json',
      body: fixtures.recordDeleted,
      expected: {
        events: 1,
        tenant: TEST_ACCOUNT,
        deliveryId: 'evt_01JHX6K9R1T3V5X7Z9B1D3F5GH',
        types: ['record.deleted'],
      },
    },
  ],
  sign: async (body) => ({ 'x-gmail-signature': await signGmailBody(body) }),
  unconfigured: createGmailWebhook({ secrets: [] }),
});

describe('Gmail webhook specifics', () => {
  it('parses a delivery into one event: the record as payload, versioned by updated_at', () => {
    expect(parse(fixtures.recordCreated)).toMatchInlineSnapshot(`
      {
        "deliveryId": "evt_01JHX4Q7ZK3M8R2T5V9W0YB6CD",
        "events": [
          {
            "entity": "record",
            "entityId": "rec_3Fz9Kd",
            "occurredAt": "2026-01-15T09:30:00.000Z",
            "payload": {
              "email": "  Ada.Lovelace@Example.COM ",
              "id": "rec_3Fz9Kd",
              "name": "Ada Lovelace",
              "status": "active",
              "tags": [
                "vip",
              ],
              "updated_at": "2026-01-15T09:30:00.000Z",
            },
            "source": "gmail",
            "tenant": "acct_7Hq2Lx",
            "type": "record.created",
            "version": 1768469400000,
          },
        ],
        "tenant": "acct_7Hq2Lx",
      }
    `);
  });

  it('versions a deletion by the event time (it carries no updated_at)', () => {
    const [event] = parse(fixtures.recordDeleted).events;
    expect(event).toMatchObject({
      type: 'record.deleted',
      entityId: 'rec_3Fz9Kd',
      version: Date.parse('2026-01-15T11:00:00.000Z'),
    });
    expect(event?.thin).toBeUndefined();
  });

  it('marks an event without data.object thin, with no version until it is fetched', () => {
    const [event] = parse(thinEventBody()).events;
    expect(event).toMatchObject({ thin: true, entityId: 'rec_3Fz9Kd', payload: { id: 'rec_3Fz9Kd' } });
    expect(event?.version).toBeUndefined();
  });

  it('accepts an unknown event type with no events, still naming the delivery and tenant', () => {
    const body = JSON.stringify({
      id: 'evt_new_kind',
      type: 'invoice.paid',
      account_id: TEST_ACCOUNT,
      data: { anything: true },
    });
    expect(parse(body)).toEqual({ deliveryId: 'evt_new_kind', tenant: TEST_ACCOUNT, events: [] });
  });

  it('throws a PayloadError naming the missing field', () => {
    const body = JSON.stringify({ ...JSON.parse(fixtures.recordCreated), account_id: undefined });
    expect(() => parse(body)).toThrow(PayloadError);
    expect(() => parse(body)).toThrow(
      '[@act/connector-gmail] invalid delivery: account_id: Invalid input: expected string, received undefined',
    );
  });

  it('throws a PayloadError naming a bad field inside a known event', () => {
    const event = JSON.parse(fixtures.recordUpdated);
    event.data.object.id = 42;
    expect(() => parse(JSON.stringify(event))).toThrow(
      '[@act/connector-gmail] invalid record.updated delivery evt_01JHX5B2N8P4S6U1W3Y5A7C9EF: data.object.id: Invalid input: expected string, received number',
    );
    event.data = {};
    expect(() => parse(JSON.stringify(event))).toThrow('data.object: either data.object or data.object_id is required');
  });

  it('throws a PayloadError for a body that is not JSON', () => {
    expect(() => parse('{"id": ')).toThrow('[@act/connector-gmail] body is not UTF-8 JSON');
  });

  it('verifies against the receipt time, so an old signed request stays refused on any clock', async () => {
    const header = await signGmailBody(fixtures.recordCreated, {
      timestamp: Date.parse('2026-01-15T09:30:00Z') / 1000,
    });
    const request = {
      method: 'POST',
      url: 'http://localhost/',
      headers: { 'x-gmail-signature': header },
      body: encoder.encode(fixtures.recordCreated),
    };
    expect(await processor.verify({ ...request, receivedAt: new Date('2026-01-15T09:31:00Z') })).toEqual({
      valid: true,
      keyId: 'secret-0',
    });
    expect(await processor.verify({ ...request, receivedAt: new Date('2026-01-15T09:36:00Z') })).toMatchObject({
      valid: false,
    });
  });

  it('reports a missing secret as a misconfiguration', async () => {
    const unconfigured = createGmailWebhook({ secrets: [] });
    const request = await signedGmailRequest(fixtures.recordCreated);
    const result = await unconfigured.verify({
      method: 'POST',
      url: request.url,
      headers: { 'x-gmail-signature': request.headers.get('x-gmail-signature') ?? '' },
      body: encoder.encode(fixtures.recordCreated),
      receivedAt: new Date(),
    });
    expect(result).toEqual({
      valid: false,
      reason: 'no webhook secret configured (GMAIL_WEBHOOK_SECRET)',
      misconfigured: true,
    });
  });

  it('through the handler: stores and acknowledges an unknown type, answers 400 with the reason for a bad body', async () => {
    const store = createMemoryStateStore();
    const handle = createWebhookHandler({ processor, store });
    const unknown = JSON.stringify({ id: 'evt_x', type: 'invoice.paid', account_id: TEST_ACCOUNT, data: {} });
    expect((await handle(await signedGmailRequest(unknown))).status).toBe(200);
    const [stored] = await store.listDeliveries({});
    expect(stored).toMatchObject({
      source: 'gmail',
      tenant: TEST_ACCOUNT,
      dedupeKey: 'gmail:evt_x',
      eventTypes: [],
    });
    expect(Object.keys(stored?.headers ?? {}).sort()).toEqual(['content-type', 'x-gmail-signature']);

    const bad = await handle(await signedGmailRequest(JSON.stringify({ id: 'evt_y', type: 'record.created' })));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error:
        '[@act/connector-gmail] invalid delivery: account_id: Invalid input: expected string, received undefined',
    });
  });
});
