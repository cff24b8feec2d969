import { type ApiAuth, bucketRateLimits, createApiClient, oauth2, staticToken } from '@act/connector-kit';
import { z } from 'zod';
import { templateErrorBody } from './template-error';
import { type TemplateRecord, templateRecordSchema } from './template-events';
import {
  TEMPLATE_DEFAULT_BASE_URL,
  TEMPLATE_PACKAGE_NAME,
  TEMPLATE_SOURCE,
  type TemplateConnectorSettings,
} from './template-settings';
import { VERSION } from './version';

// Template's API (fictional, made up for the template package):
//   GET /v1/accounts/{account_id}/records/{id}     → the record
//   GET /v1/accounts/{account_id}/records?limit=&updated_since=&cursor=
//       → { records: [...], next_cursor: string | null }, oldest `updated_at` first,
//         `updated_since` inclusive, `limit` at most 100.
//   POST /oauth/token (form, client in the body): refresh tokens rotate on
//       every use and are retired at once, so a refresh is never re-sent.
// Rate limit: 100 requests per 10 s per account; every response carries
// `X-RateLimit-Remaining`; a 429 carries `Retry-After` (seconds).
// A real connector cites the provider's docs URL beside each of these facts.

/** Template's published limit, per account (fictional). */
export const TEMPLATE_RATE_LIMITS = { burst: { capacity: 100, intervalMs: 10_000 } } as const;

/** Template's OAuth2 endpoints (fictional). */
export const TEMPLATE_TOKEN_PATH = 'oauth/token';
export const TEMPLATE_AUTHORIZE_URL = 'https://template.example/oauth/authorize';

export interface ListTemplateRecordsOptions {
  /** Only records updated at or after this ISO time. */
  updatedSince?: string | null;
  /** `next_cursor` of the previous page. */
  cursor?: string | null;
  /** Records per page, 1–100. */
  limit: number;
  signal?: AbortSignal;
}

export interface TemplateRecordPage {
  records: TemplateRecord[];
  /** `null` on the last page. */
  next_cursor: string | null;
}

/** The calls the connector makes. Every failure is a `ProviderApiError` (or a `PayloadError` for an unreadable body). */
export interface TemplateClient {
  getRecord(tenant: string, id: string, options?: { signal?: AbortSignal }): Promise<TemplateRecord>;
  listRecords(tenant: string, options: ListTemplateRecordsOptions): Promise<TemplateRecordPage>;
  /** The worker's 401 hook: refresh the account's OAuth2 token. A no-op for a static token. */
  refreshCredentials(tenant: string): Promise<void>;
}

const listResponseSchema = z.object({
  records: z.array(templateRecordSchema),
  next_cursor: z.string().min(1).nullish(),
});

/**
 * Template's OAuth2 app: authorize URL, code exchange and refresh. Use it
 * for the install (`templateOAuth(settings).authorizeUrl(...)`, then
 * `.exchangeCode(...)` and `credentials.put('template:<account>', credential)`).
 */
export function templateOAuth(
  settings: Pick<TemplateConnectorSettings, 'oauth' | 'baseUrl'> & {
    oauth: NonNullable<TemplateConnectorSettings['oauth']>;
  },
) {
  return oauth2({
    tokenUrl: new URL(TEMPLATE_TOKEN_PATH, `${(settings.baseUrl ?? TEMPLATE_DEFAULT_BASE_URL).replace(/\/+$/, '')}/`)
      .href,
    authorizeUrl: TEMPLATE_AUTHORIZE_URL,
    clientId: settings.oauth.clientId,
    clientSecret: settings.oauth.clientSecret,
    authMethod: 'body',
    // A provider fact: Template retires a refresh token on first use.
    retryRefresh: false,
    credentials: settings.oauth.credentials,
    scopes: ['records.read', 'offline_access'],
    providerName: 'Template',
    packageName: TEMPLATE_PACKAGE_NAME,
    source: TEMPLATE_SOURCE,
  });
}

function templateAuth(settings: TemplateConnectorSettings): ApiAuth {
  if (settings.oauth) return templateOAuth({ ...settings, oauth: settings.oauth });
  return staticToken(settings.apiToken ?? '', {
    missing:
      'apiToken is required (TEMPLATE_API_TOKEN), or oauth (TEMPLATE_CLIENT_ID, TEMPLATE_CLIENT_SECRET and a credential store)',
  });
}

/**
 * Template's API client on the kit's engine: a per-account token bucket that
 * follows `X-RateLimit-Remaining`, the token read after the wait, one refresh
 * on a 401 (OAuth2), `Retry-After` on 429, and in-process retries (5xx,
 * timeouts, short 429s); anything longer is thrown so the worker puts the
 * delivery back in the inbox.
 */
export function createTemplateClient(settings: TemplateConnectorSettings): TemplateClient {
  const api = createApiClient({
    // fetch, logger, timeoutMs; the rest is Template's facts.
    ...settings,
    packageName: TEMPLATE_PACKAGE_NAME,
    source: TEMPLATE_SOURCE,
    baseUrl: settings.baseUrl ?? TEMPLATE_DEFAULT_BASE_URL,
    userAgent: `act-connector-template/${VERSION}`,
    auth: templateAuth(settings),
    rateLimits: bucketRateLimits({
      limits: TEMPLATE_RATE_LIMITS,
      remainingHeaders: { burst: 'x-ratelimit-remaining' },
      scope: TEMPLATE_SOURCE,
      store: settings.rateLimitStore,
      packageName: TEMPLATE_PACKAGE_NAME,
    }),
    errorBody: templateErrorBody,
    retry: { maxDelayMs: 5_000, ...settings.retry },
  });
  const accountPath = (tenant: string) => `v1/accounts/${encodeURIComponent(tenant)}/records`;

  return {
    getRecord(tenant, id, { signal } = {}) {
      return api.request(tenant, {
        method: 'GET',
        path: `${accountPath(tenant)}/${encodeURIComponent(id)}`,
        schema: templateRecordSchema,
        signal,
      });
    },
    async listRecords(tenant, { updatedSince, cursor, limit, signal }) {
      const searchParams: Record<string, string> = { limit: String(limit) };
      if (updatedSince) searchParams.updated_since = updatedSince;
      if (cursor) searchParams.cursor = cursor;
      const page = await api.request(tenant, {
        method: 'GET',
        path: accountPath(tenant),
        searchParams,
        schema: listResponseSchema,
        signal,
      });
      return { records: page.records, next_cursor: page.next_cursor ?? null };
    },
    refreshCredentials: (tenant) => api.refreshCredentials(tenant),
  };
}
