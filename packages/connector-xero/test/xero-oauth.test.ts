import type { CredentialStoreV1 } from '@act/core';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createXeroClient, type XeroClientOptions } from '../src/xero-client';
import {
  buildXeroAuthorizeUrl,
  exchangeXeroAuthorizationCode,
  listXeroConnections,
  XERO_AUTHORIZE_URL,
  XERO_CONNECTIONS_URL,
  XERO_TOKEN_URL,
  type XeroOAuthAuth,
} from '../src/xero-oauth';
import {
  API,
  API_PATH,
  apiFixture,
  CLIENT_ID,
  CLIENT_SECRET,
  IDENTITY,
  KEY,
  oauthStore,
  rejection,
  TENANT,
} from './helpers/xero-client-kit';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const BASIC = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
const INVOICE_ID = 'a03ffcd2-5d91-4c7e-b483-318584e9e439';

const oauth = (credentials: CredentialStoreV1, extra: Partial<XeroOAuthAuth> = {}): XeroOAuthAuth => ({
  clientId: CLIENT_ID,
  clientSecret: CLIENT_SECRET,
  credentials,
  leaseMs: 5_000,
  ...extra,
});

const oauthClient = (credentials: CredentialStoreV1, options: Partial<XeroClientOptions> = {}) =>
  createXeroClient({ auth: oauth(credentials), retry: { baseDelayMs: 1 }, ...options });

/** The token endpoint answering one rotation: `refresh-N` → `access-N+1` / `refresh-N+1`. */
function tokenEndpoint(from: number, options: { delayMs?: number; times?: number } = {}) {
  const requests: { form: URLSearchParams; authorization: string | null }[] = [];
  const scope = nock(IDENTITY)
    .post('/connect/token')
    .times(options.times ?? 1)
    .delay(options.delayMs ?? 0)
    .reply(200, async (request: Request) => {
      requests.push({
        form: new URLSearchParams(await request.text()),
        authorization: request.headers.get('authorization'),
      });
      return {
        ...apiFixture('api-token.1.json'),
        access_token: `access-${from + 1}`,
        refresh_token: `refresh-${from + 1}`,
        expires_in: 1800,
      };
    });
  return { scope, requests };
}

