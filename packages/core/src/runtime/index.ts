export {
  type CircuitBreaker,
  type CircuitBreakerOptions,
  CircuitOpenError,
  type CircuitStateName,
  createCircuitBreaker,
} from './circuit-breaker';
export { bodyDedupeKey, deliveryDedupeKey, entityVersionKey, sha256Hex } from './idempotency';
export {
  type ConcurrencyLimit,
  createMemoryRateLimitStore,
  createRateLimiter,
  type RateLimitAcquireOptions,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimitPermit,
  type SlidingWindowLimit,
} from './rate-limiter';
export {
  computeRetryDelay,
  DEFAULT_RETRY_SCHEDULE_MS,
  parseRetryAfter,
  type RetryDelayOptions,
  type RetryOptions,
  retry,
} from './retry';
export { createSingleFlight, type SingleFlight } from './single-flight';
