import type { EnvReader, OAuth2Settings } from '@act/connector-kit';
import type { CredentialStoreV1, FieldPoliciesV1, HealthSignalV1, Logger, RateLimitStoreV1 } from '@act/core';

// What the Gmail and the Google Calendar connectors share: one Google account
// (an OAuth2 grant covering both APIs' scopes), one token endpoint, one error
// body. Provider facts are cited from REFERENCES.md ([G…]).

export const GMAIL_PACKAGE_NAME = '@act/connector-gmail';
/** The Gmail connector's id: events, deliveries, cursors and mirror tables (`gmail_…`). Tenant: the mailbox address. */
export const GMAIL_SOURCE = 'gmail';
/** The Google Calendar connector's id (`calendar_…` tables). Tenant: the calendar id (`primary` calendars: the account's address). */
export const CALENDAR_SOURCE = 'calendar';

/** [G1] Gmail API v1. */
export const GMAIL_DEFAULT_BASE_URL = 'https://gmail.googleapis.com/gmail/v1/';
/** [C1] Calendar API v3 (also hosts `channels/stop`). */
export const CALENDAR_DEFAULT_BASE_URL = 'https://www.googleapis.com/calendar/v3/';
/** [O1] Google's OAuth 2.0 endpoints. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const GOOGLE_AUTHORIZE_URL = 'https://accounts.google.com/o/oauth2/v2/auth';
/** [P4] The keys Google signs OIDC ID tokens (Pub/Sub push authentication) with. */
export const GOOGLE_JWKS_URL = 'https://www.googleapis.com/oauth2/v3/certs';
/** [P4] Both forms of Google's issuer are valid. */
export const GOOGLE_ISSUERS: readonly string[] = ['https://accounts.google.com', 'accounts.google.com'];

/**
 * An OAuth2 web-server app (client id and secret) and where each account's
 * tokens live. Tokens are kept under `google:<account address>`, so one grant
 * with Gmail and Calendar scopes serves both connectors.
 */
export type GoogleOAuthSettings = OAuth2Settings;

/** What both connectors need to call Google's APIs. */
export interface GoogleApiSettings {
  /** An OAuth2 app (refreshed, single-flight, `invalid_grant` → reconnect required). */
  oauth?: GoogleOAuthSettings;
  /** A bearer you manage instead (tests, a service account's token minted elsewhere). */
  accessToken?: string;
  /**
   * The credential key of a tenant's Google account. Defaults to
   * `google:<tenant>`: a mailbox, or a primary calendar, whose id is the
   * account's address. Map other calendars to their account here.
   */
  credentialKey?: (tenant: string) => string;
  fetch?: typeof globalThis.fetch;
  /** Where rate-limit windows live: memory by default; the Postgres store shares one budget across workers. */
  rateLimitStore?: RateLimitStoreV1;
  fieldPolicies?: FieldPoliciesV1;
  logger?: Logger;
  /** Per-request timeout in ms. Defaults to 10 000. */
  timeoutMs?: number;
  /** In-process retries of one call (5xx, timeouts, short rate limits); longer waits go back to the inbox. */
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** The clock (tests). */
  now?: () => Date;
}

/** `google:<tenant>`: one Google account's tokens, shared by its mailbox and its primary calendar. */
export function defaultGoogleCredentialKey(tenant: string): string {
  return `google:${tenant.trim().toLowerCase()}`;
}

/**
 * The API credentials both loaders read: `GOOGLE_CLIENT_ID` + `GOOGLE_CLIENT_SECRET`
 * (completed by `overrides.oauth`), or `GOOGLE_ACCESS_TOKEN`; never both.
 */
export function readGoogleApiSettings(
  read: EnvReader,
  oauthOverride: Partial<GoogleOAuthSettings> | undefined,
  loader: string,
): Pick<GoogleApiSettings, 'oauth' | 'accessToken'> {
  const oauth = read.oauth2App(
    { clientId: 'GOOGLE_CLIENT_ID', clientSecret: 'GOOGLE_CLIENT_SECRET', loader },
    oauthOverride,
  );
  const accessToken = read.string('GOOGLE_ACCESS_TOKEN');
  if (oauth && accessToken) {
    throw read.fail('set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (OAuth) or GOOGLE_ACCESS_TOKEN, not both');
  }
  return { ...(oauth ? { oauth } : {}), ...(accessToken ? { accessToken } : {}) };
}

/**
 * [O1] Accounts whose grant Google refused (`invalid_grant`): red
 * `reconnect_required` signals, one per account, for `source`. Only the
 * default credential keys (`google:<address>`) can be read back as tenants.
 */
export async function googleReconnectSignals(options: {
  source: string;
  credentials: CredentialStoreV1 | undefined;
  credentialKey: ((tenant: string) => string) | undefined;
  message: (tenant: string, reason: string) => string;
}): Promise<HealthSignalV1[]> {
  if (options.credentialKey || !options.credentials) return [];
  const prefix = 'google:';
  return (await options.credentials.listInvalid(prefix)).map((invalid) => {
    const tenant = invalid.key.slice(prefix.length);
    return {
      source: options.source,
      tenant,
      status: 'red' as const,
      code: 'reconnect_required',
      message: options.message(tenant, invalid.invalidReason),
      since: invalid.updatedAt,
    };
  });
}
