-- @act/sink-supabase 0005: rate limits shared by every worker
-- (RateLimitStoreV1): token buckets, and leased slots for concurrency limits
-- ("5 calls in flight per Xero tenant") and sliding windows ("60 calls in any
-- minute"). As everywhere in this package, every operation is one function
-- call, so one transaction, and one `rpc` for supabase-js.

-- Token buckets shared by every worker: one row per `<source>:<tenant>:<limit>`.
create table if not exists act_rate_limits (
  key text primary key,
  tokens double precision not null,
  updated_at_ms bigint not null,
  capacity double precision not null,
  interval_ms bigint not null
);

-- Take `p_cost` tokens from a bucket refilled continuously at
-- capacity / interval per millisecond, atomically (the row is locked).
-- A bucket held until a later time (act_set_tokens with a future p_now_ms,
-- how a provider's Retry-After pauses every worker, or a clock behind another
-- worker's) counts that time in wait_ms, as @act/core's memory store does.
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
  if v_tokens + c_epsilon >= v_cost then
    v_tokens := greatest(0, v_tokens - v_cost);
    granted := true;
    wait_ms := 0;
  else
    granted := false;
    wait_ms := greatest(1, ceil(greatest(0, v_updated - v_now) + (v_cost - v_tokens) * p_interval_ms / p_capacity))::bigint;
  end if;
  v_updated := greatest(v_updated, v_now);
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

-- One row per held slot. A slot frees itself at `expires_at_ms` (epoch ms, the
-- callers' clock, as the token buckets of act_rate_limits), so a crashed
-- holder cannot keep it; expired rows of a key are removed by the next
-- acquire of that key, so a key never holds more rows than its limit.
create table if not exists act_rate_slots (
  key text not null,
  owner text not null,
  expires_at_ms bigint not null,
  primary key (key, owner)
);

-- Take one of p_limit slots under p_key for p_owner, for p_lease_ms. Asking
-- again as the same owner renews its lease instead of taking a second slot.
-- Acquirers of one key are serialised by a transaction-scoped advisory lock
-- (a count and an insert cannot race), so concurrent calls from any number of
-- processes never hold more than p_limit slots. One row: acquired, and when
-- not, how long until the earliest lease ends (retry_after_ms, at least 1).
create or replace function act_acquire_slot(
  p_key text,
  p_limit integer,
  p_owner text,
  p_lease_ms bigint,
  p_now_ms bigint default null
)
returns table (acquired boolean, retry_after_ms bigint)
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now bigint := coalesce(p_now_ms, (extract(epoch from clock_timestamp()) * 1000)::bigint);
  v_held integer;
  v_earliest bigint;
begin
  if p_key is null or p_key = '' or p_owner is null or p_owner = '' then
    raise exception using errcode = '22023', message = 'act_acquire_slot: the key and the owner must be non-empty';
  end if;
  if p_limit is null or p_limit <= 0 then
    raise exception using errcode = '22023',
      message = format('act_acquire_slot: limit must be a positive integer, got %s', p_limit);
  end if;
  if p_lease_ms is null or p_lease_ms <= 0 then
    raise exception using errcode = '22023',
      message = format('act_acquire_slot: leaseMs must be a positive number, got %s', p_lease_ms);
  end if;
  perform pg_advisory_xact_lock(hashtext('act_rate_slots'), hashtext(current_schema() || ':' || p_key));
  delete from act_rate_slots s where s.key = p_key and s.expires_at_ms <= v_now;
  update act_rate_slots s set expires_at_ms = v_now + p_lease_ms where s.key = p_key and s.owner = p_owner;
  if found then
    return query select true, 0::bigint;
    return;
  end if;
  select count(*)::integer, min(s.expires_at_ms) into v_held, v_earliest from act_rate_slots s where s.key = p_key;
  if v_held < p_limit then
    insert into act_rate_slots (key, owner, expires_at_ms) values (p_key, p_owner, v_now + p_lease_ms);
    return query select true, 0::bigint;
    return;
  end if;
  return query select false, greatest(1, v_earliest - v_now);
end;
$$;

-- Free p_owner's slot under p_key at once (a no-op when it holds none).
create or replace function act_release_slot(p_key text, p_owner text)
returns void
language sql volatile
set search_path from current
as $$
  delete from act_rate_slots s where s.key = p_key and s.owner = p_owner;
$$;

-- Closed to anon and authenticated (see 0001): only the owner and service_role.
select act_restrict_api_roles(
  array['act_rate_limits', 'act_rate_slots'],
  array['act_take_tokens', 'act_set_tokens', 'act_acquire_slot', 'act_release_slot']
);

-- In a schema of your own, grant service_role what it lacks (see 0001).
select act_grant_service_role();
