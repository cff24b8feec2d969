-- @act/connector-ghl: the tie-break column @act/sink-supabase (0003_act_sink)
-- orders writes by after _version. At equal versions the write with the higher
-- (copy time, arrival) wins, so an older copy of a record never replaces a
-- newer one; see SinkUpsertV1.order in @act/core. Bookkeeping: the sink
-- maintains it.
alter table ghl_contacts add column if not exists _version_order bigint[];
alter table ghl_opportunities add column if not exists _version_order bigint[];
alter table ghl_pipelines add column if not exists _version_order bigint[];
alter table ghl_appointments add column if not exists _version_order bigint[];
alter table ghl_tasks add column if not exists _version_order bigint[];
alter table ghl_notes add column if not exists _version_order bigint[];
