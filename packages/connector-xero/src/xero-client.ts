/**
 * The Xero Accounting API client: Xero's facts (base URL, tenant header,
 * collections, list parameters, `If-Modified-Since`) over the kit's
 * `createApiClient` (limiter → token → fetch → budgets → 401 refresh → 429 →
 * `ProviderApiError` → schema → retry), with OAuth 2.0 and rotating refresh
 * tokens (xero-oauth.ts) and Xero's rate limits shared by every worker
 * (xero-rate-limits.ts).
 *
 * ```ts
 * createXeroClient(options: XeroClientOptions): XeroClient
 *
 * interface XeroClientOptions {
 *   auth: XeroAuth;                        // required: { clientId, clientSecret, credentials } (XeroOAuthSettings fits),
 *                                          //   or { type: 'access-token', token }; see xero-oauth.ts
 *   baseUrl?: string;                      // default https://api.xero.com/api.xro/2.0
 *   fetch?: typeof fetch;
 *   rateLimitStore?: RateLimitStoreV1;     // share budgets across workers (sink-supabase's `state.rateLimits`)
 *   tier?: 'starter' | 'above-starter';    // daily cap 1,000 or 5,000 per tenant (default above-starter)
 *   dailyLimit?: number;                   // overrides tier
 *   rateLimits?: Omit<XeroRateLimitOptions, 'store' | 'tier' | 'dailyLimit' | 'now' | 'sleep'>;
 *   rateLimiter?: XeroRateLimiter;         // a limiter to share between clients (overrides the three above)
 *   timeoutMs?: number;                    // per request, default 30_000
 *   retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number }; // in-process, default 3, 500, 10_000
 *   formatIfModifiedSince?: (ms: number) => string;  // default ISO 8601 UTC, whole seconds
 *   logger?: Logger; now?: () => Date;
 *   sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;  // the limiter's waits (inject for tests)
 * }
 * ```
 *
 * `XeroClient` has `getRecord({ tenant, entity, id })` (the connector's
 * fetch-on-notify: 404 → `null`), `getContact`, `getInvoice`,
 * `getCreditNote`, `getPayment`, `getBankTransaction`; `list(tenant, entity,
 * params)` and `listContacts`, `listInvoices`, `listCreditNotes`,
 * `listPayments`, `listBankTransactions` (one page each); a generic
 * `request`; `refreshCredentials(tenant)` for the worker's 401 hook; and,
 * with OAuth, `renewCredentials(tenant, { aheadMs })` for the scheduler.
 * The tenant is the Xero organisation id (`tenantId` of `/connections`).
 *
 * Provider facts (the spec is `xero_accounting.yaml` v16.1.0,
 * https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero_accounting.yaml; "Requests and
 * responses", https://developer.xero.com/documentation/api/requests-and-responses):
 * - base URL `https://api.xero.com/api.xro/2.0` (the spec's `servers`);
 * - `Authorization: Bearer <access token>`; `xero-tenant-id: <tenant>` is
 *   required on accounting calls (the spec's `requiredHeader`); `Accept:
 *   application/json` is sent on every call;
 * - one record: `GET /Contacts/{ContactID}`, `/Invoices/{InvoiceID}`,
 *   `/CreditNotes/{CreditNoteID}`, `/Payments/{PaymentID}`,
 *   `/BankTransactions/{BankTransactionID}`, answered as a one-element list
 *   (`{ "Invoices": [ … ] }`);
 * - lists: the same collections with `page` ("Up to 100 … in a single API
 *   call"), `pageSize`, `order`, `where`, and the `If-Modified-Since` header
 *   ("Only items created or updated since the specified timestamp will be
 *   returned (accurate to the second)"); Contacts and Invoices also
 *   take `includeArchived`, `summaryOnly` and `IDs`, Invoices `Statuses`
 *   (comma-separated). Responses carry `pagination: { page, pageSize,
 *   pageCount, itemCount }` and `DateTimeUTC` (the server's clock) (the spec's examples);
 * - `If-Modified-Since` is sent as ISO 8601 UTC floored to the second
 *   (`2026-01-02T03:04:05.000Z`): the spec types it `date-time`
 *   (`ifModifiedSince`) and the official SDK sends `Date.toISOString()`
 *   (https://github.com/XeroAPI/xero-node/blob/master/src/gen/api/accountingApi.ts); flooring errs towards re-reading, never
 *   skipping. Configurable (`formatIfModifiedSince`);
 * - `UpdatedDateUTC` and the other dates are MS-JSON `/Date(1573755038314+0000)/`:
 *   `xeroTimeMs` (re-exported here from xero-events.ts) parses them;
 * - limits, headers and 429s: see xero-rate-limits.ts; OAuth: see xero-oauth.ts.
 *
 * Retries (the kit's engine): a call is retried in process (`@act/core`'s
 * `retry`, jittered backoff) on network failures, 5xx and 429s whose wait is at most
 * `retry.maxDelayMs`; a longer wait is thrown (`ProviderApiError` 429 with
 * `retryAfterMs`, or the limiter's `RateLimitError`) for the worker to
 * reschedule. A 401 refreshes the token once (single-flight across workers)
 * and repeats the request; a second 401 is an `auth` error.
 */
