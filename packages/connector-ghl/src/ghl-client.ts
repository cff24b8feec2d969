/**
 * The GoHighLevel (LeadConnector API v2) client: provider facts over
 * `@act/connector-kit`'s request engine (limiter, token read after the wait,
 * header-aligned budgets, one refresh on 401, 429 waits, `ProviderApiError`,
 * zod-checked bodies, in-process retries).
 *
 * ```ts
 * createGhlClient(options: GhlClientOptions): GhlClient
 *
 * interface GhlClientOptions {
 *   auth:                                  // required
 *     | { type: 'private-integration'; token: string | ((tenant: string) => string | Promise<string>) }
 *     | { type: 'oauth'; clientId: string; clientSecret: string; credentials: CredentialStoreV1;
 *         userType?: 'Location' | 'Company';            // default 'Location' (refresh `user_type`)
 *         credentialKey?: (tenant: string) => string;    // default `ghl:<tenant>`
 *         refreshBeforeExpiryMs?: number;                // default 300_000
 *         leaseMs?: number; owner?: string;              // the token manager's refresh lease
 *         isInvalidGrant?: (status: number, body: unknown) => boolean };
 *   baseUrl?: string;                      // default https://services.leadconnectorhq.com
 *   fetch?: typeof fetch;
 *   rateLimitStore?: RateLimitStoreV1;     // share budgets across workers (sink-supabase's `state.rateLimits`)
 *   rateLimits?: Partial<GhlRateLimits>;   // default 100 / 10 s and 200,000 / day
 *   rateLimitScope?: (tenant: string) => string;  // default `ghl:<tenant>`
 *   dailyExhaustedWaitMs?: number;         // 429 with daily budget 0 → hand back for this long (default 1 h)
 *   versions?: Partial<Record<GhlApiFamily, string>>;  // override a family's `Version` header
 *   timeoutMs?: number;                    // per request, default 10_000
 *   retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number }; // default 3, 500, 10_000
 *   logger?: Logger; now?: () => Date;
 * }
 * ```
 *
 * `GhlClient` has `searchContacts`, `getContact`, `upsertContact`,
 * `searchOpportunities`, `listPipelines`, `listCalendars`,
 * `listCalendarEvents`, a generic `request`, `refreshCredentials(tenant)`
 * for the connector's `refreshCredentials` hook and, with OAuth,
 * `renewCredentials(tenant, { aheadMs })` for its `renewCredentials` (the
 * scheduler's refresh ahead of expiry). The tenant is the GHL
 * location id. `exchangeGhlAuthorizationCode` turns an install's
 * authorization code into the credential to `put` in the store.
 *
 * Provider facts (official OpenAPI specs,
 * https://github.com/GoHighLevel/highlevel-api-docs/tree/main/apps):
 * - base URL `https://services.leadconnectorhq.com` (the specs' `servers`);
 * - `Authorization: Bearer <OAuth access token | Private Integration Token>`
 *   (https://marketplace.gohighlevel.com/docs/Authorization/PrivateIntegrationsToken/index.html);
 * - `Version` is required and differs per API: `2021-07-28` for contacts,
 *   opportunities, locations, users…; `2021-04-15` for calendars and
 *   conversations (each spec's `Version` enum). Never one value globally;
 * - `POST /oauth/token`, form-encoded, `grant_type=refresh_token`,
 *   `client_id`, `client_secret`, `refresh_token`, `user_type`; the answer
 *   carries `access_token`, `refresh_token`, `expires_in` (86399)
 *   (https://github.com/GoHighLevel/highlevel-api-docs/blob/main/apps/oauth.json);
 *   refresh tokens rotate: "If they are used, the new refresh token is valid
 *   for a year as well"
 *   (https://github.com/GoHighLevel/highlevel-api-docs/blob/main/docs/oauth/Authorization.md),
 *   so every refresh's new refresh token is saved, single-flight across
 *   workers, and a refresh is never re-sent (`retryRefresh: false`);
 * - rate limits and their headers: see ghl-rate-limits.ts.
 *
 * Not documented (assumptions, documented where used):
 * - the body GHL answers a used or revoked refresh token with. OAuth 2.0
 *   (RFC 6749 §5.2) says 400 `{ "error": "invalid_grant" }`; that (or any
 *   4xx whose body says `invalid_grant`) marks the connection "reconnect
 *   required". Override with `auth.isInvalidGrant`;
 * - `POST /contacts/search`'s body and response are documented only on GHL's
 *   ClickUp pages (read through a third-party migration note); see ghl-poller.ts;
 * - error bodies: see ghl-error.ts.
 */
