// Template signs every delivery like Stripe does (a common real-world scheme):
//
//   x-template-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
//
// Template is fictional, so this scheme is made up for the template package.
// A real connector takes every detail below (header name, what is signed,
// encoding, tolerance) from the provider's docs and cites the URL here, e.g.
// `// See https://docs.stripe.com/webhooks#verify-manually`. The checking
// itself is the kit's `hmacSignature`: these are only the provider's facts.

import { hmacSignature, type ParsedSignatureHeader } from '@act/connector-kit';

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
 * Check a Template webhook signature. Pure and runtime-neutral; constant-time
 * compare; every secret is tried, so rotation needs no downtime. Fails
 * closed: no secret, a missing, empty or `N/A` header, a malformed header or
 * a timestamp outside the tolerance is `valid: false`.
 */
export async function verifyTemplateSignature(
  options: VerifyTemplateSignatureOptions,
): Promise<TemplateSignatureVerification> {
  const verify = hmacSignature({
    algorithm: 'sha256',
    encoding: 'hex',
    header: TEMPLATE_SIGNATURE_HEADER,
    secrets: options.secrets,
    // Some proxies and test tools forward a placeholder instead of dropping the header.
    placeholders: ['N/A'],
    parse: parseSignatureHeader,
    toleranceMs: options.toleranceMs ?? DEFAULT_SIGNATURE_TOLERANCE_MS,
    // The signed bytes are "<t>." followed by the raw body, with `t` exactly as sent.
    payload: ({ body }, { timestamp }) => {
      const prefix = encoder.encode(`${timestamp}.`);
      const signed = new Uint8Array(prefix.byteLength + body.byteLength);
      signed.set(prefix);
      signed.set(body, prefix.byteLength);
      return signed;
    },
  });
  const result = await verify({
    body: options.body,
    headers: { [TEMPLATE_SIGNATURE_HEADER]: options.header },
    receivedAt: new Date(options.now ?? Date.now()),
  });
  if (result.ok) return { valid: true, keyIndex: result.keyIndex };
  if (result.code === 'misconfigured') return { valid: false, reason: 'no webhook secret configured' };
  return { valid: false, reason: result.code === 'mismatch' ? 'signature mismatch' : result.reason };
}

/**
 * `t=1767261600,v1=5257a8…` → the timestamp and every `v1` signature. Unknown
 * keys (a future `v2`) are ignored; several `v1` entries are allowed (the
 * provider signs with each of its secrets while it rotates). Returns
 * `undefined` for anything malformed.
 */
function parseSignatureHeader(value: string): ParsedSignatureHeader | undefined {
  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const part of value.split(',')) {
    const separator = part.indexOf('=');
    if (separator < 1) return undefined;
    const key = part.slice(0, separator).trim();
    const item = part.slice(separator + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(item)) return undefined;
      timestamp = item;
    } else if (key === 'v1') {
      signatures.push(item);
    }
  }
  return timestamp !== undefined && signatures.length > 0 ? { timestamp, signatures } : undefined;
}