describe('Xero OAuth: refresh', () => {
  it('refreshes an expired access token first (Basic client auth, form grant), and persists the rotated refresh token', async () => {
    expect(XERO_TOKEN_URL).toBe('https://identity.xero.com/connect/token');
    const credentials = await oauthStore({ expiresAt: Date.now() - 1 });
    const token = tokenEndpoint(1);
    const api = nock(API, { reqheaders: { authorization: 'Bearer access-2', 'xero-tenant-id': TENANT } })
      .get(`${API_PATH}/Invoices/${INVOICE_ID}`)
      .reply(200, apiFixture('api-invoice.1.json'));
    await oauthClient(credentials).getInvoice(TENANT, INVOICE_ID);
    expect(token.scope.isDone() && api.isDone()).toBe(true);
    expect(token.requests[0]?.authorization).toBe(BASIC);
    expect(Object.fromEntries(token.requests[0]?.form ?? [])).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'refresh-1',
    });
    const stored = await credentials.get(KEY);
    expect(stored).toMatchObject({
      revision: 2,
      invalidReason: null,
      value: {
        accessToken: 'access-2',
        refreshToken: 'refresh-2',
        tokenType: 'Bearer',
        idToken: 'xxx.yyy.zz',
        scope: 'email profile openid accounting.settings accounting.transactions offline_access',
      },
    });
    // 30-minute access tokens [X5].
    expect((stored?.value.expiresAt as number) - Date.now()).toBeGreaterThan(1_790_000);
  });

  it('401 → one refresh → retry: 10 concurrent fetches trigger exactly ONE refresh, and the rotation is persisted', async () => {
    const credentials = await oauthStore();
    const token = tokenEndpoint(1, { delayMs: 30 }); // answers once: a second refresh would find no interceptor
    const stale = nock(API)
      .get(`${API_PATH}/Invoices/${INVOICE_ID}`)
      .matchHeader('authorization', 'Bearer access-1')
      .times(10) // up to all ten may go out with the old token before the refresh lands
      .reply(401, { Title: 'Unauthorized', Detail: 'TokenExpired' });
    const fresh = nock(API)
      .get(`${API_PATH}/Invoices/${INVOICE_ID}`)
      .matchHeader('authorization', 'Bearer access-2')
      .times(10)
      .reply(200, apiFixture('api-invoice.1.json'));
    const xero = oauthClient(credentials);
    // Five go out at once (Xero's concurrent limit) with the old token; each 401
    // joins the one refresh, and every call is repeated with the new token.
    const results = await Promise.all(Array.from({ length: 10 }, () => xero.getInvoice(TENANT, INVOICE_ID)));
    expect(results.every((invoice) => invoice?.InvoiceID === INVOICE_ID)).toBe(true);
    expect(token.requests).toHaveLength(1);
    expect(fresh.isDone()).toBe(true);
    expect(stale.pendingMocks().length).toBeLessThan(10);
    expect(await credentials.get(KEY)).toMatchObject({
      revision: 2,
      value: { accessToken: 'access-2', refreshToken: 'refresh-2' },
    });
  });

  it('two workers (clients sharing the credential store) refresh once between them', async () => {
    const credentials = await oauthStore();
    const token = tokenEndpoint(1, { delayMs: 30 });
    nock(API)
      .get(`${API_PATH}/Invoices/${INVOICE_ID}`)
      .matchHeader('authorization', 'Bearer access-1')
      .times(2)
      .reply(401, {})
      .get(`${API_PATH}/Invoices/${INVOICE_ID}`)
      .matchHeader('authorization', 'Bearer access-2')
      .times(2)
      .reply(200, apiFixture('api-invoice.1.json'));
    const a = createXeroClient({ auth: oauth(credentials, { owner: 'worker-a' }), retry: { baseDelayMs: 1 } });
    const b = createXeroClient({ auth: oauth(credentials, { owner: 'worker-b' }), retry: { baseDelayMs: 1 } });
    await Promise.all([a.getInvoice(TENANT, INVOICE_ID), b.getInvoice(TENANT, INVOICE_ID)]);
    expect(token.requests).toHaveLength(1);
    expect(nock.pendingMocks()).toEqual([]);
    expect(await credentials.get(KEY)).toMatchObject({ revision: 2, value: { refreshToken: 'refresh-2' } });
  });

  it('invalid_grant marks the tenant "reconnect required" and stops calling Xero', async () => {
    const credentials = await oauthStore({ expiresAt: Date.now() - 1 });
    nock(IDENTITY).post('/connect/token').reply(400, { error: 'invalid_grant' });
    const xero = oauthClient(credentials);
    const error = await rejection(xero.getInvoice(TENANT, INVOICE_ID));
    expect(error).toMatchObject({ name: 'ReconnectRequiredError', errorClass: 'validation', credentialKey: KEY });
    expect(error.message).toBe(
      `[@act/connector-xero] connection "${KEY}" must be reconnected: Xero refused the grant (invalid_grant): reconnect this tenant`,
    );
    expect((await credentials.get(KEY))?.invalidReason).toContain('invalid_grant');
    // No interceptor is left: a second call must not reach Xero at all.
    expect((await rejection(xero.getInvoice(TENANT, INVOICE_ID))).name).toBe('ReconnectRequiredError');
    // Reconnecting (a new put) clears the mark.
    await credentials.put(KEY, {
      accessToken: 'access-9',
      refreshToken: 'refresh-9',
      expiresAt: Date.now() + 1_800_000,
    });
    nock(API).get(`${API_PATH}/Invoices/${INVOICE_ID}`).reply(200, apiFixture('api-invoice.1.json'));
    expect(await xero.getInvoice(TENANT, INVOICE_ID)).not.toBeNull();
  });

  it('a lost token answer is retried with the same refresh token (Xero’s 30-minute grace)', async () => {
    const credentials = await oauthStore({ expiresAt: Date.now() - 1 });
    const forms: string[] = [];
    nock(IDENTITY)
      .post('/connect/token')
      .replyWithError('socket hang up')
      .post('/connect/token')
      .reply(200, async (request: Request) => {
        forms.push(await request.text());
        return { access_token: 'access-2', refresh_token: 'refresh-2', expires_in: 1800, token_type: 'Bearer' };
      });
    nock(API).get(`${API_PATH}/Invoices/${INVOICE_ID}`).reply(200, apiFixture('api-invoice.1.json'));
    await oauthClient(credentials).getInvoice(TENANT, INVOICE_ID);
    expect(forms).toEqual(['grant_type=refresh_token&refresh_token=refresh-1']);
    expect((await credentials.get(KEY))?.value).toMatchObject({ refreshToken: 'refresh-2' });
  });

  it('a 401 that persists after a refresh is an auth error (no refresh loop)', async () => {
    const credentials = await oauthStore();
    const token = tokenEndpoint(1);
    nock(API).get(`${API_PATH}/Invoices/${INVOICE_ID}`).times(2).reply(401, {});
    const error = await rejection(oauthClient(credentials).getInvoice(TENANT, INVOICE_ID));
    expect(error).toMatchObject({ errorClass: 'auth', providerStatus: 401 });
    expect(token.scope.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('refreshCredentials(tenant) is the worker’s 401 hook; client_secret_post when asked', async () => {
    const credentials = await oauthStore();
    const token = tokenEndpoint(1);
    const xero = createXeroClient({ auth: oauth(credentials, { clientAuthentication: 'body' }) });
    await xero.refreshCredentials(TENANT);
    expect(token.requests[0]?.authorization).toBeNull();
    expect(Object.fromEntries(token.requests[0]?.form ?? [])).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'refresh-1',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
    expect((await credentials.get(KEY))?.value).toMatchObject({ accessToken: 'access-2', refreshToken: 'refresh-2' });
  });

  it('maps tenants that share one grant to one credential key', async () => {
    const credentials = await oauthStore();
    const shared = 'xero:grant:auth-event-1';
    await credentials.put(shared, {
      accessToken: 'shared-access',
      refreshToken: 'shared-refresh',
      expiresAt: Date.now() + 1_800_000,
    });
    const scope = nock(API, { reqheaders: { authorization: 'Bearer shared-access' } })
      .get(`${API_PATH}/Invoices/${INVOICE_ID}`)
      .times(2)
      .reply(200, apiFixture('api-invoice.1.json'));
    const xero = createXeroClient({ auth: oauth(credentials, { credentialKey: () => shared }) });
    await xero.getInvoice(TENANT, INVOICE_ID);
    await xero.getInvoice('another-tenant', INVOICE_ID);
    expect(scope.isDone()).toBe(true);
  });
});

describe('Xero OAuth: connecting a tenant', () => {
  it('builds the authorize URL', () => {
    const url = new URL(
      buildXeroAuthorizeUrl({
        clientId: CLIENT_ID,
        redirectUri: 'https://app.example/xero/callback',
        scopes: ['offline_access', 'accounting.invoices.read', 'accounting.payments.read'],
        state: 'state-1',
      }),
    );
    expect(`${url.origin}${url.pathname}`).toBe(XERO_AUTHORIZE_URL);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: 'https://app.example/xero/callback',
      scope: 'offline_access accounting.invoices.read accounting.payments.read',
      state: 'state-1',
    });
  });

  it('exchanges the authorization code for the credential to store (the SDK’s example token set)', async () => {
    let form: URLSearchParams | undefined;
    let authorization: string | null = null;
    nock(IDENTITY)
      .post('/connect/token')
      .reply(200, async (request: Request) => {
        form = new URLSearchParams(await request.text());
        authorization = request.headers.get('authorization');
        return apiFixture('api-token.1.json');
      });
    const now = new Date('2026-03-02T09:00:00Z');
    const credential = await exchangeXeroAuthorizationCode({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      code: 'code-123',
      redirectUri: 'https://app.example/xero/callback',
      codeVerifier: 'verifier-1',
      now: () => now,
    });
    expect(authorization).toBe(BASIC);
    expect(Object.fromEntries(form ?? [])).toEqual({
      grant_type: 'authorization_code',
      code: 'code-123',
      redirect_uri: 'https://app.example/xero/callback',
      code_verifier: 'verifier-1',
    });
    expect(credential).toEqual({
      accessToken: 'xxx.yyy.zzz',
      refreshToken: 'xxxxxxxxx',
      expiresAt: now.getTime() + 1_800_000,
      idToken: 'xxx.yyy.zz',
      tokenType: 'Bearer',
      scope: 'email profile openid accounting.settings accounting.transactions offline_access',
    });
  });

  it('a refused code is a reconnect-required error', async () => {
    nock(IDENTITY).post('/connect/token').reply(400, { error: 'invalid_grant' });
    const error = await rejection(
      exchangeXeroAuthorizationCode({
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        code: 'used',
        redirectUri: 'https://x',
      }),
    );
    expect(error.name).toBe('ReconnectRequiredError');
  });

  it('lists the tenants a token may read (GET /connections)', async () => {
    expect(XERO_CONNECTIONS_URL).toBe('https://api.xero.com/connections');
    nock(API, { reqheaders: { authorization: 'Bearer xxx.yyy.zzz' } })
      .get('/connections')
      .query({ authEventId: 'd99ecdfe-391d-43d2-b834-17636ba90e8d' })
      .reply(200, apiFixture('api-connections.1.json'));
    const connections = await listXeroConnections({
      accessToken: 'xxx.yyy.zzz',
      authEventId: 'd99ecdfe-391d-43d2-b834-17636ba90e8d',
    });
    expect(connections).toEqual([
      expect.objectContaining({ tenantId: TENANT, tenantName: 'Demo Company (NZ)', tenantType: 'ORGANISATION' }),
    ]);
  });
});
