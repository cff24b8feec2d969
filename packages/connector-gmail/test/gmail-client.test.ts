import { ActError, createMemoryCredentialStore, type RateLimitStoreV1 } from '@act/core';
import { createMemoryRateLimitStore } from '@act/core/internal';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGmailClient, gmailOAuth, toGmailApiError } from '../src/gmail-client';
import type { GmailConnectorSettings } from '../src/gmail-settings';
import { VERSION } from '../src/version';
import { fixtures, TEST_ACCOUNT, TEST_BASE_URL, TEST_TOKEN } from './helpers/gmail-fixtures';

// nock >= 14 intercepts the global fetch that ky uses (nock 13 does not).
beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const recordsPath = `/v1/accounts/${TEST_ACCOUNT}/records`;
const record = JSON.parse(fixtures.recordCreated).data.object;

// Tiny backoff so retries cost milliseconds; the cap stays at 1 s so a
// Retry-After above it is handed back to the worker instead of waited out.
const client = (settings: Partial<GmailConnectorSettings> = {}) =>
  createGmailClient({
    webhookSecrets: [],
    apiToken: TEST_TOKEN,
    retry: { baseDelayMs: 1, maxDelayMs: 1_000 },
    ...settings,
  });

async function rejection(promise: Promise<unknown>): Promise<ActError & Record<string, unknown>> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!ActError.isInstance(error)) throw new Error(`expected an ActError, got ${String(error)}`);
  return error as ActError & Record<string, unknown>;
}

