import { PayloadError } from './errors';
import type { ParsedDeliveryV1 } from './spec/v1';

/**
 * Deepest JSON nesting `parseJson` accepts. Provider payloads nest a handful
 * of levels (a Xero invoice's line item tracking is 5, a GoHighLevel
 * appointment 3); 128 is far above any of them and far below the depth at
 * which recursive code overflows the stack (`JSON.stringify`, schema
 * validators, Postgres' jsonb parser), which a 100,000-deep body does.
 */
export const DEFAULT_MAX_JSON_DEPTH = 128;

/**
 * Longest ids a delivery may carry, in UTF-8 bytes (what Postgres stores).
 * Every real id is far shorter (GoHighLevel ids are 20 characters, Xero's are
 * UUIDs); the limits keep every key the inbox and the mirror index (the
 * inbox's unique dedupe key, `(source, tenant, …)`, a mirror table's
 * `(tenant, id)` primary key) well under Postgres' btree limit of 2,704 bytes
 * per index row, beyond which the write fails with SQLSTATE 54000 on every try.
 */
export const ID_LIMITS = Object.freeze({
  /** A delivery's and each event's tenant. */
  tenantBytes: 256,
  /** The provider's delivery id (the inbox dedupes on it). */
  deliveryIdBytes: 512,
  /** Each event's entity id (the mirror row's key). */
  entityIdBytes: 512,
  /** Each event's type (stored in the inbox's `event_types`). */
  typeBytes: 256,
});

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Whether `text`, read as JSON, opens more than `maxDepth` arrays and objects
 * inside each other. One linear pass counting brackets outside strings: exact
 * for valid JSON; for invalid JSON the answer does not matter, `JSON.parse`
 * refuses it either way.
 */
function exceedsDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c)
        index++; // a backslash escapes the next character (\" included)
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      depth++;
      if (depth > maxDepth) return true;
    } else if (code === 0x5d || code === 0x7d) {
      depth--;
    }
  }
  return false;
}

export interface ParseJsonOptions {
  /** The package named in errors: `[@act/connector-ghl] body nests …`. */
  packageName: string;
  /** Defaults to `DEFAULT_MAX_JSON_DEPTH` (128). */
  maxDepth?: number;
  /** What is parsed, for the message. Defaults to `body`. */
  what?: string;
}

/**
 * `JSON.parse` for what arrives from outside (webhook bodies, API answers):
 * bytes must be UTF-8, and nesting deeper than `maxDepth` is refused before
 * parsing. `JSON.parse` itself copes with any depth, but everything after it
 * that walks the value recursively (schema validation, `JSON.stringify` into a
 * jsonb column, structured clones) throws `RangeError: Maximum call stack size
 * exceeded` on a deep one, so a signed 100,000-deep body would fail the same
 * way on every retry. Refused here, it is a `PayloadError` (class
 * `validation`): answered 400, or stored and dead-lettered at once with the
 * reason.
 *
 * @throws PayloadError for bytes that are not UTF-8, nesting past the limit, or invalid JSON.
 */
export function parseJson(input: string | Uint8Array, options: ParseJsonOptions): unknown {
  const { packageName } = options;
  const what = options.what ?? 'body';
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    try {
      text = decoder.decode(input);
    } catch (cause) {
      throw new PayloadError({ packageName, message: `${what} is not UTF-8 JSON: invalid UTF-8`, cause });
    }
  }
  if (exceedsDepth(text, maxDepth)) {
    throw new PayloadError({
      packageName,
      message: `${what} is JSON nested deeper than ${maxDepth} levels (the JSON depth limit)`,
    });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new PayloadError({
      packageName,
      message: `${what} is not UTF-8 JSON: ${cause instanceof Error ? cause.message : String(cause)}`,
      cause,
    });
  }
}

/** Why `value` cannot be stored as an id of at most `maxBytes` UTF-8 bytes, or `undefined` when it can. */
function idProblem(value: string, maxBytes: number): string | undefined {
  let bytes = 0;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code === 0) return 'contains a NUL character (\\u0000), which Postgres text cannot hold';
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(index + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return 'contains a lone surrogate, which is not valid Unicode';
      bytes += 4;
      index++;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      return 'contains a lone surrogate, which is not valid Unicode';
    } else bytes += 3;
    if (bytes > maxBytes) return `is longer than ${maxBytes} UTF-8 bytes, the limit for ids`;
  }
  return undefined;
}

/** The start of an id, escaped (NUL and lone surrogates show as `\u…`), for messages. */
function preview(value: string): string {
  const head = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return `${JSON.stringify(head)}${value.length > 40 ? ` (${value.length} characters)` : ''}`;
}

/**
 * Refuse a parsed delivery whose ids could never be stored: a tenant,
 * delivery id, event type or entity id with a NUL character or a lone
 * surrogate (Postgres refuses the first; drivers silently turn the second
 * into U+FFFD, so two ids would collide), or longer than `ID_LIMITS`. Checked
 * by the receive path right after `parse` (such a delivery is answered like
 * one that does not parse) and by the worker after every re-parse (it is
 * dead-lettered at once with this reason), never retried.
 *
 * @throws PayloadError naming the id and the problem.
 */
export function assertStorableIds(parsed: ParsedDeliveryV1, packageName: string): void {
  const check = (value: unknown, what: string, maxBytes: number) => {
    if (typeof value !== 'string') return;
    const problem = idProblem(value, maxBytes);
    if (problem)
      throw new PayloadError({ packageName, message: `undeliverable: ${what} ${preview(value)} ${problem}` });
  };
  check(parsed.tenant, 'tenant', ID_LIMITS.tenantBytes);
  check(parsed.deliveryId, 'delivery id', ID_LIMITS.deliveryIdBytes);
  for (const event of parsed.events) {
    check(event.tenant, 'tenant', ID_LIMITS.tenantBytes);
    check(event.type, 'event type', ID_LIMITS.typeBytes);
    check(event.entityId, `${event.entity ?? 'entity'} id`, ID_LIMITS.entityIdBytes);
  }
  if (parsed.sync !== undefined) {
    // The stream and tenant key the cursor the sync resumes from and the inbox's coalesce key.
    const { stream } = parsed.sync;
    if (typeof stream !== 'string' || stream === '') {
      throw new PayloadError({ packageName, message: 'undeliverable: a sync request names no stream' });
    }
    if (typeof parsed.tenant !== 'string' || parsed.tenant === '') {
      throw new PayloadError({
        packageName,
        message: `undeliverable: the sync request of stream ${preview(stream)} names no tenant`,
      });
    }
    // Stored as the event type `sync:<stream>`.
    check(stream, 'sync stream', ID_LIMITS.typeBytes - 'sync:'.length);
  }
}
