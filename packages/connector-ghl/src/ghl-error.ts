/**
 * GoHighLevel API failures → `@act/core` errors.
 *
 * ```ts
 * toGhlApiError(response: Response, body: unknown, request: { method: string; url: string },
 *   options?: { retryAfterMs?: number }): ProviderApiError
 * ghlNetworkError(error: unknown, request: { method: string; url: string }): ProviderApiError
 * ```
 *
 * Every non-2xx answer becomes a `ProviderApiError` (its class tells the
 * worker what to do: 401 → refresh and retry, 429 → wait, 408/409/425/5xx →
 * retry on the schedule, other 4xx → dead-letter). Messages start with
 * `[@act/connector-ghl]`.
 */
import { ProviderApiError } from '@act/core';
import { z } from 'zod';

/** Prefix of every error message this package raises. */
export const GHL_PACKAGE_NAME = '@act/connector-ghl';
/** Connector id: the `source` of every event, cursor, credential key and rate budget. */
export const GHL_SOURCE = 'ghl';

// GHL's error bodies. The fact sheet (shared/providers/ghl-xero.md) does not
// describe them; the shapes below are the shared DTOs of the official OpenAPI
// specs (https://github.com/GoHighLevel/highlevel-api-docs, common/common-schemas.json:
// BadRequestDTO `{ statusCode, message }`, UnauthorizedDTO `{ statusCode, message, error }`,
// UnprocessableDTO `{ statusCode, message: string[], error }`). The token
// endpoint's refusal body is not documented at all; OAuth 2.0 (RFC 6749 §5.2)
// says `{ error, error_description }`. So everything is optional and any
// other body still becomes a ProviderApiError, with a text excerpt.
const ghlErrorBodySchema = z.looseObject({
  statusCode: z.number().nullish(),
  message: z.union([z.string(), z.array(z.string())]).nullish(),
  error: z.string().nullish(),
  error_description: z.string().nullish(),
  traceId: z.string().nullish(),
});
export type GhlErrorBody = z.infer<typeof ghlErrorBodySchema>;

/** The error body when it has GHL's (or OAuth's) shape, else `undefined`. */
export function parseGhlErrorBody(body: unknown): GhlErrorBody | undefined {
  const parsed = ghlErrorBodySchema.safeParse(body);
  return parsed.success ? parsed.data : undefined;
}

/** A short, safe description of an error body: `Unauthorized: Invalid JWT`, or a text excerpt. */
export function describeGhlErrorBody(body: unknown): string {
  const parsed = parseGhlErrorBody(body);
  if (parsed) {
    const message = Array.isArray(parsed.message) ? parsed.message.join('; ') : parsed.message;
    const parts = [parsed.error, message ?? parsed.error_description].filter(
      (part): part is string => typeof part === 'string' && part !== '',
    );
    // `error` and `message` are often the same words ("Unauthorized").
    const unique = [...new Set(parts)];
    if (unique.length) return unique.join(': ').slice(0, 300);
  }
  if (typeof body === 'string') return body.trim().slice(0, 200);
  return '';
}

/**
 * Turn a non-2xx GHL response into a `ProviderApiError`.
 *
 * @param body The body already read: parsed JSON, or text when it was not JSON.
 * @param request What was asked, for the message. Leave query strings out of `url`.
 * @param options.retryAfterMs How long to wait before retrying (429): computed by the
 *   client from `Retry-After` or GHL's `X-RateLimit-*` headers (see ghl-rate-limits.ts).
 */
export function toGhlApiError(
  response: Response,
  body: unknown,
  request: { method: string; url: string },
  options: { retryAfterMs?: number | undefined } = {},
): ProviderApiError {
  const detail = describeGhlErrorBody(body);
  return new ProviderApiError({
    packageName: GHL_PACKAGE_NAME,
    status: response.status,
    method: request.method,
    url: request.url,
    ...(detail ? { detail } : {}),
    ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}),
  });
}

/** No response at all (ky's `TimeoutError`, a reset connection): status 0, transient. */
export function ghlNetworkError(error: unknown, request: { method: string; url: string }): ProviderApiError {
  return new ProviderApiError({
    packageName: GHL_PACKAGE_NAME,
    status: 0,
    method: request.method,
    url: request.url,
    detail: error instanceof Error ? error.message : String(error),
    cause: error,
  });
}
