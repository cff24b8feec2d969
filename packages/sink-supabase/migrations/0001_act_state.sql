-- @act/sink-supabase 0001: the tables that hold the pipeline's state.
--
-- Applied by migrate() (or `act-sink-supabase migrate`) with search_path set
-- to the chosen schema (default public), so no name here is schema-qualified.
-- Every name starts with act_. Never edit an applied migration: add a new file.

-- The inbox: every accepted webhook delivery, raw bytes and all, and its
-- place in the queue.
create table if not exists act_deliveries (
  id bigserial primary key,
  source text not null,
  tenant text not null,
  -- `<source>:<deliveryId>` or `<source>:sha256:<hex>`: a redelivery is stored once.
  dedupe_key text not null,
  method text not null,
  url text not null,
  -- Only the headers the connector needs (names lower case).
  headers jsonb not null default '{}'::jsonb,
  -- The body exactly as received: signatures are checked over these bytes.
  body bytea not null,
  status text not null default 'pending',
  -- Failed attempts counted towards the retry schedule since the last replay.
  attempts integer not null default 0,
  -- Every finished attempt over the delivery's life (numbers act_delivery_attempts).
  attempts_total integer not null default 0,
  next_attempt_at timestamptz not null,
  claim_token uuid,
  lease_owner text,
  lease_expires_at timestamptz,
  last_error text,
  last_error_class text,
  correlation_id text not null,
  event_types text[] not null default '{}',
  received_at timestamptz not null,
  completed_at timestamptz,
  constraint act_deliveries_dedupe_key_key unique (dedupe_key),
  constraint act_deliveries_status_check check (status in ('pending', 'processing', 'done', 'dead')),
  constraint act_deliveries_error_class_check check (
    last_error_class is null
    or last_error_class in ('signature', 'auth', 'rate_limit', 'transient', 'validation', 'transform', 'unknown')
  ),
  constraint act_deliveries_lease_check check (
    status <> 'processing' or (claim_token is not null and lease_expires_at is not null)
  )
);

-- The claim walks this index oldest first and stops after `limit` rows.
create index if not exists act_deliveries_due_idx
  on act_deliveries (next_attempt_at, id) where status = 'pending';
-- Expired leases are found here.
create index if not exists act_deliveries_lease_idx
  on act_deliveries (lease_expires_at) where status = 'processing';
-- Backlog figures and dead-letter listings per source and tenant.
create index if not exists act_deliveries_backlog_idx
  on act_deliveries (source, tenant, status) where status <> 'done';
-- Last delivery per source and tenant; replay by tenant and time range.
create index if not exists act_deliveries_source_tenant_received_idx
  on act_deliveries (source, tenant, received_at);
-- Replay by time range; retention.
create index if not exists act_deliveries_received_idx on act_deliveries (received_at);

-- Every finished attempt at a delivery: the provenance of a dead letter.
create table if not exists act_delivery_attempts (
  id bigserial primary key,
  delivery_id bigint not null references act_deliveries (id) on delete cascade,
  -- 1-based over the delivery's whole life (replays continue the count).
  attempt integer not null,
  owner text not null,
  started_at timestamptz not null,
  finished_at timestamptz not null,
  outcome text not null,
  error text,
  error_class text,
  constraint act_delivery_attempts_delivery_attempt_key unique (delivery_id, attempt),
  constraint act_delivery_attempts_outcome_check check (outcome in ('done', 'retry', 'dead'))
);

-- Where each poller stopped: one cursor per source, tenant and stream.
create table if not exists act_cursors (
  source text not null,
  tenant text not null,
  stream text not null,
  cursor text not null,
  updated_at timestamptz not null default now(),
  primary key (source, tenant, stream)
);

-- One row per applied (or skipped) change: the feed, the freshness figures,
-- the latency percentiles.
create table if not exists act_integration_events (
  id bigserial primary key,
  source text not null,
  tenant text not null,
  event_type text not null,
  entity_type text not null,
  entity_id text not null,
  table_name text,
  row_id text,
  outcome text not null,
  -- Small and safe for feeds and dashboards; never the whole payload.
  summary jsonb,
  triggered_by text not null,
  -- Receipt (or poll) to committed write.
  latency_ms bigint,
  -- The provider's occurredAt to committed write.
  provider_latency_ms bigint,
  correlation_id text,
  delivery_id bigint,
  created_at timestamptz not null default now(),
  constraint act_integration_events_outcome_check check (
    outcome in ('created', 'updated', 'deleted', 'skipped', 'ignored')
  ),
  constraint act_integration_events_triggered_by_check check (
    triggered_by in ('webhook', 'poll', 'reconciliation')
  )
);

create index if not exists act_integration_events_source_tenant_created_idx
  on act_integration_events (source, tenant, created_at desc);
create index if not exists act_integration_events_created_idx on act_integration_events (created_at);
create index if not exists act_integration_events_delivery_idx
  on act_integration_events (delivery_id) where delivery_id is not null;
create index if not exists act_integration_events_entity_idx
  on act_integration_events (source, entity_type, entity_id);

-- Token buckets shared by every worker: one row per `<source>:<tenant>:<limit>`.
create table if not exists act_rate_limits (
  key text primary key,
  tokens double precision not null,
  updated_at_ms bigint not null,
  capacity double precision not null,
  interval_ms bigint not null
);
