// Xero Accounting API records, from the response examples of
// https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero_accounting.yaml
// (v16.1.0, [X4]): getInvoice, getContact,
// getCreditNote, getPayment, getBankTransaction. Field names and values as
// there; trimmed: `Attachments`, `ValidationErrors`, `StatusAttributeString`,
// `Warnings` and the nested contacts' addresses and phones are left out, the
// rest is unchanged. Tests that need another version of a record change the
// values of documented fields (`Status`, `UpdatedDateUTC`, `Reference`), never
// add fields.

/** getInvoice's example (`/Invoices/{InvoiceID}`), one record of its `Invoices` list. */
export const INVOICE_RECORD = {
  Type: 'ACCREC',
  InvoiceID: 'a03ffcd2-5d91-4c7e-b483-318584e9e439',
  InvoiceNumber: 'INV-0006',
  Reference: 'Tour',
  Payments: [
    {
      PaymentID: '38928000-e9a0-420c-8884-f624bab2a351',
      Date: '/Date(1552953600000+0000)/',
      Amount: 148062.76,
      Reference: 'Yahoo',
      CurrencyRate: 1.0,
      HasAccount: false,
      HasValidationErrors: false,
    },
  ],
  Prepayments: [],
  Overpayments: [],
  AmountDue: 0.0,
  AmountPaid: 148062.76,
  SentToContact: false,
  CurrencyRate: 1.0,
  HasErrors: false,
  IsDiscounted: false,
  HasAttachments: true,
  Contact: {
    ContactID: '430fa14a-f945-44d3-9f97-5df5e28441b8',
    ContactStatus: 'ACTIVE',
    Name: 'Liam Gallagher',
    FirstName: 'Liam',
    LastName: 'Gallagher',
    EmailAddress: 'liam@rockstar.com',
    UpdatedDateUTC: '/Date(1551747281053+0000)/',
    IsSupplier: true,
    IsCustomer: true,
  },
  DateString: '2019-03-07T00:00:00',
  Date: '/Date(1551916800000+0000)/',
  DueDateString: '2019-03-13T00:00:00',
  DueDate: '/Date(1552435200000+0000)/',
  Status: 'PAID',
  LineAmountTypes: 'Exclusive',
  LineItems: [
    {
      ItemCode: '123',
      Description: 'Guitars Fender Strat',
      UnitAmount: 148062.76,
      TaxType: 'NONE',
      TaxAmount: 0.0,
      LineAmount: 148062.76,
      AccountCode: '200',
      Tracking: [],
      Quantity: 1.0,
      LineItemID: 'b18f39d9-7739-4246-9288-72afe939d2d5',
    },
  ],
  SubTotal: 148062.76,
  TotalTax: 0.0,
  Total: 148062.76,
  UpdatedDateUTC: '/Date(1551981568133+0000)/',
  UpdatedDateUTCString: '2019-03-07T17:59:28Z',
  CurrencyCode: 'NZD',
  FullyPaidOnDate: '/Date(1552953600000+0000)/',
} as const;

/** getContact's example (`/Contacts/{ContactID}`). */
export const CONTACT_RECORD = {
  ContactID: '8138a266-fb42-49b2-a104-014b7045753d',
  ContactNumber: 'SB2',
  AccountNumber: '1234567',
  ContactStatus: 'ACTIVE',
  Name: 'Acme Parts Co.',
  FirstName: 'Blake',
  LastName: 'Kohler',
  CompanyNumber: 'NumberBusiness1234',
  EmailAddress: 'bk@krave.co',
  BankAccountDetails: '12334567',
  TaxNumber: '123-22-3456',
  AccountsReceivableTaxType: 'TAX003',
  AccountsPayableTaxType: 'TAX022',
  Addresses: [
    {
      AddressType: 'STREET',
      AddressLine1: '123 Fake Street',
      City: 'Vancouver',
      Region: 'British Columbia',
      PostalCode: 'V6B 2T4',
      Country: '',
      AttentionTo: '',
    },
  ],
  Phones: [{ PhoneType: 'DEFAULT', PhoneNumber: '408-0914', PhoneAreaCode: '604', PhoneCountryCode: '1' }],
  UpdatedDateUTC: '/Date(1551459777193+0000)/',
  ContactGroups: [],
  IsSupplier: true,
  IsCustomer: true,
  DefaultCurrency: 'USD',
  Website: 'http://www.google.com',
  Balances: {
    AccountsReceivable: { Outstanding: 118.9, Overdue: 136.9 },
    AccountsPayable: { Outstanding: -43.6, Overdue: 40.0 },
  },
  ContactPersons: [
    { FirstName: 'Sue', LastName: 'Johnson', EmailAddress: 'sue.johnson@krave.com', IncludeInEmails: true },
  ],
  HasAttachments: true,
} as const;

