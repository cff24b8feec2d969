// Records → mirror rows: the core transformer kit with inline snapshots of
// every entity, deletes as statuses, field policies, the optional transforms
// and Xero's date formats. Edge-safe.
import { type SinkUpsertV1, TransformError } from '@act/core';
import { testTransformer } from '@act/core/testing';
import { describe, expect, it } from 'vitest';
import { type XeroSourceEvent, xeroDate, xeroTimeIso, xeroTimeMs } from '../src/xero-events';
import { contactMatchKey, createXeroTransformer, normaliseName } from '../src/xero-transform';
import {
  BANK_TRANSACTION_RECORD,
  CONTACT_RECORD,
  CREDIT_NOTE_RECORD,
  INVOICE_RECORD,
  PAYMENT_RECORD,
} from './helpers/xero-records';

const TENANT = 'E629A03C-7FFE-4913-BD94-FF2FDB36A702';
const transformer = createXeroTransformer();

/** A record as hydrate (or a poller) hands it over: the payload is the record, versioned by UpdatedDateUTC. */
function recordEvent(entity: string, record: Record<string, unknown>, id: string, type = 'POLL'): XeroSourceEvent {
  const version = xeroTimeMs(record.UpdatedDateUTC);
  return {
    source: 'xero',
    tenant: TENANT,
    type,
    entity,
    entityId: id,
    ...(version !== undefined ? { version } : {}),
    payload: record,
  };
}

const invoiceEvent = recordEvent('invoice', INVOICE_RECORD, INVOICE_RECORD.InvoiceID, 'INVOICE.UPDATE');
const values = async (event: XeroSourceEvent, t = transformer) =>
  ((await t.transform(event, {}))[0] as SinkUpsertV1).values;

