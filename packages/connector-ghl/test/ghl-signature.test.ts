// Signature vectors. GHL publishes no signed test vectors ([G1]: "No
// GHL doc, SDK test or public repo publishes a real (body, signature) pair"),
// so every valid vector here is signed with key pairs generated in the test
// and injected as the configured keys; the published keys are checked to
// load as the kind of key they claim to be.
import { describe, expect, it } from 'vitest';
import {
  checkGhlTimestamp,
  GHL_ED25519_PUBLIC_KEY,
  GHL_RSA_PUBLIC_KEY,
  importGhlPublicKey,
  pemToDer,
  splitPemList,
  type VerifyGhlSignatureOptions,
  verifyGhlSignature,
} from '../src/ghl-signature';
import {
  generateGhlTestKeys,
  ghlSignatureHeaders,
  signGhlBody,
  webhookFixtures,
  withEnvelope,
} from './helpers/ghl-fixtures';

const encoder = new TextEncoder();
const text = withEnvelope(webhookFixtures['contact-create.1.json'], {
  timestamp: '2026-03-02T10:00:00.000Z',
  webhookId: 'wh_sig_1',
});
const body = encoder.encode(text);

const keys = await generateGhlTestKeys();
const other = await generateGhlTestKeys('other');

const verify = (headers: Record<string, string>, options: Partial<VerifyGhlSignatureOptions> = {}) =>
  verifyGhlSignature({
    body,
    headers,
    ed25519PublicKeys: [keys.ed25519Pem],
    rsaPublicKeys: [keys.rsaPem],
    // The legacy scheme is off by default (retired by GHL); these vectors cover it turned on.
    legacyRsa: true,
    ...options,
  });

/** The body with one byte changed (a digit of the phone number). */
function tamperOneByte(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes);
  const at = text.indexOf('+919509597501') + 5;
  copy[at] = (copy[at] as number) ^ 0x01;
  return copy;
}

describe('the published keys', () => {
  it('load as an Ed25519 key and a 4096-bit RSA key ([G1][G10]) in this runtime', async () => {
    const ed25519 = await importGhlPublicKey(GHL_ED25519_PUBLIC_KEY, 'ed25519');
    expect(ed25519.algorithm.name).toBe('Ed25519');
    const rsa = await importGhlPublicKey(GHL_RSA_PUBLIC_KEY, 'rsa');
    expect(rsa.algorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 4096 });
  });

  it('are the defaults, so a delivery signed with any other key is refused', async () => {
    const headers = await ghlSignatureHeaders(body, { keys });
    expect(await verifyGhlSignature({ body, headers })).toEqual({
      valid: false,
      reason: 'x-ghl-signature signature mismatch',
    });
    const rsaOnly = await ghlSignatureHeaders(body, { keys, scheme: 'rsa' });
    expect(await verifyGhlSignature({ body, headers: rsaOnly, legacyRsa: true })).toEqual({
      valid: false,
      reason: 'x-wh-signature signature mismatch',
    });
  });
});

