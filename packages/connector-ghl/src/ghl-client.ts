/**
 * The GoHighLevel (LeadConnector API v2) client: ky, Bearer auth (Private
 * Integration Token or OAuth with a rotating refresh token), the `Version`
 * header per API family, shared rate budgets, and every failure as a
 * `ProviderApiError`.
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
 * `listCalendarEvents`, a generic `request`, and `refreshCredentials(tenant)`
 * for the connector's `refreshCredentials` hook. The tenant is the GHL
 * location id. `exchangeGhlAuthorizationCode` turns an install's
 * authorization code into the credential to `put` in the store.
 *
 * Provider facts (fact sheet shared/providers/ghl-xero.md A3; official specs
 * https://github.com/GoHighLevel/highlevel-api-docs `apps/*.json` [G5]):
 * - base URL `https://services.leadconnectorhq.com` [G5 servers];
 * - `Authorization: Bearer <OAuth access token | Private Integration Token>` [G8][G13];
 * - `Version` is required and differs per API: `2021-07-28` for contacts,
 *   opportunities, locations, users…; `2021-04-15` for calendars and
 *   conversations [G5]. Never one value globally;
 * - `POST /oauth/token`, form-encoded, `grant_type=refresh_token`,
 *   `client_id`, `client_secret`, `refresh_token`, `user_type`; the answer
 *   carries `access_token`, `refresh_token`, `expires_in` (86399) [G5 apps/oauth.json];
 *   refresh tokens rotate: "If they are used, the new refresh token is valid
 *   for a year as well" (docs/oauth/Authorization.md [G3]), so every refresh's
 *   new refresh token is saved, single-flight across workers;
 * - rate limits and their headers: see ghl-rate-limits.ts.
 *
 * Not in the fact sheet (assumptions, documented where used):
 * - the body GHL answers a used or revoked refresh token with. OAuth 2.0
 *   (RFC 6749 §5.2) says 400 `{ "error": "invalid_grant" }`; that (or any
 *   4xx whose body says `invalid_grant`) marks the connection "reconnect
 *   required". Override with `auth.isInvalidGrant`;
 * - `POST /contacts/search`'s body and response are documented only on
 *   ClickUp (third-party reading [G17]); see ghl-poller.ts;
 * - error bodies: see ghl-error.ts.
 */
import {
  ConfigurationError,
  type CredentialStoreV1,
  classifyError,
  createRateLimiter,
  createTokenManager,
  type Logger,
  noopLogger,
  PayloadError,
  parseRetryAfter,
  type RateLimitStoreV1,
  ReconnectRequiredError,
  retry,
  type TokenManager,
} from '@act/core';
import ky, { type KyInstance } from 'ky';
import { z } from 'zod';
import { GHL_PACKAGE_NAME, GHL_SOURCE, ghlNetworkError, parseGhlErrorBody, toGhlApiError } from './ghl-error';
import {
  alignGhlBudgets,
  GHL_DEFAULT_DAILY_EXHAUSTED_WAIT_MS,
  GHL_RATE_LIMITS,
  type GhlRateLimits,
  ghlRateLimitWaitMs,
  readGhlRateLimitHeaders,
} from './ghl-rate-limits';
import { VERSION } from './version';

/** `https://services.leadconnectorhq.com` [G5 `servers`][G8 `BASE_URL`]. */
export const GHL_DEFAULT_BASE_URL = 'https://services.leadconnectorhq.com';

/** The API families whose `Version` header this client knows. */
export type GhlApiFamily = 'contacts' | 'opportunities' | 'calendars' | 'conversations' | 'locations' | 'users';

/**
 * `Version` header per API family, from the enum of each official spec [G5]
 * (fact sheet A3: "send 2021-07-28 for contacts and opportunities, and
 * 2021-04-15 for calendars and conversations").
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
   * automatically refresh unless you rotate them from the UI" [G13]. A
   * function picks the token of a location (PITs are per sub-account).
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
   * matches OAuth's `invalid_grant` (RFC 6749 §5.2) in `error` or `message`.
   */
  isInvalidGrant?: (status: number, body: unknown) => boolean;
}

