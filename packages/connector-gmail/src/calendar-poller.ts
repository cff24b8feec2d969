import { jsonCursor } from '@act/connector-kit';
import {
  CursorExpiredError,
  PayloadError,
  type PollerV1,
  ProviderApiError,
  type ReconcileListRequestV1,
} from '@act/core';
import { z } from 'zod';
import type { CalendarClient } from './calendar-client';
import { type CalendarSourceEvent, calendarEventToSourceEvent } from './calendar-events';
import { GMAIL_PACKAGE_NAME } from './google-settings';

/** The calendar's one stream: what notifications ask to sync. */
export const CALENDAR_EVENTS_STREAM = 'events';

/**
 * Where a sync stands: `syncToken` null while the first (full) sync pages
 * through the calendar, then the last page's `nextSyncToken`; `pageToken` the
 * next page of the listing under way, so a stopped sync resumes where it was.
 */
const positions = jsonCursor(z.object({ syncToken: z.string().nullable(), pageToken: z.string().nullable() }), {
  start: { syncToken: null, pageToken: null },
  packageName: GMAIL_PACKAGE_NAME,
  stream: CALENDAR_EVENTS_STREAM,
  kind: 'Google Calendar events',
});

export interface CalendarPollerOptions {
  client: CalendarClient;
  /** `events.list` page size. */
  maxResults: number;
  /** `showDeleted` on full syncs (and, to keep the query parameters the same [C3], on incremental ones). */
  showDeleted: boolean;
  intervalMs: number;
  now?: () => Date;
}

export interface CalendarPoller extends PollerV1<CalendarSourceEvent> {
  /** Every event now on the calendar, page by page (cancelled ones left out): the reconciler's listing. */
  listAll(request: ReconcileListRequestV1): AsyncIterable<CalendarSourceEvent[]>;
}

/**
 * The `events` stream [C3]: a first run pages through `events.list` (a full
 * sync, `showDeleted` so deletions are tombstones); its last page carries
 * `nextSyncToken`, and every later run asks for what changed since with
 * `syncToken` (with the same parameters, no `timeMin`/`q`). A `410 Gone` on a
 * stored position (`fullSyncRequired` [C4]) is a `CursorExpiredError`: the
 * runtime syncs again from the start and runs the reconciler, whose complete
 * listing finds what was deleted meanwhile.
 *
 * Recurring events are mirrored as Google lists them by default
 * (`singleEvents` off): the recurring event itself (with its `recurrence`
 * rules in `raw`) and each instance that differs from it (moved, edited or
 * cancelled; `recurring_event_id` set), not every occurrence.
 *
 * Run on a timetable (`intervalMs`) even while notifications arrive:
 * Google says they are not 100% reliable [C2].
 */
export function createCalendarPoller(options: CalendarPollerOptions): CalendarPoller {
  const { client, maxResults, showDeleted } = options;
  const now = options.now ?? (() => new Date());

  return {
    specificationVersion: 'v1',
    stream: CALENDAR_EVENTS_STREAM,
    intervalMs: options.intervalMs,
    async *poll({ tenant, cursor, signal }) {
      let position = positions.read(cursor);
      const resumed = cursor !== null;
      for (;;) {
        let page: Awaited<ReturnType<CalendarClient['listEvents']>>;
        // Read before the request: a cancelled event without `updated` is versioned by it, and a reinstatement
        // Google makes after answering must carry a later `updated` than that version, never an earlier one.
        const observedAt = now();
        try {
          page = await client.listEvents(tenant, { ...position, showDeleted, maxResults, signal });
        } catch (error) {
          // [C3] [C4] The sync (or page) token is no longer valid: a full sync is required.
          if (resumed && ProviderApiError.isInstance(error, 410)) {
            throw new CursorExpiredError({
              packageName: GMAIL_PACKAGE_NAME,
              stream: CALENDAR_EVENTS_STREAM,
              reason: `events.list answered 410 (${error.message})`,
              cause: error,
            });
          }
          throw error;
        }
        const events = (page.items ?? []).map((event) => calendarEventToSourceEvent(tenant, event, observedAt));
        if (page.nextPageToken) {
          position = { syncToken: position.syncToken, pageToken: page.nextPageToken };
          yield { events, cursor: positions.write(position) };
          continue;
        }
        // [C3] The last page, and only it, carries the token of the next incremental sync.
        if (!page.nextSyncToken) {
          throw new PayloadError({
            packageName: GMAIL_PACKAGE_NAME,
            message: `events.list for calendar ${tenant} ended without nextSyncToken`,
          });
        }
        yield { events, cursor: positions.write({ syncToken: page.nextSyncToken, pageToken: null }) };
        return;
      }
    },
    async *listAll({ tenant, signal }) {
      let pageToken: string | null = null;
      do {
        const observedAt = now();
        const page = await client.listEvents(tenant, { pageToken, showDeleted: false, maxResults, signal });
        // Cancelled instances of recurring events are listed even without `showDeleted` [C1]: a row
        // the listing leaves out is deleted by the reconciliation, so they are left out here.
        const live = (page.items ?? []).filter((event) => event.status !== 'cancelled');
        yield live.map((event) => calendarEventToSourceEvent(tenant, event, observedAt));
        pageToken = page.nextPageToken ?? null;
      } while (pageToken);
    },
  };
}
