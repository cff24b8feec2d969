/**
 * @module
 * `@act/core/internal`: the engines connectors and sinks are built from
 * (worker, pipeline, resilience, crypto, row keys). Not for app authors: the
 * main entry is the supported app surface; this entry follows the packages
 * of this repository and may change in any minor release.
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
  type CredentialsKey,
  type EncryptCredentialStoreOptions,
  encryptCredentialStore,
  parseCredentialsKeys,
} from './crypto/encrypted-credential-store';
export {
  base64ToBytes,
  createHmacSha256Verifier,
  createPublicKeyVerifier,
  type HmacSha256Verifier,
  hmacSha256VerifierFor,
  type SignatureVerifier,
} from './crypto/fast-crypto';
export {
  ActError,
  type ActErrorOptions,
  CircuitOpenError,
  ConfigurationError,
  classifyError,
  type ErrorClassification,
  errorClassForStatus,
  PayloadError,
  PayloadTooLargeError,
  ProviderApiError,
  type ProviderApiErrorOptions,
  RateLimitError,
  ReconnectRequiredError,
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
export { DEFAULT_MAX_JSON_DEPTH, ID_LIMITS, type ParseJsonOptions, parseJson } from './input-limits';
export { createMemoryCredentialStore } from './memory/memory-credential-store';
export { createMemoryRateLimitStore } from './memory/memory-rate-limit-store';
export { createMemorySink, type MemorySink, type MemorySinkRow } from './memory/memory-sink';
export {
  createMemoryStateStore,
  type MemoryStateStore,
  type MemoryStateStoreOptions,
} from './memory/memory-state-store';
export { createConsoleLogger, type Logger, type Metrics, noopLogger, noopMetrics } from './observability';
export { applyFieldPolicies, mergeFieldPolicies, stripBlockedFields } from './pipeline/field-policy';
export { assessFreshness, type FreshnessAssessment, type FreshnessStatus } from './pipeline/freshness';
export {
  bodyDedupeKey,
  conflictDedupeKey,
  deliveryDedupeKey,
  sha256Hex,
} from './pipeline/idempotency';
export { type RunPollerOptions, type RunPollerResult, runPoller } from './pipeline/run-poller';
export {
  type ReconciliationReport,
  type RunReconciliationOptions,
  runReconciliation,
} from './pipeline/run-reconciliation';
export {
  createWorker,
  type DeliveryOutcome,
  type Worker,
  type WorkerOptions,
  type WorkerRoundResult,
} from './pipeline/worker';
export {
  type CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitStateName,
  createCircuitBreaker,
} from './resilience/circuit-breaker';
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
export {
  createTokenManager,
  type TokenManager,
  type TokenManagerOptions,
} from './resilience/token-manager';
export { canonicalJson, collapseOperations, compareOrder, isLowerInWriteOrder, rowKeyString } from './sink/row-keys';
export {
  resolveConnector,
  resolveStore,
  resolveWebhookProcessor,
  SUPPORTED_SPECIFICATION_VERSION,
} from './spec/resolve';
export type * from './spec/v1';
export { VERSION } from './version';
