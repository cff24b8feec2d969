-- @act/sink-supabase 0010: the sync engine. Inbox coalescing of sync
-- requests, lease renewal and webhook activity for the queue (0002), and
-- what the scheduler keeps (SyncStoreV1 of @act/core): the registry of
-- connected tenants, named leases, recurring jobs and their runs, the mode
-- of each webhook source and the sync log. Retention (0008) also removes old
-- job runs and sync events.
--
-- As everywhere in this package every operation is one SQL function, one
-- transaction on every driver (node-postgres, PGlite, supabase-js rpc). A
-- `p_now` argument wins; without it the database clock is used, so
-- schedulers on several machines agree on lease expiry. Orderings by text
-- use collate "C" (byte order): the in-memory store sorts by code unit, and
-- a listing must not change order with the database's locale.

------------------------------------------------------------------------------
-- Inbox coalescing (NewDeliveryV1.coalesceKey)
------------------------------------------------------------------------------

-- A delivery asking for a stream sync carries `<source>:<tenant>:<stream>`.
-- While one such delivery waits (pending, not yet claimed), the next with the
-- same key is stored `done` with `coalesced_into` naming the waiting one: its
-- bytes are kept, its work is the waiting delivery's sync, which starts
-- later. Once the waiting one is claimed the key is free again, so a push
-- arriving during a sync causes one more sync after it.
alter table act_deliveries add column if not exists coalesce_key text;
-- No foreign key, as conflict_of: retention may remove the pending one's row first.
alter table act_deliveries add column if not exists coalesced_into bigint;

-- At most one waiting delivery per key: what makes coalescing race-safe
-- across processes (a second pending row with the key cannot commit).
create unique index if not exists act_deliveries_coalesce_idx
  on act_deliveries (coalesce_key) where status = 'pending' and coalesce_key is not null;

-- Give the just-stored pending delivery p_id the coalesce key p_key, or, when
-- another delivery with that key waits, store it as covered by that one
-- (done, coalesced_into). Returns the id it was coalesced into, or null when
-- it waits itself. A concurrent transaction storing a waiting delivery with
-- the same key makes the key's unique index refuse ours once it commits;
-- then it is coalesced into that one.
create or replace function act_coalesce_delivery(p_id bigint, p_key text, p_now timestamptz)
returns bigint
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_into bigint;
begin
  loop
    -- No lock on the waiting row: a claim committing after this read starts
    -- its sync after it, so after this delivery's push was received.
    select d.id into v_into from act_deliveries d
    where d.coalesce_key = p_key and d.status = 'pending' and d.id <> p_id
    limit 1;
    if v_into is not null then
      update act_deliveries d
      set coalesce_key = p_key, status = 'done', completed_at = coalesce(p_now, clock_timestamp()),
        coalesced_into = v_into
      where d.id = p_id;
      return v_into;
    end if;
    begin
      update act_deliveries d set coalesce_key = p_key where d.id = p_id;
      return null;
    exception when unique_violation then
      -- Another transaction stored a waiting delivery with this key meanwhile: read it.
    end;
  end loop;
end;
$$;

-- act_enqueue_batch (0002) with `coalesce_key` in each element (optional:
-- callers that omit it behave as before) and `coalesced_into` in the answer.
-- Dedupe comes first: a redelivery of a stored sync request is a duplicate,
-- never coalesced. Every new delivery with a key (in array order, so the
-- first of a batch is the one that waits) then goes through
-- act_coalesce_delivery. The store sends a single delivery with a key here
-- too (act_enqueue keeps its signature and knows no keys). Its result gains
-- a column, so it is dropped and created again.
drop function if exists act_enqueue_batch(jsonb);
create function act_enqueue_batch(p_deliveries jsonb)
returns table (ord integer, id text, duplicate boolean, conflict_of text, coalesced_into text)
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now timestamptz := clock_timestamp();
  v_keys text[];
  v_ids bigint[];
  v_row record;
  v_id text;
  v_duplicate boolean;
  v_of text;
  v_key text;
begin
  if p_deliveries is null or jsonb_typeof(p_deliveries) <> 'array' then
    return;
  end if;

  with input as (
    select e.n::integer as n, e.d
    from jsonb_array_elements(p_deliveries) with ordinality as e(d, n)
  ),
  -- The first occurrence of each key, in array order. OFFSET 0 keeps the
  -- subquery whole, so the sort runs below the insert's projection and the
  -- id sequence is drawn in array order.
  firsts as (
    select o.n, o.d from (
      select distinct on (i.d->>'dedupe_key') i.n, i.d
      from input i
      order by i.d->>'dedupe_key', i.n
    ) o
    order by o.n
    offset 0
  ),
  inserted as (
    insert into act_deliveries as t (
      source, tenant, dedupe_key, method, url, headers, body,
      next_attempt_at, correlation_id, event_types, received_at
    )
    select f.d->>'source', f.d->>'tenant', f.d->>'dedupe_key', f.d->>'method', f.d->>'url',
      case when jsonb_typeof(f.d->'headers') = 'object' then f.d->'headers' else '{}'::jsonb end,
      decode(f.d->>'body', 'base64'),
      coalesce((f.d->>'received_at')::timestamptz, v_now),
      f.d->>'correlation_id',
      case when jsonb_typeof(f.d->'event_types') = 'array'
        then array(select jsonb_array_elements_text(f.d->'event_types'))
        else '{}'::text[] end,
      coalesce((f.d->>'received_at')::timestamptz, v_now)
    from firsts f
    on conflict (dedupe_key) do nothing
    returning t.dedupe_key, t.id
  )
  select array_agg(x.dedupe_key), array_agg(x.id) into v_keys, v_ids from inserted x;

  -- A new statement, a new snapshot: keys that conflicted with rows other
  -- transactions committed meanwhile are visible now.
  for v_row in
    with input as (
      select e.n::integer as n, e.d, e.d->>'dedupe_key' as k,
        min(e.n) over (partition by e.d->>'dedupe_key') as first_n
      from jsonb_array_elements(p_deliveries) with ordinality as e(d, n)
    ),
    fresh as (
      select u.k, u.i from unnest(coalesce(v_keys, '{}'::text[]), coalesce(v_ids, '{}'::bigint[])) as u(k, i)
    )
    select i.n, i.d, coalesce(f.i, old.id)::text as found_id, (f.i is not null and i.n = i.first_n) as is_new,
      -- Only a redelivery's bytes are compared, with the row its key found (a
      -- subquery, so a new delivery reads nothing more).
      case when f.i is not null and i.n = i.first_n then true
        else (
          select c.body = decode(i.d->>'body', 'base64') from act_deliveries c where c.id = coalesce(f.i, old.id)
        ) end as same_body
    from input i
    left join fresh f on f.k = i.k
    left join act_deliveries old on f.i is null and old.dedupe_key = i.k
    order by i.n
  loop
    if v_row.found_id is null or not coalesce(v_row.same_body, false) then
      -- The conflicting row vanished in between (retention: act_enqueue retries),
      -- or the key is known with other bytes (act_enqueue keeps a conflict).
      select e.id, e.duplicate, e.conflict_of into v_id, v_duplicate, v_of
      from act_enqueue(
        v_row.d->>'source', v_row.d->>'tenant', v_row.d->>'dedupe_key', v_row.d->>'method', v_row.d->>'url',
        case when jsonb_typeof(v_row.d->'headers') = 'object' then v_row.d->'headers' else '{}'::jsonb end,
        decode(v_row.d->>'body', 'base64'),
        (v_row.d->>'received_at')::timestamptz,
        v_row.d->>'correlation_id',
        case when jsonb_typeof(v_row.d->'event_types') = 'array'
          then array(select jsonb_array_elements_text(v_row.d->'event_types'))
          else '{}'::text[] end
      ) e;
    else
      v_id := v_row.found_id;
      v_duplicate := not v_row.is_new;
      v_of := null;
    end if;
    ord := v_row.n;
    id := v_id;
    duplicate := v_duplicate;
    conflict_of := v_of;
    coalesced_into := null;
    v_key := nullif(v_row.d->>'coalesce_key', '');
    if v_key is not null and not v_duplicate then
      coalesced_into := act_coalesce_delivery(v_id::bigint, v_key, v_now)::text;
    end if;
    return next;
  end loop;