describe('Gmail client', () => {
  it('sends the token, a versioned user agent and asks for JSON', async () => {
    const scope = nock(TEST_BASE_URL, {
      reqheaders: {
        authorization: `Bearer ${TEST_TOKEN}`,
        'user-agent': `act-connector-gmail/${VERSION}`,
        accept: 'application/json',
      },
    })
      .get(`${recordsPath}/rec_3Fz9Kd`)
      .reply(200, record);
    expect(await client().getRecord(TEST_ACCOUNT, 'rec_3Fz9Kd')).toEqual(record);
    expect(scope.isDone()).toBe(true);
  });

  it('honours a base URL with a path, and encodes ids', async () => {
    const scope = nock('https://proxy.test')
      .get('/gmail/v1/accounts/acct%2F1/records/rec%201')
      .reply(200, { id: 'rec 1' });
    expect(await client({ baseUrl: 'https://proxy.test/gmail' }).getRecord('acct/1', 'rec 1')).toEqual({
      id: 'rec 1',
    });
    expect(scope.isDone()).toBe(true);
  });

  it('walks pages with the cursor and the filters', async () => {
    const scope = nock(TEST_BASE_URL)
      .get(recordsPath)
      .query({ limit: '2', updated_since: '2026-01-01T00:00:00.000Z' })
      .reply(200, fixtures.listRecordsPage1, { 'content-type': 'application/json' })
      .get(recordsPath)
      .query({ limit: '2', updated_since: '2026-01-01T00:00:00.000Z', cursor: 'cur_page_2' })
      .reply(200, fixtures.listRecordsPage2, { 'content-type': 'application/json' });
    const api = client();
    const first = await api.listRecords(TEST_ACCOUNT, { limit: 2, updatedSince: '2026-01-01T00:00:00.000Z' });
    expect(first.records.map((item) => item.id)).toEqual(['rec_1Aa', 'rec_2Bb']);
    expect(first.next_cursor).toBe('cur_page_2');
    const second = await api.listRecords(TEST_ACCOUNT, {
      limit: 2,
      updatedSince: '2026-01-01T00:00:00.000Z',
      cursor: first.next_cursor,
    });
    expect(second).toMatchObject({ records: [{ id: 'rec_3Cc' }], next_cursor: null });
    expect(scope.isDone()).toBe(true);
  });

  it('waits out a short 429 Retry-After, then succeeds', async () => {
    const scope = nock(TEST_BASE_URL)
      .get(`${recordsPath}/rec_3Fz9Kd`)
      .reply(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'retry-after': '0' })
      .get(`${recordsPath}/rec_3Fz9Kd`)
      .reply(200, record);
    expect(await client().getRecord(TEST_ACCOUNT, 'rec_3Fz9Kd')).toEqual(record);
    expect(scope.isDone()).toBe(true);
  });

  it('hands a long 429 back at once as a rate_limit error carrying Retry-After', async () => {
    nock(TEST_BASE_URL).get(`${recordsPath}/rec_3Fz9Kd`).reply(429, {}, { 'retry-after': '120' });
    const error = await rejection(client().getRecord(TEST_ACCOUNT, 'rec_3Fz9Kd'));
    expect(error).toMatchObject({
      name: 'ProviderApiError',
      errorClass: 'rate_limit',
      providerStatus: 429,
      retryAfterMs: 120_000,
    });
  });

  it('retries a 500 and, when it persists, throws a transient ProviderApiError with the provider’s detail', async () => {
    const scope = nock(TEST_BASE_URL)
      .get(`${recordsPath}/rec_3Fz9Kd`)
      .times(3)
      .reply(500, { error: { code: 'internal', message: 'try again later' } });
    const error = await rejection(client().getRecord(TEST_ACCOUNT, 'rec_3Fz9Kd'));
    expect(scope.isDone()).toBe(true);
    expect(error).toMatchObject({
      name: 'ProviderApiError',
      errorClass: 'transient',
      providerStatus: 500,
      isRetryable: true,
    });
    expect(error.message).toBe(
      `[@act/connector-gmail] GET ${TEST_BASE_URL}${recordsPath}/rec_3Fz9Kd failed: HTTP 500 – internal: try again later`,
    );
  });

  it('does not retry a 404: a validation error the worker dead-letters', async () => {
    nock(TEST_BASE_URL)
      .get(`${recordsPath}/gone`)
      .reply(404, { error: { code: 'not_found', message: 'no such record' } });
    const error = await rejection(client().getRecord(TEST_ACCOUNT, 'gone'));
    expect(error).toMatchObject({
      name: 'ProviderApiError',
      errorClass: 'validation',
      providerStatus: 404,
      isRetryable: false,
    });
  });

  it('turns a network failure into a transient error (status 0)', async () => {
    nock(TEST_BASE_URL).get(`${recordsPath}/rec_3Fz9Kd`).times(3).replyWithError('socket hang up');
    const error = await rejection(client().getRecord(TEST_ACCOUNT, 'rec_3Fz9Kd'));
    expect(error).toMatchObject({ name: 'ProviderApiError', errorClass: 'transient', providerStatus: 0 });
  });

  it('refuses a 200 whose body is not what Gmail documents', async () => {
    nock(TEST_BASE_URL).get(recordsPath).query(true).reply(200, { items: [] });
    const error = await rejection(client().listRecords(TEST_ACCOUNT, { limit: 100 }));
    expect(error).toMatchObject({ name: 'PayloadError', errorClass: 'validation' });
    expect(error.message).toContain('records: Invalid input: expected array, received undefined');
  });

  it('aligns the per-account budget with X-RateLimit-Remaining', async () => {
    const memory = createMemoryRateLimitStore();
    const updates: { key: string; remaining: number }[] = [];
    const store: RateLimitStoreV1 = {
      ...memory,
      set: async (request) => {
        updates.push({ key: request.key, remaining: request.remaining });
        await memory.set(request);
      },
    };
    nock(TEST_BASE_URL).get(`${recordsPath}/rec_3Fz9Kd`).reply(200, record, { 'x-ratelimit-remaining': '42' });
    await client({ rateLimitStore: store }).getRecord(TEST_ACCOUNT, 'rec_3Fz9Kd');
    expect(updates).toEqual([{ key: `gmail:${TEST_ACCOUNT}:burst`, remaining: 42 }]);
  });

  it('refuses to start without a token', () => {
    expect(() => client({ apiToken: '' })).toThrow(
      '[@act/connector-gmail] apiToken is required (GMAIL_API_TOKEN)',
    );
  });
});

