import { describe, expect, it } from 'vitest';
import {
  ActError,
  CircuitOpenError,
  ConfigurationError,
  classifyError,
  errorClassForStatus,
  PayloadError,
  PayloadTooLargeError,
  ProviderApiError,
  RateLimitError,
  ReconnectRequiredError,
  SignatureError,
  StoreUnavailableError,
  TransformError,
} from '../src/errors';

describe('errors', () => {
  it('prefix every message with the package name', () => {
    expect(new SignatureError({ packageName: '@act/connector-xero', message: 'signature mismatch' }).message).toBe(
      '[@act/connector-xero] signature mismatch',
    );
  });

  it('are recognised across copies of @act/core through a global symbol, not instanceof', () => {
    const error = new PayloadError({ packageName: '@act/x', message: 'bad' });
    const foreign = Object.assign(Object.create(null), { [Symbol.for('act.error')]: true });
    expect(ActError.isInstance(error)).toBe(true);
    expect(ActError.isInstance(foreign)).toBe(true);
    expect(ActError.isInstance(new Error('plain'))).toBe(false);
    expect(ActError.isInstance(null)).toBe(false);
  });

  it('each class recognises its own instances from any copy (a Symbol.for marker), and only those', () => {
    const packageName = '@act/x';
    const cases: [{ isInstance(value: unknown): boolean }, ActError, string][] = [
      [SignatureError, new SignatureError({ packageName, message: 'm' }), 'signature'],
      [PayloadError, new PayloadError({ packageName, message: 'm' }), 'payload'],
      [PayloadTooLargeError, new PayloadTooLargeError({ packageName, limitBytes: 1 }), 'payload-too-large'],
      [ConfigurationError, new ConfigurationError({ packageName, message: 'm' }), 'configuration'],
      [TransformError, new TransformError({ packageName, message: 'm' }), 'transform'],
      [StoreUnavailableError, new StoreUnavailableError({ packageName, message: 'm' }), 'store-unavailable'],
      [RateLimitError, new RateLimitError({ packageName, scope: 's', limitName: 'l', retryAfterMs: 1 }), 'rate-limit'],
      [CircuitOpenError, new CircuitOpenError({ name: 'c', retryAfterMs: 1 }), 'circuit-open'],
      [
        ReconnectRequiredError,
        new ReconnectRequiredError({ packageName, key: 'k', reason: 'r' }),
        'reconnect-required',
      ],
      [ProviderApiError, new ProviderApiError({ packageName, status: 500, method: 'GET', url: 'u' }), 'provider-api'],
    ];
    for (const [errorClass, error, marker] of cases) {
      expect(errorClass.isInstance(error)).toBe(true);
      expect(ActError.isInstance(error)).toBe(true);
      // What a second installed copy of @act/core would throw: another class, same global symbol.
      expect(errorClass.isInstance({ [Symbol.for(`act.error.${marker}`)]: true })).toBe(true);
      expect(errorClass.isInstance(new Error('plain'))).toBe(false);
      expect(errorClass.isInstance(undefined)).toBe(false);
      for (const [, other] of cases) if (other !== error) expect(errorClass.isInstance(other)).toBe(false);
    }
  });

  it('map provider statuses to what the worker does next', () => {
    expect(errorClassForStatus(401)).toBe('auth');
    expect(errorClassForStatus(429)).toBe('rate_limit');
    for (const status of [0, 408, 409, 425, 500, 502, 503, 504]) expect(errorClassForStatus(status)).toBe('transient');
    for (const status of [400, 403, 404, 422]) expect(errorClassForStatus(status)).toBe('validation');
  });

  it('classify thrown values, carrying Retry-After', () => {
    const limited = new ProviderApiError({
      packageName: '@act/x',
      status: 429,
      method: 'GET',
      url: 'https://api/x',
      retryAfterMs: 5_000,
    });
    expect(classifyError(limited)).toEqual({
      errorClass: 'rate_limit',
      retryAfterMs: 5_000,
      message: '[@act/x] GET https://api/x failed: HTTP 429',
    });
    expect(classifyError(new TransformError({ packageName: '@act/x', message: 'no' })).errorClass).toBe('transform');
    expect(classifyError(new ConfigurationError({ packageName: '@act/x', message: 'no' })).errorClass).toBe(
      'validation',
    );
    expect(classifyError(Object.assign(new Error('bad'), { name: 'ZodError' })).errorClass).toBe('validation');
    expect(classifyError(Object.assign(new Error('slow'), { name: 'TimeoutError' })).errorClass).toBe('transient');
    expect(classifyError(new TypeError('fetch failed')).errorClass).toBe('transient');
    expect(classifyError(new Error('bug')).errorClass).toBe('unknown');
    expect(classifyError('string thrown')).toEqual({ errorClass: 'unknown', message: 'string thrown' });
  });

  it('recognise ky errors: HTTPError by its response status, NetworkError as transient', () => {
    const httpError = (status: number) =>
      Object.assign(new Error(`Request failed with status code ${status}`), {
        name: 'HTTPError',
        response: { status },
      });
    expect(classifyError(httpError(503)).errorClass).toBe('transient');
    expect(classifyError(httpError(429)).errorClass).toBe('rate_limit');
    expect(classifyError(httpError(404)).errorClass).toBe('validation');
    expect(classifyError(Object.assign(new Error('Network error'), { name: 'NetworkError' })).errorClass).toBe(
      'transient',
    );
  });

  it('tell a ProviderApiError (and its status) from other @act errors', () => {
    const notFound = new ProviderApiError({ packageName: '@act/x', status: 404, method: 'GET', url: 'u' });
    expect(ProviderApiError.isInstance(notFound)).toBe(true);
    expect(ProviderApiError.isInstance(notFound, 404)).toBe(true);
    expect(ProviderApiError.isInstance(notFound, 500)).toBe(false);
    expect(ProviderApiError.isInstance(new PayloadError({ packageName: '@act/x', message: 'm' }))).toBe(false);
    expect(ActError.isInstance(notFound)).toBe(true);
  });

  it('know which classes the worker retries', () => {
    expect(new ProviderApiError({ packageName: '@act/x', status: 503, method: 'GET', url: 'u' }).isRetryable).toBe(
      true,
    );
    expect(
      new ProviderApiError({ packageName: '@act/x', status: 404, method: 'GET', url: 'u', detail: 'not found' })
        .isRetryable,
    ).toBe(false);
    expect(new SignatureError({ packageName: '@act/x', message: 'm' }).isRetryable).toBe(false);
  });
});