describe('verifyGhlSignature', () => {
  it('accepts a valid Ed25519 signature over the raw bytes', async () => {
    expect(await verify(await ghlSignatureHeaders(body, { keys }))).toEqual({
      valid: true,
      scheme: 'ed25519',
      keyIndex: 0,
      reserialized: false,
    });
  });

  it('accepts a valid legacy RSA-SHA256 signature when x-ghl-signature is absent', async () => {
    expect(await verify(await ghlSignatureHeaders(body, { keys, scheme: 'rsa' }))).toEqual({
      valid: true,
      scheme: 'rsa',
      keyIndex: 0,
      reserialized: false,
    });
  });

  it.each(['ed25519', 'rsa'] as const)('rejects a body tampered by one byte (%s)', async (scheme) => {
    const headers = await ghlSignatureHeaders(body, { keys, scheme });
    const result = await verify(headers, { body: tamperOneByte(body) });
    expect(result).toEqual({
      valid: false,
      reason: `${scheme === 'ed25519' ? 'x-ghl-signature' : 'x-wh-signature'} signature mismatch`,
    });
  });

  it.each(['ed25519', 'rsa'] as const)('rejects a signature made with another key (%s)', async (scheme) => {
    const headers = await ghlSignatureHeaders(body, { keys: other, scheme });
    expect(await verify(headers)).toMatchObject({
      valid: false,
      reason: expect.stringContaining('signature mismatch'),
    });
  });

  it('accepts any configured key while GHL rotates, and says which one matched', async () => {
    const headers = await ghlSignatureHeaders(body, { keys: other });
    expect(await verify(headers, { ed25519PublicKeys: [keys.ed25519Pem, other.ed25519Pem] })).toEqual({
      valid: true,
      scheme: 'ed25519',
      keyIndex: 1,
      reserialized: false,
    });
    const rsa = await ghlSignatureHeaders(body, { keys: other, scheme: 'rsa' });
    expect(await verify(rsa, { rsaPublicKeys: [keys.rsaPem, other.rsaPem] })).toMatchObject({
      valid: true,
      keyIndex: 1,
    });
  });

  it.each([
    ['no header', {}],
    ['an empty header', { 'x-ghl-signature': '' }],
    ['a blank header', { 'x-ghl-signature': '   ' }],
    ['"N/A"', { 'x-ghl-signature': 'N/A' }],
    ['"n/a" in both headers', { 'x-ghl-signature': 'n/a', 'x-wh-signature': 'N/A' }],
  ])('rejects a missing signature: %s', async (_name, headers: Record<string, string>) => {
    expect(await verify(headers)).toEqual({
      valid: false,
      reason: 'missing x-ghl-signature (and x-wh-signature) header',
    });
  });

  it('treats an "N/A" x-ghl-signature as absent, so a valid legacy signature still verifies', async () => {
    const headers = { 'x-ghl-signature': 'N/A', ...(await ghlSignatureHeaders(body, { keys, scheme: 'rsa' })) };
    expect(await verify(headers)).toMatchObject({ valid: true, scheme: 'rsa' });
  });

  it('never falls back to RSA when x-ghl-signature is present but invalid', async () => {
    const headers = {
      'x-ghl-signature': await signGhlBody(body, other.ed25519.privateKey, 'ed25519'),
      'x-wh-signature': await signGhlBody(body, keys.rsa.privateKey, 'rsa'),
    };
    expect(await verify(headers)).toEqual({ valid: false, reason: 'x-ghl-signature signature mismatch' });
    // A malformed Ed25519 header does not fall back either.
    expect(await verify({ ...headers, 'x-ghl-signature': 'not base64!' })).toEqual({
      valid: false,
      reason: 'malformed x-ghl-signature header (not base64)',
    });
  });

  it('rejects an RSA-only delivery by default: GHL retired the legacy scheme', async () => {
    const headers = await ghlSignatureHeaders(body, { keys, scheme: 'rsa' });
    expect(await verifyGhlSignature({ body, headers, rsaPublicKeys: [keys.rsaPem] })).toEqual({
      valid: false,
      reason: 'missing x-ghl-signature header (the legacy x-wh-signature scheme is turned off)',
    });
  });

  it('rejects an RSA-only delivery once the legacy scheme is turned off', async () => {
    const headers = await ghlSignatureHeaders(body, { keys, scheme: 'rsa' });
    expect(await verify(headers, { legacyRsa: false })).toEqual({
      valid: false,
      reason: 'missing x-ghl-signature header (the legacy x-wh-signature scheme is turned off)',
    });
    // Ed25519 is unaffected.
    expect(await verify(await ghlSignatureHeaders(body, { keys }), { legacyRsa: false })).toMatchObject({
      valid: true,
    });
  });

  it('rejects a signature over the re-serialised body unless the compat fallback is on', async () => {
    const compact = JSON.stringify(JSON.parse(text));
    expect(compact).not.toBe(text);
    for (const scheme of ['ed25519', 'rsa'] as const) {
      const headers = await ghlSignatureHeaders(compact, { keys, scheme });
      expect(await verify(headers)).toMatchObject({ valid: false });
      expect(await verify(headers, { reserializedBodyFallback: true })).toEqual({
        valid: true,
        scheme,
        keyIndex: 0,
        reserialized: true,
      });
    }
  });

  it('prefers the raw bytes when the fallback is on', async () => {
    const headers = await ghlSignatureHeaders(body, { keys });
    expect(await verify(headers, { reserializedBodyFallback: true })).toMatchObject({ reserialized: false });
  });

  it('rejects a malformed signature', async () => {
    expect(await verify({ 'x-ghl-signature': 'abc$def' })).toEqual({
      valid: false,
      reason: 'malformed x-ghl-signature header (not base64)',
    });
    expect(await verify({ 'x-ghl-signature': btoa('short') })).toEqual({
      valid: false,
      reason: 'x-ghl-signature signature mismatch',
    });
  });

  it('fails closed, as a misconfiguration, without a usable key', async () => {
    const headers = await ghlSignatureHeaders(body, { keys, scheme: 'both' });
    expect(await verify(headers, { ed25519PublicKeys: [] })).toEqual({
      valid: false,
      reason: 'no Ed25519 public key configured for x-ghl-signature',
      misconfigured: true,
    });
    expect(
      await verify(headers, { ed25519PublicKeys: ['-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----'] }),
    ).toEqual({ valid: false, reason: 'configured Ed25519 public key 0 cannot be imported', misconfigured: true });
    // An RSA key where an Ed25519 key belongs does not import as Ed25519.
    expect(await verify(headers, { ed25519PublicKeys: [keys.rsaPem] })).toMatchObject({ misconfigured: true });
    const rsaOnly = await ghlSignatureHeaders(body, { keys, scheme: 'rsa' });
    expect(await verify(rsaOnly, { rsaPublicKeys: [] })).toMatchObject({
      valid: false,
      reason: 'no RSA public key configured for x-wh-signature',
      misconfigured: true,
    });
  });
});

