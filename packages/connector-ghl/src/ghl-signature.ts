import { importPublicKey, pemToDer, publicKeySignature, splitPemList } from '@act/connector-kit';

// GoHighLevel signs Marketplace webhooks with one of two schemes:
//
//   x-ghl-signature: base64 Ed25519 signature of the body (current).
//     SDK PR https://github.com/GoHighLevel/highlevel-api-sdk/pull/15,
//     SDK README §Webhooks (https://github.com/GoHighLevel/highlevel-api-sdk).
//   x-wh-signature:  base64 RSASSA-PKCS1-v1_5 / SHA-256 signature of the body
//     with a 4096-bit key (legacy). Retired: "The legacy header X-WH-Signature
//     will be deprecated on July 1, 2026. After that date, webhooks will be
//     signed only with X-GHL-Signature" (Webhook Integration Guide,
//     https://marketplace.gohighlevel.com/docs/webhook/WebhookIntegrationGuide,
//     as quoted in https://dev.to/flarecanary/highlevel-webhooks-flip-x-wh-signature-x-ghl-signature-on-july-1-2026-three-silent-failure-do2;
//     one integrator reports 2026-09-01). Both dates have passed, so it is
//     refused unless a deployment turns it on (`legacyRsa: true`).
//     https://github.com/GoHighLevel/highlevel-api-docs/blob/main/docs/oauth/WebhookAuthentication.md
//
// The official SDK checks `x-ghl-signature` first and, when that header is
// present, never falls back to the legacy one (`lib/webhook/webhook-manager.ts`
// in https://github.com/GoHighLevel/highlevel-api-sdk). We do the same. The
// SDK verifies `JSON.stringify(req.body)` (re-serialised JSON); we verify the
// raw bytes, and try the re-serialised form only when the deployment opts in.
//
// The checking is the kit's `publicKeySignature` (Web Crypto key import,
// node:crypto or Web Crypto verification, no string compare), so this runs on
// Node >= 22, Deno, Supabase Edge, Vercel Edge and Cloudflare Workers alike.
// This file holds GHL's facts: headers, keys, scheme order and messages.

/** The current (Ed25519) signature header. */
export const GHL_SIGNATURE_HEADER = 'x-ghl-signature';
/** The legacy (RSA-SHA256) signature header. */
export const GHL_LEGACY_SIGNATURE_HEADER = 'x-wh-signature';

/**
 * GHL's Ed25519 webhook public key (SPKI PEM). Not printed on a GHL-owned
 * page we could read: the SDK (https://github.com/GoHighLevel/highlevel-api-sdk)
 * reads it from `WEBHOOK_SIGNATURE_PUBLIC_KEY`; many independent integrations
 * embed this value and cite the Webhook Integration Guide
 * (https://marketplace.gohighlevel.com/docs/webhook/WebhookIntegrationGuide). Hence configurable (`ed25519PublicKeys`), with this as the default.
 */
export const GHL_ED25519_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=
-----END PUBLIC KEY-----`;

/**
 * GHL's RSA-4096 public key for the legacy `x-wh-signature`, verbatim from
 * https://github.com/GoHighLevel/highlevel-api-docs/blob/main/docs/oauth/WebhookAuthentication.md.
 */
export const GHL_RSA_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAokvo/r9tVgcfZ5DysOSC
Frm602qYV0MaAiNnX9O8KxMbiyRKWeL9JpCpVpt4XHIcBOK4u3cLSqJGOLaPuXw6
dO0t6Q/ZVdAV5Phz+ZtzPL16iCGeK9po6D6JHBpbi989mmzMryUnQJezlYJ3DVfB
csedpinheNnyYeFXolrJvcsjDtfAeRx5ByHQmTnSdFUzuAnC9/GepgLT9SM4nCpv
uxmZMxrJt5Rw+VUaQ9B8JSvbMPpez4peKaJPZHBbU3OdeCVx5klVXXZQGNHOs8gF
3kvoV5rTnXV0IknLBXlcKKAQLZcY/Q9rG6Ifi9c+5vqlvHPCUJFT5XUGG5RKgOKU
J062fRtN+rLYZUV+BjafxQauvC8wSWeYja63VSUruvmNj8xkx2zE/Juc+yjLjTXp
IocmaiFeAO6fUtNjDeFVkhf5LNb59vECyrHD2SQIrhgXpO4Q3dVNA5rw576PwTzN
h/AMfHKIjE4xQA1SZuYJmNnmVZLIZBlQAF9Ntd03rfadZ+yDiOXCCs9FkHibELhC
HULgCsnuDJHcrGNd5/Ddm5hxGQ0ASitgHeMZ0kcIOwKDOzOU53lDza6/Y09T7sYJ
PQe7z0cvj7aE4B+Ax1ZoZGPzpJlZtGXCsu9aTEGEnKzmsFqwcSsnw3JB31IGKAyk
T1hhTiaCeIY/OwwwNUY2yvcCAwEAAQ==
-----END PUBLIC KEY-----`;

