import {
  type ApiAuth,
  type ApiClient,
  createApiClient,
  createErrors,
  oauth2,
  type RateLimitScope,
  scopedRateLimits,
  staticToken,
} from '@act/connector-kit';
import { z } from 'zod';
import {
  defaultGoogleCredentialKey,
  GMAIL_PACKAGE_NAME,
  GOOGLE_AUTHORIZE_URL,
  GOOGLE_TOKEN_URL,
  type GoogleApiSettings,
  type GoogleOAuthSettings,
} from './google-settings';
import { VERSION } from './version';

// Google's JSON error body, shared by the Gmail and Calendar APIs [G7] [C4]:
//   { "error": { "code": 403, "message": "…", "status": "PERMISSION_DENIED",
//                "errors": [{ "domain": "usageLimits", "reason": "rateLimitExceeded", "message": "…" }] } }
const googleErrorBodySchema = z.object({
  error: z.object({
    code: z.number().nullish(),
    message: z.string().nullish(),
    status: z.string().nullish(),
    errors: z.array(z.looseObject({ reason: z.string().nullish(), domain: z.string().nullish() })).nullish(),
  }),
});
type GoogleErrorBody = z.infer<typeof googleErrorBodySchema>;

const googleErrorBody = {
  schema: googleErrorBodySchema,
  describe: ({ error }: GoogleErrorBody) =>
    [error.errors?.[0]?.reason ?? error.status, error.message].filter(Boolean).join(': '),
};

export const googleErrors = createErrors(GMAIL_PACKAGE_NAME, { errorBody: googleErrorBody });

/** The `reason` of a Google error body (`rateLimitExceeded`, `fullSyncRequired`), if it has one. */
export function googleErrorReason(body: unknown): string | undefined {
  const parsed = googleErrorBodySchema.safeParse(body);
  return parsed.success ? (parsed.data.error.errors?.[0]?.reason ?? undefined) : undefined;
}

/**
 * [G7] [C4] Google answers "slow down" with 429 or with 403 and one of these
 * reasons; both are retried with exponential backoff. Other 403s (scope,
 * permission) are refusals.
 */
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);

/**
 * Google's OAuth2 web-server flow [O1]: the install asks for offline access
 * (`authorizeUrl({ redirectUri, state, params: { access_type: 'offline',
 * prompt: 'consent' } })`), which is what yields a refresh token,
 * which Google does not rotate on use, so a refresh whose answer was lost may
 * be sent again (`retryRefresh: true`). A revoked grant answers
 * `invalid_grant`: the account must reconnect.
 */
export function googleOAuth(options: {
  oauth: GoogleOAuthSettings;
  scopes: readonly string[];
  source: string;
  credentialKey?: ((tenant: string) => string) | undefined;
}) {
  return oauth2({
    tokenUrl: GOOGLE_TOKEN_URL,
    authorizeUrl: GOOGLE_AUTHORIZE_URL,
    clientId: options.oauth.clientId,
    clientSecret: options.oauth.clientSecret,
    authMethod: 'body',
    retryRefresh: true,
    credentials: options.oauth.credentials,
    credentialKey: options.credentialKey ?? defaultGoogleCredentialKey,
    scopes: options.scopes,
    providerName: 'Google',
    packageName: GMAIL_PACKAGE_NAME,
    source: options.source,
  });
}

export interface GoogleClientOptions {
  settings: GoogleApiSettings;
  source: string;
  baseUrl: string;
  scopes: readonly string[];
  /** The API's quota as windows (see each connector's client). */
  limits: Readonly<Record<string, RateLimitScope>>;
  missingAuth: string;
}

/** The kit's request engine given Google's facts: OAuth2 or a static bearer, the error body, 403 rate limits. */
export function createGoogleApiClient(options: GoogleClientOptions): ApiClient {
  const { settings } = options;
  const auth: ApiAuth = settings.oauth
    ? googleOAuth({
        oauth: settings.oauth,
        scopes: options.scopes,
        source: options.source,
        credentialKey: settings.credentialKey,
      })
    : staticToken(settings.accessToken ?? '', { missing: options.missingAuth });
  return createApiClient({
    packageName: GMAIL_PACKAGE_NAME,
    source: options.source,
    baseUrl: options.baseUrl,
    userAgent: `act-connector-gmail/${VERSION}`,
    auth,
    rateLimits: scopedRateLimits({
      scopes: options.limits,
      store: settings.rateLimitStore,
      packageName: GMAIL_PACKAGE_NAME,
    }),
    errorBody: googleErrorBody,
    isRateLimited: (response, body) => response.status === 403 && RATE_LIMIT_REASONS.has(googleErrorReason(body) ?? ''),
    retry: { maxDelayMs: 10_000, ...settings.retry },
    ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
    ...(settings.logger ? { logger: settings.logger } : {}),
    ...(settings.now ? { now: settings.now } : {}),
  });
}
