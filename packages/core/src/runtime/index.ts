export {
  computeRetryDelay,
  DEFAULT_RETRY_SCHEDULE_MS,
  parseRetryAfter,
  retry,
  type RetryDelayOptions,
  type RetryOptions,
} from './retry';
export {
  CircuitOpenError,
  createCircuitBreaker,
  type CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitStateName,
} from './circuit-breaker';
export { bodyDedupeKey, deliveryDedupeKey, entityVersionKey, sha256Hex } from './idempotency';
export {
  createMemoryRateLimitStore,
  createRateLimiter,
  type RateLimiter,
  type RateLimiterOptions,
} from './rate-limiter';
export { createSingleFlight, type SingleFlight } from './single-flight';