describe('a configured key that cannot be imported', () => {
  it('does not stop the other keys from verifying (GHL never retries a 401)', async () => {
    const headers = await ghlSignatureHeaders(body, { keys });
    expect(await verify(headers, { ed25519PublicKeys: [keys.rsaPem, keys.ed25519Pem] })).toEqual({
      valid: true,
      scheme: 'ed25519',
      keyIndex: 1,
      reserialized: false,
    });
  });

  it('is reported, as a misconfiguration, with every failure', async () => {
    const headers = await ghlSignatureHeaders(body, { keys: other });
    expect(await verify(headers, { ed25519PublicKeys: [keys.rsaPem, keys.ed25519Pem] })).toEqual({
      valid: false,
      reason: 'x-ghl-signature signature mismatch (Ed25519 public key 0 cannot be imported)',
      misconfigured: true,
    });
  });
});

describe('PEM handling', () => {
  it('splits a rotation list held in one variable, with \\n escapes', () => {
    const escaped = `${GHL_ED25519_PUBLIC_KEY.replace(/\n/g, '\\n')}\\n${keys.ed25519Pem.replace(/\n/g, '\\n')}`;
    expect(splitPemList(escaped)).toEqual([GHL_ED25519_PUBLIC_KEY, keys.ed25519Pem]);
    expect(splitPemList('nothing here')).toEqual([]);
  });

  it('reads SPKI PEM only', () => {
    expect(pemToDer(GHL_RSA_PUBLIC_KEY)?.byteLength).toBe(550);
    expect(pemToDer('-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----')).toBeUndefined();
    expect(pemToDer('MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=')).toBeUndefined();
  });
});

describe('checkGhlTimestamp (replay window, docs/oauth/WebhookAuthentication.md §3)', () => {
  const now = Date.parse('2026-03-02T10:00:00.000Z');

  it('accepts a timestamp within 5 minutes either way, edges included', () => {
    for (const offset of [0, -300_000, 300_000, -1_000])
      expect(checkGhlTimestamp({ timestamp: new Date(now + offset).toISOString(), now })).toEqual({ valid: true });
    expect(checkGhlTimestamp({ timestamp: '2026-03-02T10:00:00Z', now })).toEqual({ valid: true });
  });

  it('rejects a stale or future timestamp', () => {
    for (const offset of [-300_001, 300_001, -86_400_000])
      expect(checkGhlTimestamp({ timestamp: new Date(now + offset).toISOString(), now })).toEqual({
        valid: false,
        reason: 'timestamp outside the 300 s tolerance',
      });
  });

  it('honours a configured tolerance', () => {
    const timestamp = new Date(now - 600_000).toISOString();
    expect(checkGhlTimestamp({ timestamp, now, toleranceMs: 900_000 })).toEqual({ valid: true });
  });

  it('fails closed on a missing timestamp unless allowed, and always on an unreadable one', () => {
    expect(checkGhlTimestamp({ timestamp: undefined, now })).toEqual({
      valid: false,
      reason: 'missing timestamp in the body',
    });
    expect(checkGhlTimestamp({ timestamp: null, now, allowMissing: true })).toEqual({ valid: true });
    for (const timestamp of ['yesterday', 1772445600000, ''])
      expect(checkGhlTimestamp({ timestamp, now, allowMissing: true })).toEqual({
        valid: false,
        reason: 'unreadable timestamp in the body',
      });
  });
});
