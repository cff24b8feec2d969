import { createMemorySink, createMemoryStateStore } from '@act/core';
import { syncStream } from '@act/core/internal';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCalendarConnector } from '../src/calendar-connector';
import { CALENDAR_ID, calendarFixtures, calendarSettings, FULL_QUERY, serveEvents } from './helpers/calendar-fixtures';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const at = (iso: string) => new Date(iso);

function setup() {
  let now = at('2026-03-02T09:00:00.000Z');
  const { channel: _channel, ...settings } = calendarSettings({ now: () => now });
  const connector = createCalendarConnector(settings);
  const store = createMemoryStateStore();
  const sink = createMemorySink();
  const poller = connector.pollers[0];
  if (!poller) throw new Error('no poller');
  const sync = () => syncStream({ connector, poller, tenant: CALENDAR_ID, store, sink });
  const cursor = () => store.getCursor({ source: 'calendar', tenant: CALENDAR_ID, stream: 'events' });
  const row = (id: string) =>
    sink.row('calendar_events', { calendar_id: CALENDAR_ID, id }) ?? expect.fail(`no row ${id}`);
  return { connector, sink, sync, cursor, row, setNow: (iso: string) => (now = at(iso)) };
}

describe('Calendar events stream', () => {
  it('full sync (pages, showDeleted), then incremental with the sync token; cancelled → tombstone, reinstated → restored', async () => {
    const t = setup();
    const page1 = serveEvents(FULL_QUERY, 200, calendarFixtures.eventsFullPage1);
    const page2 = serveEvents({ ...FULL_QUERY, pageToken: 'page-2-token' }, 200, calendarFixtures.eventsFullPage2);
    expect(await t.sync()).toMatchObject({ pages: 2, events: 3, created: 2, deleted: 1, cursorExpired: false });
    expect(page1.isDone() && page2.isDone()).toBe(true);
    // The token comes from the last page only [C3].
    expect(JSON.parse((await t.cursor()) as string)).toEqual({ syncToken: 'sync-token-1', pageToken: null });

    const standup = t.row('evt1standup');
    expect(standup.key).toEqual({ calendar_id: CALENDAR_ID, id: 'evt1standup' });
    expect(standup.version).toBe(Date.parse('2026-03-01T08:00:00.000Z'));
    expect(standup.values).toMatchObject({
      status: 'confirmed',
      summary: 'Stand-up',
      description: 'Daily stand-up',
      location: 'Room 1',
      start_at: '2026-03-03T08:30:00.000Z',
      end_at: '2026-03-03T08:45:00.000Z',
      start_date: null,
      end_date: null,
      start_time_zone: 'Europe/Paris',
      attendee_emails: ['my_calendar@gmail.com', 'ana.lopez@example.com'],
      organizer_email: 'my_calendar@gmail.com',
      creator_email: 'my_calendar@gmail.com',
      recurring_event_id: null,
      updated_at: '2026-03-01T08:00:00.000Z',
    });
    expect(t.row('evt2offsite').values).toMatchObject({
      start_at: null,
      start_date: '2026-03-10',
      end_date: '2026-03-12',
      attendees: null,
      attendee_emails: [],
    });
    // Deleted before the first sync: a tombstone (showDeleted=true).
    expect(t.row('evt3gone').deletedAt).not.toBeNull();

    // Incremental: the stand-up became an all-day event without attendees; the offsite was cancelled.
    t.setNow('2026-03-02T11:00:00.000Z');
    serveEvents({ ...FULL_QUERY, syncToken: 'sync-token-1' }, 200, calendarFixtures.eventsIncremental);
    expect(await t.sync()).toMatchObject({ pages: 1, updated: 1, deleted: 1 });
    expect(JSON.parse((await t.cursor()) as string)).toEqual({ syncToken: 'sync-token-2', pageToken: null });
    expect(t.row('evt1standup').values).toMatchObject({
      summary: 'Stand-up (all day)',
      description: null,
      location: null,
      start_at: null,
      end_at: null,
      start_time_zone: null,
      start_date: '2026-03-03',
      attendees: null,
      attendee_emails: [],
    });
    const cancelled = t.row('evt2offsite');
    expect(cancelled.deletedAt).not.toBeNull();
    // No `updated` on the cancelled copy: versioned by when it was seen.
    expect(cancelled.version).toBe(Date.parse('2026-03-02T11:00:00.000Z'));

    // Reinstated: the tombstone is cleared.
    t.setNow('2026-03-02T13:00:00.000Z');
    serveEvents({ ...FULL_QUERY, syncToken: 'sync-token-2' }, 200, calendarFixtures.eventsReinstated);
    expect(await t.sync()).toMatchObject({ pages: 1, updated: 1 });
    const back = t.row('evt2offsite');
    expect(back.deletedAt).toBeNull();
    expect(back.values).toMatchObject({ status: 'confirmed', summary: 'Team offsite (back on)' });
    expect(back.version).toBe(Date.parse('2026-03-02T12:30:00.000Z'));
  });

  it('410 fullSyncRequired on the sync token: a full sync from scratch, then the reconciler deletes what is gone', async () => {
    const t = setup();
    serveEvents(FULL_QUERY, 200, calendarFixtures.eventsFullPage1);
    serveEvents({ ...FULL_QUERY, pageToken: 'page-2-token' }, 200, calendarFixtures.eventsFullPage2);
    await t.sync();

    t.setNow('2026-03-02T12:00:00.000Z');
    const expired = serveEvents({ ...FULL_QUERY, syncToken: 'sync-token-1' }, 410, calendarFixtures.syncRequired410);
    serveEvents(FULL_QUERY, 200, calendarFixtures.eventsFullPage1);
    serveEvents({ ...FULL_QUERY, pageToken: 'page-2-token' }, 200, calendarFixtures.eventsFullPage2);
    // The reconciler's listing: live events only. The offsite is gone; a new event appeared.
    const standup = JSON.parse(calendarFixtures.eventsFullPage1).items[0];
    const listing = {
      kind: 'calendar#events',
      nextSyncToken: 'sync-token-listing',
      items: [standup, { ...standup, id: 'evt4review', summary: 'Review', updated: '2026-03-02T11:30:00.000Z' }],
    };
    const listed = serveEvents({ maxResults: '250', showDeleted: 'false' }, 200, JSON.stringify(listing));

    const result = await t.sync();
    expect(expired.isDone() && listed.isDone()).toBe(true);
    expect(result.cursorExpired).toBe(true);
    expect(result.reconciliations).toEqual([
      expect.objectContaining({ table: 'calendar_events', listed: 2, missing: 1, deleted: 1 }),
    ]);
    expect(JSON.parse((await t.cursor()) as string)).toEqual({ syncToken: 'sync-token-1', pageToken: null });
    expect(t.row('evt1standup').deletedAt).toBeNull();
    expect(t.row('evt2offsite').deletedAt).not.toBeNull();
    expect(t.row('evt3gone').deletedAt).not.toBeNull();
    expect(t.row('evt4review').values).toMatchObject({ summary: 'Review' });
  });

  it('a 410 on a resumed full sync (page token) starts again too; a saved cursor that does not read stops the poll', async () => {
    const t = setup();
    const poller = t.connector.pollers[0];
    if (!poller) throw new Error('no poller');
    serveEvents({ ...FULL_QUERY, pageToken: 'stale' }, 410, calendarFixtures.syncRequired410);
    const pages = poller.poll({ tenant: CALENDAR_ID, cursor: JSON.stringify({ syncToken: null, pageToken: 'stale' }) });
    await expect(pages[Symbol.asyncIterator]().next()).rejects.toMatchObject({
      name: 'CursorExpiredError',
      stream: 'events',
    });
    const bad = poller.poll({ tenant: CALENDAR_ID, cursor: '1234' });
    await expect(bad[Symbol.asyncIterator]().next()).rejects.toThrow(
      /saved cursor for stream "events" is not a Google Calendar events cursor/,
    );
  });
});
