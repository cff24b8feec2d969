/**
 * OAuth 2.0 for Xero: Xero's facts (endpoints, client authentication, token
 * lifetimes, whether a refresh may be retried, the connections endpoint) over
 * the kit's `oauth2()` engine, which keeps tokens per connection in a
 * `CredentialStoreV1` and refreshes single-flight across every worker.
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
 * xeroAuth(auth: XeroAuth): ApiAuth             // the kit's `oauth2()` or `staticToken()`, for `createApiClient`
 * buildXeroAuthorizeUrl({ clientId, redirectUri, scopes, state, codeChallenge? }): string
 * exchangeXeroAuthorizationCode({ clientId, clientSecret, code, redirectUri, codeVerifier?, fetch?, now? }): Promise<XeroOAuthCredential>
 * listXeroConnections({ accessToken, authEventId?, fetch? }): Promise<XeroConnection[]>
 * createXeroDiscovery({ oauth, grants, tenantTypes?, connectionsUrl?, fetch?, logger? }): (context) => Promise<DiscoveryResultV1>
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
 *   (https://developer.xero.com/faq/oauth2). So `retryRefresh: true`: network
 *   failures and 5xx are retried with the same refresh token, and only a
 *   refusal marks the connection "reconnect required";
 * - "Keep one token set per user/org in one store. Parallel refreshes from
 *   multiple copies cause invalid_grant"
 *   (https://community.xero.com/developer/discussion/125347287): refreshes are single-flight per
 *   credential key across processes (the kit's `oauth2()` under the store's
 *   refresh lease) and the rotated token is saved atomically with releasing
 *   the lease. One grant can cover several tenants (`GET
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
  type ApiAuth,
  createApiClient,
  type OAuth2Credential,
  type OAuth2Options,
  oauth2,
  staticToken,
} from '@act/connector-kit';
import {
  type CredentialStoreV1,
  type DiscoveredTenantV1,
  type DiscoveryResultV1,
  type Logger,
  ReconnectRequiredError,
} from '@act/core';
import { z } from 'zod';
import { VERSION } from './version';
import { XERO_ERROR_BODY, xeroErrors } from './xero-error';
import { XERO_PACKAGE_NAME, XERO_SOURCE } from './xero-events';

/** Token endpoint (https://developer.xero.com/documentation/guides/oauth2/auth-flow/). */
export const XERO_TOKEN_URL = 'https://identity.xero.com/connect/token';
/** Authorization endpoint (https://developer.xero.com/documentation/guides/oauth2/auth-flow/). */
export const XERO_AUTHORIZE_URL = 'https://login.xero.com/identity/connect/authorize';
/** The tenants a token may read (https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero-identity.yaml). */
export const XERO_CONNECTIONS_URL = 'https://api.xero.com/connections';
/** The `User-Agent` of every call this connector makes. */
export const XERO_USER_AGENT = `act-connector-xero/${VERSION}`;

/**
 * What the credential store keeps per connection. Field names are ours
 * (camelCase); `expiresAt` is epoch ms. Unknown fields are kept.
 */