testTransformer({
  transformer,
  cases: [
    {
      name: 'invoice (getInvoice example)',
      event: invoiceEvent,
      check: (operations) =>
        expect({
          ...operations[0],
          values: { ...(operations[0] as SinkUpsertV1).values, raw: '…' },
        }).toMatchInlineSnapshot(`
            {
              "key": {
                "id": "a03ffcd2-5d91-4c7e-b483-318584e9e439",
                "tenant_id": "e629a03c-7ffe-4913-bd94-ff2fdb36a702",
              },
              "kind": "upsert",
              "table": "xero_invoices",
              "values": {
                "amount_due": 0,
                "amount_paid": 148062.76,
                "contact_id": "430fa14a-f945-44d3-9f97-5df5e28441b8",
                "contact_name": "Liam Gallagher",
                "currency_code": "NZD",
                "currency_rate": 1,
                "date": "2019-03-07",
                "due_date": "2019-03-13",
                "fully_paid_on_date": "2019-03-19",
                "has_attachments": true,
                "invoice_number": "INV-0006",
                "is_discounted": false,
                "line_amount_types": "Exclusive",
                "line_items": [
                  {
                    "AccountCode": "200",
                    "Description": "Guitars Fender Strat",
                    "ItemCode": "123",
                    "LineAmount": 148062.76,
                    "LineItemID": "b18f39d9-7739-4246-9288-72afe939d2d5",
                    "Quantity": 1,
                    "TaxAmount": 0,
                    "TaxType": "NONE",
                    "Tracking": [],
                    "UnitAmount": 148062.76,
                  },
                ],
                "overpayments": [],
                "payments": [
                  {
                    "Amount": 148062.76,
                    "CurrencyRate": 1,
                    "Date": "/Date(1552953600000+0000)/",
                    "HasAccount": false,
                    "HasValidationErrors": false,
                    "PaymentID": "38928000-e9a0-420c-8884-f624bab2a351",
                    "Reference": "Yahoo",
                  },
                ],
                "prepayments": [],
                "raw": "…",
                "reference": "Tour",
                "sent_to_contact": false,
                "status": "PAID",
                "sub_total": 148062.76,
                "total": 148062.76,
                "total_tax": 0,
                "type": "ACCREC",
                "updated_at": "2019-03-07T17:59:28.133Z",
              },
              "version": 1551981568133,
            }
          `),
    },
    {
      name: 'contact (getContact example)',
      event: recordEvent('contact', CONTACT_RECORD, CONTACT_RECORD.ContactID),
      check: (operations) =>
        expect({ ...(operations[0] as SinkUpsertV1).values, raw: '…' }).toMatchInlineSnapshot(`
          {
            "account_number": "1234567",
            "addresses": [
              {
                "AddressLine1": "123 Fake Street",
                "AddressType": "STREET",
                "AttentionTo": "",
                "City": "Vancouver",
                "Country": "",
                "PostalCode": "V6B 2T4",
                "Region": "British Columbia",
              },
            ],
            "balances": {
              "AccountsPayable": {
                "Outstanding": -43.6,
                "Overdue": 40,
              },
              "AccountsReceivable": {
                "Outstanding": 118.9,
                "Overdue": 136.9,
              },
            },
            "company_number": "NumberBusiness1234",
            "contact_groups": [],
            "contact_number": "SB2",
            "contact_persons": [
              {
                "EmailAddress": "sue.johnson@krave.com",
                "FirstName": "Sue",
                "IncludeInEmails": true,
                "LastName": "Johnson",
              },
            ],
            "contact_status": "ACTIVE",
            "default_currency": "USD",
            "email": "bk@krave.co",
            "first_name": "Blake",
            "is_customer": true,
            "is_supplier": true,
            "last_name": "Kohler",
            "name": "Acme Parts Co.",
            "phones": [
              {
                "PhoneAreaCode": "604",
                "PhoneCountryCode": "1",
                "PhoneNumber": "408-0914",
                "PhoneType": "DEFAULT",
              },
            ],
            "raw": "…",
            "tax_number": "123-22-3456",
            "updated_at": "2019-03-01T17:02:57.193Z",
            "website": "http://www.google.com",
          }
        `),
    },
    {
      name: 'credit note (getCreditNote example)',
      event: recordEvent('credit_note', CREDIT_NOTE_RECORD, CREDIT_NOTE_RECORD.CreditNoteID, 'CREDITNOTE.CREATE'),
      check: (operations) =>
        expect({ ...(operations[0] as SinkUpsertV1).values, raw: '…', line_items: '…' }).toMatchInlineSnapshot(`
          {
            "allocations": [],
            "contact_id": "430fa14a-f945-44d3-9f97-5df5e28441b8",
            "contact_name": "Liam Gallagher",
            "credit_note_number": "CN-0005",
            "currency_code": "NZD",
            "currency_rate": 1,
            "date": "2019-03-05",
            "has_attachments": true,
            "line_amount_types": "Exclusive",
            "line_items": "…",
            "payments": [
              {
                "Amount": 2,
                "CurrencyRate": 1,
                "Date": "/Date(1552521600000+0000)/",
                "HasAccount": false,
                "HasValidationErrors": false,
                "PaymentID": "6b037c9b-2e5d-4905-84d3-eabfb3438242",
                "Reference": "Too much",
              },
            ],
            "raw": "…",
            "reference": "US Tour",
            "remaining_credit": 32.5,
            "status": "AUTHORISED",
            "sub_total": 30,
            "total": 34.5,
            "total_tax": 4.5,
            "type": "ACCRECCREDIT",
            "updated_at": "2019-03-05T18:59:06.157Z",
          }
        `),
    },
    {
      name: 'payment (getPayment example)',
      event: recordEvent('payment', PAYMENT_RECORD, PAYMENT_RECORD.PaymentID),
      check: (operations) =>
        expect({ ...(operations[0] as SinkUpsertV1).values, raw: '…' }).toMatchInlineSnapshot(`
          {
            "account_code": "970",
            "account_id": "5690f1e8-1d02-4893-90c2-ee1a69eff942",
            "amount": 46,
            "bank_amount": 46,
            "batch_payment_id": "b54aa50c-794c-461b-89d1-846e1b84d9c0",
            "currency_rate": 1,
            "date": "2018-11-29",
            "invoice_id": "046d8a6d-1ae1-4b4d-9340-5601bdf41b87",
            "invoice_number": "INV-0002",
            "is_reconciled": false,
            "payment_type": "ACCRECPAYMENT",
            "raw": "…",
            "status": "AUTHORISED",
            "updated_at": "2018-11-02T16:36:32.690Z",
          }
        `),
    },
    {
      name: 'bank transaction (getBankTransaction example)',
      event: recordEvent('bank_transaction', BANK_TRANSACTION_RECORD, BANK_TRANSACTION_RECORD.BankTransactionID),
      check: (operations) =>
        expect({ ...(operations[0] as SinkUpsertV1).values, raw: '…', line_items: '…' }).toMatchInlineSnapshot(`
          {
            "bank_account_code": "088",
            "bank_account_id": "6f7594f2-f059-4d56-9e67-47ac9733bfe9",
            "bank_account_name": "Business Wells Fargo",
            "contact_id": "9c2c64de-12c9-4167-b503-e2c0e1aa1f49",
            "contact_name": "sam",
            "currency_code": "USD",
            "currency_rate": 1,
            "date": "2016-10-13",
            "has_attachments": true,
            "is_reconciled": false,
            "line_amount_types": "Exclusive",
            "line_items": "…",
            "prepayment_id": "cb62750f-b49c-464b-a45b-e2e2c514c8a9",
            "raw": "…",
            "status": "AUTHORISED",
            "sub_total": 10,
            "total": 10,
            "total_tax": 0,
            "type": "RECEIVE",
            "updated_at": "2016-10-13T20:13:36.437Z",
          }
        `),
    },
    {
      name: 'a voided invoice is an upsert with its status, never a tombstone',
      event: recordEvent(
        'invoice',
        { ...INVOICE_RECORD, Status: 'VOIDED', UpdatedDateUTC: '/Date(1552000000000+0000)/' },
        INVOICE_RECORD.InvoiceID,
      ),
      check: (operations) => {
        expect(operations).toHaveLength(1);
        expect(operations[0]).toMatchObject({ kind: 'upsert', version: 1552000000000, values: { status: 'VOIDED' } });
      },
    },
    {
      name: 'an archived contact is an upsert with its status',
      event: recordEvent('contact', { ...CONTACT_RECORD, ContactStatus: 'ARCHIVED' }, CONTACT_RECORD.ContactID),
      check: (operations) =>
        expect(operations[0]).toMatchObject({ kind: 'upsert', values: { contact_status: 'ARCHIVED' } }),
    },
    {
      name: 'App Store subscription events change nothing',
      event: {
        source: 'xero',
        tenant: TENANT,
        type: 'SUBSCRIPTION.UPDATE',
        entity: 'subscription',
        entityId: 's1',
        payload: {},
      },
      check: (operations) => expect(operations).toEqual([]),
    },
  ],
});

