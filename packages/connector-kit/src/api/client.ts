import { classifyError, type Logger, noopLogger, ProviderApiError, parseRetryAfter, retry } from '@act/core/internal';
import ky, { type KyInstance } from 'ky';
import type { z } from 'zod';
import { type ApiAuth, type ApiAuthorization, type ApiRenewOptions, isNotRetriedInProcess } from './auth';
import { type ConnectorErrors, createErrors, type ErrorBodyOptions, readBody } from './errors';
import type { ApiRateLimits } from './rate-limits';

export interface ApiRetryOptions {
  /** Default 3. */
  maxAttempts?: number;
  /** Default 500 ms. */
  baseDelayMs?: number;
  /** Default 10 s: a 429 asking for longer is handed back to the worker, not waited out. */
  maxDelayMs?: number;
}

export interface ApiClientOptions<TErrorBody = unknown> {
  /** npm package: every error message starts with `[<packageName>]`. */
  packageName: string;
  /** Connector id, for logs and default credential keys (`<source>:<tenant>`). */
  source: string;
  /** The API's base URL; request paths extend it (a path in it is kept). */
  baseUrl: string;
  auth: ApiAuth;
  /** Headers every request of a tenant carries (e.g. a tenant-id header). */
  headers?: (tenant: string) => Record<string, string>;
  /** `User-Agent`, e.g. `act-connector-ghl/1.2.3`. */
  userAgent?: string;
  /** How calls are paced; default none. See `bucketRateLimits`. */
  rateLimits?: ApiRateLimits | undefined;
  /** The provider's error body, for error messages. */
  errorBody?: ErrorBodyOptions<TErrorBody> | undefined;
  /** In-process retries of one call (network failures, 5xx, short 429s). */
  retry?: ApiRetryOptions | undefined;
  /** Per request, default 10 000 ms. */
  timeoutMs?: number | undefined;
  fetch?: typeof globalThis.fetch | undefined;
  logger?: Logger | undefined;
  now?: (() => Date) | undefined;
  /** Message when a call has no tenant; default `a tenant is required`. */
  tenantRequired?: string;
  /**
   * A provider fact: answers other than 429 that mean "slow down" (Google's
   * 403 with reason `rateLimitExceeded` or `userRateLimitExceeded`). They are
   * handled as a 429: the limits' `rateLimited` classifies them, they are
   * retried with backoff in process and handed back as a rate limit (never
   * dead-lettered as a refused request).
   */
  isRateLimited?: ((response: Response, body: unknown) => boolean) | undefined;
}

export interface ApiRequest<T> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the base URL, e.g. `contacts/search` (a leading slash is ignored). */
  path: string;
  /** A `URLSearchParams` repeats a parameter (Gmail's `metadataHeaders=From&metadataHeaders=To`). */
  searchParams?: Record<string, string> | URLSearchParams | undefined;
  json?: unknown;
  headers?: Record<string, string> | undefined;
  /** The response body's shape: a body that does not match is a `PayloadError`. */
  schema: z.ZodType<T>;
  signal?: AbortSignal | undefined;
  /**
   * May a failed call be sent again in process? Defaults to `true` for GET,
   * PUT and DELETE, `false` for POST and PATCH: a create whose answer was
   * lost (a timeout, a 5xx) may already exist at the provider, so only a 429
   * (refused before it was processed) is retried. Set it for a POST that
   * only reads or upserts by key.
   */
  idempotent?: boolean | undefined;
}

export interface ApiClient {
  /**
   * One call: limiter → token (read after the wait) → fetch → budgets aligned
   * → 401 refresh once → 429 wait → `ProviderApiError` → schema; retried in
   * process on the retry policy.
   */
  request<T>(tenant: string, request: ApiRequest<T>): Promise<T>;
  /** `request`, with a 404 answered as `null`. */
  find<T>(tenant: string, request: ApiRequest<T>): Promise<T | null>;
  /** The worker's 401 hook: refresh the tenant's token unless someone already has. A no-op for static tokens. */
  refreshCredentials(tenant: string): Promise<void>;
  /**
   * The scheduler's `renewCredentials`: refresh the tenant's token if it
   * expires within `aheadMs` (single-flight, under the refresh lease), and
   * say when the current one expires. Present only for an auth that can
   * refresh (OAuth); a static token has none, so a connector leaves the hook out.
   */
  renewCredentials?(tenant: string, options: ApiRenewOptions): Promise<{ expiresAt: Date | null }>;
  readonly baseUrl: URL;
  readonly errors: ConnectorErrors;
}

/**
 * An API client over ky (ky's own retries off: one call is retried in process
 * by `@act/core`'s `retry`; anything longer is thrown so the worker
 * reschedules the delivery).
 *
 * @throws ConfigurationError for a bad base URL or missing auth settings.
 */
