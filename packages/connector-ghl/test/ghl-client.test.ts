import { readFileSync } from 'node:fs';
import { ActError, type CredentialStoreV1, createMemoryCredentialStore, type RateLimitStoreV1 } from '@act/core';
import { createMemoryRateLimitStore } from '@act/core/internal';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createGhlClient,
  exchangeGhlAuthorizationCode,
  GHL_API_VERSIONS,
  type GhlClientOptions,
  type GhlOAuthCredential,
} from '../src/ghl-client';
import { toGhlApiError } from '../src/ghl-error';
import { GHL_RATE_LIMITS, readGhlRateLimitHeaders } from '../src/ghl-rate-limits';
import { VERSION } from '../src/version';
import { BASE_URL, json, LOCATION, PIT } from './helpers/ghl-fake-api';

// nock >= 14 intercepts the global fetch that ky uses.
beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as unknown;

const KEY = `ghl:${LOCATION}`;
const CLIENT_ID = '66a0419a0dffa47fb5f8b22f-test';
const CLIENT_SECRET = 'client-secret-test';

// Tiny backoff so retries cost milliseconds; the 10 s cap stays, so a wait
// above it is handed back to the worker instead of waited out.
const pitClient = (options: Partial<GhlClientOptions> = {}) =>
  createGhlClient({
    auth: { type: 'private-integration', token: PIT },
    retry: { baseDelayMs: 1 },
    ...options,
  });

async function rejection(promise: Promise<unknown>): Promise<ActError & Record<string, unknown>> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!ActError.isInstance(error)) throw new Error(`expected an ActError, got ${String(error)}`);
  return error as ActError & Record<string, unknown>;
}

/** A memory credential store holding one location's OAuth tokens. */
async function oauthStore(value: Partial<GhlOAuthCredential> = {}): Promise<CredentialStoreV1> {
  const store = createMemoryCredentialStore();
  await store.put(KEY, {
    accessToken: 'access-1',
    refreshToken: 'refresh-1',
    expiresAt: Date.now() + 86_399_000,
    userType: 'Location',
    ...value,
  });
  return store;
}

const oauthClient = (credentials: CredentialStoreV1, options: Partial<GhlClientOptions> = {}) =>
  createGhlClient({
    auth: { type: 'oauth', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, credentials, leaseMs: 5_000 },
    retry: { baseDelayMs: 1 },
    ...options,
  });

/** A token endpoint answering a rotation: `refresh-N` → `access-N+1` / `refresh-N+1`. */
function tokenEndpoint(from: number, options: { delayMs?: number } = {}) {
  const bodies: URLSearchParams[] = [];
  const scope = nock(BASE_URL)
    .post('/oauth/token')
    .delay(options.delayMs ?? 0)
    // nock 15 hands reply functions the fetch `Request`.
    .reply(200, async (request: Request) => {
      bodies.push(new URLSearchParams(await request.text()));
      return {
        ...(fixture('api-oauth-token.1.json') as object),
        access_token: `access-${from + 1}`,
        refresh_token: `refresh-${from + 1}`,
        expires_in: 86399,
      };
    });
  return { scope, bodies };
}

