import { ActError, type CredentialStoreV1, createMemoryCredentialStore } from '@act/core';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApiClient, createPkce, type OAuth2Options, oauth2, staticToken } from '../src/api/index';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const BASE_URL = 'https://api.example.test';
const AUTH_URL = 'https://login.example.test';
const PACKAGE = '@act/connector-example';
const KEY = 'example:t1';
const schema = z.object({ ok: z.boolean() });
const call = { method: 'GET', path: 'v1/ping', schema } as const;

async function rejection(promise: Promise<unknown>): Promise<ActError & Record<string, unknown>> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!ActError.isInstance(error)) throw new Error(`expected an ActError, got ${String(error)}`);
  return error as ActError & Record<string, unknown>;
}

async function store(value: Record<string, unknown> = {}): Promise<CredentialStoreV1> {
  const credentials = createMemoryCredentialStore();
  await credentials.put(KEY, {
    accessToken: 'access-1',
    refreshToken: 'refresh-1',
    expiresAt: Date.now() + 3_600_000,
    ...value,
  });
  return credentials;
}

const auth = (credentials: CredentialStoreV1, options: Partial<OAuth2Options> = {}) =>
  oauth2({
    tokenUrl: `${AUTH_URL}/token`,
    authorizeUrl: `${AUTH_URL}/authorize`,
    clientId: 'client-id',
    clientSecret: 'client-secret',
    authMethod: 'body',
    retryRefresh: false,
    credentials,
    leaseMs: 5_000,
    providerName: 'Example',
    packageName: PACKAGE,
    source: 'example',
    ...options,
  });

const client = (credentials: CredentialStoreV1, options: Partial<OAuth2Options> = {}) =>
  createApiClient({
    packageName: PACKAGE,
    source: 'example',
    baseUrl: BASE_URL,
    auth: auth(credentials, options),
    retry: { baseDelayMs: 1 },
  });

/** A token endpoint answering a rotation: `refresh-N` → `access-N+1` / `refresh-N+1`. */
function tokenEndpoint(from: number, options: { delayMs?: number; times?: number } = {}) {
  const requests: { form: URLSearchParams; authorization: string | null }[] = [];
  const scope = nock(AUTH_URL)
    .post('/token')
    .times(options.times ?? 1)
    .delay(options.delayMs ?? 0)
    .reply(200, async (request: Request) => {
      requests.push({
        form: new URLSearchParams(await request.text()),
        authorization: request.headers.get('authorization'),
      });
      return {
        access_token: `access-${from + 1}`,
        refresh_token: `refresh-${from + 1}`,
        expires_in: 1800,
        scope: 'a b',
        user_id: 'u1',
      };
    });
  return { scope, requests };
}

