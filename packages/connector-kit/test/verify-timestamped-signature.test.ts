// Stripe's scheme (https://docs.stripe.com/webhooks#verify-manually): `t=<s>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
import { describe, expect, it } from 'vitest';
import { hmacSignature, signHmac, timestampedSignature } from '../src/verify/index';

const encoder = new TextEncoder();
const body = '{"id":"evt_1","type":"record.created"}';
const now = 1768469400;
const verify = hmacSignature({
  algorithm: 'sha256',
  encoding: 'hex',
  header: 'x-sig',
  secrets: ['whsec_template_test'],
  toleranceMs: 300_000,
  ...timestampedSignature(),
});
const check = (header: string, at = now) =>
  verify({ body: encoder.encode(body), headers: { 'x-sig': header }, receivedAt: new Date(at * 1000) });
const VECTOR = '813de75a386e86c49013fd15b3c90396897aa2d49a1d8547dd4de0b95fdcc73f';

describe('timestampedSignature', () => {
  it('verifies an independently computed vector (openssl dgst -sha256 -hmac over "<t>.<body>")', async () => {
    expect(await check(`t=${now},v1=${VECTOR}`)).toMatchObject({ ok: true, keyIndex: 0 });
    expect(await check(` t = ${now} , v1 = ${VECTOR} , v2=ignored`)).toMatchObject({ ok: true });
  });

  it('accepts any of several signatures, and signs the timestamp', async () => {
    const other = await signHmac(`${now}.${body}`, 'someone-else', { algorithm: 'sha256', encoding: 'hex' });
    expect(await check(`t=${now},v1=${other},v1=${VECTOR}`)).toMatchObject({ ok: true });
    expect(await check(`t=${now + 1},v1=${VECTOR}`, now)).toMatchObject({ ok: false, code: 'mismatch' });
  });

  it.each([
    `v1=${VECTOR}`,
    `t=${now}`,
    `t=yesterday,v1=${VECTOR}`,
    `t=${now},t=${now},v1=${VECTOR}`,
    `t=${now},v1`,
    `=x,t=${now},v1=${VECTOR}`,
  ])('refuses a malformed header: %s', async (header) => {
    expect(await check(header)).toMatchObject({ ok: false, code: 'malformed' });
  });

  it('takes other keys and another separator', async () => {
    const { parse, payload } = timestampedSignature({ timestamp: 'ts', signature: 's', separator: ':' });
    const parsed = parse('ts=12,s=ab');
    expect(parsed).toEqual({ timestamp: '12', signatures: ['ab'] });
    const signed = payload({ body: encoder.encode('B'), headers: {} }, parsed ?? { signatures: [] });
    expect(new TextDecoder().decode(signed as Uint8Array)).toBe('12:B');
  });
});