describe('Xero transformer', () => {
  it('keys rows by lower-case tenant and id, so any spelling of a GUID is one row', async () => {
    const [operation] = await transformer.transform(
      recordEvent('invoice', INVOICE_RECORD, INVOICE_RECORD.InvoiceID.toUpperCase()),
      {},
    );
    expect(operation?.key).toEqual({ tenant_id: TENANT.toLowerCase(), id: INVOICE_RECORD.InvoiceID });
  });

  it('keeps the record in raw, and versions by UpdatedDateUTC when the event has no version', async () => {
    const { version: _version, ...unversioned } = invoiceEvent;
    const [operation] = (await transformer.transform(unversioned, {})) as SinkUpsertV1[];
    expect(operation?.version).toBe(1551981568133);
    expect(operation?.values.raw).toEqual(INVOICE_RECORD);
  });

  it('writes only the fields a record carries: a summary listing never blanks line items', async () => {
    const { LineItems: _lines, ...summary } = INVOICE_RECORD;
    const written = await values(recordEvent('invoice', summary, INVOICE_RECORD.InvoiceID));
    expect(written).not.toHaveProperty('line_items');
    expect(written).toMatchObject({ total: 148062.76 });
  });

  it('refuses an event that was not fetched (a thin webhook event) instead of writing ids as data', async () => {
    const thin: XeroSourceEvent = {
      source: 'xero',
      tenant: TENANT,
      type: 'INVOICE.UPDATE',
      entity: 'invoice',
      entityId: INVOICE_RECORD.InvoiceID,
      thin: true,
      payload: { resourceId: INVOICE_RECORD.InvoiceID } as never,
    };
    expect(() => transformer.transform(thin, {})).toThrow(TransformError);
    expect(() => transformer.transform(thin, {})).toThrow('was not fetched');
    expect(() => transformer.transform({ ...invoiceEvent, entity: 'quote' }, {})).toThrow('unknown entity "quote"');
  });

  it('keeps blocked fields out of the row and of raw: by column, by Xero field, by nested path', async () => {
    const policies = {
      xero_contacts: { blocked: ['email', 'BankAccountDetails', 'tax_number'] },
      xero_invoices: { blocked: ['Contact.EmailAddress'] },
    };
    const t = createXeroTransformer({ fieldPolicies: policies, transforms: { contactMatching: true } });
    const contact = await values(recordEvent('contact', CONTACT_RECORD, CONTACT_RECORD.ContactID), t);
    expect(contact.raw).not.toHaveProperty('EmailAddress');
    expect(contact.raw).not.toHaveProperty('BankAccountDetails');
    expect(contact.raw).not.toHaveProperty('TaxNumber');
    // The match key falls back to the name when the email is blocked.
    expect(contact.contact_match_key).toBe('acme parts co');
    const invoice = await values(invoiceEvent, t);
    expect((invoice.raw as { Contact: Record<string, unknown> }).Contact).not.toHaveProperty('EmailAddress');
    expect((invoice.raw as { Contact: Record<string, unknown> }).Contact).toHaveProperty('Name', 'Liam Gallagher');
    // The record itself is untouched.
    expect(INVOICE_RECORD.Contact.EmailAddress).toBe('liam@rockstar.com');
  });
});

