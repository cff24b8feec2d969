// What the scheduler needs from the Xero connector: which pollers are
// webhook fallbacks and which run on Xero's freshness target, tenant
// discovery through GET /connections, and OAuth renewal ahead of expiry.
import { type CredentialStoreV1, createMemoryCredentialStore } from '@act/core';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createXeroConnector, type XeroConnectorSettings } from '../src/index';
import { API, apiFixture, CLIENT_ID, CLIENT_SECRET, IDENTITY, rejection, TENANT } from './helpers/xero-client-kit';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const NOW = Date.UTC(2026, 2, 2, 9, 0, 0);
const GRANT = 'xero:grant-1';

async function store(entries: Record<string, number>): Promise<CredentialStoreV1> {
  const credentials = createMemoryCredentialStore();
  for (const [key, expiresAt] of Object.entries(entries)) {
    await credentials.put(key, { accessToken: `access-1@${key}`, refreshToken: 'refresh-1', expiresAt });
  }
  return credentials;
}

function oauthConnector(credentials: CredentialStoreV1, settings: Partial<XeroConnectorSettings> = {}) {
  return createXeroConnector({
    oauth: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, credentials, leaseMs: 5_000 },
    api: { now: () => new Date(NOW), retry: { baseDelayMs: 1 } },
    ...settings,
  });
}

/** Xero's token endpoint answering the documented example (`expires_in` 1800), rotated. */
function tokenEndpoint(options: { delayMs?: number } = {}) {
  const forms: URLSearchParams[] = [];
  nock(IDENTITY)
    .post('/connect/token')
    .delay(options.delayMs ?? 0)
    .reply(200, async (request: Request) => {
      forms.push(new URLSearchParams(await request.text()));
      return { ...apiFixture('api-token.1.json'), access_token: 'access-2', refresh_token: 'refresh-2' };
    });
  return forms;
}

describe('pollers for the scheduler', () => {
  it('webhook entities are fallbacks; payments and bank transactions (no webhooks) poll every 5 minutes', () => {
    const xero = createXeroConnector({ accessToken: 'token' });
    expect(
      xero.pollers.map((poller) => ({
        stream: poller.stream,
        fallback: poller.fallback ?? false,
        intervalMs: poller.intervalMs,
      })),
    ).toEqual([
      { stream: 'contacts', fallback: true, intervalMs: undefined },
      { stream: 'invoices', fallback: true, intervalMs: undefined },
      { stream: 'credit_notes', fallback: true, intervalMs: undefined },
      { stream: 'payments', fallback: false, intervalMs: 300_000 },
      { stream: 'bank_transactions', fallback: false, intervalMs: 300_000 },
    ]);
    expect(xero.freshnessTargetMs).toBe(300_000);
  });

  it('takes another interval per entity, and refuses a nonsensical one', () => {
    const xero = createXeroConnector({
      accessToken: 'token',
      pollers: { perEntity: { payment: { intervalMs: 60_000 } } },
    });
    expect(xero.pollers.find((poller) => poller.stream === 'payments')?.intervalMs).toBe(60_000);
    expect(() => createXeroConnector({ accessToken: 'token', pollers: { intervalMs: 0 } })).toThrow(
      '[@act/connector-xero] intervalMs must be > 0, got 0',
    );
  });

  it('each reconciler names the stream whose cursor it repairs', () => {
    const xero = createXeroConnector({ accessToken: 'token' });
    expect(xero.reconcilers.map((reconciler) => [reconciler.table, reconciler.stream])).toEqual([
      ['xero_contacts', 'contacts'],
      ['xero_invoices', 'invoices'],
      ['xero_credit_notes', 'credit_notes'],
      ['xero_payments', 'payments'],
      ['xero_bank_transactions', 'bank_transactions'],
    ]);
  });
});

