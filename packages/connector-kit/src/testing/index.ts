/**
 * @module
 * `@act/connector-kit/testing`: conformance and fuzz helpers for connector test suites.
 */
export {
  type ConformanceDatabase,
  type TestConnectorOptions,
  type TestReconcilerOptions,
  testConnector,
  testReconciler,
} from './conformance';
export { FakeProviderBase, type FakeProviderBaseOptions, fixtureReader } from './fake';
export {
  type FuzzWebhookProcessorOptions,
  fuzzPoison,
  fuzzWebhookProcessor,
  tamperSignature,
  type WebhookFuzzProperty,
  webhookFuzzProperties,
} from './fuzz';
export { seededRandom, shuffle } from './random';
export { type SecretSignerOptions, secretSigner, secretSignerOption, signerSecret } from './signer';
