-- @act/connector-gmail: the tie-break column @act/sink-supabase (0003_act_sink)
-- orders writes by after _version. At equal versions the write with the higher
-- (copy time, arrival) wins, so an older copy of a record never replaces a
-- newer one; see SinkUpsertV1.order in @act/core. Bookkeeping: the sink
-- maintains it.
alter table gmail_records add column if not exists _version_order bigint[];
