import { CircuitOpenError, classifyError } from '../errors';
import { computeRetryDelay } from '../resilience/retry';
import type { ClaimedDeliveryV1, ErrorClassV1 } from '../spec/v1';

/** What to do with a delivery whose processing failed: the arguments of `StateStoreV1.fail` it decides. */
export interface FailureDecision {
  errorClass: ErrorClassV1;
  /** When to try again; `null` dead-letters the delivery. */
  retryAt: Date | null;
  /** `false` when the attempt must not use up a step of the retry schedule. */
  countsTowardsSchedule: boolean;
  /** The reason recorded on the delivery. */
  reason: string;
}

export interface FailurePolicyOptions {
  /** Delays before each retry of a transient failure; one entry per retry. */
  schedule: readonly number[];
  /** Jitter fraction around each delay (see `computeRetryDelay`). */
  jitter?: number | undefined;
  random?: (() => number) | undefined;
}

/**
 * The worker's failure policy: how a failed delivery is classified and when
 * (if ever) it is tried again.
 *
 * - an open circuit → retried when the breaker allows a trial, not counted
 *   (the dependency was not called at all);
 * - `signature`, `validation`, `transform` → dead-lettered at once with the reason
 *   (retrying the same bytes cannot succeed);
 * - `rate_limit` (429) → retried after `Retry-After` (else the first step of
 *   the schedule), not counted against the schedule;
 * - `transient`, `auth` (after the worker's one refresh), `unknown` → retried
 *   on the schedule with jitter (a `Retry-After` is honoured), dead-lettered
 *   when it runs out.
 */
export function decideFailure(
  error: unknown,
  attempts: number,
  at: Date,
  options: FailurePolicyOptions,
): FailureDecision {
  const { schedule } = options;
  const classified = classifyError(error);
  const reason = classified.message;
  // By name too: an error from an older installed copy of @act/core carries no marker.
  if (CircuitOpenError.isInstance(error) || (error instanceof Error && error.name === 'CircuitOpenError')) {
    return {
      errorClass: 'transient',
      retryAt: new Date(at.getTime() + Math.max(1_000, (error as CircuitOpenError).retryAfterMs || 0)),
      countsTowardsSchedule: false,
      reason,
    };
  }
  const { errorClass } = classified;
  if (errorClass === 'signature' || errorClass === 'validation' || errorClass === 'transform') {
    return { errorClass, retryAt: null, countsTowardsSchedule: true, reason };
  }
  if (errorClass === 'rate_limit') {
    return {
      errorClass,
      retryAt: new Date(at.getTime() + (classified.retryAfterMs ?? schedule[0] ?? 60_000)),
      countsTowardsSchedule: false,
      reason,
    };
  }
  const delay = computeRetryDelay({
    attempt: attempts + 1,
    schedule,
    jitter: options.jitter,
    ...(options.random ? { random: options.random } : {}),
    retryAfterMs: classified.retryAfterMs,
  });
  if (delay === null) {
    return {
      errorClass,
      retryAt: null,
      countsTowardsSchedule: true,
      reason: `retries exhausted after ${attempts + 1} attempts: ${reason}`,
    };
  }
  return { errorClass, retryAt: new Date(at.getTime() + delay), countsTowardsSchedule: true, reason };
}

/**
 * A delivery claimed again after using up the schedule without a failure of
 * ours to classify: its leases kept expiring (it crashes or hangs its
 * worker). It is dead-lettered before it is processed again.
 */
export function isExhausted(delivery: Pick<ClaimedDeliveryV1, 'attempts'>, schedule: readonly number[]): boolean {
  return delivery.attempts > schedule.length;
}

/** The dead-letter decision for an exhausted delivery (see `isExhausted`). */
export function exhaustedDecision(
  delivery: Pick<ClaimedDeliveryV1, 'attempts' | 'lastError' | 'lastErrorClass'>,
): FailureDecision {
  return {
    errorClass: delivery.lastErrorClass ?? 'transient',
    retryAt: null,
    countsTowardsSchedule: false,
    reason: `retries exhausted after ${delivery.attempts} attempts: ${delivery.lastError ?? 'lease expired'}`,
  };
}
