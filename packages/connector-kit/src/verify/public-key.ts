import { base64ToBytes, createPublicKeyVerifier, type SignatureVerifier } from '@act/core/internal';
import { fail, headerValue, type Signable, toBytes, type VerifiableRequest, type Verifier } from './types';

export type PublicKeyAlgorithm = 'ed25519' | 'rsa-sha256';

export interface PublicKeySignatureOptions {
  /** Ed25519, or RSASSA-PKCS1-v1_5 with SHA-256. */
  algorithm: PublicKeyAlgorithm;
  /**
   * SPKI PEM public keys (`-----BEGIN PUBLIC KEY-----`), all tried (rotation).
   * A key that cannot be imported does not stop the others; it is reported
   * (`brokenKeys`) with every failure.
   */
  keys: readonly string[];
  /** The header carrying the base64 signature (any case). Canonical base64 only. */
  header: string;
  /**
   * The bytes (or text) that were signed; defaults to the raw body. Return
   * several to accept any of them, tried in order (`payloadIndex` says which).
   */
  payload?: (request: VerifiableRequest) => Signable | readonly Signable[];
  /** Header values that mean "no signature" (e.g. `N/A`). Blank is always missing. */
  placeholders?: readonly string[];
}

export interface PublicKeyVerified {
  /** Index of the payload (from `payload`) that verified; 0 for the raw body. */
  payloadIndex: number;
}

const IMPORT_PARAMS: Record<PublicKeyAlgorithm, Algorithm | RsaHashedImportParams> = {
  ed25519: { name: 'Ed25519' },
  'rsa-sha256': { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
};
const KEY_NAME: Record<PublicKeyAlgorithm, string> = { ed25519: 'Ed25519', 'rsa-sha256': 'RSA' };

/**
 * A public-key signature verifier (GHL's Ed25519 and legacy RSA schemes,
 * Svix-style asymmetric webhooks). Keys are checked with Web Crypto on
 * import (so an RSA key configured as Ed25519 is reported broken) and
 * signatures through `@act/core`'s `createPublicKeyVerifier` (node:crypto
 * where the runtime has it, Web Crypto elsewhere). Fails closed.
 */
export function publicKeySignature(options: PublicKeySignatureOptions): Verifier<PublicKeyVerified> {
  const { algorithm, keys: pems, placeholders = [] } = options;
  const header = options.header.toLowerCase();
  const keyName = KEY_NAME[algorithm];

  return async (request) => {
    const keys: { pem: string; index: number }[] = [];
    const broken: number[] = [];
    for (const [index, pem] of pems.entries()) {
      if (importedKeys[algorithm].has(pem)) {
        keys.push({ pem, index }); // already imported: no promise to wait for on every delivery
        continue;
      }
      try {
        await importPublicKey(pem, algorithm);
        keys.push({ pem, index });
      } catch {
        broken.push(index);
      }
    }
    if (keys.length === 0) {
      return fail(
        'misconfigured',
        broken.length > 0
          ? `configured ${keyName} public key${broken.length > 1 ? 's' : ''} ${broken.join(', ')} cannot be imported`
          : `no ${keyName} public key configured for ${header}`,
        broken,
      );
    }
    const value = headerValue(request, header, placeholders);
    if (value === undefined) return fail('missing', `missing ${header} header`, broken);
    const signature = base64ToBytes(value);
    if (!signature) return fail('malformed', `malformed ${header} header (not base64)`, broken);

    const signed = options.payload ? options.payload(request) : request.body;
    const payloads = (Array.isArray(signed) ? signed : [signed]) as readonly Signable[];
    for (const [payloadIndex, payload] of payloads.entries()) {
      const bytes = toBytes(payload);
      for (const { pem, index } of keys) {
        if (await verifierFor(pem, algorithm)(bytes, signature)) return { ok: true, keyIndex: index, payloadIndex };
      }
    }
    return broken.length > 0
      ? fail(
          'mismatch',
          `${header} signature mismatch (${keyName} public key ${broken.join(', ')} cannot be imported)`,
          broken,
        )
      : fail('mismatch', `${header} signature mismatch`);
  };
}

const keyCache: Record<PublicKeyAlgorithm, Map<string, Promise<CryptoKey>>> = {
  ed25519: new Map(),
  'rsa-sha256': new Map(),
};
/** The keys whose import has finished, per algorithm and PEM. */
const importedKeys: Record<PublicKeyAlgorithm, Map<string, CryptoKey>> = {
  ed25519: new Map(),
  'rsa-sha256': new Map(),
};

/**
 * Import an SPKI PEM public key for `algorithm` with Web Crypto, cached per
 * PEM (an RSA-4096 import is not free, and every delivery needs it). A failed
 * import is not cached, so a fixed configuration can be retried.
 *
 * @throws when the PEM is malformed or holds another kind of key.
 */
export function importPublicKey(pem: string, algorithm: PublicKeyAlgorithm): Promise<CryptoKey> {
  const cache = keyCache[algorithm];
  let key = cache.get(pem);
  if (!key) {
    const der = pemToDer(pem);
    const importing = der
      ? crypto.subtle.importKey('spki', der, IMPORT_PARAMS[algorithm], false, ['verify'])
      : Promise.reject(new Error('not an SPKI PEM public key'));
    key = importing;
    importing.then(
      (imported) => {
        if (cache.get(pem) === importing) importedKeys[algorithm].set(pem, imported);
      },
      () => cache.delete(pem),
    );
    cache.set(pem, importing);
  }
  return key;
}

const verifiers: Record<PublicKeyAlgorithm, Map<string, SignatureVerifier>> = {
  ed25519: new Map(),
  'rsa-sha256': new Map(),
};

/** The verifier of an imported key, made once per PEM. Only keys that imported get one. */
function verifierFor(pem: string, algorithm: PublicKeyAlgorithm): SignatureVerifier {
  let verifier = verifiers[algorithm].get(pem);
  if (!verifier) {
    verifier = createPublicKeyVerifier(
      algorithm === 'ed25519' ? 'Ed25519' : 'RSASSA-PKCS1-v1_5/SHA-256',
      pemToDer(pem) as Uint8Array,
    );
    verifiers[algorithm].set(pem, verifier);
  }
  return verifier;
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