import {
  type ApiAuth,
  type ApiRenewOptions,
  createApiClient,
  type OAuth2Credential,
  oauth2,
  staticToken,
} from '@act/connector-kit';
import type { CredentialStoreV1, Logger, RateLimitStoreV1 } from '@act/core';
import { z } from 'zod';
import { GHL_PACKAGE_NAME, GHL_SOURCE, ghlErrorBody, ghlErrors } from './ghl-error';
import {
  GHL_DEFAULT_DAILY_EXHAUSTED_WAIT_MS,
  GHL_RATE_LIMITS,
  type GhlRateLimits,
  ghlRateLimits,
} from './ghl-rate-limits';
import { VERSION } from './version';

/** `https://services.leadconnectorhq.com` (the specs' `servers`, and the official SDK's `BASE_URL`). */
export const GHL_DEFAULT_BASE_URL = 'https://services.leadconnectorhq.com';

/** The API families whose `Version` header this client knows. */
export type GhlApiFamily = 'contacts' | 'opportunities' | 'calendars' | 'conversations' | 'locations' | 'users';

/**
 * `Version` header per API family, from the `Version` enum of each official
 * spec (https://github.com/GoHighLevel/highlevel-api-docs/tree/main/apps):
 * 2021-07-28 for contacts and opportunities, 2021-04-15 for calendars and conversations.
 */
export const GHL_API_VERSIONS: Readonly<Record<GhlApiFamily, string>> = Object.freeze({
  contacts: '2021-07-28',
  opportunities: '2021-07-28',
  locations: '2021-07-28',
  users: '2021-07-28',
  calendars: '2021-04-15',
  conversations: '2021-04-15',
});

// ---------------------------------------------------------------------------
// Auth

export interface GhlPrivateIntegrationAuth {
  type: 'private-integration';
  /**
   * The Private Integration Token: "static/fixed OAuth2 Access Tokens … do not
   * automatically refresh unless you rotate them from the UI"
   * (https://marketplace.gohighlevel.com/docs/Authorization/PrivateIntegrationsToken/index.html).
   * A function picks the token of a location (PITs are per sub-account).
   */
  token: string | ((tenant: string) => string | Promise<string>);
}

export interface GhlOAuthAuth {
  type: 'oauth';
  clientId: string;
  clientSecret: string;
  /** Where each location's tokens live (`GhlOAuthCredential` values). */
  credentials: CredentialStoreV1;
  /** `user_type` sent on refresh when the stored credential has none. Default `Location`. */
  userType?: 'Location' | 'Company';
  /** Credential key of a location; default `ghl:<tenant>` (CredentialStoreV1's convention). */
  credentialKey?: (tenant: string) => string;
  /** Refresh this long before `expiresAt`. Default 5 min. */
  refreshBeforeExpiryMs?: number;
  /** Refresh lease length; default 30 s (core's token manager). */
  leaseMs?: number;
  /** Identifies this process in the refresh lease. */
  owner?: string;
  /**
   * Whether a token-endpoint refusal means the refresh token is dead
   * (reconnect required). GHL does not document the body; the default
   * matches OAuth's `invalid_grant` (RFC 6749 §5.2) in `error`, `error_description` or `message`.
   */
  isInvalidGrant?: (status: number, body: unknown) => boolean;
}

export type GhlAuth = GhlPrivateIntegrationAuth | GhlOAuthAuth;

/**
 * What the credential store keeps per location for OAuth. Field names are
 * ours (camelCase); `expiresAt` is epoch ms. Unknown fields are kept.
 */
