/**
 * What every simulated provider of the demo offers: signed webhook deliveries
 * of its changes, the API its connector calls (polling, fetch-on-notify,
 * tokens), and the truth the mirror is compared with at the end of `--once`.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

export type DeliveryKind = 'created' | 'updated' | 'deleted' | 'duplicate' | 'out-of-order';

export interface Delivery {
  /** The connector source: the delivery goes to `/webhooks/<source>`. */
  source: string;
  body: string;
  headers: Record<string, string>;
  kind: DeliveryKind;
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

export interface SimulatedProvider {
  readonly source: string;
  /** Shown in the output, e.g. `GoHighLevel (simulated)`. */
  readonly title: string;
  readonly tenants: readonly string[];
  /** Deliveries sent so far (duplicates and out-of-order ones included). */
  readonly sentCount: number;
  readonly apiRequests: number;
  /** The next change at the provider, as the signed deliveries it causes. */
  next(): Promise<Delivery[]>;
  /** Records that exist before the demo starts: only polling can find them. */
  seed(perTenant: number): void;
  /** Answer an API call below the provider's prefix (`path` is the rest of the URL path). */
  handleApi(request: IncomingMessage, response: ServerResponse, path: string): void;
  /** The provider's truth, table by table, for the `--once` comparison. */
  expected(): ExpectedTable[];
  /** One line about the simulated API (requests, 429s, token refreshes). */
  apiSummary(): string;
}

/** Small deterministic PRNG (mulberry32), so `--once` replays the same scenario every run. */
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

/** A GHL-style id: 20 letters and digits (`nmFmQEsNgz6AVpgLVUJ0`). */
export function alphanumericId(random: () => number, length = 20): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let id = '';
  for (let index = 0; index < length; index++) id += alphabet[Math.floor(random() * alphabet.length)];
  return id;
}

/** A lower-case UUID v4 from the PRNG (Xero's ids). */
export function uuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((Math.floor(random() * 4) + 8) as number).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** A documented sample payload, verbatim, from a connector's `test/fixtures/` (each listed with its source in the README there). */
export function fixture<T = Record<string, unknown>>(connector: 'connector-ghl' | 'connector-xero', file: string): T {
  const url = new URL(`../../../packages/${connector}/test/fixtures/${file}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as T;
}

/** A strictly increasing wall clock (ms): two changes never share a version. */
export function createClock(): () => number {
  let last = 0;
  return () => {
    last = Math.max(Date.now(), last + 1);
    return last;
  };
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(body === undefined ? undefined : JSON.stringify(body));
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
