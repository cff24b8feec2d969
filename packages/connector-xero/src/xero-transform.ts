// Records → rows of the mirror tables (migrations/0001_xero_mirror.sql).
//
// What the transformer accepts (from hydrated webhook events, the poller and
// the reconciler alike): a `SourceEventV1` with
// - `tenant`: the Xero organisation (tenant) id, `entityId`: the record's id;
// - `entity`: `contact` | `invoice` | `credit_note` | `payment` |
//   `bank_transaction` (`subscription` events change nothing);
// - `payload`: the record as Xero's Accounting API returns it (PascalCase,
//   MS-JSON dates: `Contact`, `Invoice`, `CreditNote`, `Payment`,
//   `BankTransaction` of
//   https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero_accounting.yaml);
// - `version`: epoch ms of `UpdatedDateUTC` (read from the record when absent).
//
// Always an upsert: Xero has no deletes
// (https://developer.xero.com/documentation/guides/webhooks/overview/). Deleted,
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
  boolean,
  column,
  date,
  email,
  type From,
  json,
  type MirrorRecord,
  type MirrorTable,
  type MirrorTableOptions,
  mirrorTable,
  mirrorTransformer,
  normalizeEmail,
  number,
  text,
  timestamp,
} from '@act/connector-kit';
import { ConfigurationError, type FieldPoliciesV1, TransformError, type TransformerV1 } from '@act/core';
import { mergeFieldPolicies } from '@act/core/internal';
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

// Xero's own forms: MS-JSON dates (`/Date(1551916800000+0000)/`), GUIDs
// compared without case, booleans also as `"true"`/`"false"` strings
// (`BatchPayment.IsReconciled` in xero_accounting.yaml).
const id = (from: From) =>
  column(from, (value) => (typeof value === 'string' && value.trim() !== '' ? xeroId(value) : null));
const flag = (from: From) => boolean(from, { strings: true });
const instant = (from: From) => timestamp(from, xeroTimeIso);
const day = (from: From) => date(from, xeroDate);

const CONTACT_COLUMNS = {
  name: text('Name'),
  first_name: text('FirstName'),
  last_name: text('LastName'),
  email: email('EmailAddress'),
  contact_number: text('ContactNumber'),
  account_number: text('AccountNumber'),
  contact_status: text('ContactStatus'),
  is_supplier: flag('IsSupplier'),
  is_customer: flag('IsCustomer'),
  company_number: text('CompanyNumber'),
  tax_number: text('TaxNumber'),
  default_currency: text('DefaultCurrency'),
  website: text('Website'),
  merged_to_contact_id: id('MergedToContactID'),
  addresses: json('Addresses'),
  phones: json('Phones'),
  contact_persons: json('ContactPersons'),
  contact_groups: json('ContactGroups'),
  balances: json('Balances'),
  updated_at: instant('UpdatedDateUTC'),
};

const INVOICE_COLUMNS = {
  type: text('Type'),
  invoice_number: text('InvoiceNumber'),
  reference: text('Reference'),
  status: text('Status'),
  contact_id: id('Contact.ContactID'),
  contact_name: text('Contact.Name'),
  date: day(['Date', 'DateString']),
  due_date: day(['DueDate', 'DueDateString']),
  expected_payment_date: day('ExpectedPaymentDate'),
  planned_payment_date: day('PlannedPaymentDate'),
  fully_paid_on_date: day('FullyPaidOnDate'),
  line_amount_types: text('LineAmountTypes'),
  currency_code: text('CurrencyCode'),
  currency_rate: number('CurrencyRate'),
  sub_total: number('SubTotal'),
  total_tax: number('TotalTax'),
  total: number('Total'),
  total_discount: number('TotalDiscount'),
  amount_due: number('AmountDue'),
  amount_paid: number('AmountPaid'),
  amount_credited: number('AmountCredited'),
  sent_to_contact: flag('SentToContact'),
  is_discounted: flag('IsDiscounted'),
  has_attachments: flag('HasAttachments'),
  repeating_invoice_id: id('RepeatingInvoiceID'),
  branding_theme_id: id('BrandingThemeID'),
  url: text('Url'),
  line_items: json('LineItems'),
  payments: json('Payments'),
  credit_notes: json('CreditNotes'),
  prepayments: json('Prepayments'),
  overpayments: json('Overpayments'),
  updated_at: instant('UpdatedDateUTC'),
};

const CREDIT_NOTE_COLUMNS = {
  type: text('Type'),
  credit_note_number: text('CreditNoteNumber'),
  reference: text('Reference'),
  status: text('Status'),
  contact_id: id('Contact.ContactID'),
  contact_name: text('Contact.Name'),
  date: day(['Date', 'DateString']),
  due_date: day(['DueDate', 'DueDateString']),
  fully_paid_on_date: day('FullyPaidOnDate'),
  line_amount_types: text('LineAmountTypes'),
  currency_code: text('CurrencyCode'),
  currency_rate: number('CurrencyRate'),
  sub_total: number('SubTotal'),
  total_tax: number('TotalTax'),
  total: number('Total'),
  remaining_credit: number('RemainingCredit'),
  applied_amount: number('AppliedAmount'),
  sent_to_contact: flag('SentToContact'),
  has_attachments: flag('HasAttachments'),
  branding_theme_id: id('BrandingThemeID'),
  line_items: json('LineItems'),
  allocations: json('Allocations'),
  payments: json('Payments'),
  updated_at: instant('UpdatedDateUTC'),
};

