-- @act/sink-supabase 0002: the queue, cursors, event log, rate limits and
-- health figures as SQL functions, so every driver (node-postgres, PGlite,
-- supabase-js rpc) runs the same logic in one transaction per call.
--
-- `set search_path from current` pins each function to the schema the
-- migration ran in. Times: a `p_now` argument wins; without it the database
-- clock is used, so workers on several machines agree on lease expiry.

-- Store a delivery unless its dedupe key is known.
create or replace function act_enqueue(
  p_source text,
  p_tenant text,
  p_dedupe_key text,
  p_method text,
  p_url text,
  p_headers jsonb,
  p_body bytea,
  p_received_at timestamptz,
  p_correlation_id text,
  p_event_types text[]
)
returns table (id text, duplicate boolean)
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_id bigint;
  v_received_at timestamptz := coalesce(p_received_at, clock_timestamp());
begin
  loop
    insert into act_deliveries as d (
      source, tenant, dedupe_key, method, url, headers, body,
      next_attempt_at, correlation_id, event_types, received_at
    )
    values (
      p_source, p_tenant, p_dedupe_key, p_method, p_url, coalesce(p_headers, '{}'::jsonb), p_body,
      v_received_at, p_correlation_id, coalesce(p_event_types, '{}'::text[]), v_received_at
    )
    on conflict (dedupe_key) do nothing
    returning d.id into v_id;
    if v_id is not null then
      return query select v_id::text, false;
      return;
    end if;
    select d.id into v_id from act_deliveries d where d.dedupe_key = p_dedupe_key;
    if v_id is not null then
      return query select v_id::text, true;
      return;
    end if;
    -- The conflicting row vanished in between (retention): try again.
  end loop;
end;
$$;

-- Lease up to p_limit due deliveries, oldest first. Expired leases go back to
-- pending first (their old claim token stops working), then due pending rows
-- are locked with SKIP LOCKED so concurrent claimers never share a row.
create or replace function act_claim(
  p_owner text,
  p_limit integer,
  p_lease_ms bigint,
  p_sources text[] default null,
  p_now timestamptz default null
)
returns setof act_deliveries
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(p_now, clock_timestamp());
begin
  if p_limit is null or p_limit <= 0 then
    return;
  end if;
  update act_deliveries d
  set status = 'pending', claim_token = null, lease_expires_at = null
  from (
    select e.id from act_deliveries e
    where e.status = 'processing' and e.lease_expires_at <= v_now
      and (p_sources is null or e.source = any (p_sources))
    for update skip locked
  ) expired
  where d.id = expired.id;

  return query
  with due as (
    select p.id from act_deliveries p
    where p.status = 'pending' and p.next_attempt_at <= v_now
      and (p_sources is null or p.source = any (p_sources))
    order by p.next_attempt_at, p.id
    limit p_limit
    for update skip locked
  ),
  claimed as (
    update act_deliveries d
    set status = 'processing',
      claim_token = gen_random_uuid(),
      lease_owner = p_owner,
      lease_expires_at = v_now + p_lease_ms * interval '1 millisecond'
    from due
    where d.id = due.id
    returning d.*
  )
  select * from claimed c order by c.next_attempt_at, c.id;
end;
$$;

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

-- Mark a leased delivery done, with its attempt and integration events, in
-- one transaction. False when the claim token no longer holds the lease.
create or replace function act_complete(
  p_id bigint,
  p_claim_token text,
  p_events jsonb default '[]'::jsonb,
  p_started_at timestamptz default null,
  p_now timestamptz default null
)
returns boolean
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(p_now, clock_timestamp());
  v_row act_deliveries;
begin
  update act_deliveries d
  set status = 'done', completed_at = v_now, claim_token = null, lease_expires_at = null,
    attempts_total = d.attempts_total + 1
  where d.id = p_id and d.status = 'processing' and d.claim_token::text = lower(p_claim_token)
  returning d.* into v_row;
  if not found then
    return false;
  end if;
  insert into act_delivery_attempts (delivery_id, attempt, owner, started_at, finished_at, outcome)
  values (p_id, v_row.attempts_total, coalesce(v_row.lease_owner, 'unknown'), coalesce(p_started_at, v_now), v_now, 'done');
  perform act_record_events(p_events, p_id, v_row.correlation_id, v_now);
  return true;