describe('discoverTenants (GET https://api.xero.com/connections)', () => {
  // The spec's getConnections example, plus a PRACTICE tenant (a documented `tenantType`, values changed).
  const connections = [
    ...apiFixture<Record<string, unknown>[]>('api-connections.1.json'),
    {
      id: '1b2c3d4e-0000-4000-8000-000000000001',
      tenantId: '0b0b0b0b-0000-4000-8000-000000000002',
      tenantName: 'Demo Practice',
      tenantType: 'PRACTICE',
      createdDateUtc: '2019-12-07T18:46:19.5165400',
      updatedDateUtc: '2019-12-07T18:46:19.5187840',
    },
  ];

  it('is there only with OAuth and the grants to list', () => {
    expect(
      createXeroConnector({ accessToken: 'token', discovery: { grants: [GRANT] } }).discoverTenants,
    ).toBeUndefined();
    expect(oauthConnector(createMemoryCredentialStore()).discoverTenants).toBeUndefined();
  });

  it("lists each grant's ORGANISATION tenants with their names, with the grant's token: complete", async () => {
    const credentials = await store({ [GRANT]: NOW + 1_800_000 });
    const scope = nock(API, { reqheaders: { authorization: `Bearer access-1@${GRANT}` } })
      .get('/connections')
      .reply(200, connections);
    const xero = oauthConnector(credentials, { discovery: { grants: [GRANT] } });
    expect(await xero.discoverTenants?.({})).toEqual({
      tenants: [{ tenant: TENANT, displayName: 'Demo Company (NZ)' }],
      complete: true,
    });
    expect(scope.isDone()).toBe(true);
  });

  it("refreshes a grant's expired token first, and lists tenants once across grants", async () => {
    const credentials = await store({ [GRANT]: NOW - 1, 'xero:grant-2': NOW + 1_800_000 });
    const forms = tokenEndpoint();
    nock(API, { reqheaders: { authorization: 'Bearer access-2' } })
      .get('/connections')
      .reply(200, connections);
    nock(API, { reqheaders: { authorization: 'Bearer access-1@xero:grant-2' } })
      .get('/connections')
      .reply(200, connections.slice(0, 1));
    const xero = oauthConnector(credentials, { discovery: { grants: async () => [GRANT, 'xero:grant-2'] } });
    expect(await xero.discoverTenants?.({})).toEqual({
      tenants: [{ tenant: TENANT, displayName: 'Demo Company (NZ)' }],
      complete: true,
    });
    expect(forms.map((form) => form.get('refresh_token'))).toEqual(['refresh-1']);
    expect(await credentials.get(GRANT)).toMatchObject({
      value: { accessToken: 'access-2', refreshToken: 'refresh-2' },
    });
  });

  it('a grant Xero refused is skipped and the answer is partial; no grants is partial too (nothing disconnected)', async () => {
    const credentials = await store({ [GRANT]: NOW - 1, 'xero:grant-2': NOW + 1_800_000 });
    nock(IDENTITY).post('/connect/token').reply(400, { error: 'invalid_grant' });
    nock(API).get('/connections').reply(200, connections.slice(0, 1));
    const xero = oauthConnector(credentials, { discovery: { grants: [GRANT, 'xero:grant-2'] } });
    expect(await xero.discoverTenants?.({})).toEqual({
      tenants: [{ tenant: TENANT, displayName: 'Demo Company (NZ)' }],
      complete: false,
    });
    const none = oauthConnector(credentials, { discovery: { grants: [] } });
    expect(await none.discoverTenants?.({})).toEqual({ tenants: [], complete: false });
  });

  it('an empty connections list is complete: every tenant of that grant was disconnected at Xero', async () => {
    const credentials = await store({ [GRANT]: NOW + 1_800_000 });
    nock(API).get('/connections').reply(200, []);
    const xero = oauthConnector(credentials, { discovery: { grants: [GRANT] } });
    expect(await xero.discoverTenants?.({})).toEqual({ tenants: [], complete: true });
  });

  it('any other failure is thrown for the scheduler to retry', async () => {
    const credentials = await store({ [GRANT]: NOW + 1_800_000 });
    nock(API).get('/connections').times(3).reply(503, {});
    const xero = oauthConnector(credentials, { discovery: { grants: [GRANT] } });
    expect(await rejection(xero.discoverTenants?.({}) ?? Promise.resolve())).toMatchObject({ providerStatus: 503 });
  });
});

describe('renewCredentials', () => {
  const KEY = `xero:${TENANT}`;

  it('is absent with a token you manage', () => {
    expect(createXeroConnector({ accessToken: 'token' }).renewCredentials).toBeUndefined();
  });

  it('refreshes only when the token expires within aheadMs, once for concurrent callers', async () => {
    const credentials = await store({ [KEY]: NOW + 20 * 60_000 });
    const xero = oauthConnector(credentials);
    let forms = tokenEndpoint({ delayMs: 20 });
    expect(await xero.renewCredentials?.({ tenant: TENANT, aheadMs: 10 * 60_000 })).toEqual({
      expiresAt: new Date(NOW + 20 * 60_000),
    });
    expect(forms).toHaveLength(0);

    nock.cleanAll();
    forms = tokenEndpoint({ delayMs: 20 });
    const renewed = await Promise.all([
      xero.renewCredentials?.({ tenant: TENANT, aheadMs: 25 * 60_000 }),
      xero.renewCredentials?.({ tenant: TENANT, aheadMs: 25 * 60_000 }),
    ]);
    expect(forms).toHaveLength(1);
    // Xero's access tokens last 30 minutes (expires_in 1800).
    expect(renewed).toEqual([{ expiresAt: new Date(NOW + 1_800_000) }, { expiresAt: new Date(NOW + 1_800_000) }]);
    expect(await credentials.get(KEY)).toMatchObject({ revision: 2, value: { refreshToken: 'refresh-2' } });
  });
});
