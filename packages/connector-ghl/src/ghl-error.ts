/**
 * GoHighLevel API failures → `@act/core` errors.
 *
 * ```ts
 * ghlErrors: ConnectorErrors            // @act/connector-kit's createErrors, bound to this package
 * toGhlApiError(response: Response, body: unknown, request: { method: string; url: string },
 *   options?: { retryAfterMs?: number }): ProviderApiError
 * ```
 *
 * Every non-2xx answer becomes a `ProviderApiError` (its class tells the
 * worker what to do: 401 → refresh and retry, 429 → wait, 408/409/425/5xx →
 * retry on the schedule, other 4xx → dead-letter). Messages start with
 * `[@act/connector-ghl]`.
 */
import { createErrors } from '@act/connector-kit';
import type { ProviderApiError } from '@act/core';
import { z } from 'zod';

/** Prefix of every error message this package raises. */
export const GHL_PACKAGE_NAME = '@act/connector-ghl';
/** Connector id: the `source` of every event, cursor, credential key and rate budget. */
export const GHL_SOURCE = 'ghl';

// GHL's error bodies: the shared DTOs of the official OpenAPI specs
// (https://github.com/GoHighLevel/highlevel-api-docs/blob/main/common/common-schemas.json:
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

/** GHL's error body for the kit's client: `Unauthorized: Invalid JWT`. */
export const ghlErrorBody = {
  schema: ghlErrorBodySchema,
  describe(parsed: GhlErrorBody): string | undefined {
    const message = Array.isArray(parsed.message) ? parsed.message.join('; ') : parsed.message;
    const parts = [parsed.error, message ?? parsed.error_description].filter(
      (part): part is string => typeof part === 'string' && part !== '',
    );
    // `error` and `message` are often the same words ("Unauthorized").
    const unique = [...new Set(parts)];
    return unique.length ? unique.join(': ').slice(0, 300) : undefined;
  },
};

/** This package's errors, every message prefixed with `[@act/connector-ghl]`. */
export const ghlErrors = createErrors(GHL_PACKAGE_NAME, { errorBody: ghlErrorBody });

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
  return ghlErrors.fromResponse(response, body, request, options);
}
