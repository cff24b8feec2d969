/**
 * OAuth 2.0 for Xero: tokens per connection in a `CredentialStoreV1`, a
 * single-flight refresh across every worker, and the helpers an app needs to
 * connect a tenant.
 *
 * ```ts
 * type XeroAuth = XeroOAuthAuth | XeroAccessTokenAuth;
 * interface XeroOAuthAuth {                     // `type` may be left out: XeroOAuthSettings fits as is
 *   type?: 'oauth'; clientId: string; clientSecret: string; credentials: CredentialStoreV1;
 *   credentialKey?: (tenant: string) => string;  // default `xero:<tenant>`; tenants sharing ONE grant must share a key
 *   refreshBeforeExpiryMs?: number;              // default 120_000 (access tokens last 30 min)
 *   leaseMs?: number; owner?: string;            // the token manager's cross-process refresh lease
 *   clientAuthentication?: 'basic' | 'body';     // default 'basic'
 *   tokenUrl?: string;                           // default https://identity.xero.com/connect/token
 *   isInvalidGrant?: (status: number, body: unknown) => boolean;
 * }
 * interface XeroAccessTokenAuth { type: 'access-token'; token: string | ((tenant: string) => string | Promise<string>) }
 *
 * createXeroAuth(auth: XeroAuth, options?: { fetch?; timeoutMs?; now?: () => Date; retry? }): XeroAuthStrategy
 * buildXeroAuthorizeUrl({ clientId, redirectUri, scopes, state, codeChallenge? }): string
 * exchangeXeroAuthorizationCode({ clientId, clientSecret, code, redirectUri, codeVerifier?, fetch?, now? }): Promise<XeroOAuthCredential>
 * listXeroConnections({ accessToken, authEventId?, fetch? }): Promise<XeroConnection[]>
 * ```
 *
 * Facts ("OAuth 2.0 auth flow",
 * https://developer.xero.com/documentation/guides/oauth2/auth-flow/, and the
 * official SDK, https://github.com/XeroAPI/xero-node/blob/master/src/XeroClient.ts):
 * - authorize at `https://login.xero.com/identity/connect/authorize`, tokens
 *   from `https://identity.xero.com/connect/token`, tenants from
 *   `GET https://api.xero.com/connections`;
 * - the token request is form-encoded with `Authorization: Basic
 *   base64(client_id:client_secret)` (the SDK's `tokenRequest`) (`clientAuthentication:
 *   'body'` sends `client_id`/`client_secret` in the form instead, as the
 *   `RefreshToken` schema of `xero-identity.yaml` lists them);
 * - "access token expiry: 30 minutes"; "Unused refresh tokens expire after 60
 *   days"; refresh tokens rotate ("replace your existing refresh token with
 *   the new one"), and a refresh whose answer was lost may be retried with the
 *   old refresh token "for a grace period of 30 minutes"
 *   (https://developer.xero.com/faq/oauth2). So network failures and 5xx are
 *   retried with the same refresh token, and only a refusal marks the
 *   connection "reconnect required";
 * - "Keep one token set per user/org in one store. Parallel refreshes from
 *   multiple copies cause invalid_grant"
 *   (https://community.xero.com/developer/discussion/125347287): refreshes are single-flight per
 *   credential key across processes (core's `createTokenManager` with the
 *   store's refresh lease) and the rotated token is saved atomically with
 *   releasing the lease. One grant can cover several tenants (`GET
 *   /connections` lists them): give those tenants one `credentialKey`, never a
 *   copy each;
 * - `offline_access` is needed for a refresh token (auth flow page above);
 * - the connections answer `[{ id, authEventId, tenantId, tenantType,
 *   tenantName, createdDateUtc, updatedDateUtc }]` (`xero-identity.yaml`
 *   v16.1.0, https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero-identity.yaml).
 *
 * Not documented by Xero (assumptions, configurable): the token endpoint's
 * refusal body. OAuth 2.0 (RFC 6749 §5.2) says 400 `{ "error": "invalid_grant" }`;
 * that (or any 400/401 whose body says `invalid_grant`) marks the connection
 * "reconnect required". Override with `isInvalidGrant`.
 */
