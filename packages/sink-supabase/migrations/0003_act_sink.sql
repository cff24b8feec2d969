-- @act/sink-supabase 0003: the batched, version-guarded sink as one SQL
-- function, so every driver (node-postgres, PGlite, supabase-js rpc) applies
-- a batch the same way and in one transaction.
--
-- Mirror tables (created by connector migrations, in the same schema) need a
-- unique key on the operations' key columns and these bookkeeping columns:
--
--   _version bigint, _payload_hash text, _deleted_at timestamptz, _synced_at timestamptz
--
-- Tombstones live in the mirror row itself: a delete sets _deleted_at (a hard
-- delete also resets every other column to its default, usually null), and a
-- delete that arrives before the row exists inserts the key with _deleted_at
-- set. Every write of a key therefore meets every other write of that key on
-- the table's unique index, which is what keeps a concurrent late update from
-- resurrecting a delete. The price: non-key columns must be nullable or have
-- a default.

-- p_operations: operations already collapsed per key (see SinkV1.apply),
-- grouped per table, as built by @act/sink-supabase:
--
--   [{ "table": "ghl_contacts", "key": ["id", "location_id"],
--      "upserts": [{ "columns": ["email", "name", "stage"], "preserve": ["stage"],
--                    "rows": [{ "i": 0, "v": 1730000000000, "row": { "id": "c1", "location_id": "l1", "name": "Ada", ... } }] }],
--      "deletes": [{ "hard": false, "rows": [{ "i": 1, "v": 1730000000001, "key": { "id": "c2", "location_id": "l1" } }] }] }]
--
-- "i" is the operation's index in the caller's batch, "v" its version (may be
-- null). Returns one outcome per operation, ordered by "i":
--   { "i": 0, "o": "created" | "updated" | "deleted" | "skipped", "r": "stale" | "unchanged" | "deleted" }
-- p_cursor ({ source, tenant, stream, cursor }) is saved in the same transaction.
create or replace function act_sink_apply(
  p_operations jsonb,
  p_cursor jsonb default null,
  p_now timestamptz default null
)
returns jsonb
language plpgsql volatile
set search_path from current
as $$
declare
  c_bookkeeping constant text[] := array['_version', '_payload_hash', '_deleted_at', '_synced_at'];
  v_now timestamptz := coalesce(p_now, clock_timestamp());
  v_outcomes jsonb := '[]'::jsonb;
  v_part jsonb;
  v_table jsonb;
  v_group jsonb;
  v_name text;
  v_rel regclass;
  v_all text[];
  v_writable text[];
  v_keys text[];
  v_columns text[];
  v_preserve text[];
  v_set text[];
  v_unknown text[];
  v_written integer[];
  v_key_list text;
  v_insert_list text;
  v_join_iw text;
  v_join_it text;
  v_join_tr text;
  v_assign text;
  v_changed text;
  v_wipe text;
  v_column text;
