// Records → rows of the mirror tables (migrations/0001_xero_mirror.sql).
//
// What the transformer accepts (from hydrated webhook events, the poller and
// the reconciler alike): a `SourceEventV1` with
// - `tenant`: the Xero organisation (tenant) id, `entityId`: the record's id;
// - `entity`: `contact` | `invoice` | `credit_note` | `payment` |
//   `bank_transaction` (`subscription` events change nothing);
// - `payload`: the record as Xero's Accounting API returns it (PascalCase,
//   MS-JSON dates: `Contact`, `Invoice`, `CreditNote`, `Payment`,
//   `BankTransaction` of xero_accounting.yaml [X4]);
// - `version`: epoch ms of `UpdatedDateUTC` (read from the record when absent).
//
// Always an upsert: Xero has no deletes (fact sheet B2, B4 #6). Deleted,
// voided and archived records are updates whose status says so (`status`
// DELETED / VOIDED, `contact_status` ARCHIVED / GDPRREQUEST), mirrored as that
// status, never as a tombstone: Xero can un-archive a contact, and a tombstone
// would refuse every later version of the row.
//
// Upserts write only the columns whose source field is present in the record,
// so a summary listing (`summaryOnly=true` leaves out line items) never
// blanks what a full fetch wrote. `raw` holds the record as Xero last sent it,
// minus blocked fields. Ids (keys and the *_id columns) are lower case (see
// `xeroId`), so a webhook's and a listing's spelling of one GUID are one row.
import {
  ConfigurationError,
  type FieldPoliciesV1,
  type FieldPolicyV1,
  mergeFieldPolicies,
  type SinkOperationV1,
  TransformError,
  type TransformerV1,
} from '@act/core';
import {
  XERO_PACKAGE_NAME,
  type XeroMirroredEntity,
  type XeroRecord,
  type XeroSourceEvent,
  xeroDate,
  xeroTimeIso,
  xeroTimeMs,
} from './xero-events';
import { xeroId } from './xero-webhook';

/** The mirror table of each entity. */
export const XERO_TABLES = {
  contact: 'xero_contacts',
  invoice: 'xero_invoices',
  credit_note: 'xero_credit_notes',
  payment: 'xero_payments',
  bank_transaction: 'xero_bank_transactions',
} as const satisfies Record<XeroMirroredEntity, string>;

export type XeroTable = (typeof XERO_TABLES)[keyof typeof XERO_TABLES];

/** Every mirror table's key columns, in order: `(tenant_id, id)`. */
export const XERO_KEY_COLUMNS = ['tenant_id', 'id'] as const;

/** The record id field of each entity (`InvoiceID`, …), for pollers and reconcilers. */
export const XERO_ID_FIELDS: Readonly<Record<XeroMirroredEntity, string>> = Object.freeze({
  contact: 'ContactID',
  invoice: 'InvoiceID',
  credit_note: 'CreditNoteID',
  payment: 'PaymentID',
  bank_transaction: 'BankTransactionID',
});

/** The connector's own field policies: nothing blocked or preserved by default. */
export const XERO_DEFAULT_FIELD_POLICIES: FieldPoliciesV1 = {};

/** Optional derived columns, off by default. */
export interface XeroTransforms {
  /**
   * Project-code detection: `project_code` on invoices, credit notes and bank
   * transactions, from the first match of `pattern` in `Reference` (and, with
   * `lineItems: true`, then in the line items' `Description`s, in order). The
   * code is the first capture group when the pattern has one, else the whole
   * match, trimmed and upper-cased; `null` when nothing matches. E.g.
   * `{ pattern: /\bPRJ-(\d{3,})\b/i }` turns `"Fit-out PRJ-0042 stage 2"` into `0042`.
   */
  projectCode?: { pattern: RegExp | string; lineItems?: boolean };
  /**
   * Contact matching: `contact_match_key` on contacts, a deterministic key to
   * join Xero contacts to people elsewhere (a CRM mirror) with plain SQL: the
   * email address trimmed and lower-cased when the contact has one, else the
   * contact's name normalised (accents removed, lower case, punctuation and
   * repeated spaces removed: `"Acme Parts Co."` → `acme parts co`). The two
   * kinds never collide (only an email contains `@`).
   */
  contactMatching?: boolean;
}

