import { createMemorySink, createMemoryStateStore, createWebhookHandler, createWorker } from '@act/core';
import { testTransformer } from '@act/core/testing';
import { describe, expect, it } from 'vitest';
import { createGmailConnector } from '../src/gmail-connector';
import type { GmailSourceEvent } from '../src/gmail-events';
import { createGmailTransformer } from '../src/gmail-transform';
import { parseGmailDelivery } from '../src/gmail-webhook';
import { fixtures, signedGmailRequest, TEST_ACCOUNT, TEST_SECRET, TEST_TOKEN } from './helpers/gmail-fixtures';

const encoder = new TextEncoder();
const eventOf = (body: string): GmailSourceEvent => {
  const [event] = parseGmailDelivery({ body: encoder.encode(body) }).events;
  if (!event) throw new Error('fixture gave no event');
  return event;
};

const transformer = createGmailTransformer();

testTransformer({
  transformer,
  cases: [
    {
      name: 'record.created upserts the row, email normalised',
      event: eventOf(fixtures.recordCreated),
      check: (operations) =>
        expect(operations).toMatchInlineSnapshot(`
        [
          {
            "key": {
              "account_id": "acct_7Hq2Lx",
              "id": "rec_3Fz9Kd",
            },
            "kind": "upsert",
            "table": "gmail_records",
            "values": {
              "email": "ada.lovelace@example.com",
              "name": "Ada Lovelace",
              "raw": {
                "email": "  Ada.Lovelace@Example.COM ",
                "id": "rec_3Fz9Kd",
                "name": "Ada Lovelace",
                "status": "active",
                "tags": [
                  "vip",
                ],
                "updated_at": "2026-01-15T09:30:00.000Z",
              },
              "status": "active",
              "updated_at": "2026-01-15T09:30:00.000Z",
            },
            "version": 1768469400000,
          },
        ]
      `),
    },
    {
      name: 'record.updated upserts with the newer version',
      event: eventOf(fixtures.recordUpdated),
      check: (operations) =>
        expect(operations.map((operation) => operation.version)).toEqual([Date.parse('2026-01-15T10:05:00.000Z')]),
    },
    {
      name: 'record.deleted deletes by key',
      event: eventOf(fixtures.recordDeleted),
      check: (operations) =>
        expect(operations).toMatchInlineSnapshot(`
        [
          {
            "key": {
              "account_id": "acct_7Hq2Lx",
              "id": "rec_3Fz9Kd",
            },
            "kind": "delete",
            "table": "gmail_records",
            "version": 1768474800000,
          },
        ]
      `),
    },
  ],
});

describe('Gmail transform specifics', () => {
  it('normalises email: trimmed and lower-cased; blank becomes null', async () => {
    const event = eventOf(fixtures.recordCreated);
    const email = async (value: string | null) => {
      const [operation] = await transformer.transform({ ...event, payload: { ...event.payload, email: value } }, {});
      return operation?.kind === 'upsert' ? operation.values.email : 'not an upsert';
    };
    expect(await email('  Ada.Lovelace@Example.COM ')).toBe('ada.lovelace@example.com');
    expect(await email('   ')).toBeNull();
    expect(await email(null)).toBeNull();
  });

  it('refuses a thin event that was never fetched', async () => {
    const event = eventOf(fixtures.recordUpdated);
    expect(() => transformer.transform({ ...event, thin: true }, {})).toThrow(/arrived without its data/);
  });

  it('strips blocked fields from the raw copy, with its own policies or the effective ones the runtime passes', async () => {
    const blocking = createGmailTransformer({ fieldPolicies: { gmail_records: { blocked: ['email'] } } });
    const [operation] = await blocking.transform(eventOf(fixtures.recordCreated), {});
    expect(operation?.kind === 'upsert' && operation.values.raw).not.toHaveProperty('email');
    // The column itself is removed by the runtime (applyFieldPolicies), whatever the transformer returns.
    expect(blocking.fieldPolicies).toEqual({ gmail_records: { blocked: ['email'], preserved: [] } });
    const plain = createGmailTransformer();
    const [fromContext] = await plain.transform(eventOf(fixtures.recordCreated), {
      fieldPolicies: { gmail_records: { blocked: ['name'] } },
    });
    expect(fromContext?.kind === 'upsert' && fromContext.values.raw).not.toHaveProperty('name');
  });

  it('enforces a field policy from the settings end to end: handler → inbox → worker → sink', async () => {
    const connector = createGmailConnector({
      webhookSecrets: [TEST_SECRET],
      apiToken: TEST_TOKEN,
      fieldPolicies: { gmail_records: { blocked: ['email'], preserved: ['status'] } },
    });
    const store = createMemoryStateStore();
    const sink = createMemorySink();
    const handle = createWebhookHandler({ processor: connector.webhook, store });
    const worker = createWorker({ connectors: [connector], store, sink, circuitBreaker: false });

    expect((await handle(await signedGmailRequest(fixtures.recordCreated))).status).toBe(200);
    expect((await handle(await signedGmailRequest(fixtures.recordUpdated))).status).toBe(200);
    expect(await worker.drain()).toMatchObject({ outcomes: { done: 2 } });

    const [row] = sink.rows('gmail_records');
    expect(row?.key).toEqual({ account_id: TEST_ACCOUNT, id: 'rec_3Fz9Kd' });
    expect(row?.values).not.toHaveProperty('email');
    expect(row?.values.raw).not.toHaveProperty('email');
    // Preserved: written on create ("active"), never overwritten by the update ("paused").
    expect(row?.values).toMatchObject({ name: 'Ada King', status: 'active' });
  });
});
