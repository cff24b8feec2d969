import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../src/version';
import {
  createXeroClient,
  formatXeroIfModifiedSince,
  XERO_API_BASE_URL,
  type XeroClientOptions,
  xeroTimeMs,
} from '../src/xero-client';
import { toXeroApiError } from '../src/xero-error';
import { API, API_PATH, apiFixture, rejection, TENANT } from './helpers/xero-client-kit';

// nock >= 14 intercepts the global fetch that ky uses.
beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const TOKEN = 'static-access-token';

const client = (options: Partial<XeroClientOptions> = {}) =>
  createXeroClient({ auth: { type: 'access-token', token: TOKEN }, retry: { baseDelayMs: 1 }, ...options });

describe('Xero client: request shape', () => {
  it('fetches one invoice with the bearer, xero-tenant-id, Accept: application/json and a versioned user agent', async () => {
    expect(XERO_API_BASE_URL).toBe('https://api.xero.com/api.xro/2.0');
    const scope = nock(API, {
      reqheaders: {
        authorization: `Bearer ${TOKEN}`,
        'xero-tenant-id': TENANT,
        accept: 'application/json',
        'user-agent': `act-connector-xero/${VERSION}`,
      },
    })
      .get(`${API_PATH}/Invoices/a03ffcd2-5d91-4c7e-b483-318584e9e439`)
      .reply(200, apiFixture('api-invoice.1.json'));
    const invoice = await client().getRecord({
      tenant: TENANT,
      entity: 'invoice',
      id: 'a03ffcd2-5d91-4c7e-b483-318584e9e439',
    });
    expect(scope.isDone()).toBe(true);
    expect(invoice).toMatchObject({
      InvoiceID: 'a03ffcd2-5d91-4c7e-b483-318584e9e439',
      Status: 'PAID',
      UpdatedDateUTC: '/Date(1551981568133+0000)/',
    });
  });

  it('fetches each webhook category and the polled entities by id, at the documented paths; 404 → null', async () => {
    const scope = nock(API, { reqheaders: { 'xero-tenant-id': TENANT } })
      .get(`${API_PATH}/Contacts/8138a266-fb42-49b2-a104-014b7045753d`)
      .reply(200, apiFixture('api-contact.1.json'))
      .get(`${API_PATH}/CreditNotes/249f15fa-f2a7-4acc-8769-0984103f2225`)
      .reply(200, apiFixture('api-credit-note.1.json'))
      .get(`${API_PATH}/Payments/99ea7f6b-c513-4066-bc27-b7c65dcd76c2`)
      .reply(200, apiFixture('api-payment.1.json'))
      .get(`${API_PATH}/BankTransactions/db54aab0-ad40-4ced-bcff-0940ba20db2c`)
      .reply(200, apiFixture('api-bank-transaction.1.json'))
      .get(`${API_PATH}/Invoices/00000000-0000-0000-0000-000000000000`)
      .reply(404, "The resource you're looking for cannot be found");
    const xero = client();
    expect((await xero.getContact(TENANT, '8138a266-fb42-49b2-a104-014b7045753d'))?.ContactStatus).toBe('ACTIVE');
    expect((await xero.getCreditNote(TENANT, '249f15fa-f2a7-4acc-8769-0984103f2225'))?.Status).toBe('AUTHORISED');
    expect((await xero.getPayment(TENANT, '99ea7f6b-c513-4066-bc27-b7c65dcd76c2'))?.PaymentID).toBe(
      '99ea7f6b-c513-4066-bc27-b7c65dcd76c2',
    );
    expect((await xero.getBankTransaction(TENANT, 'db54aab0-ad40-4ced-bcff-0940ba20db2c'))?.Type).toBe('RECEIVE');
    expect(await xero.getInvoice(TENANT, '00000000-0000-0000-0000-000000000000')).toBeNull();
    expect(scope.isDone()).toBe(true);
  });

  it('lists a page with page, pageSize, order, Statuses, includeArchived and If-Modified-Since to the second', async () => {
    let ifModifiedSince: string | undefined;
    const scope = nock(API)
      .get(`${API_PATH}/Invoices`)
      .query({
        page: '2',
        pageSize: '50',
        order: 'UpdatedDateUTC ASC',
        Statuses: 'DELETED,VOIDED',
        includeArchived: 'true',
      })
      // nock 15 hands reply functions the fetch `Request`.
      .reply(200, async (request: Request) => {
        ifModifiedSince = request.headers.get('if-modified-since') ?? undefined;
        return apiFixture('api-invoices.1.json');
      });
    const page = await client().listInvoices(TENANT, {
      page: 2,
      pageSize: 50,
      order: 'UpdatedDateUTC ASC',
      statuses: ['DELETED', 'VOIDED'],
      includeArchived: true,
      // 2019-03-05T18:59:06.157Z: sent floored to the second.
      ifModifiedSince: 1551812346157,
    });
    expect(scope.isDone()).toBe(true);
    expect(ifModifiedSince).toBe('2019-03-05T18:59:06.000Z');
    expect(formatXeroIfModifiedSince(1551812346999)).toBe('2019-03-05T18:59:06.000Z');
    expect(page.records.map((record) => record.Status)).toEqual(['VOIDED', 'PAID', 'AUTHORISED']);
    expect(page.pagination).toEqual({ page: 1, pageSize: 100, pageCount: 1, itemCount: 3 });
    expect(page.serverTimeMs).toBe(1552326816230);
  });

  it('lists contacts, credit notes, payments and bank transactions from their documented examples', async () => {
    nock(API)
      .get(`${API_PATH}/Contacts`)
      .query({ includeArchived: 'true', summaryOnly: 'true' })
      .reply(200, apiFixture('api-contacts.1.json'))
      .get(`${API_PATH}/CreditNotes`)
      .reply(200, apiFixture('api-credit-notes.1.json'))
      .get(`${API_PATH}/Payments`)
      .query({ page: '1' })
      .reply(200, apiFixture('api-payments.1.json'))
      .get(`${API_PATH}/BankTransactions`)
      .query({ where: 'Status=="AUTHORISED"' })
      .reply(200, apiFixture('api-bank-transactions.1.json'));
    const xero = client();
    expect((await xero.listContacts(TENANT, { includeArchived: true, summaryOnly: true })).records).toHaveLength(2);
    expect((await xero.listCreditNotes(TENANT)).records.map((record) => record.Status)).toEqual([
      'AUTHORISED',
      'DRAFT',
    ]);
    expect((await xero.listPayments(TENANT, { page: 1 })).pagination?.itemCount).toBe(2);
    expect((await xero.listBankTransactions(TENANT, { where: 'Status=="AUTHORISED"' })).records).toHaveLength(3);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('refuses list parameters Xero does not document for the collection', async () => {
    const error = await rejection(client().listPayments(TENANT, { includeArchived: true }));
    expect(error.message).toBe(
      '[@act/connector-xero] GET Payments takes no includeArchived parameter (Xero documents it for Contacts, Invoices)',
    );
    await expect(client().listInvoices(TENANT, { pageSize: 0 })).rejects.toThrow(/pageSize must be a positive integer/);
  });

  it('parses MS-JSON dates (exported for the transform): with and without the offset', () => {
    expect(xeroTimeMs('/Date(1573755038314+0000)/')).toBe(1573755038314);
    expect(xeroTimeMs('/Date(1573755038314)/')).toBe(1573755038314);
    expect(xeroTimeMs('not a date')).toBeUndefined();
  });
});

describe('Xero client: errors', () => {
  it('a 400 is a validation error carrying Xero’s ValidationErrors, not retried', async () => {
    const scope = nock(API).get(`${API_PATH}/Contacts/x`).reply(400, apiFixture('api-error-400.1.json'));
    const error = await rejection(client().getContact(TENANT, 'x'));
    expect(scope.isDone()).toBe(true);
    expect(error).toMatchObject({
      name: 'ProviderApiError',
      errorClass: 'validation',
      providerStatus: 400,
      isRetryable: false,
    });
    expect(error.message).toBe(
      `[@act/connector-xero] GET ${API}${API_PATH}/Contacts/x failed: HTTP 400 – ValidationException: A validation exception occurred – The contact name Buzz Lightyear is already assigned to another contact. The contact name must be unique across all active contacts.`,
    );
  });

  it('retries a 500 and, when it persists, throws a transient error', async () => {
    const scope = nock(API).get(`${API_PATH}/Payments`).times(3).reply(500, '<html>oops</html>');
    const error = await rejection(client().listPayments(TENANT));
    expect(scope.isDone()).toBe(true);
    expect(error).toMatchObject({ errorClass: 'transient', providerStatus: 500 });
    expect(error.message).toContain('HTTP 500 – <html>oops</html>');
  });

  it('retries a 503 once and succeeds', async () => {
    nock(API)
      .get(`${API_PATH}/Payments`)
      .reply(503)
      .get(`${API_PATH}/Payments`)
      .reply(200, apiFixture('api-payments.1.json'));
    expect((await client().listPayments(TENANT)).records).toHaveLength(2);
  });

  it('turns a network failure into a transient error (status 0)', async () => {
    nock(API).get(`${API_PATH}/Payments`).times(3).replyWithError('socket hang up');
    const error = await rejection(client().listPayments(TENANT));
    expect(error).toMatchObject({ name: 'ProviderApiError', errorClass: 'transient', providerStatus: 0 });
  });

  it('refuses a 200 whose body is not the documented shape', async () => {
    nock(API).get(`${API_PATH}/Invoices`).reply(200, { Items: [] });
    const error = await rejection(client().listInvoices(TENANT));
    expect(error).toMatchObject({ name: 'PayloadError', errorClass: 'validation' });
    expect(error.message).toContain('Invoices: Invalid input: expected array, received undefined');
  });

  it('a static access token refused with 401 is an auth error, sent once', async () => {
    const scope = nock(API).get(`${API_PATH}/Invoices`).reply(401, { Title: 'Unauthorized', Detail: 'TokenExpired' });
    const error = await rejection(client().listInvoices(TENANT));
    expect(scope.isDone()).toBe(true);
    expect(error).toMatchObject({ errorClass: 'auth', providerStatus: 401 });
    expect(error.message).toContain('HTTP 401 – Unauthorized: TokenExpired');
  });

  it('maps any body to a message', () => {
    const request = { method: 'GET', url: `${API}${API_PATH}/x` };
    expect(toXeroApiError(new Response(null, { status: 502 }), undefined, request).message).toBe(
      `[@act/connector-xero] GET ${API}${API_PATH}/x failed: HTTP 502`,
    );
    expect(toXeroApiError(new Response(null, { status: 400 }), { error: 'invalid_grant' }, request).message).toContain(
      '– invalid_grant',
    );
  });

  it('refuses to start without auth or with a bad base URL', () => {
    expect(() => createXeroClient({ auth: { type: 'access-token', token: '' } })).toThrow('auth.token is required');
    expect(() => client({ baseUrl: 'not a url' })).toThrow(/baseUrl "not a url" is not a URL/);
  });

  it('honours a base URL with a path, and encodes ids', async () => {
    const scope = nock('https://proxy.test')
      .get('/xero/Invoices/a%2Fb')
      .reply(200, { Invoices: [{ InvoiceID: 'a/b' }] });
    expect(await client({ baseUrl: 'https://proxy.test/xero' }).getInvoice(TENANT, 'a/b')).toEqual({
      InvoiceID: 'a/b',
    });
    expect(scope.isDone()).toBe(true);
  });
});