/** getCreditNote's example (`/CreditNotes/{CreditNoteID}`). */
export const CREDIT_NOTE_RECORD = {
  CreditNoteID: '249f15fa-f2a7-4acc-8769-0984103f2225',
  CreditNoteNumber: 'CN-0005',
  Payments: [
    {
      PaymentID: '6b037c9b-2e5d-4905-84d3-eabfb3438242',
      Date: '/Date(1552521600000+0000)/',
      Amount: 2.0,
      Reference: 'Too much',
      CurrencyRate: 1.0,
      HasAccount: false,
      HasValidationErrors: false,
    },
  ],
  ID: '249f15fa-f2a7-4acc-8769-0984103f2225',
  CurrencyRate: 1.0,
  Type: 'ACCRECCREDIT',
  Reference: 'US Tour',
  RemainingCredit: 32.5,
  Allocations: [],
  HasAttachments: true,
  Contact: {
    ContactID: '430fa14a-f945-44d3-9f97-5df5e28441b8',
    ContactStatus: 'ACTIVE',
    Name: 'Liam Gallagher',
    FirstName: 'Liam',
    LastName: 'Gallagher',
    EmailAddress: 'liam@rockstar.com',
    UpdatedDateUTC: '/Date(1551747281053+0000)/',
  },
  DateString: '2019-03-05 00:00:00',
  Date: '/Date(1551744000000+0000)/',
  Status: 'AUTHORISED',
  LineAmountTypes: 'Exclusive',
  LineItems: [
    {
      Description: 'Mic Stand',
      UnitAmount: 30.0,
      TaxType: 'OUTPUT2',
      TaxAmount: 4.5,
      LineAmount: 30.0,
      AccountCode: '200',
      Tracking: [],
      Quantity: 1.0,
    },
  ],
  SubTotal: 30.0,
  TotalTax: 4.5,
  Total: 34.5,
  UpdatedDateUTC: '/Date(1551812346157+0000)/',
  UpdatedDateUTCString: '2019-03-05 18:59:06+00:00',
  CurrencyCode: 'NZD',
} as const;

/** getPayment's example (`/Payments/{PaymentID}`); the nested invoice trimmed to its ids, number and status. */
export const PAYMENT_RECORD = {
  PaymentID: '99ea7f6b-c513-4066-bc27-b7c65dcd76c2',
  BatchPaymentID: 'b54aa50c-794c-461b-89d1-846e1b84d9c0',
  BatchPayment: {
    Account: { AccountID: '5690f1e8-1d02-4893-90c2-ee1a69eff942' },
    BatchPaymentID: 'b54aa50c-794c-461b-89d1-846e1b84d9c0',
    Date: '/Date(1543449600000+0000)/',
    Type: 'RECBATCH',
    Status: 'AUTHORISED',
    TotalAmount: '50.00',
    UpdatedDateUTC: '/Date(1541176592690+0000)/',
    IsReconciled: 'false',
  },
  Date: '/Date(1543449600000+0000)/',
  BankAmount: 46.0,
  Amount: 46.0,
  CurrencyRate: 1.0,
  PaymentType: 'ACCRECPAYMENT',
  Status: 'AUTHORISED',
  UpdatedDateUTC: '/Date(1541176592690+0000)/',
  UpdatedDateUTCString: '2018-11-02 16:36:32+00:00',
  HasAccount: true,
  IsReconciled: false,
  Account: { AccountID: '5690f1e8-1d02-4893-90c2-ee1a69eff942', Code: '970', Name: 'Owner A Funds Introduced' },
  Invoice: {
    Type: 'ACCREC',
    InvoiceID: '046d8a6d-1ae1-4b4d-9340-5601bdf41b87',
    InvoiceNumber: 'INV-0002',
    Reference: 'Red Fish, Blue Fish',
    Status: 'PAID',
  },
  HasValidationErrors: false,
} as const;

