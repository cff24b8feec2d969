import {
  type CredentialStoreV1,
  classifyError,
  createTokenManager,
  parseRetryAfter,
  retry,
  type TokenManager,
} from '@act/core/internal';
import ky, { type KyInstance } from 'ky';
import { z } from 'zod';
import {
  type ApiAuth,
  type ApiAuthContext,
  type ApiAuthorization,
  type ApiAuthStrategy,
  notRetriedInProcess,
} from './auth';
import { type ConnectorErrors, createErrors, readBody } from './errors';

/**
 * What the credential store keeps per tenant. Field names are ours
 * (camelCase); `expiresAt` is epoch ms. Unknown fields are kept.
 */
export interface OAuth2Credential {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms when the access token expires. */
  expiresAt: number;
  scope?: string | undefined;
  [key: string]: unknown;
}

// Token endpoint answer (RFC 6749 §5.1), unknown fields kept for `credentialFields`.
const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).nullish(),
  // Some providers send it as a string ("3600"): refusing the answer would drop a rotated refresh token.
  expires_in: z.coerce.number().nullish(),
  token_type: z.string().nullish(),
  // A space-separated string (RFC 6749 §5.1); some providers answer an array.
  scope: z.union([z.string(), z.array(z.string())]).nullish(),
});
export type OAuth2TokenResponse = z.infer<typeof tokenResponseSchema>;

export interface OAuth2Options<TCredential extends OAuth2Credential = OAuth2Credential> {
  /** The token endpoint (absolute URL). */
  tokenUrl: string;
  /** The authorization endpoint, for `authorizeUrl()`. */
  authorizeUrl?: string;
  clientId: string;
  clientSecret: string;
  /**
   * How the client authenticates at the token endpoint: HTTP Basic
   * (RFC 6749 §2.3.1, the default) or `client_id`/`client_secret` in the form.
   */
  authMethod?: 'basic' | 'body';
  /**
   * A provider fact: may a refresh whose answer was lost be sent again? Only
   * when the provider accepts the same refresh token again (a grace period);
   * a rotating refresh token that is retired on first use must never be re-sent.
   */
  retryRefresh: boolean;
  /** Where each tenant's tokens live. Required for API calls (not for `authorizeUrl`/`exchangeCode`). */
  credentials?: CredentialStoreV1 | undefined;
  /** Credential key of a tenant; default `<source>:<tenant>` (CredentialStoreV1's convention). */
  credentialKey?: ((tenant: string) => string) | undefined;
  /** Default scopes of `authorizeUrl()`. */
  scopes?: readonly string[];
  /** Refresh this long before `expiresAt`. Default 5 min. */
  refreshBeforeExpiryMs?: number | undefined;
  /** `expires_in` to assume when the token answer has none; default 3600 s. */
  defaultExpiresInS?: number;
  /** Refresh lease length (core's token manager; default 120 s). */
  leaseMs?: number | undefined;
  /** Identifies this process in the refresh lease. */
  owner?: string | undefined;
  /** Extra form fields of a refresh (e.g. a provider's `user_type`). */
  refreshParams?: (current: TCredential) => Record<string, string>;
  /** Extra fields of a token answer to keep in the credential (falsy values are skipped). */
  credentialFields?: (body: OAuth2TokenResponse) => Record<string, unknown>;
  /**
   * Whether a token-endpoint refusal means the grant is dead (reconnect
   * required). Default: 400/401 whose body says `invalid_grant` (RFC 6749 §5.2)
   * in `error`, `error_description` or `message`.
   */
  isInvalidGrant?: ((status: number, body: unknown) => boolean) | undefined;
  /** Who refused, in messages: `<provider> refused the grant (invalid_grant: …)`. Default `the provider`. */
  providerName?: string;
  /** Message overrides. */
  messages?: {
    /** The reason stored when the grant is refused; default `<provider> refused the grant (invalid_grant[: reason])`. */
    invalidGrant?: (reason: string | undefined) => string;
    /** Stored credential without a refresh token; default `the stored credential has no refresh token`. */
    noRefreshToken?: string;
    /** Token answer without a refresh token and none stored; default `POST <path> answered without a refresh_token`. */
    noRefreshTokenInAnswer?: string;
    /** The reason of `exchangeCode`'s `ReconnectRequiredError` when the code is refused; default `invalidGrant`'s. */
    codeRefused?: (reason: string | undefined) => string;
  };
  /** Package named in errors of `exchangeCode` (the client's own is used for API calls). */
  packageName?: string;
  /** Connector id, for the default credential key of `exchangeCode`'s errors (`<source>:authorization-code`). */
  source?: string;
}

