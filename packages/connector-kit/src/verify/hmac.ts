import { base64ToBytes, createHmacSha256Verifier, type HmacSha256Verifier } from '@act/core/internal';
import { fail, headerValue, type Signable, toBytes, type VerifiableRequest, type Verifier } from './types';

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';

/** What `parse` read from the signature header. */
export interface ParsedSignatureHeader {
  /** The signature(s), still encoded (`encoding`); any of them may match (the provider rotating its side). */
  signatures: readonly string[];
  /** A signed timestamp as sent, in Unix seconds (checked against `toleranceMs`, handed to `payload`). */
  timestamp?: string | undefined;
}

export interface HmacSignatureOptions {
  /** The hash (HMAC-`algorithm`). */
  algorithm: HmacAlgorithm;
  /** How the signature is written in the header. `base64` is canonical base64 only. */
  encoding: 'hex' | 'base64';
  /** The header carrying the signature (any case). */
  header: string;
  /**
   * Every secret currently valid (two while rotating), as text: its UTF-8
   * bytes are the HMAC key, never base64-decoded. Empty strings are skipped;
   * none at all is `misconfigured`.
   */
  secrets: readonly string[];
  /** Text before the signature in the header, e.g. `sha256=` (GitHub, Notion). Its absence is `malformed`. */
  prefix?: string;
  /**
   * Reads a structured header (e.g. Stripe-style `t=…,v1=…`) instead of
   * `prefix` + one signature. Returns `undefined` for a malformed header.
   */
  parse?: (value: string) => ParsedSignatureHeader | undefined;
  /**
   * The bytes (or text) that were signed; defaults to the raw body. Return
   * several to accept any of them, tried in order (the first one is preferred;
   * the match is reported as `payloadIndex`).
   */
  payload?: (request: VerifiableRequest, header: ParsedSignatureHeader) => Signable | readonly Signable[];
  /** Refuse a `timestamp` (from `parse`) further than this from the receipt time, in ms (replay window). */
  toleranceMs?: number;
  /** Header values that mean "no signature" (e.g. `N/A` some proxies forward). Blank is always missing. */
  placeholders?: readonly string[];
}

export interface HmacVerified {
  /** Index of the payload (from `payload`) that verified; 0 for the raw body. */
  payloadIndex: number;
}

const DIGEST_BYTES: Record<HmacAlgorithm, number> = { sha1: 20, sha256: 32, sha512: 64 };
const HASH: Record<HmacAlgorithm, string> = { sha1: 'SHA-1', sha256: 'SHA-256', sha512: 'SHA-512' };

/**
 * An HMAC signature verifier (Xero, Stripe, GitHub, Notion, Shopify, …).
 * HMAC-SHA256 goes through `@act/core`'s fast path (node:crypto with
 * `timingSafeEqual` where the runtime has it, Web Crypto elsewhere); the
 * other hashes through Web Crypto. Every comparison is constant time
 * (`timingSafeEqual` / `crypto.subtle.verify`), never a string compare.
 * Fails closed: no secret, a missing, malformed or stale header, or a
 * mismatch is `ok: false`.
 */
