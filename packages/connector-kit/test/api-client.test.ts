import { ActError, createMemoryCredentialStore, type Logger, type RateLimitStoreV1 } from '@act/core';
import { createMemoryRateLimitStore } from '@act/core/internal';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type ApiClientOptions,
  type ApiRateLimits,
  bucketRateLimits,
  createApiClient,
  oauth2,
  staticToken,
} from '../src/api/index';

// nock >= 14 intercepts the global fetch that ky uses.
beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const BASE_URL = 'https://api.example.test';
const PACKAGE = '@act/connector-example';
const recordSchema = z.object({ id: z.string() });

const errorBody = {
  schema: z.object({ error: z.object({ code: z.string().nullish(), message: z.string().nullish() }) }),
  describe: (body: { error: { code?: string | null; message?: string | null } }) =>
    [body.error.code, body.error.message].filter(Boolean).join(': '),
};

const client = (options: Partial<ApiClientOptions> = {}) =>
  createApiClient({
    packageName: PACKAGE,
    source: 'example',
    baseUrl: BASE_URL,
    auth: staticToken('tok'),
    userAgent: 'act-connector-example/1.0.0',
    errorBody,
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

function recordingStore(): { store: RateLimitStoreV1; sets: { key: string; remaining: number }[] } {
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

describe('createApiClient: request shape', () => {
  it('sends the bearer, user agent, accept, per-request and per-tenant headers, query and JSON body', async () => {
    const scope = nock(BASE_URL, {
      reqheaders: {
        authorization: 'Bearer tok',
        'user-agent': 'act-connector-example/1.0.0',
        accept: 'application/json',
        version: '2021-07-28',
        'x-tenant': 't1',
      },
    })
      .post('/v1/records', { name: 'a' })
      .query({ limit: '10' })
      .reply(200, { id: 'r1', extra: true });
    const record = await client({ headers: (tenant) => ({ 'x-tenant': tenant }) }).request('t1', {
      method: 'POST',
      path: '/v1/records',
      searchParams: { limit: '10' },
      json: { name: 'a' },
      headers: { version: '2021-07-28' },
      schema: recordSchema,
    });
    expect(record).toEqual({ id: 'r1' });
    expect(scope.isDone()).toBe(true);
  });

  it('keeps a path in the base URL', async () => {
    const scope = nock(BASE_URL).get('/prefix/v1/records/a%2Fb').reply(200, { id: 'a/b' });
    await client({ baseUrl: `${BASE_URL}/prefix/` }).request('t1', {
      method: 'GET',
      path: `v1/records/${encodeURIComponent('a/b')}`,
      schema: recordSchema,
    });
    expect(scope.isDone()).toBe(true);
  });

  it('find answers a 404 with null', async () => {
    nock(BASE_URL)
      .get('/v1/records/x')
      .reply(404, { error: { code: 'not_found' } });
    await expect(
      client().find('t1', { method: 'GET', path: 'v1/records/x', schema: recordSchema }),
    ).resolves.toBeNull();
  });

  it('refuses a bad base URL, a missing token and a missing tenant', async () => {
    expect(() => client({ baseUrl: 'not a url' })).toThrow(`[${PACKAGE}] baseUrl "not a url" is not a URL`);
    expect(() => client({ auth: staticToken('') })).toThrow(`[${PACKAGE}] auth.token is required`);
    expect(() => client({ auth: staticToken('', { missing: 'apiToken is required (X_API_TOKEN)' }) })).toThrow(
      'apiToken is required (X_API_TOKEN)',
    );
    const error = await rejection(client().request('', { method: 'GET', path: 'x', schema: recordSchema }));
    expect(error.message).toBe(`[${PACKAGE}] a tenant is required`);
    const perTenant = client({ auth: staticToken(async (tenant) => (tenant === 't1' ? 'tok' : '')) });
    const missing = await rejection(perTenant.request('t2', { method: 'GET', path: 'x', schema: recordSchema }));
    expect(missing.message).toBe(`[${PACKAGE}] no access token for tenant t2`);
  });
});

describe('createApiClient: failures and retries', () => {
  const get = (options: Partial<ApiClientOptions> = {}) =>
    client(options).request('t1', { method: 'GET', path: 'v1/records/r1', schema: recordSchema });

  it('retries a 500 and, when it persists, throws a transient error with the provider message', async () => {
    const warnings: string[] = [];
    const logger = { warn: (_fields: unknown, message: string) => warnings.push(message) } as unknown as Logger;
    const scope = nock(BASE_URL)
      .get('/v1/records/r1')
      .times(3)
      .reply(500, { error: { code: 'internal', message: 'boom' } });
    const error = await rejection(get({ logger }));
    expect(scope.isDone()).toBe(true);
    expect(error).toMatchObject({ name: 'ProviderApiError', errorClass: 'transient', providerStatus: 500 });
    expect(error.message).toBe(`[${PACKAGE}] GET ${BASE_URL}/v1/records/r1 failed: HTTP 500 – internal: boom`);
    expect(warnings).toEqual([
      `[${PACKAGE}] GET ${BASE_URL}/v1/records/r1 failed, retrying`,
      `[${PACKAGE}] GET ${BASE_URL}/v1/records/r1 failed, retrying`,
    ]);
  });

  it('sends a POST once on a 503 (it may have been processed), again when marked idempotent or refused with 429', async () => {
    const post = (idempotent?: boolean) =>
      client({ retry: { baseDelayMs: 1, maxDelayMs: 10 } }).request('t1', {
        method: 'POST',
        path: 'v1/records',
        json: { name: 'a' },
        schema: recordSchema,
        ...(idempotent === undefined ? {} : { idempotent }),
      });
    let sent = 0;
    nock(BASE_URL)
      .post('/v1/records')
      .times(5)
      .reply(() => {
        sent += 1;
        return [503, {}];
      });
    expect(await rejection(post())).toMatchObject({ providerStatus: 503 });
    expect(sent).toBe(1);
    sent = 0;
    expect(await rejection(post(true))).toMatchObject({ providerStatus: 503 });
    expect(sent).toBe(3);
    nock.cleanAll();
    nock(BASE_URL)
      .post('/v1/records')
      .reply(429, {}, { 'retry-after': '0' })
      .post('/v1/records')
      .reply(200, { id: 'r1' });
    expect(await post()).toEqual({ id: 'r1' });
  });

  it('does not retry a 422 (dead-letter)', async () => {
    const scope = nock(BASE_URL)
      .get('/v1/records/r1')
      .reply(422, { error: { message: 'bad id' } });
    expect(await rejection(get())).toMatchObject({ errorClass: 'validation', providerStatus: 422 });
    expect(scope.isDone()).toBe(true);
  });

  it('turns a network failure into a transient error (status 0)', async () => {
    nock(BASE_URL).get('/v1/records/r1').times(3).replyWithError('socket hang up');
    expect(await rejection(get())).toMatchObject({ errorClass: 'transient', providerStatus: 0 });
  });

  it('refuses a 200 whose body is not the schema, naming the field', async () => {
    nock(BASE_URL).get('/v1/records/r1').reply(200, { name: 'no id' });
    const error = await rejection(get());
    expect(error.name).toBe('PayloadError');
    expect(error.message).toBe(
      `[${PACKAGE}] GET ${BASE_URL}/v1/records/r1 answered an unexpected body: id: Invalid input: expected string, received undefined`,
    );
  });

  it('waits out a short Retry-After, hands a long one back as a rate_limit error', async () => {
    const scope = nock(BASE_URL)
      .get('/v1/records/r1')
      .reply(429, {}, { 'retry-after': '0' })
      .get('/v1/records/r1')
      .reply(200, { id: 'r1' });
    await get();
    expect(scope.isDone()).toBe(true);
    nock(BASE_URL).get('/v1/records/r1').reply(429, {}, { 'retry-after': '120' });
    expect(await rejection(get())).toMatchObject({ errorClass: 'rate_limit', retryAfterMs: 120_000 });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('isRateLimited: a 403 the provider means as "slow down" is retried, then handed back as a rate limit', async () => {
    const limited = client({
      retry: { baseDelayMs: 1, maxAttempts: 2 },
      isRateLimited: (response, body) =>
        response.status === 403 && (body as { error?: { code?: string } }).error?.code === 'rateLimitExceeded',
    });
    const slowDown = { error: { code: 'rateLimitExceeded', message: 'Rate Limit Exceeded' } };
    const retried = nock(BASE_URL)
      .get('/v1/records/r1')
      .reply(403, slowDown)
      .get('/v1/records/r1')
      .reply(200, { id: 'r1' });
    await expect(
      limited.request('t1', { method: 'GET', path: 'v1/records/r1', schema: recordSchema }),
    ).resolves.toEqual({
      id: 'r1',
    });
    expect(retried.isDone()).toBe(true);
    nock(BASE_URL).get('/v1/records/r1').times(2).reply(403, slowDown);
    const error = await rejection(
      limited.request('t1', { method: 'GET', path: 'v1/records/r1', schema: recordSchema }),
    );
    expect(error).toMatchObject({ errorClass: 'rate_limit', providerStatus: 403 });
    expect(error.message).toContain('rateLimitExceeded');
    // Any other 403 is a refusal: sent once, not a rate limit.
    const refused = nock(BASE_URL)
      .get('/v1/records/r1')
      .reply(403, { error: { code: 'forbidden', message: 'no scope' } });
    expect(
      await rejection(limited.request('t1', { method: 'GET', path: 'v1/records/r1', schema: recordSchema })),
    ).toMatchObject({ errorClass: 'validation', providerStatus: 403 });
    expect(refused.isDone()).toBe(true);
  });

  it('a static token refused with 401 is an auth error, sent once', async () => {
    const scope = nock(BASE_URL)
      .get('/v1/records/r1')
      .reply(401, { error: { message: 'bad token' } });
    expect(await rejection(get())).toMatchObject({ errorClass: 'auth', providerStatus: 401 });
    expect(scope.isDone()).toBe(true);
  });
});

describe('bucketRateLimits', () => {
  const limits = { burst: { capacity: 100, intervalMs: 10_000 }, daily: { capacity: 1_000, intervalMs: 86_400_000 } };
  const remainingHeaders = { burst: 'x-ratelimit-remaining', daily: 'x-ratelimit-daily-remaining' };

  it('aligns each bucket with its header, in the order the limits list them', async () => {
    const { store, sets } = recordingStore();
    nock(BASE_URL)
      .get('/v1/records/r1')
      .reply(200, { id: 'r1' }, { 'x-ratelimit-remaining': '42', 'x-ratelimit-daily-remaining': '900' });
    await client({ rateLimits: bucketRateLimits({ limits, remainingHeaders, scope: 'example', store }) }).request(
      't1',
      {
        method: 'GET',
        path: 'v1/records/r1',
        schema: recordSchema,
      },
    );
    expect(sets).toEqual([
      { key: 'example:t1:burst', remaining: 42 },
      { key: 'example:t1:daily', remaining: 900 },
    ]);
  });

  it('on a 429 pauses the exhausted bucket for every worker, waits in process and retries', async () => {
    const { store, sets } = recordingStore();
    const scope = nock(BASE_URL)
      .get('/v1/records/r1')
      .reply(429, {}, { 'x-ratelimit-remaining': '0', 'retry-after': '0.04' })
      .get('/v1/records/r1')
      .reply(200, { id: 'r1' });
    const rateLimits = bucketRateLimits({
      limits,
      remainingHeaders,
      scope: (tenant) => `example:${tenant}`,
      store,
      onRateLimited: ({ remaining }) => ({ retryAfterMs: 40, bucket: remaining.daily === 0 ? 'daily' : 'burst' }),
    });
    const started = Date.now();
    await client({ rateLimits }).request('t1', { method: 'GET', path: 'v1/records/r1', schema: recordSchema });
    expect(Date.now() - started).toBeGreaterThanOrEqual(39);
    expect(scope.isDone()).toBe(true);
    expect(sets).toEqual([
      { key: 'example:t1:burst', remaining: 0 },
      { key: 'example:t1:burst', remaining: 0 },
    ]);
  });

  it('paces calls through a bucket shared by every client on the same store', async () => {
    const shared = createMemoryRateLimitStore();
    const tight = { burst: { capacity: 2, intervalMs: 300 } };
    nock(BASE_URL).get('/v1/records/r1').times(3).reply(200, { id: 'r1' });
    const make = () => client({ rateLimits: bucketRateLimits({ limits: tight, scope: 'example', store: shared }) });
    const [a, b] = [make(), make()];
    const call = { method: 'GET', path: 'v1/records/r1', schema: recordSchema } as const;
    await a.request('t1', call);
    await b.request('t1', call);
    const started = Date.now();
    await a.request('t1', call);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });
});

describe('createApiClient: the access token is read after the limiter wait', () => {
  it('a call that waited for budget sends the token stored when it leaves the queue', async () => {
    const credentials = createMemoryCredentialStore();
    await credentials.put('example:t1', { accessToken: 'old', refreshToken: 'r', expiresAt: Date.now() + 3_600_000 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const rateLimits: ApiRateLimits = {
      async run(_tenant, send) {
        await gate;
        return send();
      },
    };
    const scope = nock(BASE_URL, { reqheaders: { authorization: 'Bearer new' } })
      .get('/v1/records/r1')
      .reply(200, { id: 'r1' });
    const api = client({
      rateLimits,
      auth: oauth2({
        tokenUrl: `${BASE_URL}/oauth/token`,
        clientId: 'id',
        clientSecret: 'secret',
        retryRefresh: false,
        credentials,
      }),
    });
    const pending = api.request('t1', { method: 'GET', path: 'v1/records/r1', schema: recordSchema });
    // Another worker refreshes while this call waits for budget.
    const stored = await credentials.get('example:t1');
    await credentials.put('example:t1', { ...(stored?.value ?? {}), accessToken: 'new' });
    release();
    await expect(pending).resolves.toEqual({ id: 'r1' });
    expect(scope.isDone()).toBe(true);
  });
});
