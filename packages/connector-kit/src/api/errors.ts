import {
  ConfigurationError,
  type ErrorClassV1,
  PayloadError,
  ProviderApiError,
  type ProviderApiErrorOptions,
  ReconnectRequiredError,
} from '@act/core';
import type { z } from 'zod';

/** What was asked, for messages. Leave query strings out of `url`: they may carry secrets. */
export interface ApiRequestDescription {
  method: string;
  url: string;
}

/**
 * How a provider's error bodies read. `schema` is lenient (every field
 * optional); `describe` turns a parsed body into the short detail of the
 * `ProviderApiError` message. Any other body becomes a text excerpt.
 */
export interface ErrorBodyOptions<TBody = unknown> {
  schema: z.ZodType<TBody>;
  describe(body: TBody): string | undefined;
  /** The excerpt of a body that is not JSON (or not the schema's); default the first 200 characters, trimmed. */
  text?(body: string): string;
}

/**
 * `contacts: Invalid input: expected array, received undefined`: the field
 * first, the first `limit` issues (default 3), `(body)` for the root.
 */
export function describeZodError(error: z.ZodError, options: { limit?: number } = {}): string {
  return error.issues
    .slice(0, options.limit ?? 3)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
}

/** The errors of one package, every message prefixed with `[<packageName>]`. */
export interface ConnectorErrors {
  readonly packageName: string;
  /** A setting is missing or wrong (never retried). */
  configuration(message: string, cause?: unknown): ConfigurationError;
  /** A body that cannot be read (dead-lettered). */
  payload(message: string, cause?: unknown): PayloadError;
  /** `<METHOD> <url> answered an unexpected body: <issues>`. */
  unexpectedBody(request: ApiRequestDescription, error: z.ZodError, options?: { limit?: number }): PayloadError;
  /** Any provider failure; the status decides the error class. */
  api(options: Omit<ProviderApiErrorOptions, 'packageName'>): ProviderApiError;
  /**
   * A non-2xx answer. `body` is already read (parsed JSON, or text when it was
   * not JSON); its detail comes from `errorBody`, else a 200-character excerpt,
   * then ` – <options.detail>`.
   */
  fromResponse(
    response: Response,
    body: unknown,
    request: ApiRequestDescription,
    options?: {
      retryAfterMs?: number | undefined;
      detail?: string | undefined;
      errorClass?: ErrorClassV1 | undefined;
    },
  ): ProviderApiError;
  /** No response at all (a timeout, a reset connection): status 0, transient. */
  network(error: unknown, request: ApiRequestDescription): ProviderApiError;
  /** The provider refused the grant: the connection needs a reconnect. */
  reconnect(key: string, reason: string): ReconnectRequiredError;
  /** The detail `fromResponse` would write for `body`. */
  describeBody(body: unknown): string;
}

/**
 * Error constructors bound to one package, so `packageName` is written once.
 *
 * @param options.errorBody The provider's error body shape, for `fromResponse`.
 */
export function createErrors<TBody = unknown>(
  packageName: string,
  options: { errorBody?: ErrorBodyOptions<TBody> | undefined } = {},
): ConnectorErrors {
  const { errorBody } = options;
  const describeBody = (body: unknown): string => {
    if (errorBody) {
      const parsed = errorBody.schema.safeParse(body);
      if (parsed.success) {
        const detail = errorBody.describe(parsed.data);
        if (detail) return detail;
      }
    }
    if (typeof body !== 'string') return '';
    return errorBody?.text ? errorBody.text(body) : body.trim().slice(0, 200);
  };
  const payload = (message: string, cause?: unknown) =>
    new PayloadError({ packageName, message, ...(cause !== undefined ? { cause } : {}) });
  return {
    packageName,
    configuration: (message, cause) =>
      new ConfigurationError({ packageName, message, ...(cause !== undefined ? { cause } : {}) }),
    payload,
    unexpectedBody: (request, error, describeOptions) =>
      payload(
        `${request.method} ${request.url} answered an unexpected body: ${describeZodError(error, describeOptions)}`,
        error,
      ),
    api: (apiOptions) => new ProviderApiError({ packageName, ...apiOptions }),
    fromResponse(response, body, request, extra = {}) {
      const detail = [describeBody(body), extra.detail].filter(Boolean).join(' – ');
      return new ProviderApiError({
        packageName,
        status: response.status,
        method: request.method,
        url: request.url,
        detail,
        retryAfterMs: extra.retryAfterMs,
        ...(extra.errorClass ? { errorClass: extra.errorClass } : {}),
      });
    },
    network: (error, request) =>
      new ProviderApiError({
        packageName,
        status: 0,
        method: request.method,
        url: request.url,
        detail: error instanceof Error ? error.message : String(error),
        cause: error,
      }),
    reconnect: (key, reason) => new ReconnectRequiredError({ packageName, key, reason }),
    describeBody,
  };
}

/** The body as JSON when it parses, as text otherwise, `undefined` when empty. */
export async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
