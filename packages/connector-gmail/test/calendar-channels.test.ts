import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CALENDAR_CHANNEL_SUBSCRIPTION,
  calendarChannelStore,
  calendarChannelSubscription,
  channelKey,
  sha256Hex,
} from '../src/calendar-channels';
import { createCalendarClient } from '../src/calendar-client';
import {
  ACCESS_TOKEN,
  CALENDAR_ID,
  CHANNEL_ADDRESS,
  calendarFixtures,
  calendarSettings,
  EVENTS_PATH,
  GOOGLE_ORIGIN,
  JSON_HEADERS,
} from './helpers/calendar-fixtures';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const T0 = new Date('2026-03-02T10:00:00.000Z');

function setup(options: { ttlSeconds?: number; now?: () => Date } = {}) {
  const settings = calendarSettings({
    channel: { address: CHANNEL_ADDRESS, ...(options.ttlSeconds ? { ttlSeconds: options.ttlSeconds } : {}) },
  });
  const channels = calendarChannelStore(settings.channels);
  const subscription = calendarChannelSubscription({
    client: createCalendarClient(settings),
    channels,
    channel: settings.channel as { address: string; ttlSeconds?: number },
    now: options.now ?? (() => T0),
  });
  return { settings, channels, subscription };
}

/** Answer `events.watch` with Google's documented response, `expiration` and `resourceId` replaced. */
function serveWatch(log: string[], answer: { resourceId: string; expiration: number | string }) {
  const watched: Record<string, unknown>[] = [];
  const scope = nock(GOOGLE_ORIGIN)
    .post(`${EVENTS_PATH}/watch`)
    .matchHeader('authorization', `Bearer ${ACCESS_TOKEN}`)
    .reply(200, async (sent: Request) => {
      const request = (await sent.json()) as Record<string, unknown>;
      watched.push(request);
      log.push(`watch ${String(request.id)}`);
      return { ...JSON.parse(calendarFixtures.watchResponse), id: request.id, ...answer };
    });
  return { scope, watched };
}

function serveStop(log: string[], status = 204) {
  const stopped: Record<string, unknown>[] = [];
  const scope = nock(GOOGLE_ORIGIN)
    .post('/calendar/v3/channels/stop')
    .reply(status, async (sent: Request) => {
      const body = (await sent.json()) as Record<string, unknown>;
      stopped.push(body);
      log.push(`stop ${String(body.id)}`);
      return '';
    });
  return { scope, stopped };
}

