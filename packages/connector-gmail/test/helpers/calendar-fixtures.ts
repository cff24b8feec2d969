import { type CredentialStoreV1, createMemoryCredentialStore } from '@act/core';
import nock from 'nock';
import { type CalendarChannelRecord, calendarChannelStore, sha256Hex } from '../../src/calendar-channels';
import type { CalendarConnectorSettings } from '../../src/calendar-settings';
import eventsFullPage1 from '../fixtures/calendar-events.full.page-1.json?raw';
import eventsFullPage2 from '../fixtures/calendar-events.full.page-2.json?raw';
import eventsIncremental from '../fixtures/calendar-events.incremental.json?raw';
import eventsReinstated from '../fixtures/calendar-events.reinstated.json?raw';
import notificationHeaders from '../fixtures/calendar-notification.headers.json?raw';
import syncRequired410 from '../fixtures/calendar-sync-required.410.json?raw';
import watchResponse from '../fixtures/calendar-watch-response.json?raw';

/** Raw fixture bodies, byte for byte as on disk (see fixtures/README.md). */
export const calendarFixtures = {
  eventsFullPage1,
  eventsFullPage2,
  eventsIncremental,
  eventsReinstated,
  notificationHeaders,
  syncRequired410,
  watchResponse,
} as const;

/** The calendar of Google's own examples: a primary calendar, whose id is its account's address. */
export const CALENDAR_ID = 'my_calendar@gmail.com';
export const GOOGLE_ORIGIN = 'https://www.googleapis.com';
export const EVENTS_PATH = `/calendar/v3/calendars/${encodeURIComponent(CALENDAR_ID)}/events`;
export const CHANNEL_ADDRESS = 'https://app.example.com/webhooks/calendar';
export const ACCESS_TOKEN = 'ya29.calendar-test';
export const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/** Settings with a static token, tiny retries, and a channel store. */
export function calendarSettings(
  overrides: Partial<CalendarConnectorSettings> = {},
): CalendarConnectorSettings & { channels: CredentialStoreV1 } {
  return {
    accessToken: ACCESS_TOKEN,
    retry: { maxAttempts: 1, baseDelayMs: 1 },
    channel: { address: CHANNEL_ADDRESS },
    channels: createMemoryCredentialStore(),
    ...overrides,
  } as CalendarConnectorSettings & { channels: CredentialStoreV1 };
}

/** A channel as the subscription leaves it once the watch answered (or `resourceId: null` while it waits). */
export async function storeChannel(
  store: CredentialStoreV1,
  options: { id?: string; token?: string; resourceId?: string | null; stopped?: boolean; expiresAt?: string } = {},
): Promise<{ id: string; token: string; record: CalendarChannelRecord }> {
  const id = options.id ?? '4ba78bf0-6a47-11e2-bcfd-0800200c9a66';
  const token = options.token ?? '398348u3tu83ut8uu38';
  const record: CalendarChannelRecord = {
    calendarId: CALENDAR_ID,
    tokenHash: await sha256Hex(token),
    resourceId: options.resourceId === undefined ? 'ret08u3rv24htgh289g' : options.resourceId,
    resourceUri: null,
    expiresAt: options.expiresAt ?? '2026-03-09T10:00:00.000Z',
    createdAt: '2026-03-02T10:00:00.000Z',
    ...(options.stopped ? { stoppedAt: '2026-03-03T10:00:00.000Z' } : {}),
  };
  const channels = calendarChannelStore(store);
  await channels.put(id, record);
  await channels.setCurrent(CALENDAR_ID, id);
  return { id, token, record };
}

/** The guide's example notification [C2], with headers changed as given (`undefined` removes one). */
export function notification(headers: Record<string, string | undefined> = {}): Request {
  const merged: Record<string, string | undefined> = { ...JSON.parse(notificationHeaders), ...headers };
  delete merged['content-length'];
  const defined = Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return new Request(CHANNEL_ADDRESS, { method: 'POST', headers: defined });
}

/** Answer `events.list` once with `body`, matching its query exactly; records the query. */
export function serveEvents(query: Record<string, string>, status: number, body: string) {
  return nock(GOOGLE_ORIGIN)
    .get(EVENTS_PATH)
    .matchHeader('authorization', `Bearer ${ACCESS_TOKEN}`)
    .query(query)
    .reply(status, body, JSON_HEADERS);
}

export const FULL_QUERY = { maxResults: '250', showDeleted: 'true' } as const;
