-- @act/sink-supabase 0004: the event bus. Every row written to
-- act_integration_events (act_complete and act_record_events, so webhook,
-- poll and reconciliation alike) goes out live:
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

-- As 0003: close the new functions to anon and authenticated on Supabase.
do $$
declare
  v_role text;
  v_function text;
begin
  foreach v_function in array array[
    'act_events_channel()', 'act_event_payload(act_integration_events)', 'act_integration_events_notify()'
  ] loop
    execute format('revoke execute on function %s from public', v_function);
    foreach v_role in array array['anon', 'authenticated'] loop
      if exists (select 1 from pg_roles where rolname = v_role) then
        execute format('revoke execute on function %s from %I', v_function, v_role);
      end if;
    end loop;
    if exists (select 1 from pg_roles where rolname = 'service_role') then
      execute format('grant execute on function %s to service_role', v_function);
    end if;
  end loop;
end;
$$;