/** getBankTransaction's example (`/BankTransactions/{BankTransactionID}`). */
export const BANK_TRANSACTION_RECORD = {
  BankTransactionID: 'db54aab0-ad40-4ced-bcff-0940ba20db2c',
  BankAccount: { AccountID: '6f7594f2-f059-4d56-9e67-47ac9733bfe9', Code: '088', Name: 'Business Wells Fargo' },
  Type: 'RECEIVE',
  IsReconciled: false,
  CurrencyRate: 1.0,
  PrepaymentID: 'cb62750f-b49c-464b-a45b-e2e2c514c8a9',
  HasAttachments: true,
  Contact: {
    ContactID: '9c2c64de-12c9-4167-b503-e2c0e1aa1f49',
    ContactStatus: 'ACTIVE',
    Name: 'sam',
    EmailAddress: '',
    UpdatedDateUTC: '/Date(1518821703467+0000)/',
    DefaultCurrency: 'USD',
  },
  DateString: '2016-10-13 00:00:00',
  Date: '/Date(1476316800000+0000)/',
  Status: 'AUTHORISED',
  LineAmountTypes: 'Exclusive',
  LineItems: [
    {
      Description: 'hello',
      UnitAmount: 10.0,
      TaxType: 'OUTPUT',
      TaxAmount: 0.0,
      LineAmount: 10.0,
      AccountCode: '400',
      Tracking: [],
      Quantity: 1.0,
      LineItemID: '40bec527-a744-4149-96c5-0ab643b51158',
      AccountID: 'ebd06280-af70-4bed-97c6-7451a454ad85',
    },
  ],
  SubTotal: 10.0,
  TotalTax: 0.0,
  Total: 10.0,
  UpdatedDateUTC: '/Date(1476389616437+0000)/',
  CurrencyCode: 'USD',
} as const;

/** An MS-JSON date as Xero writes `UpdatedDateUTC`. */
export function msJson(ms: number): string {
  return `/Date(${ms}+0000)/`;
}

/** The invoice example as another invoice (the webhook fixture's id) at another version, status or reference. */
export function invoiceRecord(options: {
  id: string;
  updatedAt: number;
  status?: string;
  reference?: string;
}): Record<string, unknown> {
  return {
    ...INVOICE_RECORD,
    InvoiceID: options.id,
    Status: options.status ?? INVOICE_RECORD.Status,
    Reference: options.reference ?? INVOICE_RECORD.Reference,
    UpdatedDateUTC: msJson(options.updatedAt),
    UpdatedDateUTCString: new Date(options.updatedAt).toISOString().slice(0, 19).concat('Z'),
  };
}

/** The body `GET /Invoices/{id}` answers with: the record inside the `Invoices` list (getInvoice's example envelope). */
export function invoicesResponse(record: Record<string, unknown>): Record<string, unknown> {
  return {
    Id: '516f400a-b764-4c88-831b-12d2b210fa24',
    Status: 'OK',
    ProviderName: 'Provider Name Example',
    DateTimeUTC: '/Date(1551981658323)/',
    Invoices: [record],
  };
}