export type GhlAuth = GhlPrivateIntegrationAuth | GhlOAuthAuth;

/**
 * What the credential store keeps per location for OAuth. Field names are
 * ours (camelCase); `expiresAt` is epoch ms. Unknown fields are kept.
 */
export interface GhlOAuthCredential {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms when the access token expires. */
  expiresAt: number;
  /** `Location` or `Company`: sent back as `user_type` on refresh. */
  userType?: string | undefined;
  scope?: string | undefined;
  locationId?: string | undefined;
  companyId?: string | undefined;
  userId?: string | undefined;
  [key: string]: unknown;
}

// `POST /oauth/token` answer [G5 apps/oauth.json GetAccessCodeSuccessfulResponseDto].
const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).nullish(),
  expires_in: z.number().nullish(),
  token_type: z.string().nullish(),
  scope: z.string().nullish(),
  userType: z.string().nullish(),
  locationId: z.string().nullish(),
  companyId: z.string().nullish(),
  userId: z.string().nullish(),
});

/** "The access tokens are valid for a day" (`expires_in: 86399`) [G3][G5]: used when `expires_in` is missing. */
const DEFAULT_EXPIRES_IN_S = 86_399;

function credentialFromTokenResponse(
  body: z.infer<typeof tokenResponseSchema>,
  now: Date,
  previous?: GhlOAuthCredential,
): GhlOAuthCredential {
  const refreshToken = body.refresh_token ?? previous?.refreshToken;
  if (!refreshToken) {
    throw new PayloadError({
      packageName: GHL_PACKAGE_NAME,
      message: 'POST /oauth/token answered without a refresh_token',
    });
  }
  const credential: GhlOAuthCredential = {
    ...(previous ?? {}),
    accessToken: body.access_token,
    // GHL rotates refresh tokens [G3]: always keep the newest one.
    refreshToken,
    expiresAt: now.getTime() + (body.expires_in ?? DEFAULT_EXPIRES_IN_S) * 1000,
  };
  const extra = {
    userType: body.userType,
    scope: body.scope,
    locationId: body.locationId,
    companyId: body.companyId,
    userId: body.userId,
  };
  for (const [name, value] of Object.entries(extra)) if (value) credential[name] = value;
  return credential;
}

function defaultIsInvalidGrant(status: number, body: unknown): boolean {
  if (status !== 400 && status !== 401) return false;
  const parsed = parseGhlErrorBody(body);
  const text = [
    parsed?.error,
    parsed?.error_description,
    ...(Array.isArray(parsed?.message) ? parsed.message : [parsed?.message]),
    typeof body === 'string' ? body : undefined,
  ]
    .filter((part): part is string => typeof part === 'string')
    .join(' ');
  return /invalid[_ ]grant/i.test(text);
}

// ---------------------------------------------------------------------------
// API response shapes. Lenient (`.nullish()`, unknown fields kept): only ids
// are required, so a provider that adds or drops a field cannot stop the mirror.

/**
 * A contact as the API returns it (`GET /contacts/{id}` GetContectByIdSchema,
 * `POST /contacts/search` ContactsSearchSchema [G5 apps/contacts.json]). The
 * search schema in the spec lists `dateAdded` but not `dateUpdated` (fact
 * sheet A3), so `dateUpdated` may be absent.
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
  /** Elasticsearch-style sort values of this hit, when the search returns them per record. [UNVERIFIED] */
  searchAfter: z.unknown().optional(),
});
export type GhlContactRecord = z.infer<typeof ghlContactRecordSchema>;

/**
 * `POST /contacts/search` answer. The spec's response DTO says `{ contacts, count }`
 * [G5]; the third-party reading of the ClickUp docs says `{ contacts, total,
 * searchAfter }` [G17]. Both are accepted.
 */
