/**
 * @module
 * `@act/connector-ghl/testing`: what tests, the demo and benchmarks need to
 * play the provider: its signer, its documented fixtures (byte for byte) and
 * a fake of its API.
 */

export { createGhlFake, GhlFake, type GhlFakeOptions } from './fake';
export { FIXTURES, SAMPLE_DELIVERIES } from './fixtures';
export {
  type GhlSigningKey,
  generateGhlSigningKey,
  ghlSigner,
  importGhlSigningKey,
  signGhlBody,
  withGhlEnvelope,
} from './signer';
export { createSimulation } from './simulation';
