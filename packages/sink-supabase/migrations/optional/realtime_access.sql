-- @act/sink-supabase, optional: who may receive this package's Supabase
-- Realtime broadcasts, per tenant.
--
-- NOT applied by default: it needs Supabase Realtime (the realtime schema:
-- realtime.messages and realtime.topic()) and the optional tenant-access
-- migration (act_user_sources, act_can_read). Apply it after that one:
--   migrate({ tenantAccess: true, migrations: [REALTIME_ACCESS_MIGRATION] })
-- Like the package's own migrations it runs with the chosen schema first on
-- the search_path.
--
-- The broadcasts are private (realtime.send(…, private => true)): Supabase
-- Realtime lets a client join a private topic only where an RLS policy on
-- realtime.messages lets its role, with its JWT, read that topic's broadcast
-- messages; Realtime checks it when the client joins by inserting a message
-- on the topic, setting `realtime.topic`, the role and `request.jwt.claims`,
-- and reading it back (https://supabase.com/docs/guides/realtime/authorization).
-- This migration adds, on realtime.messages:
--
-- - a permissive SELECT policy for `authenticated`: broadcast messages of the
--   topic being joined (realtime.topic()) when it is one of this package's
--   and names a (source, tenant) the user is mapped to in act_user_sources
--   (act_can_read, auth.uid() from the JWT's `sub`). The topics:
--     `act:<source>:<tenant>:rows`  row changes (0014, event `act_row`)
--     `<source>:<tenant>`           integration events (0006, event `act_event`)
-- - restrictive policies for `anon` and `authenticated` on the `act:` topics,
--   which hold whatever permissive policies the app adds (policies are OR-ed,
--   so a `using (true)` policy from a quickstart would otherwise open them):
--   no reading them unless mapped, never presence, and no sending on them, so
--   nobody forges a row change to the other users of a tenant.
--
-- `anon` receives nothing. Messages are sent by the role that writes the
-- mirror, which RLS does not concern (the owner, service_role).
-- Never edit this file once applied: add a new optional migration instead.

do $$
begin
  if to_regprocedure(format('%I.act_can_read(text, text)', current_schema())) is null then
    raise exception using errcode = '42883',
      message = 'realtime access needs the tenant-access migration (act_user_sources, act_can_read)',
      hint = 'apply it first: migrate({ tenantAccess: true, migrations: [REALTIME_ACCESS_MIGRATION] })';
  end if;
  if to_regclass('realtime.messages') is null or to_regprocedure('realtime.topic()') is null then
    raise exception using errcode = '42704',
      message = 'realtime access needs Supabase Realtime: the table realtime.messages and the function realtime.topic()',
      hint = 'apply it to a Supabase database (Realtime creates its schema once the project has started)';
  end if;
end;
$$;

-- May the signed-in user receive this topic? True for `act:<source>:<tenant>:rows`
-- and `<source>:<tenant>` when act_can_read(source, tenant). Security
-- definer (act_can_read reads act_user_sources); search_path pinned below.
create or replace function act_realtime_can_read(p_topic text)
returns boolean
language plpgsql stable security definer
as $$
declare
  v_rest text := p_topic;
  v_source text;
  v_tenant text;
begin
  if p_topic is null then
    return false;
  end if;
  if starts_with(p_topic, 'act:') then
    if right(p_topic, 5) <> ':rows' or length(p_topic) <= 9 then
      return false;
    end if;
    v_rest := substr(p_topic, 5, length(p_topic) - 9);
  end if;
  v_source := split_part(v_rest, ':', 1);
  v_tenant := substr(v_rest, length(v_source) + 2);
  if strpos(v_rest, ':') = 0 or v_source = '' or v_tenant = '' then
    return false;
  end if;
  return act_can_read(v_source, v_tenant);
end;
$$;

do $$
declare
  v_schema text := current_schema();
  -- One set of policies per schema the package lives in; names are at most 63 bytes.
  v_suffix text := case when octet_length(current_schema()) <= 40 then current_schema() else md5(current_schema()) end;
  v_read text := 'act tenant read ' || v_suffix;
  v_guard_read text := 'act topics guard read ' || v_suffix;
  v_guard_anon text := 'act topics guard anon ' || v_suffix;
  v_guard_send text := 'act topics guard send ' || v_suffix;
begin
  execute format('alter function %I.act_realtime_can_read(text) set search_path = pg_catalog, %I, pg_temp', v_schema, v_schema);
  execute format('revoke execute on function %I.act_realtime_can_read(text) from public, anon', v_schema);
  execute format('grant execute on function %I.act_realtime_can_read(text) to authenticated, service_role', v_schema);

  execute format('drop policy if exists %I on realtime.messages', v_read);
  execute format(
    'create policy %I on realtime.messages as permissive for select to authenticated '
    'using (extension = %L and topic = (select realtime.topic()) and %I.act_realtime_can_read(topic))',
    v_read, 'broadcast', v_schema);

  -- Restrictive: AND-ed with every permissive policy, for these roles only.
  -- anon's has no function in it (anon may execute none of this schema's).
  execute format('drop policy if exists %I on realtime.messages', v_guard_anon);
  execute format(
    'create policy %I on realtime.messages as restrictive for select to anon using (not starts_with(topic, %L))',
    v_guard_anon, 'act:');
  execute format('drop policy if exists %I on realtime.messages', v_guard_read);
  execute format(
    'create policy %I on realtime.messages as restrictive for select to authenticated '
    'using (not starts_with(topic, %L) or (extension = %L and %I.act_realtime_can_read(topic)))',
    v_guard_read, 'act:', 'broadcast', v_schema);
  execute format('drop policy if exists %I on realtime.messages', v_guard_send);
  execute format(
    'create policy %I on realtime.messages as restrictive for insert to anon, authenticated '
    'with check (not starts_with(topic, %L))',
    v_guard_send, 'act:');
end;
$$;
