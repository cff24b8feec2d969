import {
  date,
  email,
  json,
  type MirrorColumn,
  type MirrorRecord,
  type MirrorTransformer,
  mirrorTable,
  mirrorTransformer,
  normalizeEmail,
  text,
  timestamp,
} from '@act/connector-kit';
import type { FieldPoliciesV1 } from '@act/core';
import type { CalendarSourceEvent } from './calendar-events';
import { GMAIL_PACKAGE_NAME } from './google-settings';

/**
 * [C1] The columns read from an event. `events.list` returns whole events, in
 * which an empty field is left out (an event moved from a time to a whole
 * day has no `start.dateTime` any more, one whose attendees were all removed
 * no `attendees`), so each is cleared when its field is absent (below):
 * the kit's default keeps a column a thinner event does not carry.
 */
const COLUMNS = {
  status: text('status'),
  summary: text('summary'),
  description: text('description'),
  location: text('location'),
  // A timed event has `dateTime` (an instant with its offset); an all-day one `date` (YYYY-MM-DD;
  // the end date is exclusive) [C1].
  start_at: timestamp('start.dateTime'),
  end_at: timestamp('end.dateTime'),
  start_date: date('start.date', (value) => (typeof value === 'string' ? value : null)),
  end_date: date('end.date', (value) => (typeof value === 'string' ? value : null)),
  start_time_zone: text('start.timeZone'),
  end_time_zone: text('end.timeZone'),
  attendees: json('attendees'),
  organizer_email: email('organizer.email'),
  creator_email: email('creator.email'),
  recurring_event_id: text('recurringEventId'),
  html_link: text('htmlLink'),
  updated_at: timestamp('updated'),
} satisfies Record<string, MirrorColumn>;

const has = (record: MirrorRecord, path: readonly string[]): boolean => {
  let value: unknown = record;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !(key in value)) return false;
    value = (value as Record<string, unknown>)[key];
  }
  return value !== undefined && value !== null;
};

/** Each column again, as `null` when the event lacks its field (unless a field policy blocks it). */
const CLEARED = Object.fromEntries(
  Object.entries(COLUMNS).map(([name, spec]) => [
    name,
    (record: MirrorRecord, { blocked }: { blocked: ReadonlySet<string> }) =>
      spec.from.some((path) => blocked.has(path.join('.')) || has(record, path)) ? undefined : null,
  ]),
);

/**
 * `calendar_events`, keyed (calendar_id, id). Restorable: a cancelled event
 * is a tombstone, and a later copy that is not cancelled (an event
 * reinstated, or listed again by a reconciliation) clears it.
 */
export const CALENDAR_EVENTS = mirrorTable<CalendarSourceEvent>({
  table: 'calendar_events',
  keys: ['calendar_id', 'id'],
  columns: COLUMNS,
  derived: {
    ...CLEARED,
    // Lower-cased addresses of everyone invited, for `= any(attendee_emails)` joins.
    attendee_emails: (record, { blocked }) => {
      if (blocked.has('attendees')) return undefined;
      const attendees = Array.isArray(record.attendees) ? (record.attendees as unknown[]) : [];
      const emails = attendees
        .map((attendee) =>
          attendee && typeof attendee === 'object' ? normalizeEmail((attendee as { email?: unknown }).email) : null,
        )
        .filter((address): address is string => address !== null);
      return [...new Set(emails)];
    },
  },
  tombstone: (event) => event.type === 'event.cancelled',
  restorable: true,
});

/** Calendar events → rows of `calendar_events`. Pure. */
export function createCalendarTransformer(
  options: { fieldPolicies?: FieldPoliciesV1 | undefined } = {},
): MirrorTransformer<CalendarSourceEvent> {
  return mirrorTransformer({
    packageName: GMAIL_PACKAGE_NAME,
    tables: [CALENDAR_EVENTS],
    fieldPolicies: options.fieldPolicies,
    route: (event) => (event.entity === 'event' ? CALENDAR_EVENTS : undefined),
  });
}
