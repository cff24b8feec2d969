-- @act/sink-supabase 0016: conflicting redeliveries are kept, never dropped.
--
-- Until now a delivery whose dedupe key was known was answered `duplicate`
-- whatever its body, so a provider that sent the same delivery id with
-- different content lost that content without trace. Now the body bytes are
-- compared (bytes, never parsed JSON: the signature covers bytes):
-- - the same bytes: a duplicate, as before;
-- - different bytes: a conflict. The new body is stored as a delivery of its
--   own under `<dedupe key>~sha256:<hex of its body>` (@act/core's
--   conflictDedupeKey), so the same conflicting body delivered again is a
--   duplicate of it, with `conflict_of` naming the delivery first stored
--   under the key. A worker processes it like any delivery, and the sink's
--   version guard applies its records only where they are newer.
-- act_health_figures counts conflicts per source and tenant; act_list_conflicts
-- lists them.

-- The delivery first stored under this delivery's dedupe key, on a
-- conflicting redelivery; null otherwise. No foreign key: retention may
-- remove the first delivery before its conflict, which stays a conflict.
alter table act_deliveries add column if not exists conflict_of bigint;

-- Conflict counts and listings read only conflicts.
create index if not exists act_deliveries_conflicts_idx
  on act_deliveries (source, tenant, id) where conflict_of is not null;

-- One more result column (conflict_of): drop, then create again. Callers
-- that read only id and duplicate keep working.
drop function if exists act_enqueue(text, text, text, text, text, jsonb, bytea, timestamptz, text, text[]);
create function act_enqueue(
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

-- act_enqueue_batch (0010) with the same rule, and conflict_of in its result.
-- Elements whose key is known with other bytes (stored before, or earlier in
-- the same batch) go through act_enqueue, which keeps them as conflicts:
-- rare, so the common path stays one insert for the whole batch.
drop function if exists act_enqueue_batch(jsonb);
create function act_enqueue_batch(p_deliveries jsonb)
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

-- act_health (0002) and a conflicts column. A function of its own, so
-- act_health and the act_source_health view keep their columns (and the
-- grants the optional tenant-access migration gives them).
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

-- Closed like every act_ function (see 0003): only the owner and service_role.
do $$
declare
  v_role text;
  v_function text;
begin
  foreach v_function in array array[
    'act_enqueue(text, text, text, text, text, jsonb, bytea, timestamptz, text, text[])',
    'act_enqueue_batch(jsonb)',
    'act_health_figures(timestamptz)',
    'act_list_conflicts(text, text, text, integer)'
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