/**
 * The replay window GHL recommends: "e.g., 5 minutes" (§3 Handling Replay Attacks,
 * https://github.com/GoHighLevel/highlevel-api-docs/blob/main/docs/oauth/WebhookAuthentication.md).
 */
export const GHL_DEFAULT_TIMESTAMP_TOLERANCE_MS = 300_000;

export type GhlSignatureScheme = 'ed25519' | 'rsa';

export interface VerifyGhlSignatureOptions {
  /** The raw body bytes exactly as received. */
  body: Uint8Array;
  /** Request headers, names lower-cased (`WebhookRequestV1.headers`, or `Object.fromEntries(request.headers)`). */
  headers: Readonly<Record<string, string | null | undefined>>;
  /** SPKI PEM Ed25519 keys, all tried (rotation). Defaults to `[GHL_ED25519_PUBLIC_KEY]`. */
  ed25519PublicKeys?: readonly string[];
  /** SPKI PEM RSA keys for the legacy header, all tried. Defaults to `[GHL_RSA_PUBLIC_KEY]`. */
  rsaPublicKeys?: readonly string[];
  /**
   * Accept the legacy `x-wh-signature` when `x-ghl-signature` is absent.
   * Defaults to `false`: GHL retired the scheme (see the top of this file).
   */
  legacyRsa?: boolean;
  /**
   * Also accept a signature over `JSON.stringify(JSON.parse(body))`, the
   * form GHL's own SDK verifies. Off by default: only for deployments
   * whose raw-byte verification fails because GHL signed a re-serialised
   * form. Tried only after the raw bytes failed.
   */
  reserializedBodyFallback?: boolean;
}

export type GhlSignatureVerification =
  | {
      valid: true;
      scheme: GhlSignatureScheme;
      /** Index of the matching key in its list (rotation metrics; never the key). */
      keyIndex: number;
      /** `true` when only the re-serialised body verified (the compat fallback). */
      reserialized: boolean;
    }
  | {
      valid: false;
      /** Short, safe to log and to answer with. */
      reason: string;
      /** No usable key is configured for the scheme the request needs. */
      misconfigured?: boolean;
    };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A header value, or `undefined` when it is absent, blank or the literal
 * `N/A`, which GHL reportedly sends in place of a signature (seen in
 * third-party verifiers, not in GHL's docs): all treated as missing, so they
 * fail closed. Anything else is returned as it came, untrimmed: the
 * signature must be canonical base64 to the last character, so an altered
 * header never verifies.
 */
export function ghlHeaderValue(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed || trimmed.toUpperCase() === 'N/A') return undefined;
  return value as string;
}

/**
 * Verify a GoHighLevel Marketplace webhook signature. Pure and runtime
 * neutral. Fails closed: a missing or malformed signature, a scheme with no
 * configured key, a disabled legacy scheme or any mismatch is `valid: false`.
 * An `x-ghl-signature` that does not verify is refused even when a valid
 * `x-wh-signature` is present (no downgrade to the legacy scheme).
 */
export async function verifyGhlSignature(options: VerifyGhlSignatureOptions): Promise<GhlSignatureVerification> {
  if (ghlHeaderValue(options.headers[GHL_SIGNATURE_HEADER]) !== undefined) {
    return verifyScheme('ed25519', options.ed25519PublicKeys ?? [GHL_ED25519_PUBLIC_KEY], options);
  }
  if (ghlHeaderValue(options.headers[GHL_LEGACY_SIGNATURE_HEADER]) === undefined) {
    return { valid: false, reason: `missing ${GHL_SIGNATURE_HEADER} (and ${GHL_LEGACY_SIGNATURE_HEADER}) header` };
  }
  if (options.legacyRsa !== true) {
    return {
      valid: false,
      reason: `missing ${GHL_SIGNATURE_HEADER} header (the legacy ${GHL_LEGACY_SIGNATURE_HEADER} scheme is turned off)`,
    };
  }
  return verifyScheme('rsa', options.rsaPublicKeys ?? [GHL_RSA_PUBLIC_KEY], options);
}

