import { testConnector } from '@act/connector-kit/testing';
import { createMemoryCredentialStore } from '@act/core';
import { ACT_MIGRATIONS } from '@act/sink-supabase';
import { describe, expect, it } from 'vitest';
import { createCalendarConnector } from '../src/calendar-connector';
import { calendarEventToSourceEvent } from '../src/calendar-events';
import { loadCalendarSettings } from '../src/calendar-settings';
import { CALENDAR_ID, calendarFixtures, calendarSettings } from './helpers/calendar-fixtures';

const connector = createCalendarConnector(calendarSettings());
const observedAt = new Date('2026-03-02T12:00:00.000Z');
const events = [calendarFixtures.eventsFullPage1, calendarFixtures.eventsFullPage2, calendarFixtures.eventsIncremental]
  .flatMap((page) => JSON.parse(page).items)
  .map((event) => calendarEventToSourceEvent(CALENDAR_ID, event, observedAt));

// Migrations create every column the mirror writes, apply twice on PGlite, keys and scope agree.
// The communications view reads the sink's identity map (act_identity_values): its migrations come first.
testConnector(connector, { events, prerequisites: ACT_MIGRATIONS });

describe('Calendar connector parts', () => {
  it('only the calendar_ migrations, tenant column calendar_id, the channel subscription and the events stream', () => {
    expect(connector.source).toBe('calendar');
    expect(connector.migrations.map((migration) => migration.name)).toEqual([
      '0101_calendar_events',
      '0150_calendar_communications',
    ]);
    expect(connector.tenantColumn).toBe('calendar_id');
    expect(connector.subscriptions.map((subscription) => subscription.name)).toEqual(['calendar-channel']);
    expect(connector.pollers.map((poller) => [poller.stream, poller.intervalMs])).toEqual([['events', 600_000]]);
    expect(
      connector.reconcilers.map((reconciler) => [reconciler.table, reconciler.stream, reconciler.restorable]),
    ).toEqual([['calendar_events', 'events', true]]);
    expect(connector.freshnessTargetMs).toBe(300_000);
  });

  it('without API credentials: no poller, reconciler or subscription, and it says what to set', () => {
    const receiveOnly = createCalendarConnector({ channels: createMemoryCredentialStore(), logger: silent });
    expect(receiveOnly.pollers).toEqual([]);
    expect(receiveOnly.subscriptions).toEqual([]);
    expect(receiveOnly.missingApiCredentials).toMatch(/GOOGLE_CLIENT_ID/);
  });
});

const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe('loadCalendarSettings', () => {
  const credentials = createMemoryCredentialStore();

  it('reads the OAuth app, the channel address and lifetime, and the base URL', () => {
    const settings = loadCalendarSettings(
      {
        GOOGLE_CLIENT_ID: 'client-id',
        GOOGLE_CLIENT_SECRET: 'client-secret',
        CALENDAR_WEBHOOK_URL: 'https://app.example.com/webhooks/calendar',
        CALENDAR_CHANNEL_TTL_SECONDS: '86400',
        CALENDAR_BASE_URL: 'https://proxy.example.com/calendar/v3/',
      },
      { oauth: { credentials } },
    );
    expect(settings).toMatchObject({
      oauth: { clientId: 'client-id', clientSecret: 'client-secret', credentials },
      channel: { address: 'https://app.example.com/webhooks/calendar', ttlSeconds: 86_400 },
      baseUrl: 'https://proxy.example.com/calendar/v3/',
    });
  });

  it.each([
    [{ CALENDAR_WEBHOOK_URL: 'http://app.example.com/hook' }, /must be an https URL/],
    [{ CALENDAR_WEBHOOK_URL: 'https://app.example.com/hook', CALENDAR_CHANNEL_TTL_SECONDS: '60' }, /at least 300/],
    [{ CALENDAR_CHANNEL_TTL_SECONDS: '3600' }, /CALENDAR_WEBHOOK_URL is not set/],
    [{ GOOGLE_CLIENT_ID: 'id', GOOGLE_CLIENT_SECRET: 'secret', GOOGLE_ACCESS_TOKEN: 't' }, /not both/],
  ])('refuses %o', (env, message) => {
    expect(() => loadCalendarSettings({ GOOGLE_ACCESS_TOKEN: 'token', ...env }, { oauth: { credentials } })).toThrow(
      message,
    );
  });

  it('refuses a page size Google does not allow', () => {
    expect(() => createCalendarConnector({ accessToken: 't', maxResults: 2501 })).toThrow(/from 1 to 2500/);
  });
});
