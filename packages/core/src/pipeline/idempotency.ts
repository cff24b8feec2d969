import { ConfigurationError } from '../errors';

const packageName = '@act/core';

const encoder = new TextEncoder();

/**
 * SHA-256 of `data` as 64 lowercase hex characters. Strings are hashed as
 * UTF-8. Uses Web Crypto (`crypto.subtle`) so it runs on edge runtimes too.
 */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  // Web Crypto only takes views over a plain ArrayBuffer; a view over a
  // SharedArrayBuffer (or another realm's buffer) is copied first.
  const input = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', input));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/**
 * Percent-escape `%` and `:` only. Keys stay readable (`ghl:evt_123`) while
 * `:` can no longer appear inside a part, so joining parts with `:` is
 * injective: `("a:b", "c")` and `("a", "b:c")` give different keys. Unlike
 * encodeURIComponent this never throws (lone UTF-16 surrogates pass through).
 */
function escapePart(part: string): string {
  return part.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'));
}

function requireNonEmpty(value: unknown, what: string, fn: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new ConfigurationError({
      packageName,
      message: `${fn}: ${what} must be a non-empty string, got ${JSON.stringify(value)}`,
    });
  }
  return value;
}

/**
 * Inbox dedupe key from a provider's delivery id: `<source>:<deliveryId>`,
 * each part escaped so different pairs never collide (and never collide with
 * a {@link bodyDedupeKey}).
 *
 * @throws ConfigurationError for an empty source or id — an empty id would
 *   make every id-less delivery a "duplicate" of the first and silently drop
 *   them; use {@link bodyDedupeKey} when the provider sends no id.
 */
export function deliveryDedupeKey(source: string, deliveryId: string): string {
  requireNonEmpty(source, 'source', 'deliveryDedupeKey');
  requireNonEmpty(deliveryId, 'deliveryId', 'deliveryDedupeKey');
  return `${escapePart(source)}:${escapePart(deliveryId)}`;
}

/**
 * Inbox dedupe key for providers that send no delivery id:
 * `<source>:sha256:<hex of the raw body>`, so a redelivered identical body
 * is recognised. The source is escaped as in {@link deliveryDedupeKey}.
 */
export async function bodyDedupeKey(source: string, body: Uint8Array): Promise<string> {
  requireNonEmpty(source, 'source', 'bodyDedupeKey');
  return `${escapePart(source)}:sha256:${await sha256Hex(body)}`;
}

/**
 * Key of a conflicting redelivery (`StateStoreV1.enqueue`): a delivery whose
 * dedupe key is known but whose body bytes differ is stored under
 * `<dedupeKey>~sha256:<hex of its body>`, so it never replaces the delivery
 * first stored and the same conflicting body delivered again is a duplicate.
 * No key {@link deliveryDedupeKey} or {@link bodyDedupeKey} makes can equal
 * it: their ids have `:` escaped, and a body key's hash is preceded by `:`.
 * `@act/sink-supabase` computes the same key in SQL (0002_act_queue).
 */
export async function conflictDedupeKey(dedupeKey: string, body: Uint8Array): Promise<string> {
  requireNonEmpty(dedupeKey, 'dedupeKey', 'conflictDedupeKey');
  return `${dedupeKey}~sha256:${await sha256Hex(body)}`;
}

/** Whether two byte sequences are equal (the body comparison of a redelivery: bytes, never parsed JSON). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let index = 0; index < a.byteLength; index++) if (a[index] !== b[index]) return false;
  return true;
}
