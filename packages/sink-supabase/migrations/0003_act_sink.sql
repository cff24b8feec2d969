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
--
-- Mirror tables may also have `_version_order bigint[]`, the tie-break that
-- orders writes after _version (see act_sink_apply). Connectors add it.
--
-- The pollers' cursors live here too: act_sink_apply saves a batch's cursor
-- in the transaction that writes the batch.

-- Where each poller stopped: one cursor per source, tenant and stream.
create table if not exists act_cursors (
  source text not null,
  tenant text not null,
  stream text not null,
  cursor text not null,
  updated_at timestamptz not null default now(),
  primary key (source, tenant, stream)
);

create or replace function act_get_cursor(p_source text, p_tenant text, p_stream text)
returns text
language sql stable
set search_path from current
as $$
  select c.cursor from act_cursors c
  where c.source = p_source and c.tenant = p_tenant and c.stream = p_stream;
$$;

create or replace function act_set_cursor(
  p_source text,
  p_tenant text,
  p_stream text,
  p_cursor text,
  p_now timestamptz default null
)
returns void
language sql volatile
set search_path from current
as $$
  insert into act_cursors as c (source, tenant, stream, cursor, updated_at)
  values (p_source, p_tenant, p_stream, p_cursor, coalesce(p_now, clock_timestamp()))
  on conflict (source, tenant, stream)
  do update set cursor = excluded.cursor, updated_at = excluded.updated_at;
