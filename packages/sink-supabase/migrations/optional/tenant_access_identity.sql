-- @act/sink-supabase, optional, with tenant access (applied right after
-- tenant_access.sql by migrate({ tenantAccess }) and `act migrate
-- --tenant-access`): the cross-source identity map (0013_act_identity), per
-- tenant, for signed-in users.
--
-- An identity is a value of a mirror row (a contact's email or phone): a
-- user who may read a tenant's rows may read that tenant's identities, and
-- nothing else. So a connector view over the map (Gmail's
-- gmail_communications, matching emails to contacts) works for app users
-- once act_grant_tenant_access opened it, showing only matches to records of
-- tenants they may read; it answered "permission denied" before.
-- - act_identities and act_identity_tenant_groups: row level security, SELECT
--   for `authenticated` on the rows of (source, tenant) pairs act_can_read
--   allows. No write policy: the mirror's triggers write as the owner or
--   service_role, who bypass it.
-- - act_identity_values, act_identity_conflicts and act_identity_links become
--   security_invoker (they read with the caller's rights and policies, never
--   the owner's); only act_identity_values is granted, the views connectors
--   build on. Conflicts and links stay the server's (act_identity_matches).
-- `anon` gets nothing.
--
-- Never edit this file once applied: add a new optional migration instead.

alter table act_identities enable row level security;
drop policy if exists act_tenant_read on act_identities;
create policy act_tenant_read on act_identities
  for select to authenticated using (act_can_read(source, tenant));

alter table act_identity_tenant_groups enable row level security;
drop policy if exists act_tenant_read on act_identity_tenant_groups;
create policy act_tenant_read on act_identity_tenant_groups
  for select to authenticated using (act_can_read(source, tenant));

alter view act_identity_values set (security_invoker = true);
alter view act_identity_conflicts set (security_invoker = true);
alter view act_identity_links set (security_invoker = true);

revoke all on act_identities, act_identity_tenant_groups, act_identity_values from anon;
grant select on act_identities, act_identity_tenant_groups, act_identity_values to authenticated;
