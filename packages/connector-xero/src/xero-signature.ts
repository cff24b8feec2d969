import { base64ToBytes, type HmacSha256Verifier, hmacSha256VerifierFor } from '@act/core';

// Xero signs every webhook request, intent-to-receive checks included
// (fact sheet shared/providers/ghl-xero.md B1):
//
//   x-xero-signature: base64( HMAC-SHA256( key = the webhook key, message = the raw body ) )
//
// - https://developer.xero.com/documentation/webhooks/configuring-your-server [X1];
//   the spec's header `x-xero-signature: "<Base_64_HMAC_SHA_256>"` [X3].
// - The key is the webhook key's text as UTF-8 (it looks like base64 but is
//   never decoded): the official .NET receiver does
//   `new ASCIIEncoding().GetBytes(WebhookKey)` [X14]. The decoded-key variant
//   does not match Xero's signatures (fact sheet B5, negative control).
// - The message is the body bytes exactly as received. Xero's bodies carry
//   irregular whitespace (`"firstEventSequence": 0,"lastEventSequence": 0`),
//   so `JSON.stringify(JSON.parse(body))` breaks the HMAC [X11] (B4 #1).
//
// Through `@act/core`'s `hmacSha256VerifierFor`: node:crypto where the
// runtime has it (a Web Crypto call is a thread-pool round trip on Node, many
// times the HMAC of a webhook), Web Crypto elsewhere, so this runs on Node
// >= 22, Deno, Supabase Edge, Vercel Edge and Cloudflare Workers alike. The
// comparison is constant time (`timingSafeEqual` / `subtle.verify`): there is
// no string compare.

/** The signature header, lower case. */
export const XERO_SIGNATURE_HEADER = 'x-xero-signature';

export interface VerifyXeroSignatureOptions {
  /** The raw body bytes exactly as received (a string is taken as its UTF-8 bytes). */
  body: Uint8Array | string;
  /** The `x-xero-signature` header value. */
  signature: string | null | undefined;
  /**
   * Webhook keys from the Xero developer portal (app → Webhooks → "Webhooks
   * key"), as the text shown there. All are tried, so the old and the new key
   * both verify while you rotate.
   */
  keys: readonly string[];
}

export type XeroSignatureVerification =
  | {
      valid: true;
      /** Index of the matching key in `keys` (rotation metrics; never the key). */
      keyIndex: number;
    }
  | {
      valid: false;
      /** Short, safe to log. */
      reason: string;
      /** No key is configured: the request cannot be verified at all. */
      misconfigured?: boolean;
    };

const encoder = new TextEncoder();
const HMAC: HmacImportParams = { name: 'HMAC', hash: 'SHA-256' };

/**
 * A verifier for one webhook key: HMAC-SHA256 with the key's UTF-8 bytes,
 * never base64-decoded (fact sheet B1 "Key encoding"). node:crypto where the
 * runtime has it, Web Crypto elsewhere (`@act/core`'s
 * `hmacSha256VerifierFor`, made once per key); both compare in constant time.
 */
export function xeroWebhookVerifier(key: string): HmacSha256Verifier {
  return hmacSha256VerifierFor(key);
}

/**
 * Verify Xero's `x-xero-signature`. Pure and runtime neutral. Fails closed:
 * no key, a missing or malformed header, or a mismatch is `valid: false`.
 *
 * ```ts
 * const result = await verifyXeroSignature({
 *   body: new Uint8Array(await request.arrayBuffer()),
 *   signature: request.headers.get('x-xero-signature'),
 *   keys: [process.env.XERO_WEBHOOK_KEY!],
 * });
 * ```
 */
export async function verifyXeroSignature(options: VerifyXeroSignatureOptions): Promise<XeroSignatureVerification> {
  const keys = options.keys.filter((key) => typeof key === 'string' && key !== '');
  return verifyWithKeys(
    options.body,
    options.signature,
    keys.map((key) => xeroWebhookVerifier(key)),
  );
}

/** `verifyXeroSignature` with verifiers already made (the webhook processor makes them once). */
export async function verifyWithKeys(
  body: Uint8Array | string,
  signature: string | null | undefined,
  verifiers: readonly HmacSha256Verifier[],
): Promise<XeroSignatureVerification> {
  if (verifiers.length === 0) {
    return { valid: false, reason: 'no webhook key configured (XERO_WEBHOOK_KEY)', misconfigured: true };
  }
  if (!signature?.trim()) return { valid: false, reason: `missing ${XERO_SIGNATURE_HEADER} header` };
  // Canonical base64 only, untrimmed: a header that differs from the one Xero
  // computed by a space, a padding character or the unused bits of its last
  // character is refused, even where it decodes to the same bytes.
  const mac = base64ToBytes(signature);
  // An HMAC-SHA256 is 32 bytes; anything else cannot match (and is refused without computing).
  if (mac?.byteLength !== 32) return { valid: false, reason: `malformed ${XERO_SIGNATURE_HEADER} header` };
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  for (let keyIndex = 0; keyIndex < verifiers.length; keyIndex++) {
    if (await (verifiers[keyIndex] as HmacSha256Verifier)(bytes, mac)) return { valid: true, keyIndex };
  }
  return { valid: false, reason: `${XERO_SIGNATURE_HEADER} signature mismatch` };
}

/**
 * The signature Xero would send for `body` under `key`: base64 HMAC-SHA256
 * with the key's UTF-8 bytes. For tests and for signing fixtures you send to
 * your own endpoint.
 */
export async function signXeroBody(body: Uint8Array | string, key: string): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey('raw', encoder.encode(key), HMAC, false, ['sign']);
  const bytes = typeof body === 'string' ? encoder.encode(body) : toArrayBufferView(body);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, bytes));
  let binary = '';
  for (const byte of mac) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function toArrayBufferView(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  // Web Crypto only takes views over a plain ArrayBuffer; copy anything else.
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}