export interface XeroOAuthCredential extends OAuth2Credential {
  idToken?: string | undefined;
  tokenType?: string | undefined;
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

type XeroOAuth2Options = Omit<Partial<XeroOAuthAuth>, 'type' | 'clientId' | 'clientSecret'> & {
  clientId: string;
  clientSecret: string;
  authorizeUrl?: string | undefined;
};

/** Xero's OAuth 2.0 facts for the kit's `oauth2()`. */
function xeroOAuth2(options: XeroOAuth2Options) {
  const facts: OAuth2Options<XeroOAuthCredential> = {
    tokenUrl: options.tokenUrl ?? XERO_TOKEN_URL,
    authorizeUrl: options.authorizeUrl ?? XERO_AUTHORIZE_URL,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    authMethod: options.clientAuthentication ?? 'basic',
    // A refresh whose answer was lost may be sent again with the same refresh
    // token "for a grace period of 30 minutes" (https://developer.xero.com/faq/oauth2).
    retryRefresh: true,
    credentials: options.credentials,
    credentialKey: options.credentialKey,
    refreshBeforeExpiryMs: options.refreshBeforeExpiryMs ?? 120_000,
    // "What is the expiration for an access token? 30 minutes." (https://developer.xero.com/faq/oauth2)
    defaultExpiresInS: 1_800,
    leaseMs: options.leaseMs,
    owner: options.owner,
    // `AccessToken` of xero-identity.yaml also carries `id_token` and `token_type`.
    credentialFields: (body) => ({ idToken: body.id_token, tokenType: body.token_type }),
    isInvalidGrant: options.isInvalidGrant,
    providerName: 'Xero',
    messages: {
      invalidGrant: (reason) =>
        `Xero refused the grant (invalid_grant${reason ? `: ${reason}` : ''}): reconnect this tenant`,
      // A refused authorization code: the person connects again (no tenant to reconnect yet).
      codeRefused: (reason) => `Xero refused the grant (invalid_grant${reason ? `: ${reason}` : ''})`,
      noRefreshToken: 'the stored credential has no refresh token: reconnect this tenant',
      noRefreshTokenInAnswer:
        'the token endpoint answered without a refresh_token (was the offline_access scope requested?)',
    },
    packageName: XERO_PACKAGE_NAME,
    source: XERO_SOURCE,
  };
  return oauth2<XeroOAuthCredential>(facts);
}

/**
 * The auth of a client: OAuth with rotating refresh tokens, or a bearer you
 * manage. @throws ConfigurationError (when the client is built) for missing settings.
 */
export function xeroAuth(auth: XeroAuth): ApiAuth {
  if (!auth || typeof auth !== 'object') {
    throw xeroErrors.configuration(
      "auth is required: { clientId, clientSecret, credentials } (OAuth) or { type: 'access-token', token }",
    );
  }
  if (auth.type === 'access-token') return staticToken(auth.token);
  const { type: _type, ...oauth } = auth;
  return xeroOAuth2(oauth);
}

/**
 * The URL to send a person to so they connect Xero organisations to your app
 * (OAuth 2.0 authorization code flow, RFC 6749 §4.1.1, at Xero's authorize
 * endpoint, https://developer.xero.com/documentation/guides/oauth2/auth-flow/).
 * Ask for `offline_access` to get a refresh token, and for granular scopes on
 * apps created on or after 2 March 2026 (https://developer.xero.com/faq/granular-scopes)
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
  // The secret never appears in the authorize URL.
  return xeroOAuth2({ clientId: options.clientId, clientSecret: '', authorizeUrl: options.authorizeUrl }).authorizeUrl({
    redirectUri: options.redirectUri,
    state: options.state,
    scopes: options.scopes,
    ...(options.codeChallenge ? { codeChallenge: options.codeChallenge } : {}),
  });
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
  const { code, redirectUri, codeVerifier, fetch, timeoutMs, now, ...client } = options;
  return xeroOAuth2(client).exchangeCode({
    code,
    redirectUri,
    ...(codeVerifier ? { codeVerifier } : {}),
    fetch,
    timeoutMs: timeoutMs ?? 30_000,
    userAgent: XERO_USER_AGENT,
    now,
  });
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
  const api = createApiClient({
    packageName: XERO_PACKAGE_NAME,
    source: XERO_SOURCE,
    baseUrl: url.origin,
    auth: staticToken(options.accessToken, { missing: 'accessToken is required' }),
    userAgent: XERO_USER_AGENT,
    errorBody: XERO_ERROR_BODY,
    timeoutMs: options.timeoutMs ?? 30_000,
    fetch: options.fetch,
  });
  // Not a tenant's call (no `xero-tenant-id`): the grant is named in logs instead.
  return api.request(options.authEventId ?? 'connections', {
    method: 'GET',
    path: url.pathname,
    searchParams: options.authEventId ? { authEventId: options.authEventId } : undefined,
    schema: z.array(connectionSchema),
  });
}

/** Which grants' connections `discoverTenants` lists (`settings.discovery`). */
export interface XeroDiscoverySettings {
  /**
   * The credential keys of the OAuth grants to list, e.g. `['xero:grant-1']`
   * (or a function reading them from your own records). A grant is one
   * person's authorisation of your app: one token set, whose
   * `GET /connections` answers every organisation that person connected.
   * These are the keys your `oauth.credentialKey` maps tenants to; with the
   * default key (`xero:<tenant>`, one grant per tenant) list those.
   */
  grants: readonly string[] | (() => readonly string[] | Promise<readonly string[]>);
  /**
   * The `tenantType`s that are tenants of this connector. Default
   * `['ORGANISATION']`: the Accounting API's organisations (a `PRACTICE` is
   * a Xero practice, not an organisation with ledgers).
   */
  tenantTypes?: readonly string[];
}

/**
 * The connector's `discoverTenants`: `GET https://api.xero.com/connections`
 * with each grant's access token (refreshed first when due, single-flight
 * under the same lease as every refresh of that credential key), keeping the
 * `ORGANISATION` tenants (`tenantType` is ORGANISATION or PRACTICE [X24]; "OAuth
 * 2.0 auth flow", https://developer.xero.com/documentation/guides/oauth2/auth-flow/,
 * and "Managing connections" [X23]; the official client reads them the same way [X18]).
 *
 * The answer is `complete` when every grant answered: a tenant no grant
 * lists any more was disconnected at Xero, so the registry disconnects it
 * (its rows are kept). A grant whose refresh token Xero refused
 * (`ReconnectRequiredError`, red `reconnect_required` in `healthSignals`) is
 * skipped and the answer is then partial (`complete: false`, only adds), as
 * it is with no grants at all: a broken or empty grant list never
 * disconnects anything. Any other failure (network, 5xx, 429) is thrown for
 * the scheduler to retry.
 */
export function createXeroDiscovery(options: {
  oauth: Omit<XeroOAuthAuth, 'type'>;
  discovery: XeroDiscoverySettings;
  connectionsUrl?: string;
  fetch?: typeof globalThis.fetch | undefined;
  timeoutMs?: number;
  logger?: Logger | undefined;
  now?: (() => Date) | undefined;
}): (context: { signal?: AbortSignal | undefined }) => Promise<DiscoveryResultV1> {
  const url = new URL(options.connectionsUrl ?? XERO_CONNECTIONS_URL);
  const types = new Set(options.discovery.tenantTypes ?? ['ORGANISATION']);
  const { credentialKey: _perTenant, owner, ...oauth } = options.oauth;
  // Its own client, whose "tenant" is the grant's credential key. Its token manager
  // and the accounting client's share the store's refresh lease per key (a distinct
  // owner), so a refresh here and one there never spend the same rotating token twice.
  const api = createApiClient({
    packageName: XERO_PACKAGE_NAME,
    source: XERO_SOURCE,
    baseUrl: url.origin,
    auth: xeroOAuth2({
      ...oauth,
      credentialKey: (grant) => grant,
      ...(owner !== undefined ? { owner: `${owner}/discovery` } : {}),
    }),
    userAgent: XERO_USER_AGENT,
    errorBody: XERO_ERROR_BODY,
    timeoutMs: options.timeoutMs ?? 30_000,
    fetch: options.fetch,
    logger: options.logger,
    now: options.now,
  });
  return async ({ signal }) => {
    const grants = options.discovery.grants;
    const keys = [...new Set(typeof grants === 'function' ? await grants() : grants)];
    const found = new Map<string, DiscoveredTenantV1>();
    let complete = keys.length > 0;
    for (const grant of keys) {
      signal?.throwIfAborted();
      let connections: XeroConnection[];
      try {
        connections = await api.request(grant, {
          method: 'GET',
          path: url.pathname,
          schema: z.array(connectionSchema),
          signal,
        });
      } catch (error) {
        if (!ReconnectRequiredError.isInstance(error)) throw error;
        complete = false;
        options.logger?.warn(
          { source: XERO_SOURCE, grant, error: error.message },
          `[${XERO_PACKAGE_NAME}] discovery skipped grant ${grant}: it needs reconnecting`,
        );
        continue;
      }
      for (const connection of connections) {
        if (!types.has(connection.tenantType ?? '') || found.has(connection.tenantId)) continue;
        found.set(connection.tenantId, {
          tenant: connection.tenantId,
          ...(connection.tenantName ? { displayName: connection.tenantName } : {}),
        });
      }
    }
    return { tenants: [...found.values()], complete };
  };
}
