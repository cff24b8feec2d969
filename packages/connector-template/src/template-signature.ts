// Template signs every delivery like Stripe does (a common real-world scheme):
//
//   x-template-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
//
// Template is fictional, so this scheme is made up for the template package.
// A real connector takes every detail below (header name, what is signed,
// encoding, tolerance) from the provider's docs and cites the URL here, e.g.
// `// See https://docs.stripe.com/webhooks#verify-manually`.

import { hmacSha256VerifierFor } from '@act/core';

/** The header carrying the timestamp and the signature(s). */
export const TEMPLATE_SIGNATURE_HEADER = 'x-template-signature';

/** Deliveries signed more than 5 minutes before or after receipt are refused (replay window). */
export const DEFAULT_SIGNATURE_TOLERANCE_MS = 300_000;

export interface VerifyTemplateSignatureOptions {
  /** Every secret currently valid, newest first (two while rotating). */
  secrets: readonly string[];
  /** The raw body bytes exactly as received. Never re-serialised JSON. */
  body: Uint8Array;
  /** The `x-template-signature` header value (it carries the timestamp too). */
  header: string | null | undefined;
  /** When the request was received, epoch ms. Defaults to `Date.now()`. */
  now?: number;
  /** Largest accepted distance between the signed timestamp and `now`. Defaults to 300 000 (5 min). */
  toleranceMs?: number;
}

export type TemplateSignatureVerification =
  | { valid: true /** Index in `secrets` of the secret that matched (for rotation metrics). */; keyIndex: number }
  | { valid: false /** Short and safe to log or return to the caller. */; reason: string };

const encoder = new TextEncoder();

/**
 * Check a Template webhook signature. Pure and runtime-neutral (node:crypto
 * where the runtime has it, Web Crypto elsewhere, through `@act/core`). The
 * comparison is constant time (`timingSafeEqual` or `crypto.subtle.verify`),
 * never a string `===`. Every secret is tried, so rotation needs no
 * downtime. Fails closed: no secret, a missing, empty or `N/A` header, a
 * malformed header or a timestamp outside the tolerance is `valid: false`.
 */
export async function verifyTemplateSignature(
  options: VerifyTemplateSignatureOptions,
): Promise<TemplateSignatureVerification> {
  const { secrets, body, header, now = Date.now(), toleranceMs = DEFAULT_SIGNATURE_TOLERANCE_MS } = options;
  const usable = secrets.filter((secret) => secret !== '');
  if (usable.length === 0) return { valid: false, reason: 'no webhook secret configured' };

  const value = header?.trim();
  // Some proxies and test tools forward a placeholder instead of dropping the header.
  if (!value || value.toUpperCase() === 'N/A')
    return { valid: false, reason: `missing ${TEMPLATE_SIGNATURE_HEADER} header` };

  const parsed = parseSignatureHeader(value);
  if (!parsed) return { valid: false, reason: `malformed ${TEMPLATE_SIGNATURE_HEADER} header` };

  const signedAtMs = Number(parsed.timestamp) * 1000;
  if (!(Math.abs(now - signedAtMs) <= toleranceMs)) {
    return { valid: false, reason: `timestamp outside the ${Math.round(toleranceMs / 1000)} s tolerance` };
  }

  // The signed bytes are "<t>." followed by the raw body, with `t` exactly as sent.
  const prefix = encoder.encode(`${parsed.timestamp}.`);
  const signed = new Uint8Array(prefix.byteLength + body.byteLength);
  signed.set(prefix);
  signed.set(body, prefix.byteLength);

  for (const [keyIndex, secret] of secrets.entries()) {
    if (secret === '') continue;
    const verify = hmacSha256VerifierFor(secret);
    for (const signature of parsed.signatures) {
      if (await verify(signed, signature)) return { valid: true, keyIndex };
    }
  }
  return { valid: false, reason: 'signature mismatch' };
}

/**
 * `t=1767261600,v1=5257a8…` → the timestamp and every `v1` signature as
 * bytes. Unknown keys (a future `v2`) are ignored; several `v1` entries are
 * allowed (the provider signs with each of its secrets while it rotates).
 * Returns `undefined` for anything malformed.
 */
function parseSignatureHeader(value: string): { timestamp: string; signatures: Uint8Array<ArrayBuffer>[] } | undefined {
  let timestamp: string | undefined;
  const signatures: Uint8Array<ArrayBuffer>[] = [];
  for (const part of value.split(',')) {
    const separator = part.indexOf('=');
    if (separator < 1) return undefined;
    const key = part.slice(0, separator).trim();
    const item = part.slice(separator + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(item)) return undefined;
      timestamp = item;
    } else if (key === 'v1') {
      const bytes = hexToBytes(item);
      if (!bytes) return undefined;
      signatures.push(bytes);
    }
  }
  return timestamp !== undefined && signatures.length > 0 ? { timestamp, signatures } : undefined;
}

/** A SHA-256 HMAC in hex: exactly 64 hex digits. */
function hexToBytes(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (hex.length !== 64) return undefined;
  const bytes = new Uint8Array(32);
  for (let index = 0; index < 32; index++) {
    const high = hexDigit(hex.charCodeAt(index * 2));
    const low = hexDigit(hex.charCodeAt(index * 2 + 1));
    if (high < 0 || low < 0) return undefined;
    bytes[index] = (high << 4) | low;
  }
  return bytes;
}

/** The value of one hex digit's char code (0-9, a-f, A-F), or -1. */
function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}