end;
$$;

-- Record a failed attempt: back to pending at p_retry_at, or dead when it is
-- null. Returns 'retrying', 'dead' or 'lease-lost'.
create or replace function act_fail(
  p_id bigint,
  p_claim_token text,
  p_error text,
  p_error_class text,
  p_retry_at timestamptz,
  p_counts_towards_schedule boolean default true,
  p_started_at timestamptz default null,
  p_now timestamptz default null
)
returns text
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(p_now, clock_timestamp());
  v_dead boolean := p_retry_at is null;
  v_row act_deliveries;
begin
  update act_deliveries d
  set status = case when v_dead then 'dead' else 'pending' end,
    attempts = d.attempts + case when coalesce(p_counts_towards_schedule, true) then 1 else 0 end,
    attempts_total = d.attempts_total + 1,
    last_error = p_error,
    last_error_class = p_error_class,
    next_attempt_at = coalesce(p_retry_at, d.next_attempt_at),
    claim_token = null,
    lease_expires_at = null
  where d.id = p_id and d.status = 'processing' and d.claim_token::text = lower(p_claim_token)
  returning d.* into v_row;
  if not found then
    return 'lease-lost';
  end if;
  insert into act_delivery_attempts (delivery_id, attempt, owner, started_at, finished_at, outcome, error, error_class)
  values (
    p_id, v_row.attempts_total, coalesce(v_row.lease_owner, 'unknown'), coalesce(p_started_at, v_now), v_now,
    case when v_dead then 'dead' else 'retry' end, p_error, p_error_class
  );
  return case when v_dead then 'dead' else 'retrying' end;
end;
$$;

-- Put matching dead (or done) deliveries back to pending, due now, attempts
-- reset; the attempts history stays. At least one filter is required.
create or replace function act_replay(
  p_ids bigint[] default null,
  p_source text default null,
  p_tenant text default null,
  p_from timestamptz default null,
  p_to timestamptz default null,
  p_statuses text[] default null,
  p_now timestamptz default null
)
returns integer
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(p_now, clock_timestamp());
  v_statuses text[] := coalesce(p_statuses, array['dead']);
  v_count integer;
begin
  if (p_ids is null or cardinality(p_ids) = 0) and p_source is null and p_tenant is null
    and p_from is null and p_to is null then
    raise exception using
      errcode = '22023',
      message = 'act_replay needs at least one filter: ids, source, tenant, from or to';
  end if;
  if exists (select 1 from unnest(v_statuses) s where s not in ('dead', 'done')) then
    raise exception using
      errcode = '22023',
      message = format('act_replay can only replay dead or done deliveries, got %s', v_statuses);
  end if;
  update act_deliveries d
  set status = 'pending', attempts = 0, next_attempt_at = v_now, completed_at = null,
    claim_token = null, lease_expires_at = null
  where d.status = any (v_statuses)
    and (p_ids is null or d.id = any (p_ids))
    and (p_source is null or d.source = p_source)
    and (p_tenant is null or d.tenant = p_tenant)
    and (p_from is null or d.received_at >= p_from)
    and (p_to is null or d.received_at < p_to);
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

create or replace function act_get_delivery(p_id bigint)
returns setof act_deliveries
language sql stable
set search_path from current
as $$
  select * from act_deliveries d where d.id = p_id;
$$;

-- Newest first.
create or replace function act_list_deliveries(
  p_status text default null,
  p_source text default null,
  p_tenant text default null,
  p_limit integer default 100
)
returns setof act_deliveries
language sql stable
set search_path from current
as $$
  select * from act_deliveries d
  where (p_status is null or d.status = p_status)
    and (p_source is null or d.source = p_source)
    and (p_tenant is null or d.tenant = p_tenant)
  order by d.id desc
  limit coalesce(p_limit, 100);
$$;

create or replace function act_list_attempts(p_delivery_id bigint)
returns setof act_delivery_attempts
language sql stable
set search_path from current
as $$
  select * from act_delivery_attempts a where a.delivery_id = p_delivery_id order by a.attempt;
$$;