import { type ApiClient, type ApiRenewOptions, type ApiRequest, createApiClient } from '@act/connector-kit';
import type { Logger, RateLimitStoreV1 } from '@act/core';
import { z } from 'zod';
import { XERO_ERROR_BODY, xeroErrors } from './xero-error';
import { XERO_PACKAGE_NAME, XERO_SOURCE, type XeroMirroredEntity, type XeroRecord, xeroTimeMs } from './xero-events';
import { XERO_COLLECTIONS, type XeroFetchRecordRequest } from './xero-hydrate';
import { XERO_USER_AGENT, type XeroAuth, xeroAuth } from './xero-oauth';
import { createXeroRateLimiter, type XeroRateLimiter, type XeroRateLimitOptions } from './xero-rate-limits';
import { XERO_ID_FIELDS } from './xero-transform';

export { xeroTimeMs } from './xero-events';

/** `https://api.xero.com/api.xro/2.0` (`servers` of https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero_accounting.yaml). */
export const XERO_API_BASE_URL = 'https://api.xero.com/api.xro/2.0';

/** The `xero-tenant-id` header (`requiredHeader` of https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero_accounting.yaml). */
export const XERO_TENANT_HEADER = 'xero-tenant-id';

/** The webhook category (`<CATEGORY>.UPDATE`) of polled events per entity; payments and bank transactions have none at Xero. */
export const XERO_ENTITY_CATEGORIES: Readonly<Record<XeroMirroredEntity, string>> = Object.freeze({
  contact: 'CONTACT',
  invoice: 'INVOICE',
  credit_note: 'CREDITNOTE',
  payment: 'PAYMENT',
  bank_transaction: 'BANKTRANSACTION',
});

/** Invoice statuses of the spec's `Invoice.Status` enum (https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero_accounting.yaml). */
export const XERO_INVOICE_STATUSES = Object.freeze(['DRAFT', 'SUBMITTED', 'DELETED', 'AUTHORISED', 'PAID', 'VOIDED']);

/** Floor to the second: `If-Modified-Since` is "accurate to the second" (https://developer.xero.com/documentation/api/requests-and-responses). */
export function floorToSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/** The default `If-Modified-Since` value: ISO 8601 UTC, floored to the second. */
export function formatXeroIfModifiedSince(ms: number): string {
  return new Date(floorToSecond(ms)).toISOString();
}

// ---------------------------------------------------------------------------
// Response shapes. Lenient: only the record id is required, unknown fields are
// kept, so a field Xero adds or drops cannot stop the mirror.

const paginationSchema = z.looseObject({
  page: z.number().nullish(),
  pageSize: z.number().nullish(),
  pageCount: z.number().nullish(),
  itemCount: z.number().nullish(),
});
export type XeroPagination = z.infer<typeof paginationSchema>;

