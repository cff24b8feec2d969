// The SQL of migrations/, as strings, so the migrations ship inside the
// bundle and need no file system (edge runtimes have none). Keep each string
// identical to its .sql file: test/template-migrations.test.ts checks.

const TEMPLATE_MIGRATION_0001 = `-- @act/connector-template: the mirror of Template records, one row per record
-- and account. Keyed like the transformer's operations: (account_id, id).
--
-- Columns starting with "_" are bookkeeping that @act/sink-supabase defines
-- and maintains (version guard, unchanged detection, tombstones, sync time);
-- keep their names and types consistent with the sink's migrations.
create table if not exists template_records (
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
`;

const TEMPLATE_MIGRATION_0002 = `-- @act/connector-template: the tie-break column @act/sink-supabase (migration 0015)
-- orders writes by after _version. At equal versions the write with the higher
-- (copy time, arrival) wins, so an older copy of a record never replaces a
-- newer one; see SinkUpsertV1.order in @act/core. Bookkeeping: the sink
-- maintains it.
alter table template_records add column if not exists _version_order bigint[];
`;

/** This connector's migrations, in order; the Postgres sink applies them after its own. */
export const TEMPLATE_MIGRATIONS: readonly { name: string; sql: string }[] = Object.freeze([
  { name: '0001_template_records', sql: TEMPLATE_MIGRATION_0001 },
  { name: '0002_template_version_order', sql: TEMPLATE_MIGRATION_0002 },
]);