export interface XeroTransformerOptions {
  /** The user's policies, merged with the defaults. */
  fieldPolicies?: FieldPoliciesV1;
  transforms?: XeroTransforms;
}

/** A column, the record paths it is read from (first present wins) and the conversion. */
interface ColumnSpec {
  column: string;
  paths: readonly (readonly string[])[];
  convert: (value: unknown) => unknown;
}

const col = (
  column: string,
  paths: string | readonly string[],
  convert: ColumnSpec['convert'] = asText,
): ColumnSpec => ({
  column,
  paths: (typeof paths === 'string' ? [paths] : paths).map((path) => path.split('.')),
  convert,
});

const updatedAt = col('updated_at', 'UpdatedDateUTC', asTimestamp);

const CONTACT_COLUMNS: readonly ColumnSpec[] = [
  col('name', 'Name'),
  col('first_name', 'FirstName'),
  col('last_name', 'LastName'),
  col('email', 'EmailAddress', normaliseEmail),
  col('contact_number', 'ContactNumber'),
  col('account_number', 'AccountNumber'),
  col('contact_status', 'ContactStatus'),
  col('is_supplier', 'IsSupplier', asBoolean),
  col('is_customer', 'IsCustomer', asBoolean),
  col('company_number', 'CompanyNumber'),
  col('tax_number', 'TaxNumber'),
  col('default_currency', 'DefaultCurrency'),
  col('website', 'Website'),
  col('merged_to_contact_id', 'MergedToContactID', asId),
  col('addresses', 'Addresses', asJson),
  col('phones', 'Phones', asJson),
  col('contact_persons', 'ContactPersons', asJson),
  col('contact_groups', 'ContactGroups', asJson),
  col('balances', 'Balances', asJson),
  updatedAt,
];

const INVOICE_COLUMNS: readonly ColumnSpec[] = [
  col('type', 'Type'),
  col('invoice_number', 'InvoiceNumber'),
  col('reference', 'Reference'),
  col('status', 'Status'),
  col('contact_id', 'Contact.ContactID', asId),
  col('contact_name', 'Contact.Name'),
  col('date', ['Date', 'DateString'], asDate),
  col('due_date', ['DueDate', 'DueDateString'], asDate),
  col('expected_payment_date', 'ExpectedPaymentDate', asDate),
  col('planned_payment_date', 'PlannedPaymentDate', asDate),
  col('fully_paid_on_date', 'FullyPaidOnDate', asDate),
  col('line_amount_types', 'LineAmountTypes'),
  col('currency_code', 'CurrencyCode'),
  col('currency_rate', 'CurrencyRate', asNumber),
  col('sub_total', 'SubTotal', asNumber),
  col('total_tax', 'TotalTax', asNumber),
  col('total', 'Total', asNumber),
  col('total_discount', 'TotalDiscount', asNumber),
  col('amount_due', 'AmountDue', asNumber),
  col('amount_paid', 'AmountPaid', asNumber),
  col('amount_credited', 'AmountCredited', asNumber),
  col('sent_to_contact', 'SentToContact', asBoolean),
  col('is_discounted', 'IsDiscounted', asBoolean),
  col('has_attachments', 'HasAttachments', asBoolean),
  col('repeating_invoice_id', 'RepeatingInvoiceID', asId),
  col('branding_theme_id', 'BrandingThemeID', asId),
  col('url', 'Url'),
  col('line_items', 'LineItems', asJson),
  col('payments', 'Payments', asJson),
  col('credit_notes', 'CreditNotes', asJson),
  col('prepayments', 'Prepayments', asJson),
  col('overpayments', 'Overpayments', asJson),
  updatedAt,
];

