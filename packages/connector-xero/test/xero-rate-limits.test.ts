import { RateLimitError, type RateLimitStoreV1 } from '@act/core';
import { createMemoryRateLimitStore } from '@act/core/internal';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createXeroClient, type XeroClientOptions } from '../src/xero-client';
import { normaliseXeroRateLimitProblem, readXeroRateLimitHeaders, XERO_RATE_LIMITS } from '../src/xero-rate-limits';
import { API, API_PATH, apiFixture, rejection, TENANT, virtualTime } from './helpers/xero-client-kit';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const INVOICE_ID = 'a03ffcd2-5d91-4c7e-b483-318584e9e439';
const INVOICE_PATH = `${API_PATH}/Invoices/${INVOICE_ID}`;

const client = (options: Partial<XeroClientOptions> = {}) =>
  createXeroClient({ auth: { type: 'access-token', token: 'token' }, retry: { baseDelayMs: 1 }, ...options });

/** A memory store that records every alignment and pause. */
function recordingStore() {
  const memory = createMemoryRateLimitStore();
  const sets: { key: string; remaining: number; inMs: number }[] = [];
  const store: RateLimitStoreV1 = {
    ...memory,
    set: async (request) => {
      sets.push({ key: request.key, remaining: request.remaining, inMs: Math.round(request.now - Date.now()) });
      await memory.set(request);
    },
  };
  return { store, sets };
}