describe('GHL client: request shape', () => {
  it('searches contacts with the PIT bearer, Version 2021-07-28, a versioned user agent and locationId in the body', async () => {
    let sent: unknown;
    const scope = nock(BASE_URL, {
      reqheaders: {
        authorization: `Bearer ${PIT}`,
        version: '2021-07-28',
        'user-agent': `act-connector-ghl/${VERSION}`,
        accept: 'application/json',
        'content-type': /application\/json/,
      },
    })
      .post('/contacts/search', (body) => {
        sent = body;
        return true;
      })
      .reply(200, fixture('api-contact-search.1.json') as object, json);
    const page = await pitClient().searchContacts(LOCATION, { pageLimit: 100, sort: [] });
    expect(scope.isDone()).toBe(true);
    expect(sent).toEqual({ pageLimit: 100, sort: [], locationId: LOCATION });
    expect(page.contacts[0]).toMatchObject({ id: 'ocQHyuzHvysMo5N5VsXc', dateAdded: '2020-10-29T09:31:30.255Z' });
    expect(page.count).toBe(1);
  });

  it('sends the Version of each API family: calendars 2021-04-15, opportunities 2021-07-28', async () => {
    expect(GHL_API_VERSIONS).toMatchObject({
      contacts: '2021-07-28',
      opportunities: '2021-07-28',
      calendars: '2021-04-15',
      conversations: '2021-04-15',
    });
    const calendars = nock(BASE_URL, { reqheaders: { version: '2021-04-15' } })
      .get('/calendars/')
      .query({ locationId: LOCATION })
      .reply(200, fixture('api-calendars.1.json') as object)
      .get('/calendars/events')
      .query({ locationId: LOCATION, calendarId: '0TkCdp9PfvLeWKYRRvIz', startTime: '1000', endTime: '2000' })
      .reply(200, fixture('api-calendar-events.1.json') as object);
    const opportunities = nock(BASE_URL, { reqheaders: { version: '2021-07-28' } })
      .get('/opportunities/search')
      .query({ location_id: LOCATION, limit: '100', order: 'added_asc', status: 'all' })
      .reply(200, fixture('api-opportunities-search.1.json') as object)
      .get('/opportunities/pipelines')
      .query({ locationId: LOCATION })
      .reply(200, fixture('api-pipelines.1.json') as object)
      .get('/contacts/seD4PfOuKoVMLkEZqohJ')
      .reply(200, fixture('api-contact-get.1.json') as object);
    const client = pitClient();
    const [calendar] = await client.listCalendars(LOCATION);
    expect(calendar?.id).toBe('0TkCdp9PfvLeWKYRRvIz');
    const events = await client.listCalendarEvents(LOCATION, {
      calendarId: '0TkCdp9PfvLeWKYRRvIz',
      startTime: 1000,
      endTime: 2000,
    });
    expect(events[0]).toMatchObject({ id: 'ocQHyuzHvysMo5N5VsXc', dateUpdated: '2023-09-25T16:00:00+05:30' });
    const search = await client.searchOpportunities(LOCATION, { limit: 100, order: 'added_asc', status: 'all' });
    expect(search.meta).toMatchObject({ startAfterId: 'yWQobCRIhRguQtD2llvk', startAfter: 1625203104328 });
    expect((await client.listPipelines(LOCATION))[0]?.id).toBe('aWdODOBVOlH1RUFKWQke');
    expect((await client.getContact(LOCATION, 'seD4PfOuKoVMLkEZqohJ')).dateUpdated).toBe('2021-07-02T05:18:26.704Z');
    expect(calendars.isDone() && opportunities.isDone()).toBe(true);
  });

  it('pages contact search with the searchAfter GHL returns', async () => {
    const bodies: unknown[] = [];
    nock(BASE_URL)
      .post('/contacts/search')
      .times(2)
      .reply(200, async (request: Request) => {
        const body = (await request.json()) as { searchAfter?: unknown };
        bodies.push(body);
        return body.searchAfter
          ? { contacts: [{ id: 'b' }], total: 2, searchAfter: [2, 'b'] }
          : { contacts: [{ id: 'a' }], total: 2, searchAfter: [1, 'a'] };
      });
    const client = pitClient();
    const first = await client.searchContacts(LOCATION, { pageLimit: 1 });
    const second = await client.searchContacts(LOCATION, { pageLimit: 1, searchAfter: first.searchAfter });
    expect([...first.contacts, ...second.contacts].map((contact) => contact.id)).toEqual(['a', 'b']);
    expect(bodies).toEqual([
      { pageLimit: 1, locationId: LOCATION },
      { pageLimit: 1, searchAfter: [1, 'a'], locationId: LOCATION },
    ]);
  });

  it('upserts a contact and reads { new, contact }', async () => {
    nock(BASE_URL, { reqheaders: { version: '2021-07-28' } })
      .post('/contacts/upsert', { email: 'rubika@deos.com', locationId: LOCATION })
      .reply(200, fixture('api-contact-upsert.1.json') as object);
    const answer = await pitClient().upsertContact(LOCATION, { email: 'rubika@deos.com' });
    expect(answer).toMatchObject({ new: true, contact: { id: 'seD4PfOuKoVMLkEZqohJ' } });
  });

  it('honours a base URL with a path, and encodes ids', async () => {
    const scope = nock('https://proxy.test')
      .get('/ghl/contacts/a%2Fb')
      .reply(200, { contact: { id: 'a/b' } });
    expect(await pitClient({ baseUrl: 'https://proxy.test/ghl' }).getContact(LOCATION, 'a/b')).toEqual({ id: 'a/b' });
    expect(scope.isDone()).toBe(true);
  });
});