export function hmacSignature(options: HmacSignatureOptions): Verifier<HmacVerified> {
  const { algorithm, encoding, prefix = '', placeholders = [] } = options;
  const header = options.header.toLowerCase();
  const keys: { index: number; verify: HmacSha256Verifier }[] = [];
  for (const [index, secret] of options.secrets.entries()) {
    if (typeof secret === 'string' && secret !== '') keys.push({ index, verify: hmacVerifierFor(algorithm, secret) });
  }
  const decode = (text: string): Uint8Array<ArrayBuffer> | undefined => {
    const bytes = encoding === 'hex' ? hexToBytes(text) : base64ToBytes(text);
    // A digest of another length cannot match: refused without computing.
    return bytes?.byteLength === DIGEST_BYTES[algorithm] ? bytes : undefined;
  };

  // Once per delivery: plain loops, one array at most (the verify benchmark
  // holds this path to the cost of the bare primitive).
  return async (request) => {
    if (keys.length === 0) return fail('misconfigured', 'no signing secret configured');
    const value = headerValue(request, header, placeholders);
    if (value === undefined) return fail('missing', `missing ${header} header`);
    let parsed: ParsedSignatureHeader | undefined;
    let macs: Uint8Array<ArrayBuffer>[] | undefined;
    if (options.parse) {
      parsed = options.parse(value.trim());
      if (parsed && parsed.signatures.length > 0) {
        macs = [];
        for (const signature of parsed.signatures) {
          const mac = decode(signature);
          if (mac === undefined) {
            macs = undefined;
            break;
          }
          macs.push(mac);
        }
      }
    } else if (value.startsWith(prefix)) {
      const signature = prefix === '' ? value : value.slice(prefix.length);
      const mac = decode(signature);
      if (mac !== undefined) {
        parsed = { signatures: [signature] };
        macs = [mac];
      }
    }
    if (!parsed || !macs) return fail('malformed', `malformed ${header} header`);
    if (options.toleranceMs !== undefined) {
      const now = request.receivedAt?.getTime() ?? Date.now();
      const signedAt = parsed.timestamp !== undefined ? Number(parsed.timestamp) * 1000 : Number.NaN;
      if (!(Math.abs(now - signedAt) <= options.toleranceMs)) {
        return fail('expired', `timestamp outside the ${Math.round(options.toleranceMs / 1000)} s tolerance`);
      }
    }
    const signed = options.payload ? options.payload(request, parsed) : request.body;
    const payloads = (Array.isArray(signed) ? signed : [signed]) as readonly Signable[];
    for (let payloadIndex = 0; payloadIndex < payloads.length; payloadIndex++) {
      const bytes = toBytes(payloads[payloadIndex] as Signable);
      for (const key of keys) {
        for (const mac of macs) {
          if (await key.verify(bytes, mac)) return { ok: true, keyIndex: key.index, payloadIndex };
        }
      }
    }
    return fail('mismatch', `${header} signature mismatch`);
  };
}

/** The signature `hmacSignature` expects for `payload` under `secret`, encoded. For tests and signers. */
export async function signHmac(
  payload: Signable,
  secret: string,
  options: { algorithm: HmacAlgorithm; encoding: 'hex' | 'base64' },
): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    toBytes(secret),
    { name: 'HMAC', hash: HASH[options.algorithm] },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, toBytes(payload)));
  if (options.encoding === 'hex') return [...mac].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  let binary = '';
  for (const byte of mac) binary += String.fromCharCode(byte);
  return btoa(binary);
}

const sha256Verifiers = new Map<string, HmacSha256Verifier>();
const VERIFIER_CACHE_LIMIT = 64;

/** One verifier per (algorithm, secret), made once: connectors verify every delivery with the same few secrets. */
function hmacVerifierFor(algorithm: HmacAlgorithm, secret: string): HmacSha256Verifier {
  const cacheKey = `${algorithm}:${secret}`;
  let verifier = sha256Verifiers.get(cacheKey);
  if (!verifier) {
    verifier = algorithm === 'sha256' ? createHmacSha256Verifier(toBytes(secret)) : webCryptoHmac(algorithm, secret);
    if (sha256Verifiers.size >= VERIFIER_CACHE_LIMIT) {
      sha256Verifiers.delete(sha256Verifiers.keys().next().value as string);
    }
    sha256Verifiers.set(cacheKey, verifier);
  }
  return verifier;
}

function webCryptoHmac(algorithm: HmacAlgorithm, secret: string): HmacSha256Verifier {
  let key: Promise<CryptoKey> | undefined;
  return async (data, mac) => {
    key ??= crypto.subtle.importKey('raw', toBytes(secret), { name: 'HMAC', hash: HASH[algorithm] }, false, ['verify']);
    return crypto.subtle.verify('HMAC', await key, toBytes(mac), toBytes(data));
  };
}

/** Hex digits (either case, even count) → bytes, or `undefined`. */
export function hexToBytes(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let index = 0; index < bytes.length; index++)
    bytes[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  return bytes;
}