const contactSearchResponseSchema = z.looseObject({
  contacts: z.array(ghlContactRecordSchema),
  total: z.number().nullish(),
  count: z.number().nullish(),
  searchAfter: z.unknown().optional(),
});
export type GhlContactSearchResponse = z.infer<typeof contactSearchResponseSchema>;

/** `POST /contacts/search` body (SearchBodyV2DTO, documented on ClickUp [G17]): kept open. */
export interface GhlContactSearchBody {
  locationId: string;
  pageLimit: number;
  page?: number;
  searchAfter?: unknown;
  filters?: unknown[];
  sort?: unknown[];
  [key: string]: unknown;
}

/** `POST /contacts/upsert` answer: `{ new, contact, traceId }` [G5 UpsertContactsSuccessfulResponseDto]. */
const upsertContactResponseSchema = z.looseObject({
  new: z.boolean().nullish(),
  contact: ghlContactRecordSchema.nullish(),
  traceId: z.string().nullish(),
});
export type GhlUpsertContactResponse = z.infer<typeof upsertContactResponseSchema>;

/** An opportunity as `GET /opportunities/search` lists it [G5 SearchOpportunitiesResponseSchema]. */
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

/** `meta` of the id-cursor listings (`GET /opportunities/search`, deprecated `GET /contacts/`) [G5 SearchMetaResponseSchema]. */
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

/** Query of `GET /opportunities/search` [G5]: `location_id` is added by the client. */
export interface GhlOpportunitySearchParams {
  /** ≤ 100, default 20 [G5]. */
  limit: number;
  /** e.g. `added_asc` [G5, fact sheet A3]. */
  order?: string;
  startAfter?: string | number | null;
  startAfterId?: string | null;
  status?: 'open' | 'won' | 'lost' | 'abandoned' | 'all';
  [key: string]: string | number | boolean | null | undefined;
}

/** A pipeline [G5 PipelinesResponseSchema]. It has no update timestamp. */
export const ghlPipelineRecordSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  stages: z.array(z.unknown()).nullish(),
  locationId: z.string().nullish(),
});
export type GhlPipelineRecord = z.infer<typeof ghlPipelineRecordSchema>;
const pipelinesResponseSchema = z.looseObject({ pipelines: z.array(ghlPipelineRecordSchema) });

/** A calendar [G5 apps/calendars.json CalendarDTO]: only the id matters here. */
export const ghlCalendarRecordSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  isActive: z.boolean().nullish(),
});
export type GhlCalendarRecord = z.infer<typeof ghlCalendarRecordSchema>;
const calendarsResponseSchema = z.looseObject({ calendars: z.array(ghlCalendarRecordSchema) });

/**
 * A calendar event / appointment [G5 CalendarEventDTO]. `startTime`,
 * `endTime`, `dateAdded`, `dateUpdated` are typed `object` in the spec; the
 * webhook samples show ISO strings [G2], so strings (or numbers) are accepted.
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
   * and location [G3]: give two apps on one location different scopes.
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
  /** `POST /contacts/search` (not the deprecated `GET /contacts/`) [G5][G17]. `locationId` is set from `tenant`. */
  searchContacts(
    tenant: string,
    body: Omit<GhlContactSearchBody, 'locationId'>,
    options?: CallOptions,
  ): Promise<GhlContactSearchResponse>;
  /** `GET /contacts/{contactId}` → the contact [G5]. */
  getContact(tenant: string, contactId: string, options?: CallOptions): Promise<GhlContactRecord>;
  /**
   * `POST /contacts/upsert` [G5]: "adhere[s] to the … 'Allow Duplicate
   * Contact' setting": finds the contact by email and/or phone in the
   * location's configured order, updates it or creates one.
   */
  upsertContact(
    tenant: string,
    body: Record<string, unknown>,
    options?: CallOptions,
  ): Promise<GhlUpsertContactResponse>;
  /** `GET /opportunities/search?location_id=…` [G5]. */
  searchOpportunities(
    tenant: string,
    params: GhlOpportunitySearchParams,
    options?: CallOptions,
  ): Promise<GhlOpportunitySearchResponse>;
  /** `GET /opportunities/pipelines?locationId=…` [G5]: all pipelines, no paging. */
  listPipelines(tenant: string, options?: CallOptions): Promise<GhlPipelineRecord[]>;
  /** `GET /calendars/?locationId=…` [G5, Version 2021-04-15]. */
  listCalendars(tenant: string, options?: CallOptions): Promise<GhlCalendarRecord[]>;
  /**
   * `GET /calendars/events?locationId&calendarId&startTime&endTime` (times in
   * epoch ms; one of calendarId, userId or groupId is required) [G5].
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
}

interface Authorization {
  token: string;
  /** Credential revision the token came from (OAuth only). */
  revision?: number;
}

