// Signature verification against the public vectors of [X12][X13], their
// negative controls, and vectors generated here. Edge-safe (Web Crypto only).
import { describe, expect, it } from 'vitest';
import { signXeroBody, verifyXeroSignature } from '../src/xero-signature';
import {
  ITR_CORRECT_SIGNATURE,
  ITR_DECODED_KEY_SIGNATURE,
  ITR_KEY,
  ITR_RESERIALISED_SIGNATURE,
  ITR_SENT_SIGNATURE,
  ROTATED_KEY,
  TEST_KEY,
  webhookFixtures,
  XERO_PHP_SIGNATURE,
  XERO_PHP_TEST_KEY,
} from './helpers/xero-fixtures';

const encoder = new TextEncoder();
const itrBody = webhookFixtures['intent-to-receive.1.json'];

describe('public vectors ([X12][X13])', () => {
  it('vector 1, calcinai/xero-php testValidPayload: key "test_key"', async () => {
    const body = webhookFixtures['intent-to-receive.2.json'];
    expect(body).toBe(
      '{"events":[],"firstEventSequence": 0,"lastEventSequence": 0, "entropy": "NLDZEGWUXNHESAQVGLYF"}',
    );
    expect(await signXeroBody(body, XERO_PHP_TEST_KEY)).toBe(XERO_PHP_SIGNATURE);
    expect(await verifyXeroSignature({ body, signature: XERO_PHP_SIGNATURE, keys: [XERO_PHP_TEST_KEY] })).toEqual({
      valid: true,
      keyIndex: 0,
    });
  });

  it('vector 2, the real intent-to-receive request: the correct HMAC verifies', async () => {
    expect(encoder.encode(itrBody).byteLength).toBe(95);
    expect(await signXeroBody(itrBody, ITR_KEY)).toBe(ITR_CORRECT_SIGNATURE);
    expect(
      await verifyXeroSignature({ body: encoder.encode(itrBody), signature: ITR_CORRECT_SIGNATURE, keys: [ITR_KEY] }),
    ).toEqual({
      valid: true,
      keyIndex: 0,
    });
  });

  it('vector 2: the header Xero actually sent (a deliberately wrong signature, one character off) does not', async () => {
    expect(await verifyXeroSignature({ body: itrBody, signature: ITR_SENT_SIGNATURE, keys: [ITR_KEY] })).toEqual({
      valid: false,
      reason: 'x-xero-signature signature mismatch',
    });
  });

  it('negative control: the key is its text, never base64-decoded', async () => {
    const decoded = Uint8Array.from(atob(ITR_KEY), (char) => char.charCodeAt(0));
    const key = await crypto.subtle.importKey('raw', decoded, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(itrBody)));
    expect(btoa(String.fromCharCode(...mac))).toBe(ITR_DECODED_KEY_SIGNATURE);
    // A signature made with the decoded key is refused under the configured (text) key.
    expect(
      (await verifyXeroSignature({ body: itrBody, signature: ITR_DECODED_KEY_SIGNATURE, keys: [ITR_KEY] })).valid,
    ).toBe(false);
  });

  it('negative control: the raw bytes are signed, not re-serialised JSON', async () => {
    const reserialised = JSON.stringify(JSON.parse(itrBody));
    expect(reserialised).not.toBe(itrBody);
    expect(await signXeroBody(reserialised, ITR_KEY)).toBe(ITR_RESERIALISED_SIGNATURE);
    // The correct signature does not verify the re-serialised body, and vice versa.
    expect(
      (await verifyXeroSignature({ body: reserialised, signature: ITR_CORRECT_SIGNATURE, keys: [ITR_KEY] })).valid,
    ).toBe(false);
    expect(
      (await verifyXeroSignature({ body: itrBody, signature: ITR_RESERIALISED_SIGNATURE, keys: [ITR_KEY] })).valid,
    ).toBe(false);
  });
});