async function verifyScheme(
  scheme: GhlSignatureScheme,
  keys: readonly string[],
  options: VerifyGhlSignatureOptions,
): Promise<GhlSignatureVerification> {
  // A key that cannot be imported (a mis-pasted rotation key) does not stop
  // the others from verifying: GHL never retries a 401, so refusing every
  // delivery would lose them all. It is reported with every failure instead.
  const verify = publicKeySignature({
    algorithm: scheme === 'ed25519' ? 'ed25519' : 'rsa-sha256',
    keys,
    header: scheme === 'ed25519' ? GHL_SIGNATURE_HEADER : GHL_LEGACY_SIGNATURE_HEADER,
    placeholders: ['N/A'],
    payload: ({ body }) => {
      const reserialized = options.reserializedBodyFallback ? reserialize(body) : undefined;
      return reserialized ? [body, reserialized] : body;
    },
  });
  const result = await verify({ body: options.body, headers: options.headers });
  if (result.ok) return { valid: true, scheme, keyIndex: result.keyIndex, reserialized: result.payloadIndex === 1 };
  // A mismatch while a configured key is broken may be that key's fault: reported as our misconfiguration.
  return result.code === 'misconfigured' || (result.code === 'mismatch' && result.brokenKeys)
    ? { valid: false, reason: result.reason, misconfigured: true }
    : { valid: false, reason: result.reason };
}

/**
 * Import an SPKI PEM public key for `scheme`, cached per PEM (an RSA-4096
 * import is not free, and every delivery needs it).
 *
 * @throws when the PEM is malformed or holds another kind of key.
 */
export function importGhlPublicKey(pem: string, scheme: GhlSignatureScheme): Promise<CryptoKey> {
  return importPublicKey(pem, scheme === 'ed25519' ? 'ed25519' : 'rsa-sha256');
}

/** Splitting a rotation list held in one variable, and reading SPKI PEM: the kit's helpers. */
export { pemToDer, splitPemList };

/** `JSON.stringify(JSON.parse(body))` as UTF-8, or `undefined` when the body is not JSON. */
function reserialize(body: Uint8Array): Uint8Array | undefined {
  try {
    return encoder.encode(JSON.stringify(JSON.parse(decoder.decode(body))));
  } catch {
    return undefined;
  }
}

export interface CheckGhlTimestampOptions {
  /** The body's `timestamp` field as sent (ISO 8601), or anything else found there. */
  timestamp: unknown;
  /** Receipt time, epoch ms. */
  now: number;
  /** Largest accepted distance from `now`. Defaults to 5 minutes. */
  toleranceMs?: number;
  /** Accept a delivery with no `timestamp` at all. Defaults to `false` (fail closed). */
  allowMissing?: boolean;
}

/**
 * The replay check GHL documents: "Ensure the `timestamp` in the payload is
 * within an acceptable time window (e.g., 5 minutes)" (§3 of
 * https://github.com/GoHighLevel/highlevel-api-docs/blob/main/docs/oauth/WebhookAuthentication.md).
 * The timestamp lives in the body, not a header, so run this
 * after the signature verified. A present but unreadable timestamp is
 * always refused.
 */
export function checkGhlTimestamp(
  options: CheckGhlTimestampOptions,
): { valid: true } | { valid: false; reason: string } {
  const { timestamp, now, toleranceMs = GHL_DEFAULT_TIMESTAMP_TOLERANCE_MS } = options;
  if (timestamp === undefined || timestamp === null) {
    return options.allowMissing ? { valid: true } : { valid: false, reason: 'missing timestamp in the body' };
  }
  const at = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
  if (!Number.isFinite(at)) return { valid: false, reason: 'unreadable timestamp in the body' };
  if (!(Math.abs(now - at) <= toleranceMs)) {
    return { valid: false, reason: `timestamp outside the ${Math.round(toleranceMs / 1000)} s tolerance` };
  }
  return { valid: true };
}