function recordSchema(entity: XeroMirroredEntity) {
  return z.looseObject({ [XERO_ID_FIELDS[entity]]: z.string().min(1), UpdatedDateUTC: z.string().nullish() });
}

function listSchema(entity: XeroMirroredEntity) {
  return z.looseObject({
    [XERO_COLLECTIONS[entity]]: z.array(recordSchema(entity)),
    pagination: paginationSchema.nullish(),
    DateTimeUTC: z.string().nullish(),
  });
}

/** One page of a listing. */
export interface XeroListPage {
  /** The records, as Xero returns them (PascalCase, MS-JSON dates). */
  records: XeroRecord[];
  /** `pagination` of the response, when Xero sent it. */
  pagination: XeroPagination | undefined;
  /** `DateTimeUTC` of the response (the server's clock), epoch ms. */
  serverTimeMs: number | undefined;
}

/** Query of a listing (https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero_accounting.yaml). */
export interface XeroListParams {
  /** 1-based. */
  page?: number;
  /** Records per page (documented default 100; a third-party driver documents a maximum of 1,000, https://cdn.cdata.com/help/DXM/py/RSBXero_p_Pagesize.htm, not Xero). */
  pageSize?: number;
  /** `If-Modified-Since`: only records created or updated since (epoch ms or a Date; sent to the second). */
  ifModifiedSince?: number | Date | null;
  /** e.g. `UpdatedDateUTC ASC`. */
  order?: string;
  where?: string;
  /** Contacts and Invoices only. */
  summaryOnly?: boolean;
  /** Contacts and Invoices only: include ARCHIVED records. */
  includeArchived?: boolean;
  /** Invoices only: `Statuses=DRAFT,…` (e.g. `['DELETED', 'VOIDED']`). */
  statuses?: readonly string[];
  /** Contacts and Invoices only: `IDs=…`. */
  ids?: readonly string[];
}

/** Which documented list parameters each entity takes (https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero_accounting.yaml). */
const LIST_PARAMS: Readonly<Record<XeroMirroredEntity, ReadonlySet<keyof XeroListParams>>> = {
  contact: new Set(['summaryOnly', 'includeArchived', 'ids']),
  invoice: new Set(['summaryOnly', 'includeArchived', 'statuses', 'ids']),
  credit_note: new Set(),
  payment: new Set(),
  bank_transaction: new Set(),
};

/** One call of `request`: the kit's `ApiRequest` (path below the base URL, query, headers, JSON body, response schema). */
export type XeroRequest<T> = ApiRequest<T>;

interface CallOptions {
  signal?: AbortSignal | undefined;
}