end;
$$;

-- act_fail (0002), same arguments and answer. A sync request that fails and
-- will be retried goes back to waiting; a delivery with its key that arrived
-- while it ran (and waits) is then covered by the retry: it is coalesced into
-- the failed one, which keeps its retry time (a rate limit's Retry-After is
-- honoured) and its attempts (a sync failing every time still reaches the
-- dead letters).
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
  v_key text;
  v_row act_deliveries;
begin
  select d.coalesce_key into v_key from act_deliveries d
  where d.id = p_id and d.status = 'processing' and d.claim_token::text = lower(p_claim_token)
  for update;
  if not found then
    return 'lease-lost';
  end if;
  loop
    begin
      if not v_dead and v_key is not null then
        update act_deliveries d
        set status = 'done', completed_at = v_now, coalesced_into = p_id
        where d.coalesce_key = v_key and d.status = 'pending' and d.id <> p_id;
      end if;
      update act_deliveries d
      set status = case when v_dead then 'dead' else 'pending' end,
        attempts = d.attempts + case when coalesce(p_counts_towards_schedule, true) then 1 else 0 end,
        attempts_total = d.attempts_total + 1,
        last_error = p_error,
        last_error_class = p_error_class,
        next_attempt_at = coalesce(p_retry_at, d.next_attempt_at),
        claim_token = null,
        lease_expires_at = null
      where d.id = p_id
      returning d.* into v_row;
      exit;
    exception when unique_violation then
      -- A delivery with the key was stored meanwhile: coalesce it too.
    end;
  end loop;
  insert into act_delivery_attempts (delivery_id, attempt, owner, started_at, finished_at, outcome, error, error_class)
  values (
    p_id, v_row.attempts_total, coalesce(v_row.lease_owner, 'unknown'), coalesce(p_started_at, v_now), v_now,
    case when v_dead then 'dead' else 'retry' end, p_error, p_error_class
  );
  return case when v_dead then 'dead' else 'retrying' end;
end;
$$;

-- act_claim (0002), same arguments and answer. Expired leases go back to
-- pending first, as before; a sync request among them is the one that waits
-- for its key (the oldest, when several with one key expired), and a
-- delivery with that key already waiting, or another expired one, is
-- coalesced into it: the lease's expiry counts as a failed attempt, so a sync
-- that crashes its worker every time still reaches the dead letters.
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
  v_lapsed bigint[];
begin
  if p_limit is null or p_limit <= 0 then
    return;
  end if;
  v_lapsed := array(
    select e.id from act_deliveries e
    where e.status = 'processing' and e.lease_expires_at <= v_now
      and (p_sources is null or e.source = any (p_sources))
    order by e.id
    for update skip locked
  );
  if cardinality(v_lapsed) > 0 then
    loop
      begin
        -- Waiting deliveries with a lapsed sync's key, coalesced into it. A
        -- statement of its own: the survivor may only wait once they are done.
        update act_deliveries d
        set status = 'done', completed_at = v_now, coalesced_into = l.survivor
        from (
          select x.coalesce_key, min(x.id) as survivor from act_deliveries x
          where x.id = any (v_lapsed) and x.coalesce_key is not null
          group by x.coalesce_key
        ) l
        where d.coalesce_key = l.coalesce_key and d.status = 'pending';
        with lapsed as (
          select d.id, d.coalesce_key, d.lease_expires_at,
            min(d.id) over (partition by d.coalesce_key) as survivor
          from act_deliveries d
          where d.id = any (v_lapsed)
        ),
        expired as (
          update act_deliveries d
          set status = case when l.coalesce_key is null or l.id = l.survivor then 'pending' else 'done' end,
            completed_at = case when l.coalesce_key is null or l.id = l.survivor then null else v_now end,
            coalesced_into = case when l.coalesce_key is null or l.id = l.survivor then null else l.survivor end,
            claim_token = null, lease_expires_at = null,
            attempts = d.attempts + 1,
            attempts_total = d.attempts_total + 1,
            last_error = format('lease expired: worker %s did not finish', coalesce(d.lease_owner, 'unknown')),
            last_error_class = 'transient'
          from lapsed l
          where d.id = l.id
          returning d.id, d.attempts_total, d.lease_owner, l.lease_expires_at, d.last_error
        )
        insert into act_delivery_attempts (delivery_id, attempt, owner, started_at, finished_at, outcome, error, error_class)
        select x.id, x.attempts_total, coalesce(x.lease_owner, 'unknown'), x.lease_expires_at, x.lease_expires_at,
          'retry', x.last_error, 'transient'
        from expired x;
        exit;
      exception when unique_violation then
        -- A delivery with one of the keys was stored meanwhile: coalesce it too.
      end;
    end loop;
  end if;

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