const CREDIT_NOTE_COLUMNS: readonly ColumnSpec[] = [
  col('type', 'Type'),
  col('credit_note_number', 'CreditNoteNumber'),
  col('reference', 'Reference'),
  col('status', 'Status'),
  col('contact_id', 'Contact.ContactID', asId),
  col('contact_name', 'Contact.Name'),
  col('date', ['Date', 'DateString'], asDate),
  col('due_date', ['DueDate', 'DueDateString'], asDate),
  col('fully_paid_on_date', 'FullyPaidOnDate', asDate),
  col('line_amount_types', 'LineAmountTypes'),
  col('currency_code', 'CurrencyCode'),
  col('currency_rate', 'CurrencyRate', asNumber),
  col('sub_total', 'SubTotal', asNumber),
  col('total_tax', 'TotalTax', asNumber),
  col('total', 'Total', asNumber),
  col('remaining_credit', 'RemainingCredit', asNumber),
  col('applied_amount', 'AppliedAmount', asNumber),
  col('sent_to_contact', 'SentToContact', asBoolean),
  col('has_attachments', 'HasAttachments', asBoolean),
  col('branding_theme_id', 'BrandingThemeID', asId),
  col('line_items', 'LineItems', asJson),
  col('allocations', 'Allocations', asJson),
  col('payments', 'Payments', asJson),
  updatedAt,
];

const PAYMENT_COLUMNS: readonly ColumnSpec[] = [
  col('payment_type', 'PaymentType'),
  col('status', 'Status'),
  col('date', 'Date', asDate),
  col('amount', 'Amount', asNumber),
  col('bank_amount', 'BankAmount', asNumber),
  col('currency_rate', 'CurrencyRate', asNumber),
  col('reference', 'Reference'),
  col('is_reconciled', 'IsReconciled', asBoolean),
  col('invoice_id', 'Invoice.InvoiceID', asId),
  col('invoice_number', ['Invoice.InvoiceNumber', 'InvoiceNumber']),
  col('credit_note_id', 'CreditNote.CreditNoteID', asId),
  col('credit_note_number', ['CreditNote.CreditNoteNumber', 'CreditNoteNumber']),
  col('prepayment_id', 'Prepayment.PrepaymentID', asId),
  col('overpayment_id', 'Overpayment.OverpaymentID', asId),
  col('batch_payment_id', ['BatchPaymentID', 'BatchPayment.BatchPaymentID'], asId),
  col('account_id', 'Account.AccountID', asId),
  col('account_code', ['Account.Code', 'Code']),
  col('bank_account_number', 'BankAccountNumber'),
  col('particulars', 'Particulars'),
  col('details', 'Details'),
  updatedAt,
];

const BANK_TRANSACTION_COLUMNS: readonly ColumnSpec[] = [
  col('type', 'Type'),
  col('status', 'Status'),
  col('contact_id', 'Contact.ContactID', asId),
  col('contact_name', 'Contact.Name'),
  col('bank_account_id', 'BankAccount.AccountID', asId),
  col('bank_account_code', 'BankAccount.Code'),
  col('bank_account_name', 'BankAccount.Name'),
  col('is_reconciled', 'IsReconciled', asBoolean),
  col('date', ['Date', 'DateString'], asDate),
  col('reference', 'Reference'),
  col('currency_code', 'CurrencyCode'),
  col('currency_rate', 'CurrencyRate', asNumber),
  col('line_amount_types', 'LineAmountTypes'),
  col('sub_total', 'SubTotal', asNumber),
  col('total_tax', 'TotalTax', asNumber),
  col('total', 'Total', asNumber),
  col('prepayment_id', 'PrepaymentID', asId),
  col('overpayment_id', 'OverpaymentID', asId),
  col('url', 'Url'),
  col('has_attachments', 'HasAttachments', asBoolean),
  col('line_items', 'LineItems', asJson),
  updatedAt,
];

const COLUMNS: Readonly<Record<XeroTable, readonly ColumnSpec[]>> = {
  xero_contacts: CONTACT_COLUMNS,
  xero_invoices: INVOICE_COLUMNS,
  xero_credit_notes: CREDIT_NOTE_COLUMNS,
  xero_payments: PAYMENT_COLUMNS,
  xero_bank_transactions: BANK_TRANSACTION_COLUMNS,
};

/** Tables with a `project_code` column (records with a `Reference`). */
const PROJECT_CODE_TABLES: ReadonlySet<XeroTable> = new Set([
  'xero_invoices',
  'xero_credit_notes',
  'xero_bank_transactions',
]);

/**
 * Xero records → rows keyed by `{ tenant_id, id }`. Pure. Field policies:
 * blocked columns are removed by the runtime; this also removes, from the row
 * and from `raw`, the Xero field each blocked column is read from (block
 * `email` and `raw.EmailAddress` goes too). A policy may also name a Xero
 * field directly (`BankAccountDetails`, `Contact.EmailAddress`) to keep it out
 * of `raw` and of every column read from it.
 *
 * @throws ConfigurationError for a `projectCode.pattern` that is not a valid regular expression.
 */