export interface GhlOAuthCredential extends OAuth2Credential {
  /** `Location` or `Company`: sent back as `user_type` on refresh. */
  userType?: string | undefined;
  locationId?: string | undefined;
  companyId?: string | undefined;
  userId?: string | undefined;
}

/**
 * GHL's OAuth 2.0 facts for the kit's `oauth2()`: the token endpoint below the
 * API host, the client in the form, `user_type` on every grant, the
 * location/company fields of the answer kept, and a refresh sent once
 * (refresh tokens rotate).
 */
function ghlOAuth(options: {
  clientId: string;
  clientSecret: string;
  baseUrl: string;
  credentials?: CredentialStoreV1;
  userType?: 'Location' | 'Company';
  credentialKey?: ((tenant: string) => string) | undefined;
  refreshBeforeExpiryMs?: number | undefined;
  leaseMs?: number | undefined;
  owner?: string | undefined;
  isInvalidGrant?: ((status: number, body: unknown) => boolean) | undefined;
}) {
  return oauth2<GhlOAuthCredential>({
    tokenUrl: new URL('oauth/token', `${options.baseUrl.replace(/\/+$/, '')}/`).href,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    // POST /oauth/token, application/x-www-form-urlencoded, client_id and client_secret in the form
    // (https://github.com/GoHighLevel/highlevel-api-docs/blob/main/apps/oauth.json).
    authMethod: 'body',
    // Refresh tokens rotate: if GHL rotated on an attempt whose answer was
    // lost (a timeout), a retry would present the retired token and force a reconnect.
    retryRefresh: false,
    credentials: options.credentials,
    credentialKey: options.credentialKey,
    refreshBeforeExpiryMs: options.refreshBeforeExpiryMs,
    leaseMs: options.leaseMs,
    owner: options.owner,
    // "The access tokens are valid for a day" (`expires_in: 86399`): used when `expires_in` is missing.
    defaultExpiresInS: 86_399,
    refreshParams: (current) => ({ user_type: current.userType ?? options.userType ?? 'Location' }),
    credentialFields: (body) => ({
      userType: body.userType,
      locationId: body.locationId,
      companyId: body.companyId,
      userId: body.userId,
    }),
    isInvalidGrant: options.isInvalidGrant,
    providerName: 'GHL',
    messages: { noRefreshTokenInAnswer: 'POST /oauth/token answered without a refresh_token' },
    packageName: GHL_PACKAGE_NAME,
    source: GHL_SOURCE,
  });
}

function ghlAuth(auth: GhlAuth, baseUrl: string): ApiAuth {
  if (!auth || (auth.type !== 'private-integration' && auth.type !== 'oauth')) {
    throw ghlErrors.configuration(
      "auth is required: { type: 'private-integration', token } or { type: 'oauth', clientId, clientSecret, credentials }",
    );
  }
  if (auth.type === 'private-integration') {
    // A PIT cannot be refreshed: a 401 is thrown as an auth ProviderApiError.
    return staticToken(auth.token, {
      missing: 'auth.token (the Private Integration Token) is required',
      missingFor: (tenant) => `no Private Integration Token for location ${tenant}`,
    });
  }
  return ghlOAuth({ ...auth, baseUrl });
}

// ---------------------------------------------------------------------------
// API response shapes. Lenient (`.nullish()`, unknown fields kept): only ids
// are required, so a provider that adds or drops a field cannot stop the mirror.

/**
 * A contact as the API returns it (`GET /contacts/{id}` GetContectByIdSchema,
 * `POST /contacts/search` ContactsSearchSchema https://github.com/GoHighLevel/highlevel-api-docs/blob/main/apps/contacts.json). The
 * search schema in the spec lists `dateAdded` but not `dateUpdated`, so `dateUpdated` may be absent.
 */
export const ghlContactRecordSchema = z.looseObject({
  id: z.string().min(1),
  locationId: z.string().nullish(),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  name: z.string().nullish(),
  email: z.string().nullish(),
  phone: z.string().nullish(),
  companyName: z.string().nullish(),
  tags: z.array(z.string()).nullish(),
  dateAdded: z.string().nullish(),
  dateUpdated: z.string().nullish(),
  /** Elasticsearch-style sort values of this hit, when the search returns them per record (not documented). */
  searchAfter: z.unknown().optional(),
});
export type GhlContactRecord = z.infer<typeof ghlContactRecordSchema>;