-- act_replay (0002), same arguments and answer. Of the sync requests put
-- back with one key, one waits (the one already waiting, else the oldest
-- replayed) and the others are coalesced into it; they count as replayed.
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
  v_selected bigint[];
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
  v_selected := array(
    select d.id from act_deliveries d
    where d.status = any (v_statuses)
      and (p_ids is null or d.id = any (p_ids))
      and (p_source is null or d.source = p_source)
      and (p_tenant is null or d.tenant = p_tenant)
      and (p_from is null or d.received_at >= p_from)
      and (p_to is null or d.received_at < p_to)
    order by d.id
    for update
  );
  if cardinality(v_selected) = 0 then
    return 0;
  end if;
  loop
    begin
      with selected as (
        select d.id, d.coalesce_key,
          coalesce(
            (select w.id from act_deliveries w
              where d.coalesce_key is not null and w.coalesce_key = d.coalesce_key and w.status = 'pending'
              limit 1),
            min(d.id) over (partition by d.coalesce_key)
          ) as survivor
        from act_deliveries d
        where d.id = any (v_selected)
      )
      update act_deliveries d
      set status = case when s.coalesce_key is null or s.id = s.survivor then 'pending' else 'done' end,
        completed_at = case when s.coalesce_key is null or s.id = s.survivor then null else v_now end,
        coalesced_into = case when s.coalesce_key is null or s.id = s.survivor then null else s.survivor end,
        attempts = case when s.coalesce_key is null or s.id = s.survivor then 0 else d.attempts end,
        next_attempt_at = case when s.coalesce_key is null or s.id = s.survivor then v_now else d.next_attempt_at end,
        claim_token = null, lease_expires_at = null
      from selected s
      where d.id = s.id;
      exit;
    exception when unique_violation then
      -- A delivery with one of the keys was stored meanwhile: coalesce into it.
    end;
  end loop;
  return cardinality(v_selected);
end;
$$;

-- Extend a claimed delivery's lease (a long stream sync). False when the
-- claim token no longer holds it: the caller must stop and not complete.
create or replace function act_renew_lease(
  p_id bigint,
  p_claim_token text,
  p_lease_ms bigint,
  p_now timestamptz default null
)
returns boolean
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
begin
  update act_deliveries d
  set lease_expires_at = coalesce(p_now, clock_timestamp()) + p_lease_ms * interval '1 millisecond'
  where d.id = p_id and d.status = 'processing' and d.claim_token::text = lower(p_claim_token);
  return found;
end;
$$;

-- Webhook traffic per source and tenant, for the scheduler's silence check:
-- the newest delivery over everything retention kept, the deliveries
-- received since p_since, and the median gap between consecutive distinct
-- receipt times since then (equal times count once: a split delivery's parts
-- are one arrival), null with fewer than two arrivals. percentile_cont
-- interpolates: the mean of the two middle gaps for an even count.
create or replace function act_webhook_activity(p_since timestamptz)
returns table (
  source text,
  tenant text,
  last_delivery_at timestamptz,
  deliveries bigint,
  median_gap_ms double precision
)
language sql stable
set search_path from current
as $$
  -- Every source and tenant with a delivery, by skipping through the index
  -- on (source, tenant, received_at) one pair at a time, then each one's
  -- newest receipt from the same index: a few index probes per pair instead
  -- of reading every delivery retention kept (the scheduler asks often).
  with recursive pairs as (
    (select d.source, d.tenant from act_deliveries d order by d.source, d.tenant limit 1)
    union all
    select n.source, n.tenant
    from pairs p
      cross join lateral (
        select d.source, d.tenant from act_deliveries d
        where (d.source, d.tenant) > (p.source, p.tenant)
        order by d.source, d.tenant
        limit 1
      ) n
  ),
  received as (
    select p.source, p.tenant,
      (select max(d.received_at) from act_deliveries d where d.source = p.source and d.tenant = p.tenant)
        as last_delivery_at
    from pairs p
  ),
  recent as (
    select d.source, d.tenant, count(*) as deliveries
    from act_deliveries d
    where d.received_at >= p_since
    group by d.source, d.tenant
  ),
  arrivals as (
    select distinct d.source, d.tenant, d.received_at
    from act_deliveries d
    where d.received_at >= p_since
  ),
  gaps as (
    select a.source, a.tenant,
      (extract(epoch from a.received_at - lag(a.received_at) over (partition by a.source, a.tenant order by a.received_at))
        * 1000)::double precision as gap_ms
    from arrivals a
  ),
  medians as (
    select g.source, g.tenant, percentile_cont(0.5) within group (order by g.gap_ms) as median_gap_ms
    from gaps g
    where g.gap_ms is not null
    group by g.source, g.tenant
  )
  select source, tenant, r.last_delivery_at, coalesce(n.deliveries, 0), m.median_gap_ms
  from received r
    left join recent n using (source, tenant)
    left join medians m using (source, tenant)
  order by source collate "C", tenant collate "C";
$$;

------------------------------------------------------------------------------
-- The sync store (SyncStoreV1)
------------------------------------------------------------------------------

-- One tenant of one source that the app syncs.
create table if not exists act_connections (
  source text not null,
  tenant text not null,
  display_name text,
  -- active: synced; reconnect_required: a person must reconnect it (jobs
  -- pause); disconnected: data kept, no sync.
  status text not null default 'active',
  -- Why it is not active (invalid_grant, uninstalled); null when active.
  status_reason text,
  -- First connected, kept across a reconnect.
  connected_at timestamptz not null,
  disconnected_at timestamptz,
  updated_at timestamptz not null,
  -- Per-tenant settings the app keeps with the connection.
  settings jsonb not null default '{}'::jsonb,
  constraint act_connections_pkey primary key (source, tenant),
  constraint act_connections_status_check check (status in ('active', 'reconnect_required', 'disconnected'))
);

