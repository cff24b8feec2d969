import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActError } from '../src/errors';
import { bodyDedupeKey, deliveryDedupeKey, entityVersionKey, sha256Hex } from '../src/pipeline/idempotency';

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

describe('entityVersionKey', () => {
  const base = { source: 'xero', entity: 'invoice', id: 'inv_1' };
  const MIN = Date.UTC(1000, 0, 1);
  const MAX = Date.UTC(9000, 0, 1);

  /** The instant `epochMs` as local time at `offsetMinutes`, in assorted ISO spellings. */
  function spell(
    epochMs: number,
    offsetMinutes: number,
    style: { separator: string; fraction: 'auto' | 'ms' | 'micro'; utc: string; offsetColon: boolean },
  ): string {
    const local = new Date(epochMs + offsetMinutes * 60_000).toISOString();
    const [date, time] = [local.slice(0, 10), local.slice(11, 19)];
    const ms = local.slice(20, 23);
    const fraction = style.fraction === 'micro' ? `.${ms}000` : style.fraction === 'ms' || ms !== '000' ? `.${ms}` : '';
    let offset: string;
    if (offsetMinutes === 0) {
      offset = style.utc;
    } else {
      const abs = Math.abs(offsetMinutes);
      const hh = String(Math.floor(abs / 60)).padStart(2, '0');
      const mm = String(abs % 60).padStart(2, '0');
      offset = `${offsetMinutes < 0 ? '-' : '+'}${hh}${style.offsetColon ? ':' : ''}${mm}`;
    }
    return `${date}${style.separator}${time}${fraction}${offset}`;
  }

  const style = fc.record({
    separator: fc.constantFrom('T', ' ', 't'),
    fraction: fc.constantFrom('auto' as const, 'ms' as const, 'micro' as const),
    utc: fc.constantFrom('Z', 'z', '+00:00', '+0000', '+00', '-00:00', ''),
    offsetColon: fc.boolean(),
  });

  it('gives the same key for the same instant however it is written', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MIN, max: MAX }),
        fc.oneof(fc.constant(0), fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 })),
        style,
        (epochMs, offsetMinutes, s) => {
          const expected = entityVersionKey({ ...base, updatedAt: new Date(epochMs) });
          expect(entityVersionKey({ ...base, updatedAt: epochMs })).toBe(expected);
          expect(entityVersionKey({ ...base, updatedAt: new Date(epochMs).toISOString() })).toBe(expected);
          expect(entityVersionKey({ ...base, updatedAt: spell(epochMs, offsetMinutes, s) })).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('spells the instant as canonical UTC ISO with milliseconds', () => {
    const key = 'xero:invoice:inv_1:2024-03-01T10:00:00.000Z';
    expect(entityVersionKey({ ...base, updatedAt: '2024-03-01T10:00:00Z' })).toBe(key);
    expect(entityVersionKey({ ...base, updatedAt: '2024-03-01T11:00:00.000+01:00' })).toBe(key);
    expect(entityVersionKey({ ...base, updatedAt: '2024-03-01 10:00:00+00' })).toBe(key);
    expect(entityVersionKey({ ...base, updatedAt: Date.UTC(2024, 2, 1, 10) })).toBe(key);
    // No offset: read as UTC on every machine, never as local time.
    expect(entityVersionKey({ ...base, updatedAt: '2024-03-01T10:00:00' })).toBe(key);
    expect(entityVersionKey({ ...base, updatedAt: '2024-03-01' })).toBe('xero:invoice:inv_1:2024-03-01T00:00:00.000Z');
  });

  it('gives distinct instants distinct keys, down to the microsecond', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN, max: MAX }), fc.integer({ min: MIN, max: MAX }), (a, b) => {
        fc.pre(a !== b);
        expect(entityVersionKey({ ...base, updatedAt: a })).not.toBe(entityVersionKey({ ...base, updatedAt: b }));
      }),
    );
    const at = (s: string) => entityVersionKey({ ...base, updatedAt: s });
    expect(at('2024-03-01T10:00:00.123456Z')).not.toBe(at('2024-03-01T10:00:00.123457Z'));
    expect(at('2024-03-01T10:00:00.123456Z')).not.toBe(at('2024-03-01T10:00:00.123Z'));
    expect(at('2024-03-01T10:00:00.1234560Z')).toBe(at('2024-03-01T10:00:00.123456+00:00'));
    expect(at('2024-03-01T10:00:00.123000Z')).toBe(at('2024-03-01T10:00:00.123Z'));
  });

  it('gives distinct (source, entity, id) triples distinct keys, even with ":" inside', () => {
    fc.assert(
      fc.property(fc.tuple(part, part, part), fc.tuple(part, part, part), ([s1, e1, i1], [s2, e2, i2]) => {
        const updatedAt = 1_700_000_000_000;
        const k1 = entityVersionKey({ source: s1, entity: e1, id: i1, updatedAt });
        expect(entityVersionKey({ source: s1, entity: e1, id: i1, updatedAt })).toBe(k1);
        if (s1 !== s2 || e1 !== e2 || i1 !== i2) {
          expect(entityVersionKey({ source: s2, entity: e2, id: i2, updatedAt })).not.toBe(k1);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('throws a validation ActError naming the record for an unparseable date', () => {
    for (const updatedAt of [
      'not a date',
      '',
      '2024-02-30T00:00:00Z',
      '2024-01-01T24:00:00Z',
      '2024-01-01T10:00:00+25:00',
      '1704067200000',
      'Mon, 01 Jan 2024 00:00:00 GMT',
      new Date('nope'),
      Number.NaN,
      1.5,
      Number.POSITIVE_INFINITY,
    ]) {
      let caught: unknown;
      try {
        entityVersionKey({ ...base, updatedAt });
      } catch (error) {
        caught = error;
      }
      expect(ActError.isInstance(caught), String(updatedAt)).toBe(true);
      const error = caught as ActError;
      expect(error.errorClass).toBe('validation');
      expect(error.message).toMatch(
        /^\[@act\/core\] entityVersionKey: updatedAt of xero invoice "inv_1" is not a valid instant/,
      );
    }
  });
});