/**
 * `POST /contacts/search` answer. The spec's response DTO says `{ contacts, count }`
 * (https://github.com/GoHighLevel/highlevel-api-docs/blob/main/apps/contacts.json); a third-party reading of GHL's ClickUp docs says `{ contacts, total,
 * searchAfter }`. Both are accepted.
 */
const contactSearchResponseSchema = z.looseObject({
  contacts: z.array(ghlContactRecordSchema),
  total: z.number().nullish(),
  count: z.number().nullish(),
  searchAfter: z.unknown().optional(),
});
export type GhlContactSearchResponse = z.infer<typeof contactSearchResponseSchema>;

/** `POST /contacts/search` body (SearchBodyV2DTO, documented only on GHL's ClickUp pages): kept open. */
export interface GhlContactSearchBody {
  locationId: string;
  pageLimit: number;
  page?: number;
  searchAfter?: unknown;
  filters?: unknown[];
  sort?: unknown[];
  [key: string]: unknown;
}

/** `POST /contacts/upsert` answer: `{ new, contact, traceId }` (UpsertContactsSuccessfulResponseDto, https://github.com/GoHighLevel/highlevel-api-docs/blob/main/apps/contacts.json). */
const upsertContactResponseSchema = z.looseObject({
  new: z.boolean().nullish(),
  contact: ghlContactRecordSchema.nullish(),
  traceId: z.string().nullish(),
});
export type GhlUpsertContactResponse = z.infer<typeof upsertContactResponseSchema>;

/** An opportunity as `GET /opportunities/search` lists it (SearchOpportunitiesResponseSchema, https://github.com/GoHighLevel/highlevel-api-docs/blob/main/apps/opportunities.json). */
export const ghlOpportunityRecordSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  monetaryValue: z.number().nullish(),
  pipelineId: z.string().nullish(),
  pipelineStageId: z.string().nullish(),
  assignedTo: z.string().nullish(),
  status: z.string().nullish(),
  source: z.string().nullish(),
  contactId: z.string().nullish(),
  locationId: z.string().nullish(),
  createdAt: z.string().nullish(),
  updatedAt: z.string().nullish(),
  lastStatusChangeAt: z.string().nullish(),
  lastStageChangeAt: z.string().nullish(),
});
export type GhlOpportunityRecord = z.infer<typeof ghlOpportunityRecordSchema>;

/** `meta` of the id-cursor listings (`GET /opportunities/search`, deprecated `GET /contacts/`) (SearchMetaResponseSchema, https://github.com/GoHighLevel/highlevel-api-docs/blob/main/apps/opportunities.json). */
const searchMetaSchema = z.looseObject({
  total: z.number().nullish(),
  nextPageUrl: z.string().nullish(),
  startAfterId: z.string().nullish(),
  startAfter: z.union([z.number(), z.string()]).nullish(),
  currentPage: z.number().nullish(),
  nextPage: z.number().nullish(),
  prevPage: z.number().nullish(),
});
export type GhlSearchMeta = z.infer<typeof searchMetaSchema>;

const opportunitySearchResponseSchema = z.looseObject({
  opportunities: z.array(ghlOpportunityRecordSchema),
  meta: searchMetaSchema.nullish(),
});
export type GhlOpportunitySearchResponse = z.infer<typeof opportunitySearchResponseSchema>;

/** Query of `GET /opportunities/search` (https://github.com/GoHighLevel/highlevel-api-docs/blob/main/apps/opportunities.json): `location_id` is added by the client. */
export interface GhlOpportunitySearchParams {
  /** ≤ 100, default 20. */
  limit: number;
  /** e.g. `added_asc`. */
  order?: string;
  startAfter?: string | number | null;
  startAfterId?: string | null;
  status?: 'open' | 'won' | 'lost' | 'abandoned' | 'all';
  [key: string]: string | number | boolean | null | undefined;
}