const PAYMENT_COLUMNS = {
  payment_type: text('PaymentType'),
  status: text('Status'),
  date: day('Date'),
  amount: number('Amount'),
  bank_amount: number('BankAmount'),
  currency_rate: number('CurrencyRate'),
  reference: text('Reference'),
  is_reconciled: flag('IsReconciled'),
  invoice_id: id('Invoice.InvoiceID'),
  invoice_number: text(['Invoice.InvoiceNumber', 'InvoiceNumber']),
  credit_note_id: id('CreditNote.CreditNoteID'),
  credit_note_number: text(['CreditNote.CreditNoteNumber', 'CreditNoteNumber']),
  prepayment_id: id('Prepayment.PrepaymentID'),
  overpayment_id: id('Overpayment.OverpaymentID'),
  batch_payment_id: id(['BatchPaymentID', 'BatchPayment.BatchPaymentID']),
  account_id: id('Account.AccountID'),
  account_code: text(['Account.Code', 'Code']),
  bank_account_number: text('BankAccountNumber'),
  particulars: text('Particulars'),
  details: text('Details'),
  updated_at: instant('UpdatedDateUTC'),
};

const BANK_TRANSACTION_COLUMNS = {
  type: text('Type'),
  status: text('Status'),
  contact_id: id('Contact.ContactID'),
  contact_name: text('Contact.Name'),
  bank_account_id: id('BankAccount.AccountID'),
  bank_account_code: text('BankAccount.Code'),
  bank_account_name: text('BankAccount.Name'),
  is_reconciled: flag('IsReconciled'),
  date: day(['Date', 'DateString']),
  reference: text('Reference'),
  currency_code: text('CurrencyCode'),
  currency_rate: number('CurrencyRate'),
  line_amount_types: text('LineAmountTypes'),
  sub_total: number('SubTotal'),
  total_tax: number('TotalTax'),
  total: number('Total'),
  prepayment_id: id('PrepaymentID'),
  overpayment_id: id('OverpaymentID'),
  url: text('Url'),
  has_attachments: flag('HasAttachments'),
  line_items: json('LineItems'),
  updated_at: instant('UpdatedDateUTC'),
};

/** Tables with a `project_code` column (records with a `Reference`). */
const projectCodeColumn: Options['derived'] = {
  project_code: (record, { settings, blocked }) =>
    (settings.projectCode as ProjectCodeDetector | undefined)?.detect(record, blocked),
};

type Options = MirrorTableOptions<XeroSourceEvent>;
const table = (name: XeroTable, columns: Options['columns'], derived: Options['derived'] = {}) =>
  mirrorTable<XeroSourceEvent>({
    table: name,
    keys: ['tenant_id', 'id'],
    // Ids (keys and *_id columns) lower case: a webhook's and a listing's spelling of one GUID are one row.
    id: xeroId,
    columns,
    derived,
    version: (event, record) => event.version ?? xeroTimeMs(record.UpdatedDateUTC),
  });

/** The mirror table of each entity, declared once: transformer, reconcilers and migrations read them. */
export const XERO_MIRROR_TABLES = {
  contact: table('xero_contacts', CONTACT_COLUMNS, {
    contact_match_key: (record, { settings, blocked }) =>
      settings.contactMatching === true
        ? contactMatchKey(
            blocked.has('EmailAddress') ? undefined : record.EmailAddress,
            blocked.has('Name') ? undefined : record.Name,
          )
        : undefined,
  }),
  invoice: table('xero_invoices', INVOICE_COLUMNS, projectCodeColumn),
  credit_note: table('xero_credit_notes', CREDIT_NOTE_COLUMNS, projectCodeColumn),
  payment: table('xero_payments', PAYMENT_COLUMNS),
  bank_transaction: table('xero_bank_transactions', BANK_TRANSACTION_COLUMNS, projectCodeColumn),
} as const satisfies Record<XeroMirroredEntity, MirrorTable<XeroSourceEvent>>;

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
  const projectCode = options.transforms?.projectCode ? compileProjectCode(options.transforms.projectCode) : undefined;
  return mirrorTransformer<XeroSourceEvent>({
    packageName: XERO_PACKAGE_NAME,
    tables: Object.values(XERO_MIRROR_TABLES),
    fieldPolicies: mergeFieldPolicies(XERO_DEFAULT_FIELD_POLICIES, options.fieldPolicies),
    settings: { projectCode, contactMatching: options.transforms?.contactMatching === true },
    route(event) {
      if (event.entity === 'subscription') return null;
      const definition = (XERO_MIRROR_TABLES as Record<string, MirrorTable<XeroSourceEvent> | undefined>)[event.entity];
      if (!definition) return undefined;
      if (event.thin) {
        // A thin event is only ids: applying it would write nothing true. The
        // worker fetches it first (`hydrate`); getting here means it was not.
        throw transformError(
          `event ${event.type} ${event.entityId} was not fetched: Xero webhooks carry only ids (the connector's hydrate fetches the record)`,
        );
      }
      if (!isObject(event.payload)) throw transformError(`event ${event.type} ${event.entityId} has no record payload`);
      return definition;
    },
  });
}

function isObject(value: unknown): value is MirrorRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function transformError(message: string): TransformError {
  return new TransformError({ packageName: XERO_PACKAGE_NAME, message });
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
  const mail = normalizeEmail(email);
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