/** Create a GHL API client. @throws ConfigurationError for missing auth settings or a bad base URL. */
export function createGhlClient(options: GhlClientOptions): GhlClient {
  const baseUrl = resolveBaseUrl(options.baseUrl);
  const logger = options.logger ?? noopLogger;
  const now = options.now ?? (() => new Date());
  const { maxAttempts = 3, baseDelayMs = 500, maxDelayMs = 10_000 } = options.retry ?? {};
  const limits: GhlRateLimits = { ...GHL_RATE_LIMITS, ...options.rateLimits };
  const versions = { ...GHL_API_VERSIONS, ...options.versions };
  const dailyExhaustedWaitMs = options.dailyExhaustedWaitMs ?? GHL_DEFAULT_DAILY_EXHAUSTED_WAIT_MS;
  const scopeOf = options.rateLimitScope ?? ((tenant: string) => `${GHL_SOURCE}:${tenant}`);

  const api = createKy(baseUrl, options);
  const limiter = createRateLimiter({
    ...(options.rateLimitStore ? { store: options.rateLimitStore } : {}),
    limits: { burst: limits.burst, daily: limits.daily },
    now: () => now().getTime(),
  });
  const auth = createAuth(options.auth, api, baseUrl, now, { maxAttempts, baseDelayMs, maxDelayMs });

  const isRetryable = (error: unknown) => {
    const { errorClass, retryAfterMs } = classifyError(error);
    if (errorClass === 'rate_limit') return (retryAfterMs ?? 0) <= maxDelayMs;
    return errorClass === 'transient';
  };

  async function request<T>(tenant: string, call: GhlRequest<T>): Promise<T> {
    if (!tenant) {
      throw new ConfigurationError({ packageName: GHL_PACKAGE_NAME, message: 'a location id (tenant) is required' });
    }
    const scope = scopeOf(tenant);
    const path = call.path.replace(/^\/+/, '');
    const url = new URL(path, baseUrl).href; // for messages: no query string
    const what = { method: call.method, url };
    return retry(
      async ({ signal }) => {
        let authorization = await auth.authorize(tenant, signal);
        let refreshed = false;
        for (;;) {
          await limiter.acquire(scope, { signal });
          let response: Response;
          try {
            response = await api(path, {
              method: call.method,
              headers: { authorization: `Bearer ${authorization.token}`, version: versions[call.family] },
              ...(call.searchParams ? { searchParams: call.searchParams } : {}),
              ...(call.json !== undefined ? { json: call.json } : {}),
              signal,
            });
          } catch (error) {
            if (signal.aborted) throw error;
            throw ghlNetworkError(error, what);
          }
          const rateHeaders = readGhlRateLimitHeaders(response.headers);
          await alignGhlBudgets(limiter, scope, rateHeaders);
          const body = await readBody(response);
          if (response.status === 401 && auth.canRefresh && !refreshed) {
            // The token was refused: refresh once (single-flight, across workers),
            // then repeat the request with the new token.
            refreshed = true;
            authorization = await auth.reauthorize(tenant, authorization, signal);
            logger.info(
              { source: GHL_SOURCE, tenant },
              `[${GHL_PACKAGE_NAME}] ${call.method} ${url}: 401, token refreshed`,
            );
            continue;
          }
          if (!response.ok) {
            let retryAfterMs: number | undefined;
            if (response.status === 429) {
              retryAfterMs = ghlRateLimitWaitMs(response, rateHeaders, {
                limits,
                dailyExhaustedWaitMs,
                now: now().getTime(),
              });
              // Every worker shares the buckets: pause the exhausted one for the
              // whole wait, not just this call (an emptied bucket refills in ~100 ms).
              const exhausted = rateHeaders.dailyRemaining === 0 ? 'daily' : 'burst';
              if (retryAfterMs !== undefined && retryAfterMs > 0) await limiter.pause(scope, exhausted, retryAfterMs);
              else if (rateHeaders.remaining === undefined) await limiter.update(scope, 'burst', 0);
            } else {
              retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now().getTime());
            }
            throw toGhlApiError(response, body, what, { retryAfterMs });
          }
          const parsed = call.schema.safeParse(body);
          if (!parsed.success) {
            throw new PayloadError({
              packageName: GHL_PACKAGE_NAME,
              message: `${call.method} ${url} answered an unexpected body: ${describeIssues(parsed.error)}`,
              cause: parsed.error,
            });
          }
          return parsed.data;
        }
      },
      {
        maxAttempts,
        baseDelayMs,
        maxDelayMs,
        isRetryable,
        ...(call.signal ? { signal: call.signal } : {}),
        onRetry: ({ attempt, delayMs, error }) =>
          logger.warn(
            {
              source: GHL_SOURCE,
              tenant,
              attempt,
              delayMs,
              error: error instanceof Error ? error.message : String(error),
            },
            `[${GHL_PACKAGE_NAME}] ${call.method} ${url} failed, retrying`,
          ),
      },
    );
  }

  return {
    request,
    searchContacts(tenant, body, { signal } = {}) {
      return request(tenant, {
        method: 'POST',
        path: 'contacts/search',
        family: 'contacts',
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
    refreshCredentials: (tenant) => auth.refresh(tenant),
  };
}

// ---------------------------------------------------------------------------
// Auth strategies

interface AuthStrategy {
  readonly canRefresh: boolean;
  authorize(tenant: string, signal: AbortSignal): Promise<Authorization>;
  /** After a 401 with `used`: the next token to try (refreshing when nobody has yet). */
  reauthorize(tenant: string, used: Authorization, signal: AbortSignal): Promise<Authorization>;
  refresh(tenant: string): Promise<void>;
}

function createAuth(
  auth: GhlAuth,
  api: KyInstance,
  baseUrl: URL,
  now: () => Date,
  retryOptions: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number },
): AuthStrategy {
  if (!auth || (auth.type !== 'private-integration' && auth.type !== 'oauth')) {
    throw new ConfigurationError({
      packageName: GHL_PACKAGE_NAME,
      message:
        "auth is required: { type: 'private-integration', token } or { type: 'oauth', clientId, clientSecret, credentials }",
    });
  }
  if (auth.type === 'private-integration') {
    const { token } = auth;
    if (!token) {
      throw new ConfigurationError({
        packageName: GHL_PACKAGE_NAME,
        message: 'auth.token (the Private Integration Token) is required',
      });
    }
    return {
      canRefresh: false,
      async authorize(tenant) {
        const value = typeof token === 'function' ? await token(tenant) : token;
        if (!value) {
          throw new ConfigurationError({
            packageName: GHL_PACKAGE_NAME,
            message: `no Private Integration Token for location ${tenant}`,
          });
        }
        return { token: value };
      },
      // A PIT cannot be refreshed: the 401 is thrown as an auth ProviderApiError.
      reauthorize: async (_tenant, used) => used,
      async refresh() {},
    };
  }

  for (const [name, value] of [
    ['auth.clientId', auth.clientId],
    ['auth.clientSecret', auth.clientSecret],
  ] as const) {
    if (!value)
      throw new ConfigurationError({ packageName: GHL_PACKAGE_NAME, message: `${name} is required for OAuth` });
  }
  if (!auth.credentials) {
    throw new ConfigurationError({
      packageName: GHL_PACKAGE_NAME,
      message: 'auth.credentials (a CredentialStoreV1) is required for OAuth',
    });
  }
  const keyOf = auth.credentialKey ?? ((tenant: string) => `${GHL_SOURCE}:${tenant}`);
  const skewMs = auth.refreshBeforeExpiryMs ?? 300_000;
  const isInvalidGrant = auth.isInvalidGrant ?? defaultIsInvalidGrant;
  const tokenUrl = new URL('oauth/token', baseUrl).href;
  const isExpired = (value: GhlOAuthCredential, at: Date) =>
    typeof value.expiresAt !== 'number' || value.expiresAt - skewMs <= at.getTime();

  const tokens: TokenManager<GhlOAuthCredential> = createTokenManager<GhlOAuthCredential>({
    store: auth.credentials,
    packageName: GHL_PACKAGE_NAME,
    now,
    ...(auth.leaseMs !== undefined ? { leaseMs: auth.leaseMs } : {}),
    ...(auth.owner !== undefined ? { owner: auth.owner } : {}),
    isExpired,
    async refresh(current) {
      if (!current.refreshToken) return { invalid: 'the stored credential has no refresh token' };
      // POST /oauth/token, application/x-www-form-urlencoded [G5 apps/oauth.json].
      const form = new URLSearchParams({
        client_id: auth.clientId,
        client_secret: auth.clientSecret,
        grant_type: 'refresh_token',
        refresh_token: current.refreshToken,
        user_type: current.userType ?? auth.userType ?? 'Location',
      });
      // One attempt only: refresh tokens rotate, so if GHL rotated on an attempt
      // whose answer we lost (a timeout), a retry would present the retired
      // token and mark the connection for reconnect. A failure releases the
      // refresh lease; the next caller (or the worker's retry) tries again.
      const result = await postToken(api, tokenUrl, form, { ...retryOptions, maxAttempts: 1 }, isInvalidGrant);
      if (!result.ok) return { invalid: result.invalid };
      return credentialFromTokenResponse(result.body, now(), current);
    },
  });

  const authorization = async (tenant: string, signal: AbortSignal): Promise<Authorization> => {
    const key = keyOf(tenant);
    // One read on the common path; the token manager only when a refresh is due
    // (or the connection needs a reconnect, which it reports).
    const stored = await tokens.current(key);
    const value = stored?.value as GhlOAuthCredential | undefined;
    if (stored && value && !stored.invalidReason && typeof value.accessToken === 'string' && !isExpired(value, now())) {
      return { token: value.accessToken, revision: stored.revision };
    }
    const fresh = await tokens.get(key, { signal });
    const after = await tokens.current(key);
    // `revision` identifies the credential the token came from, so a 401
    // refreshes only if nobody has replaced it since.
    return {
      token: fresh.accessToken,
      ...(after && after.value.accessToken === fresh.accessToken ? { revision: after.revision } : {}),
    };
  };

  return {
    canRefresh: true,
    authorize: authorization,
    async reauthorize(tenant, used, signal) {
      const key = keyOf(tenant);
      const stored = await tokens.current(key);
      if (stored && !stored.invalidReason && (stored.value as GhlOAuthCredential).accessToken !== used.token) {
        // Someone refreshed while our request was in flight: use theirs.
        return authorization(tenant, signal);
      }
      const value = await tokens.refreshAfterRejection(key, used.revision ?? stored?.revision ?? 0, { signal });
      const after = await tokens.current(key);
      return {
        token: value.accessToken,
        ...(after && after.value.accessToken === value.accessToken ? { revision: after.revision } : {}),
      };
    },
    async refresh(tenant) {
      const key = keyOf(tenant);
      const stored = await tokens.current(key);
      await tokens.refreshAfterRejection(key, stored?.revision ?? 0);
    },
  };
}

/** `POST /oauth/token`. Resolves the token body, or `{ invalid }` when the grant was refused. */
async function postToken(
  api: KyInstance,
  tokenUrl: string,
  form: URLSearchParams,
  retryOptions: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number },
  isInvalidGrant: (status: number, body: unknown) => boolean,
): Promise<{ ok: true; body: z.infer<typeof tokenResponseSchema> } | { ok: false; invalid: string }> {
  const what = { method: 'POST', url: tokenUrl };
  return retry(
    async ({ signal }) => {
      let response: Response;
      try {
        response = await api.post('oauth/token', { body: form, signal });
      } catch (error) {
        if (signal.aborted) throw error;
        throw ghlNetworkError(error, what);
      }
      const body = await readBody(response);
      if (!response.ok) {
        if (isInvalidGrant(response.status, body)) {
          const parsed = parseGhlErrorBody(body);
          const reason =
            parsed?.error_description ?? (typeof parsed?.message === 'string' ? parsed.message : undefined);
          return {
            ok: false as const,
            invalid: `GHL refused the grant (invalid_grant${reason ? `: ${reason}` : ''})`,
          };
        }
        throw toGhlApiError(response, body, what, {
          retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
        });
      }
      const parsed = tokenResponseSchema.safeParse(body);
      if (!parsed.success) {
        throw new PayloadError({
          packageName: GHL_PACKAGE_NAME,
          message: `POST ${tokenUrl} answered an unexpected body: ${describeIssues(parsed.error)}`,
          cause: parsed.error,
        });
      }
      return { ok: true as const, body: parsed.data };
    },
    {
      ...retryOptions,
      isRetryable: (error) => {
        const { errorClass, retryAfterMs } = classifyError(error);
        if (errorClass === 'rate_limit') return (retryAfterMs ?? 0) <= retryOptions.maxDelayMs;
        return errorClass === 'transient';
      },
    },
  );
}

