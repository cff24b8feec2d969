// What every connector's fake provider (`@act/connector-<id>/testing`) shares:
// the contract the demo, the chaos harness and tests drive fakes through, a
// seeded PRNG so a scenario replays, and request/response helpers that take a
// Node `IncomingMessage`/`ServerResponse` as well as web-standard objects (no
// Node import: fakes run wherever the connector does).

import type { Logger } from '../observability';
import type { ConnectorV1, CredentialStoreV1, RateLimitStoreV1, SourceEnvV1 } from '../spec/v1';

export type FakeDeliveryKind = 'created' | 'updated' | 'deleted' | 'duplicate' | 'out-of-order';

/** One signed webhook delivery a fake sends (to `/webhooks/<source>` of the app under test). */
export interface FakeDelivery {
  source: string;
  body: string;
  headers: Record<string, string>;
  kind: FakeDeliveryKind;
}

/** One row the mirror must hold: its key, compared columns, version, and whether it is deleted (tombstone or absent). */
export interface ExpectedRow {
  key: Record<string, string>;
  values: Record<string, unknown>;
  /** The `_version` the row must carry (epoch ms); `undefined`: not checked. */
  version?: number | undefined;
  deleted: boolean;
}

export interface ExpectedTable {
  table: string;
  keyColumns: readonly string[];
  columns: readonly string[];
  rows: ExpectedRow[];
}

/** The parts of an HTTP request a fake reads: a Node `IncomingMessage` or a web `Request` both fit. */
export interface FakeApiRequest {
  method?: string | undefined;
  url?: string | undefined;
  headers: Record<string, string | string[] | undefined> | Headers;
}

/** The parts of an HTTP response a fake writes: a Node `ServerResponse` fits, `fetchFromFake` collects one. */
export interface FakeApiResponse {
  writeHead(status: number, headers?: Record<string, string>): unknown;
  end(body?: string): unknown;
}

/**
 * A provider played in-process: it owns the true records, sends signed
 * webhooks about their changes (with the duplicates, reordering and bursts
 * real providers produce), answers the API its connector calls, and says
 * what the mirror must hold.
 */
export interface FakeProvider {
  readonly source: string;
  /** Shown in output, e.g. `GoHighLevel (simulated)`. */
  readonly title: string;
  readonly tenants: readonly string[];
  /** Deliveries sent so far (duplicates and out-of-order ones included). */
  readonly sentCount: number;
  readonly apiRequests: number;
  /** The next change at the provider, as the signed deliveries it causes. */
  next(): Promise<FakeDelivery[]>;
  /** Records that exist before a run starts: only polling can find them. */
  seed(perTenant: number): void;
  /** Answer an API call below the fake's prefix (`path` is the rest of the URL path, with the query). */
  handleApi(request: FakeApiRequest, response: FakeApiResponse, path: string): void;
  /** The provider's truth, table by table. */
  expected(): ExpectedTable[];
  /** One line about the simulated API (requests, 429s, token refreshes). */
  apiSummary(): string;
}

/**
 * What a tool playing providers (the demo) hands each connector's
 * `createSimulation` (exported from `@act/connector-<id>/testing`): where the
 * fake's API is served, the run's seeded randomness, the shared state and the
 * environment (a provider's own variables switch it to a real account).
 */
export interface SimulationContextV1 {
  /**
   * The URL the tool serves the fake's API under: a request below it reaches
   * `fake.handleApi` with the rest of the path (`http://127.0.0.1:3000/sim/<id>`).
   */
  baseUrl: string;
  /** The run's seeded PRNG (a scenario replays from its seed). */
  random: () => number;
  /** Marks this run's records, so two runs against one kept database do not collide. */
  runId: string;
  /** The state the app keeps credentials and rate-limit budgets in. */
  state: { credentials: CredentialStoreV1; rateLimits: RateLimitStoreV1 };
  env: SourceEnvV1;
  logger: Logger;
}

/** One check a provider makes of the receiver (Xero's intent to receive): a line for the person, and whether it passed. */
export interface SimulationCheckV1 {
  line: string;
  ok: boolean;
}

/**
 * One connector in a simulated run (or, when the provider's variables are
 * set, against the real account): what the demo iterates, so it names no
 * connector.
 */
