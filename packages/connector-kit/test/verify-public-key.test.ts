// Public-key verifier (Ed25519 and RSASSA-PKCS1-v1_5/SHA-256, GHL's two schemes:
// https://marketplace.gohighlevel.com/docs/webhook/WebhookIntegrationGuide). No provider publishes a
// signed (body, signature) pair, so keys are generated here.
import { describe, expect, it } from 'vitest';
import { importPublicKey, pemToDer, publicKeySignature, splitPemList } from '../src/verify/index';

const encoder = new TextEncoder();

async function keyPair(algorithm: 'ed25519' | 'rsa-sha256') {
  const params =
    algorithm === 'ed25519'
      ? { name: 'Ed25519' }
      : { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  const pair = (await crypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
  const pem = `-----BEGIN PUBLIC KEY-----\n${btoa(String.fromCharCode(...spki))}\n-----END PUBLIC KEY-----`;
  const sign = async (data: string | Uint8Array) => {
    const bytes = typeof data === 'string' ? encoder.encode(data) : data;
    const signature = new Uint8Array(await crypto.subtle.sign(params.name, pair.privateKey, bytes as BufferSource));
    return btoa(String.fromCharCode(...signature));
  };
  return { pem, sign };
}

const body = encoder.encode('{"type":"ContactCreate", "id":"c1"}');
const req = (headers: Record<string, string>, bytes = body) => ({ body: bytes, headers });

describe.each(['ed25519', 'rsa-sha256'] as const)('publicKeySignature (%s)', (algorithm) => {
  it('verifies with any configured key and refuses tampering or another key', async () => {
    const [one, two, stranger] = await Promise.all([keyPair(algorithm), keyPair(algorithm), keyPair(algorithm)]);
    const verify = publicKeySignature({ algorithm, keys: [one.pem, two.pem], header: 'X-Sig' });
    expect(await verify(req({ 'x-sig': await two.sign(body) }))).toEqual({ ok: true, keyIndex: 1, payloadIndex: 0 });
    const tampered = new Uint8Array(body);
    tampered[3] = (tampered[3] as number) ^ 1;
    expect(await verify(req({ 'x-sig': await one.sign(body) }, tampered))).toEqual({
      ok: false,
      code: 'mismatch',
      reason: 'x-sig signature mismatch',
    });
    expect(await verify(req({ 'x-sig': await stranger.sign(body) }))).toMatchObject({ code: 'mismatch' });
  });

  it('fails closed on a missing, placeholder or non-base64 header, and without keys', async () => {
    const one = await keyPair(algorithm);
    const verify = publicKeySignature({ algorithm, keys: [one.pem], header: 'x-sig', placeholders: ['N/A'] });
    expect(await verify(req({}))).toMatchObject({ code: 'missing', reason: 'missing x-sig header' });
    expect(await verify(req({ 'x-sig': 'n/a' }))).toMatchObject({ code: 'missing' });
    expect(await verify(req({ 'x-sig': 'abc$' }))).toMatchObject({
      code: 'malformed',
      reason: 'malformed x-sig header (not base64)',
    });
    const none = publicKeySignature({ algorithm, keys: [], header: 'x-sig' });
    expect(await none(req({ 'x-sig': await one.sign(body) }))).toMatchObject({ code: 'misconfigured' });
  });

  it('keeps verifying with good keys when one cannot be imported, and reports it', async () => {
    const [one, other] = await Promise.all([keyPair(algorithm), keyPair(algorithm)]);
    const broken = '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----';
    const verify = publicKeySignature({ algorithm, keys: [broken, one.pem], header: 'x-sig' });
    expect(await verify(req({ 'x-sig': await one.sign(body) }))).toMatchObject({ ok: true, keyIndex: 1 });
    expect(await verify(req({ 'x-sig': await other.sign(body) }))).toEqual({
      ok: false,
      code: 'mismatch',
      reason: `x-sig signature mismatch (${algorithm === 'ed25519' ? 'Ed25519' : 'RSA'} public key 0 cannot be imported)`,
      brokenKeys: [0],
    });
    const onlyBroken = publicKeySignature({ algorithm, keys: [broken], header: 'x-sig' });
    expect(await onlyBroken(req({ 'x-sig': await one.sign(body) }))).toMatchObject({
      code: 'misconfigured',
      brokenKeys: [0],
    });
  });

  it('tries alternative payloads in order', async () => {
    const one = await keyPair(algorithm);
    const compact = JSON.stringify(JSON.parse(new TextDecoder().decode(body)));
    const verify = publicKeySignature({
      algorithm,
      keys: [one.pem],
      header: 'x-sig',
      payload: (request) => [request.body, JSON.stringify(JSON.parse(new TextDecoder().decode(request.body)))],
    });
    expect(await verify(req({ 'x-sig': await one.sign(compact) }))).toMatchObject({ ok: true, payloadIndex: 1 });
    expect(await verify(req({ 'x-sig': await one.sign(body) }))).toMatchObject({ ok: true, payloadIndex: 0 });
  });
});

describe('keys of the wrong kind and PEM text', () => {
  it('an RSA key does not import as Ed25519', async () => {
    const rsa = await keyPair('rsa-sha256');
    await expect(importPublicKey(rsa.pem, 'ed25519')).rejects.toThrow();
    expect((await importPublicKey(rsa.pem, 'rsa-sha256')).algorithm.name).toBe('RSASSA-PKCS1-v1_5');
  });

  it('splits a rotation list with \\n escapes and reads SPKI PEM only', async () => {
    const [one, two] = await Promise.all([keyPair('ed25519'), keyPair('ed25519')]);
    expect(splitPemList(`${one.pem}\\n${two.pem}`.replace(/\n/g, '\\n'))).toEqual([one.pem, two.pem]);
    expect(pemToDer(one.pem)?.byteLength).toBe(44);
    expect(pemToDer('-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----')).toBeUndefined();
  });
});