export function createXeroTransformer(options: XeroTransformerOptions = {}): TransformerV1<XeroSourceEvent> {
  const fieldPolicies = mergeFieldPolicies(XERO_DEFAULT_FIELD_POLICIES, options.fieldPolicies);
  const projectCode = options.transforms?.projectCode ? compileProjectCode(options.transforms.projectCode) : undefined;
  const contactMatching = options.transforms?.contactMatching === true;

  return {
    specificationVersion: 'v1',
    fieldPolicies,
    transform(event, context) {
      if (event.entity === 'subscription') return [];
      const table = (XERO_TABLES as Record<string, XeroTable | undefined>)[event.entity];
      if (!table) {
        throw transformError(
          `event ${event.type} ${event.entityId} has an unknown entity ${JSON.stringify(event.entity)}`,
        );
      }
      if (event.thin) {
        // A thin event is only ids: applying it would write nothing true. The
        // worker fetches it first (`hydrate`); getting here means it was not.
        throw transformError(
          `event ${event.type} ${event.entityId} was not fetched: Xero webhooks carry only ids (the connector's hydrate fetches the record)`,
        );
      }
      const record = event.payload as XeroRecord;
      if (!isObject(record)) throw transformError(`event ${event.type} ${event.entityId} has no record payload`);

      const policy = (context.fieldPolicies ?? fieldPolicies)[table];
      const specs = COLUMNS[table];
      const blocked = blockedPaths(specs, policy);
      const values: Record<string, unknown> = {};
      for (const spec of specs) {
        const path = spec.paths.find((candidate) => has(record, candidate));
        if (path === undefined || blocked.has(path.join('.'))) continue;
        values[spec.column] = spec.convert(get(record, path));
      }
      if (projectCode && PROJECT_CODE_TABLES.has(table) && (has(record, ['Reference']) || projectCode.lineItems)) {
        const code = projectCode.detect(record, blocked);
        if (code !== undefined) values.project_code = code;
      }
      if (contactMatching && table === 'xero_contacts') {
        const key = contactMatchKey(
          blocked.has('EmailAddress') ? undefined : record.EmailAddress,
          blocked.has('Name') ? undefined : record.Name,
        );
        if (key !== undefined) values.contact_match_key = key;
      }
      values.raw = rawOf(record, blocked);

      const version = event.version ?? xeroTimeMs(record.UpdatedDateUTC);
      const operation: SinkOperationV1 = {
        kind: 'upsert',
        table,
        key: { tenant_id: xeroId(event.tenant), id: xeroId(event.entityId) },
        values,
        ...(version !== undefined ? { version } : {}),
      };
      return [operation];
    },
  };
}

// ---------------------------------------------------------------------------
// Optional transforms

interface ProjectCodeDetector {
  lineItems: boolean;
  /** The code, `null` when nothing matches, `undefined` when there was nothing to look at. */
  detect(record: XeroRecord, blocked: ReadonlySet<string>): string | null | undefined;
}