-- Named leases: the scheduler's leader, one sync per stream at a time.
create table if not exists act_leases (
  name text primary key,
  owner text not null,
  expires_at timestamptz not null
);

-- The scheduler's recurring jobs. `source`, `tenant` and `target` are ''
-- where they do not apply (retention is global). `kind` is not checked here:
-- the scheduler's kinds may grow without a migration.
create table if not exists act_jobs (
  -- `<kind>:<source>:<tenant>:<target>`.
  key text primary key,
  kind text not null,
  source text not null default '',
  tenant text not null default '',
  target text not null default '',
  next_run_at timestamptz not null,
  last_started_at timestamptz,
  last_finished_at timestamptz,
  -- What the freshness of a polled stream is graded on.
  last_success_at timestamptz,
  last_outcome text,
  last_error text,
  -- Failed runs in a row, for the retry schedule; reset by a success.
  consecutive_failures integer not null default 0,
  lease_owner text,
  lease_expires_at timestamptz,
  -- Proves the lease: act_finish_job with a stale token changes nothing.
  claim_token uuid,
  constraint act_jobs_outcome_check check (last_outcome is null or last_outcome in ('ok', 'failed', 'skipped'))
);

-- The claim walks due jobs earliest first.
create index if not exists act_jobs_due_idx on act_jobs (next_run_at);
-- planJobs and listings by source and tenant.
create index if not exists act_jobs_source_idx on act_jobs (source, tenant);

-- Every finished run of a job.
create table if not exists act_job_runs (
  id bigserial primary key,
  key text not null,
  kind text not null,
  source text not null,
  tenant text not null,
  target text not null,
  owner text not null,
  started_at timestamptz not null,
  finished_at timestamptz not null,
  outcome text not null,
  error text,
  error_class text,
  -- What the run did (pages, created, deleted, tenants): JSON numbers.
  counts jsonb not null default '{}'::jsonb,
  constraint act_job_runs_outcome_check check (outcome in ('ok', 'failed', 'skipped'))
);

-- Newest first (by finish time, then id), overall and per source and tenant; retention.
create index if not exists act_job_runs_finished_idx on act_job_runs (finished_at, id);
create index if not exists act_job_runs_source_idx on act_job_runs (source, tenant, finished_at, id);

-- How each webhook source and tenant is kept fresh: webhooks, or polling
-- while they are quiet. No row: webhooks.
create table if not exists act_source_modes (
  source text not null,
  tenant text not null,
  mode text not null,
  -- When it entered this mode.
  since timestamptz not null,
  constraint act_source_modes_pkey primary key (source, tenant),
  constraint act_source_modes_mode_check check (mode in ('webhooks', 'polling'))
);

-- What the sync engine did that a person may want to see or alert on:
-- connection_added, connection_removed, connection_status, webhooks_quiet,
-- webhooks_resumed, cursor_expired, leader_changed.
create table if not exists act_sync_events (
  id bigserial primary key,
  source text not null,
  tenant text not null,
  kind text not null,
  detail jsonb not null default '{}'::jsonb,
  created_at timestamptz not null
);

-- Newest first (by time, then id), overall and per source and tenant; retention.
create index if not exists act_sync_events_created_idx on act_sync_events (created_at, id);
create index if not exists act_sync_events_source_idx on act_sync_events (source, tenant, created_at, id);

-- Append to the sync log (also used by the functions below, in their transaction).
create or replace function act_record_sync_event(
  p_source text,
  p_tenant text,
  p_kind text,
  p_detail jsonb default '{}'::jsonb,
  p_now timestamptz default null
)
returns void
language sql volatile
set search_path from current
as $$
  insert into act_sync_events (source, tenant, kind, detail, created_at)
  values (
    p_source, p_tenant, p_kind,
    case when jsonb_typeof(p_detail) = 'object' then p_detail else '{}'::jsonb end,
    coalesce(p_now, clock_timestamp())
  );
$$;

-- Newest first by time (a caller's p_now need not follow the order of the
-- calls), then the later recorded; `since` is exclusive.
create or replace function act_list_sync_events(
  p_source text default null,
  p_tenant text default null,
  p_since timestamptz default null,
  p_limit integer default 100
)
returns setof act_sync_events
language sql stable
set search_path from current
as $$
  select * from act_sync_events e
  where (p_source is null or e.source = p_source)
    and (p_tenant is null or e.tenant = p_tenant)
    and (p_since is null or e.created_at > p_since)
  order by e.created_at desc, e.id desc
  limit coalesce(p_limit, 100);
$$;

-- Add or reactivate a tenant, logging connection_added when it changed.
-- With p_if_absent a known tenant is left as it is (a tenant seen in a
-- webhook or a discovery listing must not re-activate one a person
-- disconnected). p_set_display_name: whether p_display_name was given (it
-- may be given as null); p_settings null keeps the stored settings.
-- Answers {"connection": <row>, "change": "added" | "reactivated" | "unchanged"}.
create or replace function act_connect(
  p_source text,
  p_tenant text,
  p_display_name text default null,
  p_set_display_name boolean default false,
  p_settings jsonb default null,
  p_if_absent boolean default false,
  p_now timestamptz default null
)
returns jsonb
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(p_now, clock_timestamp());
  v_settings jsonb := case when jsonb_typeof(p_settings) = 'object' then p_settings end;
  v_row act_connections;
  v_was text;