import {
  ConfigurationError,
  type CredentialStoreV1,
  classifyError,
  createTokenManager,
  PayloadError,
  parseRetryAfter,
  ReconnectRequiredError,
  retry,
  type TokenManager,
} from '@act/core';
import ky, { type KyInstance } from 'ky';
import { z } from 'zod';
import { VERSION } from './version';
import { parseXeroErrorBody, toXeroApiError, xeroNetworkError } from './xero-error';
import { describeZodError, XERO_PACKAGE_NAME, XERO_SOURCE } from './xero-events';

/** Token endpoint (https://developer.xero.com/documentation/guides/oauth2/auth-flow/). */
export const XERO_TOKEN_URL = 'https://identity.xero.com/connect/token';
/** Authorization endpoint (https://developer.xero.com/documentation/guides/oauth2/auth-flow/). */
export const XERO_AUTHORIZE_URL = 'https://login.xero.com/identity/connect/authorize';
/** The tenants a token may read (https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero-identity.yaml). */
export const XERO_CONNECTIONS_URL = 'https://api.xero.com/connections';

/** "What is the expiration for an access token? 30 minutes." (https://developer.xero.com/faq/oauth2): used when `expires_in` is missing. */
const DEFAULT_EXPIRES_IN_S = 1_800;

/**
 * What the credential store keeps per connection. Field names are ours
 * (camelCase); `expiresAt` is epoch ms. Unknown fields are kept.
 */
export interface XeroOAuthCredential {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms when the access token expires. */
  expiresAt: number;
  scope?: string | undefined;
  idToken?: string | undefined;
  tokenType?: string | undefined;
  [key: string]: unknown;
}

export interface XeroOAuthAuth {
  type?: 'oauth';
  clientId: string;
  clientSecret: string;
  /** Where each connection's tokens live (`XeroOAuthCredential` values). */
  credentials: CredentialStoreV1;
  /**
   * Credential key of a tenant; default `xero:<tenant>`. Tenants authorised by
   * one grant share one token set: map them to one key (e.g. by the
   * connections' `authEventId`), or refreshing one copy logs the others out.
   */
  credentialKey?: (tenant: string) => string;
  /** Refresh this long before `expiresAt`. Default 2 min. */
  refreshBeforeExpiryMs?: number;
  /** Refresh lease length; default 120 s (core's token manager). */
  leaseMs?: number;
  /** Identifies this process in the refresh lease. */
  owner?: string;
  /** How the client authenticates at the token endpoint; default `basic` (as the official SDK does). */
  clientAuthentication?: 'basic' | 'body';
  tokenUrl?: string;
  /** Whether a token-endpoint refusal means the refresh token is dead. Default: RFC 6749's `invalid_grant`. */
  isInvalidGrant?: (status: number, body: unknown) => boolean;
}

/** A bearer token you manage yourself (e.g. a custom connection): never refreshed here. */
export interface XeroAccessTokenAuth {
  type: 'access-token';
  token: string | ((tenant: string) => string | Promise<string>);
}

export type XeroAuth = XeroOAuthAuth | XeroAccessTokenAuth;

/** The token a request is sent with, and the credential revision it came from. */
export interface XeroAuthorization {
  token: string;
  revision?: number;
}

/** How the client gets tokens. */
export interface XeroAuthStrategy {
  readonly canRefresh: boolean;
  authorize(tenant: string, signal?: AbortSignal): Promise<XeroAuthorization>;
  /** After a 401 with `used`: the next token to try (refreshing unless someone already has). */
  reauthorize(tenant: string, used: XeroAuthorization, signal?: AbortSignal): Promise<XeroAuthorization>;
  /** Rotate the tenant's tokens now (the worker's 401 hook). */
  refresh(tenant: string): Promise<void>;
}

