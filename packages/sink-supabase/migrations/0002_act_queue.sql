-- @act/sink-supabase 0002: the queue. The inbox of accepted webhook
-- deliveries, their attempts, and the functions that store, lease, complete,
-- fail, replay and list them. As everywhere in this package every operation
-- is one SQL function, so every driver (node-postgres, PGlite, supabase-js
-- rpc) runs the same logic in one transaction per call.
--
-- `set search_path from current` pins each function to the schema the
-- migration ran in. Times: a `p_now` argument wins; without it the database
-- clock is used, so workers on several machines agree on lease expiry.

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
  -- The delivery first stored under this delivery's dedupe key, on a
  -- conflicting redelivery (see act_enqueue); null otherwise. No foreign key:
  -- retention may remove the first delivery before its conflict, which stays
  -- a conflict.
  conflict_of bigint,
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

-- Conflict counts and listings read only conflicts.
create index if not exists act_deliveries_conflicts_idx
  on act_deliveries (source, tenant, id) where conflict_of is not null;

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

-- Store a delivery unless its dedupe key is known. Redeliveries are compared
-- by their body bytes (bytes, never parsed JSON: the signature covers bytes):
-- - the same bytes: a duplicate (duplicate = true, the stored id);
-- - different bytes: a conflict, kept, never dropped. The new body is stored
--   as a delivery of its own under `<dedupe key>~sha256:<hex of its body>`
--   (@act/core's conflictDedupeKey), so the same conflicting body delivered
--   again is a duplicate of it, with `conflict_of` naming the delivery first
--   stored under the key. A worker processes it like any delivery, and the
--   sink's version guard applies its records only where they are newer.

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
returns table (id text, duplicate boolean, conflict_of text)
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_id bigint;
  v_same boolean;
  v_key text := p_dedupe_key;
  v_of bigint;
  v_received_at timestamptz := coalesce(p_received_at, clock_timestamp());
begin
  loop
    insert into act_deliveries as d (
      source, tenant, dedupe_key, method, url, headers, body,
      next_attempt_at, correlation_id, event_types, received_at, conflict_of
    )
    values (
      p_source, p_tenant, v_key, p_method, p_url, coalesce(p_headers, '{}'::jsonb), p_body,
      v_received_at, p_correlation_id, coalesce(p_event_types, '{}'::text[]), v_received_at, v_of
    )
    on conflict (dedupe_key) do nothing
    returning d.id into v_id;
    if v_id is not null then
      return query select v_id::text, false, v_of::text;
      return;
    end if;
    -- bytea equality compares lengths first, so a changed length costs no read of the stored body.
    select d.id, d.body = p_body into v_id, v_same from act_deliveries d where d.dedupe_key = v_key;
    if v_id is not null then
      if v_same or v_of is not null then
        -- The same bytes again (of the first delivery, or of a conflict already kept).
        return query select v_id::text, true, v_of::text;
        return;
      end if;
      -- Same key, different bytes: keep it under a key of its own, linked to the first.
      v_of := v_id;
      v_key := p_dedupe_key || '~sha256:' || encode(sha256(p_body), 'hex');
      v_id := null;
    end if;
    -- Otherwise the conflicting row vanished in between (retention): try again.
  end loop;
end;
$$;

-- Group commit for the receive path. Concurrent `enqueue` calls of one
-- process are coalesced by the store into one call of act_enqueue_batch: one
-- statement, one transaction, one commit (one WAL flush) for many deliveries,
-- each acknowledged only after it commits.
--
-- p_deliveries is a JSON array of objects named like act_enqueue's arguments
-- without the p_ prefix; `body` is base64. Dedupe semantics are act_enqueue's:
-- a known dedupe key with the same bytes is not stored again and answers the
-- stored id with duplicate = true, and so does a key repeated inside the
-- batch (the first occurrence is stored). Elements whose key is known with
-- other bytes (stored before, or earlier in the same batch) go through
-- act_enqueue, which keeps them as conflicts: rare, so the common path stays
-- one insert for the whole batch. New rows are inserted in array order, so
-- ids follow the callers' order. One row per element comes back, with its
-- 1-based position in the array as `ord`.

create or replace function act_enqueue_batch(p_deliveries jsonb)
returns table (ord integer, id text, duplicate boolean, conflict_of text)
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
      ord := v_row.n;
      id := v_id;
      duplicate := v_duplicate;
      conflict_of := v_of;
    else
      ord := v_row.n;
      id := v_row.found_id;
      duplicate := not v_row.is_new;
      conflict_of := null;
    end if;
    return next;
  end loop;
end;
$$;

-- Lease up to p_limit due deliveries, oldest first. Expired leases go back to
-- pending first (their old claim token stops working), then due pending rows
-- are locked with SKIP LOCKED so concurrent claimers never share a row.
--
-- A lease that expires counts as a failed attempt. A delivery whose worker
-- dies every time it processes it (a poison message that crashes the process)
-- must still reach the retry schedule's end and be dead-lettered, with the
-- history showing why, instead of looping forever with attempts = 0.

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
  with expired as (
    update act_deliveries d
    set status = 'pending', claim_token = null, lease_expires_at = null,
      attempts = d.attempts + 1,
      attempts_total = d.attempts_total + 1,
      last_error = format('lease expired: worker %s did not finish', coalesce(d.lease_owner, 'unknown')),
      last_error_class = 'transient'
    from (
      select e.id, e.lease_expires_at from act_deliveries e
      where e.status = 'processing' and e.lease_expires_at <= v_now
        and (p_sources is null or e.source = any (p_sources))
      for update skip locked
    ) lapsed
    where d.id = lapsed.id
    returning d.id, d.attempts_total, d.lease_owner, lapsed.lease_expires_at, d.last_error
  )
  insert into act_delivery_attempts (delivery_id, attempt, owner, started_at, finished_at, outcome, error, error_class)
  select x.id, x.attempts_total, coalesce(x.lease_owner, 'unknown'), x.lease_expires_at, x.lease_expires_at,
    'retry', x.last_error, 'transient'
  from expired x;

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

-- The worker's batched round: complete many leased deliveries in one
-- statement, one transaction, one commit, each with its attempt and its
-- integration events, each checked against its own claim token (a lost lease
-- fails only that delivery). The worker completes a whole claimed batch with
-- it.
--
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

-- Conflicting redeliveries, newest first, filtered like act_list_deliveries.
create or replace function act_list_conflicts(
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
  where d.conflict_of is not null
    and (p_status is null or d.status = p_status)
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

-- A wake-up for idle workers: a NOTIFY on the schema's deliveries channel
-- when new deliveries are stored, so a listening worker claims at once
-- instead of at its next poll.
--
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

-- Closed to anon and authenticated (see 0001): only the owner and service_role.
select act_restrict_api_roles(
  array[
    'act_deliveries', 'act_delivery_attempts'
  ],
  array[
    'act_enqueue', 'act_enqueue_batch', 'act_claim', 'act_complete', 'act_complete_batch',
    'act_fail', 'act_replay', 'act_get_delivery', 'act_list_deliveries', 'act_list_conflicts',
    'act_list_attempts', 'act_deliveries_channel', 'act_deliveries_notify'
  ]
);

-- In a schema of your own, grant service_role what it lacks (see 0001).
select act_grant_service_role();