begin
  loop
    insert into act_connections as c (source, tenant, display_name, status, connected_at, updated_at, settings)
    values (
      p_source, p_tenant, case when p_set_display_name then p_display_name end, 'active', v_now, v_now,
      coalesce(v_settings, '{}'::jsonb)
    )
    on conflict (source, tenant) do nothing
    returning c.* into v_row;
    if found then
      perform act_record_sync_event(p_source, p_tenant, 'connection_added', '{}'::jsonb, v_now);
      return jsonb_build_object('connection', to_jsonb(v_row), 'change', 'added');
    end if;
    select c.status into v_was from act_connections c
    where c.source = p_source and c.tenant = p_tenant
    for update;
    -- Removed between the two statements (rare): insert again.
    continue when not found;
    if coalesce(p_if_absent, false) then
      select c.* into v_row from act_connections c where c.source = p_source and c.tenant = p_tenant;
      return jsonb_build_object('connection', to_jsonb(v_row), 'change', 'unchanged');
    end if;
    update act_connections c
    set display_name = case when p_set_display_name then p_display_name else c.display_name end,
      settings = coalesce(v_settings, c.settings),
      status = 'active', status_reason = null, disconnected_at = null, updated_at = v_now
    where c.source = p_source and c.tenant = p_tenant
    returning c.* into v_row;
    if v_was <> 'active' then
      perform act_record_sync_event(p_source, p_tenant, 'connection_added', '{"reactivated": true}'::jsonb, v_now);
      return jsonb_build_object('connection', to_jsonb(v_row), 'change', 'reactivated');
    end if;
    return jsonb_build_object('connection', to_jsonb(v_row), 'change', 'unchanged');
  end loop;
end;
$$;

-- Mark a tenant disconnected (its mirror rows and cursors stay), logging
-- connection_removed. No row for a tenant never connected; an already
-- disconnected one comes back unchanged.
create or replace function act_disconnect(
  p_source text,
  p_tenant text,
  p_reason text default null,
  p_now timestamptz default null
)
returns setof act_connections
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(p_now, clock_timestamp());
  v_row act_connections;
begin
  update act_connections c
  set status = 'disconnected', status_reason = p_reason, disconnected_at = v_now, updated_at = v_now
  where c.source = p_source and c.tenant = p_tenant and c.status <> 'disconnected'
  returning c.* into v_row;
  if found then
    perform act_record_sync_event(
      p_source, p_tenant, 'connection_removed',
      case when coalesce(p_reason, '') <> '' then jsonb_build_object('reason', p_reason) else '{}'::jsonb end,
      v_now
    );
    return next v_row;
    return;
  end if;
  return query select * from act_connections c where c.source = p_source and c.tenant = p_tenant;
end;
$$;

-- Set a connection's status (a refused refresh token: reconnect_required),
-- logging connection_status when it changed. The reason is dropped for
-- active. No row for a tenant never connected.
create or replace function act_set_connection_status(
  p_source text,
  p_tenant text,
  p_status text,
  p_reason text default null,
  p_now timestamptz default null
)
returns setof act_connections
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(p_now, clock_timestamp());
  v_reason text := case when p_status = 'active' then null else p_reason end;
  v_row act_connections;
begin
  update act_connections c
  set status = p_status, status_reason = v_reason,
    disconnected_at = case when p_status = 'disconnected' then v_now end,
    updated_at = v_now
  where c.source = p_source and c.tenant = p_tenant
    and not (c.status = p_status and c.status_reason is not distinct from v_reason)
  returning c.* into v_row;
  if found then
    perform act_record_sync_event(
      p_source, p_tenant, 'connection_status',
      jsonb_build_object('status', p_status)
        || case when coalesce(v_reason, '') <> '' then jsonb_build_object('reason', v_reason) else '{}'::jsonb end,
      v_now
    );
    return next v_row;
    return;
  end if;
  return query select * from act_connections c where c.source = p_source and c.tenant = p_tenant;
end;
$$;

-- Ordered by source, then tenant.
create or replace function act_list_connections(
  p_source text default null,
  p_tenant text default null,
  p_status text default null
)
returns setof act_connections
language sql stable
set search_path from current
as $$
  select * from act_connections c
  where (p_source is null or c.source = p_source)
    and (p_tenant is null or c.tenant = p_tenant)
    and (p_status is null or c.status = p_status)
  order by c.source collate "C", c.tenant collate "C";
$$;

-- Take or renew the lease p_name for p_owner unless another owner holds an
-- unexpired one, in one statement: the insert's conflict locks the row and
-- its condition is checked on the newest version, so of concurrent callers
-- only one takes an expired lease. Answers one row: acquired, the holder and
-- until when.
create or replace function act_acquire_lease(
  p_name text,
  p_owner text,
  p_lease_ms bigint,
  p_now timestamptz default null
)
returns table (acquired boolean, holder text, expires_at timestamptz)
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(p_now, clock_timestamp());
  v_owner text;
  v_expires timestamptz;
begin
  loop
    insert into act_leases as l (name, owner, expires_at)
    values (p_name, p_owner, v_now + p_lease_ms * interval '1 millisecond')
    on conflict (name) do update
      set owner = excluded.owner, expires_at = excluded.expires_at
      where l.owner = excluded.owner or l.expires_at <= v_now
    returning l.owner, l.expires_at into v_owner, v_expires;
    if found then
      return query select true, v_owner, v_expires;
      return;
    end if;
    select l.owner, l.expires_at into v_owner, v_expires from act_leases l where l.name = p_name;
    if found then
      return query select false, v_owner, v_expires;
      return;
    end if;
    -- Released between the two statements: try again.
  end loop;
end;
$$;

-- Give the lease up if p_owner holds it (a clean shutdown hands over at once).
create or replace function act_release_lease(p_name text, p_owner text)
returns void
language sql volatile
set search_path from current
as $$
  delete from act_leases l where l.name = p_name and l.owner = p_owner;
$$;

-- Make the stored jobs those of the plan: p_jobs is a JSON array of
-- {key, kind, source, tenant, target, first_run_at}. Jobs of p_sources not in
-- the plan are removed (a tenant disconnected, a poller dropped); jobs of
-- other sources, and global jobs (source '') unless '' is listed, stay. A
-- planned job already stored keeps its schedule; a new one is first due at
-- first_run_at (or now).
create or replace function act_plan_jobs(
  p_jobs jsonb,
  p_sources text[] default '{}',
  p_now timestamptz default null
)
returns void
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(p_now, clock_timestamp());
  v_jobs jsonb := case when jsonb_typeof(p_jobs) = 'array' then p_jobs else '[]'::jsonb end;
