import { ConfigurationError, PayloadError } from '../errors';

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
 * `@act/sink-supabase` computes the same key in SQL (migration 0016).
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

// ISO 8601 / RFC 3339 date-times as providers and Postgres print them:
// `T`, `t` or a space between date and time, optional seconds, any number of
// fraction digits (Postgres has microseconds), and `Z`, `±hh`, `±hhmm` or
// `±hh:mm` as the offset.
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** Epoch ms for a UTC calendar time, or undefined when a field is out of range (Feb 30, 25:00). */
function utcMs(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number) {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getUTCDate() === day ? date.getTime() : undefined;
}

/**
 * The instant as `YYYY-MM-DDTHH:mm:ss.sss[extra]Z`, where `extra` holds
 * sub-millisecond digits without trailing zeros — dropping them would make
 * two genuinely different Postgres versions a microsecond apart collide.
 */
function canonicalInstant(updatedAt: Date | string | number): string | undefined {
  if (updatedAt instanceof Date) {
    const ms = updatedAt.getTime();
    return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
  }
  if (typeof updatedAt === 'number') {
    // Integer epoch ms only; a fractional value is more likely a unit mix-up.
    return Number.isSafeInteger(updatedAt) && Math.abs(updatedAt) <= 8.64e15
      ? new Date(updatedAt).toISOString()
      : undefined;
  }
  if (typeof updatedAt !== 'string') return undefined;
  const m = ISO_DATE_TIME.exec(updatedAt.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', offset = 'Z'] = m;
  const msDigits = fraction.slice(0, 3).padEnd(3, '0');
  const subMs = fraction.slice(3).replace(/0+$/, '');
  const local = utcMs(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), Number(msDigits));
  if (local === undefined) return undefined;
  let offsetMinutes = 0;
  // An offset-less time is read as UTC, not local time, so the key is the same
  // on every machine; it is the best reading of a provider that omits it.
  if (offset !== 'Z' && offset !== 'z') {
    const digits = offset.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || '0');
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (offset.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const epochMs = local - offsetMinutes * 60_000;
  if (!(Math.abs(epochMs) <= 8.64e15)) return undefined;
  const iso = new Date(epochMs).toISOString();
  return subMs === '' ? iso : `${iso.slice(0, -1)}${subMs}Z`;
}

/**
 * Key of one version of one record: `<source>:<entity>:<id>:<instant>`. The
 * same instant gives the same key however it is written — `Z` or `+00:00`,
 * another offset, with or without `.000`, a `Date`, or epoch milliseconds —
 * so a webhook and a poll that saw the same version agree.
 *
 * Strings must be ISO 8601 date-times (or dates); one without an offset is
 * taken as UTC.
 *
 * @throws PayloadError (class `validation`) when `updatedAt` cannot be read as
 *   an instant, naming the record; ConfigurationError for an empty source,
 *   entity or id.
 */
export function entityVersionKey(input: {
  source: string;
  entity: string;
  id: string;
  updatedAt: Date | string | number;
}): string {
  const source = requireNonEmpty(input.source, 'source', 'entityVersionKey');
  const entity = requireNonEmpty(input.entity, 'entity', 'entityVersionKey');
  const id = requireNonEmpty(input.id, 'id', 'entityVersionKey');
  const instant = canonicalInstant(input.updatedAt);
  if (instant === undefined) {
    const shown =
      input.updatedAt instanceof Date ? 'Invalid Date' : (JSON.stringify(input.updatedAt) ?? String(input.updatedAt));
    throw new PayloadError({
      packageName,
      message:
        `entityVersionKey: updatedAt of ${source} ${entity} ${JSON.stringify(id)} is not a valid instant: ${shown}` +
        ' (expected an ISO 8601 date-time, a Date, or integer epoch milliseconds)',
    });
  }
  return `${escapePart(source)}:${escapePart(entity)}:${escapePart(id)}:${instant}`;
}
