import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  base64ToBytes,
  createHmacSha256Verifier,
  createPublicKeyVerifier,
  hmacSha256VerifierFor,
} from '../src/crypto/fast-crypto';

const encoder = new TextEncoder();
const body = encoder.encode('{"id":"evt_1","type":"record.updated"}');

describe.each([
  ['node:crypto', false],
  ['Web Crypto', true],
])('signature verifiers (%s)', (_name, webCryptoOnly) => {
  it('accepts the HMAC-SHA256 of the body under the secret, refuses a changed body, key or a short MAC', async () => {
    const secret = encoder.encode('whsec_test');
    const verify = createHmacSha256Verifier(secret, { webCryptoOnly });
    const mac = new Uint8Array(createHmac('sha256', 'whsec_test').update(body).digest());
    expect(await verify(body, mac)).toBe(true);
    expect(await verify(encoder.encode('{"id":"evt_2"}'), mac)).toBe(false);
    expect(await createHmacSha256Verifier(encoder.encode('other'), { webCryptoOnly })(body, mac)).toBe(false);
    expect(await verify(body, mac.slice(0, 31))).toBe(false);
    expect(await verify(body, new Uint8Array(0))).toBe(false);
  });

  it('verifies Ed25519 and RSA-SHA256 signatures with an SPKI key; a garbled signature is a mismatch', async () => {
    for (const [type, algorithm, digest] of [
      ['ed25519', 'Ed25519', null],
      ['rsa', 'RSASSA-PKCS1-v1_5/SHA-256', 'sha256'],
    ] as const) {
      const { publicKey, privateKey } =
        type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: 2048 });
      const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
      const verify = createPublicKeyVerifier(algorithm, spki, { webCryptoOnly });
      const signature = new Uint8Array(sign(digest, body, privateKey));
      expect(await verify(body, signature)).toBe(true);
      expect(await verify(encoder.encode('tampered'), signature)).toBe(false);
      expect(await verify(body, signature.slice(1))).toBe(false);
    }
  });
});

describe('hmacSha256VerifierFor and base64ToBytes', () => {
  it('makes one verifier per secret text, and it verifies with the text’s UTF-8 bytes', async () => {
    const verify = hmacSha256VerifierFor('whsec_shared');
    expect(hmacSha256VerifierFor('whsec_shared')).toBe(verify);
    expect(hmacSha256VerifierFor('whsec_other')).not.toBe(verify);
    const mac = new Uint8Array(createHmac('sha256', 'whsec_shared').update(body).digest());
    expect(await verify(body, mac)).toBe(true);
  });

  it('decodes canonical base64 only: exact padding, no whitespace, unused bits zero', () => {
    expect(base64ToBytes('aGk=')).toEqual(new Uint8Array([104, 105]));
    expect(base64ToBytes('aGVsbG8h')).toEqual(new TextEncoder().encode('hello!'));
    expect(base64ToBytes('aA==')).toEqual(new Uint8Array([104]));
    // `aGl=` and `aB==` decode to the same bytes as `aGk=` and `aA==` with lenient decoders (non-zero unused bits).
    for (const bad of [
      '',
      'aGk',
      'aA',
      'aA=',
      'aGk*',
      'a',
      'aGk===',
      'aG k=',
      ' aGk=',
      'aGk= ',
      'aGk=\n',
      'aGk-_',
      'aGl=',
      'aB==',
      'aGk=aGk=',
    ]) {
      expect(base64ToBytes(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});
