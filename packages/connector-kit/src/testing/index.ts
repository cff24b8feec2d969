/**
 * @module
 * `@act/connector-kit/testing`: conformance and fuzz helpers for connector test suites.
 */
export {
  type FuzzWebhookProcessorOptions,
  fuzzPoison,
  fuzzWebhookProcessor,
  tamperSignature,
  type WebhookFuzzProperty,
  webhookFuzzProperties,
} from './fuzz';
export { seededRandom, shuffle } from './random';