interface HttpOptions {
  fetch?: typeof globalThis.fetch | undefined;
  timeoutMs?: number | undefined;
  now?: (() => Date) | undefined;
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number } | undefined;
}

// Token endpoint answer: `AccessToken` of xero-identity.yaml (id_token,
// access_token, expires_in, token_type, refresh_token), plus `scope`.
const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).nullish(),
  expires_in: z.number().nullish(),
  token_type: z.string().nullish(),
  // A space-separated string (RFC 6749 §5.1); the SDK README's example prints an array
  // (https://github.com/XeroAPI/xero-node/blob/master/README.md).
  scope: z.union([z.string(), z.array(z.string())]).nullish(),
  id_token: z.string().nullish(),
});
type TokenResponse = z.infer<typeof tokenResponseSchema>;

function credentialFromTokenResponse(
  body: TokenResponse,
  now: Date,
  previous?: XeroOAuthCredential,
): XeroOAuthCredential {
  const refreshToken = body.refresh_token ?? previous?.refreshToken;
  if (!refreshToken) {
    throw new PayloadError({
      packageName: XERO_PACKAGE_NAME,
      message: 'the token endpoint answered without a refresh_token (was the offline_access scope requested?)',
    });
  }
  const credential: XeroOAuthCredential = {
    ...(previous ?? {}),
    accessToken: body.access_token,
    // Xero rotates refresh tokens (https://developer.xero.com/faq/oauth2): always keep the newest one.
    refreshToken,
    expiresAt: now.getTime() + (body.expires_in ?? DEFAULT_EXPIRES_IN_S) * 1000,
  };
  if (body.scope) credential.scope = Array.isArray(body.scope) ? body.scope.join(' ') : body.scope;
  if (body.id_token) credential.idToken = body.id_token;
  if (body.token_type) credential.tokenType = body.token_type;
  return credential;
}

function defaultIsInvalidGrant(status: number, body: unknown): boolean {
  if (status !== 400 && status !== 401) return false;
  const parsed = parseXeroErrorBody(body);
  const text = [parsed?.error, parsed?.error_description, typeof body === 'string' ? body : undefined]
    .filter((part): part is string => typeof part === 'string')
    .join(' ');
  return /invalid[_ ]grant/i.test(text);
}