export function createApiClient<TErrorBody = unknown>(options: ApiClientOptions<TErrorBody>): ApiClient {
  const errors = createErrors(options.packageName, { errorBody: options.errorBody });
  let baseUrl: URL;
  try {
    // A trailing slash so relative paths extend the base path instead of replacing it.
    baseUrl = new URL(`${options.baseUrl.replace(/\/+$/, '')}/`);
  } catch (error) {
    throw errors.configuration(`baseUrl ${JSON.stringify(options.baseUrl)} is not a URL`, error);
  }
  const logger = options.logger ?? noopLogger;
  const now = options.now ?? (() => new Date());
  const { maxAttempts = 3, baseDelayMs = 500, maxDelayMs = 10_000 } = options.retry ?? {};
  const timeoutMs = options.timeoutMs ?? 10_000;
  const api: KyInstance = ky.create({
    baseUrl,
    headers: { accept: 'application/json', ...(options.userAgent ? { 'user-agent': options.userAgent } : {}) },
    timeout: timeoutMs,
    retry: 0,
    throwHttpErrors: false,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const auth = options.auth.create({
    packageName: options.packageName,
    source: options.source,
    errors,
    fetch: options.fetch,
    timeoutMs,
    userAgent: options.userAgent,
    now,
    retry: { maxAttempts, baseDelayMs, maxDelayMs },
  });
  const rateLimits: ApiRateLimits = options.rateLimits ?? { run: (_tenant, send) => send() };

  const isRetryable = (error: unknown, idempotent: boolean) => {
    if (isNotRetriedInProcess(error)) return false;
    const { errorClass, retryAfterMs } = classifyError(error);
    if (!idempotent && errorClass !== 'rate_limit') return false;
    // The limiter's own refusal (RateLimitError): the wait was too long for this call, hand it back.
    if (!ProviderApiError.isInstance(error)) return errorClass === 'transient';
    if (errorClass === 'rate_limit') return (retryAfterMs ?? 0) <= maxDelayMs;
    return errorClass === 'transient';
  };

  async function send<T>(tenant: string, call: ApiRequest<T>, allowNotFound: boolean): Promise<T | null> {
    if (!tenant) throw errors.configuration(options.tenantRequired ?? 'a tenant is required');
    const path = call.path.replace(/^\/+/, '');
    const url = new URL(path, baseUrl).href; // for messages: no query string
    const what = { method: call.method, url };
    return retry(
      async ({ signal }) => {
        // After a 401, the token the refresh produced; otherwise read just
        // before sending, so a call that waited for the limiter never sends a stale one.
        let authorization: ApiAuthorization | undefined;
        let refreshed = false;
        for (;;) {
          const { response, body, used } = await rateLimits.run(
            tenant,
            async () => {
              const used = authorization ?? (await auth.authorize(tenant, signal));
              let answer: Response;
              try {
                answer = await api(path, {
                  method: call.method,
                  headers: {
                    ...call.headers,
                    ...options.headers?.(tenant),
                    authorization: `Bearer ${used.token}`,
                  },
                  ...(call.searchParams ? { searchParams: call.searchParams } : {}),
                  ...(call.json !== undefined ? { json: call.json } : {}),
                  signal,
                });
              } catch (error) {
                if (signal.aborted) throw error;
                throw errors.network(error, what);
              }
              // The body is read while any concurrency slot is held: the call is in flight until then.
              return { response: answer, body: await readBody(answer), used };
            },
            { signal },
          );
          await rateLimits.align?.(tenant, response);
          if (response.status === 401 && auth.canRefresh && !refreshed) {
            // The token was refused: refresh once (single-flight, across
            // workers), then repeat the request with the new token.
            refreshed = true;
            authorization = await auth.reauthorize(tenant, used, signal);
            logger.info(
              { source: options.source, tenant },
              `[${options.packageName}] ${call.method} ${url}: 401, token refreshed`,
            );
            continue;
          }
          if (response.status === 404 && allowNotFound) return null;
          if (!response.ok) {
            let retryAfterMs: number | undefined;
            let detail: string | undefined;
            const limited = response.status === 429 || options.isRateLimited?.(response, body) === true;
            if (limited && rateLimits.rateLimited) {
              ({ retryAfterMs, detail } = await rateLimits.rateLimited(tenant, response));
            } else {
              retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now().getTime());
            }
            throw errors.fromResponse(response, body, what, {
              retryAfterMs,
              detail,
              ...(limited ? { errorClass: 'rate_limit' as const } : {}),
            });
          }
          const parsed = call.schema.safeParse(body);
          if (!parsed.success) throw errors.unexpectedBody(what, parsed.error);
          return parsed.data;
        }
      },
      {
        maxAttempts,
        baseDelayMs,
        maxDelayMs,
        isRetryable: (error: unknown) =>
          isRetryable(error, call.idempotent ?? (call.method !== 'POST' && call.method !== 'PATCH')),
        ...(call.signal ? { signal: call.signal } : {}),
        onRetry: ({ attempt, delayMs, error }) =>
          logger.warn(
            {
              source: options.source,
              tenant,
              attempt,
              delayMs,
              error: error instanceof Error ? error.message : String(error),
            },
            `[${options.packageName}] ${call.method} ${url} failed, retrying`,
          ),
      },
    );
  }

  const renew = auth.renew?.bind(auth);
  return {
    request: (tenant, call) => send(tenant, call, false) as Promise<never>,
    find: (tenant, call) => send(tenant, call, true),
    refreshCredentials: (tenant) => auth.refresh(tenant),
    ...(renew
      ? {
          renewCredentials(tenant: string, renewal: ApiRenewOptions) {
            if (!tenant) throw errors.configuration(options.tenantRequired ?? 'a tenant is required');
            return renew(tenant, renewal);
          },
        }
      : {}),
    baseUrl,
    errors,
  };
}
