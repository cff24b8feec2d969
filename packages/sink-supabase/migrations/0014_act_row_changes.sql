-- @act/sink-supabase 0014: row-level change events for chosen mirror tables.
--
-- The integration events of 0006 say "entity c_9 of tenant loc_1 was
-- updated"; an app patching a view needs which row (its key) and which
-- columns changed. act_publish_row_changes(table) installs statement-level
-- triggers on one mirror table that publish, per changed row, one small JSON
-- message:
--
--   {"table":"ghl_contacts","source":"ghl","tenant":"loc_1","op":"UPDATE",
--    "key":{"id":"c_9","location_id":"loc_1"},"changed":["email","name"]}
--
-- - op: INSERT (a new row, or a tombstone brought back), UPDATE (a value
--   changed), DELETE (a tombstone set by the sink's delete, a tombstone
--   inserted for a key not seen yet, or a row removed outright). A change of
--   the key itself is a DELETE of the old key and an INSERT of the new one.
-- - changed: the columns whose value differs (INSERT: every column; DELETE:
--   none). The sink's bookkeeping columns (_version, _payload_hash,
--   _deleted_at, _synced_at, _version_order) never count: a re-apply that only
--   bumps the version or the sync time publishes nothing, nor does any write
--   to a row that stays tombstoned.
-- - values: none by default, so no contact's email or name travels on the
--   bus unless chosen. p_values names the columns whose values may: `new`
--   then holds them as they are now (INSERT, UPDATE), `old` as they were
--   (UPDATE: the changed ones only; DELETE: all of them). array['*'] means
--   every column but the bookkeeping ones.
--
-- Where it goes, like 0006's events:
-- - everywhere (Postgres, Supabase, PGlite): NOTIFY on the schema's channel,
--   `act_rows` in schema public, `act_rows:<schema>` in any other
--   (`act_rows:<md5 of the schema>` past the 63-byte limit on channel names);
--   act_row_changes_channel() says which. Delivered on commit, in commit
--   order, never for a transaction that rolled back.
-- - on Supabase, where realtime.send() exists: a private Realtime broadcast,
--   event `act_row`, on the tenant's topic `act:<source>:<tenant>:rows`
--   (Broadcast from the database, https://supabase.com/docs/guides/realtime/broadcast).
--   Who may receive it is decided by RLS policies on realtime.messages; the
--   optional realtime-access migration ships them
--   (https://supabase.com/docs/guides/realtime/authorization).
--
-- Realtime's own realtime.broadcast_changes() is not used: it sends the whole
-- old and new record, which is exactly what must stay off the bus by default.
-- Nor is the supabase_realtime publication (`postgres_changes`): it too sends
-- whole rows, every bookkeeping-only write included, and checks each change
-- against each subscriber's RLS.
--
-- A message is at most about 7 KB, under NOTIFY's 8000-byte limit: when the
-- values do not fit they are left out (`"truncated": true`: read the row by
-- its key); when even the key does not, only table, source, tenant and op
-- remain. `set act.notify = 'off'` silences these too.
-- Never edit this file once applied: add a new migration instead.

-- The NOTIFY channel of the row changes published in this schema.
create or replace function act_row_changes_channel()
returns text
language sql stable
set search_path from current
as $$
  select case
    when current_schema() = 'public' then 'act_rows'
    when octet_length('act_rows:' || current_schema()) <= 63 then 'act_rows:' || current_schema()
    else 'act_rows:' || md5(current_schema())
  end;
$$;

-- The key columns of a row (a row as jsonb), as one jsonb object.
create or replace function act_row_key(p_row jsonb, p_key text[])
returns jsonb
language sql immutable
set search_path from current
as $$
  select jsonb_object_agg(k, p_row -> k) from unnest(p_key) k;
$$;

-- The message for one row's change, or null when there is nothing to say
-- (only bookkeeping changed, or the row was and stays tombstoned). p_old and
-- p_new are the row before and after (to_jsonb), null for an insert or delete.
-- p_values: the columns whose values may be sent ('{}' none, '{*}' all).
create or replace function act_row_change(
  p_table text,
  p_source text,
  p_tenant_column text,
  p_key text[],
  p_values text[],
  p_old jsonb,
  p_new jsonb
)
returns jsonb
language plpgsql immutable
set search_path from current
as $$
declare
  c_bookkeeping constant text[] := array['_version', '_payload_hash', '_deleted_at', '_synced_at', '_version_order'];
  c_max_payload_bytes constant integer := 7000;
  v_old_live boolean := p_old is not null and p_old ->> '_deleted_at' is null;
  v_new_live boolean := p_new is not null and p_new ->> '_deleted_at' is null;
  v_row jsonb := coalesce(p_new, p_old);
  v_op text;
  v_changed text[];
  v_payload jsonb;
  v_all_values boolean := '*' = any (p_values);
begin
  if v_new_live and not v_old_live then
    v_op := 'INSERT';
  elsif v_old_live and not v_new_live then
    v_op := 'DELETE';
  elsif v_old_live then
    v_op := 'UPDATE';
  elsif p_old is null and p_new is not null then
    -- A delete that reached the mirror before the row: a client may hold an
    -- optimistic copy of that key.
    v_op := 'DELETE';
  else
    return null;
  end if;

  if v_op = 'INSERT' then
    select coalesce(array_agg(e.key order by e.key), '{}') into v_changed
    from jsonb_each(p_new) e where e.key <> all (c_bookkeeping);
  elsif v_op = 'UPDATE' then
    select coalesce(array_agg(e.key order by e.key), '{}') into v_changed
    from jsonb_each(p_new) e
    where e.key <> all (c_bookkeeping) and (p_old -> e.key) is distinct from e.value;
    if cardinality(v_changed) = 0 then
      return null;
    end if;
  else
    v_changed := '{}';
  end if;

  v_payload := jsonb_build_object(
    'table', p_table,
    'source', p_source,
    'op', v_op,
    'key', act_row_key(v_row, p_key),
    'changed', to_jsonb(v_changed)
  ) || jsonb_strip_nulls(jsonb_build_object('tenant', v_row ->> p_tenant_column));

  if cardinality(p_values) > 0 then
    if v_op in ('INSERT', 'UPDATE') then
      v_payload := v_payload || jsonb_build_object('new', (
        select coalesce(jsonb_object_agg(e.key, e.value), '{}') from jsonb_each(p_new) e
        where e.key <> all (c_bookkeeping) and (v_all_values or e.key = any (p_values))
      ));
    end if;
    if v_op = 'UPDATE' or (v_op = 'DELETE' and v_old_live) then
      v_payload := v_payload || jsonb_build_object('old', (
        select coalesce(jsonb_object_agg(e.key, e.value), '{}') from jsonb_each(p_old) e
        where e.key <> all (c_bookkeeping) and (v_all_values or e.key = any (p_values))
          and (v_op = 'DELETE' or e.key = any (v_changed))
      ));
    end if;
  end if;

  if octet_length(v_payload::text) > c_max_payload_bytes then
    v_payload := (v_payload - 'new' - 'old') || jsonb_build_object('truncated', true);
  end if;
  if octet_length(v_payload::text) > c_max_payload_bytes then
    -- 200 characters are at most 800 bytes (1,200 escaped) each.
    v_payload := jsonb_build_object('table', p_table, 'source', p_source, 'op', v_op, 'truncated', true)
      || jsonb_strip_nulls(jsonb_build_object('tenant', left(v_row ->> p_tenant_column, 200)));
  end if;
  return v_payload;
end;
$$;

-- The trigger function of all three triggers act_publish_row_changes creates
-- (statement-level, with transition tables: a sink batch of 500 rows is one
-- call, and the Realtime broadcasts of a statement share one subtransaction).
-- Arguments: source, tenant column, key columns, columns whose values may be
-- sent. Security definer (search_path pinned below), so that a write by any
-- role that may write the table publishes the same message, through helper
-- functions that role may not call.
create or replace function act_row_changes_notify()
returns trigger
language plpgsql volatile security definer
as $$
declare
  v_source text := TG_ARGV[0];
  v_tenant_column text := TG_ARGV[1];
  v_key text[] := TG_ARGV[2]::text[];
  v_values text[] := TG_ARGV[3]::text[];
  v_old jsonb;
  v_new jsonb;
  v_payload jsonb;
  v_payloads jsonb[] := '{}';
  v_channel text;
begin
  if coalesce(current_setting('act.notify', true), '') = 'off' then
    return null;
  end if;
  if TG_OP = 'INSERT' then
    for v_new in select to_jsonb(n) from act_new_rows n loop
      v_payloads := v_payloads || act_row_change(TG_TABLE_NAME, v_source, v_tenant_column, v_key, v_values, null, v_new);
    end loop;
  elsif TG_OP = 'DELETE' then
    for v_old in select to_jsonb(o) from act_old_rows o loop
      v_payloads := v_payloads || act_row_change(TG_TABLE_NAME, v_source, v_tenant_column, v_key, v_values, v_old, null);
    end loop;
  else
    -- Before and after paired by key; an unpaired one is a key that changed.
    for v_old, v_new in
      select o.j, n.j
      from (select to_jsonb(x) as j from act_old_rows x) o
      full join (select to_jsonb(y) as j from act_new_rows y) n
        on act_row_key(o.j, v_key) = act_row_key(n.j, v_key)
    loop
      v_payloads := v_payloads || act_row_change(TG_TABLE_NAME, v_source, v_tenant_column, v_key, v_values, v_old, v_new);
    end loop;
  end if;
  v_payloads := array_remove(v_payloads, null);
  if cardinality(v_payloads) = 0 then
    return null;
  end if;

  v_channel := act_row_changes_channel();
  foreach v_payload in array v_payloads loop
    perform pg_notify(v_channel, v_payload::text);
  end loop;

  -- Supabase Realtime broadcast, private, on the tenant's topic. A failure is
  -- a warning: the change itself is safe in the mirror (realtime.send also
  -- catches its own errors).
  if to_regprocedure('realtime.send(jsonb, text, text, boolean)') is not null then
    begin
      foreach v_payload in array v_payloads loop
        continue when v_payload ->> 'tenant' is null;
        perform realtime.send(v_payload, 'act_row', 'act:' || v_source || ':' || (v_payload ->> 'tenant') || ':rows', true);
      end loop;
    exception when others then
      raise warning 'act_row_changes_notify: realtime.send failed: % (%)', sqlerrm, sqlstate;
    end;
  end if;
  return null;
end;
$$;

do $$
begin
  execute format('alter function act_row_changes_notify() set search_path = pg_catalog, %I, pg_temp', current_schema());
end;
$$;

-- Publish one table's row changes (see the top of this file). Returns what it
-- installed: { table, source, tenant_column, key, values, channel, topic }.
-- Calling it again replaces the options.
--   p_tenant_column: defaults to the source's (act_source_access, as migrate recorded it).
--   p_source: defaults to the connector whose `<source>_` prefix the table's name has.
--   p_key: defaults to the primary key.
--   p_values: the columns whose values may be sent (default none; array['*'] all).
create or replace function act_publish_row_changes(
  p_table regclass,
  p_tenant_column name default null,
  p_source text default null,
  p_key name[] default null,
  p_values name[] default null
)
returns jsonb
language plpgsql volatile
set search_path from current
as $$
declare
  c_bookkeeping constant text[] := array['_version', '_payload_hash', '_deleted_at', '_synced_at', '_version_order'];
  v_relname name;
  v_kind "char";
  v_source text := p_source;
  v_tenant_column name := p_tenant_column;
  v_key text[];
  v_values text[] := coalesce(p_values::text[], '{}');
  v_columns text[];
  v_missing text[];
  v_args text;
begin
  if p_table is null then
    raise exception using errcode = '22023', message = 'act_publish_row_changes: name a table';
  end if;
  select c.relname, c.relkind into v_relname, v_kind from pg_class c where c.oid = p_table;
  if v_kind not in ('r', 'p') then
    raise exception using errcode = '42809', message = format('act_publish_row_changes: %s is not a table', p_table);
  end if;
  v_columns := array(
    select a.attname::text from pg_attribute a
    where a.attrelid = p_table and a.attnum > 0 and not a.attisdropped
  );

  if v_source is null then
    select a.source into v_source from act_source_access a
    where starts_with(v_relname, a.source || '_')
    order by length(a.source) desc limit 1;
  end if;
  if v_source is null or v_source !~ '^[a-z][a-z0-9_]*$' or v_source = 'act' then
    raise exception using errcode = '22023',
      message = format('act_publish_row_changes: %s', case when v_source is null
        then format('no connector source is known for %s', p_table)
        else format('%L is not a connector source id (lower-case letters, digits, _)', v_source) end),
      hint = 'name it: act_publish_row_changes(''<table>'', p_source => ''<source>'')';
  end if;

  if v_tenant_column is null then
    select a.tenant_column into v_tenant_column from act_source_access a where a.source = v_source;
  end if;
  if v_tenant_column is null or not (v_tenant_column::text = any (v_columns)) then
    raise exception using errcode = '42703',
      message = case when v_tenant_column is null
        then format('act_publish_row_changes: the tenant column of %s is not known', p_table)
        else format('act_publish_row_changes: table %s has no column %I', p_table, v_tenant_column) end,
      hint = 'name it: act_publish_row_changes(''<table>'', ''<tenant column>'')';
  end if;

  v_key := coalesce(p_key::text[], array(
    select a.attname::text
    from pg_index i cross join lateral unnest(i.indkey) with ordinality k(attnum, n)
    join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
    where i.indrelid = p_table and i.indisprimary
    order by k.n
  ));
  if cardinality(v_key) is null or cardinality(v_key) = 0 then
    raise exception using errcode = '22023',
      message = format('act_publish_row_changes: %s has no primary key: name its key columns (p_key)', p_table);
  end if;
  v_missing := array(select k from unnest(v_key) k where not (k = any (v_columns)));
  if cardinality(v_missing) > 0 then
    raise exception using errcode = '42703',
      message = format('act_publish_row_changes: table %s has no column %s', p_table, array_to_string(v_missing, ', '));
  end if;
  if not (v_values = '{*}') then
    v_missing := array(select v from unnest(v_values) v where not (v = any (v_columns)) or v = any (c_bookkeeping));
    if cardinality(v_missing) > 0 then
      raise exception using errcode = '42703',
        message = format('act_publish_row_changes: %s cannot carry values of %s (not a column, or a bookkeeping one)',
          p_table, array_to_string(v_missing, ', '));
    end if;
  end if;

  perform act_unpublish_row_changes(p_table);
  v_args := format('%L, %L, %L, %L', v_source, v_tenant_column, v_key::text, v_values::text);
  execute format(
    'create trigger act_row_changes_insert after insert on %s referencing new table as act_new_rows '
    'for each statement execute function %I.act_row_changes_notify(%s)', p_table, current_schema(), v_args);
  execute format(
    'create trigger act_row_changes_update after update on %s referencing old table as act_old_rows new table as act_new_rows '
    'for each statement execute function %I.act_row_changes_notify(%s)', p_table, current_schema(), v_args);
  execute format(
    'create trigger act_row_changes_delete after delete on %s referencing old table as act_old_rows '
    'for each statement execute function %I.act_row_changes_notify(%s)', p_table, current_schema(), v_args);

  return jsonb_build_object(
    'table', p_table::text,
    'source', v_source,
    'tenant_column', v_tenant_column,
    'key', to_jsonb(v_key),
    'values', to_jsonb(v_values),
    'channel', act_row_changes_channel(),
    'topic', 'act:' || v_source || ':<tenant>:rows'
  );
end;
$$;

-- Stop publishing one table's row changes. True when it was published.
create or replace function act_unpublish_row_changes(p_table regclass)
returns boolean
language plpgsql volatile
set search_path from current
as $$
declare
  v_found boolean;
begin
  v_found := exists (
    select 1 from pg_trigger t
    where t.tgrelid = p_table and t.tgname in ('act_row_changes_insert', 'act_row_changes_update', 'act_row_changes_delete')
  );
  execute format('drop trigger if exists act_row_changes_insert on %s', p_table);
  execute format('drop trigger if exists act_row_changes_update on %s', p_table);
  execute format('drop trigger if exists act_row_changes_delete on %s', p_table);
  return v_found;
end;
$$;

-- Closed to anon and authenticated (see 0001): only the owner and service_role.
select act_restrict_api_roles(
  array[]::text[],
  array[
    'act_row_changes_channel', 'act_row_key', 'act_row_change', 'act_row_changes_notify',
    'act_publish_row_changes', 'act_unpublish_row_changes'
  ]
);

-- In a schema of your own, grant service_role what it lacks (see 0001).
select act_grant_service_role();
