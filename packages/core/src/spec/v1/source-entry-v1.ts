import type { Logger } from '../../observability';
import type { ConnectorV1 } from './connector-v1';
import type { CredentialStoreV1 } from './credential-store-v1';
import type { RateLimitStoreV1 } from './rate-limit-store-v1';

/** Environment variables, as `process.env` or `Deno.env.toObject()` hold them. */
export type SourceEnvV1 = Readonly<Record<string, string | undefined>>;

/**
 * What a tool hands a connector besides the environment: the shared state
 * (credentials, rate-limit budgets), the `fetch` to call the API with (the
 * CLI's wraps it to measure progress) and a logger.
 */
export interface SourceRuntimeV1 {
  credentials?: CredentialStoreV1;
  rateLimitStore?: RateLimitStoreV1;
  fetch?: typeof globalThis.fetch;
  logger?: Logger;
}

/** A documented example delivery (the provider's own sample payload, byte for byte). */
export interface SampleDeliveryV1 {
  /** The event name tools take (`act trigger ghl ContactCreate`). */
  readonly event: string;
  /** The fixture file of the connector's test suite it was copied from. */
  readonly file: string;
  /** Headers the provider sends besides the signature (none for most). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The documented body, byte for byte. */
  readonly body: string;
}

/** A flag a signer takes (`act trigger <source> --<name>`). */
export interface SignerOptionV1 {
  readonly type: 'string' | 'boolean';
  /** One line for `--help`. */
  readonly description: string;
}

/** What a signer may use besides the delivery. */
export interface SignContextV1 {
  env: SourceEnvV1;
  /** The signer's flags as given (`--secret`, `--private-key`), by name. */
  options: Readonly<Record<string, string | boolean | undefined>>;
  /** Sign wrongly, as a provider's validation check or an attacker does: the receiver must answer 401. */
  badSignature: boolean;
  /** When the delivery is sent, epoch ms (signed timestamps). */
  now: number;
  /** A line for the person running the tool (stderr): a generated key to configure, where it was saved. */
  notice(message: string): void;
  /** Reads a file relative to the working directory (a key). Absent where there is no file system. */
  readFile?(path: string): string;
  /** Writes a file relative to the working directory (a generated key), owner-only; resolves its full path. */
  writeFile?(path: string, content: string): string;
  /** The error to throw for a missing or wrong setting (a key not set, a file not a key): the tool reports it as a usage error. */
  configurationError(message: string): Error;
}

/** A delivery signed as the provider signs it, ready to send. */
export interface SignedDeliveryV1 {
  /** The body to send (the sample's, with any envelope fields a real delivery carries). */
  body: string;
  /** The signature header(s) and the sample's own headers. */
  headers: Record<string, string>;
  /** A few words for the log line: `x-xero-signature with the webhook key`. */
  describe: string;
  /** Advice for the person when the endpoint's answer suggests a misconfiguration (401 with a good signature). */
  hints(status: number): string[];
}

/** Signs bodies as the provider does: for tests, fakes and `act trigger`. */
export interface SourceSignerV1 {
  /** The flags `sign` reads from `context.options`, by name. */
  readonly options: Readonly<Record<string, SignerOptionV1>>;
  sign(
    delivery: Pick<SampleDeliveryV1, 'event' | 'body' | 'headers'>,
    context: SignContextV1,
  ): Promise<SignedDeliveryV1>;
}

/**
 * A connector describing itself to tools (the CLI, the demo, benchmarks):
 * everything they need to configure it from the environment, show its sample
 * deliveries, sign them and report progress, so no tool names a provider.
 * Each connector package exports one as `source` from its main entry; a
 * package holding several connectors (Gmail and Google Calendar) also
 * exports `sources: SourceEntryV1[]`, its `source` first.
 */
export interface SourceEntryV1<TSettings = unknown, TConnector extends ConnectorV1 = ConnectorV1> {
  readonly specificationVersion: 'v1';
  /** The connector id (`ghl`): the `source` of its deliveries and the prefix of its tables. */
  readonly id: string;
  /** The provider's name for people (`GoHighLevel`). */
  readonly displayName: string;
  /** The npm package (`@act/connector-ghl`). */
  readonly packageName: string;
  /**
   * The connector's settings from environment variables (its own
   * `load…Settings`), with the runtime merged in.
   *
   * @throws ConfigurationError naming the variable that is missing or malformed.
   */
  settingsFromEnv(env: SourceEnvV1, runtime?: SourceRuntimeV1): TSettings;
  /**
   * The connector. Without settings: a quiet receiver without API
   * credentials, for migrations, freshness targets and signature checks.
   */
  createConnector(settings?: TSettings): TConnector;
  /**
   * Why `env` cannot call the provider's API (the variables to set, and
   * what they are), or `undefined` when it can. Tools that poll or reconcile
   * check this before `settingsFromEnv`.
   */
  missingApiCredentials(env: SourceEnvV1): string | undefined;
  /** The provider's documented example deliveries. */
  readonly sampleDeliveries: readonly SampleDeliveryV1[];
  readonly signer: SourceSignerV1;
  /**
   * For progress bars: how many records a listing holds, read from one of
   * its API answers when the provider says so (an estimate for the ETA).
   */
  totalOf?(body: unknown): number | undefined;
  /** One line per backfill stream for `--help` (`contacts, opportunities`). */
  readonly streams?: readonly string[];
  /** What `--tenant` is for this provider (`GHL location id`). */
  readonly tenantDescription?: string;
}
