/**
 * @module
 * `@act/connector-gmail/testing`: what tests, the demo and benchmarks need to
 * play the provider: its signer, its documented fixtures (byte for byte) and
 * a fake of its API.
 */

export { createGmailFake, GmailFake, type GmailFakeOptions, type SimulatedRecord } from './fake';
export { FIXTURES, SAMPLE_DELIVERIES } from './fixtures';
export { gmailSigner, signGmailBody } from './signer';
export { createSimulation } from './simulation';
