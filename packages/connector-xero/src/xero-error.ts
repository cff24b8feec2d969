/**
 * Xero API failures → `@act/core` errors.
 *
 * ```ts
 * toXeroApiError(response: Response, body: unknown, request: { method: string; url: string },
 *   options?: { retryAfterMs?: number; detail?: string }): ProviderApiError
 * xeroNetworkError(error: unknown, request: { method: string; url: string }): ProviderApiError
 * parseXeroErrorBody(body: unknown): XeroErrorBody | undefined
 * describeXeroErrorBody(body: unknown): string
 * ```
 *
 * Every non-2xx answer becomes a `ProviderApiError`; its class tells the
 * worker what to do: 401 → refresh the token and retry, 429 → wait
 * `retryAfterMs`, 408/409/425/5xx and network failures → retry on the
 * schedule, any other 4xx → dead-letter. Messages start with
 * `[@act/connector-xero]` and never carry tokens or query strings.
 *
 * Error bodies, parsed leniently (every field optional; any other body, JSON,
 * XML or text, still becomes an error with a short excerpt):
 * - the Accounting API's `Error` schema, `{ ErrorNumber, Type, Message,
 *   Elements: [{ ValidationErrors: [{ Message }] }] }`
 *   (`xero_accounting.yaml` v16.1.0 `components.schemas.Error`,
 *   https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero_accounting.yaml);
 * - the token endpoint's OAuth 2.0 error, `{ error, error_description }`
 *   (RFC 6749 §5.2; Xero does not document its own refusal body);
 * - `{ Title, Detail, Status }` problem-style bodies (not documented by Xero,
 *   accepted in case it answers 401/403 that way).
 */
import { ProviderApiError } from '@act/core';
import { z } from 'zod';
import { XERO_PACKAGE_NAME } from './xero-events';

const text = z.string().nullish();

const xeroErrorBodySchema = z.looseObject({
  ErrorNumber: z.number().nullish(),
  Type: text,
  Message: text,
  Elements: z
    .array(
      z.looseObject({
        ValidationErrors: z.array(z.looseObject({ Message: text })).nullish(),
      }),
    )
    .nullish(),
  error: text,
  error_description: text,
  Title: text,
  Detail: text,
});
export type XeroErrorBody = z.infer<typeof xeroErrorBodySchema>;

/** The error body when it is a JSON object of one of the shapes above, else `undefined`. */
export function parseXeroErrorBody(body: unknown): XeroErrorBody | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const parsed = xeroErrorBodySchema.safeParse(body);
  return parsed.success ? parsed.data : undefined;
}

/**
 * A short, safe description of an error body: `ValidationException: A validation
 * exception occurred – Email address must be valid.`, `invalid_grant`, or a text excerpt.
 */
export function describeXeroErrorBody(body: unknown): string {
  const parsed = parseXeroErrorBody(body);
  if (parsed) {
    const validation = (parsed.Elements ?? [])
      .flatMap((element) => element.ValidationErrors ?? [])
      .map((error) => error.Message)
      .filter((message): message is string => typeof message === 'string' && message !== '');
    const head = [parsed.Type, parsed.Message ?? parsed.Title, parsed.Detail, parsed.error, parsed.error_description]
      .filter((part): part is string => typeof part === 'string' && part !== '')
      .filter((part, index, all) => all.indexOf(part) === index);
    const parts = [head.join(': '), validation.slice(0, 3).join('; ')].filter((part) => part !== '');
    if (parts.length) return parts.join(' – ').slice(0, 300);
  }
  if (typeof body === 'string') return body.replace(/\s+/g, ' ').trim().slice(0, 200);
  return '';
}

/**
 * Turn a non-2xx Xero response into a `ProviderApiError`.
 *
 * @param body The body already read: parsed JSON, or text when it was not JSON.
 * @param request What was asked, for the message. Leave query strings out of `url`.
 * @param options.retryAfterMs How long to wait before retrying: from `Retry-After`
 *   and `X-Rate-Limit-Problem` (see xero-rate-limits.ts).
 */
export function toXeroApiError(
  response: Response,
  body: unknown,
  request: { method: string; url: string },
  options: { retryAfterMs?: number | undefined; detail?: string | undefined } = {},
): ProviderApiError {
  const described = describeXeroErrorBody(body);
  const detail = [described, options.detail].filter((part) => part).join(' – ');
  return new ProviderApiError({
    packageName: XERO_PACKAGE_NAME,
    status: response.status,
    method: request.method,
    url: request.url,
    ...(detail ? { detail } : {}),
    ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}),
  });
}

/** No response at all (ky's `TimeoutError`, a reset connection): status 0, transient. */
export function xeroNetworkError(error: unknown, request: { method: string; url: string }): ProviderApiError {
  return new ProviderApiError({
    packageName: XERO_PACKAGE_NAME,
    status: 0,
    method: request.method,
    url: request.url,
    detail: error instanceof Error ? error.message : String(error),
    cause: error,
  });
}
