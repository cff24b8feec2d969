-- @act/sink-supabase 0009: connectors' tables and views closed by default,
-- opened to app users one connector at a time.
--
-- Supabase grants every table, view and sequence the migrating role creates
-- in its API schemas to anon and authenticated (default privileges), and its
-- Data API serves them to anyone holding the public anon key. The act_
-- objects are closed by act_restrict_api_roles (0001); a connector's mirror
-- tables would not be, and contacts, emails and invoices would be readable
-- and writable with the anon key. So:
--
-- - Every table, view, materialized view, foreign table and sequence of this
--   schema named `<source>_…` belongs to that connector (migrate() refuses a
--   connector migration that creates one named otherwise, so none escapes).
-- - act_secure_source(source, tenant_column) closes them: row level security
--   on tables (always, with or without Supabase's roles: the owner and
--   BYPASSRLS roles such as service_role are not subject to it), views
--   security_invoker (they read with the caller's rights and policies, never
--   around them), and every privilege of PUBLIC, anon and authenticated
--   revoked. Then, for a source opened with act_grant_tenant_access, it
--   applies the tenant policy again, to every table, including ones a newer
--   connector version added. migrate() runs it in the migration transaction
--   for every connector it is given and every connector recorded earlier in
--   act_source_access, on every run: a new object is never visible open.
-- - act_grant_tenant_access(source [, tenant_column]) is the one explicit
--   call that opens a connector's rows to signed-in app users: SELECT for
--   `authenticated` on each of its tables through the policy act_tenant_read
--   (the row's tenant column must name a tenant of that source the user is
--   mapped to in act_user_sources: act_can_read), and on its views, which
--   filter through those tables' policies. No write policies: app users never
--   write the mirror. anon gets nothing, ever. It needs the optional
--   tenant-access migration (act_user_sources, act_can_read).
--
-- migrate() and `act migrate` manage anon's and authenticated's privileges on
-- connector objects: grant to roles of your own, or add policies, instead.
-- Never edit this file once applied: add a new migration instead.

-- One row per connector migrate() (or act_secure_source) has seen.
create table if not exists act_source_access (
  source text primary key,
  -- The column of the source's mirror tables that holds the tenant (ghl: location_id).
  tenant_column name,
  -- Opened to signed-in app users by act_grant_tenant_access.
  tenant_access boolean not null default false,
  updated_at timestamptz not null default now()
);

-- The connector's objects: relations of this schema named `<source>_…` (never act_…).
create or replace function act_source_objects(p_source text)
returns table (object regclass, kind "char")
language sql stable
set search_path from current
as $$
  select c.oid::regclass, c.relkind
  from pg_class c
  where c.relnamespace = (select n.oid from pg_namespace n where n.nspname = current_schema())
    and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
    and starts_with(c.relname, p_source || '_')
    and not starts_with(c.relname, 'act_')
  order by c.relname;
$$;

-- Close one connector's objects, then re-open them to app users if the source
-- was opened. Returns what each object is now: `closed`, `tenant read` (the
-- act_tenant_read policy) or why it stayed closed. Idempotent.
create or replace function act_secure_source(p_source text, p_tenant_column name default null)
returns table (object text, access text)
language plpgsql volatile
set search_path from current
as $$
declare
  v_object regclass;
  v_kind "char";
  v_role text;
  v_target text;
  v_open boolean;
  v_column name;
  v_has_column boolean;