/** A pipeline (PipelinesResponseSchema, https://github.com/GoHighLevel/highlevel-api-docs/blob/main/apps/opportunities.json). It has no update timestamp. */
export const ghlPipelineRecordSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  stages: z.array(z.unknown()).nullish(),
  locationId: z.string().nullish(),
});
export type GhlPipelineRecord = z.infer<typeof ghlPipelineRecordSchema>;
const pipelinesResponseSchema = z.looseObject({ pipelines: z.array(ghlPipelineRecordSchema) });

/** A calendar (CalendarDTO, https://github.com/GoHighLevel/highlevel-api-docs/blob/main/apps/calendars.json): only the id matters here. */
export const ghlCalendarRecordSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  isActive: z.boolean().nullish(),
});
export type GhlCalendarRecord = z.infer<typeof ghlCalendarRecordSchema>;
const calendarsResponseSchema = z.looseObject({ calendars: z.array(ghlCalendarRecordSchema) });

/**
 * A calendar event / appointment (CalendarEventDTO,
 * https://github.com/GoHighLevel/highlevel-api-docs/blob/main/apps/calendars.json). `startTime`,
 * `endTime`, `dateAdded`, `dateUpdated` are typed `object` in the spec; the
 * webhook samples show ISO strings
 * (https://github.com/GoHighLevel/highlevel-api-docs/tree/main/docs/webhook%20events), so strings (or numbers) are accepted.
 */
const timeValue = z.union([z.string(), z.number()]).nullish();
export const ghlCalendarEventRecordSchema = z.looseObject({
  id: z.string().min(1),
  title: z.string().nullish(),
  calendarId: z.string().nullish(),
  locationId: z.string().nullish(),
  contactId: z.string().nullish(),
  groupId: z.string().nullish(),
  appointmentStatus: z.string().nullish(),
  assignedUserId: z.string().nullish(),
  startTime: timeValue,
  endTime: timeValue,
  dateAdded: timeValue,
  dateUpdated: timeValue,
});
export type GhlCalendarEventRecord = z.infer<typeof ghlCalendarEventRecordSchema>;
const calendarEventsResponseSchema = z.looseObject({ events: z.array(ghlCalendarEventRecordSchema) });
// ---------------------------------------------------------------------------
// Client

export interface GhlClientOptions {
  auth: GhlAuth;
  baseUrl?: string;
  fetch?: typeof globalThis.fetch;
  /**
   * Where rate-limit buckets live. Defaults to this process's memory; pass
   * `@act/sink-supabase`'s `state.rateLimits` so every worker shares GHL's budget.
   */
  rateLimitStore?: RateLimitStoreV1;
  rateLimits?: Partial<GhlRateLimits>;
  /**
   * Budget scope of a location; default `ghl:<tenant>`. GHL counts per app
   * and location
   * (https://github.com/GoHighLevel/highlevel-api-docs/blob/main/docs/oauth/Authorization.md):
   * give two apps on one location different scopes.
   */
  rateLimitScope?: (tenant: string) => string;
  /** How long a 429 whose daily budget reads 0 is handed back to the worker for (reset time undocumented). Default 1 h. */
  dailyExhaustedWaitMs?: number;
  versions?: Partial<Record<GhlApiFamily, string>>;
  timeoutMs?: number;
  /**
   * In-process retries of one call (5xx, timeouts, 429s whose wait is at most
   * `maxDelayMs`). Longer waits are thrown for the worker to reschedule.
   * Defaults: 3 attempts, 500 ms base delay, 10 s cap (one burst window).
   */
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  logger?: Logger;
  now?: () => Date;
}

export interface GhlRequest<T> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below the base URL, e.g. `contacts/search` (no leading slash needed). */
  path: string;
  /** Which `Version` header to send. */
  family: GhlApiFamily;
  /** Retry a failed POST in process (see the kit's `ApiRequest.idempotent`): only for reads. */
  idempotent?: boolean;
  searchParams?: Record<string, string>;
  json?: unknown;
  schema: z.ZodType<T>;
  signal?: AbortSignal | undefined;
}

