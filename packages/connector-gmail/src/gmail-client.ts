import { type ApiAuth, bucketRateLimits, createApiClient, createErrors, oauth2, staticToken } from '@act/connector-kit';
import { parseRetryAfter } from '@act/core/internal';
import { z } from 'zod';
import { gmailRecordSchema } from './gmail-events';
import {
  GMAIL_DEFAULT_BASE_URL,
  GMAIL_PACKAGE_NAME,
  GMAIL_SOURCE,
  type GmailConnectorSettings,
} from './gmail-settings';
import { VERSION } from './version';

// Gmail's API (fictional; a real connector cites the docs URL beside each fact):
//   GET /v1/accounts/{account}/records/{id}
//   GET /v1/accounts/{account}/records?limit=&updated_since=&cursor= → { records, next_cursor }
//   POST /oauth/token: refresh tokens rotate and are retired on first use.
//   100 requests per 10 s per account; `X-RateLimit-Remaining` on every answer, `Retry-After` on 429.
//   Errors: `{ "error": { "code": "not_found", "message": "…" } }`.

const errorBodySchema = z.object({ error: z.object({ code: z.string().nullish(), message: z.string().nullish() }) });
/** Lenient: any other body still becomes a ProviderApiError, with a text excerpt. */
const gmailErrorBody = {
  schema: errorBodySchema,
  describe: ({ error }: z.infer<typeof errorBodySchema>) => [error.code, error.message].filter(Boolean).join(': '),
};
export const gmailErrors = createErrors(GMAIL_PACKAGE_NAME, { errorBody: gmailErrorBody });

/** A non-2xx answer as the `ProviderApiError` the client throws (`body` already read). */
export function toGmailApiError(response: Response, body: unknown, request: { method: string; url: string }) {
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  return gmailErrors.fromResponse(response, body, request, { retryAfterMs });
}

const listResponseSchema = z.object({
  records: z.array(gmailRecordSchema),
  next_cursor: z.string().min(1).nullable().default(null),
});

/** Gmail's OAuth2 app, for the install: `authorizeUrl(...)`, `exchangeCode(...)`, then `credentials.put`. */
export function gmailOAuth(
  settings: Pick<GmailConnectorSettings, 'baseUrl'> & { oauth: NonNullable<GmailConnectorSettings['oauth']> },
) {
  const base = `${(settings.baseUrl ?? GMAIL_DEFAULT_BASE_URL).replace(/\/+$/, '')}/`;
  return oauth2({
    tokenUrl: new URL('oauth/token', base).href,
    authorizeUrl: 'https://gmail.example/oauth/authorize',
    clientId: settings.oauth.clientId,
    clientSecret: settings.oauth.clientSecret,
    authMethod: 'body',
    // A provider fact: a refresh token is retired on first use, so a refresh is never re-sent.
    retryRefresh: false,
    credentials: settings.oauth.credentials,
    scopes: ['records.read', 'offline_access'],
    providerName: 'Gmail',
    packageName: GMAIL_PACKAGE_NAME,
    source: GMAIL_SOURCE,
  });
}

function gmailAuth(settings: GmailConnectorSettings): ApiAuth {
  if (settings.oauth) return gmailOAuth({ ...settings, oauth: settings.oauth });
  return staticToken(settings.apiToken ?? '', {
    missing:
      'apiToken is required (GMAIL_API_TOKEN), or oauth (GMAIL_CLIENT_ID, GMAIL_CLIENT_SECRET and a credential store)',
  });
}

export type GmailClient = ReturnType<typeof createGmailClient>;

/** The API client: the kit's engine (limiter, 401 refresh, 429, retries) given Gmail's facts. */
export function createGmailClient(settings: GmailConnectorSettings) {
  const api = createApiClient({
    ...settings, // fetch, logger, timeoutMs
    packageName: GMAIL_PACKAGE_NAME,
    source: GMAIL_SOURCE,
    baseUrl: settings.baseUrl ?? GMAIL_DEFAULT_BASE_URL,
    userAgent: `act-connector-gmail/${VERSION}`,
    auth: gmailAuth(settings),
    rateLimits: bucketRateLimits({
      limits: { burst: { capacity: 100, intervalMs: 10_000 } },
      remainingHeaders: { burst: 'x-ratelimit-remaining' },
      scope: GMAIL_SOURCE,
      store: settings.rateLimitStore,
      packageName: GMAIL_PACKAGE_NAME,
    }),
    errorBody: gmailErrorBody,
    retry: { maxDelayMs: 5_000, ...settings.retry },
  });
  const path = (tenant: string) => `v1/accounts/${encodeURIComponent(tenant)}/records`;
  type Page = { updatedSince?: string | null; cursor?: string | null; limit: number; signal?: AbortSignal | undefined };
  return {
    getRecord: (tenant: string, id: string, { signal }: { signal?: AbortSignal | undefined } = {}) =>
      api.request(tenant, {
        method: 'GET',
        path: `${path(tenant)}/${encodeURIComponent(id)}`,
        schema: gmailRecordSchema,
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
