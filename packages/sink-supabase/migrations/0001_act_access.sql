-- @act/sink-supabase 0001: access. Who may call and read the act_ objects.
--
-- The baseline is one file per concern: 0001 access, 0002 the queue (inbox,
-- claim, completion, conflicts), 0003 the sink (act_sink_apply, cursors, the
-- scan), 0004 credentials, 0005 rate limits, 0006 the event log and its live
-- feed, 0007 health figures, 0008 retention, 0009 connectors' objects. Each
-- function is defined once, beside its documentation.
--
-- Applied by migrate() (or `act migrate`) with search_path set to the chosen
-- schema (default public), so no name here is schema-qualified. Every name
-- starts with act_. Never edit an applied migration: add a new file.
--
-- On Supabase, tables, views and functions in an exposed schema are
-- reachable through PostgREST with the anon key (Supabase's default
-- privileges grant every new object to anon and authenticated). Every act_
-- object is therefore closed to anon and authenticated (service_role and the
-- owner keep access) by act_restrict_api_roles(), which every file calls for
-- the objects it creates. Nothing changes on a Postgres without those roles.

-- Close tables, views and functions of this schema to Supabase's API roles:
-- row level security on each table (where the role anon exists), every
-- privilege of anon and authenticated revoked on each relation, and EXECUTE
-- on every function named in p_functions (all overloads, in this schema)
-- revoked from PUBLIC, anon and authenticated and granted to service_role.
-- Relations that do not exist are skipped; roles that do not exist are
-- ignored, so on a plain Postgres it only revokes EXECUTE from PUBLIC.
-- Idempotent. Connectors' objects are closed by act_secure_source (0009).
create or replace function act_restrict_api_roles(
  p_relations text[] default '{}',
  p_functions text[] default '{}'
)
returns void
language plpgsql volatile
set search_path from current
as $$
declare
  v_roles text[] := array(select r.rolname::text from pg_roles r where r.rolname in ('anon', 'authenticated') order by 1);
  v_role text;
  v_name text;
  v_object regclass;
  v_function regprocedure;
begin
  foreach v_name in array coalesce(p_relations, '{}') loop
    v_object := to_regclass(quote_ident(v_name));
    continue when v_object is null;
    if 'anon' = any (v_roles) and (select c.relkind from pg_class c where c.oid = v_object) in ('r', 'p') then
      execute format('alter table %s enable row level security', v_object);
    end if;
    foreach v_role in array v_roles loop
      execute format('revoke all on %s from %I', v_object, v_role);
    end loop;
  end loop;
  for v_function in
    select p.oid::regprocedure from pg_proc p
    where p.pronamespace = current_schema()::regnamespace and p.proname = any (coalesce(p_functions, '{}'))
    order by p.oid
  loop
    execute format('revoke execute on function %s from public', v_function);
    foreach v_role in array v_roles loop
      execute format('revoke execute on function %s from %I', v_function, v_role);
    end loop;
    if exists (select 1 from pg_roles where rolname = 'service_role') then
      execute format('grant execute on function %s to service_role', v_function);
    end if;
  end loop;
end;
$$;

-- What the supabase-js driver needs, which calls the act_ functions through
-- PostgREST `rpc` as Supabase's `service_role`.
--
-- Every store, sink and rate-limit operation is one function call, so one
-- PostgREST request is one transaction: no wrapper functions needed. What a
-- schema of your own lacks is access: the act_ functions run as the caller
-- (security invoker), and Supabase grants `service_role` the tables,
-- sequences and functions of `public` by default, but nothing in a schema
-- you create (`{ schema: 'act' }`). act_grant_service_role() grants what is
-- missing, and only that, so nothing changes where Supabase's defaults
-- already apply; it also makes the tables the migrating role creates in the
-- schema later (connectors' mirror tables) granted to service_role. anon and
-- authenticated get nothing. Without a service_role role it does nothing.
-- The schema must still be exposed to the Data API (Project Settings → API →
-- Exposed schemas), which SQL cannot do. Every file that creates a table
-- calls it.

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

-- The bookkeeping table migrate() creates before any migration, and these two functions.
select act_restrict_api_roles(
  array['act_migrations'],
  array['act_restrict_api_roles', 'act_grant_service_role']
);

select act_grant_service_role();