interface CallOptions {
  signal?: AbortSignal | undefined;
}

/** The calls the connector makes. Every failure is a `ProviderApiError` (or `PayloadError`, `ReconnectRequiredError`). */
export interface GhlClient {
  /** Any documented endpoint, with auth, `Version`, rate limits, retries and error mapping. */
  request<T>(tenant: string, request: GhlRequest<T>): Promise<T>;
  /** `POST /contacts/search` (not the deprecated `GET /contacts/`). `locationId` is set from `tenant`. */
  searchContacts(
    tenant: string,
    body: Omit<GhlContactSearchBody, 'locationId'>,
    options?: CallOptions,
  ): Promise<GhlContactSearchResponse>;
  /** `GET /contacts/{contactId}` → the contact. */
  getContact(tenant: string, contactId: string, options?: CallOptions): Promise<GhlContactRecord>;
  /**
   * `POST /contacts/upsert` (contacts.json): "adhere[s] to the … 'Allow Duplicate
   * Contact' setting": finds the contact by email and/or phone in the
   * location's configured order, updates it or creates one.
   */
  upsertContact(
    tenant: string,
    body: Record<string, unknown>,
    options?: CallOptions,
  ): Promise<GhlUpsertContactResponse>;
  /** `GET /opportunities/search?location_id=…` (opportunities.json). */
  searchOpportunities(
    tenant: string,
    params: GhlOpportunitySearchParams,
    options?: CallOptions,
  ): Promise<GhlOpportunitySearchResponse>;
  /** `GET /opportunities/pipelines?locationId=…`: all pipelines, no paging. */
  listPipelines(tenant: string, options?: CallOptions): Promise<GhlPipelineRecord[]>;
  /** `GET /calendars/?locationId=…` (calendars.json, Version 2021-04-15). */
  listCalendars(tenant: string, options?: CallOptions): Promise<GhlCalendarRecord[]>;
  /**
   * `GET /calendars/events?locationId&calendarId&startTime&endTime` (times in
   * epoch ms; one of calendarId, userId or groupId is required; calendars.json).
   */
  listCalendarEvents(
    tenant: string,
    query: { calendarId: string; startTime: number; endTime: number },
    options?: CallOptions,
  ): Promise<GhlCalendarEventRecord[]>;
  /**
   * The worker's 401 hook: refresh the location's OAuth token unless another
   * caller already has. A no-op for Private Integration Tokens.
   */
  refreshCredentials(tenant: string): Promise<void>;
  /**
   * The scheduler's renewal: refresh the location's OAuth token when it
   * expires within `aheadMs` (single-flight, under the refresh lease) and
   * say when the current one expires. Only with OAuth: a Private Integration
   * Token has nothing to renew.
   */
  renewCredentials?(tenant: string, options: ApiRenewOptions): Promise<{ expiresAt: Date | null }>;
}

