-- @act/sink-supabase 0011: per-column write rules and restorable deletes,
-- enforced in the write itself, so they hold for every writer (webhooks,
-- polls, reconciliation, replays): act_sink_apply_rows (0003's body, renamed
-- by 0010; act_sink_apply wraps it) again, with everything it did kept, plus:
--
-- Upsert groups may carry, besides "columns" and "preserve":
--
--   "preserveIfSet": ["stage"]    written only while the stored value is null
--   "forwardOnly": { "stage": ["lead", "contacted", "replied"] }
--                                  written only when the stored value is null
--                                  or not in the list, or the incoming value
--                                  comes later in it (compared as text)
--   "restore": true               a tombstone lower in (version, order) is
--                                  cleared and the row written ('updated');
--                                  one higher up still refuses it ('deleted')
--
-- (SinkUpsertV1.overrides never reach SQL: @act/sink-supabase removes an
-- operation's overridden columns from its preserve lists before grouping.)
-- A group is one statement, so these are constants of the group, and the
-- caller groups operations by them as it does by columns and preserve.
--
-- Delete groups may carry "restorable": true: the delete takes its place in
-- the write order like an update, so one lower than the stored live row (a
-- stale delete arriving after a restore) is refused as 'stale'. Delete rows
-- may carry "o", their tie-break, like upsert rows; every delete now leaves
-- the tombstone at the write order (_version, _version_order) it reached, as
-- an update would, which is what a restore is compared with.
--
-- Unchanged stays cheap: the "changed" test of each column is its
-- assignment's (a preserveIfSet column changes only when the stored value is
-- null and the incoming one is not; a forwardOnly one only when it may move
-- and differs), so the first statement still refuses unchanged rows in its
-- lock-free join, and groups without rules run 0003's statements unchanged.

