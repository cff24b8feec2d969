-- @act/connector-gmail: the mirror of Gmail messages, one row per message and
-- mailbox, keyed like the transformer's operations: (mailbox, id). The mailbox
-- is the account's address in lower case; a message id is unique within it.
--
-- Columns starting with "_" are bookkeeping that @act/sink-supabase defines
-- and maintains (version guard, write order, unchanged detection, tombstones,
-- sync time). _version is the message's historyId (a deletion's: the history
-- record that deleted it), so an older copy never replaces a newer one.
create table if not exists gmail_messages (
  mailbox text not null,
  id text not null,
  thread_id text,
  history_id text,
  label_ids text[],
  from_addresses text[],
  to_addresses text[],
  cc_addresses text[],
  subject text,
  snippet text,
  internal_date timestamptz,
  size_estimate integer,
  raw jsonb,
  _version bigint,
  _version_order bigint[],
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz not null default now(),
  primary key (mailbox, id)
);

-- A thread's messages, newest first, and "what arrived in this mailbox lately".
create index if not exists gmail_messages_thread_idx on gmail_messages (mailbox, thread_id, internal_date desc);
create index if not exists gmail_messages_internal_date_idx on gmail_messages (mailbox, internal_date desc);

-- Threads without another API call: the live messages grouped by thread, with
-- everyone who wrote or was written to in it and the labels its messages carry.
-- Gmail gives every message a thread id; a row without one (written by hand)
-- is a thread of its own rather than left out.
create or replace view gmail_threads as
with live as (
  select m.*, coalesce(m.thread_id, m.id) as thread_key
  from gmail_messages m
  where m._deleted_at is null
)
select
  messages.mailbox,
  messages.thread_key as thread_id,
  count(*)::integer as message_count,
  min(messages.internal_date) as first_message_at,
  max(messages.internal_date) as last_message_at,
  (array_agg(messages.subject order by messages.internal_date asc nulls last))[1] as subject,
  (array_agg(messages.snippet order by messages.internal_date desc nulls last))[1] as last_snippet,
  coalesce((
    select array_agg(distinct address order by address)
    from live thread,
      unnest(coalesce(thread.from_addresses, '{}') || coalesce(thread.to_addresses, '{}') || coalesce(thread.cc_addresses, '{}')) as address
    where thread.mailbox = messages.mailbox and thread.thread_key = messages.thread_key
  ), '{}') as participants,
  coalesce((
    select array_agg(distinct label order by label)
    from live thread, unnest(thread.label_ids) as label
    where thread.mailbox = messages.mailbox and thread.thread_key = messages.thread_key
  ), '{}') as label_ids
from live messages
group by messages.mailbox, messages.thread_key;
