// OIDC JWT verification the way Google Pub/Sub push authenticates
// (https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions): RS256 keys generated here with jose
// and served as a local or fetched JWKS.
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { jwks } from '../src/verify/index';

const { publicKey, privateKey } = await generateKeyPair('RS256');
const stranger = await generateKeyPair('RS256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
const keySet = createLocalJWKSet({ keys: [jwk] });
const AUDIENCE = 'https://example.com/webhooks/gmail';
const SERVICE_ACCOUNT = 'push@project.iam.gserviceaccount.com';
const now = new Date();

async function token(claims: JWTPayload = {}, key = privateKey, kid = 'k1') {
  return new SignJWT({ email: SERVICE_ACCOUNT, email_verified: true, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .setIssuer((claims.iss as string | undefined) ?? 'https://accounts.google.com')
    .setAudience((claims.aud as string | undefined) ?? AUDIENCE)
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .setExpirationTime((claims.exp as number | undefined) ?? Math.floor(now.getTime() / 1000) + 3600)
    .sign(key);
}

const google = {
  issuers: ['https://accounts.google.com', 'accounts.google.com'],
  audience: AUDIENCE,
  checkClaims: (claims: JWTPayload) =>
    claims.email === SERVICE_ACCOUNT && claims.email_verified === true ? undefined : 'unexpected service account',
};
const req = (authorization?: string) => ({
  body: new Uint8Array(),
  headers: authorization === undefined ? {} : { authorization },
  receivedAt: now,
});

describe('jwks', () => {
  const verify = jwks({ ...google, keySet });

  it('accepts a token from either Google issuer with the right audience and claims', async () => {
    for (const iss of ['https://accounts.google.com', 'accounts.google.com']) {
      const result = await verify(req(`Bearer ${await token({ iss })}`));
      expect(result).toMatchObject({ ok: true, claims: { iss, email: SERVICE_ACCOUNT } });
    }
  });

  it('refuses another issuer, audience, signer, an expired token and unexpected claims', async () => {
    expect(await verify(req(`Bearer ${await token({ iss: 'https://evil.example' })}`))).toMatchObject({
      ok: false,
      code: 'claims',
    });
    expect(await verify(req(`Bearer ${await token({ aud: 'https://other' })}`))).toMatchObject({ code: 'claims' });
    expect(await verify(req(`Bearer ${await token({}, stranger.privateKey)}`))).toMatchObject({ code: 'mismatch' });
    expect(await verify(req(`Bearer ${await token({}, stranger.privateKey, 'k2')}`))).toMatchObject({
      code: 'mismatch',
    });
    expect(await verify(req(`Bearer ${await token({ exp: Math.floor(now.getTime() / 1000) - 3600 })}`))).toMatchObject({
      code: 'expired',
    });
    expect(await verify(req(`Bearer ${await token({ email_verified: false })}`))).toEqual({
      ok: false,
      code: 'claims',
      reason: 'unexpected service account',
    });
  });

  it('refuses a correctly signed token without an expiry (it would be valid forever)', async () => {
    const forever = await new SignJWT({ email: SERVICE_ACCOUNT, email_verified: true })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'JWT' })
      .setIssuer('https://accounts.google.com')
      .setAudience(AUDIENCE)
      .sign(privateKey);
    expect(await verify(req(`Bearer ${forever}`))).toMatchObject({ ok: false });
  });

  it('refuses the expired sample token of the Pub/Sub documentation', async () => {
    const sample =
      'eyJhbGciOiJSUzI1NiIsImtpZCI6IjdkNjgwZDhjNzBkNDRlOTQ3MTMzY2JkNDk5ZWJjMWE2MWMzZDVhYmMiLCJ0eXAiOiJKV1QifQ.eyJhdWQiOiJodHRwczovL2V4YW1wbGUuY29tIiwiYXpwIjoiMTEzNzc0MjY0NDYzMDM4MzIxOTY0IiwiZW1haWwiOiJnYWUtZ2NwQGFwcHNwb3QuZ3NlcnZpY2VhY2NvdW50LmNvbSIsImVtYWlsX3ZlcmlmaWVkIjp0cnVlLCJleHAiOjE1NTAxODU5MzUsImlhdCI6MTU1MDE4MjMzNSwiaXNzIjoiaHR0cHM6Ly9hY2NvdW50cy5nb29nbGUuY29tIiwic3ViIjoiMTEzNzc0MjY0NDYzMDM4MzIxOTY0In0.QVjyqpmadTyDZmlX2u3jWd1kJ68YkdwsRZDo-QxSPbxjug4ucLBwAs2QePrcgZ6hhkvdc4UHY4YF3fz9g7XHULNVIzX5xh02qXEH8dK6PgGndIWcZQzjSYfgO-q-R2oo2hNM5HBBsQN4ARtGK_acG-NGGWM3CQfahbEjZPAJe_B8M7HfIu_G5jOLZCw2EUcGo';
    const result = await jwks({ ...google, audience: 'https://example.com', keySet })(req(`Bearer ${sample}`));
    expect(result.ok).toBe(false);
  });

  it('fails closed on a missing or malformed Authorization header', async () => {
    expect(await verify(req())).toMatchObject({ code: 'missing', reason: 'missing authorization header' });
    expect(await verify(req('Basic abc'))).toMatchObject({ code: 'malformed' });
    expect(await verify(req('Bearer not-a-jwt'))).toMatchObject({ code: 'malformed' });
    expect(await verify(req('Bearer a.b.c'))).toMatchObject({ ok: false });
  });

  it('downloads the JWKS through an injected fetch, and refuses as misconfigured when it cannot', async () => {
    const urls: string[] = [];
    const remote = jwks({
      ...google,
      url: 'https://www.googleapis.com/oauth2/v3/certs',
      fetch: (async (url: string | URL | Request) => {
        urls.push(String(url));
        return Response.json({ keys: [jwk] });
      }) as typeof fetch,
    });
    expect(await remote(req(`Bearer ${await token()}`))).toMatchObject({ ok: true });
    expect(urls).toEqual(['https://www.googleapis.com/oauth2/v3/certs']);
    const down = jwks({
      ...google,
      url: 'https://www.googleapis.com/oauth2/v3/certs',
      fetch: (async () => {
        throw new TypeError('fetch failed');
      }) as typeof fetch,
    });
    expect(await down(req(`Bearer ${await token()}`))).toMatchObject({ ok: false, code: 'misconfigured' });
  });

  it('reports a JWKS answering non-200 or not JSON as misconfigured (our side cannot verify), not as a bad token', async () => {
    for (const answer of [
      () => new Response('unavailable', { status: 503 }),
      () => new Response('{"keys":', { status: 200 }),
    ]) {
      const broken = jwks({
        ...google,
        url: 'https://www.googleapis.com/oauth2/v3/certs',
        fetch: (async () => answer()) as typeof fetch,
      });
      expect(await broken(req(`Bearer ${await token()}`))).toMatchObject({ ok: false, code: 'misconfigured' });
    }
  });

  it('refuses a signature spelled with unused trailing bits set (one signature, one spelling)', async () => {
    const valid = await token();
    const [head, payload, signature] = valid.split('.') as [string, string, string];
    // A 256-byte RS256 signature is 342 base64url characters: the last one carries 4 unused bits.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(signature.at(-1) as string);
    const respelled = `${signature.slice(0, -1)}${alphabet[last | 0x01]}`;
    expect(await verify(req(`Bearer ${valid}`))).toMatchObject({ ok: true });
    expect(await verify(req(`Bearer ${head}.${payload}.${respelled}`))).toMatchObject({
      ok: false,
      code: 'malformed',
    });
  });

  it('maxTokenLifetimeSeconds: refuses tokens without iat, issued in the future, or living too long', async () => {
    const strict = jwks({ ...google, keySet, maxTokenLifetimeSeconds: 86_400 });
    const seconds = Math.floor(now.getTime() / 1000);
    expect(await strict(req(`Bearer ${await token()}`))).toMatchObject({ ok: true });
    expect(await strict(req(`Bearer ${await token({ exp: seconds + 86_401 })}`))).toMatchObject({
      code: 'claims',
      reason: 'token lifetime too long',
    });
    const future = await new SignJWT({ email: SERVICE_ACCOUNT, email_verified: true })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer('https://accounts.google.com')
      .setAudience(AUDIENCE)
      .setIssuedAt(seconds + 600)
      .setExpirationTime(seconds + 3600)
      .sign(privateKey);
    expect(await strict(req(`Bearer ${future}`))).toMatchObject({
      code: 'claims',
      reason: 'token issued in the future',
    });
    const noIat = await new SignJWT({ email: SERVICE_ACCOUNT, email_verified: true })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer('https://accounts.google.com')
      .setAudience(AUDIENCE)
      .setExpirationTime(seconds + 3600)
      .sign(privateKey);
    expect(await strict(req(`Bearer ${noIat}`))).toMatchObject({ code: 'claims', reason: 'token has no iat claim' });
  });
});
