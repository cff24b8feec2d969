import {
  createMemoryStateStore,
  createWebhookHandler,
  DEFAULT_MAX_BODY_BYTES,
  type WebhookProcessorV1,
} from '@act/core/internal';
import fc from 'fast-check';
import { describe, it } from 'vitest';

type Headers = Record<string, string>;

export interface FuzzWebhookProcessorOptions {
  /** Names the `describe` block: `<name> webhook fuzzing`. */
  name: string;
  /** The processor under test, or a factory (called once per property, each with a fresh memory store). */
  processor: WebhookProcessorV1 | (() => WebhookProcessorV1);
  /** The headers that make `body` an authentic delivery (its signature, secret, token…). */
  sign: (body: Uint8Array) => Headers | Promise<Headers>;
  /** Headers that get random garbage in turn. Defaults to the names `sign` returns. */
  signatureHeaders?: readonly string[];
  /**
   * Connector-specific forged header sets for `body`, given its authentic
   * headers and a random natural number; each must be refused with a 4xx.
   * Every authentic header value tampered by one character (`tamperSignature`)
   * is always tried.
   */
  forgeries?: (signed: Headers, at: number, body: Uint8Array) => Headers[];
  /**
   * The credential covers the body (a signature): authentic headers over
   * other bytes must be refused with 401. Defaults to `true`; `false` for a
   * shared secret or token.
   */
  bodyBound?: boolean;
  /** More body shapes to fuzz with; random bytes and random JSON are always in. */
  bodies?: readonly fc.Arbitrary<Uint8Array>[];
  /** Authentic deliveries that must be accepted (2xx) and reach the inbox. */
  deliveries?: fc.Arbitrary<Uint8Array>;
  /** Cases per property. Defaults to 500 (the chaos suite runs 100,000). */
  runs?: number;
  /** The URL requests are posted to. Defaults to `http://localhost/webhooks/<source>`. */
  url?: string;
  /** Per-test timeout in ms. Defaults to 120 000. */
  timeoutMs?: number;
}

export interface WebhookFuzzProperty {
  name: string;
  /** Runs the property; rejects with fast-check's counterexample report when it fails. */
  run(): Promise<void>;
}

const encoder = new TextEncoder();

/**
 * The property checks every webhook processor must pass, as plain async
 * functions (use `fuzzWebhookProcessor` to register them as vitest tests):
 * - unsigned, garbage and forged credentials get a 4xx and never reach the inbox;
 * - authentic credentials over other bytes get 401 (when `bodyBound`);
 * - authentic bodies the processor cannot parse never get a 5xx;
 * - a body over `maxBodyBytes` gets 413 and never reaches the inbox;
 * - authentic `deliveries` get a 2xx and reach the inbox.
 */
export function webhookFuzzProperties(options: FuzzWebhookProcessorOptions): WebhookFuzzProperty[] {
  const runs = options.runs ?? 500;
  const bodyBound = options.bodyBound ?? true;
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 500 }),
    fc.jsonValue({ maxDepth: 3 }).map((value) => encoder.encode(JSON.stringify(value) ?? 'null')),
    ...(options.bodies ?? []),
  );
  const setUp = () => {
    const processor = typeof options.processor === 'function' ? options.processor() : options.processor;
    const store = createMemoryStateStore();
    const handler = createWebhookHandler({ processor, store });
    const url = options.url ?? `http://localhost/webhooks/${processor.source}`;
    const post = async (bytes: Uint8Array, headers: Headers) =>
      (await handler(new Request(url, { method: 'POST', headers, body: new Uint8Array(bytes) }))).status;
    const stored = () => Object.values(store.counts()).reduce((sum, n) => sum + n, 0);
    return { processor, post, stored };
  };

  const properties: WebhookFuzzProperty[] = [
    {
      name: `answers 4xx and stores nothing for unsigned, garbage or forged credentials${bodyBound ? ' (401 for authentic ones over other bytes)' : ''}`,
      async run() {
        const { post, stored } = setUp();
        await fc.assert(
          fc.asyncProperty(body, fc.string({ maxLength: 120 }), fc.nat(), async (bytes, garbage, at) => {
            const signed = await options.sign(bytes);
            const names = options.signatureHeaders ?? Object.keys(signed);
            const cleaned = garbage.replace(/[\r\n\0]/g, '');
            const attempts: Headers[] = [{}];
            for (const name of names) {
              if (cleaned !== signed[name]) attempts.push({ [name]: cleaned });
            }
            for (const [name, value] of Object.entries(signed)) {
              const tampered = tamperSignature(value, at);
              if (tampered !== value && names.includes(name)) attempts.push({ ...signed, [name]: tampered });
            }
            attempts.push(...(options.forgeries?.(signed, at, bytes) ?? []));
            for (const headers of attempts) {
              const status = await post(bytes, headers);
              check(status >= 400 && status < 500, `expected a 4xx for ${JSON.stringify(headers)}, got ${status}`);
            }
            if (bodyBound) {
              const other = new Uint8Array([...bytes, 0x20 + (at % 90)]);
              const status = await post(other, signed);
              check(status === 401, `expected 401 for authentic headers over other bytes, got ${status}`);
            }
          }),
          { numRuns: runs },
        );
        check(stored() === 0, `expected nothing stored, found ${stored()} deliveries`);
      },
    },
    {
      name: 'never answers 5xx for authentic bodies it cannot parse',
      async run() {
        const { post } = setUp();
        await fc.assert(
          fc.asyncProperty(body, async (bytes) => {
            const status = await post(bytes, await options.sign(bytes));
            check(status < 500, `expected no 5xx for an authentic body, got ${status}`);
          }),
          { numRuns: runs },
        );
      },
    },
    {
      name: 'refuses an oversized body with 413 and stores nothing',
      async run() {
        const { processor, post, stored } = setUp();
        const limit = processor.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
        await fc.assert(
          fc.asyncProperty(fc.integer({ min: 1, max: 4_096 }), fc.boolean(), async (extra, json) => {
            const bytes = new Uint8Array(limit + extra).fill(json ? 0x20 : 0x61);
            if (json) bytes.set(encoder.encode('{"padding":'), 0);
            const status = await post(bytes, await options.sign(bytes));
            check(status === 413, `expected 413 for ${limit + extra} bytes, got ${status}`);
          }),
          { numRuns: Math.min(runs, 10) },
        );
        check(stored() === 0, `expected nothing stored, found ${stored()} deliveries`);
      },
    },
  ];
  const deliveries = options.deliveries;
  if (deliveries) {
    properties.push({
      name: 'accepts authentic deliveries (2xx) and stores them',
      async run() {
        const { post, stored } = setUp();
        await fc.assert(
          fc.asyncProperty(deliveries, async (bytes) => {
            const status = await post(bytes, await options.sign(bytes));
            check(status >= 200 && status < 300, `expected a 2xx for an authentic delivery, got ${status}`);
          }),
          { numRuns: Math.min(runs, 100) },
        );
        check(stored() > 0, 'expected authentic deliveries in the inbox');
      },
    });
  }
  return properties;
}

