-- @act/connector-gmail: the mirror of Gmail records, one row per record
-- and account. Keyed like the transformer's operations: (account_id, id).
--
-- Columns starting with "_" are bookkeeping that @act/sink-supabase defines
-- and maintains (version guard, unchanged detection, tombstones, sync time);
-- keep their names and types consistent with the sink's migrations.
create table if not exists gmail_records (
  account_id text not null,
  id text not null,
  name text,
  email text,
  status text,
  updated_at timestamptz,
  raw jsonb,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz not null default now(),
  primary key (account_id, id)
);
