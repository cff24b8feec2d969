// Sequence gaps (src/xero-sequences.ts): holes in the union of the stored
// deliveries' [firstEventSequence, lastEventSequence] ranges.
import { createMemoryStateStore, createWebhookHandler } from '@act/core';
import { describe, expect, it } from 'vitest';
import {
  findXeroSequenceGaps,
  readXeroSequenceGaps,
  type XeroSequenceRange,
  xeroSequenceRangeOf,
} from '../src/xero-sequences';
import { createXeroWebhook } from '../src/xero-webhook';
import {
  CONTACT_TENANT,
  deliveryBody,
  INVOICE_TENANT,
  notification,
  signedXeroRequest,
  TEST_KEY,
  webhookFixtures,
} from './helpers/xero-fixtures';

const NOW = new Date('2026-03-02T12:00:00.000Z');
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);
const range = (first: number, last: number, receivedAt = minutesAgo(30), scope = 'app'): XeroSequenceRange => ({
  scope,
  first,
  last,
  receivedAt,
});
const encoder = new TextEncoder();

describe('findXeroSequenceGaps', () => {
  it('finds holes between ranges, whatever order the deliveries arrived in; overlaps and duplicates are no gap', () => {
    const gaps = findXeroSequenceGaps(
      [range(10, 12), range(1, 3), range(4, 4), range(2, 3), range(20, 20), range(13, 14, minutesAgo(20))],
      { now: NOW },
    );
    expect(gaps).toEqual([
      { scope: 'app', from: 5, to: 9, missing: 5, since: minutesAgo(30) },
      { scope: 'app', from: 15, to: 19, missing: 5, since: minutesAgo(30) },
    ]);
  });

  it('dates a gap from the first delivery after it, and waits minAgeMs before reporting it (retries may fill it)', () => {
    const ranges = [range(1, 1, minutesAgo(60)), range(5, 5, minutesAgo(3)), range(6, 6, minutesAgo(2))];
    expect(findXeroSequenceGaps(ranges, { now: NOW })).toEqual([]);
    expect(findXeroSequenceGaps(ranges, { now: NOW, minAgeMs: 60_000 })).toEqual([
      { scope: 'app', from: 2, to: 4, missing: 3, since: minutesAgo(3) },
    ]);
    // The late delivery arrives: the gap is gone.
    expect(findXeroSequenceGaps([...ranges, range(2, 4, NOW)], { now: NOW, minAgeMs: 0 })).toEqual([]);
  });

  it('keeps scopes apart', () => {
    const gaps = findXeroSequenceGaps(
      [
        range(1, 1, minutesAgo(30), 'b'),
        range(3, 3, minutesAgo(30), 'b'),
        range(1, 2, minutesAgo(30), 'a'),
        range(3, 3, minutesAgo(30), 'a'),
      ],
      { now: NOW },
    );
    expect(gaps).toEqual([{ scope: 'b', from: 2, to: 2, missing: 1, since: minutesAgo(30) }]);
  });

  it('reads the numbers from a body; intent-to-receive (0) and bodies without them have none', () => {
    expect(xeroSequenceRangeOf(encoder.encode(webhookFixtures['invoice-update.1.json']))).toEqual({
      first: 2,
      last: 3,
    });
    expect(xeroSequenceRangeOf(encoder.encode(webhookFixtures['intent-to-receive.1.json']))).toBeUndefined();
    expect(xeroSequenceRangeOf(encoder.encode('{"events":[]}'))).toBeUndefined();
    expect(xeroSequenceRangeOf(encoder.encode('{"firstEventSequence":"1","lastEventSequence":2}'))).toBeUndefined();
    expect(xeroSequenceRangeOf(encoder.encode('not json'))).toBeUndefined();
  });
});

describe('readXeroSequenceGaps (from the inbox)', () => {
  async function inboxWith(deliveries: readonly { tenant: string; first: number; last: number }[]) {
    const store = createMemoryStateStore();
    const handler = createWebhookHandler({ processor: createXeroWebhook({ keys: [TEST_KEY] }), store });
    for (const { tenant, first, last } of deliveries) {
      const body = deliveryBody([notification({ tenant, at: `2026-03-02T10:00:${String(first).padStart(2, '0')}` })], {
        first,
        last,
      });
      expect((await handler(await signedXeroRequest(body))).status).toBe(200);
    }
    return store;
  }

  it('app scope (default): every tenant’s deliveries count towards one numbering', async () => {
    const store = await inboxWith([
      { tenant: INVOICE_TENANT, first: 1, last: 2 },
      { tenant: CONTACT_TENANT, first: 3, last: 3 },
      { tenant: INVOICE_TENANT, first: 6, last: 7 },
    ]);
    expect(await readXeroSequenceGaps(store, { minAgeMs: 0 })).toMatchObject([
      { scope: 'app', from: 4, to: 5, missing: 2 },
    ]);
  });

  it('tenant scope: per tenant (under per-app numbering that reports the other tenants’ events as missing)', async () => {
    const store = await inboxWith([
      { tenant: INVOICE_TENANT, first: 1, last: 2 },
      { tenant: CONTACT_TENANT, first: 3, last: 3 },
      { tenant: INVOICE_TENANT, first: 4, last: 4 },
    ]);
    expect(await readXeroSequenceGaps(store, { minAgeMs: 0 })).toEqual([]);
    expect(await readXeroSequenceGaps(store, { scope: 'tenant', minAgeMs: 0 })).toMatchObject([
      { scope: INVOICE_TENANT, from: 3, to: 3 },
    ]);
    expect(await readXeroSequenceGaps(store, { scope: 'tenant', tenant: CONTACT_TENANT, minAgeMs: 0 })).toEqual([]);
  });

  it('looks only at the newest `limit` deliveries', async () => {
    const store = await inboxWith([
      { tenant: INVOICE_TENANT, first: 1, last: 1 },
      { tenant: INVOICE_TENANT, first: 5, last: 5 },
      { tenant: INVOICE_TENANT, first: 6, last: 6 },
    ]);
    expect(await readXeroSequenceGaps(store, { minAgeMs: 0 })).toHaveLength(1);
    expect(await readXeroSequenceGaps(store, { minAgeMs: 0, limit: 2 })).toEqual([]);
  });
});