begin
  delete from act_jobs j
  where j.source = any (coalesce(p_sources, '{}'::text[]))
    and not exists (select 1 from jsonb_array_elements(v_jobs) e where e->>'key' = j.key);
  insert into act_jobs (key, kind, source, tenant, target, next_run_at)
  select distinct on (e->>'key') e->>'key', e->>'kind', coalesce(e->>'source', ''), coalesce(e->>'tenant', ''),
    coalesce(e->>'target', ''), coalesce((e->>'first_run_at')::timestamptz, v_now)
  from jsonb_array_elements(v_jobs) e
  where e->>'key' is not null
  order by e->>'key'
  on conflict (key) do nothing;
end;
$$;

-- Lease up to p_limit due jobs (next_run_at reached, not leased or the lease
-- expired), earliest due first; only p_keys when given. SKIP LOCKED: of
-- concurrent claims each job goes to one.
create or replace function act_claim_jobs(
  p_owner text,
  p_limit integer,
  p_lease_ms bigint,
  p_keys text[] default null,
  p_now timestamptz default null,
  -- Only jobs of these sources ('' for the global ones): a scheduler claims what its connectors run.
  p_sources text[] default null
)
returns setof act_jobs
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
  return query
  with due as (
    select j.key from act_jobs j
    where (p_keys is null or j.key = any (p_keys))
      and (p_sources is null or j.source = any (p_sources))
      and j.next_run_at <= v_now
      and (j.lease_expires_at is null or j.lease_expires_at <= v_now)
    order by j.next_run_at, j.key collate "C"
    limit p_limit
    for update skip locked
  ),
  claimed as (
    update act_jobs j
    set claim_token = gen_random_uuid(),
      lease_owner = p_owner,
      lease_expires_at = v_now + p_lease_ms * interval '1 millisecond',
      last_started_at = v_now
    from due
    where j.key = due.key
    returning j.*
  )
  select * from claimed c order by c.next_run_at, c.key collate "C";
end;
$$;

-- Extend a running job's lease. False when the claim token no longer holds it.
create or replace function act_renew_job_lease(
  p_key text,
  p_claim_token text,
  p_lease_ms bigint,
  p_now timestamptz default null
)
returns boolean
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
begin
  update act_jobs j
  set lease_expires_at = coalesce(p_now, clock_timestamp()) + p_lease_ms * interval '1 millisecond'
  where j.key = p_key and j.claim_token::text = lower(p_claim_token);
  return found;
end;
$$;

-- Record a run and schedule the next one, releasing the lease, in one
-- transaction. False, recording nothing, when the claim token no longer
-- holds the lease (it expired and another scheduler claimed the job, or the
-- plan removed it).
create or replace function act_finish_job(
  p_key text,
  p_claim_token text,
  p_outcome text,
  p_next_run_at timestamptz,
  p_started_at timestamptz,
  p_error text default null,
  p_error_class text default null,
  p_counts jsonb default '{}'::jsonb,
  p_now timestamptz default null
)
returns boolean
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(p_now, clock_timestamp());
  v_job act_jobs;
begin
  select j.* into v_job from act_jobs j
  where j.key = p_key and j.claim_token::text = lower(p_claim_token)
  for update;
  if not found then
    return false;
  end if;
  update act_jobs j
  set claim_token = null, lease_owner = null, lease_expires_at = null,
    last_finished_at = v_now,
    last_outcome = p_outcome,
    last_error = case when p_outcome = 'failed' then p_error end,
    last_success_at = case when p_outcome = 'ok' then v_now else j.last_success_at end,
    consecutive_failures = case
      when p_outcome = 'ok' then 0
      when p_outcome = 'failed' then j.consecutive_failures + 1
      else j.consecutive_failures end,
    next_run_at = p_next_run_at
  where j.key = p_key;
  insert into act_job_runs (
    key, kind, source, tenant, target, owner, started_at, finished_at, outcome, error, error_class, counts
  )
  values (
    v_job.key, v_job.kind, v_job.source, v_job.tenant, v_job.target, coalesce(v_job.lease_owner, ''),
    coalesce(p_started_at, v_now), v_now, p_outcome, p_error, p_error_class,
    case when jsonb_typeof(p_counts) = 'object' then p_counts else '{}'::jsonb end
  );
  return true;
end;
$$;

-- Bring a job forward: due at p_at (now without it) unless already due
-- sooner. False for an unknown key.
create or replace function act_request_job(p_key text, p_at timestamptz default null)
returns boolean
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
begin
  update act_jobs j
  set next_run_at = least(j.next_run_at, coalesce(p_at, clock_timestamp()))
  where j.key = p_key;
  return found;
end;
$$;

-- Ordered by key.
create or replace function act_list_jobs(
  p_source text default null,
  p_tenant text default null,
  p_kind text default null
)
returns setof act_jobs
language sql stable
set search_path from current
as $$
  select * from act_jobs j
  where (p_source is null or j.source = p_source)
    and (p_tenant is null or j.tenant = p_tenant)
    and (p_kind is null or j.kind = p_kind)
  order by j.key collate "C";
$$;

-- Newest first by finish time, then the later recorded.
create or replace function act_list_job_runs(
  p_source text default null,
  p_tenant text default null,
  p_kind text default null,
  p_limit integer default 100
)
returns setof act_job_runs
language sql stable
set search_path from current
as $$
  select * from act_job_runs r
  where (p_source is null or r.source = p_source)
    and (p_tenant is null or r.tenant = p_tenant)
    and (p_kind is null or r.kind = p_kind)
  order by r.finished_at desc, r.id desc
  limit coalesce(p_limit, 100);
$$;

-- Ordered by source, then tenant.
create or replace function act_list_source_modes()
returns setof act_source_modes
language sql stable
set search_path from current
as $$
  select * from act_source_modes m order by m.source collate "C", m.tenant collate "C";
$$;

-- Switch a source and tenant's mode, logging webhooks_quiet (to polling) or
-- webhooks_resumed (to webhooks) in the same transaction. False when it was
-- already in that mode (no row counts as webhooks; the row is then stored).
-- The row lock makes one of concurrent switches the one that logs.
create or replace function act_set_source_mode(
  p_source text,
  p_tenant text,
  p_mode text,
  p_detail jsonb default null,
  p_now timestamptz default null
)
returns boolean
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(p_now, clock_timestamp());
  v_mode text;
