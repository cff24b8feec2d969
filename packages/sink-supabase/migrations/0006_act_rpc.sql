-- @act/sink-supabase 0006: what the supabase-js driver needs, which calls the
-- act_ functions through PostgREST `rpc` as Supabase's `service_role`.
--
-- Every store, sink and rate-limit operation is already one function call,
-- so one PostgREST request is one transaction: no wrapper functions needed.
-- What a schema of your own lacks is access: the act_ functions run as the
-- caller (security invoker), and Supabase grants `service_role` the tables,
-- sequences and functions of `public` by default, but nothing in a schema
-- you create (`{ schema: 'act' }`). act_grant_service_role() grants what is
-- missing, and only that, so nothing changes where Supabase's defaults
-- already apply; it also makes the tables the migrating role creates in the
-- schema later (connectors' mirror tables) granted to service_role. anon and
-- authenticated get nothing. Without a service_role role it does nothing.
-- The schema must still be exposed to the Data API (Project Settings → API →
-- Exposed schemas), which SQL cannot do.
create or replace function act_grant_service_role()
returns void
language plpgsql volatile
set search_path from current
as $$
declare
  v_schema text := current_schema();
  v_namespace oid := (select n.oid from pg_namespace n where n.nspname = current_schema());
  v_object regclass;
  v_function regprocedure;
begin
  if v_namespace is null or not exists (select 1 from pg_roles where rolname = 'service_role') then
    return;
  end if;
  if not has_schema_privilege('service_role', v_namespace, 'usage') then
    execute format('grant usage on schema %I to service_role', v_schema);
    execute format('alter default privileges in schema %I grant select, insert, update, delete on tables to service_role', v_schema);
    execute format('alter default privileges in schema %I grant usage, select, update on sequences to service_role', v_schema);
  end if;
  -- has_*_privilege is true when any one of several listed privileges is held: ask one at a time.
  for v_object in
    select c.oid::regclass from pg_class c
    where c.relnamespace = v_namespace and c.relkind in ('r', 'p', 'v') and pg_has_role(c.relowner, 'USAGE')
      and not (has_table_privilege('service_role', c.oid, 'select') and has_table_privilege('service_role', c.oid, 'insert')
        and has_table_privilege('service_role', c.oid, 'update') and has_table_privilege('service_role', c.oid, 'delete'))
  loop
    execute format('grant select, insert, update, delete on %s to service_role', v_object);
  end loop;
  for v_object in
    select c.oid::regclass from pg_class c
    where c.relnamespace = v_namespace and c.relkind = 'S' and pg_has_role(c.relowner, 'USAGE')
      and not (has_sequence_privilege('service_role', c.oid, 'usage') and has_sequence_privilege('service_role', c.oid, 'update'))
  loop
    execute format('grant usage, select, update on sequence %s to service_role', v_object);
  end loop;
  for v_function in
    select p.oid::regprocedure from pg_proc p
    where p.pronamespace = v_namespace and p.proname like 'act\_%' and pg_has_role(p.proowner, 'USAGE')
      and not has_function_privilege('service_role', p.oid, 'execute')
  loop
    execute format('grant execute on function %s to service_role', v_function);
  end loop;
end;
$$;

-- Closed to everyone but its owner, like every act_ function (see 0003).
revoke execute on function act_grant_service_role() from public;
do $$
declare
  v_role text;
begin
  foreach v_role in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = v_role) then
      execute format('revoke execute on function act_grant_service_role() from %I', v_role);
    end if;
  end loop;
end;
$$;

select act_grant_service_role();
