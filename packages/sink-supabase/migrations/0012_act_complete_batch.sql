-- @act/sink-supabase 0012: the worker's batched round.
--
-- 1. act_complete_batch: complete many leased deliveries in one statement,
--    one transaction, one commit, each with its attempt and its integration
--    events, each checked against its own claim token (a lost lease fails
--    only that delivery). The worker completes a whole claimed batch with it.
-- 2. A wake-up for idle workers: a NOTIFY on the schema's deliveries channel
--    when new deliveries are stored, so a listening worker claims at once
--    instead of at its next poll.

-- p_completions is a JSON array of objects named like act_complete's
-- arguments without the p_ prefix: id, claim_token, events (a JSON array as
-- act_record_events takes it), started_at, now. One row per element comes
-- back, with its 1-based position as `ord` and whether it completed. An
-- element whose lease is lost (or a second element for the same delivery)
-- answers false and changes nothing.
create or replace function act_complete_batch(p_completions jsonb)
returns table (ord integer, completed boolean)
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_clock timestamptz := clock_timestamp();
begin
  if p_completions is null or jsonb_typeof(p_completions) <> 'array' then
    return;
  end if;
  return query
  with input as (
    select e.n::integer as n,
      case when (e.c->>'id') ~ '^[1-9][0-9]{0,18}$' and (e.c->>'id')::numeric <= 9223372036854775807
        then (e.c->>'id')::bigint end as delivery_id,
      lower(e.c->>'claim_token') as claim_token,
      coalesce((e.c->>'now')::timestamptz, v_clock) as at,
      (e.c->>'started_at')::timestamptz as started_at,
      case when jsonb_typeof(e.c->'events') = 'array' then e.c->'events' else '[]'::jsonb end as events
    from jsonb_array_elements(p_completions) with ordinality as e(c, n)
  ),
  -- The first element per delivery; a repeat finds nothing to complete.
  firsts as (
    select distinct on (i.delivery_id) i.*
    from input i
    where i.delivery_id is not null
    order by i.delivery_id, i.n
  ),
  done as (
    update act_deliveries d
    set status = 'done', completed_at = f.at, claim_token = null, lease_expires_at = null,
      attempts_total = d.attempts_total + 1
    from firsts f
    where d.id = f.delivery_id and d.status = 'processing' and d.claim_token::text = f.claim_token
    returning d.id, d.attempts_total, d.lease_owner, d.correlation_id, f.n, f.at, f.started_at, f.events
  ),
  attempts as (
    insert into act_delivery_attempts (delivery_id, attempt, owner, started_at, finished_at, outcome)
    select x.id, x.attempts_total, coalesce(x.lease_owner, 'unknown'), coalesce(x.started_at, x.at), x.at, 'done'
    from done x
    returning delivery_id
  ),
  -- As act_record_events: delivery events inherit the delivery's id and correlation id.
  logged as (
    insert into act_integration_events (
      source, tenant, event_type, entity_type, entity_id, table_name, row_id, outcome, summary,
      triggered_by, latency_ms, provider_latency_ms, correlation_id, delivery_id, created_at
    )
    select e.source, e.tenant, e.event_type, e.entity_type, e.entity_id, e.table_name, e.row_id, e.outcome,
      e.summary, e.triggered_by, e.latency_ms, e.provider_latency_ms,
      coalesce(e.correlation_id, x.correlation_id), coalesce(e.delivery_id, x.id), coalesce(e.created_at, x.at)
    from done x
      cross join lateral jsonb_populate_recordset(null::act_integration_events, x.events) e
    order by x.n
    returning id
  )
  select i.n, exists (select 1 from done x where x.n = i.n)
  from input i
  order by i.n;
end;
$$;

-- The NOTIFY channel for new deliveries in the schema this migration runs
-- in: `act_deliveries` in schema public, `act_deliveries:<schema>` in any
-- other (`act_deliveries:<md5 of the schema>` past the 63-byte limit).
create or replace function act_deliveries_channel()
returns text
language sql stable
set search_path from current
as $$
  select case
    when current_schema() = 'public' then 'act_deliveries'
    when octet_length('act_deliveries:' || current_schema()) <= 63 then 'act_deliveries:' || current_schema()
    else 'act_deliveries:' || md5(current_schema())
  end;
$$;

-- One statement-level trigger: a group-committed batch of deliveries costs
-- one NOTIFY, sent on commit (never on rollback), with an empty payload; an
-- insert that stored nothing (every key a duplicate) sends none. Listeners
-- only learn that there is work, and claim it as usual.
-- `set act.notify_deliveries = 'off'` (per session, role or database) silences it.
create or replace function act_deliveries_notify()
returns trigger
language plpgsql volatile
set search_path from current
as $$
begin
  if coalesce(current_setting('act.notify_deliveries', true), '') = 'off' then
    return null;
  end if;
  if exists (select 1 from act_new_deliveries) then
    perform pg_notify(act_deliveries_channel(), '');
  end if;
  return null;
end;
$$;

drop trigger if exists act_deliveries_notify on act_deliveries;
create trigger act_deliveries_notify
  after insert on act_deliveries
  referencing new table as act_new_deliveries
  for each statement
  execute function act_deliveries_notify();

-- Closed like every act_ function (see 0003): only the owner and service_role.
do $$
declare
  v_role text;
  v_function text;
begin
  foreach v_function in array array[
    'act_complete_batch(jsonb)', 'act_deliveries_channel()', 'act_deliveries_notify()'
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