create or replace function act_sink_apply_rows(
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
  -- The column write rules of a group, restore and restorable deletes (0011).
  v_if_set text[];
  v_forward jsonb;
  v_restore boolean;
  v_restorable boolean;
  v_assign_r text;
  v_keep text;
  v_ok text;
  v_tpl text;
  v_tomb_pre text;
  v_tomb_rest text;
  v_live_guard text;
  v_stale_delete text;
  v_delete_guard text;
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
      v_if_set := array(select c from jsonb_array_elements_text(coalesce(v_group -> 'preserveIfSet', '[]'::jsonb)) c
        where c <> all (v_preserve));
      v_forward := coalesce(v_group -> 'forwardOnly', '{}'::jsonb);
      v_restore := coalesce((v_group ->> 'restore')::boolean, false);
      v_unknown := array(select c from unnest(v_columns) c where c <> all (v_writable) or c = any (c_bookkeeping));
      if cardinality(v_unknown) > 0 then
        raise exception using errcode = '42703',
          message = format('act_sink_apply: table %I has no writable column %s', v_name, array_to_string(v_unknown, ', '));
      end if;
      v_set := array(select c from unnest(v_columns) c where c <> all (v_preserve));
      v_insert_list := (select string_agg(format('%I', c), ', ') from unnest(v_keys || v_columns) c);
      -- Each written column's new value under the group's rules, from the
      -- incoming row (excluded in ON CONFLICT, r in the locked update) over
      -- the stored one (t), and whether it changes the stored value. The
      -- "changed" test is the assignment's own, so a row is written exactly
      -- when some column would take a different value:
      --   plain          c = src.c
      --   preserveIfSet  c = coalesce(t.c, src.c): filled only while null
      --   forwardOnly    c = src.c only when the stored value is null or not
      --                  in the declared list, or the incoming one comes later
      --                  in it (array_position over the list, as text)
      --   preserve       neither written nor compared, except that a restore
      --                  reviving a row without values (hard-deleted, or a
      --                  tombstone that came first: _payload_hash is null)
      --                  writes it as a create does.
      -- Plain columns keep 0003's expressions, so groups without rules run
      -- the same statement as before.
      v_assign := '';
      v_assign_r := '';
      v_changed := '';
      v_changed_excluded := '';
      foreach v_column in array v_set loop
        v_tpl := case
            when v_column = any (v_text) then 't.%1$I collate "C" is distinct from %2$s.%1$I collate "C"'
            when v_column = any (v_fast) then 't.%1$I is distinct from %2$s.%1$I'
            else 'to_jsonb(t.%1$I) is distinct from to_jsonb(%2$s.%1$I)'
          end;
        if v_column = any (v_if_set) then
          v_keep := 'coalesce(t.%1$I, %2$s.%1$I)';
          v_tpl := '(t.%1$I is null and %2$s.%1$I is not null)';
        elsif v_forward ? v_column then
          if jsonb_typeof(v_forward -> v_column) is distinct from 'array' or jsonb_array_length(v_forward -> v_column) = 0 then
            raise exception using errcode = '22023',
              message = format('act_sink_apply: the forwardOnly list of %I.%I must be a non-empty array', v_name, v_column);
          end if;
          -- The list is a literal in the statement (a constant of the group),
          -- its % doubled, since the text goes through format() again.
          v_ok := format('(t.%%1$I is null or array_position(%1$s::text[], t.%%1$I::text) is null'
            || ' or coalesce(array_position(%1$s::text[], %%2$s.%%1$I::text) > array_position(%1$s::text[], t.%%1$I::text), false))',
            replace(quote_literal(array(select jsonb_array_elements_text(v_forward -> v_column))::text), '%', '%%'));
          v_keep := 'case when ' || v_ok || ' then %2$s.%1$I else t.%1$I end';
          v_tpl := '(' || v_ok || ' and ' || v_tpl || ')';
        else
          v_keep := '%2$s.%1$I';
        end if;
        v_assign := v_assign || format('%1$I = ' || v_keep || ', ', v_column, 'excluded');
        v_assign_r := v_assign_r || format('%1$I = ' || v_keep || ', ', v_column, 'r');
        v_changed := v_changed || case when v_changed = '' then '' else ' or ' end || format(v_tpl, v_column, 'i');
        v_changed_excluded := v_changed_excluded || case when v_changed_excluded = '' then '' else ' or ' end
          || format(v_tpl, v_column, 'excluded');
      end loop;
      if v_changed = '' then
        v_changed := 'false';
        v_changed_excluded := 'false';
      end if;
      if v_restore then
        foreach v_column in array array(select c from unnest(v_columns) c where c = any (v_preserve)) loop
          v_assign := v_assign || format('%1$I = case when t._payload_hash is null then excluded.%1$I else t.%1$I end, ', v_column);
          v_assign_r := v_assign_r || format('%1$I = case when t._payload_hash is null then r.%1$I else t.%1$I end, ', v_column);
        end loop;
        v_assign := v_assign || '_deleted_at = null, ';
        v_assign_r := v_assign_r || '_deleted_at = null, ';
      end if;
      -- A tombstone refuses the row ('deleted'), unless the group restores and
      -- the operation is not lower than the tombstone in (version, order):
      -- then the row is revived ('write', reported 'updated'), even with the
      -- same values, since _deleted_at changes.
      if v_restore then
        v_tomb_pre := format('case when coalesce((e.value ->> ''v'')::bigint < t._version or ((e.value ->> ''v'')::bigint = t._version'
          || ' and (e.value ->> ''o'')::bigint[] < %s), false) then ''deleted'' else ''write'' end', v_t_order);
        v_tomb_rest := format('case when coalesce(i.act_op_version < t._version or (i.act_op_version = t._version'
          || ' and i.act_op_order < %s), false) then ''deleted'' else ''write'' end', v_t_order);
        v_live_guard := format('(t._deleted_at is not null or (%s))', v_changed_excluded);
      else
        v_tomb_pre := '''deleted''';
        v_tomb_rest := '''deleted''';
        v_live_guard := format('t._deleted_at is null and (%s)', v_changed_excluded);
      end if;

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
              when t._deleted_at is not null then %15$s
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
          where (t._version is null or excluded._version is null or excluded._version > t._version
              or (excluded._version = t._version and not coalesce(%11$s < %10$s, false)))
            and %6$s
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
        v_rel, v_insert_list, v_key_list, v_assign, v_changed, v_live_guard,
        v_join_it, (select string_agg(format('t.%I', k), ', ') from unnest(v_keys) k),
        (select string_agg(format('p.%1$I = w.%1$I', k), ' and ') from unnest(v_keys) k),
        v_t_order, v_x_order, v_order_col, v_order_val, v_order_set, v_tomb_pre);
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
                when %2$s is null then 'deleted'
                when t._deleted_at is not null then %10$s
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
          v_rel, format('t.%I', v_keys[1]), v_join_it, v_join_tr, v_changed, v_assign_r,
          v_t_order, v_order_bump, v_order_set_r, v_tomb_rest)
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
      v_restorable := coalesce((v_group ->> 'restorable')::boolean, false);
      -- A restorable delete takes its place in the write order: lower than
      -- the live row, it is refused as 'stale' (told apart from a tombstone
      -- by the row as the statement found it, s). Any other delete always wins.
      if v_restorable then
        v_delete_guard := format(' and not coalesce(excluded._version < t._version or (excluded._version = t._version'
          || ' and %s < %s), false)', v_x_order, v_t_order);
        v_stale_delete := format('case when s.%I is not null and s._deleted_at is null then ''stale'' else ''deleted'' end', v_keys[1]);
      else
        v_delete_guard := '';
        v_stale_delete := '''deleted''';
      end if;
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
            select (e.value ->> 'i')::integer as act_op_index, (e.value ->> 'v')::bigint as act_op_version,
              (e.value ->> 'o')::bigint[] as act_op_order, r.*
            from jsonb_array_elements($1) as e(value)
            cross join lateral jsonb_populate_record(null::%1$s, e.value -> 'key') as r
          ),
          written as (
            insert into %1$s as t (%2$s, _version, _deleted_at, _synced_at%6$s)
            select %2$s, act_op_version, $2, $2%7$s from input order by %2$s
            on conflict (%2$s) do update
            set %3$s_deleted_at = excluded._deleted_at,
              %8$s_version = greatest(t._version, excluded._version),
              _synced_at = excluded._synced_at
            where t._deleted_at is null%9$s
            returning %4$s, true as act_written
          )
          select coalesce(jsonb_agg(case when w.act_written then jsonb_build_object('i', i.act_op_index, 'o', 'deleted')
            else jsonb_build_object('i', i.act_op_index, 'o', 'skipped', 'r', %10$s) end), '[]'::jsonb)
          from input i left join written w on %5$s%11$s
        $sql$,
          v_rel, v_key_list, v_wipe,
          (select string_agg(format('t.%I', k), ', ') from unnest(v_keys) k), v_join_iw,
          -- The tombstone keeps the write order it reached (what a restore is compared with).
          v_order_col, v_order_val, v_order_set, v_delete_guard, v_stale_delete,
          case when v_restorable then format(' left join %s s on %s', v_rel,
            (select string_agg(format('i.%1$I = s.%1$I', k), ' and ') from unnest(v_keys) k)) else '' end)
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

-- Closed to anon and authenticated (see 0001): only the owner and service_role.
select act_restrict_api_roles(array[]::text[], array['act_sink_apply_rows']);

-- In a schema of your own, grant service_role what it lacks (see 0001).
select act_grant_service_role();
