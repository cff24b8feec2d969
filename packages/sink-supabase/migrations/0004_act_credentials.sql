-- @act/sink-supabase 0004: OAuth credentials with a cross-process refresh
-- lease (CredentialStoreV1). As everywhere in this package, every operation
-- is one function call, so one transaction, and one `rpc` for supabase-js.

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

-- The connections that need a person to reconnect them
-- (CredentialStoreV1.listInvalid), for health pages and `act health`. Keys
-- and reasons only: the credential values never leave the table here.
create or replace function act_credentials_list_invalid(p_prefix text)
returns table (key text, invalid_reason text, updated_at timestamptz)
language sql stable
set search_path from current
as $$
  select c.key, c.invalid_reason, c.updated_at
  from act_credentials c
  where c.invalid_reason is not null
    and c.value is not null
    and left(c.key, length(coalesce(p_prefix, ''))) = coalesce(p_prefix, '')
  order by c.key;
$$;

-- Closed to anon and authenticated (see 0001): only the owner and service_role.
select act_restrict_api_roles(
  array[
    'act_credentials'
  ],
  array[
    'act_credential_get', 'act_credential_put', 'act_credential_acquire_lease',
    'act_credential_complete_refresh', 'act_credential_release_lease',
    'act_credentials_list_invalid'
  ]
);

-- In a schema of your own, grant service_role what it lacks (see 0001).
select act_grant_service_role();