begin
  if p_operations is not null and jsonb_typeof(p_operations) <> 'array' then
    raise exception using errcode = '22023', message = 'act_sink_apply: p_operations must be a JSON array';
  end if;

  for v_table in select t.value from jsonb_array_elements(coalesce(p_operations, '[]'::jsonb)) t loop
    v_name := v_table ->> 'table';
    v_rel := to_regclass(quote_ident(v_name));
    if v_rel is null then
      raise exception using errcode = '42P01',
        message = format('act_sink_apply: table %I does not exist in schema %I (run the connector''s migrations)', v_name, current_schema());
    end if;

    select array_agg(a.attname::text order by a.attnum),
      coalesce(array_agg(a.attname::text order by a.attnum) filter (where a.attgenerated = '' and a.attidentity = ''), '{}')
    into v_all, v_writable
    from pg_attribute a
    where a.attrelid = v_rel and a.attnum > 0 and not a.attisdropped;

    v_unknown := array(select b from unnest(c_bookkeeping) b where b <> all (v_all));
    if cardinality(v_unknown) > 0 then
      raise exception using errcode = '42703',
        message = format('act_sink_apply: table %I lacks the bookkeeping columns %s', v_name, array_to_string(v_unknown, ', ')),
        hint = 'add: _version bigint, _payload_hash text, _deleted_at timestamptz, _synced_at timestamptz';
    end if;

    v_keys := array(select jsonb_array_elements_text(v_table -> 'key'));
    if cardinality(v_keys) = 0 then
      raise exception using errcode = '22023', message = format('act_sink_apply: no key columns given for table %I', v_name);
    end if;
    v_unknown := array(select k from unnest(v_keys) k where k <> all (v_all) or k = any (c_bookkeeping));
    if cardinality(v_unknown) > 0 then
      raise exception using errcode = '42703',
        message = format('act_sink_apply: table %I has no key column %s', v_name, array_to_string(v_unknown, ', '));
    end if;

    v_key_list := (select string_agg(format('%I', k), ', ') from unnest(v_keys) k);
    v_join_iw := (select string_agg(format('i.%1$I = w.%1$I', k), ' and ') from unnest(v_keys) k);
    v_join_it := (select string_agg(format('i.%1$I = t.%1$I', k), ' and ') from unnest(v_keys) k);
    v_join_tr := (select string_agg(format('t.%1$I = r.%1$I', k), ' and ') from unnest(v_keys) k);

    -- Upserts, one statement per group of operations writing the same columns.
    for v_group in select g.value from jsonb_array_elements(coalesce(v_table -> 'upserts', '[]'::jsonb)) g loop
      v_columns := array(select c from jsonb_array_elements_text(coalesce(v_group -> 'columns', '[]'::jsonb)) c where c <> all (v_keys));
      v_preserve := array(select jsonb_array_elements_text(coalesce(v_group -> 'preserve', '[]'::jsonb)));
      v_unknown := array(select c from unnest(v_columns) c where c <> all (v_writable) or c = any (c_bookkeeping));
      if cardinality(v_unknown) > 0 then
        raise exception using errcode = '42703',
          message = format('act_sink_apply: table %I has no writable column %s', v_name, array_to_string(v_unknown, ', '));
      end if;
      v_set := array(select c from unnest(v_columns) c where c <> all (v_preserve));
      v_insert_list := (select string_agg(format('%I', c), ', ') from unnest(v_keys || v_columns) c);
      v_assign := coalesce((select string_agg(format('%1$I = excluded.%1$I, ', c), '') from unnest(v_set) c), '');
      v_changed := case when cardinality(v_set) = 0 then 'false' else format(
        'to_jsonb(row(%s)) is distinct from to_jsonb(row(%s))',
        (select string_agg(format('t.%I', c), ', ') from unnest(v_set) c),
        (select string_agg(format('excluded.%I', c), ', ') from unnest(v_set) c)
      ) end;

      -- Insert new rows; update live rows whose version is not older and
      -- whose written (non-preserved) values differ. ON CONFLICT locks every
      -- conflicting row, written or not, until the transaction ends.
      execute format($sql$
        with input as (
          select (e.value ->> 'i')::integer as act_op_index,
            (e.value ->> 'v')::bigint as act_op_version,
            encode(sha256(convert_to(((e.value -> 'row') - $2)::text, 'UTF8')), 'hex') as act_op_hash,
            r.*
          from jsonb_array_elements($1) as e(value)
          cross join lateral jsonb_populate_record(null::%1$s, e.value -> 'row') as r
        ),
        written as (
          insert into %1$s as t (%2$s, _version, _payload_hash, _synced_at)
          select %2$s, act_op_version, act_op_hash, $3 from input order by %3$s
          on conflict (%3$s) do update
          set %4$s_version = greatest(t._version, excluded._version),
            _payload_hash = excluded._payload_hash,
            _synced_at = excluded._synced_at
          where t._deleted_at is null
            and (t._version is null or excluded._version is null or excluded._version >= t._version)
            and %5$s
          returning %6$s, (t.xmax = 0) as act_inserted
        )
        select coalesce(jsonb_agg(jsonb_build_object(
          'i', i.act_op_index, 'o', case when w.act_inserted then 'created' else 'updated' end)), '[]'::jsonb)
        from input i join written w on %7$s
      $sql$,
        v_rel, v_insert_list, v_key_list, v_assign, v_changed,
        (select string_agg(format('t.%I', k), ', ') from unnest(v_keys) k), v_join_iw)
      into v_part
      using v_group -> 'rows', v_keys || v_preserve, v_now;
      v_outcomes := v_outcomes || v_part;
      v_written := array(select (x ->> 'i')::integer from jsonb_array_elements(v_part) x);

      -- The rest were refused: tombstoned, stale, or unchanged. An unchanged
      -- row still takes the newer version, so an older, different update
      -- arriving later is refused as stale.
      execute format($sql$
        with input as (
          select (e.value ->> 'i')::integer as act_op_index, (e.value ->> 'v')::bigint as act_op_version, r.*
          from jsonb_array_elements($1) as e(value)
          cross join lateral jsonb_populate_record(null::%1$s, e.value -> 'row') as r
        ),
        rest as (
          select i.act_op_index, i.act_op_version,
            (t._deleted_at is not null or t is null) as act_is_deleted,
            t._version as act_cur_version, %2$s
          from input i left join %1$s t on %3$s
          where i.act_op_index <> all ($2)
        ),
        bumped as (
          update %1$s t set _version = r.act_op_version, _synced_at = $3
          from rest r
          where %4$s and not r.act_is_deleted and r.act_op_version is not null
            and (r.act_cur_version is null or r.act_cur_version < r.act_op_version)
          returning 1
        )
        select coalesce(jsonb_agg(jsonb_build_object('i', act_op_index, 'o', 'skipped', 'r',
          case
            when act_is_deleted then 'deleted'
            when act_cur_version is not null and act_op_version is not null and act_op_version < act_cur_version then 'stale'
            else 'unchanged'
          end)), '[]'::jsonb)
        from rest
      $sql$,
        v_rel, (select string_agg(format('i.%I', k), ', ') from unnest(v_keys) k), v_join_it, v_join_tr)
      into v_part
      using v_group -> 'rows', v_written, v_now;
      v_outcomes := v_outcomes || v_part;
    end loop;

    -- Deletes: mark live rows deleted (a hard delete also resets the values),
    -- and leave a tombstone row for keys that do not exist yet.
    for v_group in select g.value from jsonb_array_elements(coalesce(v_table -> 'deletes', '[]'::jsonb)) g loop
      v_wipe := '';
      if coalesce((v_group ->> 'hard')::boolean, false) then
        foreach v_column in array v_writable loop
          if v_column <> all (v_keys) and v_column <> all (c_bookkeeping) then
            v_wipe := v_wipe || format('%I = default, ', v_column);
          end if;
        end loop;
        v_wipe := v_wipe || '_payload_hash = null, ';
      end if;
      begin
        execute format($sql$
          with input as (
            select (e.value ->> 'i')::integer as act_op_index, (e.value ->> 'v')::bigint as act_op_version, r.*
            from jsonb_array_elements($1) as e(value)
            cross join lateral jsonb_populate_record(null::%1$s, e.value -> 'key') as r
          ),
          written as (
            insert into %1$s as t (%2$s, _version, _deleted_at, _synced_at)
            select %2$s, act_op_version, $2, $2 from input order by %2$s
            on conflict (%2$s) do update
            set %3$s_deleted_at = excluded._deleted_at,
              _version = greatest(t._version, excluded._version),
              _synced_at = excluded._synced_at
            where t._deleted_at is null
            returning %4$s, true as act_written
          )
          select coalesce(jsonb_agg(case when w.act_written then jsonb_build_object('i', i.act_op_index, 'o', 'deleted')
            else jsonb_build_object('i', i.act_op_index, 'o', 'skipped', 'r', 'deleted') end), '[]'::jsonb)
          from input i left join written w on %5$s
        $sql$,
          v_rel, v_key_list, v_wipe,
          (select string_agg(format('t.%I', k), ', ') from unnest(v_keys) k), v_join_iw)
        into v_part
        using v_group -> 'rows', v_now;
      exception when not_null_violation then
        get stacked diagnostics v_column = column_name;
        raise exception using errcode = '23502',
          message = format('act_sink_apply: cannot leave a tombstone in %I: column %I is NOT NULL without a default', v_name, v_column),
          hint = 'tombstones live in the mirror row, so its non-key columns must be nullable or have a default';
      end;
      v_outcomes := v_outcomes || v_part;
    end loop;
  end loop;

  if p_cursor is not null and jsonb_typeof(p_cursor) = 'object' then
    perform act_set_cursor(p_cursor ->> 'source', p_cursor ->> 'tenant', p_cursor ->> 'stream', p_cursor ->> 'cursor', v_now);
  end if;

  return (select coalesce(jsonb_agg(x order by (x ->> 'i')::integer), '[]'::jsonb) from jsonb_array_elements(v_outcomes) x);
