/**
 * Xero API failures → `@act/core` errors, through the kit's `createErrors`:
 * every non-2xx answer becomes a `ProviderApiError` whose class tells the
 * worker what to do (401 → refresh the token and retry, 429 → wait
 * `retryAfterMs`, 408/409/425/5xx and network failures → retry on the
 * schedule, any other 4xx → dead-letter). Messages start with
 * `[@act/connector-xero]` and never carry tokens or query strings.
 *
 * What stays here is the provider fact: how Xero's error bodies read, parsed
 * leniently (every field optional; any other body, JSON, XML or text, still
 * becomes an error with a short excerpt):
 * - the Accounting API's `Error` schema, `{ ErrorNumber, Type, Message,
 *   Elements: [{ ValidationErrors: [{ Message }] }] }`
 *   (`xero_accounting.yaml` v16.1.0 `components.schemas.Error`,
 *   https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero_accounting.yaml);
 * - the token endpoint's OAuth 2.0 error, `{ error, error_description }`
 *   (RFC 6749 §5.2; Xero does not document its own refusal body);
 * - `{ Title, Detail, Status }` problem-style bodies (not documented by Xero,
 *   accepted in case it answers 401/403 that way).
 */
import { createErrors, type ErrorBodyOptions } from '@act/connector-kit';
import { z } from 'zod';
import { XERO_PACKAGE_NAME } from './xero-events';

const text = z.string().nullish();

const xeroErrorBodySchema = z.looseObject({
  ErrorNumber: z.number().nullish(),
  Type: text,
  Message: text,
  Elements: z.array(z.looseObject({ ValidationErrors: z.array(z.looseObject({ Message: text })).nullish() })).nullish(),
  error: text,
  error_description: text,
  Title: text,
  Detail: text,
});
export type XeroErrorBody = z.infer<typeof xeroErrorBodySchema>;

/**
 * Xero's error bodies, for `createApiClient`: a short, safe description such as
 * `ValidationException: A validation exception occurred – Email address must be valid.`
 * or `invalid_grant`.
 */
export const XERO_ERROR_BODY: ErrorBodyOptions<XeroErrorBody> = {
  schema: xeroErrorBodySchema,
  describe(body) {
    const validation = (body.Elements ?? [])
      .flatMap((element) => element.ValidationErrors ?? [])
      .map((error) => error.Message)
      .filter((message): message is string => typeof message === 'string' && message !== '');
    const head = [body.Type, body.Message ?? body.Title, body.Detail, body.error, body.error_description]
      .filter((part): part is string => typeof part === 'string' && part !== '')
      .filter((part, index, all) => all.indexOf(part) === index);
    const parts = [head.join(': '), validation.slice(0, 3).join('; ')].filter((part) => part !== '');
    return parts.length ? parts.join(' – ').slice(0, 300) : undefined;
  },
  // An HTML or XML error page on one line.
  text: (body) => body.replace(/\s+/g, ' ').trim().slice(0, 200),
};

/** The connector's errors, every message prefixed with `[@act/connector-xero]`. */
export const xeroErrors = createErrors(XERO_PACKAGE_NAME, { errorBody: XERO_ERROR_BODY });

/**
 * Turn a non-2xx Xero response into a `ProviderApiError` (`body` already read:
 * parsed JSON, or text when it was not JSON; leave query strings out of `url`).
 */
export const toXeroApiError = xeroErrors.fromResponse;