describe('toGmailApiError', () => {
  const request = { method: 'GET', url: `${TEST_BASE_URL}/v1/x` };

  it('reads Gmail’s error body and Retry-After', () => {
    const response = new Response(null, { status: 429, headers: { 'retry-after': '3' } });
    const error = toGmailApiError(response, { error: { code: 'rate_limited', message: 'slow down' } }, request);
    expect(error).toMatchObject({ errorClass: 'rate_limit', retryAfterMs: 3_000 });
    expect(error.message).toBe(
      `[@act/connector-gmail] GET ${TEST_BASE_URL}/v1/x failed: HTTP 429 – rate_limited: slow down`,
    );
  });

  it('keeps an excerpt of a body it does not know', () => {
    const error = toGmailApiError(new Response(null, { status: 502 }), '<html>Bad gateway</html>', request);
    expect(error).toMatchObject({ errorClass: 'transient', providerStatus: 502 });
    expect(error.message).toContain('– <html>Bad gateway</html>');
  });

  it('classifies 401 as auth, so the worker refreshes credentials', () => {
    expect(toGmailApiError(new Response(null, { status: 401 }), undefined, request)).toMatchObject({
      errorClass: 'auth',
    });
  });
});

describe('Gmail client: OAuth2', () => {
  const KEY = `gmail:${TEST_ACCOUNT}`;
  const oauthClient = async (value: Record<string, unknown> = {}) => {
    const credentials = createMemoryCredentialStore();
    await credentials.put(KEY, {
      accessToken: 'access-1',
      refreshToken: 'refresh-1',
      expiresAt: Date.now() + 3_600_000,
      ...value,
    });
    const api = createGmailClient({
      webhookSecrets: [],
      oauth: { clientId: 'client-1', clientSecret: 'secret-1', credentials },
      retry: { baseDelayMs: 1, maxDelayMs: 1_000 },
    });
    return { api, credentials };
  };
  const tokenEndpoint = () => {
    const forms: URLSearchParams[] = [];
    nock(TEST_BASE_URL)
      .post('/oauth/token')
      .reply(200, async (request: Request) => {
        forms.push(new URLSearchParams(await request.text()));
        return { access_token: 'access-2', refresh_token: 'refresh-2', expires_in: 3600 };
      });
    return forms;
  };

  it('401 → refresh (client in the form) → the request is repeated with the new token, the rotation saved', async () => {
    const { api, credentials } = await oauthClient();
    const forms = tokenEndpoint();
    const scope = nock(TEST_BASE_URL)
      .get(`${recordsPath}/rec_3Fz9Kd`)
      .matchHeader('authorization', 'Bearer access-1')
      .reply(401, { error: { code: 'invalid_token' } })
      .get(`${recordsPath}/rec_3Fz9Kd`)
      .matchHeader('authorization', 'Bearer access-2')
      .reply(200, record);
    expect(await api.getRecord(TEST_ACCOUNT, 'rec_3Fz9Kd')).toEqual(record);
    expect(scope.isDone()).toBe(true);
    expect(Object.fromEntries(forms[0] ?? [])).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'refresh-1',
      client_id: 'client-1',
      client_secret: 'secret-1',
    });
    expect((await credentials.get(KEY))?.value).toMatchObject({ accessToken: 'access-2', refreshToken: 'refresh-2' });
  });

  it('refreshCredentials(tenant) is the worker’s 401 hook; a refused grant needs a reconnect', async () => {
    const { api } = await oauthClient();
    tokenEndpoint();
    await api.refreshCredentials(TEST_ACCOUNT);
    expect(nock.pendingMocks()).toEqual([]);

    const expired = await oauthClient({ expiresAt: Date.now() - 1 });
    nock(TEST_BASE_URL).post('/oauth/token').reply(400, { error: 'invalid_grant' });
    const error = await rejection(expired.api.getRecord(TEST_ACCOUNT, 'rec_3Fz9Kd'));
    expect(error).toMatchObject({ name: 'ReconnectRequiredError', credentialKey: KEY });
    expect(error.message).toContain('Gmail refused the grant (invalid_grant)');
  });

  it('builds the install URL and exchanges the code', async () => {
    const oauth = gmailOAuth({
      oauth: { clientId: 'client-1', clientSecret: 'secret-1', credentials: createMemoryCredentialStore() },
    });
    const url = new URL(oauth.authorizeUrl({ redirectUri: 'https://app.test/callback', state: 's1' }));
    expect(url.searchParams.get('scope')).toBe('records.read offline_access');
    tokenEndpoint();
    expect(await oauth.exchangeCode({ code: 'c1', redirectUri: 'https://app.test/callback' })).toMatchObject({
      accessToken: 'access-2',
      refreshToken: 'refresh-2',
    });
  });
});