describe('GHL client: rate limits', () => {
  /** A memory store that records every alignment. */
  function recordingStore() {
    const memory = createMemoryRateLimitStore();
    const sets: { key: string; remaining: number }[] = [];
    const store: RateLimitStoreV1 = {
      ...memory,
      set: async (request) => {
        sets.push({ key: request.key, remaining: request.remaining });
        await memory.set(request);
      },
    };
    return { store, sets };
  }

  it('aligns the burst and daily buckets with X-RateLimit-Remaining and X-RateLimit-Daily-Remaining', async () => {
    const { store, sets } = recordingStore();
    nock(BASE_URL)
      .get('/opportunities/pipelines')
      .query(true)
      .reply(200, fixture('api-pipelines.1.json') as object, {
        'X-RateLimit-Limit-Daily': '200000',
        'X-RateLimit-Daily-Remaining': '199123',
        'X-RateLimit-Interval-Milliseconds': '10000',
        'X-RateLimit-Max': '100',
        'X-RateLimit-Remaining': '42',
      });
    await pitClient({ rateLimitStore: store }).listPipelines(LOCATION);
    expect(sets).toEqual([
      { key: `ghl:${LOCATION}:burst`, remaining: 42 },
      { key: `ghl:${LOCATION}:daily`, remaining: 199_123 },
    ]);
  });

  it('reads the five documented headers', () => {
    const headers = new Headers({
      'x-ratelimit-limit-daily': '200000',
      'x-ratelimit-daily-remaining': '7',
      'x-ratelimit-interval-milliseconds': '10000',
      'x-ratelimit-max': '100',
      'x-ratelimit-remaining': 'garbage',
    });
    expect(readGhlRateLimitHeaders(headers)).toEqual({
      limitDaily: 200_000,
      dailyRemaining: 7,
      intervalMs: 10_000,
      max: 100,
      remaining: undefined,
    });
    expect(GHL_RATE_LIMITS).toEqual({
      burst: { capacity: 100, intervalMs: 10_000 },
      daily: { capacity: 200_000, intervalMs: 86_400_000 },
    });
  });

  it('on a 429 with X-RateLimit-Remaining 0, empties the shared burst bucket, waits one interval in process and retries', async () => {
    const { store, sets } = recordingStore();
    const scope = nock(BASE_URL)
      .get('/opportunities/pipelines')
      .query(true)
      .reply(
        429,
        { statusCode: 429, message: 'Too many requests' },
        {
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Interval-Milliseconds': '40',
          'X-RateLimit-Daily-Remaining': '5000',
        },
      )
      .get('/opportunities/pipelines')
      .query(true)
      .reply(200, { pipelines: [] }, { 'X-RateLimit-Remaining': '99' });
    const started = Date.now();
    await pitClient({ rateLimitStore: store }).listPipelines(LOCATION);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    expect(scope.isDone()).toBe(true);
    expect(sets).toEqual([
      // aligned from the 429's headers
      { key: `ghl:${LOCATION}:burst`, remaining: 0 },
      { key: `ghl:${LOCATION}:daily`, remaining: 5000 },
      // then paused for the whole interval, for every worker sharing the store
      { key: `ghl:${LOCATION}:burst`, remaining: 0 },
      { key: `ghl:${LOCATION}:burst`, remaining: 99 },
    ]);
  });

  it('waits out a short Retry-After, then succeeds', async () => {
    const scope = nock(BASE_URL)
      .get('/opportunities/pipelines')
      .query(true)
      .reply(429, {}, { 'retry-after': '0' })
      .get('/opportunities/pipelines')
      .query(true)
      .reply(200, { pipelines: [] });
    await pitClient().listPipelines(LOCATION);
    expect(scope.isDone()).toBe(true);
  });

  it('hands a long Retry-After back to the worker at once as a rate_limit error', async () => {
    const scope = nock(BASE_URL).get('/opportunities/pipelines').query(true).reply(429, {}, { 'retry-after': '120' });
    const error = await rejection(pitClient().listPipelines(LOCATION));
    expect(scope.isDone()).toBe(true);
    expect(error).toMatchObject({
      name: 'ProviderApiError',
      errorClass: 'rate_limit',
      providerStatus: 429,
      retryAfterMs: 120_000,
    });
  });

  it('hands an exhausted daily budget back for dailyExhaustedWaitMs (GHL publishes no reset time)', async () => {
    nock(BASE_URL)
      .get('/opportunities/pipelines')
      .query(true)
      .reply(429, { message: 'daily limit' }, { 'X-RateLimit-Daily-Remaining': '0', 'X-RateLimit-Remaining': '50' });
    const error = await rejection(pitClient({ dailyExhaustedWaitMs: 1_800_000 }).listPipelines(LOCATION));
    expect(error).toMatchObject({ errorClass: 'rate_limit', retryAfterMs: 1_800_000 });
    expect(error.message).toBe(
      `[@act/connector-ghl] GET ${BASE_URL}/opportunities/pipelines failed: HTTP 429 – daily limit`,
    );
  });

  it('paces requests through a bucket shared by every client on the same store', async () => {
    const shared = createMemoryRateLimitStore();
    // 2 per 300 ms, so a third request waits ~150 ms for a token.
    const tight = { burst: { capacity: 2, intervalMs: 300 } };
    nock(BASE_URL).get('/opportunities/pipelines').query(true).times(3).reply(200, { pipelines: [] });
    const a = pitClient({ rateLimitStore: shared, rateLimits: tight });
    const b = pitClient({ rateLimitStore: shared, rateLimits: tight });
    await a.listPipelines(LOCATION);
    await b.listPipelines(LOCATION);
    const started = Date.now();
    await a.listPipelines(LOCATION);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(nock.pendingMocks()).toHaveLength(0);
  });
});

