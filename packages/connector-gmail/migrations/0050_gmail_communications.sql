-- @act/connector-gmail: every email as one row per participant, matched to
-- the contacts of other sources (a GHL contact, a Xero contact) through the
-- cross-source identity map of @act/sink-supabase (0013_act_identity): the
-- "communications" a CRM timeline shows, kept as a view over the mirror, so
-- there is nothing to recompute and nothing to drift.
--
-- One row per (message, participant address): the sender and each To/Cc
-- recipient other than the mailbox itself, with the contact that address
-- identifies when exactly one record of a source holds it within the
-- mailbox's tenant group. An address two contacts of one source share is a
-- conflict (act_identity_conflicts): it matches neither, never a guess.
-- Unmatched participants are kept (contact_* null), so a new contact found
-- later needs no backfill: the view sees it at once; a message with no other
-- participant is one row with participant_* null. An address matched in two
-- sources (a GHL and a Xero contact) is a row for each.
--
-- App users: act_grant_tenant_access('gmail') opens it like the mirror
-- tables (rows of mailboxes they may read); the matches need the identity map
-- opened too (migrate({ tenantAccess }), the optional
-- tenant_access_identity migration), and show contacts of tenants they may read.
--
-- direction: 'outbound' when the mailbox sent the message, else 'inbound'.
-- Tombstoned messages (deleted in Gmail) are left out.
create or replace view gmail_communications as
with messages as (
  select m.mailbox, m.id, m.thread_id, m.subject, m.internal_date,
    coalesce(m.from_addresses, '{}') as from_addresses,
    coalesce(m.to_addresses, '{}') as to_addresses,
    coalesce(m.cc_addresses, '{}') as cc_addresses,
    coalesce(g.tenant_group, 'default') as tenant_group
  from gmail_messages m
  left join act_identity_tenant_groups g on g.source = 'gmail' and g.tenant = m.mailbox
  where m._deleted_at is null
),
participants as (
  select distinct on (x.mailbox, x.id, x.address) x.*
  from (
    select ms.*, p.role, p.address, p.rank
    from messages ms
    left join lateral (
      select 'from'::text as role, a as address, 1 as rank from unnest(ms.from_addresses) a
      union all select 'to', a, 2 from unnest(ms.to_addresses) a
      union all select 'cc', a, 3 from unnest(ms.cc_addresses) a
    ) p on p.address is not null and p.address <> '' and p.address <> ms.mailbox
  ) x
  order by x.mailbox, x.id, x.address, x.rank
),
-- Email identities no other record of the same source and entity holds in the group.
clean as (
  select v.* from act_identity_values v
  where v.kind = 'email' and v.source <> 'gmail'
    and not exists (
      select 1 from act_identity_values o
      where o.kind = 'email' and o.value = v.value and o.tenant_group = v.tenant_group
        and o.source = v.source and o.entity = v.entity and (o.tenant, o.record_id) <> (v.tenant, v.record_id)
    )
)
select 'gmail'::text as source, p.mailbox, 'email'::text as channel,
  p.id as record_id, p.thread_id, p.internal_date as occurred_at, p.subject as title,
  case when p.mailbox = any (p.from_addresses) then 'outbound' else 'inbound' end as direction,
  p.role as participant_role, p.address as participant_address,
  c.source as contact_source, c.tenant as contact_tenant, c.entity as contact_entity, c.record_id as contact_record_id
from participants p
left join clean c on c.value = p.address and c.tenant_group = p.tenant_group;
