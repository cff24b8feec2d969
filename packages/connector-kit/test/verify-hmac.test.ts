// HMAC verifier against published vectors: Xero (calcinai/xero-php testValidPayload and a real
// intent-to-receive request, https://developer.xero.com/documentation/webhooks/configuring-your-server)
// and Notion (https://developers.notion.com/reference/webhooks#step-3-validating-event-payloads-recommended).
import { describe, expect, it } from 'vitest';
import { hmacSignature, signHmac, type VerifiableRequest } from '../src/verify/index';

const encoder = new TextEncoder();
const request = (
  body: string | Uint8Array,
  headers: Record<string, string>,
  extra: Partial<VerifiableRequest> = {},
) => ({
  body: typeof body === 'string' ? encoder.encode(body) : body,
  headers,
  ...extra,
});

const XERO_PHP_KEY = 'test_key';
const XERO_PHP_BODY = '{"events":[],"firstEventSequence": 0,"lastEventSequence": 0, "entropy": "NLDZEGWUXNHESAQVGLYF"}';
const XERO_PHP_SIGNATURE = 'ixznmr+Pdl6QymsWZM+9UkY4lu97q04sJyejmSOp25U=';
const ITR_KEY = 'LR+QgKlbRciIPYpi65tTKLaZ3FzLLofCNEQWrRXqWXJeDFrfexzfVI9SmnVuCWDJ4jnjHB9ECtOyxZSofRxwWw==';
const ITR_BODY = '{"events":[],"firstEventSequence": 0,"lastEventSequence": 0, "entropy": "LUWDSUDGSWNZVALZXBEV"}';
const ITR_CORRECT = 'BjzNbYUfrzg4g8wxm+dKHaZVrKxr2m75E296fUbD1E4=';
const ITR_SENT = '/jzNbYUfrzg4g8wxm+dKHaZVrKxr2m75E296fUbD1E4=';
const ITR_DECODED_KEY = 'Mq69bgTi4NjaAH80DD36XGZTvVkmO6OvkkRpU2zYijA=';
const ITR_RESERIALISED = '05NlK23dTIMq/IbzQ8QaQPyNtD53TnSeLWfxjsjtbYI=';
const NOTION_TOKEN = 'secret_tMrlL1qK5vuQAh1b6cZGhFChZTSYJlce98V0pYn7yBl';
const NOTION_BODY = `{"verification_token":"${NOTION_TOKEN}"}`;
const NOTION_SIGNATURE = 'sha256=461e8cbcba8a75c3edd866f0e71280f5a85cbf21eff040ebd10fe266df38a735';

const xero = (secrets: string[]) =>
  hmacSignature({ algorithm: 'sha256', encoding: 'base64', header: 'x-xero-signature', secrets });

describe('hmacSignature, base64 over the raw body (Xero)', () => {
  it('verifies the public vectors and refuses their negative controls', async () => {
    expect(await xero([XERO_PHP_KEY])(request(XERO_PHP_BODY, { 'x-xero-signature': XERO_PHP_SIGNATURE }))).toEqual({
      ok: true,
      keyIndex: 0,
      payloadIndex: 0,
    });
    const verify = xero([ITR_KEY]);
    expect(await verify(request(ITR_BODY, { 'x-xero-signature': ITR_CORRECT }))).toMatchObject({ ok: true });
    for (const wrong of [ITR_SENT, ITR_DECODED_KEY, ITR_RESERIALISED]) {
      expect(await verify(request(ITR_BODY, { 'x-xero-signature': wrong }))).toEqual({
        ok: false,
        code: 'mismatch',
        reason: 'x-xero-signature signature mismatch',
      });
    }
    expect(await signHmac(ITR_BODY, ITR_KEY, { algorithm: 'sha256', encoding: 'base64' })).toBe(ITR_CORRECT);
  });

  it('tries every secret (rotation) and says which matched; skips empty ones', async () => {
    expect(await xero(['', 'other', ITR_KEY])(request(ITR_BODY, { 'x-xero-signature': ITR_CORRECT }))).toMatchObject({
      ok: true,
      keyIndex: 2,
    });
  });

  it('fails closed: no secret, missing, malformed or non-canonical header', async () => {
    const ok = { 'x-xero-signature': ITR_CORRECT };
    expect(await xero([])(request(ITR_BODY, ok))).toMatchObject({ ok: false, code: 'misconfigured' });
    expect(await xero([''])(request(ITR_BODY, ok))).toMatchObject({ ok: false, code: 'misconfigured' });
    for (const headers of [{} as Record<string, string>, { 'x-xero-signature': '' }, { 'x-xero-signature': '  ' }]) {
      expect(await xero([ITR_KEY])(request(ITR_BODY, headers))).toEqual({
        ok: false,
        code: 'missing',
        reason: 'missing x-xero-signature header',
      });
    }
    for (const header of [` ${ITR_CORRECT}`, ITR_CORRECT.slice(0, -1), `${ITR_CORRECT.slice(0, -2)}5=`, 'HASH_VALUE']) {
      expect(await xero([ITR_KEY])(request(ITR_BODY, { 'x-xero-signature': header }))).toEqual({
        ok: false,
        code: 'malformed',
        reason: 'malformed x-xero-signature header',
      });
    }
  });
});

