import { base64ToBytes, createPublicKeyVerifier, type SignatureVerifier } from '@act/core';

// GoHighLevel signs Marketplace webhooks with one of two schemes (fact sheet
// shared/providers/ghl-xero.md A1.1):
//
//   x-ghl-signature: base64 Ed25519 signature of the body (current).
//     SDK PR https://github.com/GoHighLevel/highlevel-api-sdk/pull/15 [G9],
//     SDK README §Webhooks [G8].
//   x-wh-signature:  base64 RSASSA-PKCS1-v1_5 / SHA-256 signature of the body
//     with a 4096-bit key (legacy). Retired: "The legacy header X-WH-Signature
//     will be deprecated on July 1, 2026. After that date, webhooks will be
//     signed only with X-GHL-Signature" (Webhook Integration Guide,
//     https://marketplace.gohighlevel.com/docs/webhook/WebhookIntegrationGuide,
//     as quoted in https://dev.to/flarecanary/highlevel-webhooks-flip-x-wh-signature-x-ghl-signature-on-july-1-2026-three-silent-failure-do2;
//     one integrator reports 2026-09-01). Both dates have passed, so it is
//     refused unless a deployment turns it on (`legacyRsa: true`).
//     https://github.com/GoHighLevel/highlevel-api-docs/blob/main/docs/oauth/WebhookAuthentication.md [G1]
//
// The official SDK checks `x-ghl-signature` first and, when that header is
// present, never falls back to the legacy one [G8 webhook-manager.ts]. We do
// the same. The SDK verifies `JSON.stringify(req.body)` (re-serialised JSON);
// we verify the raw bytes, and try the re-serialised form only when the
// deployment opts in (fact sheet A1.2 "Connector rule").
//
// Keys are imported with Web Crypto, and signatures checked through
// `@act/core`'s `createPublicKeyVerifier` (node:crypto where the runtime has
// it, Web Crypto elsewhere), so this runs on Node >= 22, Deno, Supabase Edge,
// Vercel Edge and Cloudflare Workers alike. There is no string compare.

/** The current (Ed25519) signature header. */
export const GHL_SIGNATURE_HEADER = 'x-ghl-signature';
/** The legacy (RSA-SHA256) signature header. */
export const GHL_LEGACY_SIGNATURE_HEADER = 'x-wh-signature';

/**
 * GHL's Ed25519 webhook public key (SPKI PEM). Not printed on a GHL-owned
 * page we could read: the SDK reads it from `WEBHOOK_SIGNATURE_PUBLIC_KEY`
 * [G8]; many independent integrations embed this value and cite the Webhook
 * Integration Guide (https://marketplace.gohighlevel.com/docs/webhook/WebhookIntegrationGuide)
 * [G16]. Hence configurable (`ed25519PublicKeys`), with this as the default.
 */
