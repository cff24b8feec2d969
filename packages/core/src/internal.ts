/**
 * @module
 * `@act/core/internal`: the engines connectors and sinks are built from
 * (worker, pipeline, resilience, crypto, row keys). Not for app authors: the
 * main entry is the supported app surface; this entry follows the packages
 * of this repository and may change in any minor release.
 */

export { createWebhookRouter, DEFAULT_PROCESSOR, type WebhookRoute, type WebhookRouter } from './app';
export {
  base64ToBytes,
  createHmacSha256Verifier,
  createPublicKeyVerifier,
  type HmacSha256Verifier,
  hmacSha256VerifierFor,
  type SignatureVerifier,
} from './crypto/fast-crypto';
export { classifyError, type ErrorClassification, errorClassForStatus } from './errors';
export {
  DEFAULT_MAX_BODY_BYTES,
  PART_HEADER,
  PROCESSOR_HEADER,
  SPLIT_OF_HEADER,
  syncCoalesceKey,
} from './http/create-webhook-handler';
export { DEFAULT_RECEIVE_LIMITS } from './http/receive-limits';
export * from './index';
export { DEFAULT_MAX_JSON_DEPTH, ID_LIMITS, type ParseJsonOptions, parseJson } from './input-limits';
export { createMemoryRateLimitStore } from './memory/memory-rate-limit-store';
export {
  describeApplied,
  isChangeOutcome,
  type PreparedEvents,
  pendingIntegrationEvents,
  prepareEvents,
  settleIntegrationEvent,
} from './pipeline/apply-events';
export { applyFieldPolicies, mergeFieldPolicies, stripBlockedFields } from './pipeline/field-policy';
export { bodyDedupeKey, conflictDedupeKey, deliveryDedupeKey, sha256Hex } from './pipeline/idempotency';
export { requireReplayFilter } from './pipeline/replay-filter';
export { type SyncStreamOptions, type SyncStreamResult, streamLeaseName, syncStream } from './pipeline/sync-stream';
export {
  type CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitStateName,
  createCircuitBreaker,
} from './resilience/circuit-breaker';
export { assertCost, assertLimit, assertSlot } from './resilience/rate-limit-checks';
export {
  type ConcurrencyLimit,
  createRateLimiter,
  type RateLimitAcquireOptions,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimitPermit,
  type SlidingWindowLimit,
} from './resilience/rate-limiter';
export {
  computeRetryDelay,
  DEFAULT_RETRY_SCHEDULE_MS,
  parseRetryAfter,
  type RetryDelayOptions,
  type RetryOptions,
  retry,
} from './resilience/retry';
export { createSingleFlight, type SingleFlight } from './resilience/single-flight';
export { createTokenManager, type TokenManager, type TokenManagerOptions } from './resilience/token-manager';
export { canonicalJson, collapseOperations, compareOrder, isLowerInWriteOrder, rowKeyString } from './sink/row-keys';
export {
  resolveConnector,
  resolveStore,
  resolveWebhookProcessor,
  SUPPORTED_SPECIFICATION_VERSION,
} from './spec/resolve';
