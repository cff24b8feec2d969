/**
 * What every simulated provider of the demo offers is the connectors' own
 * fakes (`@act/connector-<id>/testing`), the same the chaos harness and the
 * tests drive: signed webhook deliveries of its changes, the API its
 * connector calls (polling, fetch-on-notify, tokens), and the truth the
 * mirror is compared with at the end of `--once`. The contract and the seeded
 * PRNG are `@act/core/testing`'s.
 */
export {
  alphanumericId,
  createRandom,
  type ExpectedRow,
  type ExpectedTable,
  type FakeDelivery as Delivery,
  type FakeDeliveryKind as DeliveryKind,
  type FakeProvider as SimulatedProvider,
  uuid,
} from '@act/core/testing';
