import { ProviderApiError, parseRetryAfter } from '@act/core';
import { z } from 'zod';
import { TEMPLATE_PACKAGE_NAME } from './template-settings';

// Template's error body (fictional): `{ "error": { "code": "not_found", "message": "…" } }`.
// Lenient: any other body still becomes a ProviderApiError, with a text excerpt.
const templateErrorBodySchema = z.object({
  error: z.object({ code: z.string().nullish(), message: z.string().nullish() }),
});

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
  const parsed = templateErrorBodySchema.safeParse(body);
  const detail = parsed.success
    ? [parsed.data.error.code, parsed.data.error.message].filter(Boolean).join(': ')
    : typeof body === 'string'
      ? body.trim().slice(0, 200)
      : '';
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  return new ProviderApiError({
    packageName: TEMPLATE_PACKAGE_NAME,
    status: response.status,
    method: request.method,
    url: request.url,
    ...(detail ? { detail } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}
