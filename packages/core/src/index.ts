/**
 * @module
 * `@act/core`: the contracts every @act connector and store implements, the
 * web-standard receive path, the inbox worker, and resilience helpers.
 * Runs on Node >= 22, Deno, Bun and edge runtimes (no `node:` imports).
 */

export {
  type Act,
  type ActConnector,
  type ActConnectorContext,
  type ActOptions,
  type ActState,
  createAct,
  createWebhookRouter,
  DEFAULT_PROCESSOR,
  type WebhookRoute,
  type WebhookRouter,
} from './app';
export {
  ActError,
  type ActErrorOptions,
  ConfigurationError,
  classifyError,
  type ErrorClassification,
  errorClassForStatus,
  PayloadError,
  PayloadTooLargeError,
  ProviderApiError,
  type ProviderApiErrorOptions,
  RateLimitError,
  SignatureError,
  StoreUnavailableError,
  TransformError,
} from './errors';
export {
  createWebhookHandler,
  DEFAULT_MAX_BODY_BYTES,
  PART_HEADER,
  PROCESSOR_HEADER,
  SPLIT_OF_HEADER,
  type WebhookHandler,
  type WebhookHandlerOptions,
} from './http/create-webhook-handler';
export {
  configureReceiveLimits,
  DEFAULT_RECEIVE_LIMITS,
  type ReceiveLimits,
  type ReceiveLoad,
  receiveLoad,
} from './http/receive-limits';
export { createMemoryCredentialStore } from './memory/memory-credential-store';
export {
  canonicalJson,
  collapseOperations,
  createMemorySink,
  type MemorySink,
  type MemorySinkRow,
} from './memory/memory-sink';
export {
  createMemoryStateStore,
  type MemoryStateStore,
  type MemoryStateStoreOptions,
} from './memory/memory-state-store';
export { createConsoleLogger, type Logger, type Metrics, noopLogger, noopMetrics } from './observability';
export {
  type CircuitBreaker,
  type CircuitBreakerOptions,
  CircuitOpenError,
  type CircuitStateName,
  createCircuitBreaker,
} from './runtime/circuit-breaker';
export {
  type CredentialsKey,
  type EncryptCredentialStoreOptions,
  encryptCredentialStore,
  parseCredentialsKeys,
} from './runtime/encrypted-credential-store';
export {
  base64ToBytes,
  createHmacSha256Verifier,
  createPublicKeyVerifier,
  type HmacSha256Verifier,
  hmacSha256VerifierFor,
  type SignatureVerifier,
} from './runtime/fast-crypto';
export { applyFieldPolicies, mergeFieldPolicies, stripBlockedFields } from './runtime/field-policy';
export { assessFreshness, type FreshnessAssessment, type FreshnessStatus } from './runtime/freshness';
export {
  bodyDedupeKey,
  conflictDedupeKey,
  deliveryDedupeKey,
  entityVersionKey,
  sha256Hex,
} from './runtime/idempotency';
export { DEFAULT_MAX_JSON_DEPTH, ID_LIMITS, type ParseJsonOptions, parseJson } from './runtime/input-limits';
export {
  type ConcurrencyLimit,
  createMemoryRateLimitStore,
  createRateLimiter,
  type RateLimitAcquireOptions,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimitPermit,
  type SlidingWindowLimit,
} from './runtime/rate-limiter';
export {
  computeRetryDelay,
  DEFAULT_RETRY_SCHEDULE_MS,
  parseRetryAfter,
  type RetryDelayOptions,
  type RetryOptions,
  retry,
} from './runtime/retry';
export { type RunPollerOptions, type RunPollerResult, runPoller } from './runtime/run-poller';
export {
  type ReconciliationReport,
  type RunReconciliationOptions,
  runReconciliation,
} from './runtime/run-reconciliation';
export { createSingleFlight, type SingleFlight } from './runtime/single-flight';
export {
  createTokenManager,
  ReconnectRequiredError,
  type TokenManager,
  type TokenManagerOptions,
} from './runtime/token-manager';
export {
  createWorker,
  type DeliveryOutcome,
  type Worker,
  type WorkerOptions,
  type WorkerRoundResult,
} from './runtime/worker';
export type * from './spec/v1';
export { VERSION } from './version';
