/**
 * @module
 * `@act/connector-gmail/testing`: what tests, the demo and benchmarks need to
 * play the provider: its signer, its documented fixtures (byte for byte) and
 * a fake of its API.
 */

export { createGmailFake, type SimulatedRecord, GmailFake, type GmailFakeOptions } from './fake';
export { FIXTURES, SAMPLE_DELIVERIES } from './fixtures';
export { signGmailBody, gmailSigner } from './signer';
export { createSimulation } from './simulation';