describe('oauth2: refresh', () => {
  it('refreshes an expired token first, with the form (client in the body) and extra params, and saves the rotation', async () => {
    const credentials = await store({ expiresAt: Date.now() - 1, userType: 'Location' });
    const token = tokenEndpoint(1);
    const api = nock(BASE_URL, { reqheaders: { authorization: 'Bearer access-2' } })
      .get('/v1/ping')
      .reply(200, { ok: true });
    await client(credentials, {
      refreshParams: (current) => ({ user_type: String(current.userType) }),
      credentialFields: (body) => ({ userId: body.user_id }),
    }).request('t1', call);
    expect(token.scope.isDone() && api.isDone()).toBe(true);
    expect(Object.fromEntries(token.requests[0]?.form ?? [])).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'refresh-1',
      user_type: 'Location',
      client_id: 'client-id',
      client_secret: 'client-secret',
    });
    const stored = await credentials.get(KEY);
    expect(stored).toMatchObject({
      revision: 2,
      value: { accessToken: 'access-2', refreshToken: 'refresh-2', scope: 'a b', userId: 'u1', userType: 'Location' },
    });
    expect((stored?.value.expiresAt as number) - Date.now()).toBeGreaterThan(1_700_000);
  });

  it("authMethod 'basic' sends the client as HTTP Basic (RFC 6749 §2.3.1)", async () => {
    const credentials = await store({ expiresAt: Date.now() - 1 });
    const token = tokenEndpoint(1);
    nock(BASE_URL).get('/v1/ping').reply(200, { ok: true });
    await client(credentials, { authMethod: 'basic' }).request('t1', call);
    expect(token.requests[0]?.authorization).toBe(`Basic ${btoa('client-id:client-secret')}`);
    expect(token.requests[0]?.form.has('client_secret')).toBe(false);
  });

  it('401 → refresh → retry with the new token; a 401 that persists is an auth error (no loop)', async () => {
    const credentials = await store();
    tokenEndpoint(1);
    const api = nock(BASE_URL)
      .get('/v1/ping')
      .matchHeader('authorization', 'Bearer access-1')
      .reply(401, {})
      .get('/v1/ping')
      .matchHeader('authorization', 'Bearer access-2')
      .reply(200, { ok: true });
    await expect(client(credentials).request('t1', call)).resolves.toEqual({ ok: true });
    expect(api.isDone()).toBe(true);

    tokenEndpoint(2);
    nock(BASE_URL).get('/v1/ping').times(2).reply(401, {});
    expect(await rejection(client(credentials).request('t1', call))).toMatchObject({
      errorClass: 'auth',
      providerStatus: 401,
    });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('two concurrent 401s refresh once, in one client and across two clients sharing the store', async () => {
    for (const clients of [1, 2]) {
      nock.cleanAll();
      const credentials = await store();
      const token = tokenEndpoint(1, { delayMs: 30 });
      nock(BASE_URL)
        .get('/v1/ping')
        .matchHeader('authorization', 'Bearer access-1')
        .times(2)
        .reply(401, {})
        .get('/v1/ping')
        .matchHeader('authorization', 'Bearer access-2')
        .times(2)
        .reply(200, { ok: true });
      const first = client(credentials, { owner: 'worker-a' });
      const second = clients === 1 ? first : client(credentials, { owner: 'worker-b' });
      await Promise.all([first.request('t1', call), second.request('t1', call)]);
      expect(token.requests).toHaveLength(1);
      expect(await credentials.get(KEY)).toMatchObject({ revision: 2, value: { refreshToken: 'refresh-2' } });
    }
  });

  it('a refused grant marks the connection reconnect-required and stops calling the provider', async () => {
    const credentials = await store({ expiresAt: Date.now() - 1 });
    nock(AUTH_URL)
      .post('/token')
      .reply(400, { error: 'invalid_grant', error_description: 'refresh token already used' });
    const api = client(credentials);
    const error = await rejection(api.request('t1', call));
    expect(error).toMatchObject({ name: 'ReconnectRequiredError', credentialKey: KEY });
    expect(error.message).toContain('Example refused the grant (invalid_grant: refresh token already used)');
    expect((await rejection(api.request('t1', call))).name).toBe('ReconnectRequiredError');
  });

  it('retryRefresh: false sends a rotating refresh token once; true retries a lost answer', async () => {
    // A failed refresh is not retried by the token request nor by the API call around it:
    // the worker's schedule tries again later.
    const once = await store({ expiresAt: Date.now() - 1 });
    let sent = 0;
    nock(AUTH_URL)
      .post('/token')
      .times(10)
      .reply(() => {
        sent += 1;
        return [503, {}];
      });
    const error = await rejection(client(once).request('t1', call));
    expect(error).toMatchObject({ providerStatus: 503 });
    expect(sent).toBe(1);
    nock.cleanAll();

    const retried = await store({ expiresAt: Date.now() - 1 });
    nock(AUTH_URL).post('/token').reply(503, {});
    const token = tokenEndpoint(1);
    nock(BASE_URL).get('/v1/ping').reply(200, { ok: true });
    await client(retried, { retryRefresh: true }).request('t1', call);
    expect(token.requests).toHaveLength(1);
  });

  it('refreshCredentials(tenant) rotates the tokens; configuration is checked up front', async () => {
    const credentials = await store();
    const token = tokenEndpoint(1);
    await client(credentials).refreshCredentials('t1');
    expect(token.scope.isDone()).toBe(true);
    expect(() => client(credentials, { clientId: '' })).toThrow(`[${PACKAGE}] auth.clientId is required for OAuth`);
    expect(() => client(undefined as unknown as CredentialStoreV1)).toThrow(
      'auth.credentials (a CredentialStoreV1) is required for OAuth',
    );
  });
});

