import { createErrors } from '@act/connector-kit';
import type { ProviderApiError } from '@act/core';
import { parseRetryAfter } from '@act/core/internal';
import { z } from 'zod';
import { TEMPLATE_PACKAGE_NAME } from './template-settings';

// Template's error body (fictional): `{ "error": { "code": "not_found", "message": "…" } }`.
// Lenient: any other body still becomes a ProviderApiError, with a text excerpt.
// A real connector cites the provider's docs URL here.
const templateErrorBodySchema = z.object({
  error: z.object({ code: z.string().nullish(), message: z.string().nullish() }),
});

/** The provider's error body, for the kit's client: `not_found: no such record`. */
export const templateErrorBody = {
  schema: templateErrorBodySchema,
  describe: (body: z.infer<typeof templateErrorBodySchema>) =>
    [body.error.code, body.error.message].filter(Boolean).join(': '),
};

/** This package's errors: every message starts with `[@act/connector-template]`. */
export const templateErrors = createErrors(TEMPLATE_PACKAGE_NAME, { errorBody: templateErrorBody });

/**
 * Turn a non-2xx Template response into `@act/core`'s `ProviderApiError`,
 * whose class tells the worker what to do: 401 → refresh and retry, 429 →
 * wait `Retry-After`, 408/409/425/5xx → retry on the schedule, other 4xx
 * (404, 422) → dead-letter.
 *
 * @param body The response body already read: parsed JSON, or text when it was not JSON.
 * @param request What was asked, for the message. Leave query strings out of `url`.
 */
export function toTemplateApiError(
  response: Response,
  body: unknown,
  request: { method: string; url: string },
): ProviderApiError {
  return templateErrors.fromResponse(response, body, request, {
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
  });
}
