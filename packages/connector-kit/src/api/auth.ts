import type { ConnectorErrors } from './errors';

/** The token a request is sent with, and the credential revision it came from (OAuth). */
export interface ApiAuthorization {
  token: string;
  revision?: number;
}

/** How a client gets tokens for a tenant. */
export interface ApiAuthStrategy {
  /** Whether a 401 can be answered by refreshing (a static token cannot). */
  readonly canRefresh: boolean;
  authorize(tenant: string, signal?: AbortSignal): Promise<ApiAuthorization>;
  /** After a 401 with `used`: the next token to try (refreshing unless someone already has). */
  reauthorize(tenant: string, used: ApiAuthorization, signal?: AbortSignal): Promise<ApiAuthorization>;
  /** Refresh now unless someone already has (the worker's 401 hook). */
  refresh(tenant: string): Promise<void>;
  /**
   * Refresh ahead of expiry (the scheduler's `renewCredentials`): only when
   * the tenant's token expires within `aheadMs`, under the same single-flight
   * lease as every other refresh. Resolves when the current token expires
   * (`null`: unknown). Absent for tokens that cannot be refreshed.
   */
  renew?(tenant: string, options: ApiRenewOptions): Promise<{ expiresAt: Date | null }>;
}

/** What `renew` is asked: refresh if the token expires within `aheadMs`. */
export interface ApiRenewOptions {
  aheadMs: number;
  signal?: AbortSignal | undefined;
}

/** What `createApiClient` hands an auth when it builds the client. */
export interface ApiAuthContext {
  packageName: string;
  /** Connector id: the default credential key is `<source>:<tenant>`. */
  source: string;
  errors: ConnectorErrors;
  fetch?: typeof globalThis.fetch | undefined;
  timeoutMs: number;
  userAgent?: string | undefined;
  now: () => Date;
  retry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
}

/** An auth for `createApiClient`: `staticToken(...)` or `oauth2(...)`. */
export interface ApiAuth {
  create(context: ApiAuthContext): ApiAuthStrategy;
}

export interface StaticTokenOptions {
  /** Message when the token is empty; default `auth.token is required`. */
  missing?: string;
  /** Message when the function gives no token for a tenant; default `no access token for tenant <tenant>`. */
  missingFor?: (tenant: string) => string;
}

/**
 * A bearer token you manage (an API key, a private integration token): one
 * string, or a function picking each tenant's. A 401 is thrown as an `auth`
 * error: there is nothing to refresh.
 */
export function staticToken(
  token: string | ((tenant: string) => string | Promise<string>),
  options: StaticTokenOptions = {},
): ApiAuth {
  return {
    create({ errors }) {
      if (!token) throw errors.configuration(options.missing ?? 'auth.token is required');
      return {
        canRefresh: false,
        async authorize(tenant) {
          const value = typeof token === 'function' ? await token(tenant) : token;
          if (!value)
            throw errors.configuration(options.missingFor?.(tenant) ?? `no access token for tenant ${tenant}`);
          return { token: value };
        },
        reauthorize: async (_tenant, used) => used,
        async refresh() {},
      };
    },
  };
}

const NOT_RETRIED_IN_PROCESS = Symbol.for('act.kit.notRetriedInProcess');

/**
 * Marks `error` so the API client does not retry its call in process: a
 * failed refresh of a rotating refresh token must not be re-sent at once
 * (the worker's own schedule retries the delivery later). Returns it.
 */
export function notRetriedInProcess<T>(error: T): T {
  if (typeof error === 'object' && error !== null) {
    Object.defineProperty(error, NOT_RETRIED_IN_PROCESS, { value: true, enumerable: false });
  }
  return error;
}

/** Was `error` marked with `notRetriedInProcess`? */
export function isNotRetriedInProcess(error: unknown): boolean {
  return typeof error === 'object' && error !== null && NOT_RETRIED_IN_PROCESS in error;
}