describe('oauth2: renew ahead of expiry (the scheduler)', () => {
  const NOW = Date.parse('2026-03-01T12:00:00Z');
  const renewing = (credentials: CredentialStoreV1, options: Partial<OAuth2Options> = {}) =>
    createApiClient({
      packageName: PACKAGE,
      source: 'example',
      baseUrl: BASE_URL,
      auth: auth(credentials, options),
      retry: { baseDelayMs: 1 },
      now: () => new Date(NOW),
    });

  it('leaves a token that outlives aheadMs alone and reports its expiry', async () => {
    const credentials = await store({ expiresAt: NOW + 20 * 60_000 });
    const token = tokenEndpoint(1);
    const renewed = await renewing(credentials).renewCredentials?.('t1', { aheadMs: 10 * 60_000 });
    expect(renewed).toEqual({ expiresAt: new Date(NOW + 20 * 60_000) });
    expect(token.requests).toHaveLength(0);
    expect(await credentials.get(KEY)).toMatchObject({ revision: 1, value: { accessToken: 'access-1' } });
  });

  it('refreshes a token expiring within aheadMs, saves the rotation and reports the new expiry', async () => {
    const credentials = await store({ expiresAt: NOW + 9 * 60_000 });
    const token = tokenEndpoint(1);
    const renewed = await renewing(credentials).renewCredentials?.('t1', { aheadMs: 10 * 60_000 });
    // expires_in 1800 s from the injected clock.
    expect(renewed).toEqual({ expiresAt: new Date(NOW + 1_800_000) });
    expect(token.requests).toHaveLength(1);
    expect(await credentials.get(KEY)).toMatchObject({
      revision: 2,
      value: { accessToken: 'access-2', refreshToken: 'refresh-2', expiresAt: NOW + 1_800_000 },
    });
  });

  it('is single-flight with every other refresh: concurrent renewals and a 401 spend the refresh token once', async () => {
    for (const clients of [1, 2]) {
      nock.cleanAll();
      const credentials = await store({ expiresAt: NOW + 60_000 });
      const token = tokenEndpoint(1, { delayMs: 30 });
      nock(BASE_URL)
        .get('/v1/ping')
        .matchHeader('authorization', 'Bearer access-1')
        .reply(401, {})
        .get('/v1/ping')
        .matchHeader('authorization', 'Bearer access-2')
        .reply(200, { ok: true });
      const first = renewing(credentials, { owner: 'worker-a' });
      const second = clients === 1 ? first : renewing(credentials, { owner: 'worker-b' });
      const [a, b] = await Promise.all([
        first.renewCredentials?.('t1', { aheadMs: 600_000 }),
        second.renewCredentials?.('t1', { aheadMs: 600_000 }),
        second.request('t1', call),
      ]);
      expect(token.requests).toHaveLength(1);
      expect(a).toEqual({ expiresAt: new Date(NOW + 1_800_000) });
      expect(b).toEqual(a);
      expect(await credentials.get(KEY)).toMatchObject({ revision: 2, value: { refreshToken: 'refresh-2' } });
    }
  });

  it('a refused grant or a missing credential is ReconnectRequiredError; a static token has nothing to renew', async () => {
    const refused = await store({ expiresAt: NOW + 60_000 });
    nock(AUTH_URL).post('/token').reply(400, { error: 'invalid_grant' });
    const error = await rejection(
      renewing(refused).renewCredentials?.('t1', { aheadMs: 600_000 }) ?? Promise.resolve(),
    );
    expect(error).toMatchObject({ name: 'ReconnectRequiredError', credentialKey: KEY });
    const missing = await rejection(
      renewing(createMemoryCredentialStore()).renewCredentials?.('t1', { aheadMs: 600_000 }) ?? Promise.resolve(),
    );
    expect(missing).toMatchObject({ name: 'ReconnectRequiredError', credentialKey: KEY });
    expect(
      createApiClient({ packageName: PACKAGE, source: 'example', baseUrl: BASE_URL, auth: staticToken('pit') })
        .renewCredentials,
    ).toBeUndefined();
  });
});

describe('oauth2: authorization code', () => {
  it('builds the authorize URL with scopes, state and an optional PKCE challenge', async () => {
    const pkce = await createPkce();
    expect(pkce.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const url = new URL(
      auth(createMemoryCredentialStore(), { scopes: ['offline_access', 'read'] }).authorizeUrl({
        redirectUri: 'https://app.example/callback',
        state: 's1',
        codeChallenge: pkce.challenge,
      }),
    );
    expect(url.origin + url.pathname).toBe(`${AUTH_URL}/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client-id',
      redirect_uri: 'https://app.example/callback',
      scope: 'offline_access read',
      state: 's1',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    });
  });

  it('exchanges a code for the credential to store; a refused code needs a new install', async () => {
    const token = tokenEndpoint(0);
    const credential = await auth(createMemoryCredentialStore()).exchangeCode({
      code: 'c1',
      redirectUri: 'https://app.example/callback',
      codeVerifier: 'v1',
      params: { user_type: 'Location' },
    });
    expect(Object.fromEntries(token.requests[0]?.form ?? [])).toMatchObject({
      grant_type: 'authorization_code',
      code: 'c1',
      redirect_uri: 'https://app.example/callback',
      code_verifier: 'v1',
      user_type: 'Location',
    });
    expect(credential).toMatchObject({ accessToken: 'access-1', refreshToken: 'refresh-1', scope: 'a b' });

    nock(AUTH_URL).post('/token').reply(400, { error: 'invalid_grant' });
    const error = await rejection(auth(createMemoryCredentialStore()).exchangeCode({ code: 'used' }));
    expect(error).toMatchObject({ name: 'ReconnectRequiredError', credentialKey: 'example:authorization-code' });
    expect(error.message).toContain(`[${PACKAGE}]`);
    expect(error.message).toContain('Example refused the grant (invalid_grant)');

    nock(AUTH_URL).post('/token').reply(400, { error: 'invalid_grant', error_description: 'code expired' });
    const custom = await rejection(
      auth(createMemoryCredentialStore(), {
        messages: { codeRefused: (reason) => `the code was refused (${reason})` },
      }).exchangeCode({ code: 'old' }),
    );
    expect(custom.message).toContain('the code was refused (code expired)');
  });
});
