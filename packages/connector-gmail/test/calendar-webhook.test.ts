import {
  type CredentialStoreV1,
  createMemoryCredentialStore,
  createMemoryStateStore,
  createWebhookHandler,
} from '@act/core';
import { describe, expect, it } from 'vitest';
import { calendarChannelStore } from '../src/calendar-channels';
import { CALENDAR_PERSISTED_HEADERS, createCalendarWebhook } from '../src/calendar-webhook';
import { CALENDAR_ID, calendarFixtures, notification, storeChannel } from './helpers/calendar-fixtures';

/** The documented notification's channel, token and resource id [C2]. */
const doc = JSON.parse(calendarFixtures.notificationHeaders) as Record<string, string>;

function setup({ withStore = true } = {}) {
  const credentials = withStore ? createMemoryCredentialStore() : undefined;
  const store = createMemoryStateStore();
  const processor = createCalendarWebhook({ channels: credentials ? calendarChannelStore(credentials) : undefined });
  const handler = createWebhookHandler({ processor, store });
  const stored = () => store.listDeliveries({ source: 'calendar' });
  return { credentials: credentials as CredentialStoreV1, store, processor, handler, stored };
}

describe('Calendar notifications', () => {
  it('an authentic `exists` is stored as a request to sync the calendar’s events stream, without the token', async () => {
    const t = setup();
    await storeChannel(t.credentials);
    const response = await t.handler(notification());
    expect(response.status).toBe(200);
    const [delivery, ...rest] = await t.stored();
    expect(rest).toEqual([]);
    expect(delivery).toMatchObject({
      source: 'calendar',
      tenant: CALENDAR_ID,
      eventTypes: ['sync:events'],
      coalesceKey: `calendar:${CALENDAR_ID}:events`,
    });
    expect(delivery?.headers['x-goog-channel-token']).toBeUndefined();
    for (const name of CALENDAR_PERSISTED_HEADERS) expect(delivery?.headers[name]).toBe(doc[name]);

    // The worker re-parses the stored row (headers without the token, empty body): same answer, no verify.
    const reparsed = await t.processor.parse({
      method: 'POST',
      url: delivery?.url ?? '',
      headers: delivery?.headers ?? {},
      body: new Uint8Array(),
      receivedAt: new Date(),
    });
    expect(reparsed).toEqual({
      deliveryId: `${doc['x-goog-channel-id']}:10`,
      tenant: CALENDAR_ID,
      events: [],
      sync: { stream: 'events', hint: 'exists #10' },
    });
  });

  it('a redelivered notification (same channel and message number) is stored once; `not_exists` asks for a sync too', async () => {
    const t = setup();
    await storeChannel(t.credentials);
    expect((await t.handler(notification())).status).toBe(200);
    expect((await t.handler(notification())).status).toBe(200);
    const gone = notification({ 'x-goog-resource-state': 'not_exists', 'x-goog-message-number': '11' });
    expect((await t.handler(gone)).status).toBe(200);
    const deliveries = await t.stored();
    // Two distinct notifications, coalesced into one pending sync of the stream.
    expect(deliveries.filter((delivery) => delivery.coalescedInto === undefined)).toHaveLength(1);
    expect(deliveries.every((delivery) => delivery.eventTypes.includes('sync:events'))).toBe(true);
  });

  it('a `sync` message is acknowledged and not stored, also before the watch answer was stored', async () => {
    const t = setup();
    await storeChannel(t.credentials, { resourceId: null });
    const sync = notification({ 'x-goog-resource-state': 'sync', 'x-goog-message-number': '1' });
    expect((await t.handler(sync)).status).toBe(200);
    expect(await t.stored()).toEqual([]);
  });

  it('a change notification before the watch answer was stored (resource id unknown) gets 503, which Google retries', async () => {
    const t = setup();
    await storeChannel(t.credentials, { resourceId: null });
    const response = await t.handler(notification());
    expect(response.status).toBe(503);
    expect(await t.stored()).toEqual([]);
  });

  it.each([
    ['an unknown channel', { 'x-goog-channel-id': 'c0ffee00-0000-4000-8000-000000000000' }, 'unknown channel'],
    ['a wrong token', { 'x-goog-channel-token': '398348u3tu83ut8uu39' }, 'channel token mismatch'],
    ['no token', { 'x-goog-channel-token': undefined }, 'missing x-goog-channel-token header'],
    ['another resource id', { 'x-goog-resource-id': 'ret08u3rv24htgh289h' }, 'resource id mismatch'],
    ['no channel id', { 'x-goog-channel-id': undefined }, 'missing x-goog-channel-id header'],
  ])('%s is refused with 401 and nothing is stored', async (_what, headers, reason) => {
    const t = setup();
    await storeChannel(t.credentials);
    const response = await t.handler(notification(headers));
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toBe(`[@act/connector-gmail] ${reason}`);
    expect(await t.stored()).toEqual([]);
    // A forged `sync` is no handshake either.
    const sync = await t.handler(notification({ ...headers, 'x-goog-resource-state': 'sync' }));
    expect(sync.status).toBe(401);
  });

  it('a stopped (replaced) channel’s authentic notifications are acknowledged and ignored', async () => {
    const t = setup();
    await storeChannel(t.credentials, { stopped: true });
    expect((await t.handler(notification())).status).toBe(200);
    expect(await t.stored()).toEqual([]);
  });

  it('without a channel store every notification is refused with 503 (fail closed, retried once fixed)', async () => {
    const t = setup({ withStore: false });
    const response = await t.handler(notification());
    expect(response.status).toBe(503);
    expect(await t.store.listDeliveries({})).toEqual([]);
  });

  it('answers 405 to anything but POST', async () => {
    const t = setup();
    await storeChannel(t.credentials);
    const request = new Request('https://app.example.com/webhooks/calendar', {
      method: 'GET',
      headers: { 'x-goog-channel-id': doc['x-goog-channel-id'] as string },
    });
    expect((await t.handler(request)).status).toBe(405);
  });
});
