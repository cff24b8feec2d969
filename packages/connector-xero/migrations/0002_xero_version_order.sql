-- @act/connector-xero: the tie-break column @act/sink-supabase (0003_act_sink)
-- orders writes by after _version. At equal versions the write with the higher
-- (copy time, arrival) wins, so an older copy of a record never replaces a
-- newer one; see SinkUpsertV1.order in @act/core. Bookkeeping: the sink
-- maintains it.
alter table xero_contacts add column if not exists _version_order bigint[];
alter table xero_invoices add column if not exists _version_order bigint[];
alter table xero_credit_notes add column if not exists _version_order bigint[];
alter table xero_payments add column if not exists _version_order bigint[];
alter table xero_bank_transactions add column if not exists _version_order bigint[];