end;
$$;

-- On Supabase, tables, views and functions in an exposed schema are
-- reachable through PostgREST with the anon key. Close them to anon and
-- authenticated (service_role and the owner keep access). Nothing changes on
-- a Postgres without those roles. Later migrations adding objects must do
-- the same.
do $$
declare
  v_role text;
  v_object text;
  v_function regprocedure;
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    return;
  end if;
  foreach v_object in array array[
    'act_deliveries', 'act_delivery_attempts', 'act_cursors', 'act_integration_events', 'act_rate_limits', 'act_migrations'
  ] loop
    if to_regclass(quote_ident(v_object)) is not null then
      execute format('alter table %I enable row level security', v_object);
    end if;
  end loop;
  foreach v_role in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = v_role) then
      foreach v_object in array array[
        'act_deliveries', 'act_delivery_attempts', 'act_cursors', 'act_integration_events', 'act_rate_limits',
        'act_migrations', 'act_source_health', 'act_freshness'
      ] loop
        if to_regclass(quote_ident(v_object)) is not null then
          execute format('revoke all on %I from %I', v_object, v_role);
        end if;
      end loop;
    end if;
  end loop;
  for v_function in
    select p.oid::regprocedure from pg_proc p
    where p.pronamespace = current_schema()::regnamespace and p.proname like 'act\_%'
  loop
    execute format('revoke execute on function %s from public', v_function);
    foreach v_role in array array['anon', 'authenticated'] loop
      if exists (select 1 from pg_roles where rolname = v_role) then
        execute format('revoke execute on function %s from %I', v_function, v_role);
      end if;
    end loop;
    if exists (select 1 from pg_roles where rolname = 'service_role') then
      execute format('grant execute on function %s to service_role', v_function);
    end if;
  end loop;
end;
$$;
