import type { SourceEventV1 } from '@act/core';
import { z } from 'zod';
import { CALENDAR_SOURCE } from './google-settings';

// Google Calendar's payloads [C1]. Lenient (`.nullish()`, loose objects) but
// for what the connector cannot work without (ids): a field Google starts to
// omit must not stop the mirror. A deleted event is only guaranteed its `id`
// and `status: "cancelled"` [C1] [C3].

/** [C1] An event's start or end: `dateTime` for a timed event, `date` (YYYY-MM-DD) for an all-day one. */
const eventTimeSchema = z.looseObject({
  date: z.string().nullish(),
  dateTime: z.string().nullish(),
  timeZone: z.string().nullish(),
});

const personSchema = z.looseObject({ email: z.string().nullish(), displayName: z.string().nullish() });

/** [C1] An `Events` resource as `events.list` returns it. */
export const calendarEventSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().nullish(),
  htmlLink: z.string().nullish(),
  created: z.string().nullish(),
  updated: z.string().nullish(),
  summary: z.string().nullish(),
  description: z.string().nullish(),
  location: z.string().nullish(),
  creator: personSchema.nullish(),
  organizer: personSchema.nullish(),
  start: eventTimeSchema.nullish(),
  end: eventTimeSchema.nullish(),
  recurringEventId: z.string().nullish(),
  attendees: z.array(z.looseObject({ email: z.string().nullish(), responseStatus: z.string().nullish() })).nullish(),
});
export type CalendarEvent = z.infer<typeof calendarEventSchema>;

/**
 * [C1] [C3] One page of `events.list`. `nextSyncToken` is on the last page
 * only; `items` may be absent on an empty page.
 */
export const calendarEventsPageSchema = z.looseObject({
  items: z.array(calendarEventSchema).nullish(),
  nextPageToken: z.string().nullish(),
  nextSyncToken: z.string().nullish(),
});
export type CalendarEventsPage = z.infer<typeof calendarEventsPageSchema>;

/**
 * What the Calendar connector hands the runtime. `entity` is `event`,
 * `entityId` the event id, `tenant` the calendar id, `version` the epoch ms
 * of the event's `updated`.
 *
 * Types: `event.updated` (an event as listed: a listing cannot tell a
 * creation from a change) and `event.cancelled` (a deleted or cancelled
 * event, or a cancelled instance of a recurring one: a tombstone that a
 * later non-cancelled copy restores).
 */
export const CALENDAR_EVENT_TYPES = ['event.updated', 'event.cancelled'] as const;
export type CalendarEventType = (typeof CALENDAR_EVENT_TYPES)[number];

export interface CalendarSourceEvent extends SourceEventV1<CalendarEvent> {
  type: CalendarEventType;
}

/** `updated` as a row version (epoch ms), or `undefined` when absent or unreadable. */
export function calendarVersion(updated: string | null | undefined): number | undefined {
  if (!updated) return undefined;
  const ms = Date.parse(updated);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * One listed event as a source event. A cancelled event may come without
 * `updated` (only its id is guaranteed [C1]): its version is then the time it
 * was observed, which is no earlier than the cancellation, so the tombstone
 * outranks every copy from before it and a later reinstatement (whose
 * `updated` follows it) outranks the tombstone.
 */
export function calendarEventToSourceEvent(
  calendarId: string,
  event: CalendarEvent,
  observedAt: Date,
): CalendarSourceEvent {
  const cancelled = event.status === 'cancelled';
  const version = calendarVersion(event.updated) ?? (cancelled ? observedAt.getTime() : undefined);
  return {
    source: CALENDAR_SOURCE,
    tenant: calendarId,
    type: cancelled ? 'event.cancelled' : 'event.updated',
    entity: 'event',
    entityId: event.id,
    ...(event.updated ? { occurredAt: event.updated } : {}),
    ...(version !== undefined ? { version } : {}),
    observedAt: observedAt.getTime(),
    payload: event,
  };
}
