import {
  ConfigurationError,
  classifyError,
  createRateLimiter,
  noopLogger,
  PayloadError,
  ProviderApiError,
  retry,
} from '@act/core';
import ky from 'ky';
import { z } from 'zod';
import { toTemplateApiError } from './template-error';
import { describeZodError, type TemplateRecord, templateRecordSchema } from './template-events';
import {
  TEMPLATE_DEFAULT_BASE_URL,
  TEMPLATE_PACKAGE_NAME,
  TEMPLATE_SOURCE,
  type TemplateConnectorSettings,
} from './template-settings';
import { VERSION } from './version';

// Template's API (fictional, made up for the template package):
//   GET /v1/accounts/{account_id}/records/{id}     → the record
//   GET /v1/accounts/{account_id}/records?limit=&updated_since=&cursor=
//       → { records: [...], next_cursor: string | null }, oldest `updated_at` first,
//         `updated_since` inclusive, `limit` at most 100.
// Rate limit: 100 requests per 10 s per account; every response carries
// `X-RateLimit-Remaining`; a 429 carries `Retry-After` (seconds).
// A real connector cites the provider's docs URL beside each of these facts.

/** Template's published limit, per account (fictional). */
export const TEMPLATE_RATE_LIMITS = { burst: { capacity: 100, intervalMs: 10_000 } } as const;

export interface ListTemplateRecordsOptions {
  /** Only records updated at or after this ISO time. */
  updatedSince?: string | null;
  /** `next_cursor` of the previous page. */
  cursor?: string | null;
  /** Records per page, 1–100. */
  limit: number;
  signal?: AbortSignal;
}

export interface TemplateRecordPage {
  records: TemplateRecord[];
  /** `null` on the last page. */
  next_cursor: string | null;
}

/** The calls the connector makes. Every failure is a `ProviderApiError` (or a `PayloadError` for an unreadable body). */
export interface TemplateClient {
  getRecord(tenant: string, id: string, options?: { signal?: AbortSignal }): Promise<TemplateRecord>;
  listRecords(tenant: string, options: ListTemplateRecordsOptions): Promise<TemplateRecordPage>;
}

const listResponseSchema = z.object({
  records: z.array(templateRecordSchema),
  next_cursor: z.string().min(1).nullish(),
});

/**
 * A ky client for Template's API. ky's own retries are off: one request is
 * retried in process by `@act/core`'s `retry` (5xx, timeouts, and 429s whose
 * `Retry-After` is short); anything longer is thrown so the worker puts the
 * delivery back in the inbox. Requests are paced by a per-account token
 * bucket that follows the provider's `X-RateLimit-Remaining`.
 */
export function createTemplateClient(settings: TemplateConnectorSettings): TemplateClient {
  if (!settings.apiToken) {
    throw new ConfigurationError({
      packageName: TEMPLATE_PACKAGE_NAME,
      message: 'apiToken is required (TEMPLATE_API_TOKEN)',
    });
  }
  let baseUrl: URL;
  try {
    // A trailing slash so relative paths extend the base path instead of replacing it.
    baseUrl = new URL(`${(settings.baseUrl ?? TEMPLATE_DEFAULT_BASE_URL).replace(/\/+$/, '')}/`);
  } catch (error) {
    throw new ConfigurationError({
      packageName: TEMPLATE_PACKAGE_NAME,
      message: `baseUrl ${JSON.stringify(settings.baseUrl)} is not a URL`,
      cause: error,
    });
  }
  const logger = settings.logger ?? noopLogger;
  const { maxAttempts = 3, baseDelayMs = 500, maxDelayMs = 5_000 } = settings.retry ?? {};

  const api = ky.create({
    baseUrl,
    headers: {
      authorization: `Bearer ${settings.apiToken}`,
      'user-agent': `act-connector-template/${VERSION}`,
      accept: 'application/json',
    },
    timeout: settings.timeoutMs ?? 10_000,
    retry: 0,
    throwHttpErrors: false,
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
  });
  const limiter = createRateLimiter({
    ...(settings.rateLimitStore ? { store: settings.rateLimitStore } : {}),
    limits: TEMPLATE_RATE_LIMITS,
  });

  // A 429 asking for longer than maxDelayMs is not waited out here.
  const isRetryable = (error: unknown) => {
    const { errorClass, retryAfterMs } = classifyError(error);
    if (errorClass === 'rate_limit') return (retryAfterMs ?? 0) <= maxDelayMs;
    return errorClass === 'transient';
  };

  async function get<T>(
    tenant: string,
    path: string,
    schema: z.ZodType<T>,
    options: { searchParams?: Record<string, string>; signal?: AbortSignal | undefined },
  ): Promise<T> {
    const scope = `${TEMPLATE_SOURCE}:${tenant}`;
    const url = new URL(path, baseUrl).href; // for messages: no query string
    return retry(
      async ({ signal }) => {
        await limiter.acquire(scope, { signal });
        let response: Response;
        try {
          response = await api.get(path, {
            ...(options.searchParams ? { searchParams: options.searchParams } : {}),
            signal,
          });
        } catch (error) {
          if (signal.aborted) throw error;
          // ky's TimeoutError and NetworkError: no response, so status 0 (transient).
          const detail = error instanceof Error ? error.message : String(error);
          throw new ProviderApiError({
            packageName: TEMPLATE_PACKAGE_NAME,
            status: 0,
            method: 'GET',
            url,
            detail,
            cause: error,
          });
        }
        const remaining = response.headers.get('x-ratelimit-remaining');
        if (remaining !== null && /^\d+$/.test(remaining.trim()))
          await limiter.update(scope, 'burst', Number(remaining));
        const body = await readBody(response);
        if (!response.ok) throw toTemplateApiError(response, body, { method: 'GET', url });
        const parsed = schema.safeParse(body);
        if (!parsed.success) {
          throw new PayloadError({
            packageName: TEMPLATE_PACKAGE_NAME,
            message: `GET ${url} answered an unexpected body: ${describeZodError(parsed.error)}`,
            cause: parsed.error,
          });
        }
        return parsed.data;
      },
      {
        maxAttempts,
        baseDelayMs,
        maxDelayMs,
        isRetryable,
        ...(options.signal ? { signal: options.signal } : {}),
        onRetry: ({ attempt, delayMs, error }) =>
          logger.warn(
            {
              source: TEMPLATE_SOURCE,
              tenant,
              attempt,
              delayMs,
              error: error instanceof Error ? error.message : String(error),
            },
            `[${TEMPLATE_PACKAGE_NAME}] GET ${url} failed, retrying`,
          ),
      },
    );
  }

  const accountPath = (tenant: string) => `v1/accounts/${encodeURIComponent(tenant)}/records`;

  return {
    getRecord(tenant, id, options = {}) {
      return get(tenant, `${accountPath(tenant)}/${encodeURIComponent(id)}`, templateRecordSchema, {
        signal: options.signal,
      });
    },
    async listRecords(tenant, { updatedSince, cursor, limit, signal }) {
      const searchParams: Record<string, string> = { limit: String(limit) };
      if (updatedSince) searchParams.updated_since = updatedSince;
      if (cursor) searchParams.cursor = cursor;
      const page = await get(tenant, accountPath(tenant), listResponseSchema, { searchParams, signal });
      return { records: page.records, next_cursor: page.next_cursor ?? null };
    },
  };
}

/** The body as JSON when it parses, as text otherwise, `undefined` when empty. */
async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