describe('optional transforms', () => {
  it('are off by default', async () => {
    const written = await values(invoiceEvent);
    expect(written).not.toHaveProperty('project_code');
    expect(await values(recordEvent('contact', CONTACT_RECORD, 'c1'))).not.toHaveProperty('contact_match_key');
  });

  it('project code: first capture group, upper-cased, from Reference; null when nothing matches', async () => {
    const t = createXeroTransformer({ transforms: { projectCode: { pattern: /\bprj-(\d{3,})\b/gi } } });
    const withReference = (reference: string) =>
      values(recordEvent('invoice', { ...INVOICE_RECORD, Reference: reference }, 'i1'), t);
    expect((await withReference('Fit-out PRJ-0042 stage 2')).project_code).toBe('0042');
    // A /g pattern is used without its lastIndex: the same input gives the same answer every time.
    expect((await withReference('Fit-out PRJ-0042 stage 2')).project_code).toBe('0042');
    expect((await withReference('no code here')).project_code).toBeNull();
    const whole = createXeroTransformer({ transforms: { projectCode: { pattern: '[A-Z]{3}-\\d+' } } });
    expect(
      (await values(recordEvent('credit_note', { ...CREDIT_NOTE_RECORD, Reference: 'refund abc-7 xyz' }, 'c1'), whole))
        .project_code,
    ).toBeNull();
    expect(
      (await values(recordEvent('bank_transaction', { ...BANK_TRANSACTION_RECORD, Reference: 'ABC-7' }, 'b1'), whole))
        .project_code,
    ).toBe('ABC-7');
    // Payments and contacts have no project_code column.
    expect(await values(recordEvent('payment', PAYMENT_RECORD, 'p1'), whole)).not.toHaveProperty('project_code');
  });

  it('project code: line item descriptions when asked, after Reference', async () => {
    const t = createXeroTransformer({ transforms: { projectCode: { pattern: /JOB(\d+)/, lineItems: true } } });
    const record = {
      ...INVOICE_RECORD,
      Reference: 'Tour',
      LineItems: [{ ...INVOICE_RECORD.LineItems[0], Description: 'Strings for JOB981' }],
    };
    expect((await values(recordEvent('invoice', record, 'i1'), t)).project_code).toBe('981');
    const { Reference: _reference, LineItems: _lines, ...summary } = INVOICE_RECORD;
    expect(await values(recordEvent('invoice', summary, 'i1'), t)).not.toHaveProperty('project_code');
  });

  it('project code: an invalid pattern is a configuration error', () => {
    expect(() => createXeroTransformer({ transforms: { projectCode: { pattern: '(unclosed' } } })).toThrow(
      '[@act/connector-xero] transforms.projectCode.pattern is not a valid regular expression',
    );
  });

  it('contact matching: the email lower-cased, else the normalised name, never mixed up', async () => {
    const t = createXeroTransformer({ transforms: { contactMatching: true } });
    expect(
      (await values(recordEvent('contact', { ...CONTACT_RECORD, EmailAddress: ' BK@Krave.CO ' }, 'c1'), t))
        .contact_match_key,
    ).toBe('bk@krave.co');
    expect(
      (await values(recordEvent('contact', { ...CONTACT_RECORD, EmailAddress: '' }, 'c1'), t)).contact_match_key,
    ).toBe('acme parts co');
    expect(contactMatchKey(undefined, '  Zoë   O’Brien & Sons, Ltd. ')).toBe('zoe o brien sons ltd');
    expect(contactMatchKey('', '')).toBeNull();
    expect(contactMatchKey(undefined, undefined)).toBeUndefined();
    expect(normaliseName('Ácme  Parts Co.')).toBe('acme parts co');
    // Only contacts get a match key.
    expect(await values(invoiceEvent, t)).not.toHaveProperty('contact_match_key');
  });
});

