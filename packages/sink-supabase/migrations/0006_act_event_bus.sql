-- @act/sink-supabase 0006: the integration events (one row per applied or
-- skipped change: the feed, the freshness figures, the latency percentiles)
-- and the event bus that sends each one out live.
--
-- Every row written to act_integration_events (act_complete and
-- act_record_events, so webhook, poll and reconciliation alike) goes out live:
--
-- - everywhere (Postgres, Supabase, PGlite): NOTIFY on the schema's channel,
--   `act_events` in schema public and `act_events:<schema>` in any other
--   (`act_events:<md5 of the schema>` when that would pass the 63-byte limit
--   on channel names); act_events_channel() says which;
-- - on Supabase, where realtime.send() exists: a private Realtime broadcast,
--   event `act_event`, on topic `<source>:<tenant>`;
-- - on Supabase, where the supabase_realtime publication exists: the table
--   joins it, for `postgres_changes` subscribers (subject to RLS).
--
-- The payload is one compact JSON object (see act_event_payload), well under
-- NOTIFY's 8000-byte limit. `set act.notify = 'off'` (per session, role or
-- database) silences both NOTIFY and the broadcast.

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

-- Append integration events (JSON array of objects named like the columns).
-- Delivery events inherit the delivery's id and correlation id.
create or replace function act_record_events(
  p_events jsonb,
  p_delivery_id bigint default null,
  p_correlation_id text default null,
  p_now timestamptz default null
)
returns integer
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(p_now, clock_timestamp());
  v_count integer;
begin
  if p_events is null or jsonb_typeof(p_events) <> 'array' or jsonb_array_length(p_events) = 0 then
    return 0;
  end if;
  insert into act_integration_events (
    source, tenant, event_type, entity_type, entity_id, table_name, row_id, outcome, summary,
    triggered_by, latency_ms, provider_latency_ms, correlation_id, delivery_id, created_at
  )
  select e.source, e.tenant, e.event_type, e.entity_type, e.entity_id, e.table_name, e.row_id, e.outcome,
    e.summary, e.triggered_by, e.latency_ms, e.provider_latency_ms,
    coalesce(e.correlation_id, p_correlation_id), coalesce(e.delivery_id, p_delivery_id),
    coalesce(e.created_at, v_now)
  from jsonb_populate_recordset(null::act_integration_events, p_events) e;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

-- Newest first.
create or replace function act_list_events(
  p_source text default null,
  p_tenant text default null,
  p_since timestamptz default null,
  p_limit integer default 100
)
returns setof act_integration_events
language sql stable
set search_path from current
as $$
  select * from act_integration_events e
  where (p_source is null or e.source = p_source)
    and (p_tenant is null or e.tenant = p_tenant)
    and (p_since is null or e.created_at > p_since)
  order by e.created_at desc, e.id desc
  limit coalesce(p_limit, 100);
$$;

-- The NOTIFY channel of the schema this migration runs in.
create or replace function act_events_channel()
returns text
language sql stable
set search_path from current
as $$
  select case
    when current_schema() = 'public' then 'act_events'
    when octet_length('act_events:' || current_schema()) <= 63 then 'act_events:' || current_schema()
    else 'act_events:' || md5(current_schema())
  end;
$$;

-- What a listener receives for one event: the columns that identify and
-- describe it (id and delivery_id as text; nulls left out), and the summary
-- when it is at most 1 KB. Anything left out (a larger summary, or every
-- field when the text columns are huge) is flagged `"truncated": true`: read
-- the row by id for the rest. Never more than about 7 KB.
create or replace function act_event_payload(p_event act_integration_events)
returns jsonb
language plpgsql stable
set search_path from current
as $$
declare
  c_max_summary_bytes constant integer := 1024;
  c_max_payload_bytes constant integer := 7000;
  v_payload jsonb;