describe('hmacSignature, hex with a prefix (Notion)', () => {
  const notion = hmacSignature({
    algorithm: 'sha256',
    encoding: 'hex',
    header: 'X-Notion-Signature',
    prefix: 'sha256=',
    secrets: [NOTION_TOKEN],
  });

  it('verifies the documented sample', async () => {
    expect(await notion(request(NOTION_BODY, { 'x-notion-signature': NOTION_SIGNATURE }))).toMatchObject({ ok: true });
  });

  it('refuses the signature without its prefix, and a re-serialised body', async () => {
    expect(await notion(request(NOTION_BODY, { 'x-notion-signature': NOTION_SIGNATURE.slice(7) }))).toMatchObject({
      code: 'malformed',
    });
    const pretty = JSON.stringify(JSON.parse(NOTION_BODY), null, 2);
    expect(await notion(request(pretty, { 'x-notion-signature': NOTION_SIGNATURE }))).toMatchObject({
      code: 'mismatch',
    });
  });

  it('accepts an alternative payload when asked, and reports which one matched', async () => {
    const pretty = JSON.stringify(JSON.parse(NOTION_BODY), null, 2);
    const lenient = hmacSignature({
      algorithm: 'sha256',
      encoding: 'hex',
      header: 'x-notion-signature',
      prefix: 'sha256=',
      secrets: [NOTION_TOKEN],
      payload: (req) => [req.body, JSON.stringify(JSON.parse(new TextDecoder().decode(req.body)))],
    });
    expect(await lenient(request(pretty, { 'x-notion-signature': NOTION_SIGNATURE }))).toEqual({
      ok: true,
      keyIndex: 0,
      payloadIndex: 1,
    });
  });

  it('supports SHA-1 and SHA-512', async () => {
    for (const algorithm of ['sha1', 'sha512'] as const) {
      const signature = await signHmac('hello', 'k', { algorithm, encoding: 'hex' });
      const verify = hmacSignature({ algorithm, encoding: 'hex', header: 'x-sig', secrets: ['k'] });
      expect(await verify(request('hello', { 'x-sig': signature }))).toMatchObject({ ok: true });
      expect(await verify(request('hellp', { 'x-sig': signature }))).toMatchObject({ code: 'mismatch' });
    }
  });
});

describe('hmacSignature, a structured header with a signed timestamp (Stripe-style)', () => {
  // https://docs.stripe.com/webhooks#verify-manually: t=<unix seconds>,v1=<hex HMAC of "<t>.<body>">
  const now = new Date((1768469400 + 301) * 1000);
  const verify = hmacSignature({
    algorithm: 'sha256',
    encoding: 'hex',
    header: 'x-stripe-signature',
    secrets: ['whsec_template_test'],
    placeholders: ['N/A'],
    toleranceMs: 300_000,
    parse: (value) => {
      const parts = value.split(',').map((part) => part.split('=') as [string, string]);
      const t = parts.filter(([k]) => k === 't');
      const signatures = parts.filter(([k]) => k === 'v1').map(([, v]) => v);
      return t.length === 1 && signatures.length > 0 ? { timestamp: t[0]?.[1], signatures } : undefined;
    },
    payload: (req, header) => {
      const prefix = encoder.encode(`${header.timestamp}.`);
      const bytes = new Uint8Array(prefix.byteLength + req.body.byteLength);
      bytes.set(prefix);
      bytes.set(req.body, prefix.byteLength);
      return bytes;
    },
  });
  const body = '{"id":"evt_1","type":"record.created"}';
  // printf '%s' '1768469400.{"id":"evt_1","type":"record.created"}' | openssl dgst -sha256 -hmac whsec_template_test
  const header = 't=1768469400,v1=813de75a386e86c49013fd15b3c90396897aa2d49a1d8547dd4de0b95fdcc73f';

  it('verifies an independently computed vector within the tolerance', async () => {
    expect(
      await verify(request(body, { 'x-stripe-signature': header }, { receivedAt: new Date(1768469400_000) })),
    ).toMatchObject({ ok: true });
  });

  it('refuses a stale timestamp before computing anything, and a placeholder as missing', async () => {
    expect(await verify(request(body, { 'x-stripe-signature': header }, { receivedAt: now }))).toEqual({
      ok: false,
      code: 'expired',
      reason: 'timestamp outside the 300 s tolerance',
    });
    expect(await verify(request(body, { 'x-stripe-signature': 'n/a' }))).toMatchObject({ code: 'missing' });
    expect(await verify(request(body, { 'x-stripe-signature': 'v1=00' }))).toMatchObject({ code: 'malformed' });
  });
});
