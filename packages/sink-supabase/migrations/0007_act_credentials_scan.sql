-- @act/sink-supabase 0007: OAuth credentials with a cross-process refresh
-- lease (CredentialStoreV1), and the sink's row scan for reconciliation
-- (SinkV1.scan). As everywhere in this package, every operation is one
-- function call, so one transaction, and one `rpc` for supabase-js.

-- One row per connection (`<source>:<tenant>`). `value` is the credential
-- exactly as the connector saved it (access and refresh tokens, expiry):
-- plaintext JSON, so protect this table like a password store. It is closed
-- to anon and authenticated on Supabase (below). A row can exist with a null
-- `value`: a refresh lease taken before any credential was saved.
create table if not exists act_credentials (
  key text primary key,
  value jsonb,
  -- Increments on every save; 0 while no credential was ever saved.
  revision bigint not null default 0,
  -- Set when the provider refused the refresh token: a person must reconnect.
  invalid_reason text,
  -- The refresh lease: one owner at a time per key, until it expires.
  lease_owner text,
  lease_expires_at timestamptz,
  updated_at timestamptz,
  constraint act_credentials_value_check check (value is null or jsonb_typeof(value) = 'object')
);

-- The stored credential, or no row.
create or replace function act_credential_get(p_key text)
returns table (value jsonb, revision bigint, invalid_reason text, updated_at timestamptz)
language sql stable
set search_path from current
as $$
  select c.value, c.revision, c.invalid_reason, c.updated_at
  from act_credentials c
  where c.key = p_key and c.value is not null;
$$;

-- Save a credential outright (connect, reconnect, a static token): the next
-- revision, and clears the reconnect mark. The lease, if any, is untouched.
create or replace function act_credential_put(p_key text, p_value jsonb, p_now timestamptz default null)
returns table (value jsonb, revision bigint, invalid_reason text, updated_at timestamptz)
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(p_now, clock_timestamp());
begin
  if p_key is null or p_key = '' then
    raise exception using errcode = '22023', message = 'act_credential_put: the key must be a non-empty text';
  end if;
  if p_value is null or jsonb_typeof(p_value) <> 'object' then
    raise exception using errcode = '22023', message = 'act_credential_put: the value must be a JSON object';
  end if;
  return query
  insert into act_credentials as c (key, value, revision, invalid_reason, updated_at)
  values (p_key, p_value, 1, null, v_now)
  on conflict (key) do update
  set value = excluded.value, revision = c.revision + 1, invalid_reason = null, updated_at = excluded.updated_at
  returning c.value, c.revision, c.invalid_reason, c.updated_at;
end;
$$;

-- Take the key's refresh lease unless another owner holds one that has not
-- expired at p_now (the database clock without it). The row is created when
-- missing, so a lease can be held before any credential exists, and locked,
-- so two processes asking at once never both get it. One row: acquired, and
-- when not, held_until; the credential as it is now (value null when none).
create or replace function act_credential_acquire_lease(
  p_key text,
  p_owner text,
  p_lease_ms bigint,
  p_now timestamptz default null
)
returns table (
  acquired boolean,
  held_until timestamptz,
  value jsonb,
  revision bigint,
  invalid_reason text,
  updated_at timestamptz
)
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(p_now, clock_timestamp());
  v_row act_credentials;
begin
  if p_key is null or p_key = '' or p_owner is null or p_owner = '' then
    raise exception using errcode = '22023', message = 'act_credential_acquire_lease: the key and the owner must be non-empty';
  end if;
  if p_lease_ms is null or p_lease_ms <= 0 then
    raise exception using errcode = '22023',
      message = format('act_credential_acquire_lease: lease_ms must be positive, got %s', p_lease_ms);
  end if;
  insert into act_credentials as c (key) values (p_key) on conflict (key) do nothing;
  select c.* into v_row from act_credentials c where c.key = p_key for update;

  if v_row.lease_owner is not null and v_row.lease_owner <> p_owner and v_row.lease_expires_at > v_now then
    return query select false, v_row.lease_expires_at, null::jsonb, null::bigint, null::text, null::timestamptz;
    return;
  end if;
  update act_credentials c
  set lease_owner = p_owner, lease_expires_at = v_now + p_lease_ms * interval '1 millisecond'
  where c.key = p_key;
  return query select true, null::timestamptz, v_row.value,
    case when v_row.value is null then null else v_row.revision end,
    case when v_row.value is null then null else v_row.invalid_reason end,
    case when v_row.value is null then null else v_row.updated_at end;
end;
$$;

-- Save the refreshed credential and release the lease in one statement, only
-- while p_owner holds the lease (even an expired one nobody else took: its
-- refresh is the only one, and its rotated token must be kept). The saved
-- credential, or no row when the lease was lost.
create or replace function act_credential_complete_refresh(
  p_key text,
  p_owner text,
  p_value jsonb,
  p_now timestamptz default null
)
returns table (value jsonb, revision bigint, invalid_reason text, updated_at timestamptz)
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(p_now, clock_timestamp());
begin
  if p_value is null or jsonb_typeof(p_value) <> 'object' then
    raise exception using errcode = '22023', message = 'act_credential_complete_refresh: the value must be a JSON object';
  end if;
  return query
  update act_credentials c
  set value = p_value, revision = c.revision + 1, invalid_reason = null,
    lease_owner = null, lease_expires_at = null, updated_at = v_now
  where c.key = p_key and c.lease_owner = p_owner
  returning c.value, c.revision, c.invalid_reason, c.updated_at;
end;
$$;

-- Release the lease without a new credential (the refresh failed), only
-- while p_owner holds it. With p_invalid_reason, mark the stored credential
-- as needing a reconnect (until the next put).
create or replace function act_credential_release_lease(
  p_key text,
  p_owner text,
  p_invalid_reason text default null,
  p_now timestamptz default null
)
returns void
language plpgsql volatile
set search_path from current
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(p_now, clock_timestamp());
  v_reason text := nullif(p_invalid_reason, '');
begin
  update act_credentials c
  set lease_owner = null, lease_expires_at = null,
    invalid_reason = case when v_reason is not null and c.value is not null then v_reason else c.invalid_reason end,
    updated_at = case when v_reason is not null and c.value is not null then v_now else c.updated_at end
  where c.key = p_key and c.lease_owner = p_owner;
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

-- As 0003: on Supabase, row level security on the new table, and the table
-- and the new functions closed to anon and authenticated (service_role and
-- the owner keep access). Nothing changes on a Postgres without those roles.
do $$
declare
  v_role text;
  v_function text;
begin
  if exists (select 1 from pg_roles where rolname = 'anon') then
    alter table act_credentials enable row level security;
  end if;
  foreach v_role in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = v_role) then
      execute format('revoke all on act_credentials from %I', v_role);
    end if;
  end loop;
  foreach v_function in array array[
    'act_credential_get(text)',
    'act_credential_put(text, jsonb, timestamptz)',
    'act_credential_acquire_lease(text, text, bigint, timestamptz)',
    'act_credential_complete_refresh(text, text, jsonb, timestamptz)',
    'act_credential_release_lease(text, text, text, timestamptz)',
    'act_sink_scan(text, jsonb, text[], jsonb, integer)'
  ] loop
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

-- As 0006: in a schema of your own, grant service_role the new table (the
-- functions run as the caller). Does nothing where it already has access.
select act_grant_service_role();