begin
  v_payload := jsonb_strip_nulls(jsonb_build_object(
    'id', p_event.id::text,
    'source', p_event.source,
    'tenant', p_event.tenant,
    'event_type', p_event.event_type,
    'entity_type', p_event.entity_type,
    'entity_id', p_event.entity_id,
    'table_name', p_event.table_name,
    'row_id', p_event.row_id,
    'outcome', p_event.outcome,
    'triggered_by', p_event.triggered_by,
    'latency_ms', p_event.latency_ms,
    'provider_latency_ms', p_event.provider_latency_ms,
    'correlation_id', p_event.correlation_id,
    'delivery_id', p_event.delivery_id::text,
    'created_at', p_event.created_at
  ));
  if p_event.summary is not null then
    if octet_length(p_event.summary::text) <= c_max_summary_bytes then
      v_payload := v_payload || jsonb_build_object('summary', p_event.summary);
    else
      v_payload := v_payload || jsonb_build_object('truncated', true);
    end if;
  end if;
  if octet_length(v_payload::text) > c_max_payload_bytes then
    -- 200 characters are at most 800 bytes (1,200 escaped) each.
    v_payload := jsonb_build_object(
      'id', p_event.id::text,
      'source', left(p_event.source, 200),
      'tenant', left(p_event.tenant, 200),
      'truncated', true
    );
  end if;
  return v_payload;
end;
$$;

-- One statement-level trigger (a transition table, not a trigger per row):
-- a poll page of 500 events costs one trigger call, and the Realtime
-- broadcast runs in one subtransaction per statement rather than per row.
create or replace function act_integration_events_notify()
returns trigger
language plpgsql volatile
set search_path from current
as $$
declare
  v_channel text;
  v_event act_integration_events;
  v_payloads jsonb[] := '{}';
  v_topics text[] := '{}';
  v_index integer;
begin
  if coalesce(current_setting('act.notify', true), '') = 'off' then
    return null;
  end if;
  v_channel := act_events_channel();
  for v_event in select * from act_new_events order by id loop
    v_payloads := array_append(v_payloads, act_event_payload(v_event));
    v_topics := array_append(v_topics, v_event.source || ':' || v_event.tenant);
    -- Delivered on commit, in this order; never if the transaction rolls back.
    perform pg_notify(v_channel, v_payloads[cardinality(v_payloads)]::text);
  end loop;

  -- Supabase Realtime broadcast. A failure here (permissions, Realtime's own
  -- tables) is a warning: the change itself is already safe in the mirror.
  if cardinality(v_payloads) > 0 and to_regprocedure('realtime.send(jsonb, text, text, boolean)') is not null then
    begin
      for v_index in 1 .. cardinality(v_payloads) loop
        perform realtime.send(v_payloads[v_index], 'act_event', v_topics[v_index], true);
      end loop;
    exception when others then
      raise warning 'act_integration_events_notify: realtime.send failed: % (%)', sqlerrm, sqlstate;
    end;
  end if;
  return null;
end;
$$;

drop trigger if exists act_integration_events_notify on act_integration_events;
create trigger act_integration_events_notify
  after insert on act_integration_events
  referencing new table as act_new_events
  for each statement
  execute function act_integration_events_notify();

-- Supabase Realtime `postgres_changes`: join the publication where it exists
-- (and does not already publish every table). Only the publication's owner
-- may change it; anyone else gets a warning and the rest of the migration.
do $$
begin
  if exists (select 1 from pg_publication where pubname = 'supabase_realtime' and not puballtables)
    and not exists (
      select 1 from pg_publication_tables t
      where t.pubname = 'supabase_realtime' and t.schemaname = current_schema()
        and t.tablename = 'act_integration_events'
    )
  then
    begin
      alter publication supabase_realtime add table act_integration_events;
    exception when insufficient_privilege then
      raise warning 'act_integration_events was not added to the supabase_realtime publication: %', sqlerrm
        using hint = 'as the publication''s owner: alter publication supabase_realtime add table act_integration_events';
    end;
  end if;
end;
$$;

-- Closed to anon and authenticated (see 0001): only the owner and service_role.
select act_restrict_api_roles(
  array[
    'act_integration_events'
  ],
  array[
    'act_record_events', 'act_list_events', 'act_events_channel', 'act_event_payload',
    'act_integration_events_notify'
  ]
);

-- In a schema of your own, grant service_role what it lacks (see 0001).
select act_grant_service_role();