describe('GHL client: errors', () => {
  it('retries a 500 and, when it persists, throws a transient error with GHL’s message', async () => {
    const scope = nock(BASE_URL)
      .post('/contacts/search')
      .times(3)
      .reply(500, { statusCode: 500, message: 'Internal server error' });
    const error = await rejection(pitClient().searchContacts(LOCATION, { pageLimit: 10 }));
    expect(scope.isDone()).toBe(true);
    expect(error).toMatchObject({ name: 'ProviderApiError', errorClass: 'transient', providerStatus: 500 });
    expect(error.message).toBe(
      `[@act/connector-ghl] POST ${BASE_URL}/contacts/search failed: HTTP 500 – Internal server error`,
    );
  });

  it('does not retry a 422: a validation error with the documented error body', async () => {
    nock(BASE_URL)
      .post('/contacts/upsert')
      .reply(422, fixture('api-error-422.1.json') as object);
    const error = await rejection(pitClient().upsertContact(LOCATION, { email: 'x@example.com' }));
    expect(error).toMatchObject({ errorClass: 'validation', providerStatus: 422, isRetryable: false });
    expect(error.message).toContain('HTTP 422 – Unprocessable Entity');
  });

  it('turns a network failure into a transient error (status 0)', async () => {
    nock(BASE_URL).post('/contacts/search').times(3).replyWithError('socket hang up');
    const error = await rejection(pitClient().searchContacts(LOCATION, { pageLimit: 10 }));
    expect(error).toMatchObject({ name: 'ProviderApiError', errorClass: 'transient', providerStatus: 0 });
  });

  it('refuses a 200 whose body is not the documented shape', async () => {
    nock(BASE_URL).post('/contacts/search').reply(200, { items: [] });
    const error = await rejection(pitClient().searchContacts(LOCATION, { pageLimit: 10 }));
    expect(error).toMatchObject({ name: 'PayloadError', errorClass: 'validation' });
    expect(error.message).toContain('contacts: Invalid input: expected array, received undefined');
  });

  it('a Private Integration Token refused with 401 is an auth error, sent once (a PIT cannot be refreshed)', async () => {
    const scope = nock(BASE_URL)
      .post('/contacts/search')
      .reply(401, fixture('api-error-401.1.json') as object);
    const error = await rejection(pitClient().searchContacts(LOCATION, { pageLimit: 10 }));
    expect(scope.isDone()).toBe(true);
    expect(error).toMatchObject({ name: 'ProviderApiError', errorClass: 'auth', providerStatus: 401 });
    expect(error.message).toContain('Unauthorized: Invalid token: access token is invalid');
  });

  it('maps any body to a message', () => {
    const request = { method: 'GET', url: `${BASE_URL}/x` };
    expect(toGhlApiError(new Response(null, { status: 502 }), '<html>bad gateway</html>', request).message).toContain(
      '– <html>bad gateway</html>',
    );
    expect(toGhlApiError(new Response(null, { status: 400 }), undefined, request).message).toBe(
      `[@act/connector-ghl] GET ${BASE_URL}/x failed: HTTP 400`,
    );
  });

  it('refuses to start without auth', () => {
    expect(() => createGhlClient({ auth: { type: 'private-integration', token: '' } })).toThrow(
      '[@act/connector-ghl] auth.token (the Private Integration Token) is required',
    );
    expect(() =>
      createGhlClient({
        auth: { type: 'oauth', clientId: '', clientSecret: 's', credentials: createMemoryCredentialStore() },
      }),
    ).toThrow('[@act/connector-ghl] auth.clientId is required for OAuth');
  });
});