export interface AuthorizeUrlOptions {
  redirectUri: string;
  state: string;
  /** Default: the `scopes` of `oauth2()`. */
  scopes?: readonly string[];
  /** PKCE (RFC 7636) S256 challenge, from `createPkce()`. */
  codeChallenge?: string;
  /** Provider-specific parameters. */
  params?: Record<string, string>;
}

export interface ExchangeCodeOptions {
  code: string;
  redirectUri?: string;
  /** The PKCE verifier, when the authorize URL carried a challenge. */
  codeVerifier?: string;
  /** Provider-specific form fields (e.g. `user_type`). */
  params?: Record<string, string>;
  fetch?: typeof globalThis.fetch | undefined;
  timeoutMs?: number | undefined;
  userAgent?: string | undefined;
  now?: (() => Date) | undefined;
}

export interface OAuth2Auth<TCredential extends OAuth2Credential = OAuth2Credential> extends ApiAuth {
  /** The URL to send a person to (RFC 6749 §4.1.1). */
  authorizeUrl(options: AuthorizeUrlOptions): string;
  /**
   * Exchange an authorization code for the credential to `put` in the store.
   * @throws ReconnectRequiredError when the code is refused (expired or used).
   */
  exchangeCode(options: ExchangeCodeOptions): Promise<TCredential>;
}

/** A PKCE verifier and its S256 challenge (RFC 7636 §4.1–4.2). */
export async function createPkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return { verifier, challenge: base64Url(new Uint8Array(digest)) };
}

