// The SQL of migrations/, as strings, so the migrations ship inside the
// bundle and need no file system (edge runtimes have none). Keep each string
// identical to its .sql file: test/xero-migrations.test.ts checks.

const XERO_MIGRATION_0001 = `-- @act/connector-xero: the mirror of Xero contacts, invoices, credit notes,
-- payments and bank transactions. One row per record and organisation, keyed
-- like the transformer's operations: (tenant_id, id), the Xero tenant
-- (organisation) id and the record's id, both lower case.
--
-- Columns starting with "_" are bookkeeping that @act/sink-supabase defines
-- and maintains (version guard, unchanged detection, tombstones, sync time);
-- keep their names and types consistent with the sink's migrations. _version
-- is the record's UpdatedDateUTC in epoch milliseconds: an older fetch never
-- overwrites a newer one. Every other column is nullable: events write only
-- the fields the record carries.
--
-- Deleting, voiding and archiving are updates at Xero (there is no delete
-- event), mirrored as status / contact_status (DELETED, VOIDED, ARCHIVED,
-- GDPRREQUEST): filter on them. _deleted_at is set only by reconciliation,
-- for a record Xero no longer lists at all.
--
-- Normalised on the way in: ids lower case; emails trimmed and lower-cased;
-- Xero's MS-JSON dates as dates (Date, DueDate) or UTC instants
-- (UpdatedDateUTC → updated_at). Line items, payments, allocations and the
-- like stay jsonb, exactly as Xero sent them: a fetch always returns the
-- whole list, and a jsonb column is replaced whole, so a removed line can
-- never linger (xero_invoice_line_items below gives them rows to query).
-- raw holds the record as Xero last sent it (blocked fields removed).
--
-- project_code and contact_match_key are written only when the optional
-- transforms are turned on (transforms.projectCode, transforms.contactMatching).

create table if not exists xero_contacts (
  tenant_id text not null,
  id text not null,
  name text,
  first_name text,
  last_name text,
  email text,
  contact_number text,
  account_number text,
  contact_status text,
  is_supplier boolean,
  is_customer boolean,
  company_number text,
  tax_number text,
  default_currency text,
  website text,
  merged_to_contact_id text,
  addresses jsonb,
  phones jsonb,
  contact_persons jsonb,
  contact_groups jsonb,
  balances jsonb,
  updated_at timestamptz,
  contact_match_key text,
  raw jsonb,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
create index if not exists xero_contacts_email_idx on xero_contacts (tenant_id, email);
create index if not exists xero_contacts_match_idx on xero_contacts (tenant_id, contact_match_key);

create table if not exists xero_invoices (
  tenant_id text not null,
  id text not null,
  type text,
  invoice_number text,
  reference text,
  status text,
  contact_id text,
  contact_name text,
  date date,
  due_date date,
  expected_payment_date date,
  planned_payment_date date,
  fully_paid_on_date date,
  line_amount_types text,
  currency_code text,
  currency_rate numeric,
  sub_total numeric,
  total_tax numeric,
  total numeric,
  total_discount numeric,
  amount_due numeric,
  amount_paid numeric,
  amount_credited numeric,
  sent_to_contact boolean,
  is_discounted boolean,
  has_attachments boolean,
  repeating_invoice_id text,
  branding_theme_id text,
  url text,
  line_items jsonb,
  payments jsonb,
  credit_notes jsonb,
  prepayments jsonb,
  overpayments jsonb,
  updated_at timestamptz,
  project_code text,
  raw jsonb,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
create index if not exists xero_invoices_contact_idx on xero_invoices (tenant_id, contact_id);
create index if not exists xero_invoices_status_idx on xero_invoices (tenant_id, status, due_date);
create index if not exists xero_invoices_project_idx on xero_invoices (tenant_id, project_code);

create table if not exists xero_credit_notes (
  tenant_id text not null,
  id text not null,
  type text,
  credit_note_number text,
  reference text,
  status text,
  contact_id text,
  contact_name text,
  date date,
  due_date date,
  fully_paid_on_date date,
  line_amount_types text,
  currency_code text,
  currency_rate numeric,
  sub_total numeric,
  total_tax numeric,
  total numeric,
  remaining_credit numeric,
  applied_amount numeric,
  sent_to_contact boolean,
  has_attachments boolean,
  branding_theme_id text,
  line_items jsonb,
  allocations jsonb,
  payments jsonb,
  updated_at timestamptz,
  project_code text,
  raw jsonb,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
create index if not exists xero_credit_notes_contact_idx on xero_credit_notes (tenant_id, contact_id);

create table if not exists xero_payments (
  tenant_id text not null,
  id text not null,
  payment_type text,
  status text,
  date date,
  amount numeric,
  bank_amount numeric,
  currency_rate numeric,
  reference text,
  is_reconciled boolean,
  invoice_id text,
  invoice_number text,
  credit_note_id text,
  credit_note_number text,
  prepayment_id text,
  overpayment_id text,
  batch_payment_id text,
  account_id text,
  account_code text,
  bank_account_number text,
  particulars text,
  details text,
  updated_at timestamptz,
  raw jsonb,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
create index if not exists xero_payments_invoice_idx on xero_payments (tenant_id, invoice_id);
create index if not exists xero_payments_credit_note_idx on xero_payments (tenant_id, credit_note_id);

create table if not exists xero_bank_transactions (
  tenant_id text not null,
  id text not null,
  type text,
  status text,
  contact_id text,
  contact_name text,
  bank_account_id text,
  bank_account_code text,
  bank_account_name text,
  is_reconciled boolean,
  date date,
  reference text,
  currency_code text,
  currency_rate numeric,
  line_amount_types text,
  sub_total numeric,
  total_tax numeric,
  total numeric,
  prepayment_id text,
  overpayment_id text,
  url text,
  has_attachments boolean,
  line_items jsonb,
  updated_at timestamptz,
  project_code text,
  raw jsonb,
  _version bigint,
  _payload_hash text,
  _deleted_at timestamptz,
  _synced_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
create index if not exists xero_bank_transactions_account_idx on xero_bank_transactions (tenant_id, bank_account_id, date);
create index if not exists xero_bank_transactions_contact_idx on xero_bank_transactions (tenant_id, contact_id);

-- Invoice line items as rows, read from xero_invoices.line_items: nothing to
-- sync, so they can never disagree with their invoice. Numbers are taken only
-- where Xero sent a JSON number.
create or replace view xero_invoice_line_items as
select
  i.tenant_id,
  i.id as invoice_id,
  item.position::integer as position,
  lower(item.value ->> 'LineItemID') as line_item_id,
  item.value ->> 'Description' as description,
  case when jsonb_typeof(item.value -> 'Quantity') = 'number' then (item.value ->> 'Quantity')::numeric end as quantity,
  case when jsonb_typeof(item.value -> 'UnitAmount') = 'number' then (item.value ->> 'UnitAmount')::numeric end as unit_amount,
  item.value ->> 'ItemCode' as item_code,
  item.value ->> 'AccountCode' as account_code,
  item.value ->> 'TaxType' as tax_type,
  case when jsonb_typeof(item.value -> 'TaxAmount') = 'number' then (item.value ->> 'TaxAmount')::numeric end as tax_amount,
  case when jsonb_typeof(item.value -> 'LineAmount') = 'number' then (item.value ->> 'LineAmount')::numeric end as line_amount,
  case when jsonb_typeof(item.value -> 'DiscountRate') = 'number' then (item.value ->> 'DiscountRate')::numeric end as discount_rate,
  item.value -> 'Tracking' as tracking,
  item.value as raw
from xero_invoices i
cross join lateral jsonb_array_elements(
  case when jsonb_typeof(i.line_items) = 'array' then i.line_items else '[]'::jsonb end
) with ordinality as item(value, position);
`;

const XERO_MIGRATION_0002 = `-- @act/connector-xero: the tie-break column @act/sink-supabase (migration 0015)
-- orders writes by after _version. At equal versions the write with the higher
-- (copy time, arrival) wins, so an older copy of a record never replaces a
-- newer one; see SinkUpsertV1.order in @act/core. Bookkeeping: the sink
-- maintains it.
alter table xero_contacts add column if not exists _version_order bigint[];
alter table xero_invoices add column if not exists _version_order bigint[];
alter table xero_credit_notes add column if not exists _version_order bigint[];
alter table xero_payments add column if not exists _version_order bigint[];
alter table xero_bank_transactions add column if not exists _version_order bigint[];
`;

/** This connector's migrations, in order; the Postgres sink applies them after its own (as `xero/<name>`). */
export const XERO_MIGRATIONS: readonly { name: string; sql: string }[] = Object.freeze([
  { name: '0001_xero_mirror', sql: XERO_MIGRATION_0001 },
  { name: '0002_xero_version_order', sql: XERO_MIGRATION_0002 },
]);
