// The SQL of migrations/, as strings, so the migrations ship inside the
// bundle and need no file system (edge runtimes have none). Keep each string
// identical to its .sql file: test/ghl-migrations.test.ts checks.

const GHL_MIGRATION_0001 = `-- @act/connector-ghl: the mirror of GoHighLevel contacts, opportunities,
-- pipelines, appointments, tasks and notes. One row per record and location,
-- keyed like the transformer's operations: (location_id, id), both GHL ids.
--
-- Columns starting with "_" are bookkeeping that @act/sink-supabase defines
-- and maintains (version guard, unchanged detection, tombstones, sync time);
-- keep their names and types consistent with the sink's migrations. Every
-- other column is nullable: a delete that arrives before its record leaves a
-- key-only tombstone row, and events write only the fields they carry.
--
-- Normalised on the way in: emails trimmed and lower-cased; phone in E.164
-- (null when not a valid number; the text as sent is in phone_raw); tags
-- trimmed, lower-cased, deduplicated and sorted; timestamps as UTC instants.
-- raw holds the record as GHL last sent it (blocked fields removed).

create table if not exists ghl_contacts (
  location_id text not null,
  id text not null,
  first_name text,
  last_name text,
  name text,
  email text,
  phone text,
  phone_raw text,
  company_name text,
  address1 text,
  city text,
  state text,
  postal_code text,
  country text,
  website text,
  source text,
  dnd boolean,
  dnd_settings jsonb,
  tags text[],
  assigned_to text,
  date_of_birth date,
  custom_fields jsonb,
  date_added timestamptz,
  date_updated timestamptz,
  raw jsonb,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz not null default now(),
  primary key (location_id, id)
);
-- Natural-key lookups (write-back matches contacts by email or phone).
create index if not exists ghl_contacts_email_idx on ghl_contacts (location_id, email);
create index if not exists ghl_contacts_phone_idx on ghl_contacts (location_id, phone);

create table if not exists ghl_opportunities (
  location_id text not null,
  id text not null,
  name text,
  contact_id text,
  pipeline_id text,
  pipeline_stage_id text,
  status text,
  monetary_value numeric,
  assigned_to text,
  source text,
  date_added timestamptz,
  date_updated timestamptz,
  last_status_change_at timestamptz,
  last_stage_change_at timestamptz,
  raw jsonb,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz not null default now(),
  primary key (location_id, id)
);
create index if not exists ghl_opportunities_contact_idx on ghl_opportunities (location_id, contact_id);
create index if not exists ghl_opportunities_stage_idx on ghl_opportunities (location_id, pipeline_id, pipeline_stage_id);

create table if not exists ghl_pipelines (
  location_id text not null,
  id text not null,
  name text,
  stages jsonb,
  date_added timestamptz,
  date_updated timestamptz,
  raw jsonb,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz not null default now(),
  primary key (location_id, id)
);

create table if not exists ghl_appointments (
  location_id text not null,
  id text not null,
  calendar_id text,
  contact_id text,
  group_id text,
  title text,
  status text,
  assigned_user_id text,
  users text[],
  notes text,
  source text,
  address text,
  start_time timestamptz,
  end_time timestamptz,
  date_added timestamptz,
  date_updated timestamptz,
  raw jsonb,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz not null default now(),
  primary key (location_id, id)
);
create index if not exists ghl_appointments_start_idx on ghl_appointments (location_id, start_time);
create index if not exists ghl_appointments_contact_idx on ghl_appointments (location_id, contact_id);

create table if not exists ghl_tasks (
  location_id text not null,
  id text not null,
  title text,
  body text,
  contact_id text,
  assigned_to text,
  due_date timestamptz,
  completed boolean,
  date_added timestamptz,
  raw jsonb,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz not null default now(),
  primary key (location_id, id)
);
create index if not exists ghl_tasks_contact_idx on ghl_tasks (location_id, contact_id);

create table if not exists ghl_notes (
  location_id text not null,
  id text not null,
  body text,
  contact_id text,
  user_id text,
  date_added timestamptz,
  raw jsonb,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz not null default now(),
  primary key (location_id, id)
);
create index if not exists ghl_notes_contact_idx on ghl_notes (location_id, contact_id);
`;

const GHL_MIGRATION_0002 = `-- @act/connector-ghl: the tie-break column @act/sink-supabase (migration 0015)
-- orders writes by after _version. At equal versions the write with the higher
-- (copy time, arrival) wins, so an older copy of a record never replaces a
-- newer one; see SinkUpsertV1.order in @act/core. Bookkeeping: the sink
-- maintains it.
alter table ghl_contacts add column if not exists _version_order bigint[];
alter table ghl_opportunities add column if not exists _version_order bigint[];
alter table ghl_pipelines add column if not exists _version_order bigint[];
alter table ghl_appointments add column if not exists _version_order bigint[];
alter table ghl_tasks add column if not exists _version_order bigint[];
alter table ghl_notes add column if not exists _version_order bigint[];
`;

/** This connector's migrations, in order; the Postgres sink applies them after its own (as `ghl/<name>`). */
export const GHL_MIGRATIONS: readonly { name: string; sql: string }[] = Object.freeze([
  { name: '0001_ghl_mirror', sql: GHL_MIGRATION_0001 },
  { name: '0002_ghl_version_order', sql: GHL_MIGRATION_0002 },
]);
