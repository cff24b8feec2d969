// Pub/Sub push test material: the documented samples, and a locally generated
// RS256 key that stands in for Google's (its JWKS is served by nock or handed
// over as a local key set), so production keeps Google's JWKS URL.
// Edge-safe: jose and Web Crypto only, fixtures imported as raw text.
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import type { GmailPushOptions } from '../../src/gmail-signature';
import gmailPush from '../fixtures/pubsub-gmail-push.json?raw';
import oidcToken from '../fixtures/pubsub-oidc-token.jwt?raw';
import wrappedPush from '../fixtures/pubsub-wrapped-push.json?raw';

/** The documented samples ([G2] push body, trailing comma removed; [P1] wrapped body; [P2] OIDC token), as on disk. */
export const pubsubFixtures = {
  gmailPush,
  wrappedPush,
  oidcToken: oidcToken.trim(),
} as const;

export const AUDIENCE = 'https://act.example.com/webhooks/gmail';
export const PUSH_ACCOUNT = 'gmail-push@act-test.iam.gserviceaccount.com';
export const PUSH_TOKEN = 'pt_gmail_push_test';
export const JWKS_ORIGIN = 'https://keys.act.test';
export const JWKS_PATH = '/oauth2/v3/certs';
export const JWKS_URL = `${JWKS_ORIGIN}${JWKS_PATH}`;
export const ENDPOINT = `https://act.example.com/webhooks/gmail?token=${PUSH_TOKEN}`;

export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

/** A fresh RS256 key pair and its public JWK, as Google publishes them (`kid`, `alg`, `use`). */
export async function testKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export const jwksOf = (...keys: TestKey[]) => ({ keys: keys.map((key) => key.jwk) });
export const localKeySet = (...keys: TestKey[]) => createLocalJWKSet(jwksOf(...keys));

/** The claims Pub/Sub's token carries for our subscription ([P2] sample's shape), issued `at`. */
export function pushClaims(at: Date = new Date()): JWTPayload {
  const iat = Math.floor(at.getTime() / 1000);
  return {
    aud: AUDIENCE,
    azp: '113774264463038321964',
    email: PUSH_ACCOUNT,
    email_verified: true,
    iat,
    exp: iat + 3600,
    iss: 'https://accounts.google.com',
    sub: '113774264463038321964',
  };
}

/** `claims` without `name` (a token lacking a claim). */
export function without(claims: JWTPayload, name: string): JWTPayload {
  const { [name]: _dropped, ...rest } = claims;
  return rest;
}

/** A signed token; `header.kid` defaults to the key's. */
export async function mintToken(
  key: TestKey,
  claims: JWTPayload = pushClaims(),
  header: { kid?: string; alg?: string } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: header.alg ?? 'RS256', kid: header.kid ?? key.kid, typ: 'JWT' })
    .sign(key.privateKey);
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const encoder = new TextEncoder();

/** `message.data` as Gmail writes it: base64url JSON [G2]. */
export function pushData(emailAddress: string, historyId: string): string {
  const json = JSON.stringify({ emailAddress, historyId });
  return btoa(json).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A wrapped push body [P1] for one Gmail notification. */
export function pushBody(messageId: string, emailAddress: string, historyId: string): string {
  return JSON.stringify({
    message: { data: pushData(emailAddress, historyId), messageId, publishTime: '2026-03-02T10:00:00.000Z' },
    subscription: 'projects/act-test/subscriptions/gmail-push',
  });
}

export function pushRequest(body: string | Uint8Array, headers: Record<string, string>, url = ENDPOINT): Request {
  return new Request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? encoder.encode(body) : new Uint8Array(body),
  });
}

/** The push settings of the tests, with a local key set unless overridden. */
export function pushOptions(overrides: Partial<GmailPushOptions> = {}): GmailPushOptions {
  return { audience: AUDIENCE, serviceAccountEmail: PUSH_ACCOUNT, tokens: [PUSH_TOKEN], ...overrides };
}