export interface SimulationV1 {
  /** The connector, configured against the fake (or the real provider). */
  connector: ConnectorV1;
  /** The fake provider; absent against a real account. */
  fake?: FakeProvider | undefined;
  /** The tenants to poll. */
  tenants: readonly string[];
  /** How often changes happen here relative to the other providers (1 unless said): keeps a provider inside its API limits. */
  weight?: number;
  /** Records per tenant that exist before the run starts (8 unless said). */
  seedPerTenant?: number;
  /** A line for the person running the tool (what a real account polls). */
  note?: string;
  /** The variables that switch this provider to a real account (`GHL_ACCESS_TOKEN`), for the start-up hint. */
  realAccount?: string;
  /** After migrations, before anything is sent: the state a connected account starts with (stored tokens). */
  setup?(): Promise<void>;
  /** Checks the provider makes of the receiver, sent through `send` (resolves the HTTP status): one line each. */
  checks?(send: (delivery: FakeDelivery) => Promise<number>): Promise<SimulationCheckV1[]>;
  /** Deliveries the fake still holds back at the end of a scenario (late out-of-order ones). */
  finish?(): FakeDelivery[];
  /** Streams (`<source>:<stream>`) only polling brings, polled once more at the end of a scenario, and why. */
  finalPoll?: { streams: readonly string[]; reason: string };
}

/**
 * `createSimulation` of a connector's `./testing` subpath (its main source's).
 * A package holding several sources also exports `simulations`, a
 * `CreateSimulationV1` per source id.
 */
export type CreateSimulationV1 = (context: SimulationContextV1) => Promise<SimulationV1>;

/** Small deterministic PRNG (mulberry32), so a scenario replays from its seed. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const FIRST_NAMES = [
  'Ada',
  'Grace',
  'Alan',
  'Katherine',
  'Tim',
  'Margaret',
  'Edsger',
  'Barbara',
  'Donald',
  'Radia',
];
export const LAST_NAMES = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Johnson',
  'Berners-Lee',
  'Hamilton',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Perlman',
];

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** An id of letters and digits (`nmFmQEsNgz6AVpgLVUJ0`). */
export function alphanumericId(random: () => number, length = 20): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let id = '';
  for (let index = 0; index < length; index++) id += alphabet[Math.floor(random() * alphabet.length)];
  return id;
}

/** A lower-case UUID v4 from the PRNG. */
export function uuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((Math.floor(random() * 4) + 8) as number).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** A strictly increasing wall clock (ms): two changes never share a version. */
export function createClock(): () => number {
  let last = 0;
  return () => {
    last = Math.max(Date.now(), last + 1);
    return last;
  };
}

/** A header of a fake's request, lower-case name, first value. */
export function requestHeader(request: FakeApiRequest, name: string): string | undefined {
  if (typeof Headers !== 'undefined' && request.headers instanceof Headers)
    return request.headers.get(name) ?? undefined;
  const value = (request.headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

export function sendJson(
  response: FakeApiResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(body === undefined ? undefined : JSON.stringify(body));
}

/** The body of a fake's request: a web `Request`'s text, or a Node stream's chunks. */
export async function readBody(request: FakeApiRequest): Promise<string> {
  const withText = request as { text?: () => Promise<string> };
  if (typeof withText.text === 'function') return withText.text();
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of request as unknown as AsyncIterable<Uint8Array | string>) {
    text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

export function bytesToBase64(bytes: Uint8Array | ArrayBuffer): string {
  let binary = '';
  for (const byte of bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * A `fetch` answered by a fake (no network): hand it to the connector under
 * test. URLs below `prefix` (`https://api.example.test`) reach `handleApi`
 * with the rest of the path; anything else is refused.
 */
export function fetchFromFake(fake: Pick<FakeProvider, 'handleApi'>, prefix: string): typeof globalThis.fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (!request.url.startsWith(prefix)) throw new TypeError(`fetchFromFake: ${request.url} is outside ${prefix}`);
    return new Promise<Response>((resolve) => {
      let status = 200;
      let headers: Record<string, string> = {};
      fake.handleApi(
        request,
        {
          writeHead(code, values) {
            status = code;
            headers = values ?? {};
          },
          end(body) {
            resolve(new Response(body ?? null, { status, headers }));
          },
        },
        request.url.slice(prefix.length) || '/',
      );
    });
  }) as typeof globalThis.fetch;
}