begin
  if p_mode is null or p_mode not in ('webhooks', 'polling') then
    raise exception using errcode = '22023',
      message = format('act_set_source_mode: mode must be webhooks or polling, got %s', coalesce(p_mode, 'null'));
  end if;
  loop
    select m.mode into v_mode from act_source_modes m
    where m.source = p_source and m.tenant = p_tenant
    for update;
    if found then
      if v_mode = p_mode then
        return false;
      end if;
      update act_source_modes m set mode = p_mode, since = v_now
      where m.source = p_source and m.tenant = p_tenant;
      exit;
    end if;
    insert into act_source_modes (source, tenant, mode, since)
    values (p_source, p_tenant, p_mode, v_now)
    on conflict (source, tenant) do nothing;
    if found then
      if p_mode = 'webhooks' then
        return false;
      end if;
      exit;
    end if;
    -- Another call stored the row meanwhile: read it, locked.
  end loop;
  perform act_record_sync_event(
    p_source, p_tenant, case when p_mode = 'polling' then 'webhooks_quiet' else 'webhooks_resumed' end,
    coalesce(p_detail, '{}'::jsonb), v_now
  );
  return true;
end;
$$;

------------------------------------------------------------------------------
-- Retention (0008): job runs and sync events too
------------------------------------------------------------------------------

-- act_cleanup (0008), same arguments, with two more counts: job runs
-- finished and sync events created before the same cutoff are deleted too,
-- in batches like integration events. (Coalesced deliveries are done
-- deliveries: they go with them.) Its result gains columns, so it is dropped
-- and created again; `select act_cleanup(30)` (pg_cron) is unchanged.
drop function if exists act_cleanup(integer, integer, timestamptz, integer, integer);
create function act_cleanup(
  p_older_than_days integer default 30,
  p_dead_older_than_days integer default null,
  p_now timestamptz default null,
  p_batch_size integer default 5000,
  p_max_batches integer default null
)
returns table (deliveries bigint, attempts bigint, events bigint, more boolean, job_runs bigint, sync_events bigint)
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(p_now, clock_timestamp());
  v_batch integer := coalesce(p_batch_size, 5000);
  v_cutoff timestamptz;
  v_dead_cutoff timestamptz;
  v_ids bigint[];
  v_count bigint;
  v_batches integer;
begin
  if p_older_than_days is null or p_older_than_days < 0 then
    raise exception using errcode = '22023',
      message = format('act_cleanup: older_than_days must be 0 or more, got %s', coalesce(p_older_than_days::text, 'null'));
  end if;
  if p_dead_older_than_days is not null and p_dead_older_than_days < 0 then
    raise exception using errcode = '22023',
      message = format('act_cleanup: dead_older_than_days must be 0 or more, got %s', p_dead_older_than_days);
  end if;
  if v_batch < 1 or (p_max_batches is not null and p_max_batches < 1) then
    raise exception using errcode = '22023',
      message = format('act_cleanup: batch_size and max_batches must be positive, got %s and %s', v_batch, p_max_batches);
  end if;
  v_cutoff := v_now - make_interval(days => p_older_than_days);
  deliveries := 0;
  attempts := 0;
  events := 0;
  job_runs := 0;
  sync_events := 0;
  more := false;

  -- Integration events.
  v_batches := 0;
  loop
    delete from act_integration_events e
    where e.id = any (array(
      select x.id from act_integration_events x
      where x.created_at < v_cutoff
      order by x.created_at
      limit v_batch
      for update skip locked
    ));
    get diagnostics v_count = row_count;
    events := events + v_count;
    v_batches := v_batches + 1;
    exit when v_count < v_batch;
    if p_max_batches is not null and v_batches >= p_max_batches then
      more := true;
      exit;
    end if;
  end loop;

  -- Job runs.
  v_batches := 0;
  loop
    delete from act_job_runs r
    where r.id = any (array(
      select x.id from act_job_runs x
      where x.finished_at < v_cutoff
      order by x.finished_at
      limit v_batch
      for update skip locked
    ));
    get diagnostics v_count = row_count;
    job_runs := job_runs + v_count;
    v_batches := v_batches + 1;
    exit when v_count < v_batch;
    if p_max_batches is not null and v_batches >= p_max_batches then
      more := true;
      exit;
    end if;
  end loop;

  -- Sync events.
  v_batches := 0;
  loop
    delete from act_sync_events s
    where s.id = any (array(
      select x.id from act_sync_events x
      where x.created_at < v_cutoff
      order by x.created_at
      limit v_batch
      for update skip locked
    ));
    get diagnostics v_count = row_count;
    sync_events := sync_events + v_count;
    v_batches := v_batches + 1;
    exit when v_count < v_batch;
    if p_max_batches is not null and v_batches >= p_max_batches then
      more := true;
      exit;
    end if;
  end loop;

  -- Done deliveries and their attempts.
  v_batches := 0;
  loop
    v_ids := array(
      select d.id from act_deliveries d
      where d.status = 'done' and d.completed_at < v_cutoff
      order by d.completed_at
      limit v_batch
      for update skip locked
    );
    delete from act_delivery_attempts a where a.delivery_id = any (v_ids);
    get diagnostics v_count = row_count;
    attempts := attempts + v_count;
    delete from act_deliveries d where d.id = any (v_ids);
    get diagnostics v_count = row_count;
    deliveries := deliveries + v_count;
    v_batches := v_batches + 1;
    exit when cardinality(v_ids) < v_batch;
    if p_max_batches is not null and v_batches >= p_max_batches then
      more := true;
      exit;
    end if;
  end loop;

  -- Dead letters, only when asked: received before the cutoff and with no
  -- attempt since (a dead letter replayed and failed again is recent).
  if p_dead_older_than_days is not null then
    v_dead_cutoff := v_now - make_interval(days => p_dead_older_than_days);
    v_batches := 0;
    loop
      v_ids := array(
        select d.id from act_deliveries d
        where d.status = 'dead' and d.received_at < v_dead_cutoff
          and not exists (
            select 1 from act_delivery_attempts a
            where a.delivery_id = d.id and a.finished_at >= v_dead_cutoff
          )
        order by d.id
        limit v_batch
        for update skip locked
      );
      delete from act_delivery_attempts a where a.delivery_id = any (v_ids);
      get diagnostics v_count = row_count;
      attempts := attempts + v_count;
      delete from act_deliveries d where d.id = any (v_ids);
      get diagnostics v_count = row_count;
      deliveries := deliveries + v_count;
      v_batches := v_batches + 1;
      exit when cardinality(v_ids) < v_batch;
      if p_max_batches is not null and v_batches >= p_max_batches then
        more := true;
        exit;
      end if;
    end loop;
  end if;

  return next;