/**
 * Exchange an install's authorization code for the credential to store
 * (`credentials.put('ghl:<locationId>', credential)`) [G3][G5 apps/oauth.json].
 */
export async function exchangeGhlAuthorizationCode(options: {
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
  const baseUrl = resolveBaseUrl(options.baseUrl);
  const api = createKy(baseUrl, options);
  const form = new URLSearchParams({
    client_id: options.clientId,
    client_secret: options.clientSecret,
    grant_type: 'authorization_code',
    code: options.code,
    user_type: options.userType ?? 'Location',
  });
  if (options.redirectUri) form.set('redirect_uri', options.redirectUri);
  const tokenUrl = new URL('oauth/token', baseUrl).href;
  const result = await postToken(
    api,
    tokenUrl,
    form,
    { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 10_000 },
    defaultIsInvalidGrant,
  );
  // An expired or already used code: the install has to be done again.
  if (!result.ok) {
    throw new ReconnectRequiredError({
      packageName: GHL_PACKAGE_NAME,
      key: 'ghl:authorization-code',
      reason: result.invalid,
    });
  }
  return credentialFromTokenResponse(result.body, (options.now ?? (() => new Date()))());
}

// ---------------------------------------------------------------------------
// Helpers

function resolveBaseUrl(value: string | undefined): URL {
  try {
    // A trailing slash so relative paths extend the base path instead of replacing it.
    return new URL(`${(value ?? GHL_DEFAULT_BASE_URL).replace(/\/+$/, '')}/`);
  } catch (error) {
    throw new ConfigurationError({
      packageName: GHL_PACKAGE_NAME,
      message: `baseUrl ${JSON.stringify(value)} is not a URL`,
      cause: error,
    });
  }
}

function createKy(baseUrl: URL, options: { fetch?: typeof globalThis.fetch; timeoutMs?: number }): KyInstance {
  return ky.create({
    baseUrl,
    headers: { 'user-agent': `act-connector-ghl/${VERSION}`, accept: 'application/json' },
    timeout: options.timeoutMs ?? 10_000,
    // Retries are @act/core's `retry` (and the worker's schedule), never ky's.
    retry: 0,
    throwHttpErrors: false,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** The body as JSON when it parses, as text otherwise, `undefined` when empty. */
async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** `contacts: Invalid input: expected array, received undefined`: the field first. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
}