export const GHL_ED25519_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=
-----END PUBLIC KEY-----`;

/**
 * GHL's RSA-4096 public key for the legacy `x-wh-signature`, verbatim from
 * https://github.com/GoHighLevel/highlevel-api-docs/blob/main/docs/oauth/WebhookAuthentication.md [G1].
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

/** The replay window GHL recommends: "e.g., 5 minutes" [G1 §3 Handling Replay Attacks]. */
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
   * form GHL's own SDK verifies [G8]. Off by default: only for deployments
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

const ED25519: EcKeyImportParams | Algorithm = { name: 'Ed25519' };
const RSA: RsaHashedImportParams = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };

/**
 * A header value, or `undefined` when it is absent, blank or the literal
 * `N/A`, which GHL reportedly sends in place of a signature [G16, UNVERIFIED]:
 * all treated as missing, so they fail closed. Anything else is returned as
 * it came, untrimmed: the signature must be canonical base64 to the last
 * character (`base64ToBytes`), so an altered header never verifies.
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
  const ed25519Header = ghlHeaderValue(options.headers[GHL_SIGNATURE_HEADER]);
  if (ed25519Header !== undefined) {
    return verifyScheme('ed25519', ed25519Header, options.ed25519PublicKeys ?? [GHL_ED25519_PUBLIC_KEY], options);
  }
  const rsaHeader = ghlHeaderValue(options.headers[GHL_LEGACY_SIGNATURE_HEADER]);
  if (rsaHeader === undefined) {
    return { valid: false, reason: `missing ${GHL_SIGNATURE_HEADER} (and ${GHL_LEGACY_SIGNATURE_HEADER}) header` };
  }
  if (options.legacyRsa !== true) {
    return {
      valid: false,
      reason: `missing ${GHL_SIGNATURE_HEADER} header (the legacy ${GHL_LEGACY_SIGNATURE_HEADER} scheme is turned off)`,
    };
  }
  return verifyScheme('rsa', rsaHeader, options.rsaPublicKeys ?? [GHL_RSA_PUBLIC_KEY], options);
}

async function verifyScheme(
  scheme: GhlSignatureScheme,
  header: string,
  pems: readonly string[],
  options: VerifyGhlSignatureOptions,
): Promise<GhlSignatureVerification> {
  const headerName = scheme === 'ed25519' ? GHL_SIGNATURE_HEADER : GHL_LEGACY_SIGNATURE_HEADER;
  const keyName = scheme === 'ed25519' ? 'Ed25519' : 'RSA';
  // A key that cannot be imported (a mis-pasted rotation key) must not stop
  // the others from verifying: GHL never retries a 401, so refusing every
  // delivery would lose them all. It is reported with every failure instead.
  const keys: { pem: string; index: number }[] = [];
  const broken: number[] = [];
  const imported = importedKeys[scheme];
  for (const [index, pem] of pems.entries()) {
    // Already imported: no promise to wait for on every delivery.
    const ready = imported.get(pem);
    if (ready) {
      keys.push({ pem, index });
      continue;
    }
    try {
      await importGhlPublicKey(pem, scheme);
      keys.push({ pem, index });
    } catch {
      broken.push(index);
    }
  }
  if (keys.length === 0) {
    return {
      valid: false,
      reason:
        broken.length > 0
          ? `configured ${keyName} public key${broken.length > 1 ? 's' : ''} ${broken.join(', ')} cannot be imported`
          : `no ${keyName} public key configured for ${headerName}`,
      misconfigured: true,
    };
  }
  const signature = base64ToBytes(header);
  if (!signature) return { valid: false, reason: `malformed ${headerName} header (not base64)` };

  const bodies: { bytes: Uint8Array<ArrayBuffer>; reserialized: boolean }[] = [
    { bytes: toArrayBufferView(options.body), reserialized: false },
  ];
  if (options.reserializedBodyFallback) {
    const reserialized = reserialize(options.body);
    if (reserialized) bodies.push({ bytes: reserialized, reserialized: true });
  }
  for (const { bytes, reserialized } of bodies) {
    for (const { pem, index } of keys) {
      if (await verifierFor(pem, scheme)(bytes, signature)) {
        return { valid: true, scheme, keyIndex: index, reserialized };
      }
    }
  }
  return broken.length > 0
    ? {
        valid: false,
        reason: `${headerName} signature mismatch (${keyName} public key ${broken.join(', ')} cannot be imported)`,
        misconfigured: true,
      }
    : { valid: false, reason: `${headerName} signature mismatch` };
}

/**
 * The verifier of each imported key (`@act/core`'s `createPublicKeyVerifier`:
 * node:crypto where the runtime has it — a Web Crypto call is a thread-pool
 * round trip on Node — and Web Crypto elsewhere). Only keys that imported
 * (`importGhlPublicKey`) get one, so a broken key is still reported as such.
 */
const verifiers: Record<GhlSignatureScheme, Map<string, SignatureVerifier>> = { ed25519: new Map(), rsa: new Map() };

function verifierFor(pem: string, scheme: GhlSignatureScheme): SignatureVerifier {
  let verifier = verifiers[scheme].get(pem);
  if (!verifier) {
    verifier = createPublicKeyVerifier(
      scheme === 'ed25519' ? 'Ed25519' : 'RSASSA-PKCS1-v1_5/SHA-256',
      pemToDer(pem) as Uint8Array,
    );
    verifiers[scheme].set(pem, verifier);
  }
  return verifier;
}

const keyCache: Record<GhlSignatureScheme, Map<string, Promise<CryptoKey>>> = { ed25519: new Map(), rsa: new Map() };
/** The keys whose import has finished, per scheme and PEM. */
const importedKeys: Record<GhlSignatureScheme, Map<string, CryptoKey>> = { ed25519: new Map(), rsa: new Map() };

/**
 * Import an SPKI PEM public key for `scheme`, cached per PEM (an RSA-4096
 * import is not free, and every delivery needs it).
 *
 * @throws when the PEM is malformed or holds another kind of key.
 */
export function importGhlPublicKey(pem: string, scheme: GhlSignatureScheme): Promise<CryptoKey> {
  const cache = keyCache[scheme];
  let key = cache.get(pem);
  if (!key) {
    const der = pemToDer(pem);
    key = der
      ? crypto.subtle.importKey('spki', der, scheme === 'ed25519' ? ED25519 : RSA, false, ['verify'])
      : Promise.reject(new Error('not an SPKI PEM public key'));
    // A failed import is not cached: a fixed configuration can be retried.
    key.then(
      (imported) => {
        if (cache.get(pem) === key) importedKeys[scheme].set(pem, imported);
      },
      () => cache.delete(pem),
    );
    cache.set(pem, key);
  }
  return key;
}

/**
 * Split text holding one or more PEM public keys (a rotation list in one
 * environment variable) into separate PEM strings. Accepts `\n` written as
 * the two characters backslash-n, as `.env` files often hold them.
 */
export function splitPemList(text: string): string[] {
  const normalised = text.replace(/\\n/g, '\n');
  return normalised.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
}

/** The DER bytes of an SPKI PEM (`-----BEGIN PUBLIC KEY-----`), or `undefined` when malformed. */
export function pemToDer(pem: string): Uint8Array<ArrayBuffer> | undefined {
  const match = /^\s*-----BEGIN PUBLIC KEY-----([\s\S]*?)-----END PUBLIC KEY-----\s*$/.exec(pem.replace(/\\n/g, '\n'));
  if (!match) return undefined;
  return base64ToBytes((match[1] as string).replace(/\s+/g, ''));
}

function toArrayBufferView(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  // Web Crypto only takes views over a plain ArrayBuffer; copy anything else.
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

/** `JSON.stringify(JSON.parse(body))` as UTF-8, or `undefined` when the body is not JSON. */
function reserialize(body: Uint8Array): Uint8Array<ArrayBuffer> | undefined {
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
 * within an acceptable time window (e.g., 5 minutes)" [G1 §3]. The
 * timestamp lives in the body, not a header (fact sheet A1.3), so run this
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
