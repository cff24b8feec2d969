import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodyDedupeKey, deliveryDedupeKey, sha256Hex } from '../src/pipeline/idempotency';

// Strings made of the characters an escaping scheme could confuse, so that
// near-collisions like ("a:b","c") vs ("a","b:c") or "%3A" vs ":" come up often;
// plus arbitrary UTF-16 (lone surrogates included).
const part = fc.oneof(
  fc.string({ unit: fc.constantFrom(':', '%', '3', 'A', 'a', '2', '5', 's'), minLength: 1, maxLength: 6 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
);

const encode = (text: string) => new TextEncoder().encode(text);

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 test vectors, for strings and bytes alike', async () => {
    expect(await sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await sha256Hex(encode('abc'))).toBe(await sha256Hex('abc'));
  });

  it('hashes only the bytes of a view, not its whole buffer', async () => {
    const buffer = encode('xxabcxx');
    expect(await sha256Hex(buffer.subarray(2, 5))).toBe(await sha256Hex('abc'));
  });
});

describe('deliveryDedupeKey', () => {
  it('is <source>:<deliveryId> for ordinary ids', () => {
    expect(deliveryDedupeKey('github', '72d3162e-cc78-11e3-81ab-4c9367dc0958')).toBe(
      'github:72d3162e-cc78-11e3-81ab-4c9367dc0958',
    );
  });

  it('is deterministic and gives distinct (source, id) pairs distinct keys', () => {
    fc.assert(
      fc.property(part, part, part, part, (s1, id1, s2, id2) => {
        expect(deliveryDedupeKey(s1, id1)).toBe(deliveryDedupeKey(s1, id1));
        if (s1 !== s2 || id1 !== id2) expect(deliveryDedupeKey(s1, id1)).not.toBe(deliveryDedupeKey(s2, id2));
      }),
      { numRuns: 500 },
    );
    expect(deliveryDedupeKey('a:b', 'c')).not.toBe(deliveryDedupeKey('a', 'b:c'));
    expect(deliveryDedupeKey('a', '%3A')).not.toBe(deliveryDedupeKey('a', ':'));
  });

  it('never collides with a body key, even for an id shaped like one', async () => {
    const body = encode('{"x":1}');
    const bodyKey = await bodyDedupeKey('ghl', body);
    expect(deliveryDedupeKey('ghl', bodyKey.slice('ghl:'.length))).not.toBe(bodyKey);
    await fc.assert(
      fc.asyncProperty(part, part, part, fc.uint8Array({ maxLength: 16 }), async (s1, id, s2, bytes) => {
        expect(deliveryDedupeKey(s1, id)).not.toBe(await bodyDedupeKey(s2, bytes));
      }),
      { numRuns: 100 },
    );
  });

  it('refuses an empty id, which would merge every id-less delivery into one', () => {
    expect(() => deliveryDedupeKey('ghl', '')).toThrow(
      /^\[@act\/core\] deliveryDedupeKey: deliveryId must be a non-empty/,
    );
    expect(() => deliveryDedupeKey('', 'x')).toThrow(/source/);
  });
});

describe('bodyDedupeKey', () => {
  it('is <source>:sha256:<hex of the body>', async () => {
    expect(await bodyDedupeKey('ghl', encode('abc'))).toBe(
      'ghl:sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('is deterministic and separates different bodies and sources', async () => {
    await fc.assert(
      fc.asyncProperty(
        part,
        fc.uint8Array({ maxLength: 32 }),
        part,
        fc.uint8Array({ maxLength: 32 }),
        async (s1, b1, s2, b2) => {
          const k1 = await bodyDedupeKey(s1, b1);
          expect(await bodyDedupeKey(s1, Uint8Array.from(b1))).toBe(k1);
          const sameBody = b1.length === b2.length && b1.every((byte, i) => byte === b2[i]);
          if (s1 !== s2 || !sameBody) expect(await bodyDedupeKey(s2, b2)).not.toBe(k1);
        },
      ),
      { numRuns: 100 },
    );
  });
});