export interface XeroClientOptions {
  auth: XeroAuth;
  baseUrl?: string;
  fetch?: typeof globalThis.fetch;
  rateLimitStore?: RateLimitStoreV1;
  tier?: 'starter' | 'above-starter';
  dailyLimit?: number;
  rateLimits?: Omit<XeroRateLimitOptions, 'store' | 'tier' | 'dailyLimit' | 'now' | 'sleep'>;
  rateLimiter?: XeroRateLimiter;
  timeoutMs?: number;
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  formatIfModifiedSince?: (ms: number) => string;
  logger?: Logger;
  now?: () => Date;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The calls the connector makes. Every failure is a `ProviderApiError` (or `PayloadError`, `RateLimitError`, `ReconnectRequiredError`). */
export interface XeroClient {
  /** Any documented endpoint, with auth, the tenant header, rate limits, retries and error mapping. */
  request<T>(tenant: string, request: XeroRequest<T>): Promise<T>;
  /** Fetch-on-notify: `GET /{Collection}/{id}`; `null` when Xero answers 404 (or an empty list). */
  getRecord(request: XeroFetchRecordRequest): Promise<XeroRecord | null>;
  getContact(tenant: string, id: string, options?: CallOptions): Promise<XeroRecord | null>;
  getInvoice(tenant: string, id: string, options?: CallOptions): Promise<XeroRecord | null>;
  getCreditNote(tenant: string, id: string, options?: CallOptions): Promise<XeroRecord | null>;
  getPayment(tenant: string, id: string, options?: CallOptions): Promise<XeroRecord | null>;
  getBankTransaction(tenant: string, id: string, options?: CallOptions): Promise<XeroRecord | null>;
  /** One page of a collection. */
  list(
    tenant: string,
    entity: XeroMirroredEntity,
    params?: XeroListParams,
    options?: CallOptions,
  ): Promise<XeroListPage>;
  listContacts(tenant: string, params?: XeroListParams, options?: CallOptions): Promise<XeroListPage>;
  listInvoices(tenant: string, params?: XeroListParams, options?: CallOptions): Promise<XeroListPage>;
  listCreditNotes(tenant: string, params?: XeroListParams, options?: CallOptions): Promise<XeroListPage>;
  listPayments(tenant: string, params?: XeroListParams, options?: CallOptions): Promise<XeroListPage>;
  listBankTransactions(tenant: string, params?: XeroListParams, options?: CallOptions): Promise<XeroListPage>;
  /** The worker's 401 hook: rotate the tenant's OAuth tokens unless someone already has. A no-op for a static token. */
  refreshCredentials(tenant: string): Promise<void>;
  /**
   * OAuth only: refresh the tenant's token if it expires within `aheadMs`
   * (single-flight, under the refresh lease) and say when the current one
   * expires: the connector's `renewCredentials`, run by the scheduler.
   */
  renewCredentials?(tenant: string, options: ApiRenewOptions): Promise<{ expiresAt: Date | null }>;
  /** The shared limiter (for inspection and tests). */
  readonly rateLimiter: XeroRateLimiter;
}

/** Create a Xero API client. @throws ConfigurationError for missing auth settings or a bad base URL. */
export function createXeroClient(options: XeroClientOptions): XeroClient {
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? 30_000;
  const formatSince = options.formatIfModifiedSince ?? formatXeroIfModifiedSince;
  const limiter =
    options.rateLimiter ??
    createXeroRateLimiter({
      // A slot's lease outlives the longest call (its timeout), so only a crashed holder loses it.
      leaseMs: timeoutMs + 30_000,
      ...options.rateLimits,
      ...(options.rateLimitStore ? { store: options.rateLimitStore } : {}),
      ...(options.tier ? { tier: options.tier } : {}),
      ...(options.dailyLimit !== undefined ? { dailyLimit: options.dailyLimit } : {}),
      now: () => now().getTime(),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    });
  const api: ApiClient = createApiClient({
    // fetch, logger, retry; the rest is Xero's facts.
    ...options,
    packageName: XERO_PACKAGE_NAME,
    source: XERO_SOURCE,
    baseUrl: options.baseUrl ?? XERO_API_BASE_URL,
    auth: xeroAuth(options.auth),
    headers: (tenant) => ({ [XERO_TENANT_HEADER]: tenant }),
    userAgent: XERO_USER_AGENT,
    rateLimits: limiter,
    errorBody: XERO_ERROR_BODY,
    timeoutMs,
    now,
    tenantRequired: 'a Xero tenant id is required',
  });

  async function getRecord({ tenant, entity, id, signal }: XeroFetchRecordRequest): Promise<XeroRecord | null> {
    const collection = collectionOf(entity);
    if (!id) throw xeroErrors.configuration(`a ${entity} id is required`);
    const body = await api.find(tenant, {
      method: 'GET',
      path: `${collection}/${encodeURIComponent(id)}`,
      schema: listSchema(entity),
      signal,
    });
    if (body === null) return null;
    const records = body[collection] as XeroRecord[];
    return records[0] ?? null;
  }

  async function list(
    tenant: string,
    entity: XeroMirroredEntity,
    params: XeroListParams = {},
    { signal }: CallOptions = {},
  ): Promise<XeroListPage> {
    const collection = collectionOf(entity);
    const allowed = LIST_PARAMS[entity];
    for (const name of ['summaryOnly', 'includeArchived', 'statuses', 'ids'] as const) {
      if (params[name] !== undefined && !allowed.has(name)) {
        const documented = Object.entries(LIST_PARAMS)
          .filter(([, names]) => names.has(name))
          .map(([other]) => XERO_COLLECTIONS[other as XeroMirroredEntity]);
        throw xeroErrors.configuration(
          `GET ${collection} takes no ${name} parameter (Xero documents it for ${documented.join(', ')})`,
        );
      }
    }
    const searchParams: Record<string, string> = {};
    if (params.page !== undefined) searchParams.page = String(positiveInteger(params.page, 'page'));
    if (params.pageSize !== undefined) searchParams.pageSize = String(positiveInteger(params.pageSize, 'pageSize'));
    if (params.order) searchParams.order = params.order;
    if (params.where) searchParams.where = params.where;
    if (params.summaryOnly !== undefined) searchParams.summaryOnly = String(params.summaryOnly);
    if (params.includeArchived !== undefined) searchParams.includeArchived = String(params.includeArchived);
    if (params.statuses?.length) searchParams.Statuses = params.statuses.join(',');
    if (params.ids?.length) searchParams.IDs = params.ids.join(',');
    const headers: Record<string, string> = {};
    if (params.ifModifiedSince !== undefined && params.ifModifiedSince !== null) {
      const ms = params.ifModifiedSince instanceof Date ? params.ifModifiedSince.getTime() : params.ifModifiedSince;
      if (!Number.isFinite(ms)) throw xeroErrors.configuration('ifModifiedSince is not a valid time');
      headers['if-modified-since'] = formatSince(ms);
    }
    const body = await api.request(tenant, {
      method: 'GET',
      path: collection,
      searchParams,
      headers,
      schema: listSchema(entity),
      signal,
    });
    // The schema checked these; its computed collection key defeats the inferred type.
    const parsed = body as Record<string, unknown>;
    return {
      records: parsed[collection] as XeroRecord[],
      pagination: (parsed.pagination as XeroPagination | null | undefined) ?? undefined,
      serverTimeMs: xeroTimeMs(parsed.DateTimeUTC),
    };
  }

  const one =
    (entity: XeroMirroredEntity) =>
    (tenant: string, id: string, { signal }: CallOptions = {}) =>
      getRecord({ tenant, entity, id, ...(signal ? { signal } : {}) });
  const many = (entity: XeroMirroredEntity) => (tenant: string, params?: XeroListParams, callOptions?: CallOptions) =>
    list(tenant, entity, params, callOptions);

  return {
    rateLimiter: limiter,
    request: (tenant, call) => api.request(tenant, call),
    getRecord,
    getContact: one('contact'),
    getInvoice: one('invoice'),
    getCreditNote: one('credit_note'),
    getPayment: one('payment'),
    getBankTransaction: one('bank_transaction'),
    list,
    listContacts: many('contact'),
    listInvoices: many('invoice'),
    listCreditNotes: many('credit_note'),
    listPayments: many('payment'),
    listBankTransactions: many('bank_transaction'),
    refreshCredentials: (tenant) => api.refreshCredentials(tenant),
    ...(api.renewCredentials ? { renewCredentials: api.renewCredentials } : {}),
  };
}

// ---------------------------------------------------------------------------
// Helpers

function collectionOf(entity: XeroMirroredEntity): string {
  const collection = Object.hasOwn(XERO_COLLECTIONS, entity) ? XERO_COLLECTIONS[entity] : undefined;
  if (!collection) {
    throw xeroErrors.configuration(
      `${JSON.stringify(entity)} is not an Accounting API record (${Object.keys(XERO_COLLECTIONS).join(', ')})`,
    );
  }
  return collection;
}

function positiveInteger(value: number, name: string): number {
  if (!(Number.isSafeInteger(value) && value > 0)) {
    throw xeroErrors.configuration(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