/** Create a GHL API client . @throws ConfigurationError for missing auth settings or a bad base URL. */
export function createGhlClient(options: GhlClientOptions): GhlClient {
  const now = options.now ?? (() => new Date());
  const versions = { ...GHL_API_VERSIONS, ...options.versions };
  const baseUrl = options.baseUrl ?? GHL_DEFAULT_BASE_URL;
  const api = createApiClient({
    // fetch, logger, timeoutMs, retry; the rest is GHL's facts.
    ...options,
    packageName: GHL_PACKAGE_NAME,
    source: GHL_SOURCE,
    baseUrl,
    userAgent: `act-connector-ghl/${VERSION}`,
    auth: ghlAuth(options.auth, baseUrl),
    rateLimits: ghlRateLimits({
      limits: { ...GHL_RATE_LIMITS, ...options.rateLimits },
      store: options.rateLimitStore,
      scope: options.rateLimitScope ?? ((tenant: string) => `${GHL_SOURCE}:${tenant}`),
      dailyExhaustedWaitMs: options.dailyExhaustedWaitMs ?? GHL_DEFAULT_DAILY_EXHAUSTED_WAIT_MS,
      now: () => now().getTime(),
    }),
    errorBody: ghlErrorBody,
    now,
    tenantRequired: 'a location id (tenant) is required',
  });

  function request<T>(tenant: string, call: GhlRequest<T>): Promise<T> {
    const { family, ...rest } = call;
    return api.request(tenant, { ...rest, headers: { version: versions[family] } });
  }

  return {
    request,
    searchContacts(tenant, body, { signal } = {}) {
      return request(tenant, {
        method: 'POST',
        path: 'contacts/search',
        family: 'contacts',
        idempotent: true, // a search: POST only to carry the filter body
        json: { ...body, locationId: tenant },
        schema: contactSearchResponseSchema,
        signal,
      });
    },
    async getContact(tenant, contactId, { signal } = {}) {
      const body = await request(tenant, {
        method: 'GET',
        path: `contacts/${encodeURIComponent(contactId)}`,
        family: 'contacts',
        schema: z.looseObject({ contact: ghlContactRecordSchema }),
        signal,
      });
      return body.contact;
    },
    upsertContact(tenant, body, { signal } = {}) {
      return request(tenant, {
        method: 'POST',
        path: 'contacts/upsert',
        family: 'contacts',
        json: { ...body, locationId: tenant },
        schema: upsertContactResponseSchema,
        signal,
      });
    },
    searchOpportunities(tenant, params, { signal } = {}) {
      const searchParams: Record<string, string> = { location_id: tenant };
      for (const [name, value] of Object.entries(params)) {
        if (value !== undefined && value !== null && value !== '') searchParams[name] = String(value);
      }
      return request(tenant, {
        method: 'GET',
        path: 'opportunities/search',
        family: 'opportunities',
        searchParams,
        schema: opportunitySearchResponseSchema,
        signal,
      });
    },
    async listPipelines(tenant, { signal } = {}) {
      const body = await request(tenant, {
        method: 'GET',
        path: 'opportunities/pipelines',
        family: 'opportunities',
        searchParams: { locationId: tenant },
        schema: pipelinesResponseSchema,
        signal,
      });
      return body.pipelines;
    },
    async listCalendars(tenant, { signal } = {}) {
      const body = await request(tenant, {
        method: 'GET',
        path: 'calendars/',
        family: 'calendars',
        searchParams: { locationId: tenant },
        schema: calendarsResponseSchema,
        signal,
      });
      return body.calendars;
    },
    async listCalendarEvents(tenant, query, { signal } = {}) {
      const body = await request(tenant, {
        method: 'GET',
        path: 'calendars/events',
        family: 'calendars',
        searchParams: {
          locationId: tenant,
          calendarId: query.calendarId,
          startTime: String(query.startTime),
          endTime: String(query.endTime),
        },
        schema: calendarEventsResponseSchema,
        signal,
      });
      return body.events;
    },
    refreshCredentials: (tenant) => api.refreshCredentials(tenant),
    ...(api.renewCredentials ? { renewCredentials: api.renewCredentials } : {}),
  };
}

/**
 * Exchange an install's authorization code for the credential to store
 * (`credentials.put('ghl:<locationId>', credential)`)
 * (https://github.com/GoHighLevel/highlevel-api-docs/blob/main/docs/oauth/Authorization.md).
 *
 * @throws ReconnectRequiredError when GHL refuses the code (expired or used).
 */
export function exchangeGhlAuthorizationCode(options: {
  clientId: string;
  clientSecret: string;
  code: string;
  redirectUri?: string;
  userType?: 'Location' | 'Company';
  baseUrl?: string;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
  now?: () => Date;
}): Promise<GhlOAuthCredential> {
  const oauth = ghlOAuth({
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    baseUrl: options.baseUrl ?? GHL_DEFAULT_BASE_URL,
  });
  return oauth.exchangeCode({
    code: options.code,
    ...(options.redirectUri ? { redirectUri: options.redirectUri } : {}),
    params: { user_type: options.userType ?? 'Location' },
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
    userAgent: `act-connector-ghl/${VERSION}`,
    now: options.now,
  });
}
