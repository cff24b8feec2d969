import { describe, expect, it } from 'vitest';
import {
  CircuitOpenError,
  PayloadError,
  ProviderApiError,
  SignatureError,
  StoreUnavailableError,
  TransformError,
} from '../src/errors';
import { decideFailure, exhaustedDecision, isExhausted } from '../src/pipeline/failure-policy';

const at = new Date('2026-11-01T12:00:00Z');
const schedule = [1_000, 5_000];
const options = { schedule, jitter: 0 };
const packageName = '@act/x';
const later = (ms: number) => new Date(at.getTime() + ms);

describe('the worker failure policy', () => {
  it('dead-letters signature, validation and transform failures at once', () => {
    for (const error of [
      new SignatureError({ packageName, message: 'bad mac' }),
      new PayloadError({ packageName, message: 'bad json' }),
      new TransformError({ packageName, message: 'no id' }),
    ]) {
      const decision = decideFailure(error, 0, at, options);
      expect(decision.retryAt).toBeNull();
      expect(decision.countsTowardsSchedule).toBe(true);
      expect(decision.reason).toBe(error.message);
    }
  });

  it('retries a rate limit after Retry-After without counting the attempt', () => {
    const error = new ProviderApiError({ packageName, status: 429, method: 'GET', url: 'u', retryAfterMs: 7_000 });
    expect(decideFailure(error, 3, at, options)).toEqual({
      errorClass: 'rate_limit',
      retryAt: later(7_000),
      countsTowardsSchedule: false,
      reason: error.message,
    });
    const bare = new ProviderApiError({ packageName, status: 429, method: 'GET', url: 'u' });
    expect(decideFailure(bare, 0, at, options).retryAt).toEqual(later(1_000));
  });

  it('waits for an open circuit (at least 1 s) without counting the attempt', () => {
    const decision = decideFailure(new CircuitOpenError({ name: 'sink', retryAfterMs: 200 }), 0, at, options);
    expect(decision).toMatchObject({ errorClass: 'transient', retryAt: later(1_000), countsTowardsSchedule: false });
  });

  it('retries transient failures on the schedule, then dead-letters with the attempt count', () => {
    const error = new StoreUnavailableError({ packageName, message: 'down' });
    expect(decideFailure(error, 0, at, options)).toMatchObject({ retryAt: later(1_000), countsTowardsSchedule: true });
    expect(decideFailure(error, 1, at, options).retryAt).toEqual(later(5_000));
    const last = decideFailure(error, 2, at, options);
    expect(last.retryAt).toBeNull();
    expect(last.reason).toBe(`retries exhausted after 3 attempts: ${error.message}`);
    expect(decideFailure(new Error('bug'), 0, at, options)).toMatchObject({
      errorClass: 'unknown',
      retryAt: later(1_000),
    });
  });

  it('dead-letters a delivery claimed again past the schedule with its last error', () => {
    expect(isExhausted({ attempts: 2 }, schedule)).toBe(false);
    expect(isExhausted({ attempts: 3 }, schedule)).toBe(true);
    expect(exhaustedDecision({ attempts: 3, lastError: 'boom', lastErrorClass: 'unknown' })).toEqual({
      errorClass: 'unknown',
      retryAt: null,
      countsTowardsSchedule: false,
      reason: 'retries exhausted after 3 attempts: boom',
    });
    expect(exhaustedDecision({ attempts: 3, lastError: null, lastErrorClass: null })).toMatchObject({
      errorClass: 'transient',
      reason: 'retries exhausted after 3 attempts: lease expired',
    });
  });
});