create or replace function act_get_cursor(p_source text, p_tenant text, p_stream text)
returns text
language sql stable
set search_path from current
as $$
  select c.cursor from act_cursors c
  where c.source = p_source and c.tenant = p_tenant and c.stream = p_stream;
$$;

create or replace function act_set_cursor(
  p_source text,
  p_tenant text,
  p_stream text,
  p_cursor text,
  p_now timestamptz default null
)
returns void
language sql volatile
set search_path from current
as $$
  insert into act_cursors as c (source, tenant, stream, cursor, updated_at)
  values (p_source, p_tenant, p_stream, p_cursor, coalesce(p_now, clock_timestamp()))
  on conflict (source, tenant, stream)
  do update set cursor = excluded.cursor, updated_at = excluded.updated_at;
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

-- Backlog and freshness per source and tenant. Percentiles are nearest-rank
-- (percentile_disc) over the last hour's receipt-to-commit latencies.
create or replace function act_health(p_now timestamptz default null)
returns table (
  source text,
  tenant text,
  pending integer,
  processing integer,
  dead integer,
  oldest_pending_age_ms bigint,
  last_delivery_at timestamptz,
  last_event_at timestamptz,
  latency_p50_ms bigint,
  latency_p95_ms bigint,
  events_last_hour integer
)
language sql stable
set search_path from current
as $$
  with clock as (
    select coalesce(p_now, clock_timestamp()) as now
  ),
  backlog as (
    select d.source, d.tenant,
      count(*) filter (where d.status = 'pending')::integer as pending,
      count(*) filter (where d.status = 'processing')::integer as processing,
      count(*) filter (where d.status = 'dead')::integer as dead,
      min(d.received_at) filter (where d.status = 'pending') as oldest_pending_at
    from act_deliveries d
    where d.status <> 'done'
    group by d.source, d.tenant
  ),
  received as (
    select d.source, d.tenant, max(d.received_at) as last_delivery_at
    from act_deliveries d
    group by d.source, d.tenant
  ),
  events as (
    select e.source, e.tenant, max(e.created_at) as last_event_at
    from act_integration_events e
    group by e.source, e.tenant
  ),
  recent as (
    select e.source, e.tenant,
      count(*)::integer as events_last_hour,
      percentile_disc(0.5) within group (order by e.latency_ms) as latency_p50_ms,
      percentile_disc(0.95) within group (order by e.latency_ms) as latency_p95_ms
    from act_integration_events e, clock
    where e.created_at >= clock.now - interval '1 hour'
    group by e.source, e.tenant
  )
  select source, tenant,
    coalesce(b.pending, 0), coalesce(b.processing, 0), coalesce(b.dead, 0),
    round(extract(epoch from (clock.now - b.oldest_pending_at)) * 1000)::bigint,
    r.last_delivery_at, e.last_event_at, h.latency_p50_ms, h.latency_p95_ms,
    coalesce(h.events_last_hour, 0)
  from received r
    full join backlog b using (source, tenant)
    full join events e using (source, tenant)
    full join recent h using (source, tenant)
    cross join clock
  order by source, tenant;
$$;

-- Take `p_cost` tokens from a bucket refilled continuously at
-- capacity / interval per millisecond, atomically (the row is locked).
create or replace function act_take_tokens(
  p_key text,
  p_capacity double precision,
  p_interval_ms bigint,
  p_cost double precision default 1,
  p_now_ms bigint default null
)
returns table (granted boolean, wait_ms bigint, remaining integer)
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  -- Refill is fractional, so after waiting the exact wait a bucket can sit a
  -- rounding error below the cost: this slack keeps it from being refused again.
  c_epsilon constant double precision := 1e-6;
  v_now bigint := coalesce(p_now_ms, (extract(epoch from clock_timestamp()) * 1000)::bigint);
  v_cost double precision := coalesce(p_cost, 1);
  v_tokens double precision;
  v_updated bigint;
