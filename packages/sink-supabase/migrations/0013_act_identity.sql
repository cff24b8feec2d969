-- @act/sink-supabase 0013: cross-source identity, and counters as facts.
--
-- Identity. The same person is a GHL contact, a Xero contact, a Gmail
-- sender. Connectors register the mirror tables that carry identities
-- (act_identity_register, from their own migrations); a trigger on each
-- keeps act_identities in step with the rows in the transaction that writes
-- them (act_sink_apply on every driver, a reconciliation, a manual update),
-- so there is no second pipeline to fall behind or double-apply:
--
--   act_identities (source, tenant, entity, record_id, kind, value)
--     kind 'email' (trimmed, lower case), 'phone' (E.164, as the
--     connectors' phone() columns write it) or 'id' ('<namespace>:<id>', a
--     provider id one source keeps of another's record).
--
-- A tombstoned row (_deleted_at set), a row the registration's filter
-- excludes (Xero's archived contacts) and a deleted row have no identities.
--
-- Matching (act_identity_links, act_identity_matches): records of different
-- sources with the same kind and value are linked. A value held by more than
-- one record of the same source and entity is a conflict
-- (act_identity_conflicts): it links nothing, whichever record is "right" is
-- for a person to decide, never guessed. Links and conflicts are views over
-- act_identities: nothing to recompute, nothing to drift.
--
-- Tenants. A deployment may hold several teams: a team's GHL location and its
-- Xero organisation are different tenants of different sources. Matching
-- happens within a tenant group: act_identity_tenant_groups maps
-- (source, tenant) to a group name; tenants not mapped are in the group
-- 'default'. One team: map nothing. Several: map each team's tenants to a
-- group of its own (act_identity_set_tenant_group), so one team's customer is
-- never linked to another team's.
--
-- Counters. A counter kept as `n = n + 1` double-counts under at-least-once
-- delivery. Instead each counted event is a row of a fact table (a mirror
-- table keyed by the event's identity: applied twice, one row; connector-kit
-- factTable), and act_fact_views makes the per-day and month-to-date figures
-- views over it, so they are always recomputed from the facts.

create table if not exists act_identity_sources (
  -- The mirror table (in this schema).
  table_name text primary key,
  source text not null,
  entity text not null,
  tenant_column name not null,
  id_column name not null,
  email_columns name[] not null default '{}',
  phone_columns name[] not null default '{}',
  -- Provider-id columns: { "<column>": "<namespace>" }; the value is '<namespace>:<column value>'.
  id_columns jsonb not null default '{}',
  -- A boolean SQL expression over the row's columns: rows where it is not true have no identities.
  row_filter text,
  -- The statement the triggers run (built by act_identity_register from the columns above).
  sync_sql text not null,
  updated_at timestamptz not null default now()
);

create table if not exists act_identities (
  source text not null,
  tenant text not null,
  entity text not null,
  record_id text not null,
  kind text not null check (kind in ('email', 'phone', 'id')),
  value text not null,
  updated_at timestamptz not null default now(),
  -- A record's identities (the trigger and act_identity_matches read them by record).
  primary key (source, tenant, record_id, entity, kind, value)
);
-- Matching looks records up by value.
create index if not exists act_identities_value_idx on act_identities (kind, value);

create table if not exists act_identity_tenant_groups (
  source text not null,
  tenant text not null,
  tenant_group text not null,
  primary key (source, tenant)
);

-- Put (source, tenant) in a group (null: back to 'default').
create or replace function act_identity_set_tenant_group(p_source text, p_tenant text, p_group text)
returns void
language sql volatile
set search_path from current
as $$
  delete from act_identity_tenant_groups where source = p_source and tenant = p_tenant and p_group is null;
  insert into act_identity_tenant_groups (source, tenant, tenant_group)
  select p_source, p_tenant, p_group where p_group is not null
  on conflict (source, tenant) do update set tenant_group = excluded.tenant_group;
$$;

-- The statement that makes act_identities hold exactly the identities of the
-- rows of p_rows (a transition table, or the mirror table itself), for the
-- keys present there; $1 is the time. Identities of those keys no longer
-- wanted are deleted and missing ones inserted, so rows whose identities did
-- not change (a version bump, an edit of another column) write nothing.
create or replace function act_identity_sync_sql(p_table text, p_rows text)
returns text
language plpgsql stable
set search_path from current
as $$
declare
  s act_identity_sources;
  v_values text[] := '{}';
  v_column text;
  v_namespace text;
begin
  select * into s from act_identity_sources where table_name = p_table;
  if not found then
    raise exception using errcode = '22023', message = format('act_identity: table %s is not registered', p_table);
  end if;
  foreach v_column in array s.email_columns loop
    v_values := v_values || format('(''email'', lower(nullif(btrim(r.%I::text), '''')))', v_column);
  end loop;
  foreach v_column in array s.phone_columns loop
    v_values := v_values || format('(''phone'', nullif(btrim(r.%I::text), ''''))', v_column);
  end loop;
  for v_column, v_namespace in select e.key, e.value from jsonb_each_text(s.id_columns) as e order by e.key loop
    v_values := v_values || format('(''id'', %L || '':'' || nullif(btrim(r.%I::text), ''''))', v_namespace, v_column);
  end loop;
  if cardinality(v_values) = 0 then
    v_values := array['(null::text, null::text)'];
  end if;
  return format(
    $sql$
    with wanted as (
      select distinct r.%1$I::text as tenant, r.%2$I::text as record_id, v.act_kind, v.act_value
      from %3$s r
      cross join lateral (values %4$s) as v(act_kind, act_value)
      where v.act_value is not null and r._deleted_at is null and coalesce((%5$s), false)
    ),
    removed as (
      delete from act_identities i
      using (select distinct r.%1$I::text as tenant, r.%2$I::text as record_id from %3$s r) k
      where i.source = %6$L and i.entity = %7$L and i.tenant = k.tenant and i.record_id = k.record_id
        and not exists (
          select 1 from wanted w
          where w.tenant = i.tenant and w.record_id = i.record_id and w.act_kind = i.kind and w.act_value = i.value
        )
      returning 1
    )
    insert into act_identities (source, tenant, entity, record_id, kind, value, updated_at)
    select %6$L, w.tenant, %7$L, w.record_id, w.act_kind, w.act_value, $1
    from wanted w
    on conflict (source, tenant, record_id, entity, kind, value) do nothing
    $sql$,
    s.tenant_column, s.id_column, p_rows, array_to_string(v_values, ', '),
    coalesce(nullif(btrim(s.row_filter), ''), 'true'), s.source, s.entity
  );
end;
$$;

-- The triggers: statement-level, over the transition tables, so a batch the
-- sink writes in one statement is one statement here too. They run as the
-- writer (the owner or service_role, who write the mirror), never as a
-- definer: the statement they run is read from act_identity_sources, and
-- running it with more rights than the writer's would let anyone who can
-- edit that table act as its owner. A statement that changed no row (row
-- level security let an app user's update see none) does nothing, so it
-- needs no rights on act_identities.
create or replace function act_identity_trigger()
returns trigger
language plpgsql volatile
set search_path from current
as $$
declare
  s act_identity_sources;
  v_changed boolean;
begin
  if tg_op <> 'TRUNCATE' then
    execute format('select exists (select 1 from %s)', case when tg_op = 'DELETE' then 'act_identity_old' else 'act_identity_new' end)
    into v_changed;
    if not v_changed then
      return null;
    end if;
  end if;
  select * into s from act_identity_sources where table_name = tg_table_name;
  if not found then
    return null;
  end if;
  if tg_op = 'TRUNCATE' then
    delete from act_identities where source = s.source and entity = s.entity;
    return null;
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    execute s.sync_sql using clock_timestamp();
  end if;
  if tg_op = 'DELETE' then
    execute format(
      'delete from act_identities i using act_identity_old o
       where i.source = $1 and i.entity = $2 and i.tenant = o.%I::text and i.record_id = o.%I::text',
      s.tenant_column, s.id_column
    ) using s.source, s.entity;
  elsif tg_op = 'UPDATE' then
    -- A key changed (never by the sink, which updates rows in place): the old key's identities go.
    execute format(
      'delete from act_identities i using act_identity_old o
       where i.source = $1 and i.entity = $2 and i.tenant = o.%1$I::text and i.record_id = o.%2$I::text
         and not exists (
           select 1 from act_identity_new n where n.%1$I::text = o.%1$I::text and n.%2$I::text = o.%2$I::text
         )',
      s.tenant_column, s.id_column
    ) using s.source, s.entity;
  end if;
  return null;
end;
$$;

-- Register a mirror table: record it, install its triggers, and fill
-- act_identities from the rows it already holds. Idempotent: calling it again
-- (from a newer connector migration) replaces the registration and refills.
--   p_email_columns, p_phone_columns: columns holding a normalised email / E.164 phone
--   p_id_columns: { "<column>": "<namespace>" } for provider ids of other sources' records
--   p_row_filter: a boolean SQL expression over the row; rows where it is not
--     true have no identities (`contact_status is distinct from 'ARCHIVED'`)
create or replace function act_identity_register(
  p_table text,
  p_source text,
  p_entity text,
  p_tenant_column name,
  p_id_column name,
  p_email_columns name[] default '{}',
  p_phone_columns name[] default '{}',
  p_id_columns jsonb default '{}',
  p_row_filter text default null
)
returns void
language plpgsql volatile
set search_path from current
as $$
declare
  v_rel regclass := to_regclass(quote_ident(p_table));
  v_column name;
  v_sql text;
begin
  if v_rel is null then
    raise exception using errcode = '42P01', message = format('act_identity_register: no table %s in this schema', p_table);
  end if;
  if p_source is null or p_source !~ '^[a-z][a-z0-9_]*$' or p_entity is null or p_entity = '' then
    raise exception using errcode = '22023',
      message = format('act_identity_register: %L / %L is not a source id and entity', p_source, p_entity);
  end if;
  if p_id_columns is null or jsonb_typeof(p_id_columns) <> 'object' then
    raise exception using errcode = '22023', message = 'act_identity_register: p_id_columns must be a JSON object';
  end if;
  foreach v_column in array
    array[p_tenant_column, p_id_column, '_deleted_at'::name] || coalesce(p_email_columns, '{}') || coalesce(p_phone_columns, '{}')
      || array(select k::name from jsonb_object_keys(p_id_columns) k)
  loop
    if not exists (
      select 1 from pg_attribute a where a.attrelid = v_rel and a.attname = v_column and a.attnum > 0 and not a.attisdropped
    ) then
      raise exception using errcode = '42703', message = format('act_identity_register: table %s has no column %s', p_table, v_column);
    end if;
  end loop;

  insert into act_identity_sources as s (
    table_name, source, entity, tenant_column, id_column, email_columns, phone_columns, id_columns, row_filter, sync_sql, updated_at
  )
  values (
    p_table, p_source, p_entity, p_tenant_column, p_id_column, coalesce(p_email_columns, '{}'),
    coalesce(p_phone_columns, '{}'), p_id_columns, p_row_filter, '', now()
  )
  on conflict (table_name) do update set
    source = excluded.source, entity = excluded.entity, tenant_column = excluded.tenant_column,
    id_column = excluded.id_column, email_columns = excluded.email_columns, phone_columns = excluded.phone_columns,
    id_columns = excluded.id_columns, row_filter = excluded.row_filter, updated_at = excluded.updated_at;
  v_sql := act_identity_sync_sql(p_table, 'act_identity_new');
  update act_identity_sources set sync_sql = v_sql where table_name = p_table;

  execute format('drop trigger if exists act_identity_insert on %s', v_rel);
  execute format('drop trigger if exists act_identity_update on %s', v_rel);
  execute format('drop trigger if exists act_identity_delete on %s', v_rel);
  execute format('drop trigger if exists act_identity_truncate on %s', v_rel);
  execute format(
    'create trigger act_identity_insert after insert on %s referencing new table as act_identity_new
     for each statement execute function act_identity_trigger()', v_rel);
  execute format(
    'create trigger act_identity_update after update on %s
     referencing old table as act_identity_old new table as act_identity_new
     for each statement execute function act_identity_trigger()', v_rel);
  execute format(
    'create trigger act_identity_delete after delete on %s referencing old table as act_identity_old
     for each statement execute function act_identity_trigger()', v_rel);
  execute format(
    'create trigger act_identity_truncate after truncate on %s for each statement execute function act_identity_trigger()',
    v_rel);

  -- Fill from the rows already there (and drop what an earlier registration kept that this one would not).
  delete from act_identities i
  where i.source = p_source and i.entity = p_entity
    and not exists (select 1 from act_identity_sources s where s.table_name <> p_table and s.source = p_source and s.entity = p_entity);
  execute act_identity_sync_sql(p_table, v_rel::text) using now();
end;
$$;

-- Each identity with its tenant group.
create or replace view act_identity_values as
select i.source, i.tenant, i.entity, i.record_id, i.kind, i.value,
  coalesce(g.tenant_group, 'default') as tenant_group
from act_identities i
left join act_identity_tenant_groups g on g.source = i.source and g.tenant = i.tenant;

-- Values held by more than one record of the same source and entity in a
-- tenant group: they link nothing until someone resolves them upstream (merge
-- the duplicates, or fix the email) or puts the tenants in different groups.
create or replace view act_identity_conflicts as
select v.tenant_group, v.source, v.entity, v.kind, v.value,
  count(*)::integer as record_count,
  jsonb_agg(jsonb_build_object('tenant', v.tenant, 'record_id', v.record_id) order by v.tenant, v.record_id) as records
from act_identity_values v
group by v.tenant_group, v.source, v.entity, v.kind, v.value
having count(*) > 1;

-- Pairs of records of different sources that share a value no conflict holds,
-- one row per pair and rule (kind): "a" is the source that sorts first.
create or replace view act_identity_links as
with clean as (
  select v.* from act_identity_values v
  where not exists (
    select 1 from act_identity_values o
    where o.tenant_group = v.tenant_group and o.source = v.source and o.entity = v.entity
      and o.kind = v.kind and o.value = v.value and (o.tenant, o.record_id) <> (v.tenant, v.record_id)
  )
)
select a.tenant_group, a.kind as rule, a.value,
  a.source as source_a, a.tenant as tenant_a, a.entity as entity_a, a.record_id as record_id_a,
  b.source as source_b, b.tenant as tenant_b, b.entity as entity_b, b.record_id as record_id_b
from clean a
join clean b on b.tenant_group = a.tenant_group and b.kind = a.kind and b.value = a.value and b.source > a.source;

-- The records of other sources linked to one record, with the rules that
-- matched. `ambiguous`: this record is linked to more than one record of that
-- source and entity (by different rules: the email to one, the phone to
-- another); treat it as a conflict, never pick one. p_entity narrows the
-- record when its source registers several entities. The same rules as
-- act_identity_links, read through the indexes from the one record (the
-- views compute every pair).
create or replace function act_identity_matches(
  p_source text,
  p_record_id text,
  p_tenant text,
  p_entity text default null
)
returns table (
  source text,
  tenant text,
  entity text,
  record_id text,
  rules text[],
  "values" text[],
  ambiguous boolean
)
language sql stable
set search_path from current
as $$
  with me as (
    select v.* from act_identity_values v
    where v.source = p_source and v.tenant = p_tenant and v.record_id = p_record_id
      and (p_entity is null or v.entity = p_entity)
  ),
  -- My values no other record of my source and entity holds.
  mine as (
    select me.* from me
    where not exists (
      select 1 from act_identity_values x
      where x.kind = me.kind and x.value = me.value and x.tenant_group = me.tenant_group
        and x.source = me.source and x.entity = me.entity and (x.tenant, x.record_id) <> (me.tenant, me.record_id)
    )
  ),
  candidates as (
    select o.source, o.tenant, o.entity, o.record_id, o.kind, o.value,
      count(*) over (partition by o.source, o.entity, o.kind, o.value) as holders
    from mine m
    join act_identity_values o
      on o.kind = m.kind and o.value = m.value and o.tenant_group = m.tenant_group and o.source <> m.source
  ),
  grouped as (
    select c.source, c.tenant, c.entity, c.record_id,
      array_agg(distinct c.kind order by c.kind) as rules,
      array_agg(distinct c.kind || ':' || c.value order by c.kind || ':' || c.value) as "values"
    from candidates c
    where c.holders = 1
    group by c.source, c.tenant, c.entity, c.record_id
  )
  select g.source, g.tenant, g.entity, g.record_id, g.rules, g."values",
    count(*) over (partition by g.source, g.entity) > 1 as ambiguous
  from grouped g
  order by g.source, g.entity, g.tenant, g.record_id;
$$;

-- act_identity_conflicts, optionally of one source and tenant (a conflict
-- with any record of that tenant), at most p_limit.
create or replace function act_identity_list_conflicts(
  p_source text default null,
  p_tenant text default null,
  p_limit integer default 1000
)
returns setof act_identity_conflicts
language sql stable
set search_path from current
as $$
  select c.* from act_identity_conflicts c
  where (p_source is null or c.source = p_source)
    and (p_tenant is null or c.records @> jsonb_build_array(jsonb_build_object('tenant', p_tenant)))
  order by c.source, c.entity, c.kind, c.value, c.tenant_group
  limit greatest(coalesce(p_limit, 1000), 0);
$$;

-- Counters: per-day and month-to-date views over a fact table (one row per
-- counted event; see the top of this file and connector-kit's factTable):
--
--   <table>_daily: tenant, dimensions, day, events, sum of each measure, and
--     the month-to-date figures through that day (events_mtd, <measure>_mtd)
--   <table>_mtd: tenant, dimensions, month, events and sums from the start of
--     the current month to now
--
-- Days and months are calendar days in p_time_zone (default UTC: a fact at
-- 23:30 on 31 January in New York counts on 1 February). Tombstoned facts
-- (_deleted_at) do not count. Idempotent (create or replace): a connector
-- migration calls it after creating the table.
create or replace function act_fact_views(
  p_table text,
  p_time_column name,
  p_dimensions name[] default '{}',
  p_tenant_column name default null,
  p_measures name[] default '{}',
  p_time_zone text default 'UTC'
)
returns void
language plpgsql volatile
set search_path from current
as $$
declare
  v_rel regclass := to_regclass(quote_ident(p_table));
  v_group text[] := '{}';
  v_column name;
  v_sums text := '';
  v_mtd text := '';
  v_group_list text;
  v_partition text;
begin
  if v_rel is null then
    raise exception using errcode = '42P01', message = format('act_fact_views: no table %s in this schema', p_table);
  end if;
  -- Refused here, not when the view is first read.
  perform now() at time zone p_time_zone;
  foreach v_column in array
    array[p_time_column, '_deleted_at'::name] || (case when p_tenant_column is null then '{}'::name[] else array[p_tenant_column] end)
      || coalesce(p_dimensions, '{}') || coalesce(p_measures, '{}')
  loop
    if not exists (
      select 1 from pg_attribute a where a.attrelid = v_rel and a.attname = v_column and a.attnum > 0 and not a.attisdropped
    ) then
      raise exception using errcode = '42703', message = format('act_fact_views: table %s has no column %s', p_table, v_column);
    end if;
  end loop;
  if p_tenant_column is not null then
    v_group := array[format('%I', p_tenant_column)];
  end if;
  foreach v_column in array coalesce(p_dimensions, '{}') loop
    v_group := v_group || format('%I', v_column);
  end loop;
  foreach v_column in array coalesce(p_measures, '{}') loop
    v_sums := v_sums || format(', sum(%1$I) as %1$I', v_column);
    v_mtd := v_mtd || format(', sum(%1$I) over w as %2$I', v_column, v_column || '_mtd');
  end loop;
  v_group_list := array_to_string(v_group, ', ');
  v_partition := array_to_string(v_group || array['date_trunc(''month'', d.day::timestamp)'], ', ');

  execute format(
    $sql$
    create or replace view %1$I as
    select d.*, (sum(d.events) over w)::bigint as events_mtd %2$s
    from (
      select %3$s (%4$I at time zone %5$L)::date as day, count(*)::bigint as events %6$s
      from %7$s
      where _deleted_at is null and %4$I is not null
      group by %3$s (%4$I at time zone %5$L)::date
    ) d
    window w as (partition by %8$s order by d.day)
    $sql$,
    p_table || '_daily', v_mtd, case when v_group_list = '' then '' else v_group_list || ',' end,
    p_time_column, p_time_zone, v_sums, v_rel, v_partition
  );
  execute format(
    $sql$
    create or replace view %1$I as
    select %2$s date_trunc('month', now() at time zone %3$L)::date as month, count(*)::bigint as events %4$s
    from %5$s
    where _deleted_at is null
      and %6$I >= date_trunc('month', now() at time zone %3$L) at time zone %3$L
      and %6$I <= now()
    group by %7$s
    $sql$,
    p_table || '_mtd', case when v_group_list = '' then '' else v_group_list || ',' end, p_time_zone, v_sums, v_rel,
    p_time_column, case when v_group_list = '' then '()' else v_group_list end
  );
end;
$$;

-- Closed to anon and authenticated (see 0001): only the owner and service_role.
-- The fact views a connector creates are `<source>_…` and closed with its tables (0009).
select act_restrict_api_roles(
  array[
    'act_identity_sources', 'act_identities', 'act_identity_tenant_groups', 'act_identity_values',
    'act_identity_conflicts', 'act_identity_links'
  ],
  array[
    'act_identity_set_tenant_group', 'act_identity_sync_sql', 'act_identity_trigger', 'act_identity_register',
    'act_identity_matches', 'act_identity_list_conflicts', 'act_fact_views'
  ]
);

-- In a schema of your own, grant service_role what it lacks (see 0001).
select act_grant_service_role();
