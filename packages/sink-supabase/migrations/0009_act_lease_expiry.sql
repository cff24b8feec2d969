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