begin
  if p_source is null or p_source !~ '^[a-z][a-z0-9_]*$' or p_source = 'act' then
    raise exception using errcode = '22023',
      message = format('act_secure_source: %L is not a connector source id (lower-case letters, digits, _)', p_source);
  end if;
  -- A source first seen here whose tables already carry act_tenant_read (from
  -- act_enable_tenant_rls, before this migration) stays open to its users.
  insert into act_source_access (source, tenant_column, tenant_access)
  values (
    p_source,
    p_tenant_column,
    exists (
      select 1 from pg_policy p join act_source_objects(p_source) o on o.object = p.polrelid
      where p.polname = 'act_tenant_read'
    )
  )
  on conflict (source) do update
    set tenant_column = coalesce(excluded.tenant_column, act_source_access.tenant_column), updated_at = now();
  select a.tenant_access, a.tenant_column into v_open, v_column from act_source_access a where a.source = p_source;
  if v_open and (v_column is null or to_regprocedure(format('%I.act_can_read(text, text)', current_schema())) is null) then
    raise exception using errcode = '55000',
      message = format('act_secure_source: source %s is open to app users, but %s', p_source,
        case when v_column is null then 'its tenant column is not known'
          else 'the tenant-access migration (act_can_read) is missing' end);
  end if;

  for v_object, v_kind in select o.object, o.kind from act_source_objects(p_source) o loop
    v_target := case when v_kind = 'S' then 'sequence ' else '' end || v_object::text;
    if v_kind in ('r', 'p') then
      execute format('alter table %s enable row level security', v_object);
    elsif v_kind = 'v' then
      execute format('alter view %s set (security_invoker = true)', v_object);
    end if;
    execute format('revoke all on %s from public', v_target);
    foreach v_role in array array['anon', 'authenticated'] loop
      if exists (select 1 from pg_roles where rolname = v_role) then
        execute format('revoke all on %s from %I', v_target, v_role);
      end if;
    end loop;

    object := v_object::text;
    access := 'closed';
    if v_open then
      if v_kind in ('r', 'p') then
        v_has_column := exists (
          select 1 from pg_attribute a
          where a.attrelid = v_object and a.attname = v_column and a.attnum > 0 and not a.attisdropped
        );
        execute format('drop policy if exists act_tenant_read on %s', v_object);
        if v_has_column then
          execute format(
            'create policy act_tenant_read on %s for select to authenticated using (%I.act_can_read(%L, %I::text))',
            v_object, current_schema(), p_source, v_column
          );
          execute format('grant select on %s to authenticated', v_object);
          access := 'tenant read';
        else
          access := format('closed: no %s column', v_column);
        end if;
      elsif v_kind = 'v' then
        -- security_invoker: the view shows a user only what the tables' policies let them read.
        execute format('grant select on %s to authenticated', v_object);
        access := 'tenant read (through its tables)';
      elsif v_kind = 'm' then
        access := 'closed: a materialized view has no row level security';
      end if;
    end if;
    return next;
  end loop;
end;
$$;

-- The one call that opens a connector's mirror to signed-in app users, per
-- tenant (see the top of this file). Recorded in act_source_access, so every
-- later migrate() applies it to the tables newer connector versions add.
create or replace function act_grant_tenant_access(p_source text, p_tenant_column name default null)
returns table (object text, access text)
language plpgsql volatile
set search_path from current
as $$
declare
  v_column name;
begin
  if to_regprocedure(format('%I.act_can_read(text, text)', current_schema())) is null then
    raise exception using errcode = '55000',
      message = 'act_grant_tenant_access needs the tenant-access migration (act_user_sources, act_can_read)',
      hint = 'apply it first: migrate({ tenantAccess: true }) or `act migrate --tenant-access`';
  end if;
  select a.tenant_column into v_column from act_source_access a where a.source = p_source;
  v_column := coalesce(p_tenant_column, v_column);
  if v_column is null then
    raise exception using errcode = '22023',
      message = format('act_grant_tenant_access: the tenant column of source %s is not known', p_source),
      hint = format('name it: select * from act_grant_tenant_access(%L, ''<tenant column>'')', p_source);
  end if;
  -- Validates p_source and records it; the second call opens with the tenant column set.
  perform act_secure_source(p_source, v_column);
  update act_source_access set tenant_access = true, updated_at = now() where source = p_source;
  return query select * from act_secure_source(p_source, v_column);
end;
$$;

-- Closed to anon and authenticated (see 0001): only the owner and service_role.
select act_restrict_api_roles(
  array['act_source_access'],
  array['act_source_objects', 'act_secure_source', 'act_grant_tenant_access']
);

-- In a schema of your own, grant service_role what it lacks (see 0001).
select act_grant_service_role();