end;
$$;

------------------------------------------------------------------------------
-- Integration events committed with the rows (SinkV1.supportsEventCommit)
------------------------------------------------------------------------------

-- A poll page's rows, its cursor and its integration events commit in one
-- transaction: written separately, a crash after the page's commit lost the
-- page's events for good (the cursor had moved past it), so the feed, the
-- freshness figures and live listeners never heard of those rows.
--
-- 0003's act_sink_apply keeps its body under the name act_sink_apply_rows;
-- act_sink_apply takes p_events too, calls it, and records the events from
-- its outcomes, in the same transaction (one function call).
do $$
begin
  if to_regprocedure('act_sink_apply_rows(jsonb, jsonb, timestamptz)') is null then
    alter function act_sink_apply(jsonb, jsonb, timestamptz) rename to act_sink_apply_rows;
  end if;
end;
$$;

-- p_events: pending integration events (PendingIntegrationEventV1 of
-- @act/core), a JSON array of objects named like act_integration_events'
-- columns, plus
--   operation         the index in p_operations whose outcome the event
--                     records (absent: the event made no write, `ignored`);
--   outcome, reason   the outcome where the caller already knows it (an
--                     operation it collapsed into another on the same row);
--   received_at_ms    epoch ms the change reached us: latency_ms is the
--                     commit time (p_now, else the database clock) minus it;
--   occurred_at_ms    the provider's occurredAt: provider_latency_ms;
--   only_if_changed   record it only when the outcome is created, updated or
--                     deleted.
-- Each is completed as @act/core's settleIntegrationEvent does: the
-- operation's outcome, `skipped: <reason>` added to the summary of a skipped
-- one, created_at the commit time. One insert, so the NOTIFY and Realtime
-- trigger (0006) sends them out in order, on commit, as for any other event.
create or replace function act_sink_apply(
  p_operations jsonb,
  p_cursor jsonb default null,
  p_now timestamptz default null,
  p_events jsonb default null
)
returns jsonb
language plpgsql volatile
set search_path from current
as $$
declare
  v_now timestamptz := coalesce(p_now, clock_timestamp());
  v_at bigint;
  v_outcomes jsonb;
  v_by_index jsonb;
begin
  if p_events is not null and jsonb_typeof(p_events) <> 'array' then
    raise exception using errcode = '22023', message = 'act_sink_apply: p_events must be a JSON array';
  end if;
  v_outcomes := act_sink_apply_rows(p_operations, p_cursor, v_now);
  if p_events is null or jsonb_array_length(p_events) = 0 then
    return v_outcomes;
  end if;

  v_at := floor(extract(epoch from v_now) * 1000)::bigint;
  v_by_index := (select coalesce(jsonb_object_agg(x ->> 'i', x), '{}'::jsonb) from jsonb_array_elements(v_outcomes) x);
  insert into act_integration_events (
    source, tenant, event_type, entity_type, entity_id, table_name, row_id, outcome, summary,
    triggered_by, latency_ms, provider_latency_ms, correlation_id, delivery_id, created_at
  )
  select e.source, e.tenant, e.event_type, e.entity_type, e.entity_id, e.table_name, e.row_id, r.outcome,
    case
      when r.outcome = 'skipped' then coalesce(e.summary, '{}'::jsonb) || jsonb_build_object('skipped', r.reason)
      else e.summary
    end,
    e.triggered_by,
    v_at - (x.event ->> 'received_at_ms')::bigint,
    v_at - (x.event ->> 'occurred_at_ms')::bigint,
    e.correlation_id, e.delivery_id, v_now
  from jsonb_array_elements(p_events) with ordinality as x(event, n)
  cross join lateral jsonb_populate_record(null::act_integration_events, x.event) e
  cross join lateral (
    select v_by_index -> (x.event ->> 'operation') as sql_outcome
  ) o
  cross join lateral (
    select
      coalesce(x.event ->> 'outcome', o.sql_outcome ->> 'o', 'ignored') as outcome,
      -- As the sink reads a skip without a reason (postgres-sink.ts).
      coalesce(x.event ->> 'reason', o.sql_outcome ->> 'r', 'unchanged') as reason
  ) r
  where not coalesce((x.event ->> 'only_if_changed')::boolean, false)
    or r.outcome in ('created', 'updated', 'deleted')
  order by x.n;
  return v_outcomes;
end;
$$;

-- Closed to anon and authenticated (see 0001): only the owner and service_role.
-- act_enqueue_batch and act_cleanup were created again, so are closed again.
-- act_sink_apply is new, and act_sink_apply_rows is only for it.
select act_restrict_api_roles(
  array[
    'act_connections', 'act_leases', 'act_jobs', 'act_job_runs', 'act_source_modes', 'act_sync_events'
  ],
  array[
    'act_coalesce_delivery', 'act_enqueue_batch', 'act_fail', 'act_claim', 'act_replay', 'act_renew_lease',
    'act_webhook_activity', 'act_record_sync_event', 'act_list_sync_events', 'act_connect', 'act_disconnect',
    'act_set_connection_status', 'act_list_connections', 'act_acquire_lease', 'act_release_lease',
    'act_plan_jobs', 'act_claim_jobs', 'act_renew_job_lease', 'act_finish_job', 'act_request_job',
    'act_list_jobs', 'act_list_job_runs', 'act_list_source_modes', 'act_set_source_mode', 'act_cleanup',
    'act_sink_apply', 'act_sink_apply_rows'
  ]
);

-- In a schema of your own, grant service_role what it lacks (see 0001).
select act_grant_service_role();