describe('GHL client: OAuth', () => {
  it('refreshes an expired access token first, with the documented form, and persists the rotated refresh token', async () => {
    const credentials = await oauthStore({ expiresAt: Date.now() - 1 });
    const token = tokenEndpoint(1);
    const api = nock(BASE_URL, { reqheaders: { authorization: 'Bearer access-2' } })
      .get('/opportunities/pipelines')
      .query(true)
      .reply(200, { pipelines: [] });
    await oauthClient(credentials).listPipelines(LOCATION);
    expect(token.scope.isDone() && api.isDone()).toBe(true);
    expect(Object.fromEntries(token.bodies[0] ?? [])).toEqual({
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      grant_type: 'refresh_token',
      refresh_token: 'refresh-1',
      user_type: 'Location',
    });
    const stored = await credentials.get(KEY);
    expect(stored).toMatchObject({
      revision: 2,
      invalidReason: null,
      value: { accessToken: 'access-2', refreshToken: 'refresh-2', locationId: 'l1C08ntBrFjLS0elLIYU' },
    });
    expect((stored?.value.expiresAt as number) - Date.now()).toBeGreaterThan(86_000_000);
  });

  it('401 → refresh → retry: the request is repeated with the new token and the rotation is saved', async () => {
    const credentials = await oauthStore();
    const token = tokenEndpoint(1);
    const api = nock(BASE_URL)
      .post('/contacts/search')
      .matchHeader('authorization', 'Bearer access-1')
      .reply(401, fixture('api-error-401.1.json') as object)
      .post('/contacts/search')
      .matchHeader('authorization', 'Bearer access-2')
      .reply(200, { contacts: [] });
    const page = await oauthClient(credentials).searchContacts(LOCATION, { pageLimit: 10 });
    expect(page.contacts).toEqual([]);
    expect(api.isDone() && token.scope.isDone()).toBe(true);
    expect((await credentials.get(KEY))?.value).toMatchObject({ accessToken: 'access-2', refreshToken: 'refresh-2' });
  });

  it('two concurrent 401s refresh once (single flight), in one client and across two clients sharing the store', async () => {
    for (const clients of [1, 2]) {
      nock.cleanAll();
      const credentials = await oauthStore();
      const token = tokenEndpoint(1, { delayMs: 30 }); // answers once; a second refresh would find no interceptor
      nock(BASE_URL)
        .post('/contacts/search')
        .matchHeader('authorization', 'Bearer access-1')
        .times(2)
        .reply(401, fixture('api-error-401.1.json') as object)
        .post('/contacts/search')
        .matchHeader('authorization', 'Bearer access-2')
        .times(2)
        .reply(200, { contacts: [] });
      const first = oauthClient(credentials, { auth: { ...oauthAuth(credentials), owner: 'worker-a' } });
      const second =
        clients === 1 ? first : oauthClient(credentials, { auth: { ...oauthAuth(credentials), owner: 'worker-b' } });
      await Promise.all([
        first.searchContacts(LOCATION, { pageLimit: 10 }),
        second.searchContacts(LOCATION, { pageLimit: 10 }),
      ]);
      expect(token.bodies).toHaveLength(1);
      expect(nock.pendingMocks()).toEqual([]);
      expect(await credentials.get(KEY)).toMatchObject({ revision: 2, value: { refreshToken: 'refresh-2' } });
    }
  });

  it('a refused refresh token (invalid_grant) marks the connection reconnect-required, and stops calling GHL', async () => {
    const credentials = await oauthStore({ expiresAt: Date.now() - 1 });
    nock(BASE_URL)
      .post('/oauth/token')
      .reply(400, { error: 'invalid_grant', error_description: 'refresh token already used' });
    const client = oauthClient(credentials);
    const error = await rejection(client.listPipelines(LOCATION));
    expect(error).toMatchObject({ name: 'ReconnectRequiredError', errorClass: 'validation', credentialKey: KEY });
    expect(error.message).toContain(
      'must be reconnected: GHL refused the grant (invalid_grant: refresh token already used)',
    );
    expect((await credentials.get(KEY))?.invalidReason).toContain('invalid_grant');
    // No interceptor is left: a second call must not reach GHL at all.
    const again = await rejection(client.listPipelines(LOCATION));
    expect(again.name).toBe('ReconnectRequiredError');
  });

  it('a 401 that persists after a refresh is thrown as an auth error (no refresh loop)', async () => {
    const credentials = await oauthStore();
    const token = tokenEndpoint(1);
    nock(BASE_URL)
      .post('/contacts/search')
      .times(2)
      .reply(401, fixture('api-error-401.1.json') as object);
    const error = await rejection(oauthClient(credentials).searchContacts(LOCATION, { pageLimit: 10 }));
    expect(error).toMatchObject({ errorClass: 'auth', providerStatus: 401 });
    expect(token.scope.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('refreshCredentials(tenant) is the worker’s 401 hook: it rotates the tokens', async () => {
    const credentials = await oauthStore();
    const token = tokenEndpoint(1);
    await oauthClient(credentials).refreshCredentials(LOCATION);
    expect(token.scope.isDone()).toBe(true);
    expect((await credentials.get(KEY))?.value).toMatchObject({ accessToken: 'access-2', refreshToken: 'refresh-2' });
    // A PIT has nothing to refresh.
    await expect(pitClient().refreshCredentials(LOCATION)).resolves.toBeUndefined();
  });

  it('exchanges an install’s authorization code for the credential to store', async () => {
    let form: URLSearchParams | undefined;
    nock(BASE_URL)
      .post('/oauth/token')
      .reply(200, async (request: Request) => {
        form = new URLSearchParams(await request.text());
        return fixture('api-oauth-token.1.json') as object;
      });
    const credential = await exchangeGhlAuthorizationCode({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      code: '7676cjcbdc6t76cdcbkjcd09821jknnkj',
      redirectUri: 'https://myapp.com/oauth/callback/gohighlevel',
    });
    expect(Object.fromEntries(form ?? [])).toMatchObject({
      grant_type: 'authorization_code',
      code: '7676cjcbdc6t76cdcbkjcd09821jknnkj',
      user_type: 'Location',
      redirect_uri: 'https://myapp.com/oauth/callback/gohighlevel',
    });
    expect(credential).toMatchObject({
      accessToken: 'ab12dc0ae1234a7898f9ff06d4f69gh',
      refreshToken: 'xy34dc0ae1234a4858f9ff06d4f66ba',
      userType: 'Location',
      locationId: 'l1C08ntBrFjLS0elLIYU',
    });
  });
});

function oauthAuth(credentials: CredentialStoreV1) {
  return {
    type: 'oauth' as const,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    credentials,
    leaseMs: 5_000,
  };
}
