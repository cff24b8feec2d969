-- @act/sink-supabase 0010: group commit for the receive path. Concurrent
-- `enqueue` calls of one process are coalesced by the store into one call of
-- act_enqueue_batch: one statement, one transaction, one commit (one WAL
-- flush) for many deliveries, each acknowledged only after it commits.
--
-- p_deliveries is a JSON array of objects named like act_enqueue's arguments
-- without the p_ prefix; `body` is base64. Dedupe semantics are act_enqueue's:
-- a known dedupe key is not stored again and answers the stored id with
-- duplicate = true, and so does a key repeated inside the batch (the first
-- occurrence is stored). New rows are inserted in array order, so ids follow
-- the callers' order. One row per element comes back, with its 1-based
-- position in the array as `ord`.
create or replace function act_enqueue_batch(p_deliveries jsonb)
returns table (ord integer, id text, duplicate boolean)
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
    select i.n, i.d, coalesce(f.i, old.id)::text as found_id, (f.i is not null and i.n = i.first_n) as is_new
    from input i
    left join fresh f on f.k = i.k
    left join act_deliveries old on f.i is null and old.dedupe_key = i.k
    order by i.n
  loop
    if v_row.found_id is null then
      -- The conflicting row vanished in between (retention): act_enqueue retries.
      select e.id, e.duplicate into v_id, v_duplicate
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
    else
      ord := v_row.n;
      id := v_row.found_id;
      duplicate := not v_row.is_new;
    end if;
    return next;
  end loop;
end;
$$;

-- Closed like every act_ function (see 0003): only the owner and service_role.
do $$
declare
  v_role text;
begin
  execute 'revoke execute on function act_enqueue_batch(jsonb) from public';
  foreach v_role in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = v_role) then
      execute format('revoke execute on function act_enqueue_batch(jsonb) from %I', v_role);
    end if;
  end loop;
  if exists (select 1 from pg_roles where rolname = 'service_role') then
    execute 'grant execute on function act_enqueue_batch(jsonb) to service_role';
  end if;
end;
$$;
