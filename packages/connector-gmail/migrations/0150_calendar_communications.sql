-- @act/connector-gmail (Google Calendar): every meeting as one row per
-- participant, matched to the contacts of other sources through the
-- cross-source identity map of @act/sink-supabase (0013_act_identity), in the
-- same columns as gmail_communications, so a timeline is
--   select * from (select * from gmail_communications
--                  union all select * from calendar_communications) c where …
--
-- One row per (event, participant address): the organizer and each attendee
-- other than the calendar itself, with the contact that address identifies
-- when exactly one record of a source holds it within the calendar's tenant
-- group (a shared address is a conflict and matches nothing). Cancelled
-- (tombstoned) events are left out; occurred_at is the start (an all-day
-- event's date at midnight UTC).
--
-- An event with no other participant is one row with participant_* null; an
-- address matched in two sources is a row for each. The tenant column is
-- calendar_id (gmail_communications': mailbox), in the same position.
-- App users: as gmail_communications (act_grant_tenant_access('calendar') and
-- the optional tenant_access_identity migration).
--
-- direction: 'outbound' when the calendar's owner organises it, else 'inbound'.
create or replace view calendar_communications as
with events as (
  select e.calendar_id, e.id, e.summary,
    coalesce(e.start_at, e.start_date::timestamp at time zone 'UTC') as starts,
    e.organizer_email,
    coalesce(e.attendee_emails, '{}') as attendee_emails,
    coalesce(g.tenant_group, 'default') as tenant_group
  from calendar_events e
  left join act_identity_tenant_groups g on g.source = 'calendar' and g.tenant = e.calendar_id
  where e._deleted_at is null
),
participants as (
  select distinct on (x.calendar_id, x.id, x.address) x.*
  from (
    select ev.*, p.role, p.address, p.rank
    from events ev
    left join lateral (
      select 'organizer'::text as role, ev.organizer_email as address, 1 as rank
      union all select 'attendee', a, 2 from unnest(ev.attendee_emails) a
    ) p on p.address is not null and p.address <> '' and p.address <> ev.calendar_id
  ) x
  order by x.calendar_id, x.id, x.address, x.rank
),
clean as (
  select v.* from act_identity_values v
  where v.kind = 'email' and v.source <> 'calendar'
    and not exists (
      select 1 from act_identity_values o
      where o.kind = 'email' and o.value = v.value and o.tenant_group = v.tenant_group
        and o.source = v.source and o.entity = v.entity and (o.tenant, o.record_id) <> (v.tenant, v.record_id)
    )
)
select 'calendar'::text as source, p.calendar_id, 'meeting'::text as channel,
  p.id as record_id, null::text as thread_id, p.starts as occurred_at, p.summary as title,
  case when p.organizer_email = p.calendar_id then 'outbound' else 'inbound' end as direction,
  p.role as participant_role, p.address as participant_address,
  c.source as contact_source, c.tenant as contact_tenant, c.entity as contact_entity, c.record_id as contact_record_id
from participants p
left join clean c on c.value = p.address and c.tenant_group = p.tenant_group;