function basic(clientId: string, clientSecret: string): string {
  const bytes = new TextEncoder().encode(`${clientId}:${clientSecret}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

function createKy(options: HttpOptions): KyInstance {
  return ky.create({
    headers: { 'user-agent': `act-connector-xero/${VERSION}`, accept: 'application/json' },
    timeout: options.timeoutMs ?? 30_000,
    // Retries are @act/core's `retry` (and the worker's schedule), never ky's.
    retry: 0,
    throwHttpErrors: false,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** The body as JSON when it parses, as text otherwise, `undefined` when empty. */
export async function readXeroBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** POST the token endpoint. Resolves the token body, or `{ invalid }` when the grant was refused. */
async function postToken(
  api: KyInstance,
  tokenUrl: string,
  form: URLSearchParams,
  client: { clientId: string; clientSecret: string; authentication: 'basic' | 'body' },
  retryOptions: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number },
  isInvalidGrant: (status: number, body: unknown) => boolean,
): Promise<{ ok: true; body: TokenResponse } | { ok: false; invalid: string }> {
  const what = { method: 'POST', url: tokenUrl };
  const headers: Record<string, string> = {};
  const body = new URLSearchParams(form);
  if (client.authentication === 'basic') headers.authorization = basic(client.clientId, client.clientSecret);
  else {
    body.set('client_id', client.clientId);
    body.set('client_secret', client.clientSecret);
  }
  const maxDelayMs = retryOptions.maxDelayMs ?? 10_000;
  return retry(
    async ({ signal }) => {
      let response: Response;
      try {
        response = await api.post(tokenUrl, { body, headers, signal });
      } catch (error) {
        if (signal.aborted) throw error;
        throw xeroNetworkError(error, what);
      }
      const answer = await readXeroBody(response);
      if (!response.ok) {
        if (isInvalidGrant(response.status, answer)) {
          const parsed = parseXeroErrorBody(answer);
          const reason = parsed?.error_description ?? undefined;
          return {
            ok: false as const,
            invalid: `Xero refused the grant (invalid_grant${reason ? `: ${reason}` : ''}): reconnect this tenant`,
          };
        }
        throw toXeroApiError(response, answer, what, {
          retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
        });
      }
      const parsed = tokenResponseSchema.safeParse(answer);
      if (!parsed.success) {
        throw new PayloadError({
          packageName: XERO_PACKAGE_NAME,
          message: `POST ${tokenUrl} answered an unexpected body: ${describeZodError(parsed.error)}`,
          cause: parsed.error,
        });
      }
      return { ok: true as const, body: parsed.data };
    },
    {
      maxAttempts: retryOptions.maxAttempts ?? 3,
      baseDelayMs: retryOptions.baseDelayMs ?? 500,
      maxDelayMs,
      // A lost answer may be retried with the same refresh token within Xero's
      // 30-minute grace (https://developer.xero.com/faq/oauth2): network failures and 5xx are retried.
      isRetryable: (error) => {
        const { errorClass, retryAfterMs } = classifyError(error);
        if (errorClass === 'rate_limit') return (retryAfterMs ?? 0) <= maxDelayMs;
        return errorClass === 'transient';
      },
    },
  );
}

/**
 * The auth strategy of a client: OAuth with rotating refresh tokens, or a
 * bearer you manage. @throws ConfigurationError for missing settings.
 */
export function createXeroAuth(auth: XeroAuth, options: HttpOptions = {}): XeroAuthStrategy {
  if (!auth || typeof auth !== 'object') {
    throw new ConfigurationError({
      packageName: XERO_PACKAGE_NAME,
      message: "auth is required: { clientId, clientSecret, credentials } (OAuth) or { type: 'access-token', token }",
    });
  }
  if (auth.type === 'access-token') {
    const { token } = auth;
    if (!token) {
      throw new ConfigurationError({ packageName: XERO_PACKAGE_NAME, message: 'auth.token is required' });
    }
    return {
      canRefresh: false,
      async authorize(tenant) {
        const value = typeof token === 'function' ? await token(tenant) : token;
        if (!value) {
          throw new ConfigurationError({
            packageName: XERO_PACKAGE_NAME,
            message: `no access token for tenant ${tenant}`,
          });
        }
        return { token: value };
      },
      // Nothing to refresh: the 401 is thrown as an auth ProviderApiError.
      reauthorize: async (_tenant, used) => used,
      async refresh() {},
    };
  }

  for (const [name, value] of [
    ['auth.clientId', auth.clientId],
    ['auth.clientSecret', auth.clientSecret],
  ] as const) {
    if (!value) {
      throw new ConfigurationError({ packageName: XERO_PACKAGE_NAME, message: `${name} is required for OAuth` });
    }
  }
  if (!auth.credentials) {
    throw new ConfigurationError({
      packageName: XERO_PACKAGE_NAME,
      message: 'auth.credentials (a CredentialStoreV1) is required for OAuth',
    });
  }
  const now = options.now ?? (() => new Date());
  const api = createKy(options);
  const keyOf = auth.credentialKey ?? ((tenant: string) => `${XERO_SOURCE}:${tenant}`);
  const skewMs = auth.refreshBeforeExpiryMs ?? 120_000;
  const isInvalidGrant = auth.isInvalidGrant ?? defaultIsInvalidGrant;
  const tokenUrl = auth.tokenUrl ?? XERO_TOKEN_URL;
  const client = {
    clientId: auth.clientId,
    clientSecret: auth.clientSecret,
    authentication: auth.clientAuthentication ?? 'basic',
  } as const;
  const isExpired = (value: XeroOAuthCredential, at: Date) =>
    typeof value.expiresAt !== 'number' || value.expiresAt - skewMs <= at.getTime();

  const tokens: TokenManager<XeroOAuthCredential> = createTokenManager<XeroOAuthCredential>({
    store: auth.credentials,
    packageName: XERO_PACKAGE_NAME,
    now,
    ...(auth.leaseMs !== undefined ? { leaseMs: auth.leaseMs } : {}),
    ...(auth.owner !== undefined ? { owner: auth.owner } : {}),
    isExpired,
    async refresh(current) {
      if (!current.refreshToken)
        return { invalid: 'the stored credential has no refresh token: reconnect this tenant' };
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: current.refreshToken });
      const result = await postToken(api, tokenUrl, form, client, options.retry ?? {}, isInvalidGrant);
      if (!result.ok) return { invalid: result.invalid };
      return credentialFromTokenResponse(result.body, now(), current);
    },
  });

  const withRevision = async (key: string, value: XeroOAuthCredential): Promise<XeroAuthorization> => {
    const after = await tokens.current(key);
    // `revision` identifies the credential the token came from, so a 401
    // refreshes only if nobody has replaced it since.
    return {
      token: value.accessToken,
      ...(after && after.value.accessToken === value.accessToken ? { revision: after.revision } : {}),
    };
  };

  const authorization = async (tenant: string, signal?: AbortSignal): Promise<XeroAuthorization> => {
    const key = keyOf(tenant);
    // One read on the common path; the token manager only when a refresh is due
    // (or the connection needs a reconnect, which it reports).
    const stored = await tokens.current(key);
    const value = stored?.value as XeroOAuthCredential | undefined;
    if (stored && value && !stored.invalidReason && typeof value.accessToken === 'string' && !isExpired(value, now())) {
      return { token: value.accessToken, revision: stored.revision };
    }
    return withRevision(key, await tokens.get(key, signal ? { signal } : {}));
  };

  return {
    canRefresh: true,
    authorize: authorization,
    async reauthorize(tenant, used, signal) {
      const key = keyOf(tenant);
      const stored = await tokens.current(key);
      if (stored && !stored.invalidReason && (stored.value as XeroOAuthCredential).accessToken !== used.token) {
        // Someone refreshed while our request was in flight: use theirs.
        return authorization(tenant, signal);
      }
      const value = await tokens.refreshAfterRejection(
        key,
        used.revision ?? stored?.revision ?? 0,
        signal ? { signal } : {},
      );
      return withRevision(key, value);
    },
    async refresh(tenant) {
      const key = keyOf(tenant);
      const stored = await tokens.current(key);
      await tokens.refreshAfterRejection(key, stored?.revision ?? 0);
    },
  };
}

/**
 * The URL to send a person to so they connect Xero organisations to your app
 * (OAuth 2.0 authorization code flow, RFC 6749 §4.1.1, at Xero's authorize
 * endpoint, https://developer.xero.com/documentation/guides/oauth2/auth-flow/). Ask for `offline_access` to get a refresh token, and for
 * granular scopes on apps created on or after 2 March 2026
 * (https://developer.xero.com/faq/granular-scopes)
 * (e.g. `accounting.invoices.read`, `accounting.payments.read`,
 * `accounting.banktransactions.read`, `accounting.contacts.read`).
 */
export function buildXeroAuthorizeUrl(options: {
  clientId: string;
  redirectUri: string;
  scopes: readonly string[];
  state: string;
  /** PKCE (S256) challenge, when you use one. */
  codeChallenge?: string;
  authorizeUrl?: string;
}): string {
  const url = new URL(options.authorizeUrl ?? XERO_AUTHORIZE_URL);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', options.clientId);
  url.searchParams.set('redirect_uri', options.redirectUri);
  url.searchParams.set('scope', options.scopes.join(' '));
  url.searchParams.set('state', options.state);
  if (options.codeChallenge) {
    url.searchParams.set('code_challenge', options.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
  }
  return url.href;
}

/**
 * Exchange the authorization code of the redirect for the credential to store
 * (`credentials.put('xero:<tenantId>', credential)` for each tenant
 * `listXeroConnections` returns, or one shared key for all of them).
 *
 * @throws ReconnectRequiredError when Xero refuses the code (expired or used):
 *   the person has to connect again.
 */
export async function exchangeXeroAuthorizationCode(options: {
  clientId: string;
  clientSecret: string;
  code: string;
  redirectUri: string;
  /** The PKCE verifier, when the authorize URL carried a challenge. */
  codeVerifier?: string;
  clientAuthentication?: 'basic' | 'body';
  tokenUrl?: string;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
  now?: () => Date;
}): Promise<XeroOAuthCredential> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code: options.code,
    redirect_uri: options.redirectUri,
  });
  if (options.codeVerifier) form.set('code_verifier', options.codeVerifier);
  const result = await postToken(
    createKy(options),
    options.tokenUrl ?? XERO_TOKEN_URL,
    form,
    {
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      authentication: options.clientAuthentication ?? 'basic',
    },
    {},
    defaultIsInvalidGrant,
  );
  if (!result.ok) {
    throw new ReconnectRequiredError({
      packageName: XERO_PACKAGE_NAME,
      key: 'xero:authorization-code',
      reason: result.invalid.replace(/: reconnect this tenant$/, ''),
    });
  }
  return credentialFromTokenResponse(result.body, (options.now ?? (() => new Date()))());
}

const connectionSchema = z.looseObject({
  id: z.string().min(1),
  tenantId: z.string().min(1),
  authEventId: z.string().nullish(),
  tenantType: z.string().nullish(),
  tenantName: z.string().nullish(),
  createdDateUtc: z.string().nullish(),
  updatedDateUtc: z.string().nullish(),
});
/** One organisation (tenant) a grant may read (`Connection` of xero-identity.yaml). */
export type XeroConnection = z.infer<typeof connectionSchema>;

/**
 * `GET https://api.xero.com/connections` with a fresh access token: the
 * tenants (organisations) the grant covers, with `authEventId` shared by the
 * connections authorised together.
 */
export async function listXeroConnections(options: {
  accessToken: string;
  authEventId?: string;
  connectionsUrl?: string;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}): Promise<XeroConnection[]> {
  const url = new URL(options.connectionsUrl ?? XERO_CONNECTIONS_URL);
  if (options.authEventId) url.searchParams.set('authEventId', options.authEventId);
  const what = { method: 'GET', url: `${url.origin}${url.pathname}` };
  const api = createKy(options);
  return retry(
    async ({ signal }) => {
      let response: Response;
      try {
        response = await api.get(url, { headers: { authorization: `Bearer ${options.accessToken}` }, signal });
      } catch (error) {
        if (signal.aborted) throw error;
        throw xeroNetworkError(error, what);
      }
      const body = await readXeroBody(response);
      if (!response.ok) {
        throw toXeroApiError(response, body, what, {
          retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
        });
      }
      const parsed = z.array(connectionSchema).safeParse(body);
      if (!parsed.success) {
        throw new PayloadError({
          packageName: XERO_PACKAGE_NAME,
          message: `GET ${what.url} answered an unexpected body: ${describeZodError(parsed.error)}`,
          cause: parsed.error,
        });
      }
      return parsed.data;
    },
    {
      isRetryable: (error) => {
        const { errorClass, retryAfterMs } = classifyError(error);
        if (errorClass === 'rate_limit') return (retryAfterMs ?? 0) <= 10_000;
        return errorClass === 'transient';
      },
    },
  );
}
