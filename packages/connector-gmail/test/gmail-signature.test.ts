// The push verifier on its own: each refusal's code and reason, with a local
// key set in place of Google's JWKS (the download itself is covered, with
// nock, in gmail-webhook.test.ts). Edge-safe: jose and Web Crypto only.
import { type JWTPayload, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { GMAIL_PUSH_TOKEN_PARAMETER, type GmailPushOptions, verifyGmailPush } from '../src/gmail-signature';
import {
  AUDIENCE,
  bearer,
  ENDPOINT,
  localKeySet,
  mintToken,
  PUSH_ACCOUNT,
  PUSH_TOKEN,
  pubsubFixtures,
  pushClaims,
  pushOptions,
  type TestKey,
  testKey,
  without,
} from './helpers/pubsub-push';

let key: TestKey;
let otherKey: TestKey;
beforeAll(async () => {
  key = await testKey('local-1');
  otherKey = await testKey('local-2');
});

const RECEIVED = new Date('2026-03-02T10:00:00Z');
const at = (seconds: number) => new Date(RECEIVED.getTime() + seconds * 1000);

async function verify(
  headers: Record<string, string>,
  options: Partial<GmailPushOptions> = {},
  url = ENDPOINT,
  receivedAt = RECEIVED,
) {
  const verifier = verifyGmailPush(pushOptions({ keySet: localKeySet(key), ...options }));
  return verifier({ body: new Uint8Array(), headers, url, receivedAt });
}

describe('verifyGmailPush', () => {
  it('accepts a token from the push service account and hands back its claims', async () => {
    const result = await verify(bearer(await mintToken(key, pushClaims(RECEIVED))));
    expect(result).toMatchObject({ ok: true, claims: { email: PUSH_ACCOUNT, aud: AUDIENCE } });
  });

  it.each([
    ['a wrong audience', { aud: 'https://example.com' }, 'claims', 'token claim aud rejected'],
    ['a wrong issuer', { iss: 'https://evil.example.com' }, 'claims', 'token claim iss rejected'],
    ['another account', { email: 'a@b.c' }, 'claims', 'token email is not the push service account'],
    ['an unverified email', { email_verified: false }, 'claims', 'token email is not verified'],
    ['no iat', 'iat', 'claims', 'token has no iat claim'],
  ] as [string, JWTPayload | string, string, string][])('refuses %s', async (_name, change, code, reason) => {
    const claims =
      typeof change === 'string' ? without(pushClaims(RECEIVED), change) : { ...pushClaims(RECEIVED), ...change };
    const result = await verify(bearer(await mintToken(key, claims)));
    expect(result).toEqual({ ok: false, code, reason });
  });

  it('allows 300 s of clock skew on exp and iat by default [P4], and a configured skew instead', async () => {
    const expiresAt = (seconds: number) => ({
      ...pushClaims(at(seconds - 3600)),
      exp: Math.floor(at(seconds).getTime() / 1000),
    });
    expect(await verify(bearer(await mintToken(key, expiresAt(-299))))).toMatchObject({ ok: true });
    expect(await verify(bearer(await mintToken(key, expiresAt(-301))))).toEqual({
      ok: false,
      code: 'expired',
      reason: 'token expired',
    });
    expect(await verify(bearer(await mintToken(key, pushClaims(at(299)))))).toMatchObject({ ok: true });
    expect(await verify(bearer(await mintToken(key, pushClaims(at(301)))))).toEqual({
      ok: false,
      code: 'claims',
      reason: 'token issued in the future',
    });
    const strict = { clockToleranceSeconds: 10 };
    expect(await verify(bearer(await mintToken(key, expiresAt(-11))), strict)).toMatchObject({ code: 'expired' });
    expect(await verify(bearer(await mintToken(key, pushClaims(at(11)))), strict)).toMatchObject({ code: 'claims' });
  });

  it('refuses a token that lives longer than a day, as Google’s library does [P4]', async () => {
    const claims = { ...pushClaims(RECEIVED), exp: Math.floor(RECEIVED.getTime() / 1000) + 86_401 };
    expect(await verify(bearer(await mintToken(key, claims)))).toEqual({
      ok: false,
      code: 'claims',
      reason: 'token lifetime too long',
    });
  });

  it('refuses a signature by another key, an unknown kid, and other algorithms', async () => {
    const claims = pushClaims(RECEIVED);
    expect(await verify(bearer(await mintToken(otherKey, claims, { kid: key.kid })))).toMatchObject({
      ok: false,
      code: 'mismatch',
    });
    expect(await verify(bearer(await mintToken(otherKey, claims)))).toMatchObject({ ok: false, code: 'mismatch' });
    // HS256 under the public key's text: the classic algorithm confusion; only RS256 is accepted.
    const hs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: key.kid })
      .sign(new TextEncoder().encode(JSON.stringify(key.jwk)));
    expect(await verify(bearer(hs256))).toMatchObject({ ok: false, code: 'malformed' });
  });

  it('refuses a signature spelled with unused bits set (base64url decoders would ignore them)', async () => {
    const token = await mintToken(key, pushClaims(RECEIVED));
    const last = token.at(-1) as string;
    // 256 signature bytes end in a character carrying 2 bits: the other 4 must be zero.
    expect('AQgw').toContain(last);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = `${token.slice(0, -1)}${alphabet[alphabet.indexOf(last) + 1]}`;
    expect(await verify(bearer(respelled))).toEqual({
      ok: false,
      code: 'malformed',
      reason: 'malformed token signature',
    });
  });

  it("refuses the doc's sample token [P2]: expired and signed by a key long rotated out", async () => {
    const verifier = verifyGmailPush({
      audience: 'https://example.com',
      serviceAccountEmail: 'gae-gcp@appspot.gserviceaccount.com',
      keySet: localKeySet(key),
    });
    // Even at the time it was issued, no key of ours verifies it.
    const result = await verifier({
      body: new Uint8Array(),
      headers: bearer(pubsubFixtures.oidcToken),
      receivedAt: new Date(1_550_182_400_000),
    });
    expect(result).toMatchObject({ ok: false, code: 'mismatch' });
  });

  it('checks the ?token= of the push URL first, against every configured token (rotation)', async () => {
    const token = bearer(await mintToken(key, pushClaims(RECEIVED)));
    const base = 'https://act.example.com/webhooks/gmail';
    expect(await verify(token, {}, base)).toEqual({ ok: false, code: 'missing', reason: 'missing push token' });
    expect(await verify({}, {}, `${base}?${GMAIL_PUSH_TOKEN_PARAMETER}=wrong`)).toEqual({
      ok: false,
      code: 'mismatch',
      reason: 'push token mismatch',
    });
    const rotating = { tokens: ['pt_next', PUSH_TOKEN] };
    expect(await verify(token, rotating, `${base}?token=pt_next`)).toMatchObject({ ok: true });
    expect(await verify(token, rotating, `${base}?token=${PUSH_TOKEN}`)).toMatchObject({ ok: true });
    expect(await verify(token, { tokens: [''] }, base)).toMatchObject({ ok: true });
  });

  it('without settings, or with a blank audience or account, refuses everything as misconfigured', async () => {
    const token = bearer(await mintToken(key, pushClaims(RECEIVED)));
    const request = { body: new Uint8Array(), headers: token, url: ENDPOINT, receivedAt: RECEIVED };
    expect(await verifyGmailPush(undefined)(request)).toEqual({
      ok: false,
      code: 'misconfigured',
      reason: 'Gmail push authentication is not configured',
    });
    for (const options of [{ audience: ' ' }, { audience: [] as string[] }, { serviceAccountEmail: '' }]) {
      expect(await verify(token, options)).toMatchObject({ ok: false, code: 'misconfigured' });
    }
    expect(await verifyGmailPush(pushOptions({ jwksUrl: 'not a url' }))(request)).toEqual({
      ok: false,
      code: 'misconfigured',
      reason: 'the JWKS URL is not a URL',
    });
  });
});