$$;

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
--
-- How a group of upserts is applied:
--   * the operations are parsed once, and one join against the mirror (no
--     locks) sorts them: tombstoned, stale and unchanged rows are refused
--     right there, so they take no row lock and write no WAL;
--   * keys the join did not find go in with a plain INSERT (no speculative
--     insertion); if another transaction inserted one of them meanwhile, the
--     statement runs again with every write through ON CONFLICT;
--   * rows that differ go through INSERT … ON CONFLICT DO UPDATE with the
--     version guard, checked under the row lock;
--   * "unchanged" compares the written columns through the type's own
--     equality where it agrees with comparing their to_jsonb() forms (text
--     byte for byte, numbers, booleans, uuid, dates and times, jsonb), and
--     through to_jsonb() for every other type;
--   * the payload hash is computed only for rows that are written, and the
--     outcomes are built as JSON text and parsed once;
--   * the second statement (version bump of unchanged rows, and rows a
--     concurrent transaction got to first) runs only when there are such rows.
--
-- The write order is total, so an older copy of a record never wins a
-- version tie:
--   * each upsert row may carry "o", its tie-break as a bigint[] literal
--     (SinkUpsertV1.order: when the provider produced the copy, when it
--     reached us, the inbox id), stored in the mirror's _version_order;
--   * the write order of a row is (_version, _version_order): at equal
--     versions an operation with a lower tie-break is refused as 'stale',
--     one with the same values and a higher tie-break is remembered (a bump,
--     like a newer version), and a missing tie-break on either side lets the
--     incoming write win;
--   * tables without _version_order: at equal versions the last write wins.
-- Unchanged rows (same values, no higher place in the order) are refused in
-- the first statement's join, without a lock or a write.

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
  c_required constant text[] := array['_version', '_payload_hash', '_deleted_at', '_synced_at'];
  c_bookkeeping constant text[] := c_required || array['_version_order'];
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
  v_pending integer[];
  v_parts integer := 0;
  v_fast text[];
  v_text text[];
  v_changed_excluded text;
  v_statement text;
  -- The tie-break column, when the table has it (else ties go to the last write).
  v_has_order boolean;
  v_t_order text;
  v_x_order text;
  v_order_col text;
  v_order_val text;
  v_order_set text;
  v_order_set_r text;
  v_order_bump text;
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

    -- Columns whose type's own equality agrees with comparing their to_jsonb()
    -- forms (text and varchar once compared byte for byte, collate "C"), and
    -- costs far less. Other types are compared through to_jsonb().
    select coalesce(array_agg(a.attname::text) filter (where a.atttypid in ('text'::regtype, 'varchar'::regtype)), '{}'),
      coalesce(array_agg(a.attname::text) filter (where a.atttypid in ('int2'::regtype, 'int4'::regtype, 'int8'::regtype,
        'float4'::regtype, 'float8'::regtype, 'numeric'::regtype, 'bool'::regtype, 'uuid'::regtype, 'date'::regtype,
        'timestamp'::regtype, 'timestamptz'::regtype, 'jsonb'::regtype)), '{}')
    into v_text, v_fast
    from pg_attribute a
    where a.attrelid = v_rel and a.attnum > 0 and not a.attisdropped;

    v_unknown := array(select b from unnest(c_required) b where b <> all (v_all));
    if cardinality(v_unknown) > 0 then
      raise exception using errcode = '42703',
        message = format('act_sink_apply: table %I lacks the bookkeeping columns %s', v_name, array_to_string(v_unknown, ', ')),
        hint = 'add: _version bigint, _payload_hash text, _deleted_at timestamptz, _synced_at timestamptz (and _version_order bigint[])';
    end if;

    -- The write order is (_version, _version_order): at equal versions the
    -- higher tie-break wins (an older copy of the record never replaces a
    -- newer one), and a missing tie-break on either side lets the incoming
    -- write win, as before. A table without the column keeps that old rule.
    v_has_order := '_version_order' = any (v_all);
    v_t_order := case when v_has_order then 't._version_order' else 'null::bigint[]' end;
    v_x_order := case when v_has_order then 'excluded._version_order' else 'null::bigint[]' end;
    v_order_col := case when v_has_order then ', _version_order' else '' end;
    v_order_val := case when v_has_order then ', act_op_order' else '' end;
    -- The order a row keeps after a write: the incoming one with a newer
    -- version, the stored one with an older, the greater at equal versions.
    v_order_set := case when v_has_order then
      '_version_order = case when excluded._version is not null and (t._version is null or excluded._version > t._version) then excluded._version_order '
      || 'when t._version is not null and (excluded._version is null or t._version > excluded._version) then t._version_order '
      || 'else greatest(t._version_order, excluded._version_order) end, ' else '' end;
    v_order_set_r := replace(replace(v_order_set, 'excluded._version_order', 'r.act_op_order'), 'excluded._version', 'r.act_op_version');
    v_order_bump := case when v_has_order then ', _version_order = r.act_op_order' else '' end;

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
      -- "Changed" compares the written (non-preserved) columns as their
      -- to_jsonb() forms compare, stored row t against incoming row i (or
      -- excluded), through the type's own equality where that is the same.
      select coalesce(string_agg(format(x.tpl, x.c, 'i'), ' or '), 'false'),
        coalesce(string_agg(format(x.tpl, x.c, 'excluded'), ' or '), 'false')
      into v_changed, v_changed_excluded
      from (
        select c, case
            when c = any (v_text) then 't.%1$I collate "C" is distinct from %2$s.%1$I collate "C"'
            when c = any (v_fast) then 't.%1$I is distinct from %2$s.%1$I'
            else 'to_jsonb(t.%1$I) is distinct from to_jsonb(%2$s.%1$I)'
          end as tpl
        from unnest(v_set) c
      ) x;

      -- One statement: read the stored rows once (a plain join, no locks)
      -- and sort every operation: refused at once if the row is tombstoned,
      -- newer, or already holds these values at this version (no lock, no
      -- WAL); written otherwise. Keys the join did not find are inserted by a
      -- plain INSERT; rows it found and that differ go through INSERT … ON
      -- CONFLICT DO UPDATE, which re-checks the guard against the latest
      -- committed row under its lock. Operations left undecided ('pending':
      -- an unchanged row that takes a newer version, or a write a concurrent
      -- transaction got to first) go to the second statement below.
      v_statement := format($sql$
        with pre as materialized (
          select (e.value ->> 'i')::integer as act_op_index,
            (e.value ->> 'v')::bigint as act_op_version,
            (e.value ->> 'o')::bigint[] as act_op_order,
            e.value -> 'row' as act_op_row,
            i.*,
            case
              when t.ctid is null then 'insert'
              when t._deleted_at is not null then 'deleted'
              when t._version is not null and (e.value ->> 'v')::bigint < t._version then 'stale'
              when t._version is not null and (e.value ->> 'v')::bigint = t._version
                and (e.value ->> 'o')::bigint[] < %10$s then 'stale'
              when %5$s then 'write'
              when (e.value ->> 'v')::bigint > t._version or (t._version is null and e.value ->> 'v' is not null) then 'pending'
              when (e.value ->> 'v')::bigint = t._version and e.value ->> 'o' is not null
                and (%10$s is null or (e.value ->> 'o')::bigint[] > %10$s) then 'pending'
              else 'unchanged'
            end as act_class
          from jsonb_array_elements($1) as e(value)
          cross join lateral jsonb_populate_record(null::%1$s, e.value -> 'row') as i
          left join %1$s t on %7$s
        ),
        inserted as (
          insert into %1$s (%2$s, _version, _payload_hash, _synced_at%12$s)
          select %2$s, act_op_version, encode(sha256(convert_to((act_op_row - $2)::text, 'UTF8')), 'hex'), $3%13$s
          from pre where act_class = 'insert' and /*act_plain*/true order by %3$s
          returning %3$s, true as act_inserted
        ),
        written as (
          insert into %1$s as t (%2$s, _version, _payload_hash, _synced_at%12$s)
          select %2$s, act_op_version, encode(sha256(convert_to((act_op_row - $2)::text, 'UTF8')), 'hex'), $3%13$s
          from pre where act_class = 'write' or (act_class = 'insert' and not /*act_plain*/true) order by %3$s
          on conflict (%3$s) do update
          set %4$s%14$s_version = greatest(t._version, excluded._version),
            _payload_hash = excluded._payload_hash,
            _synced_at = excluded._synced_at
          where t._deleted_at is null
            and (t._version is null or excluded._version is null or excluded._version > t._version
              or (excluded._version = t._version and not coalesce(%11$s < %10$s, false)))
            and (%6$s)
          returning %8$s, (t.xmax = 0) as act_inserted
        ),
        decided as (
          select p.act_op_index, case
              when w.act_inserted then 'created'
              when not w.act_inserted then 'updated'
              when p.act_class in ('insert', 'write', 'pending') then null
              else p.act_class
            end as act_outcome
          from pre p left join (select * from inserted union all select * from written) w on %9$s
        )
        -- The outcomes as JSON text, parsed once: far cheaper than building
        -- and aggregating a jsonb object per operation.
        select coalesce(('[' || string_agg('{"i":' || act_op_index || case act_outcome
              when 'created' then ',"o":"created"}'
              when 'updated' then ',"o":"updated"}'
              else ',"o":"skipped","r":"' || act_outcome || '"}'
            end, ',' order by act_op_index) || ']')::jsonb, '[]'::jsonb),
          coalesce(array_agg(act_op_index) filter (where act_outcome is null), '{}')
        from decided
      $sql$,
        v_rel, v_insert_list, v_key_list, v_assign, v_changed, v_changed_excluded,
        v_join_it, (select string_agg(format('t.%I', k), ', ') from unnest(v_keys) k),
        (select string_agg(format('p.%1$I = w.%1$I', k), ' and ') from unnest(v_keys) k),
        v_t_order, v_x_order, v_order_col, v_order_val, v_order_set);
      -- A key inserted by another transaction since the join read the table
      -- makes the plain INSERT fail: then the whole statement runs again with
      -- every write going through ON CONFLICT, as if the key had been seen.
      begin
        execute v_statement into v_part, v_pending using v_group -> 'rows', v_keys || v_preserve, v_now;
      exception when unique_violation then
        execute replace(v_statement, '/*act_plain*/true', 'false') into v_part, v_pending using v_group -> 'rows', v_keys || v_preserve, v_now;
      end;
      v_outcomes := case when v_parts = 0 then v_part else v_outcomes || v_part end;
      v_parts := v_parts + 1;

      -- The undecided few (an unchanged row that takes a newer version, or a
      -- row another transaction got to first), decided again under the row
      -- lock: the first statement read them without one, and a concurrent
      -- commit may have changed, deleted or advanced the row since. Locked,
      -- each is deleted, stale, a write (its values now differ: written in
      -- full, never a version tag on someone else's data), a version bump
      -- (same values, newer version, so an older different update arriving
      -- later is refused as stale), or unchanged.
      if cardinality(v_pending) > 0 then
        execute format($sql$
          with input as (
            select (e.value ->> 'i')::integer as act_op_index, (e.value ->> 'v')::bigint as act_op_version,
              (e.value ->> 'o')::bigint[] as act_op_order, e.value -> 'row' as act_op_row, i.*
            from jsonb_array_elements($1) as e(value)
            cross join lateral jsonb_populate_record(null::%1$s, e.value -> 'row') as i
            where (e.value ->> 'i')::integer = any ($2)
          ),
          locked as (
            select t.* from %1$s t join input i on %3$s for update of t
          ),
          rest as (
            select i.*, case
                when %2$s is null or t._deleted_at is not null then 'deleted'
                when t._version is not null and i.act_op_version is not null and i.act_op_version < t._version then 'stale'
                when t._version is not null and i.act_op_version = t._version and i.act_op_order < %7$s then 'stale'
                when %5$s then 'write'
                when i.act_op_version is not null and (t._version is null or i.act_op_version > t._version) then 'bump'
                when i.act_op_version = t._version and i.act_op_order is not null
                  and (%7$s is null or i.act_op_order > %7$s) then 'bump'
                else 'unchanged'
              end as act_class
            from input i left join locked t on %3$s
          ),
          bumped as (
            update %1$s t set _version = r.act_op_version, _synced_at = $3%8$s
            from rest r
            where %4$s and r.act_class = 'bump'
            returning 1
          ),
          rewritten as (
            update %1$s t set %6$s%9$s_version = greatest(t._version, r.act_op_version),
              _payload_hash = encode(sha256(convert_to((r.act_op_row - $4)::text, 'UTF8')), 'hex'),
              _synced_at = $3
            from rest r
            where %4$s and r.act_class = 'write'
            returning 1
          )
          select coalesce(jsonb_agg(case act_class
              when 'write' then jsonb_build_object('i', act_op_index, 'o', 'updated')
              else jsonb_build_object('i', act_op_index, 'o', 'skipped', 'r',
                case act_class when 'bump' then 'unchanged' else act_class end)
            end), '[]'::jsonb)
          from rest
        $sql$,
          v_rel, format('t.%I', v_keys[1]), v_join_it, v_join_tr, v_changed, replace(v_assign, '= excluded.', '= r.'),
          v_t_order, v_order_bump, v_order_set_r)
        into v_part
        using v_group -> 'rows', v_pending, v_now, v_keys || v_preserve;
        v_outcomes := v_outcomes || v_part;
        v_parts := v_parts + 1;
      end if;
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
      v_parts := v_parts + 1;
    end loop;
  end loop;

  if p_cursor is not null and jsonb_typeof(p_cursor) = 'object' then
    perform act_set_cursor(p_cursor ->> 'source', p_cursor ->> 'tenant', p_cursor ->> 'stream', p_cursor ->> 'cursor', v_now);
  end if;

  -- One part is already in order; several are merged by operation index.
  if v_parts <= 1 then
    return v_outcomes;
  end if;
  return (select coalesce(jsonb_agg(x order by (x ->> 'i')::integer), '[]'::jsonb) from jsonb_array_elements(v_outcomes) x);
end;
$$;

-- The keys, versions and deleted flags of a mirror table's rows matching
-- p_where ({ "location_id": "loc_1" }), in key order, at most p_limit rows
-- after the key p_after (the last key of the previous page; null for the
-- first): keyset pagination, so each page is an index range scan on the
-- table's unique key, never an OFFSET, and rows written meanwhile cannot
-- shift a page. The table is resolved in this function's schema only.
-- Values compare as the column's type (as act_sink_apply casts them). Key
-- values of bigint and numeric columns beyond 2^53 come back as JSON strings,
-- which JavaScript reads exactly (numbers that large would be rounded).
create or replace function act_sink_scan(
  p_table text,
  p_where jsonb,
  p_key_columns text[],
  p_after jsonb default null,
  p_limit integer default 1000
)
returns table (key jsonb, version bigint, deleted boolean)
language plpgsql stable
set search_path from current
as $$
declare
  c_bookkeeping constant text[] := array['_version', '_payload_hash', '_deleted_at', '_synced_at'];
  v_rel regclass;
  v_types jsonb;
  v_column text;
  v_type text;
  v_where text := 'true';
  v_key text := '';
  v_order text := '';
  v_after_columns text := '';
  v_after_values text := '';
begin
  if p_table is null or p_table = '' then
    raise exception using errcode = '22023', message = 'act_sink_scan: no table given';
  end if;
  if p_key_columns is null or cardinality(p_key_columns) = 0 then
    raise exception using errcode = '22023', message = format('act_sink_scan: no key columns given for table %I', p_table);
  end if;
  if p_where is not null and jsonb_typeof(p_where) <> 'object' then
    raise exception using errcode = '22023', message = 'act_sink_scan: p_where must be a JSON object';
  end if;
  if p_after is not null and jsonb_typeof(p_after) <> 'object' then
    raise exception using errcode = '22023', message = 'act_sink_scan: p_after must be a JSON object';
  end if;
  if p_limit is null or p_limit <= 0 then
    raise exception using errcode = '22023', message = format('act_sink_scan: p_limit must be positive, got %s', p_limit);
  end if;

  v_rel := to_regclass(format('%I.%I', current_schema(), p_table));
  if v_rel is null then
    raise exception using errcode = '42P01',
      message = format('act_sink_scan: table %I does not exist in schema %I (run the connector''s migrations)', p_table, current_schema());
  end if;
  -- Column name → type, as written in a cast.
  select jsonb_object_agg(a.attname, format_type(a.atttypid, a.atttypmod))
  into v_types
  from pg_attribute a
  where a.attrelid = v_rel and a.attnum > 0 and not a.attisdropped;
  if not (v_types ? '_version' and v_types ? '_deleted_at') then
    raise exception using errcode = '42703',
      message = format('act_sink_scan: table %I is not a mirror table (it lacks the bookkeeping columns _version and _deleted_at)', p_table);
  end if;

  for v_column in select w.k from jsonb_object_keys(coalesce(p_where, '{}'::jsonb)) w(k) order by 1 loop
    v_type := v_types ->> v_column;
    if v_type is null then
      raise exception using errcode = '42703', message = format('act_sink_scan: table %I has no column %I', p_table, v_column);
    end if;
    if jsonb_typeof(p_where -> v_column) not in ('string', 'number') then
      raise exception using errcode = '22023',
        message = format('act_sink_scan: the value for column %I must be a string or a number', v_column);
    end if;
    v_where := v_where || format(' and t.%I = %L::%s', v_column, p_where ->> v_column, v_type);
  end loop;

  foreach v_column in array p_key_columns loop
    v_type := v_types ->> v_column;
    if v_type is null or v_column = any (c_bookkeeping) then
      raise exception using errcode = '42703', message = format('act_sink_scan: table %I has no key column %I', p_table, v_column);
    end if;
    v_key := v_key || case when v_key = '' then '' else ', ' end || case
      when v_type in ('bigint', 'numeric') or v_type like 'numeric(%' then
        format('%1$L, case when abs(t.%2$I) > 9007199254740991 then to_jsonb(t.%2$I::text) else to_jsonb(t.%2$I) end', v_column, v_column)
      else format('%1$L, t.%2$I', v_column, v_column)
    end;
    v_order := v_order || case when v_order = '' then '' else ', ' end || format('t.%I', v_column);
    if p_after is not null then
      if jsonb_typeof(p_after -> v_column) is distinct from 'string' and jsonb_typeof(p_after -> v_column) is distinct from 'number' then
        raise exception using errcode = '22023',
          message = format('act_sink_scan: p_after lacks key column %I', v_column);
      end if;
      v_after_columns := v_after_columns || case when v_after_columns = '' then '' else ', ' end || format('t.%I', v_column);
      v_after_values := v_after_values || case when v_after_values = '' then '' else ', ' end
        || format('%L::%s', p_after ->> v_column, v_type);
    end if;
  end loop;
  if p_after is not null then
    v_where := v_where || format(' and (%s) > (%s)', v_after_columns, v_after_values);
  end if;

  return query execute format(
    'select jsonb_build_object(%s), t._version, (t._deleted_at is not null) from %I.%I t where %s order by %s limit %s',
    v_key, current_schema(), p_table, v_where, v_order, p_limit
  );
end;
$$;

-- Closed to anon and authenticated (see 0001): only the owner and service_role.
select act_restrict_api_roles(
  array['act_cursors'],
  array['act_get_cursor', 'act_set_cursor', 'act_sink_apply', 'act_sink_scan']
);

-- In a schema of your own, grant service_role what it lacks (see 0001).
select act_grant_service_role();