/**
 * Registers the shared webhook fuzz properties (`webhookFuzzProperties`) as
 * vitest tests under `describe('<name> webhook fuzzing')`. Call it at the top
 * level of a test file; keep connector-specific cases (poison deliveries,
 * dead-lettering) in the connector's own tests, with `fuzzPoison` for inputs.
 *
 * ```ts
 * fuzzWebhookProcessor({
 *   name: 'xero',
 *   processor: () => createXeroWebhook({ keys: [TEST_KEY] }),
 *   sign: async (body) => ({ 'x-xero-signature': await signXeroBody(body, TEST_KEY) }),
 * });
 * ```
 */
export function fuzzWebhookProcessor(options: FuzzWebhookProcessorOptions): void {
  const timeout = options.timeoutMs ?? 120_000;
  describe(`${options.name} webhook fuzzing`, () => {
    for (const property of webhookFuzzProperties(options)) it(property.name, () => property.run(), timeout);
  });
}

/**
 * `value` changed in one place, chosen by `at`, keeping its form where it can:
 * canonical base64 gets one bit of one decoded byte flipped; otherwise the
 * first run of 16+ hex digits gets one digit changed; otherwise one character.
 */
export function tamperSignature(value: string, at: number): string {
  if (value.length === 0) return 'x';
  if (/^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value) && value.length >= 16) {
    try {
      const bytes = Uint8Array.from(atob(value), (char) => char.charCodeAt(0));
      const index = at % bytes.length;
      bytes[index] = (bytes[index] as number) ^ 1;
      const tampered = btoa(String.fromCharCode(...bytes));
      if (tampered !== value) return tampered;
    } catch {
      // not base64 after all: fall through
    }
  }
  const hex = /[0-9a-fA-F]{16,}/.exec(value);
  if (hex) {
    const index = hex.index + (at % hex[0].length);
    const digit = value[index] as string;
    const replacement = digit === '0' ? '1' : '0';
    return value.slice(0, index) + replacement + value.slice(index + 1);
  }
  const index = at % value.length;
  const replacement = value[index] === 'a' ? 'b' : 'a';
  return value.slice(0, index) + replacement + value.slice(index + 1);
}

/**
 * Inputs that have broken webhook receivers: for the connector's own poison
 * test (what the right answer is — kept and dead-lettered, or refused — is
 * a provider fact).
 */
export const fuzzPoison = {
  /** Strings a database or parser chokes on: NUL, a lone surrogate, over-long (600–3,000 characters). */
  strings: fc.oneof(
    fc.string({ maxLength: 20 }).map((text) => `${text}\u0000${text}`),
    fc.string({ maxLength: 20 }).map((text) => `${text}\ud800`),
    fc.string({ minLength: 600, maxLength: 3_000, unit: 'grapheme-ascii' }),
  ),
  /** JSON arrays nested deeper than 128 levels: `[[[…]]]`. */
  deepArray: fc.integer({ min: 129, max: 100_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  /** JSON objects nested deeper than 128 levels: `{"a":{"a":…1}}`. */
  deepObject: fc.integer({ min: 129, max: 100_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
};

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
