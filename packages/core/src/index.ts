/**
 * @module
 * `@act/core`: what an app needs to run @act connectors: `createAct` (one
 * router, one worker, one migrate), pollers and reconciliation, in-memory
 * state for tests, encrypted credentials, the errors a caller may catch, and
 * the v1 contracts every connector and store implements. Engines for writing
 * connectors and stores are in `@act/core/internal` and `@act/connector-kit`.
 * Runs on Node >= 22, Deno, Bun and edge runtimes (no `node:` imports).
 */

export {
  type Act,
  type ActConnector,
  type ActConnectorContext,
  type ActOptions,
  type ActOutbox,
  type ActState,
  createAct,
} from './app';
export {
  type CredentialsKey,
  type EncryptCredentialStoreOptions,
  encryptCredentialStore,
  parseCredentialsKeys,
} from './crypto/encrypted-credential-store';
export {
  ActError,
  type ActErrorOptions,
  CircuitOpenError,
  ConfigurationError,
  CursorExpiredError,
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
export { createWebhookHandler, type WebhookHandler, type WebhookHandlerOptions } from './http/create-webhook-handler';
export { configureReceiveLimits, type ReceiveLimits, type ReceiveLoad, receiveLoad } from './http/receive-limits';
export { createMemoryCredentialStore } from './memory/memory-credential-store';
export { createMemoryOutboxStore } from './memory/memory-outbox-store';
export { createMemorySink, type MemorySink, type MemorySinkRow } from './memory/memory-sink';
export {
  createMemoryStateStore,
  type MemoryStateStore,
  type MemoryStateStoreOptions,
} from './memory/memory-state-store';
export { createMemorySyncStore } from './memory/memory-sync-store';
export { createConsoleLogger, type Logger, type Metrics, noopLogger, noopMetrics } from './observability';
export {
  createOutboxDispatcher,
  DEFAULT_OUTBOX_RETRY_SCHEDULE_MS,
  type ForwardedEventEnvelope,
  forwardedEventEnvelope,
  type HttpDestinationOptions,
  httpDestination,
  type OutboxDispatcher,
  type OutboxDispatcherOptions,
  type OutboxForwarding,
  type OutboxOutcome,
  type OutboxRoundResult,
  type SinkDestinationOptions,
  type SinkDestinationPayload,
  signStandardWebhook,
  sinkDestination,
  verifyStandardWebhook,
} from './outbox';
export { assessFreshness, type FreshnessAssessment, type FreshnessStatus } from './pipeline/freshness';
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
  assessSyncFreshness,
  createScheduler,
  createTickHandler,
  type JobRunSummary,
  jobKey,
  quietThresholdMs,
  type Scheduler,
  type SchedulerOptions,
  type SchedulerTickResult,
  type SyncFreshness,
  type SyncFreshnessAssessment,
  type SyncFreshnessInput,
  type TickHandlerOptions,
} from './scheduler';
export type * from './spec/v1';
export { VERSION } from './version';
