-- @act/sink-supabase, optional: run the @act scheduler from pg_cron.
--
-- NOT applied by default. Apply it with
--   migrate({ migrations: [SCHEDULER_CRON_MIGRATION] })
-- or paste this file into the Supabase SQL editor. It is standalone: it needs
-- none of the package's tables, and installs two functions in the current
-- schema (the act schema under migrate, `public` in the SQL editor).
--
-- What it does: the app exposes the scheduler's tick as
-- `POST <prefix>/_act/tick` with `Authorization: Bearer <secret>` (createAct's
-- `tick` option). On a host with no long-running process (Supabase Edge
-- Functions, serverless), something has to call that route every minute;
-- Supabase documents pg_cron (the schedule) + pg_net (the HTTP call) for it:
--   https://supabase.com/docs/guides/functions/schedule-functions
--   https://supabase.com/docs/guides/database/extensions/pg_cron
--   https://supabase.com/docs/guides/database/extensions/pg_net
--
--   select act_schedule_tick('https://<host>/api/_act/tick', 'act_tick_secret');
--     -- a pg_cron job named act-scheduler-tick, every minute, whose command is
--     -- one net.http_post to that URL, the bearer read from Supabase Vault's
--     -- secret `act_tick_secret` when the job runs
--   select act_unschedule_tick();   -- removes it (false when there was none)
--
-- The secret. Supabase recommends Supabase Vault for the token a cron job
-- sends (https://supabase.com/docs/guides/functions/schedule-functions):
-- store it once with
--   select vault.create_secret('<the tick secret>', 'act_tick_secret');
-- and pass the secret's NAME. The job's command (cron.job.command, readable by
-- the job's owner and superusers) then holds only the name; the value is read
-- from vault.decrypted_secrets each time the job runs, so rotating the secret
-- is a vault.update_secret, with no rescheduling.
-- Without Vault, pass the value itself with p_secret => '<the tick secret>'
-- (and no vault name): it is then written into cron.job.command in clear,
-- and into any log of that table. That is the trade-off of the plain variant.
--
-- Idempotent: scheduling a job name again replaces that job's schedule and
-- command (pg_cron's named jobs, 1.3+: "Attempting to create a second Job
-- with the same name (and case) will overwrite the first Job",
-- https://supabase.com/docs/guides/cron/quickstart).
--
-- Needs the extensions pg_cron and pg_net (Supabase: Database → Extensions),
-- and Vault for the recommended variant; the functions say which is missing.
-- Never edit this file once applied: add a new optional migration instead.

-- Schedule (or reschedule) the tick. Returns pg_cron's job id.
-- p_url:          the tick route, https://…/<prefix>/_act/tick
-- p_vault_secret: the name of the Supabase Vault secret holding the bearer
-- p_schedule:     pg_cron schedule, every minute by default ('30 seconds'
--                 on Supabase's Postgres 15.1.1.61 and later,
--                 https://supabase.com/docs/guides/cron/quickstart)
-- p_job_name:     the pg_cron job name; one job per name
-- p_secret:       the bearer itself, instead of p_vault_secret (see above)
-- p_timeout_ms:   pg_net's timeout_milliseconds. The route answers once its
--                 tick has run, so the default leaves it nearly the minute
--                 between two ticks; a slower answer is recorded by pg_net
--                 as timed out (net._http_response), and a host may stop a
--                 request whose client went away: keep it above a tick.
create or replace function act_schedule_tick(
  p_url text,
  p_vault_secret text default null,
  p_schedule text default '* * * * *',
  p_job_name text default 'act-scheduler-tick',
  p_secret text default null,
  p_timeout_ms integer default 55000
)
returns bigint
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_found boolean;
  v_authorization text;
  v_command text;
begin
  if to_regprocedure('cron.schedule(text,text,text)') is null then
    raise exception using errcode = '42883',
      message = '[@act/sink-supabase] act_schedule_tick needs the pg_cron extension, which is not installed in this database',
      hint = 'on Supabase enable pg_cron (Database → Extensions, or: create extension pg_cron); elsewhere install pg_cron and add it to shared_preload_libraries';
  end if;
  -- pg_net's signature, https://supabase.com/docs/guides/database/extensions/pg_net
  if to_regprocedure('net.http_post(text,jsonb,jsonb,jsonb,integer)') is null then
    raise exception using errcode = '42883',
      message = '[@act/sink-supabase] act_schedule_tick needs the pg_net extension (net.http_post), which is not installed in this database',
      hint = 'on Supabase enable pg_net (Database → Extensions, or: create extension pg_net)';
  end if;
  if p_url is null or p_url !~* '^https?://[^[:space:][:cntrl:]]+$' then
    raise exception using errcode = '22023',
      message = format('[@act/sink-supabase] act_schedule_tick needs the tick route''s http(s) URL, got %L', p_url),
      hint = 'e.g. https://<host>/api/_act/tick';
  end if;
  if p_job_name is null or p_job_name = '' or p_schedule is null or p_schedule = ''
    or p_timeout_ms is null or p_timeout_ms <= 0 then
    raise exception using errcode = '22023',
      message = '[@act/sink-supabase] act_schedule_tick needs a job name, a schedule and a positive timeout';
  end if;
  if (p_vault_secret is null) = (p_secret is null) then
    raise exception using errcode = '22023',
      message = '[@act/sink-supabase] act_schedule_tick needs exactly one of p_vault_secret (the name of a Supabase Vault secret, recommended) and p_secret (the tick secret itself)';
  end if;

  if p_vault_secret is not null then
    if to_regclass('vault.decrypted_secrets') is null then
      raise exception using errcode = '42P01',
        message = '[@act/sink-supabase] act_schedule_tick: p_vault_secret needs Supabase Vault (vault.decrypted_secrets), which is not installed in this database',
        hint = 'enable Supabase Vault, or pass the secret itself with p_secret => ''…'' (it is then stored in cron.job in clear)';
    end if;
    -- Checked now so a typo fails here, not silently every minute (a missing
    -- secret would send no Authorization header and get 401s).
    execute 'select exists (select 1 from vault.decrypted_secrets where name = $1)' into strict v_found
      using p_vault_secret;
    if not v_found then
      raise exception using errcode = '22023',
        message = format('[@act/sink-supabase] act_schedule_tick: Supabase Vault has no secret named %L', p_vault_secret),
        hint = format('create it first: select vault.create_secret(''<the tick secret>'', %L)', p_vault_secret);
    end if;
    -- The job reads the value when it runs: only the name is in cron.job.command.
    v_authorization := format(
      '''Bearer '' || (select decrypted_secret from vault.decrypted_secrets where name = %L)', p_vault_secret);
  else
    -- A header value cannot hold a line break; anything else is sent as is.
    if p_secret = '' or p_secret ~ '[[:cntrl:]]' then
      raise exception using errcode = '22023',
        message = '[@act/sink-supabase] act_schedule_tick: p_secret must be a non-empty secret without control characters';
    end if;
    v_authorization := quote_literal('Bearer ' || p_secret);
  end if;

  -- Supabase's own example (schedule-functions, above), with the tick route:
  -- pg_net sends the request after the job's transaction commits.
  v_command := format(
    $cmd$select net.http_post(
  url := %L,
  body := '{}'::jsonb,
  headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', %s),
  timeout_milliseconds := %s
) as request_id$cmd$,
    p_url, v_authorization, p_timeout_ms);
  return cron.schedule(p_job_name, p_schedule, v_command);
end;
$$;

-- Remove the job scheduled by act_schedule_tick under that name (the
-- caller's own: pg_cron keys named jobs by name and user). Returns whether
-- there was one, so calling it twice is harmless.
create or replace function act_unschedule_tick(p_job_name text default 'act-scheduler-tick')
returns boolean
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  v_jobid bigint;
begin
  -- cron.unschedule(bigint) is in every pg_cron version (the by-name
  -- overload takes a `name` and arrived in 1.3), so unschedule by id.
  if to_regprocedure('cron.unschedule(bigint)') is null then
    raise exception using errcode = '42883',
      message = '[@act/sink-supabase] act_unschedule_tick needs the pg_cron extension, which is not installed in this database',
      hint = 'on Supabase enable pg_cron (Database → Extensions, or: create extension pg_cron)';
  end if;
  select j.jobid into v_jobid from cron.job j where j.jobname = p_job_name and j.username = current_user;
  if v_jobid is null then
    return false;
  end if;
  perform cron.unschedule(v_jobid);
  return true;
end;
$$;

-- Only the owner schedules: these create jobs that run as their caller.
-- Supabase grants every new function to anon, authenticated and service_role
-- by default; take that back (roles that do not exist are skipped).
do $$
declare
  v_role text;
begin
  revoke execute on function act_schedule_tick(text, text, text, text, text, integer) from public;
  revoke execute on function act_unschedule_tick(text) from public;
  for v_role in select r.rolname from pg_roles r where r.rolname in ('anon', 'authenticated', 'service_role') loop
    execute format('revoke execute on function act_schedule_tick(text, text, text, text, text, integer) from %I', v_role);
    execute format('revoke execute on function act_unschedule_tick(text) from %I', v_role);
  end loop;
end;
$$;
