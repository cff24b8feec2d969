-- @act/connector-gmail (Google Calendar): the mirror of calendar events, one
-- row per event and calendar. Keyed like the transformer's operations:
-- (calendar_id, id). A cancelled event is a tombstone (_deleted_at set) that
-- a later copy of the event, reinstated, clears.
--
-- A timed event fills start_at/end_at (and the time zones it was written
-- in); an all-day one start_date/end_date (end_date is exclusive, as Google
-- gives it). Recurring events are kept as Google lists them: the recurring
-- event (its rules in raw.recurrence) and the instances that differ from it
-- (recurring_event_id set).
--
-- Columns starting with "_" are bookkeeping that @act/sink-supabase defines
-- and maintains (version guard, write order, unchanged detection,
-- tombstones, sync time); keep their names and types consistent with the
-- sink's migrations. Every other column is nullable: a delete that arrives
-- first leaves a key-only tombstone row.
create table if not exists calendar_events (
  calendar_id text not null,
  id text not null,
  status text,
  summary text,
  description text,
  location text,
  start_at timestamptz,
  end_at timestamptz,
  start_date date,
  end_date date,
  start_time_zone text,
  end_time_zone text,
  attendees jsonb,
  attendee_emails text[],
  organizer_email text,
  creator_email text,
  recurring_event_id text,
  html_link text,
  updated_at timestamptz,
  raw jsonb,
  _version bigint,
  _version_order bigint[],
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz not null default now(),
  primary key (calendar_id, id)
);

-- Who was invited to what: `where 'a@example.com' = any(attendee_emails)`.
create index if not exists calendar_events_attendee_emails_idx on calendar_events using gin (attendee_emails);
