/**
 * @module
 * `@act/connector-kit/testing/fake`: what every connector's fake provider
 * (`@act/connector-<id>/testing`) is built from, without vitest, since the
 * demo and the chaos harness run fakes outside a test runner. The contract
 * (`FakeProvider`) and its helpers are `@act/core`'s, re-exported here so a
 * fake imports one module; `FakeProviderBase` holds the bookkeeping every
 * fake repeats (tenants, counters, seeded randomness, a strictly increasing
 * clock, seeding records that only polling finds, the embedded fixtures).
 */
import {
  alphanumericId,
  createClock,
  type ExpectedTable,
  type FakeApiRequest,
  type FakeApiResponse,
  type FakeDelivery,
  type FakeProvider,
  FIRST_NAMES,
  LAST_NAMES,
  pick,
  uuid,
} from '@act/core/testing/fake';

// Named, not `export *`: the bundler drops a star re-export of an external module from split chunks.
export {
  alphanumericId,
  bytesToBase64,
  createClock,
  createRandom,
  type ExpectedRow,
  type ExpectedTable,
  type FakeApiRequest,
  type FakeApiResponse,
  type FakeDelivery,
  type FakeDeliveryKind,
  type FakeProvider,
  FIRST_NAMES,
  fetchFromFake,
  LAST_NAMES,
  pick,
  readBody,
  requestHeader,
  sendJson,
  uuid,
} from '@act/core/testing/fake';
export { type SecretSignerOptions, secretSigner, secretSignerOption, signerSecret } from './signer';

export interface FakeProviderBaseOptions {
  /** The provider's tenants (locations, organisations, accounts). */
  tenants: readonly string[];
  /** The seeded PRNG of the scenario (`createRandom(seed)`), so a run replays. */
  random: () => number;
  /** The connector's embedded documented fixtures (`FIXTURES` of its `src/testing/fixtures.ts`), for `fixture()`. */
  fixtures?: Readonly<Record<string, string>>;
}

/** How long before the run seeded records changed: they exist before it starts. */
const SEED_AGE_MS = 3_600_000;

/**
 * The shared half of a fake provider: extend it, give `source` and `title`,
 * create one tenant's records in `seedRecords`, and implement the provider's
 * own `next`, `handleApi`, `expected` and `apiSummary`.
 */
export abstract class FakeProviderBase implements FakeProvider {
  abstract readonly source: string;
  abstract readonly title: string;
  readonly tenants: readonly string[];
  /** Deliveries sent so far; count each one `next` returns. */
  sentCount = 0;
  /** API calls answered so far; count each one `handleApi` takes. */
  apiRequests = 0;
  protected readonly random: () => number;
  /** A strictly increasing wall clock (ms): two changes never share a version. */
  protected readonly now: () => number = createClock();

  /** A documented fixture, parsed (`fixture('api-contacts.1.json')`). */
  protected readonly fixture: <T = Record<string, unknown>>(file: string) => T;

  constructor(options: FakeProviderBaseOptions) {
    this.tenants = options.tenants;
    this.random = options.random;
    this.fixture = fixtureReader(options.fixtures ?? {});
  }

  /** One of `items`, by the seeded PRNG. */
  protected pick<T>(items: readonly T[]): T {
    return pick(this.random, items);
  }

  /** A lower-case UUID v4 from `random` (default: the seeded PRNG). */
  protected uuid(random: () => number = this.random): string {
    return uuid(random);
  }

  /** An id of letters and digits (`nmFmQEsNgz6AVpgLVUJ0`). */
  protected alphanumericId(length?: number): string {
    return alphanumericId(this.random, length);
  }

  /** A person's first and last name, from the shared lists. */
  protected personName(): { first: string; last: string } {
    return { first: this.pick(FIRST_NAMES), last: this.pick(LAST_NAMES) };
  }

  /**
   * What real providers do to a stream of deliveries: now and then one is held
   * back and arrives after the next (`outOfOrderRate`), now and then one
   * arrives twice (`duplicateRate`, an at-least-once redelivery). Returns what
   * to send now for `delivery` (nothing while it is held back); `releaseHeld`
   * sends what is still held at the end of a scenario.
   */
  protected mixDelivery(
    delivery: FakeDelivery,
    rates: { outOfOrderRate: number; duplicateRate: number },
  ): FakeDelivery[] {
    if (this.#held === undefined && this.random() < rates.outOfOrderRate) {
      this.#held = { ...delivery, kind: 'out-of-order' };
      return [];
    }
    const deliveries = [delivery];
    if (this.#held) {
      deliveries.push(this.#held);
      this.#held = undefined;
    }
    if (this.random() < rates.duplicateRate) deliveries.push({ ...delivery, kind: 'duplicate' });
    return deliveries;
  }

  /** The delivery `mixDelivery` still holds back, if any (counted as sent). */
  protected releaseHeld(): FakeDelivery[] {
    const held = this.#held ? [this.#held] : [];
    this.#held = undefined;
    this.sentCount += held.length;
    return held;
  }

  // An ES private field: a subclass's own `held` (Xero's fake keeps one) never collides with it.
  #held: FakeDelivery | undefined;

  /** `perTenant` rounds of `seedRecords` per tenant, an hour back: only polling finds these. */
  seed(perTenant: number): void {
    for (const tenant of this.tenants) {
      for (let index = 0; index < perTenant; index++) this.seedRecords(tenant, index, this.now() - SEED_AGE_MS);
    }
  }

  /** Round `index` of seeding `tenant`: create its records as changed at `at` (epoch ms). */
  protected abstract seedRecords(tenant: string, index: number, at: number): void;

  abstract next(): Promise<FakeDelivery[]>;
  abstract handleApi(request: FakeApiRequest, response: FakeApiResponse, path: string): void;
  abstract expected(): ExpectedTable[];
  abstract apiSummary(): string;
}

/**
 * A reader of a connector's embedded documented fixtures (`FIXTURES` of its
 * generated `src/testing/fixtures.ts`): `fixture('api-contacts.1.json')`, parsed.
 */
export function fixtureReader(
  fixtures: Readonly<Record<string, string>>,
): <T = Record<string, unknown>>(file: string) => T {
  return <T>(file: string): T => {
    const text = fixtures[file];
    if (text === undefined) throw new Error(`no embedded fixture ${file}`);
    return JSON.parse(text) as T;
  };
}