describe('Xero dates', () => {
  it.each([
    ['/Date(1573755038314+0000)/', 1573755038314],
    ['/Date(1551981658323)/', 1551981658323],
    ['/Date(1573755038314+1300)/', 1573755038314],
    ['/Date(-86400000+0000)/', -86400000],
    ['2024-06-21T01:15:39.902', Date.parse('2024-06-21T01:15:39.902Z')],
    ['2024-06-21T01:15:39.902Z', Date.parse('2024-06-21T01:15:39.902Z')],
    ['2019-03-05 18:59:06+00:00', Date.parse('2019-03-05T18:59:06Z')],
    ['2018-02-09T09:19:05.06Z', Date.parse('2018-02-09T09:19:05.060Z')],
  ])('%s → %d', (value, ms) => {
    expect(xeroTimeMs(value)).toBe(ms);
  });

  it.each(['', 'Date(1573755038314)', '/Date(abc)/', '2024-02-30T00:00:00', '2024-06-21T25:00:00', null, {}, 1.5])(
    '%j is not a time',
    (value) => {
      expect(xeroTimeMs(value)).toBeUndefined();
    },
  );

  it('gives instants and calendar dates in UTC', () => {
    expect(xeroTimeIso('/Date(1551981568133+0000)/')).toBe('2019-03-07T17:59:28.133Z');
    expect(xeroDate('/Date(1551916800000+0000)/')).toBe('2019-03-07');
    expect(xeroDate('2019-03-07T00:00:00')).toBe('2019-03-07');
    expect(xeroDate('nope')).toBeUndefined();
  });
});