function compileProjectCode(setting: NonNullable<XeroTransforms['projectCode']>): ProjectCodeDetector {
  let pattern: RegExp;
  try {
    // A fresh, non-global copy: a /g or /y pattern carries `lastIndex` from one call to the next.
    const source = typeof setting.pattern === 'string' ? setting.pattern : setting.pattern.source;
    const flags = typeof setting.pattern === 'string' ? '' : setting.pattern.flags.replace(/[gy]/g, '');
    pattern = new RegExp(source, flags);
  } catch (error) {
    throw new ConfigurationError({
      packageName: XERO_PACKAGE_NAME,
      message: `transforms.projectCode.pattern is not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
  const lineItems = setting.lineItems === true;
  const match = (text: unknown): string | undefined => {
    if (typeof text !== 'string') return undefined;
    const found = pattern.exec(text);
    if (!found) return undefined;
    const code = (found.length > 1 ? (found[1] ?? '') : found[0]).trim().toUpperCase();
    return code === '' ? undefined : code;
  };
  return {
    lineItems,
    detect(record, blocked) {
      const texts: unknown[] = [];
      if (!blocked.has('Reference')) texts.push(record.Reference);
      if (lineItems && Array.isArray(record.LineItems) && !blocked.has('LineItems')) {
        for (const item of record.LineItems) if (isObject(item)) texts.push(item.Description);
      }
      if (texts.every((value) => value === undefined)) return undefined;
      for (const value of texts) {
        const code = match(value);
        if (code !== undefined) return code;
      }
      return null;
    },
  };
}

/** `contact_match_key`: the email (lower case) when there is one, else the normalised name; `undefined` for neither. */
export function contactMatchKey(email: unknown, name: unknown): string | null | undefined {
  const mail = normaliseEmail(email);
  if (mail) return mail;
  const normalised = normaliseName(name);
  if (normalised) return normalised;
  return email === undefined && name === undefined ? undefined : null;
}

/** `"  Ácme  Parts Co. "` → `"acme parts co"`: NFKD without marks, lower case, only letters and digits, single spaces. */
export function normaliseName(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const normalised = value
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  return normalised === '' ? null : normalised;
}

// ---------------------------------------------------------------------------
// Field policies and raw

/**
 * The record paths a policy keeps out: the ones it names (`EmailAddress`,
 * `Contact.EmailAddress`), plus the paths behind every blocked column.
 */
function blockedPaths(specs: readonly ColumnSpec[], policy: FieldPolicyV1 | undefined): ReadonlySet<string> {
  const blocked = new Set<string>(policy?.blocked ?? []);
  for (const spec of specs) {
    if (blocked.has(spec.column)) for (const path of spec.paths) blocked.add(path.join('.'));
  }
  return blocked;
}

/** The record without blocked paths (a copy; nested objects are copied only where a path is removed). */
function rawOf(record: XeroRecord, blocked: ReadonlySet<string>): Record<string, unknown> {
  const raw: Record<string, unknown> = { ...record };
  for (const dotted of blocked) removePath(raw, dotted.split('.'));
  return raw;
}

function removePath(target: Record<string, unknown>, path: readonly string[]): void {
  const [head, ...rest] = path;
  if (head === undefined || !Object.hasOwn(target, head)) return;
  if (rest.length === 0) {
    delete target[head];
    return;
  }
  const child = target[head];
  if (!isObject(child)) return;
  const copy = { ...child };
  removePath(copy, rest);
  target[head] = copy;
}

function has(record: XeroRecord, path: readonly string[]): boolean {
  let current: unknown = record;
  for (const key of path) {
    if (!isObject(current) || !Object.hasOwn(current, key)) return false;
    current = current[key];
  }
  return true;
}

function get(record: XeroRecord, path: readonly string[]): unknown {
  let current: unknown = record;
  for (const key of path) current = isObject(current) ? current[key] : undefined;
  return current;
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function transformError(message: string): TransformError {
  return new TransformError({ packageName: XERO_PACKAGE_NAME, message });
}

// ---------------------------------------------------------------------------
// Conversions: each returns a value its column's SQL type accepts, or null.
// Anything unreadable becomes null rather than failing the batch.

function asText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function asId(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? xeroId(value) : null;
}

/** Xero sends booleans, and `"true"`/`"false"` strings in places (`BatchPayment.IsReconciled`, [X4] examples). */
function asBoolean(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  return null;
}

/** Amounts: numbers, or numeric strings (`"TotalAmount": "50.00"` in [X4]). */
function asNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : null;
  }
  return null;
}

function asJson(value: unknown): unknown {
  return value === undefined ? null : value;
}

/** An instant (MS-JSON or ISO) as ISO 8601 UTC, or null. */
function asTimestamp(value: unknown): string | null {
  return xeroTimeIso(value) ?? null;
}

/** A calendar date (`/Date(1551916800000+0000)/`, `2019-03-07T00:00:00`) as `YYYY-MM-DD`, or null. */
function asDate(value: unknown): string | null {
  return xeroDate(value) ?? null;
}

/** `" Liam@Rockstar.com "` → `"liam@rockstar.com"`; blank → null. */
export function normaliseEmail(value: unknown): string | null {
  const trimmed = typeof value === 'string' ? value.trim().toLowerCase() : '';
  return trimmed === '' ? null : trimmed;
}