describe('calendar-channel subscription', () => {
  it('writes the record (the token hash, never the token) before events.watch, then stores the resource id and expiry', async () => {
    const { settings, channels, subscription } = setup({ ttlSeconds: 86_400 });
    expect(subscription.name).toBe(CALENDAR_CHANNEL_SUBSCRIPTION);
    const log: string[] = [];
    const expiration = T0.getTime() + 86_400_000;
    let recordAtWatch: unknown;
    const watched: Record<string, unknown>[] = [];
    nock(GOOGLE_ORIGIN)
      .post(`${EVENTS_PATH}/watch`)
      .reply(200, async (sent: Request) => {
        const request = (await sent.json()) as Record<string, unknown>;
        watched.push(request);
        // The `sync` message can arrive before this answer [C2]: the record must already exist.
        recordAtWatch = await channels.get(String(request.id));
        // Google's JSON sends int64 as a string.
        return { ...JSON.parse(calendarFixtures.watchResponse), id: request.id, expiration: String(expiration) };
      });

    const { expiresAt } = await subscription.renew({ tenant: CALENDAR_ID });
    expect(expiresAt.toISOString()).toBe(new Date(expiration).toISOString());
    expect(log).toEqual([]);

    const [request] = watched as [Record<string, unknown>];
    expect(request).toMatchObject({ type: 'web_hook', address: CHANNEL_ADDRESS, params: { ttl: '86400' } });
    expect(String(request.id)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // 32 random bytes, base64url.
    const token = String(request.token);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(recordAtWatch).toMatchObject({
      calendarId: CALENDAR_ID,
      resourceId: null,
      tokenHash: await sha256Hex(token),
    });

    const id = String(request.id);
    expect(await channels.current(CALENDAR_ID)).toBe(id);
    const stored = await settings.channels.get(channelKey(id));
    expect(stored?.value).toEqual({
      calendarId: CALENDAR_ID,
      tokenHash: await sha256Hex(token),
      resourceId: 'o3hgv1538sdjfh',
      resourceUri: 'https://www.googleapis.com/calendar/v3/calendars/my_calendar@gmail.com/events',
      expiresAt: new Date(expiration).toISOString(),
      createdAt: T0.toISOString(),
    });
    expect(JSON.stringify(stored?.value)).not.toContain(token);
  });

  it('leaves params.ttl to Google by default and renews a day ahead; a short ttl is renewed halfway', () => {
    expect(setup().subscription.renewBeforeMs).toBe(86_400_000);
    expect(setup({ ttlSeconds: 3_600 }).subscription.renewBeforeMs).toBe(1_800_000);
  });

  it('renewal makes a new channel, and only then stops the previous one (overlap, then stop) and marks it stopped', async () => {
    let now = T0;
    const { channels, subscription } = setup({ now: () => now });
    const log: string[] = [];
    const week = 7 * 86_400_000;
    const first = serveWatch(log, { resourceId: 'res-1', expiration: T0.getTime() + week });
    await subscription.renew({ tenant: CALENDAR_ID });
    const firstId = String(first.watched[0]?.id);

    // Still a week left: a repeated run keeps it.
    expect((await subscription.renew({ tenant: CALENDAR_ID })).expiresAt.getTime()).toBe(T0.getTime() + week);
    expect(log).toEqual([`watch ${firstId}`]);

    // Within a day of expiry: renewed.
    now = new Date(T0.getTime() + week - 86_400_000);
    const second = serveWatch(log, { resourceId: 'res-2', expiration: now.getTime() + week });
    const stop = serveStop(log);
    const { expiresAt } = await subscription.renew({ tenant: CALENDAR_ID });
    const secondId = String(second.watched[0]?.id);
    expect(secondId).not.toBe(firstId);
    expect(expiresAt.getTime()).toBe(now.getTime() + week);
    expect(log).toEqual([`watch ${firstId}`, `watch ${secondId}`, `stop ${firstId}`]);
    expect(stop.stopped).toEqual([{ id: firstId, resourceId: 'res-1' }]);
    expect(await channels.current(CALENDAR_ID)).toBe(secondId);
    expect((await channels.get(firstId))?.stoppedAt).toBe(now.toISOString());
    expect((await channels.get(secondId))?.stoppedAt).toBeUndefined();
  });

  it('a channel Google no longer knows (404 on channels/stop) is marked stopped all the same', async () => {
    const { channels, subscription } = setup();
    const log: string[] = [];
    const watch = serveWatch(log, { resourceId: 'res-1', expiration: T0.getTime() + 86_400_000 });
    await subscription.renew({ tenant: CALENDAR_ID });
    const id = String(watch.watched[0]?.id);
    serveStop(log, 404);
    await subscription.stop?.({ tenant: CALENDAR_ID });
    expect(log).toEqual([`watch ${id}`, `stop ${id}`]);
    expect((await channels.get(id))?.stoppedAt).toBe(T0.toISOString());
  });

  it('a failed watch leaves its record stopped (its notifications are ignored) and the previous channel running', async () => {
    const { channels, subscription } = setup();
    const log: string[] = [];
    const watch = serveWatch(log, { resourceId: 'res-1', expiration: T0.getTime() + 3_600_000 });
    await subscription.renew({ tenant: CALENDAR_ID });
    const firstId = String(watch.watched[0]?.id);
    let failedId = '';
    nock(GOOGLE_ORIGIN)
      .post(`${EVENTS_PATH}/watch`)
      .reply(
        400,
        async (sent: Request) => {
          failedId = String(((await sent.json()) as { id: string }).id);
          return { error: { code: 400, message: 'Bad Request', errors: [{ reason: 'pushWebhookBadDomain' }] } };
        },
        JSON_HEADERS,
      );
    await expect(subscription.renew({ tenant: CALENDAR_ID })).rejects.toThrow(/pushWebhookBadDomain/);
    expect((await channels.get(failedId))?.stoppedAt).toBe(T0.toISOString());
    expect(await channels.current(CALENDAR_ID)).toBe(firstId);
    expect((await channels.get(firstId))?.stoppedAt).toBeUndefined();
  });
});
