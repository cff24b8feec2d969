// Signature checks on the receive path, with node:crypto where it exists.
//
// Web Crypto is what every runtime has (Node, Deno, Supabase Edge, Vercel
// Edge, Workers), so it stays the portable path. But on Node each
// `crypto.subtle` call is a job on the libuv thread pool: for a 1 KB webhook
// the HMAC itself takes ~5 µs and the hop to a worker thread and back many
// times that, with long tails under load (measured in bench/src/verify.ts).
// node:crypto computes the same HMAC or Ed25519/RSA verification
// synchronously. It is reached through `process.getBuiltinModule` (Node >=
// 22.3, also Deno and Bun), never a static `node:` import, so this module
// still loads on edge runtimes, where the Web Crypto path runs instead.

interface NodeCryptoLike {
  createHmac(algorithm: string, key: unknown): { update(data: Uint8Array): { digest(): Uint8Array } };
  createSecretKey(key: Uint8Array): unknown;
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
  createPublicKey(key: { key: Uint8Array; format: 'der'; type: 'spki' }): unknown;
  verify(algorithm: string | null, data: Uint8Array, key: unknown, signature: Uint8Array): boolean;
}

let nodeCrypto: NodeCryptoLike | null | undefined;

/** node:crypto when the runtime offers it without a static import; `null` elsewhere. */
function loadNodeCrypto(): NodeCryptoLike | null {
  if (nodeCrypto !== undefined) return nodeCrypto;
  try {
    const processLike = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const found = processLike?.getBuiltinModule?.('node:crypto') as Partial<NodeCryptoLike> | undefined;
    nodeCrypto =
      found && typeof found.createHmac === 'function' && typeof found.timingSafeEqual === 'function'
        ? (found as NodeCryptoLike)
        : null;
  } catch {
    nodeCrypto = null;
  }
  return nodeCrypto;
}

const toView = (bytes: Uint8Array): Uint8Array<ArrayBuffer> =>
  (bytes.buffer instanceof ArrayBuffer ? bytes : new Uint8Array(bytes)) as Uint8Array<ArrayBuffer>;

/** Checks `mac` against HMAC-SHA256(secret, data) in constant time. */
export type HmacSha256Verifier = (data: Uint8Array, mac: Uint8Array) => Promise<boolean>;

/**
 * An HMAC-SHA256 verifier for one secret (its raw bytes): node:crypto with
 * `timingSafeEqual` on Node, Deno and Bun; `crypto.subtle.verify` (constant
 * time too) elsewhere, with the key imported once.
 */
export function createHmacSha256Verifier(
  secret: Uint8Array,
  options: { webCryptoOnly?: boolean } = {},
): HmacSha256Verifier {
  const node = options.webCryptoOnly ? null : loadNodeCrypto();
  if (node) {
    // A KeyObject made once: handing createHmac raw bytes costs a key setup per call (~4× the HMAC of 1 KB).
    const key =
      typeof node.createSecretKey === 'function'
        ? node.createSecretKey(new Uint8Array(secret))
        : new Uint8Array(secret);
    return async (data, mac) => {
      const expected = node.createHmac('sha256', key).update(data).digest();
      return mac.byteLength === expected.byteLength && node.timingSafeEqual(expected, mac);
    };
  }
  let imported: CryptoKey | Promise<CryptoKey> | undefined;
  const keyOf = (): CryptoKey | Promise<CryptoKey> => {
    if (!imported) {
      const importing = crypto.subtle.importKey('raw', toView(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
        'verify',
      ]);
      imported = importing;
      importing.then(
        (key) => {
          imported = key;
        },
        () => {
          imported = undefined; // a failed import is tried again next time
        },
      );
    }
    return imported;
  };
  return async (data, mac) => {
    const entry = keyOf();
    const key = entry instanceof CryptoKey ? entry : await entry;
    return crypto.subtle.verify('HMAC', key, toView(mac), toView(data));
  };
}

/**
 * The verifier for a secret given as text (its UTF-8 bytes are the key),
 * made once per secret: connectors verify every delivery with the same few
 * secrets. Bounded (64 secrets, oldest out first).
 */
export function hmacSha256VerifierFor(secret: string): HmacSha256Verifier {
  let verifier = verifierCache.get(secret);
  if (!verifier) {
    verifier = createHmacSha256Verifier(textEncoder.encode(secret));
    if (verifierCache.size >= VERIFIER_CACHE_LIMIT) verifierCache.delete(verifierCache.keys().next().value as string);
    verifierCache.set(secret, verifier);
  }
  return verifier;
}

const textEncoder = new TextEncoder();
const verifierCache = new Map<string, HmacSha256Verifier>();
const VERIFIER_CACHE_LIMIT = 64;

/**
 * Canonical base64 (RFC 4648 §4, standard alphabet) → bytes, or `undefined`
 * for anything else. Signature headers and PEM bodies are decoded with it,
 * so a malformed one is refused, never half-read, and exactly one text
 * decodes to a given signature: whitespace anywhere, missing or extra `=`,
 * and non-zero unused bits in the last character (RFC 4648 §3.5: `…FA5=`
 * decodes to the same bytes as `…FA4=`) are all refused. A signature header
 * that was altered must not verify, even when its bytes survive the change.
 */
export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (text.length === 0 || text.length % 4 !== 0 || !CANONICAL_BASE64.test(text)) return undefined;
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    return undefined;
  }
  // The alphabet and padding are checked above; re-encoding checks the unused
  // bits of the last character (atob ignores them).
  if (btoa(binary) !== text) return undefined;
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

/** Groups of four, the last one padded with `=` or `==` when the bytes do not fill it. */
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Checks a signature over `data` with one public key. */
export type SignatureVerifier = (data: Uint8Array, signature: Uint8Array) => Promise<boolean>;

/**
 * A verifier for one public key (SPKI DER): Ed25519, or RSASSA-PKCS1-v1_5
 * with SHA-256. node:crypto where available, Web Crypto elsewhere. Rejects
 * (on first use, for Web Crypto) when the key cannot be read.
 */
export function createPublicKeyVerifier(
  algorithm: 'Ed25519' | 'RSASSA-PKCS1-v1_5/SHA-256',
  spki: Uint8Array,
  options: { webCryptoOnly?: boolean } = {},
): SignatureVerifier {
  const node = options.webCryptoOnly ? null : loadNodeCrypto();
  if (node && typeof node.createPublicKey === 'function' && typeof node.verify === 'function') {
    const key = node.createPublicKey({ key: new Uint8Array(spki), format: 'der', type: 'spki' });
    const digest = algorithm === 'Ed25519' ? null : 'sha256';
    return async (data, signature) => {
      try {
        return node.verify(digest, data, key, signature);
      } catch {
        return false; // a malformed signature is a mismatch, never a crash
      }
    };
  }
  const params = algorithm === 'Ed25519' ? { name: 'Ed25519' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const importing = crypto.subtle.importKey('spki', toView(spki), params, false, ['verify']);
  importing.catch(() => {});
  let key: CryptoKey | undefined;
  return async (data, signature) => {
    key ??= await importing;
    return crypto.subtle.verify(params.name, key, toView(signature), toView(data));
  };
}
