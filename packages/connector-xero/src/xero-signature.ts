import { hmacSignature, signHmac } from '@act/connector-kit';

// Xero signs every webhook request, intent-to-receive checks included:
//
//   x-xero-signature: base64( HMAC-SHA256( key = the webhook key, message = the raw body ) )
//
// - https://developer.xero.com/documentation/webhooks/configuring-your-server;
//   the OpenAPI spec's header `x-xero-signature: "<Base_64_HMAC_SHA_256>"`
//   (https://github.com/XeroAPI/Xero-OpenAPI/blob/master/xero-webhooks.yaml).
// - The key is the webhook key's text as UTF-8 (it looks like base64 but is
//   never decoded): the official .NET receiver does
//   `new ASCIIEncoding().GetBytes(WebhookKey)`
//   (https://github.com/XeroAPI/Xero-NetStandard-Webhooks-Receiver/blob/master/Xero-NetStandard-Webhooks-Receiver/Controllers/WebhooksController.cs). The decoded-key
//   variant does not match Xero's signatures (a negative control in the tests).
// - The message is the body bytes exactly as received. Xero's bodies carry
//   irregular whitespace (`"firstEventSequence": 0,"lastEventSequence": 0`),
//   so `JSON.stringify(JSON.parse(body))` breaks the HMAC
//   (https://github.com/XeroAPI/xero-node/issues/563).
//
// The check itself is the kit's `hmacSignature` (constant-time compare,
// node:crypto where the runtime has it, Web Crypto elsewhere; canonical
// base64 only, a signature that is not 32 bytes is refused as malformed).

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

/**
 * A verifier for a list of webhook keys, made once (the webhook processor
 * makes it when it is created). Keys are used exactly as given: never
 * trimmed or decoded, their UTF-8 bytes are the HMAC key.
 */
export function createXeroSignatureVerifier(
  keys: readonly string[],
): (body: Uint8Array | string, signature: string | null | undefined) => Promise<XeroSignatureVerification> {
  const verify = hmacSignature({
    algorithm: 'sha256',
    encoding: 'base64',
    header: XERO_SIGNATURE_HEADER,
    secrets: keys.filter((key) => typeof key === 'string' && key !== ''),
  });
  return async (body, signature) => {
    const result = await verify({
      body: typeof body === 'string' ? encoder.encode(body) : body,
      headers: { [XERO_SIGNATURE_HEADER]: signature },
    });
    if (result.ok) return { valid: true, keyIndex: result.keyIndex };
    return result.code === 'misconfigured'
      ? { valid: false, reason: 'no webhook key configured (XERO_WEBHOOK_KEY)', misconfigured: true }
      : { valid: false, reason: result.reason };
  };
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
  return createXeroSignatureVerifier(options.keys)(options.body, options.signature);
}

/**
 * The signature Xero would send for `body` under `key`: base64 HMAC-SHA256
 * with the key's UTF-8 bytes. For tests and for signing fixtures you send to
 * your own endpoint.
 */
export function signXeroBody(body: Uint8Array | string, key: string): Promise<string> {
  return signHmac(body, key, { algorithm: 'sha256', encoding: 'base64' });
}
