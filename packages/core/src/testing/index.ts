/**
 * @module
 * `@act/core/testing`: the contract kits every connector and store runs
 * against itself (in the style of unstorage's `testDriver()`), and helpers
 * to sign fixtures. Imports vitest: install it as a dev dependency.
 */

// The fake-provider contract and its helpers (also `@act/core/testing/fake`, without vitest).
export * from './fake-provider';
export { createWebhookRequest, signHmacSha256 } from './sign';
export { type TestCredentialStoreOptions, testCredentialStore } from './test-credential-store';
export { type TestOutboxStoreOptions, testOutboxStore } from './test-outbox-store';
export { type TestPollerOptions, testPoller } from './test-poller';
export { TEST_SINK_TABLE, type TestSinkOptions, type TestSinkRow, testSink } from './test-sink';
export { makeTestDelivery, type TestStateStoreOptions, testStateStore } from './test-state-store';
export { type TestSyncStoreOptions, testSyncStore } from './test-sync-store';
export { type TestTransformerOptions, type TransformerCase, testTransformer } from './test-transformer';
export { type TestWebhookProcessorOptions, testWebhookProcessor, type WebhookFixture } from './test-webhook-processor';
