import { type ApiAuth, bucketRateLimits, createApiClient, createErrors, oauth2, staticToken } from '@act/connector-kit';
import { parseRetryAfter } from '@act/core/internal';
import { z } from 'zod';
import { type TemplateRecord, templateRecordSchema } from './template-events';
import {
  TEMPLATE_DEFAULT_BASE_URL,
  TEMPLATE_PACKAGE_NAME,
  TEMPLATE_SOURCE,
  type TemplateConnectorSettings,
} from './template-settings';
import { VERSION } from './version';

// Template's API (fictional; a real connector cites the docs URL beside each fact):
//   GET /v1/accounts/{account}/records/{id}
//   GET /v1/accounts/{account}/records?limit=&updated_since=&cursor= → { records, next_cursor }
//   POST /oauth/token: refresh tokens rotate and are retired on first use.
//   100 requests per 10 s per account; `X-RateLimit-Remaining` on every answer, `Retry-After` on 429.
//   Errors: `{ "error": { "code": "not_found", "message": "…" } }`.

export const TEMPLATE_RATE_LIMITS = { burst: { capacity: 100, intervalMs: 10_000 } } as const;
export const TEMPLATE_TOKEN_PATH = 'oauth/token';
export const TEMPLATE_AUTHORIZE_URL = 'https://template.example/oauth/authorize';

const errorBodySchema = z.object({ error: z.object({ code: z.string().nullish(), message: z.string().nullish() }) });
/** Lenient: any other body still becomes a ProviderApiError, with a text excerpt. */
const templateErrorBody = {
  schema: errorBodySchema,
  describe: ({ error }: z.infer<typeof errorBodySchema>) => [error.code, error.message].filter(Boolean).join(': '),
};
export const templateErrors = createErrors(TEMPLATE_PACKAGE_NAME, { errorBody: templateErrorBody });

/** A non-2xx answer as the `ProviderApiError` the client throws (`body` already read). */
export function toTemplateApiError(response: Response, body: unknown, request: { method: string; url: string }) {
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  return templateErrors.fromResponse(response, body, request, { retryAfterMs });
}

export interface ListTemplateRecordsOptions {
  updatedSince?: string | null;
  cursor?: string | null;
  limit: number;
  signal?: AbortSignal;
}

/** Every failure is a `ProviderApiError` (or a `PayloadError` for an unreadable body). */
export interface TemplateClient {
  getRecord(tenant: string, id: string, options?: { signal?: AbortSignal }): Promise<TemplateRecord>;
  listRecords(
    tenant: string,
    options: ListTemplateRecordsOptions,
  ): Promise<{ records: TemplateRecord[]; next_cursor: string | null }>;
  /** The worker's 401 hook: refresh the account's OAuth2 token (a no-op for a static token). */
  refreshCredentials(tenant: string): Promise<void>;
}

const listResponseSchema = z.object({
  records: z.array(templateRecordSchema),
  next_cursor: z.string().min(1).nullish(),
});

/** Template's OAuth2 app, for the install: `authorizeUrl(...)`, `exchangeCode(...)`, then `credentials.put`. */
export function templateOAuth(
  settings: Pick<TemplateConnectorSettings, 'baseUrl'> & { oauth: NonNullable<TemplateConnectorSettings['oauth']> },
) {
  const base = `${(settings.baseUrl ?? TEMPLATE_DEFAULT_BASE_URL).replace(/\/+$/, '')}/`;
  return oauth2({
    tokenUrl: new URL(TEMPLATE_TOKEN_PATH, base).href,
    authorizeUrl: TEMPLATE_AUTHORIZE_URL,
    clientId: settings.oauth.clientId,
    clientSecret: settings.oauth.clientSecret,
    authMethod: 'body',
    // A provider fact: a refresh token is retired on first use, so a refresh is never re-sent.
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

/** The API client: the kit's engine (limiter, 401 refresh, 429, retries) given Template's facts. */
export function createTemplateClient(settings: TemplateConnectorSettings): TemplateClient {
  const api = createApiClient({
    ...settings, // fetch, logger, timeoutMs
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
  const path = (tenant: string) => `v1/accounts/${encodeURIComponent(tenant)}/records`;
  return {
    getRecord: (tenant, id, { signal } = {}) =>
      api.request(tenant, {
        method: 'GET',
        path: `${path(tenant)}/${encodeURIComponent(id)}`,
        schema: templateRecordSchema,
        signal,
      }),
    async listRecords(tenant, { updatedSince, cursor, limit, signal }) {
      const searchParams: Record<string, string> = { limit: String(limit) };
      if (updatedSince) searchParams.updated_since = updatedSince;
      if (cursor) searchParams.cursor = cursor;
      const page = await api.request(tenant, {
        method: 'GET',
        path: path(tenant),
        searchParams,
        schema: listResponseSchema,
        signal,
      });
      return { records: page.records, next_cursor: page.next_cursor ?? null };
    },
    refreshCredentials: (tenant) => api.refreshCredentials(tenant),
  };
}
