import { type ApiAuth, bucketRateLimits, createApiClient, createErrors, oauth2, staticToken } from '@act/connector-kit';
import { parseRetryAfter } from '@act/core/internal';
import { z } from 'zod';
import { templateRecordSchema } from './template-events';
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

const listResponseSchema = z.object({
  records: z.array(templateRecordSchema),
  next_cursor: z.string().min(1).nullable().default(null),
});

/** Template's OAuth2 app, for the install: `authorizeUrl(...)`, `exchangeCode(...)`, then `credentials.put`. */
export function templateOAuth(
  settings: Pick<TemplateConnectorSettings, 'baseUrl'> & { oauth: NonNullable<TemplateConnectorSettings['oauth']> },
) {
  const base = `${(settings.baseUrl ?? TEMPLATE_DEFAULT_BASE_URL).replace(/\/+$/, '')}/`;
  return oauth2({
    tokenUrl: new URL('oauth/token', base).href,
    authorizeUrl: 'https://template.example/oauth/authorize',
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

export type TemplateClient = ReturnType<typeof createTemplateClient>;

/** The API client: the kit's engine (limiter, 401 refresh, 429, retries) given Template's facts. */
export function createTemplateClient(settings: TemplateConnectorSettings) {
  const api = createApiClient({
    ...settings, // fetch, logger, timeoutMs
    packageName: TEMPLATE_PACKAGE_NAME,
    source: TEMPLATE_SOURCE,
    baseUrl: settings.baseUrl ?? TEMPLATE_DEFAULT_BASE_URL,
    userAgent: `act-connector-template/${VERSION}`,
    auth: templateAuth(settings),
    rateLimits: bucketRateLimits({
      limits: { burst: { capacity: 100, intervalMs: 10_000 } },
      remainingHeaders: { burst: 'x-ratelimit-remaining' },
      scope: TEMPLATE_SOURCE,
      store: settings.rateLimitStore,
      packageName: TEMPLATE_PACKAGE_NAME,
    }),
    errorBody: templateErrorBody,
    retry: { maxDelayMs: 5_000, ...settings.retry },
  });
  const path = (tenant: string) => `v1/accounts/${encodeURIComponent(tenant)}/records`;
  type Page = { updatedSince?: string | null; cursor?: string | null; limit: number; signal?: AbortSignal | undefined };
  return {
    getRecord: (tenant: string, id: string, { signal }: { signal?: AbortSignal | undefined } = {}) =>
      api.request(tenant, {
        method: 'GET',
        path: `${path(tenant)}/${encodeURIComponent(id)}`,
        schema: templateRecordSchema,
        signal,
      }),
    /** One page, oldest `updated_at` first; `next_cursor` is null on the last. */
    listRecords: (tenant: string, { updatedSince, cursor, limit, signal }: Page) =>
      api.request(tenant, {
        method: 'GET',
        path: path(tenant),
        searchParams: {
          limit: String(limit),
          ...(updatedSince ? { updated_since: updatedSince } : {}),
          ...(cursor ? { cursor } : {}),
        },
        schema: listResponseSchema,
        signal,
      }),
    /** The worker's 401 hook: refresh the account's OAuth2 token (a no-op for a static token). */
    refreshCredentials: (tenant: string) => api.refreshCredentials(tenant),
    /**
     * OAuth2 only (`undefined` for a static token, which has no expiry to manage): refresh
     * the account's token when it expires within `aheadMs`, under the same single-flight
     * lease as every refresh, and say when the current one expires.
     */
    renewCredentials: api.renewCredentials,
  };
}
