-- @act/sink-supabase 0011: the connections that need a person to reconnect
-- them (CredentialStoreV1.listInvalid), for health pages and `act health`.
-- Keys and reasons only: the credential values never leave the table here.

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

-- Closed like every act_ function (see 0003): only the owner and service_role.
do $$
declare
  v_role text;
begin
  execute 'revoke execute on function act_credentials_list_invalid(text) from public';
  foreach v_role in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = v_role) then
      execute format('revoke execute on function act_credentials_list_invalid(text) from %I', v_role);
    end if;
  end loop;
  if exists (select 1 from pg_roles where rolname = 'service_role') then
    execute 'grant execute on function act_credentials_list_invalid(text) to service_role';
  end if;
end;
$$;