function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function basic(clientId: string, clientSecret: string): string {
  // RFC 6749 §2.3.1: form-urlencode each part, then Base64 (UTF-8).
  const bytes = new TextEncoder().encode(`${clientId}:${clientSecret}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

const oauthErrorSchema = z.looseObject({
  error: z.string().nullish(),
  error_description: z.string().nullish(),
  message: z.union([z.string(), z.array(z.string())]).nullish(),
});

function defaultIsInvalidGrant(status: number, body: unknown): boolean {
  if (status !== 400 && status !== 401) return false;
  const parsed = oauthErrorSchema.safeParse(body);
  const fields = parsed.success ? parsed.data : undefined;
  const text = [
    fields?.error,
    fields?.error_description,
    ...(Array.isArray(fields?.message) ? fields.message : [fields?.message]),
    typeof body === 'string' ? body : undefined,
  ]
    .filter((part): part is string => typeof part === 'string')
    .join(' ');
  return /invalid[_ ]grant/i.test(text);
}

function refusalReason(body: unknown): string | undefined {
  const parsed = oauthErrorSchema.safeParse(body);
  if (!parsed.success) return undefined;
  return parsed.data.error_description ?? (typeof parsed.data.message === 'string' ? parsed.data.message : undefined);
}

function createKy(options: {
  fetch?: typeof globalThis.fetch | undefined;
  timeoutMs?: number | undefined;
  userAgent?: string | undefined;
}): KyInstance {
  return ky.create({
    headers: { accept: 'application/json', ...(options.userAgent ? { 'user-agent': options.userAgent } : {}) },
    timeout: options.timeoutMs ?? 10_000,
    // Retries are @act/core's `retry` (and the worker's schedule), never ky's.
    retry: 0,
    throwHttpErrors: false,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/**
 * OAuth 2.0 with refresh tokens over `@act/core`'s token manager: a refresh
 * is single-flight in process and under the store's lease across processes,
 * the rotated refresh token is saved atomically with the lease's release,
 * a 401 refreshes only if nobody replaced the credential since (revisions),
 * and a refused grant marks the connection "reconnect required".
 */
export function oauth2<TCredential extends OAuth2Credential = OAuth2Credential>(
  options: OAuth2Options<TCredential>,
): OAuth2Auth<TCredential> {
  const isInvalidGrant = options.isInvalidGrant ?? defaultIsInvalidGrant;
  const provider = options.providerName ?? 'the provider';
  const invalidGrant =
    options.messages?.invalidGrant ??
    ((reason: string | undefined) => `${provider} refused the grant (invalid_grant${reason ? `: ${reason}` : ''})`);

  const codeRefused = options.messages?.codeRefused ?? invalidGrant;

  const toCredential = (
    body: OAuth2TokenResponse,
    now: Date,
    errors: ConnectorErrors,
    previous?: TCredential,
  ): TCredential => {
    const refreshToken = body.refresh_token ?? previous?.refreshToken;
    if (!refreshToken) {
      throw errors.payload(
        options.messages?.noRefreshTokenInAnswer ??
          `POST ${new URL(options.tokenUrl).pathname} answered without a refresh_token`,
      );
    }
    const credential = {
      ...(previous ?? {}),
      accessToken: body.access_token,
      // Refresh tokens may rotate: always keep the newest one.
      refreshToken,
      expiresAt: now.getTime() + (body.expires_in ?? options.defaultExpiresInS ?? 3600) * 1000,
    } as OAuth2Credential;
    if (body.scope) credential.scope = Array.isArray(body.scope) ? body.scope.join(' ') : body.scope;
    for (const [name, value] of Object.entries(options.credentialFields?.(body) ?? {}))
      if (value) credential[name] = value;
    return credential as TCredential;
  };

  /** POST the token endpoint. Resolves the token body, or `{ invalid }` when the grant was refused. */
  const postToken = async (
    api: KyInstance,
    form: URLSearchParams,
    errors: ConnectorErrors,
    retryOptions: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number },
  ): Promise<{ ok: true; body: OAuth2TokenResponse } | { ok: false; invalid: string }> => {
    const what = { method: 'POST', url: options.tokenUrl };
    const headers: Record<string, string> = {};
    const body = new URLSearchParams(form);
    if ((options.authMethod ?? 'basic') === 'basic')
      headers.authorization = basic(options.clientId, options.clientSecret);
    else {
      body.set('client_id', options.clientId);
      body.set('client_secret', options.clientSecret);
    }
    return retry(
      async ({ signal }) => {
        let response: Response;
        try {
          response = await api.post(options.tokenUrl, { body, headers, signal });
        } catch (error) {
          if (signal.aborted) throw error;
          throw errors.network(error, what);
        }
        const answer = await readBody(response);
        if (!response.ok) {
          if (isInvalidGrant(response.status, answer)) {
            const reason = refusalReason(answer);
            return {
              ok: false as const,
              invalid: (form.get('grant_type') === 'authorization_code' ? codeRefused : invalidGrant)(reason),
            };
          }
          throw errors.fromResponse(response, answer, what, {
            retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
          });
        }
        const parsed = tokenResponseSchema.safeParse(answer);
        if (!parsed.success) throw errors.unexpectedBody(what, parsed.error);
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
  };

  function create(context: ApiAuthContext): ApiAuthStrategy {
    const { errors } = context;
    for (const [name, value] of [
      ['auth.clientId', options.clientId],
      ['auth.clientSecret', options.clientSecret],
    ] as const) {
      if (!value) throw errors.configuration(`${name} is required for OAuth`);
    }
    if (!options.credentials)
      throw errors.configuration('auth.credentials (a CredentialStoreV1) is required for OAuth');
    const { now } = context;
    const api = createKy(context);
    const keyOf = options.credentialKey ?? ((tenant: string) => `${context.source}:${tenant}`);
    const skewMs = options.refreshBeforeExpiryMs ?? 300_000;
    const isExpired = (value: TCredential, at: Date) =>
      typeof value.expiresAt !== 'number' || value.expiresAt - skewMs <= at.getTime();
    // A refresh token that rotates on use must be sent once: if the provider
    // rotated on an attempt whose answer was lost, a retry would present the
    // retired token and force a reconnect. A failure releases the lease; the
    // next caller (or the worker's retry) tries again.
    const refreshRetry = options.retryRefresh ? context.retry : { ...context.retry, maxAttempts: 1 };

    const tokens: TokenManager<TCredential> = createTokenManager<TCredential>({
      store: options.credentials,
      packageName: context.packageName,
      now,
      ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
      ...(options.owner !== undefined ? { owner: options.owner } : {}),
      isExpired,
      async refresh(current) {
        if (!current.refreshToken)
          return { invalid: options.messages?.noRefreshToken ?? 'the stored credential has no refresh token' };
        const form = new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: current.refreshToken,
          ...options.refreshParams?.(current),
        });
        let result: Awaited<ReturnType<typeof postToken>>;
        try {
          result = await postToken(api, form, errors, refreshRetry);
        } catch (error) {
          // Nor may the API call around it send the token again at once; the worker's schedule retries later.
          throw options.retryRefresh ? error : notRetriedInProcess(error);
        }
        if (!result.ok) return { invalid: result.invalid };
        return toCredential(result.body, now(), errors, current);
      },
    });

    const withRevision = async (key: string, value: TCredential): Promise<ApiAuthorization> => {
      const after = await tokens.current(key);
      // `revision` identifies the credential the token came from, so a 401
      // refreshes only if nobody has replaced it since.
      return {
        token: value.accessToken,
        ...(after && after.value.accessToken === value.accessToken ? { revision: after.revision } : {}),
      };
    };

    const authorize = async (tenant: string, signal?: AbortSignal): Promise<ApiAuthorization> => {
      const key = keyOf(tenant);
      // One read on the common path; the token manager only when a refresh is
      // due (or the connection needs a reconnect, which it reports).
      const stored = await tokens.current(key);
      const value = stored?.value as TCredential | undefined;
      if (
        stored &&
        value &&
        !stored.invalidReason &&
        typeof value.accessToken === 'string' &&
        !isExpired(value, now())
      ) {
        return { token: value.accessToken, revision: stored.revision };
      }
      return withRevision(key, await tokens.get(key, signal ? { signal } : {}));
    };

    return {
      canRefresh: true,
      authorize,
      async reauthorize(tenant, used, signal) {
        const key = keyOf(tenant);
        const stored = await tokens.current(key);
        if (stored && !stored.invalidReason && (stored.value as TCredential).accessToken !== used.token) {
          // Someone refreshed while our request was in flight: use theirs.
          return authorize(tenant, signal);
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
      async renew(tenant, { aheadMs, signal }) {
        if (!(Number.isFinite(aheadMs) && aheadMs >= 0))
          throw errors.configuration(`aheadMs must be a number ≥ 0, got ${String(aheadMs)}`);
        const key = keyOf(tenant);
        const stored = await tokens.current(key);
        const value = stored?.value as TCredential | undefined;
        if (
          stored &&
          value &&
          !stored.invalidReason &&
          typeof value.accessToken === 'string' &&
          typeof value.expiresAt === 'number' &&
          value.expiresAt - aheadMs > now().getTime()
        ) {
          return { expiresAt: new Date(value.expiresAt) };
        }
        // Due (or no expiry known): the same refresh a 401 triggers, single-flight
        // in process and under the store's lease, so it never races a request's own
        // refresh; when someone saved a newer credential since our read, theirs is
        // returned without another refresh. A missing or refused credential throws
        // ReconnectRequiredError.
        const fresh = await tokens.refreshAfterRejection(key, stored?.revision ?? 0, signal ? { signal } : {});
        return { expiresAt: typeof fresh.expiresAt === 'number' ? new Date(fresh.expiresAt) : null };
      },
    };
  }

  return {
    create,
    authorizeUrl(authorize) {
      if (!options.authorizeUrl) {
        throw createErrors(options.packageName ?? '@act/connector-kit').configuration(
          'oauth2({ authorizeUrl }) is required for authorizeUrl()',
        );
      }
      const url = new URL(options.authorizeUrl);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('client_id', options.clientId);
      url.searchParams.set('redirect_uri', authorize.redirectUri);
      const scopes = authorize.scopes ?? options.scopes;
      if (scopes?.length) url.searchParams.set('scope', scopes.join(' '));
      url.searchParams.set('state', authorize.state);
      if (authorize.codeChallenge) {
        url.searchParams.set('code_challenge', authorize.codeChallenge);
        url.searchParams.set('code_challenge_method', 'S256');
      }
      for (const [name, value] of Object.entries(authorize.params ?? {})) url.searchParams.set(name, value);
      return url.href;
    },
    async exchangeCode(exchange) {
      const errors = createErrors(options.packageName ?? '@act/connector-kit');
      const form = new URLSearchParams({ grant_type: 'authorization_code', code: exchange.code });
      if (exchange.redirectUri) form.set('redirect_uri', exchange.redirectUri);
      if (exchange.codeVerifier) form.set('code_verifier', exchange.codeVerifier);
      for (const [name, value] of Object.entries(exchange.params ?? {})) form.set(name, value);
      const result = await postToken(createKy(exchange), form, errors, {
        maxAttempts: 3,
        baseDelayMs: 500,
        maxDelayMs: 10_000,
      });
      // An expired or already used code: the install has to be done again.
      if (!result.ok) throw errors.reconnect(`${options.source ?? 'oauth2'}:authorization-code`, result.invalid);
      return toCredential(result.body, (exchange.now ?? (() => new Date()))(), errors);
    },
  };
}
