-- @act/sink-supabase, optional: tenant access for dashboard users.
--
-- NOT applied by default. Apply it with migrate({ tenantAccess: true }) or
-- `act migrate --tenant-access`; like the package's own migrations it runs
-- with the chosen schema first on the search_path.
--
-- What it does, on Supabase (Auth and its API roles):
-- - act_user_sources maps a Supabase Auth user to the (source, tenant) pairs
--   they may read. Only the owner and service_role write it; a signed-in user
--   reads their own mappings and nothing else.
-- - act_can_read(source, tenant): is the calling user (auth.uid()) mapped?
-- - Row level security so the `authenticated` role SELECTs only mapped rows
--   of act_integration_events and, through the security_invoker views, of
--   act_source_health and act_freshness. Those views read a few columns of
--   act_deliveries and act_cursors, so `authenticated` gets exactly those
--   columns (never a delivery's body, headers or a cursor's value), filtered
--   the same way.
-- - act_enable_tenant_rls(table, source, tenant_column) does the same for one
--   connector mirror table; call it once per mirror table, after the
--   connector's migrations, e.g.
--     select act_enable_tenant_rls('template_records', 'template', 'account_id');
-- `anon` gets nothing. `service_role` has BYPASSRLS on Supabase and reads
-- everything, as does the owner the sink writes as.
--
-- Needs Supabase's roles (anon, authenticated, service_role) and auth.uid().
-- Never edit this file once applied: add a new optional migration instead.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon')
    or not exists (select 1 from pg_roles where rolname = 'authenticated')
    or not exists (select 1 from pg_roles where rolname = 'service_role')
    or to_regprocedure('auth.uid()') is null then
    raise exception using errcode = '42704',
      message = 'tenant access needs Supabase Auth: the roles anon, authenticated and service_role, and the function auth.uid()',
      hint = 'apply it to a Supabase database; on another Postgres, create those roles and auth.uid() first';
  end if;
end;
$$;

-- Who may read which tenant of which source.
create table if not exists act_user_sources (
  user_id uuid not null,
  source text not null,
  tenant text not null,
  primary key (user_id, source, tenant)
);

-- Is the signed-in user mapped to (p_source, p_tenant)? Security definer, so
-- policies can use it without `authenticated` reading act_user_sources. Its
-- search_path is pinned below (pg_catalog, this schema, pg_temp last).
create or replace function act_can_read(p_source text, p_tenant text)
returns boolean
language sql stable security definer
as $$
  select exists (
    select 1 from act_user_sources u
    where u.user_id = auth.uid() and u.source = p_source and u.tenant = p_tenant
  );
$$;

-- Row level security on one connector mirror table: `authenticated` may
-- SELECT the rows whose tenant column names a tenant of p_source they are
-- mapped to (policy act_tenant_read), and nothing else (no write policy: add
-- your own, e.g. an UPDATE policy using act_can_read for a locally managed
-- column). TRUNCATE, which row level security does not cover, is revoked
-- from anon and authenticated. Idempotent: calling it again replaces the policy.
create or replace function act_enable_tenant_rls(p_table regclass, p_source text, p_tenant_column name)
returns void
language plpgsql volatile
set search_path from current
as $$
begin
  if p_table is null or p_source is null or p_tenant_column is null then
    raise exception using errcode = '22023',
      message = 'act_enable_tenant_rls needs a table, a source and the name of the table''s tenant column';
  end if;
  if not exists (
    select 1 from pg_attribute a
    where a.attrelid = p_table and a.attname = p_tenant_column and a.attnum > 0 and not a.attisdropped
  ) then
    raise exception using errcode = '42703',
      message = format('act_enable_tenant_rls: table %s has no column %I', p_table, p_tenant_column);
  end if;
  execute format('alter table %s enable row level security', p_table);
  execute format('drop policy if exists act_tenant_read on %s', p_table);
  execute format(
    'create policy act_tenant_read on %s for select to authenticated using (%I.act_can_read(%L, %I::text))',
    p_table, current_schema(), p_source, p_tenant_column
  );
  execute format('grant select on %s to authenticated', p_table);
  execute format('revoke truncate on %s from anon, authenticated', p_table);
end;
$$;

alter table act_user_sources enable row level security;
alter table act_integration_events enable row level security;
alter table act_deliveries enable row level security;
alter table act_cursors enable row level security;
alter view act_source_health set (security_invoker = true);
alter view act_freshness set (security_invoker = true);

drop policy if exists act_user_sources_own on act_user_sources;
create policy act_user_sources_own on act_user_sources
  for select to authenticated using (user_id = (select auth.uid()));
drop policy if exists act_tenant_read on act_integration_events;
create policy act_tenant_read on act_integration_events
  for select to authenticated using (act_can_read(source, tenant));
drop policy if exists act_tenant_read on act_deliveries;
create policy act_tenant_read on act_deliveries
  for select to authenticated using (act_can_read(source, tenant));
drop policy if exists act_tenant_read on act_cursors;
create policy act_tenant_read on act_cursors
  for select to authenticated using (act_can_read(source, tenant));

-- Privileges. Supabase's default privileges grant every new table and
-- function to anon and authenticated: take them back, then grant exactly
-- what the policies filter.
revoke all on act_user_sources from public, anon, authenticated;
grant select on act_user_sources to authenticated;
grant select, insert, update, delete on act_user_sources to service_role;
grant select on act_integration_events to authenticated;
grant select (source, tenant, status, received_at) on act_deliveries to authenticated;
grant select (source, tenant, updated_at) on act_cursors to authenticated;
grant select on act_source_health, act_freshness to authenticated;
grant execute on function act_health(timestamptz) to authenticated;
revoke execute on function act_can_read(text, text) from public, anon;
grant execute on function act_can_read(text, text) to authenticated, service_role;
revoke execute on function act_enable_tenant_rls(regclass, text, name) from public, anon, authenticated, service_role;

do $$
begin
  execute format('alter function act_can_read(text, text) set search_path = pg_catalog, %I, pg_temp', current_schema());
  execute format('grant usage on schema %I to authenticated, service_role', current_schema());
end;
$$;