begin
  if p_capacity is null or p_capacity <= 0 or p_interval_ms is null or p_interval_ms <= 0 then
    raise exception using errcode = '22023',
      message = format('act_take_tokens: a limit needs a positive capacity and interval, got %s per %s ms', p_capacity, p_interval_ms);
  end if;
  if v_cost < 0 or v_cost > p_capacity then
    raise exception using errcode = '22023',
      message = format('act_take_tokens: cost must be between 0 and the bucket capacity (%s), got %s', p_capacity, v_cost);
  end if;
  insert into act_rate_limits as b (key, tokens, updated_at_ms, capacity, interval_ms)
  values (p_key, p_capacity, v_now, p_capacity, p_interval_ms)
  on conflict (key) do nothing;
  select b.tokens, b.updated_at_ms into v_tokens, v_updated
  from act_rate_limits b where b.key = p_key for update;
  -- A clock that steps backwards refills nothing rather than draining.
  v_tokens := least(p_capacity, v_tokens + greatest(0, v_now - v_updated) * p_capacity / p_interval_ms);
  v_updated := greatest(v_updated, v_now);
  if v_tokens + c_epsilon >= v_cost then
    v_tokens := greatest(0, v_tokens - v_cost);
    granted := true;
    wait_ms := 0;
  else
    granted := false;
    wait_ms := greatest(1, ceil((v_cost - v_tokens) * p_interval_ms / p_capacity))::bigint;
  end if;
  remaining := floor(v_tokens + c_epsilon)::integer;
  update act_rate_limits b
  set tokens = v_tokens, updated_at_ms = v_updated, capacity = p_capacity, interval_ms = p_interval_ms
  where b.key = p_key;
  return next;
end;
$$;

-- Align a bucket with the provider's own count (X-RateLimit-Remaining).
create or replace function act_set_tokens(
  p_key text,
  p_capacity double precision,
  p_interval_ms bigint,
  p_remaining double precision,
  p_now_ms bigint default null
)
returns void
language sql volatile
set search_path from current
as $$
  insert into act_rate_limits as b (key, tokens, updated_at_ms, capacity, interval_ms)
  values (
    p_key, least(p_capacity, greatest(0, p_remaining)),
    coalesce(p_now_ms, (extract(epoch from clock_timestamp()) * 1000)::bigint), p_capacity, p_interval_ms
  )
  on conflict (key) do update
  set tokens = excluded.tokens, updated_at_ms = excluded.updated_at_ms,
    capacity = excluded.capacity, interval_ms = excluded.interval_ms;
$$;

-- Backlog, last delivery, last event and latency per source and tenant.
create or replace view act_source_health with (security_invoker = true) as
  select * from act_health(null);

-- How fresh the mirror is per source and tenant: the newest applied change
-- (and its age), the newest change per trigger, the newest cursor commit,
-- and the oldest delivery still waiting.
create or replace view act_freshness with (security_invoker = true) as
  with changes as (
    select e.source, e.tenant,
      max(e.created_at) filter (where e.outcome in ('created', 'updated', 'deleted')) as last_change_at,
      max(e.created_at) as last_event_at,
      max(e.created_at) filter (where e.triggered_by = 'webhook') as last_webhook_event_at,
      max(e.created_at) filter (where e.triggered_by = 'poll') as last_poll_event_at,
      max(e.created_at) filter (where e.triggered_by = 'reconciliation') as last_reconciliation_event_at
    from act_integration_events e
    group by e.source, e.tenant
  ),
  cursors as (
    select c.source, c.tenant, max(c.updated_at) as last_cursor_at
    from act_cursors c
    group by c.source, c.tenant
  ),
  waiting as (
    select d.source, d.tenant, min(d.received_at) as oldest_pending_at
    from act_deliveries d
    where d.status = 'pending'
    group by d.source, d.tenant
  )
  select source, tenant,
    last_change_at,
    round(extract(epoch from (now() - last_change_at)) * 1000)::bigint as last_change_age_ms,
    last_event_at,
    last_webhook_event_at,
    last_poll_event_at,
    last_reconciliation_event_at,
    last_cursor_at,
    round(extract(epoch from (now() - last_cursor_at)) * 1000)::bigint as last_cursor_age_ms,
    oldest_pending_at,
    round(extract(epoch from (now() - oldest_pending_at)) * 1000)::bigint as oldest_pending_age_ms
  from changes
    full join cursors using (source, tenant)
    full join waiting using (source, tenant);
