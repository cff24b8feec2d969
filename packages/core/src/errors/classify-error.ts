import type { ErrorClassV1 } from '../spec/v1';
import { ActError } from './act-error';
import { errorClassForStatus } from './provider-api-error';

export interface ErrorClassification {
  errorClass: ErrorClassV1;
  /** Provider-requested wait, when the error carries one. */
  retryAfterMs?: number;
  message: string;
}

/**
 * Decide how the worker treats a thrown value. @act errors carry their class;
 * a few well-known foreign errors are recognised by name (zod's `ZodError` is
 * a validation error, and so is a `RangeError` such as a stack overflow:
 * deterministic for its input; `TimeoutError`/`AbortError` and undici's
 * `fetch failed` are transient); anything else is `unknown` and retried on
 * the schedule.
 */
export function classifyError(error: unknown): ErrorClassification {
  const message = error instanceof Error ? error.message : String(error);
  if (ActError.isInstance(error)) {
    const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs;
    return {
      errorClass: error.errorClass,
      message,
      ...(typeof retryAfterMs === 'number' ? { retryAfterMs } : {}),
    };
  }
  if (error instanceof Error) {
    if (error.name === 'ZodError') return { errorClass: 'validation', message };
    // A RangeError is decided by its input: a stack overflow on a value nested too deeply
    // (`Maximum call stack size exceeded`), an invalid date, array or string length. The
    // same delivery fails the same way on every retry, so it is dead-lettered with the reason.
    if (error.name === 'RangeError') {
      return {
        errorClass: 'validation',
        message: /call stack/i.test(message)
          ? `${message} (a stack overflow: the input is nested too deeply to process; a retry fails the same way)`
          : message,
      };
    }
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return { errorClass: 'transient', message };
    // ky (the HTTP client connectors use) throws HTTPError with the response
    // for non-2xx answers and NetworkError when no response arrived.
    if (error.name === 'HTTPError') {
      const status = (error as { response?: { status?: unknown } }).response?.status;
      if (typeof status === 'number') return { errorClass: errorClassForStatus(status), message };
    }
    if (error.name === 'NetworkError') return { errorClass: 'transient', message };
    if (error.name === 'TypeError' && /fetch failed|network/i.test(message)) {
      return { errorClass: 'transient', message };
    }
  }
  return { errorClass: 'unknown', message };
}
