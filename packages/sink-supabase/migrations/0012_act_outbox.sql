-- @act/sink-supabase 0012: the outbox (OutboxStoreV1 of @act/core). What
-- leaves the mirror (a forward to another service, a write-back to the
-- provider, records for a destination such as Notion), queued durably and
-- delivered at least once: the inbox (0002) in reverse, with the same
-- leases, claim tokens, retry schedule, dead letters and replay.
--
-- A message is enqueued in the same transaction as the mirror write that
-- caused it (act_sink_apply's p_outbox, below), so nothing is forwarded that
-- was not committed and nothing committed is lost; or on its own
-- (act_outbox_enqueue) for changes the application starts.
--
-- As everywhere in this package every operation is one SQL function, one
-- transaction on every driver (node-postgres, PGlite, supabase-js rpc). A
-- `p_now` argument wins; without it the database clock is used, so
-- dispatchers on several machines agree on lease expiry.

create table if not exists act_outbox (
  id bigint generated always as identity primary key,
  -- The destination's name as declared (`verity`, `ghl:contacts`, `notion`).
  destination text not null,
  -- The message's identity at its destination (sent as `webhook-id`): a
  -- replayed delivery enqueues the same key, which is stored once.
  key text not null,
  source text,
  tenant text,
  -- The inbox delivery whose processing caused it (text: any store's id).
  delivery_id text,
  correlation_id text,
  payload jsonb not null default 'null'::jsonb,
  status text not null default 'pending',
  -- Failed attempts counted towards the retry schedule; replays continue the
  -- count (OutboxMessageV1.attempts).
  attempts integer not null default 0,
  -- Every finished attempt over the message's life (numbers act_outbox_attempts).
  attempts_total integer not null default 0,
  available_at timestamptz not null,
  created_at timestamptz not null,
  claim_token uuid,
  lease_owner text,
  lease_expires_at timestamptz,
  -- When the current (or last) lease was taken: the attempt's start.
  claimed_at timestamptz,
  done_at timestamptz,
  last_error text,
  last_error_class text,
  last_error_at timestamptz,
  -- What the destination reported for a delivered message.
  result jsonb,
  constraint act_outbox_destination_key_key unique (destination, key),
  constraint act_outbox_status_check check (status in ('pending', 'processing', 'done', 'dead')),
  constraint act_outbox_error_class_check check (
    last_error_class is null
    or last_error_class in ('signature', 'auth', 'rate_limit', 'transient', 'validation', 'transform', 'unknown')
  ),
  constraint act_outbox_lease_check check (
    status <> 'processing' or (claim_token is not null and lease_expires_at is not null)
  )
);

-- The claim walks this index oldest first (optionally one destination's
-- part of it) and stops after `limit` rows.
create index if not exists act_outbox_due_idx
  on act_outbox (available_at, id) where status = 'pending';
create index if not exists act_outbox_destination_due_idx
  on act_outbox (destination, available_at, id) where status = 'pending';
-- Lapsed leases are found here.
create index if not exists act_outbox_lease_idx
  on act_outbox (lease_expires_at) where status = 'processing';
-- Depth per destination (stats) and dead-letter listings.
create index if not exists act_outbox_backlog_idx
  on act_outbox (destination, status, available_at) where status <> 'done';
-- Last delivery and last failure per destination (stats), retention.
create index if not exists act_outbox_done_idx
  on act_outbox (destination, done_at) where status = 'done';
create index if not exists act_outbox_done_at_idx
  on act_outbox (done_at) where status = 'done';
create index if not exists act_outbox_last_error_idx
  on act_outbox (destination, last_error_at) where last_error_at is not null;
-- Replay and listing by tenant; replay by time range.
create index if not exists act_outbox_tenant_idx on act_outbox (tenant, created_at);
create index if not exists act_outbox_created_idx on act_outbox (created_at);

-- Every finished attempt at a message: the provenance of a dead letter.
create table if not exists act_outbox_attempts (
  id bigint generated always as identity primary key,
  message_id bigint not null references act_outbox (id) on delete cascade,
  -- 1-based over the message's whole life (replays continue the count).
  attempt integer not null,
  owner text not null,
  started_at timestamptz not null,
  finished_at timestamptz not null,
  outcome text not null,
  error text,
  error_class text,
  constraint act_outbox_attempts_message_attempt_key unique (message_id, attempt),
  constraint act_outbox_attempts_outcome_check check (outcome in ('done', 'retry', 'dead'))
);

-- Store messages unless their (destination, key) is known. p_messages is a
-- JSON array of objects named like act_outbox's columns (destination, key,
-- source, tenant, delivery_id, correlation_id, payload, available_at). One
-- row per element comes back, with its 1-based position as `ord`, the
-- stored id, and `duplicate` when the key was already stored (before, or
-- earlier in the same array): then nothing was added. New rows are inserted
-- in array order, so ids follow the callers' order.
create or replace function act_outbox_enqueue(p_messages jsonb, p_now timestamptz default null)
returns table (ord integer, id text, duplicate boolean)
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(p_now, clock_timestamp());
  v_new bigint[] := '{}';
  v_ids bigint[];
begin
  if p_messages is null or jsonb_typeof(p_messages) <> 'array' then
    raise exception using errcode = '22023', message = 'act_outbox_enqueue: p_messages must be a JSON array';
  end if;
  if exists (
    select 1 from jsonb_array_elements(p_messages) m
    where jsonb_typeof(m) <> 'object' or coalesce(m->>'destination', '') = '' or coalesce(m->>'key', '') = ''
  ) then
    raise exception using errcode = '22023', message = 'act_outbox_enqueue: every message needs a destination and a key';
  end if;

  loop
    with input as (
      select e.n::integer as n, e.m
      from jsonb_array_elements(p_messages) with ordinality as e(m, n)
    ),
    -- The first occurrence of each key, in array order. OFFSET 0 keeps the
    -- subquery whole, so the sort runs below nextval's projection and the
    -- ids are drawn in array order.
    firsts as (
      select o.n, o.m from (
        select distinct on (i.m->>'destination', i.m->>'key') i.n, i.m
        from input i
        where not exists (
          select 1 from act_outbox x where x.destination = i.m->>'destination' and x.key = i.m->>'key'
        )
        order by i.m->>'destination', i.m->>'key', i.n
      ) o
      order by o.n
      offset 0
    ),
    -- Ids drawn in array order (messages of one batch are claimed in it)...
    numbered as (
      select f.n, f.m, nextval(pg_get_serial_sequence('act_outbox', 'id')) as new_id
      from firsts f
    ),
    -- ...and the rows inserted in key order: two callers enqueueing
    -- overlapping keys in different orders then wait for each other in one
    -- order, instead of deadlocking.
    inserted as (
      insert into act_outbox as t (
        id, destination, key, source, tenant, delivery_id, correlation_id, payload, available_at, created_at
      )
      overriding system value
      select u.new_id, u.m->>'destination', u.m->>'key', u.m->>'source', u.m->>'tenant', u.m->>'delivery_id',
        u.m->>'correlation_id', coalesce(u.m->'payload', 'null'::jsonb),
        coalesce((u.m->>'available_at')::timestamptz, v_now), v_now
      from numbered u
      order by u.m->>'destination', u.m->>'key'
      on conflict (destination, key) do nothing
      returning t.id
    )
    select array_agg(x.id) into v_ids from inserted x;
    v_new := v_new || coalesce(v_ids, '{}');
    -- A new statement, a new snapshot: keys another transaction committed
    -- meanwhile are visible now. A key found neither stored nor inserted
    -- was removed in between (retention): store it again.
    exit when not exists (
      select 1 from jsonb_array_elements(p_messages) m
      where not exists (
        select 1 from act_outbox x where x.destination = m->>'destination' and x.key = m->>'key'
      )
    );
  end loop;

  return query
  with input as (
    select e.n::integer as n, e.m->>'destination' as destination, e.m->>'key' as k,
      min(e.n) over (partition by e.m->>'destination', e.m->>'key') as first_n
    from jsonb_array_elements(p_messages) with ordinality as e(m, n)
  )
  select i.n, o.id::text, (i.n <> i.first_n or not (o.id = any (v_new)))
  from input i
  join act_outbox o on o.destination = i.destination and o.key = i.k
  order by i.n;
end;
$$;

-- Lease up to p_limit due messages, oldest first (by availability), of the
-- given destinations or all. Lapsed leases go back to pending first (their
-- old claim token stops working), then due pending rows are locked with
-- SKIP LOCKED so concurrent claimers never share a message.
--
-- A lease that lapses counts as a failed attempt, as in the inbox: a message
-- whose delivery kills its dispatcher every time must still reach the end of
-- the retry schedule and the dead letters, with the history showing why.
create or replace function act_outbox_claim(
  p_owner text,
  p_limit integer,
  p_lease_ms bigint,
  p_destinations text[] default null,
  p_now timestamptz default null
)
returns setof act_outbox
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
  with expired as (
    update act_outbox o
    set status = 'pending', claim_token = null, lease_expires_at = null,
      attempts = o.attempts + 1,
      attempts_total = o.attempts_total + 1,
      last_error = format('lease expired: dispatcher %s did not finish', coalesce(o.lease_owner, 'unknown')),
      last_error_class = 'transient',
      last_error_at = lapsed.lease_expires_at
    from (
      select e.id, e.lease_expires_at from act_outbox e
      where e.status = 'processing' and e.lease_expires_at <= v_now
        and (p_destinations is null or e.destination = any (p_destinations))
      for update skip locked
    ) lapsed
    where o.id = lapsed.id
    returning o.id, o.attempts_total, o.lease_owner, o.claimed_at, lapsed.lease_expires_at, o.last_error
  )
  insert into act_outbox_attempts (message_id, attempt, owner, started_at, finished_at, outcome, error, error_class)
  select x.id, x.attempts_total, coalesce(x.lease_owner, 'unknown'), coalesce(x.claimed_at, x.lease_expires_at),
    x.lease_expires_at, 'retry', x.last_error, 'transient'
  from expired x;

  return query
  with due as (
    select p.id from act_outbox p
    where p.status = 'pending' and p.available_at <= v_now
      and (p_destinations is null or p.destination = any (p_destinations))
    order by p.available_at, p.id
    limit p_limit
    for update skip locked
  ),
  claimed as (
    update act_outbox o
    set status = 'processing',
      claim_token = gen_random_uuid(),
      lease_owner = p_owner,
      claimed_at = v_now,
      lease_expires_at = v_now + greatest(p_lease_ms, 0) * interval '1 millisecond'
    from due
    where o.id = due.id
    returning o.*
  )
  select * from claimed c order by c.available_at, c.id;
end;
$$;

-- Mark a leased message delivered, with what the destination reported and
-- its attempt. False when the claim token no longer holds the lease.
create or replace function act_outbox_complete(
  p_id bigint,
  p_claim_token text,
  p_result jsonb default null,
  p_now timestamptz default null
)
returns boolean
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(p_now, clock_timestamp());
  v_row act_outbox;
begin
  update act_outbox o
  set status = 'done', done_at = v_now, result = p_result, claim_token = null, lease_expires_at = null,
    attempts_total = o.attempts_total + 1
  where o.id = p_id and o.status = 'processing' and o.claim_token::text = lower(p_claim_token)
  returning o.* into v_row;
  if not found then
    return false;
  end if;
  insert into act_outbox_attempts (message_id, attempt, owner, started_at, finished_at, outcome)
  values (p_id, v_row.attempts_total, coalesce(v_row.lease_owner, 'unknown'), coalesce(v_row.claimed_at, v_now), v_now, 'done');
  return true;
end;
$$;

-- Record a failed attempt: back to pending, available at p_retry_at, or
-- dead when it is null. p_counts_towards_schedule false (a rate limit, an
-- open breaker) leaves `attempts` as it was. Returns 'retrying', 'dead' or
-- 'lease-lost' (the claim token no longer holds the lease: nothing changed).
create or replace function act_outbox_fail(
  p_id bigint,
  p_claim_token text,
  p_error text,
  p_error_class text,
  p_retry_at timestamptz,
  p_counts_towards_schedule boolean default true,
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
  v_row act_outbox;
begin
  update act_outbox o
  set status = case when v_dead then 'dead' else 'pending' end,
    attempts = o.attempts + case when coalesce(p_counts_towards_schedule, true) then 1 else 0 end,
    attempts_total = o.attempts_total + 1,
    last_error = p_error,
    last_error_class = p_error_class,
    last_error_at = v_now,
    available_at = coalesce(p_retry_at, o.available_at),
    claim_token = null,
    lease_expires_at = null
  where o.id = p_id and o.status = 'processing' and o.claim_token::text = lower(p_claim_token)
  returning o.* into v_row;
  if not found then
    return 'lease-lost';
  end if;
  insert into act_outbox_attempts (message_id, attempt, owner, started_at, finished_at, outcome, error, error_class)
  values (
    p_id, v_row.attempts_total, coalesce(v_row.lease_owner, 'unknown'), coalesce(v_row.claimed_at, v_now), v_now,
    case when v_dead then 'dead' else 'retry' end, p_error, p_error_class
  );
  return case when v_dead then 'dead' else 'retrying' end;
end;
$$;

-- Put matching dead (or done) messages back to pending, available now. The
-- attempts continue (a replayed message that fails again is dead-lettered
-- by the dispatcher's schedule sooner), and the attempt history stays. At
-- least one filter is required. Returns how many were put back.
create or replace function act_outbox_replay(
  p_ids bigint[] default null,
  p_destination text default null,
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
  if p_ids is null and p_destination is null and p_tenant is null and p_from is null and p_to is null then
    raise exception using
      errcode = '22023',
      message = 'act_outbox_replay needs at least one filter: ids, destination, tenant, from or to';
  end if;
  if exists (select 1 from unnest(v_statuses) s where s is null or s not in ('dead', 'done')) then
    raise exception using
      errcode = '22023',
      message = format('act_outbox_replay can only replay dead or done messages, got %s', v_statuses);
  end if;
  update act_outbox o
  set status = 'pending', available_at = v_now, done_at = null, claim_token = null, lease_expires_at = null
  where o.status = any (v_statuses)
    and (p_ids is null or o.id = any (p_ids))
    and (p_destination is null or o.destination = p_destination)
    and (p_tenant is null or o.tenant = p_tenant)
    and (p_from is null or o.created_at >= p_from)
    and (p_to is null or o.created_at < p_to);
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

create or replace function act_outbox_get(p_id bigint)
returns setof act_outbox
language sql stable
set search_path from current
as $$
  select * from act_outbox o where o.id = p_id;
$$;

-- Newest first.
create or replace function act_outbox_list(
  p_destination text default null,
  p_status text default null,
  p_tenant text default null,
  p_limit integer default 100
)
returns setof act_outbox
language sql stable
set search_path from current
as $$
  select * from act_outbox o
  where (p_destination is null or o.destination = p_destination)
    and (p_status is null or o.status = p_status)
    and (p_tenant is null or o.tenant = p_tenant)
  order by o.id desc
  limit greatest(coalesce(p_limit, 100), 0);
$$;

-- The attempts at one message, oldest first: why a dead letter died.
create or replace function act_outbox_list_attempts(p_message_id bigint)
returns setof act_outbox_attempts
language sql stable
set search_path from current
as $$
  select * from act_outbox_attempts a where a.message_id = p_message_id order by a.attempt;
$$;

-- Depth and failures per destination, ordered by destination. Each figure
-- is read from its own index: the destinations by a skip scan of the unique
-- (destination, key) index, so done messages kept for retention are never
-- counted one by one. `oldest_waiting_at` is the availability of the oldest
-- pending or processing message.
create or replace function act_outbox_stats()
returns table (
  destination text,
  pending bigint,
  processing bigint,
  dead bigint,
  oldest_waiting_at timestamptz,
  last_error text,
  last_error_at timestamptz,
  last_done_at timestamptz
)
language sql stable
set search_path from current
as $$
  with recursive destinations as (
    (select o.destination as name from act_outbox o order by o.destination limit 1)
    union all
    select (select o.destination from act_outbox o where o.destination > d.name order by o.destination limit 1)
    from destinations d
    where d.name is not null
  )
  select d.name, c.pending, c.processing, c.dead, c.oldest_waiting_at, e.last_error, e.last_error_at, f.last_done_at
  from destinations d
  cross join lateral (
    select count(*) filter (where o.status = 'pending') as pending,
      count(*) filter (where o.status = 'processing') as processing,
      count(*) filter (where o.status = 'dead') as dead,
      min(o.available_at) filter (where o.status in ('pending', 'processing')) as oldest_waiting_at
    from act_outbox o
    where o.destination = d.name and o.status <> 'done'
  ) c
  left join lateral (
    select o.last_error, o.last_error_at from act_outbox o
    where o.destination = d.name and o.last_error_at is not null
    order by o.last_error_at desc, o.id desc
    limit 1
  ) e on true
  cross join lateral (
    select max(o.done_at) as last_done_at from act_outbox o
    where o.destination = d.name and o.status = 'done'
  ) f
  where d.name is not null
  order by d.name collate "C";
$$;

------------------------------------------------------------------------------
-- Retention (0008, 0010): delivered outbox messages too
------------------------------------------------------------------------------

-- act_cleanup (0010), same arguments and same answer (`select act_cleanup(30)`
-- from pg_cron and runCleanup are unchanged): outbox messages delivered
-- before the cutoff are deleted too, with their attempts, in batches like
-- done deliveries, and dead ones only when dead letters are asked for. They
-- are not counted in the answer, whose columns stay as they were; `more`
-- covers them.
create or replace function act_cleanup(
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


  -- Delivered outbox messages (their attempts go with them: on delete cascade).
  v_batches := 0;
  loop
    v_ids := array(
      select o.id from act_outbox o
      where o.status = 'done' and o.done_at < v_cutoff
      order by o.done_at
      limit v_batch
      for update skip locked
    );
    delete from act_outbox o where o.id = any (v_ids);
    v_batches := v_batches + 1;
    exit when cardinality(v_ids) < v_batch;
    if p_max_batches is not null and v_batches >= p_max_batches then
      more := true;
      exit;
    end if;
  end loop;

  -- Dead outbox messages, only when asked, as dead deliveries: created
  -- before the cutoff and with no attempt since.
  if p_dead_older_than_days is not null then
    v_batches := 0;
    loop
      v_ids := array(
        select o.id from act_outbox o
        where o.status = 'dead' and o.created_at < v_dead_cutoff
          and not exists (
            select 1 from act_outbox_attempts a
            where a.message_id = o.id and a.finished_at >= v_dead_cutoff
          )
        order by o.id
        limit v_batch
        for update skip locked
      );
      delete from act_outbox o where o.id = any (v_ids);
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
-- Outbox messages committed with the rows (SinkV1.supportsOutboxCommit)
------------------------------------------------------------------------------

-- act_sink_apply (0010) with p_outbox: pending outbox messages
-- (PendingOutboxMessageV1 of @act/core), a JSON array of objects as
-- act_outbox_enqueue takes them, plus
--   operation         the index in p_operations the message depends on;
--   outcome           that operation's outcome where the caller already
--                     knows it (an operation it collapsed into another);
--   only_if_changed   enqueue it only when the outcome is created, updated
--                     or deleted (a change that did not change the mirror is
--                     not forwarded).
-- They are enqueued in the same transaction as the rows, the cursor and the
-- integration events: a forward or write-back exists exactly when its
-- change was committed. A (destination, key) already stored adds nothing, so
-- a replayed delivery forwards once. Events behave as in 0010. The function
-- gains an argument, so the 4-argument one is dropped first (two overloads
-- would make a call without p_outbox ambiguous).
drop function if exists act_sink_apply(jsonb, jsonb, timestamptz, jsonb);
create function act_sink_apply(
  p_operations jsonb,
  p_cursor jsonb default null,
  p_now timestamptz default null,
  p_events jsonb default null,
  p_outbox jsonb default null
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
  v_messages jsonb;
begin
  if p_events is not null and jsonb_typeof(p_events) <> 'array' then
    raise exception using errcode = '22023', message = 'act_sink_apply: p_events must be a JSON array';
  end if;
  if p_outbox is not null and jsonb_typeof(p_outbox) <> 'array' then
    raise exception using errcode = '22023', message = 'act_sink_apply: p_outbox must be a JSON array';
  end if;
  v_outcomes := act_sink_apply_rows(p_operations, p_cursor, v_now);
  if (p_events is null or jsonb_array_length(p_events) = 0)
    and (p_outbox is null or jsonb_array_length(p_outbox) = 0) then
    return v_outcomes;
  end if;
  v_by_index := (select coalesce(jsonb_object_agg(x ->> 'i', x), '{}'::jsonb) from jsonb_array_elements(v_outcomes) x);

  if p_events is not null and jsonb_array_length(p_events) > 0 then
    v_at := floor(extract(epoch from v_now) * 1000)::bigint;
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
  end if;

  if p_outbox is not null and jsonb_array_length(p_outbox) > 0 then
    v_messages := (
      select coalesce(jsonb_agg(x.message order by x.n), '[]'::jsonb)
      from jsonb_array_elements(p_outbox) with ordinality as x(message, n)
      cross join lateral (
        select coalesce(x.message ->> 'outcome', v_by_index -> (x.message ->> 'operation') ->> 'o', 'ignored') as outcome
      ) r
      where not coalesce((x.message ->> 'only_if_changed')::boolean, false)
        or r.outcome in ('created', 'updated', 'deleted')
    );
    if jsonb_array_length(v_messages) > 0 then
      perform count(*) from act_outbox_enqueue(v_messages, v_now);
    end if;
  end if;
  return v_outcomes;
end;
$$;

-- Closed to anon and authenticated (see 0001): only the owner and service_role.
-- act_cleanup was replaced and act_sink_apply created again, so are closed again.
select act_restrict_api_roles(
  array['act_outbox', 'act_outbox_attempts'],
  array[
    'act_outbox_enqueue', 'act_outbox_claim', 'act_outbox_complete', 'act_outbox_fail', 'act_outbox_replay',
    'act_outbox_get', 'act_outbox_list', 'act_outbox_list_attempts', 'act_outbox_stats', 'act_cleanup',
    'act_sink_apply'
  ]
);

-- In a schema of your own, grant service_role what it lacks (see 0001).
select act_grant_service_role();