describe('Xero rate limits: headers', () => {
  it('reads X-DayLimit-Remaining, X-MinLimit-Remaining, X-AppMinLimit-Remaining, X-Rate-Limit-Problem and Retry-After', () => {
    expect(
      readXeroRateLimitHeaders(
        new Headers({
          'X-DayLimit-Remaining': '4321',
          'X-MinLimit-Remaining': '42',
          'X-AppMinLimit-Remaining': '9876',
          'X-Rate-Limit-Problem': 'Daily',
          'Retry-After': '3600',
        }),
      ),
    ).toEqual({
      dayRemaining: 4321,
      minuteRemaining: 42,
      appMinuteRemaining: 9876,
      problem: 'day',
      retryAfterMs: 3_600_000,
    });
    expect(readXeroRateLimitHeaders(new Headers({ 'x-minlimit-remaining': 'lots' }))).toEqual({
      dayRemaining: undefined,
      minuteRemaining: undefined,
      appMinuteRemaining: undefined,
      problem: undefined,
      retryAfterMs: undefined,
    });
    // Legacy docs: Daily|Minute; client code: minute, day, concurrent, appminute. Case never matters.
    expect(['Minute', 'MINUTE', 'minute'].map(normaliseXeroRateLimitProblem)).toEqual(['minute', 'minute', 'minute']);
    expect(['Daily', 'day', 'DAY'].map(normaliseXeroRateLimitProblem)).toEqual(['day', 'day', 'day']);
    expect(['AppMinute', 'appminute', 'app-minute'].map(normaliseXeroRateLimitProblem)).toEqual([
      'appminute',
      'appminute',
      'appminute',
    ]);
    expect(normaliseXeroRateLimitProblem('Concurrent')).toBe('concurrent');
    expect(XERO_RATE_LIMITS).toEqual({
      concurrent: 5,
      perMinute: 60,
      dailyStarter: 1_000,
      dailyAboveStarter: 5_000,
      appPerMinute: 10_000,
    });
  });

  it('the three limit headers align the shared buckets: tenant minute, tenant daily, app minute', async () => {
    const { store, sets } = recordingStore();
    nock(API).get(INVOICE_PATH).reply(200, apiFixture('api-invoice.1.json'), {
      'X-MinLimit-Remaining': '42',
      'X-DayLimit-Remaining': '4321',
      'X-AppMinLimit-Remaining': '9876',
    });
    await client({ rateLimitStore: store }).getInvoice(TENANT, INVOICE_ID);
    expect(sets.map(({ key, remaining }) => ({ key, remaining }))).toEqual([
      { key: `xero:${TENANT}:minute`, remaining: 42 },
      { key: `xero:${TENANT}:daily`, remaining: 4321 },
      { key: 'xero:app:appMinute', remaining: 9876 },
    ]);
    // The buckets now hold what Xero counted (less the call this test makes next).
    const next = await store.take({
      key: `xero:${TENANT}:minute`,
      limit: { capacity: 60, intervalMs: 60_000 },
      now: Date.now(),
    });
    expect(next).toMatchObject({ granted: true, remaining: 41 });
  });

  it('a tenant whose daily budget Xero reports spent waits for it, and is handed back past maxWaitMs', async () => {
    const store = createMemoryRateLimitStore();
    nock(API).get(INVOICE_PATH).reply(200, apiFixture('api-invoice.1.json'), { 'X-DayLimit-Remaining': '0' });
    const xero = client({ rateLimitStore: store, tier: 'starter' });
    await xero.getInvoice(TENANT, INVOICE_ID);
    // 1,000 a day on Starter: one call refills in 86.4 s, longer than the 30 s a call may wait.
    const error = await rejection(xero.getInvoice(TENANT, INVOICE_ID));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ errorClass: 'rate_limit', limitName: 'daily', scope: `xero:${TENANT}` });
    expect(error.retryAfterMs).toBeGreaterThan(86_000);
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('Xero rate limits: 429', () => {
  it('minute: honours a short Retry-After in process, pauses the tenant’s minute bucket for every worker, then succeeds', async () => {
    const { store, sets } = recordingStore();
    const scope = nock(API)
      .get(INVOICE_PATH)
      .reply(429, 'Rate limit exceeded', {
        'X-Rate-Limit-Problem': 'minute',
        'Retry-After': '1',
        'X-MinLimit-Remaining': '0',
      })
      .get(INVOICE_PATH)
      .reply(200, apiFixture('api-invoice.1.json'));
    const started = Date.now();
    await client({ rateLimitStore: store }).getInvoice(TENANT, INVOICE_ID);
    expect(scope.isDone()).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    const pause = sets.find((set) => set.key === `xero:${TENANT}:minute` && set.inMs > 500);
    expect(pause).toMatchObject({ remaining: 0 });
  });

  it('daily: a long Retry-After is handed back to the worker at once, and pauses every worker for it', async () => {
    const store = createMemoryRateLimitStore();
    const scope = nock(API)
      .get(INVOICE_PATH)
      .reply(429, 'Rate limit exceeded', { 'x-rate-limit-problem': 'DAILY', 'retry-after': '7200' });
    const error = await rejection(client({ rateLimitStore: store }).getInvoice(TENANT, INVOICE_ID));
    expect(scope.isDone()).toBe(true);
    expect(error).toMatchObject({
      name: 'ProviderApiError',
      errorClass: 'rate_limit',
      providerStatus: 429,
      retryAfterMs: 7_200_000,
    });
    expect(error.message).toContain('X-Rate-Limit-Problem: day');
    // Another worker on the same store does not call Xero at all: the limiter hands it back.
    const other = await rejection(client({ rateLimitStore: store }).getInvoice(TENANT, INVOICE_ID));
    expect(other).toBeInstanceOf(RateLimitError);
    expect(other.retryAfterMs).toBeGreaterThan(7_100_000);
    // Other tenants are not affected.
    nock(API).get(INVOICE_PATH).reply(200, apiFixture('api-invoice.1.json'));
    expect(await client({ rateLimitStore: store }).getInvoice('another-tenant', INVOICE_ID)).not.toBeNull();
  });

  it('a daily 429 without Retry-After is paused for dailyExhaustedWaitMs', async () => {
    nock(API).get(INVOICE_PATH).reply(429, '', { 'X-Rate-Limit-Problem': 'day' });
    const error = await rejection(
      client({ rateLimits: { dailyExhaustedWaitMs: 1_800_000 } }).getInvoice(TENANT, INVOICE_ID),
    );
    expect(error).toMatchObject({ errorClass: 'rate_limit', retryAfterMs: 1_800_000 });
  });

  it('concurrent: no Retry-After [X6], retried after concurrentRetryMs', async () => {
    const scope = nock(API)
      .get(INVOICE_PATH)
      .reply(429, '', { 'X-Rate-Limit-Problem': 'concurrent' })
      .get(INVOICE_PATH)
      .reply(200, apiFixture('api-invoice.1.json'));
    await client({ rateLimits: { concurrentRetryMs: 5 } }).getInvoice(TENANT, INVOICE_ID);
    expect(scope.isDone()).toBe(true);
  });

  it('appminute: pauses the app-wide bucket, for every tenant', async () => {
    const store = createMemoryRateLimitStore();
    nock(API).get(INVOICE_PATH).reply(429, '', { 'X-Rate-Limit-Problem': 'AppMinute', 'Retry-After': '45' });
    await rejection(client({ rateLimitStore: store }).getInvoice(TENANT, INVOICE_ID));
    const other = await rejection(client({ rateLimitStore: store }).getInvoice('another-tenant', INVOICE_ID));
    expect(other).toMatchObject({ name: 'RateLimitError', limitName: 'appMinute', scope: 'xero:app' });
  });
});

describe('Xero rate limits: a burst for one tenant', () => {
  it('300 fetches never exceed 60 requests in any rolling minute nor 5 in flight (virtual clock)', async () => {
    const clock = virtualTime();
    const sent: number[] = [];
    let inFlight = 0;
    let most = 0;
    nock(API)
      .get(/\/api\.xro\/2\.0\/Invoices\/inv-\d+$/)
      .times(300)
      .delay(2)
      .reply(200, async (request: Request) => {
        const id = new URL(request.url).pathname.split('/').pop();
        return { Invoices: [{ InvoiceID: id, UpdatedDateUTC: '/Date(1551981568133+0000)/' }] };
      });
    const fetchRecording = (async (input: RequestInfo | URL, init?: RequestInit) => {
      sent.push(clock.now());
      inFlight += 1;
      most = Math.max(most, inFlight);
      try {
        return await clock.fetch(input, init);
      } finally {
        inFlight -= 1;
      }
    }) as typeof fetch;
    const xero = client({
      fetch: fetchRecording,
      now: clock.date,
      sleep: clock.sleep,
      // A burst in a backfill may wait as long as it takes; the worker's default hands back after 30 s.
      rateLimits: { maxWaitMs: 3_600_000 },
    });
    const started = clock.now();
    const results = await clock.drive(
      Promise.all(Array.from({ length: 300 }, (_, index) => xero.getInvoice(TENANT, `inv-${index}`))),
    );
    expect(results.map((invoice) => invoice?.InvoiceID)).toEqual(
      Array.from({ length: 300 }, (_, index) => `inv-${index}`),
    );
    expect(sent).toHaveLength(300);
    expect(most).toBeLessThanOrEqual(5);
    expect(most).toBe(5);
    const inAnyMinute = Math.max(...sent.map((at) => sent.filter((t) => t >= at && t < at + 60_000).length));
    expect(inAnyMinute).toBeLessThanOrEqual(60);
    expect(inAnyMinute).toBe(60);
    // 300 at 60 per minute, each window slot held 61 s (a 1 s margin for the trip to Xero):
    // the last goes out four windows after the first.
    expect(Math.max(...sent) - started).toBe(244_000);
  }, 20_000);

  it('with the default maxWaitMs, the calls beyond what 30 s allows are handed back (rate_limit), never sent', async () => {
    const clock = virtualTime();
    nock(API)
      .get(/\/api\.xro\/2\.0\/Invoices\/inv-\d+$/)
      .times(100)
      .reply(200, async (request: Request) => ({
        Invoices: [{ InvoiceID: new URL(request.url).pathname.split('/').pop() }],
      }));
    const xero = client({ fetch: clock.fetch, now: clock.date, sleep: clock.sleep });
    const outcomes = await clock.drive(
      Promise.allSettled(Array.from({ length: 100 }, (_, index) => xero.getInvoice(TENANT, `inv-${index}`))),
    );
    const handedBack = outcomes.filter((outcome) => outcome.status === 'rejected');
    const done = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    expect(done.length).toBeGreaterThanOrEqual(60);
    expect(done.length).toBeLessThanOrEqual(61);
    expect(handedBack.length).toBe(100 - done.length);
    for (const outcome of handedBack) {
      const reason = (outcome as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(RateLimitError);
      expect((reason as RateLimitError).retryAfterMs).toBeGreaterThan(0);
    }
  }, 20_000);
});
