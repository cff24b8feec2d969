-- @act/sink-supabase 0007: health figures per source and tenant: backlog,
-- conflicts, last delivery and event, latency percentiles, freshness.

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

-- act_health and a conflicts column. A function of its own, so act_health
-- and the act_source_health view keep their columns (and the grants the
-- optional tenant-access migration gives them).
create or replace function act_health_figures(p_now timestamptz default null)
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
  events_last_hour integer,
  conflicts integer
)
language sql stable
set search_path from current
as $$
  with conflicts as (
    select d.source, d.tenant, count(*)::integer as conflicts
    from act_deliveries d
    where d.conflict_of is not null
    group by d.source, d.tenant
  )
  select h.source, h.tenant, h.pending, h.processing, h.dead, h.oldest_pending_age_ms,
    h.last_delivery_at, h.last_event_at, h.latency_p50_ms, h.latency_p95_ms, h.events_last_hour,
    coalesce(c.conflicts, 0)
  from act_health(p_now) h
    left join conflicts c on c.source = h.source and c.tenant = h.tenant
  order by h.source, h.tenant;
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

-- Closed to anon and authenticated (see 0001): only the owner and service_role.
select act_restrict_api_roles(
  array['act_source_health', 'act_freshness'],
  array['act_health', 'act_health_figures']
);
