/**
 * @module
 * `@act/connector-xero/testing`: what tests, the demo and benchmarks need to
 * play the provider: its signer, its documented fixtures (byte for byte) and
 * a fake of its API.
 */

/** A listed record as the event a poll produces, to feed the transformer documented records in tests. */
export { xeroRecordToEvent } from '../xero-poller';
export {
  createXeroFake,
  signXero,
  XeroFake,
  type XeroFakeCounters,
  type XeroFakeEntity,
  type XeroFakeFaults,
  type XeroFakeOptions,
  type XeroTenantAudit,
} from './fake';
export { FIXTURES, SAMPLE_DELIVERIES } from './fixtures';
export { signXeroBody, xeroSigner } from './signer';
export { createSimulation } from './simulation';
