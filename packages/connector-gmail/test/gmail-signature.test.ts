import { describe, expect, it } from 'vitest';
import { verifyGmailSignature } from '../src/gmail-signature';
import { fixtures, signGmailBody, TEST_SECRET } from './helpers/gmail-fixtures';

const encoder = new TextEncoder();
const body = encoder.encode(fixtures.recordCreated);
const now = Date.parse('2026-01-15T09:30:05.000Z');
const t = Math.floor(now / 1000) - 5;

const verify = (
  header: string | null | undefined,
  options: { secrets?: string[]; body?: Uint8Array; now?: number } = {},
) =>
  verifyGmailSignature({
    secrets: options.secrets ?? [TEST_SECRET],
    body: options.body ?? body,
    header,
    now: options.now ?? now,
  });

describe('verifyGmailSignature', () => {
  it('accepts an independently computed vector', async () => {
    // printf '%s' '1768469400.{"id":"evt_1","type":"record.created"}' | openssl dgst -sha256 -hmac whsec_gmail_test
    const header = 't=1768469400,v1=813de75a386e86c49013fd15b3c90396897aa2d49a1d8547dd4de0b95fdcc73f';
    const vectorBody = encoder.encode('{"id":"evt_1","type":"record.created"}');
    expect(await verify(header, { body: vectorBody, now: 1768469400_000 })).toEqual({ valid: true, keyIndex: 0 });
  });

  it('accepts a valid signature', async () => {
    expect(await verify(await signGmailBody(body, { timestamp: t }))).toEqual({ valid: true, keyIndex: 0 });
  });

  it('rejects a tampered body', async () => {
    const header = await signGmailBody(body, { timestamp: t });
    const tampered = encoder.encode(fixtures.recordCreated.replace('Ada Lovelace', 'Ada Lovelacf'));
    expect(await verify(header, { body: tampered })).toEqual({ valid: false, reason: 'signature mismatch' });
  });

  it('rejects a signature made with another secret', async () => {
    const header = await signGmailBody(body, { timestamp: t, secret: 'whsec_someone_else' });
    expect(await verify(header)).toEqual({ valid: false, reason: 'signature mismatch' });
  });

  it('rejects a signature over another timestamp (the timestamp is signed)', async () => {
    const header = await signGmailBody(body, { timestamp: t });
    expect(await verify(header.replace(`t=${t}`, `t=${t + 1}`))).toEqual({
      valid: false,
      reason: 'signature mismatch',
    });
  });

  it('accepts the previous secret while rotating, and says which one matched', async () => {
    const header = await signGmailBody(body, { timestamp: t, secret: 'whsec_previous' });
    expect(await verify(header, { secrets: [TEST_SECRET, 'whsec_previous'] })).toEqual({ valid: true, keyIndex: 1 });
  });

  it('accepts any of several v1 signatures (the provider rotating its side)', async () => {
    const other = await signGmailBody(body, { timestamp: t, secret: 'whsec_someone_else' });
    const valid = await signGmailBody(body, { timestamp: t });
    const header = `${other},${valid.split(',')[1]}`;
    expect(await verify(header)).toEqual({ valid: true, keyIndex: 0 });
  });

  it.each([undefined, null, '', '   ', 'N/A', 'n/a'])('rejects a missing header (%j)', async (header) => {
    expect(await verify(header)).toEqual({ valid: false, reason: 'missing x-gmail-signature header' });
  });

  it('rejects a stale timestamp (replay) and one too far in the future', async () => {
    const stale = await signGmailBody(body, { timestamp: Math.floor(now / 1000) - 301 });
    const future = await signGmailBody(body, { timestamp: Math.floor(now / 1000) + 301 });
    expect(await verify(stale)).toEqual({ valid: false, reason: 'timestamp outside the 300 s tolerance' });
    expect(await verify(future)).toEqual({ valid: false, reason: 'timestamp outside the 300 s tolerance' });
  });

  it('accepts a timestamp exactly at the edge of the tolerance', async () => {
    const edge = await signGmailBody(body, { timestamp: Math.floor(now / 1000) - 300 });
    expect(await verify(edge)).toMatchObject({ valid: true });
  });

  it.each([
    ['no timestamp', 'v1=813de75a386e86c49013fd15b3c90396897aa2d49a1d8547dd4de0b95fdcc73f'],
    ['no signature', `t=${t}`],
    ['a non-numeric timestamp', 't=yesterday,v1=813de75a386e86c49013fd15b3c90396897aa2d49a1d8547dd4de0b95fdcc73f'],
    ['two timestamps', `t=${t},t=${t},v1=813de75a386e86c49013fd15b3c90396897aa2d49a1d8547dd4de0b95fdcc73f`],
    ['a short signature', `t=${t},v1=813de75a`],
    ['non-hex digits', `t=${t},v1=zz3de75a386e86c49013fd15b3c90396897aa2d49a1d8547dd4de0b95fdcc73f`],
    ['another scheme', 'sha256=813de75a386e86c49013fd15b3c90396897aa2d49a1d8547dd4de0b95fdcc73f'],
  ])('rejects a malformed header: %s', async (_name, header) => {
    expect(await verify(header)).toEqual({ valid: false, reason: 'malformed x-gmail-signature header' });
  });

  it('fails closed without a secret', async () => {
    const header = await signGmailBody(body, { timestamp: t });
    expect(await verify(header, { secrets: [] })).toEqual({ valid: false, reason: 'no webhook secret configured' });
    expect(await verify(header, { secrets: [''] })).toEqual({ valid: false, reason: 'no webhook secret configured' });
  });
});
