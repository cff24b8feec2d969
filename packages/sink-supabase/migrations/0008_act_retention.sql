-- @act/sink-supabase 0008: retention. act_cleanup() deletes what has done
-- its job: done deliveries (with their attempts) and integration events
-- older than N days. Pending and processing deliveries are never touched;
-- dead letters are evidence and stay until replayed, or until the caller
-- asks for them explicitly (p_dead_older_than_days).
--
-- Schedule it (pg_cron on Supabase):
--   select cron.schedule('act-cleanup', '17 3 * * *', $$select act_cleanup(30)$$);
-- or call state.cleanup() from a job: it runs one batch per transaction.

-- Done deliveries, oldest first, without reading the whole inbox.
create index if not exists act_deliveries_done_idx
  on act_deliveries (completed_at) where status = 'done';

-- Deletes in batches of p_batch_size rows (each batch locks only its own
-- rows, skipping any another session holds), events first, then done
-- deliveries and their attempts, then (only when p_dead_older_than_days is
-- given) dead deliveries received and last attempted before that cutoff.
-- p_max_batches bounds the batches per kind in this call, so a caller can
-- commit between batches; `more` is true when it stopped at that bound with
-- rows possibly left. Returns one row of counts.
create or replace function act_cleanup(
  p_older_than_days integer default 30,
  p_dead_older_than_days integer default null,
  p_now timestamptz default null,
  p_batch_size integer default 5000,
  p_max_batches integer default null
)
returns table (deliveries bigint, attempts bigint, events bigint, more boolean)
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

-- Closed to anon and authenticated (see 0001): only the owner and service_role.
select act_restrict_api_roles(
  array[]::text[],
  array['act_cleanup']
);