describe('generated vectors', () => {
  const body = webhookFixtures['invoice-update.1.json'];

  it('a delivery signed with the key verifies; any change to a byte does not', async () => {
    const signature = await signXeroBody(body, TEST_KEY);
    expect(await verifyXeroSignature({ body, signature, keys: [TEST_KEY] })).toEqual({ valid: true, keyIndex: 0 });
    for (const tampered of [
      `${body} `,
      body.replace('"lastEventSequence": 3', '"lastEventSequence":3'),
      body.replace('UPDATE', 'CREATE'),
    ]) {
      expect((await verifyXeroSignature({ body: tampered, signature, keys: [TEST_KEY] })).valid).toBe(false);
    }
  });

  it('agrees with an independent HMAC over non-ASCII bytes', async () => {
    const unicode = '{"events":[],"entropy":"ÄÖÜ ✓ 漢字"}';
    const key = await crypto.subtle.importKey(
      'raw',
      encoder.encode(TEST_KEY),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(unicode)));
    const expected = btoa(String.fromCharCode(...mac));
    expect(await signXeroBody(unicode, TEST_KEY)).toBe(expected);
    expect(
      (await verifyXeroSignature({ body: encoder.encode(unicode), signature: expected, keys: [TEST_KEY] })).valid,
    ).toBe(true);
  });

  it('rotation: every configured key is tried, and the match is reported by index', async () => {
    const oldSignature = await signXeroBody(body, TEST_KEY);
    const newSignature = await signXeroBody(body, ROTATED_KEY);
    const keys = [ROTATED_KEY, TEST_KEY];
    expect(await verifyXeroSignature({ body, signature: newSignature, keys })).toEqual({ valid: true, keyIndex: 0 });
    expect(await verifyXeroSignature({ body, signature: oldSignature, keys })).toEqual({ valid: true, keyIndex: 1 });
    // After the old key is removed, its signatures are refused.
    expect((await verifyXeroSignature({ body, signature: oldSignature, keys: [ROTATED_KEY] })).valid).toBe(false);
  });

  it('fails closed: no key, no header, a malformed header, a truncated HMAC', async () => {
    const signature = await signXeroBody(body, TEST_KEY);
    expect(await verifyXeroSignature({ body, signature, keys: [] })).toEqual({
      valid: false,
      reason: 'no webhook key configured (XERO_WEBHOOK_KEY)',
      misconfigured: true,
    });
    expect(await verifyXeroSignature({ body, signature, keys: [''] })).toMatchObject({
      valid: false,
      misconfigured: true,
    });
    for (const header of [undefined, null, '', '   ']) {
      expect(await verifyXeroSignature({ body, signature: header, keys: [TEST_KEY] })).toEqual({
        valid: false,
        reason: 'missing x-xero-signature header',
      });
    }
    for (const header of ['not base64!', `${signature}, ${signature}`, signature.slice(0, 20), 'HASH_VALUE']) {
      expect(await verifyXeroSignature({ body, signature: header, keys: [TEST_KEY] })).toMatchObject({ valid: false });
    }
    // The hex form of the same HMAC is not what Xero sends.
    const hex = [...Uint8Array.from(atob(signature), (char) => char.charCodeAt(0))]
      .map((byte) => byte.toString(16).padStart(2, '0'))
      .join('');
    expect((await verifyXeroSignature({ body, signature: hex, keys: [TEST_KEY] })).valid).toBe(false);
  });

  it('refuses any header text other than the canonical base64 Xero sends: whitespace, padding, unused bits', async () => {
    const signature = await signXeroBody(body, TEST_KEY);
    expect((await verifyXeroSignature({ body, signature, keys: [TEST_KEY] })).valid).toBe(true);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const last = signature.length - 2; // 32 bytes: 43 characters and one `=`; the last one has 2 unused bits
    const sameBytes = `${signature.slice(0, last) + alphabet[alphabet.indexOf(signature[last] as string) ^ 1]}=`;
    expect(atob(sameBytes)).toBe(atob(signature));
    for (const variant of [
      ` ${signature}`,
      `${signature} `,
      signature.replace(/=+$/, ''),
      `${signature}=`,
      sameBytes,
    ]) {
      expect(await verifyXeroSignature({ body, signature: variant, keys: [TEST_KEY] })).toEqual({
        valid: false,
        reason: 'malformed x-xero-signature header',
      });
    }
  });

  it('refuses the public vector ITR_CORRECT_SIGNATURE made non-canonical (issue 11, finding 8)', async () => {
    const sameBytes = `${ITR_CORRECT_SIGNATURE.slice(0, -2)}5=`; // `…1E4=` → `…1E5=`
    expect(atob(sameBytes)).toBe(atob(ITR_CORRECT_SIGNATURE));
    for (const variant of [sameBytes, ITR_CORRECT_SIGNATURE.slice(0, -1), ` ${ITR_CORRECT_SIGNATURE}`]) {
      expect((await verifyXeroSignature({ body: itrBody, signature: variant, keys: [ITR_KEY] })).valid).toBe(false);
    }
  });
});
