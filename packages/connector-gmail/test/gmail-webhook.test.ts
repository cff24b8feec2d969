// The Gmail push endpoint end to end through core's webhook handler and the
// memory inbox, with Google's JWKS replaced by a locally generated key served
// by nock at a test URL: what Pub/Sub is answered [P1], what reaches the
// inbox, and what never does. Node-only (nock).
import { seededRandom, shuffle } from '@act/connector-kit/testing';
import { createMemoryStateStore, createWebhookHandler, type MemoryStateStore } from '@act/core';
import type { JWTPayload } from 'jose';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { GMAIL_HISTORY_STREAM } from '../src/gmail-poller';
import { type GmailPushOptions, verifyGmailPush } from '../src/gmail-signature';
import { createGmailWebhook, parseGmailPush } from '../src/gmail-webhook';
import { GOOGLE_JWKS_URL } from '../src/google-settings';
import {
  AUDIENCE,
  bearer,
  ENDPOINT,
  JWKS_ORIGIN,
  JWKS_PATH,
  JWKS_URL,
  jwksOf,
  mintToken,
  PUSH_ACCOUNT,
  PUSH_TOKEN,
  pubsubFixtures,
  pushBody,
  pushClaims,
  pushOptions,
  pushRequest,
  type TestKey,
  testKey,
  without,
} from './helpers/pubsub-push';

let key: TestKey;
let otherKey: TestKey;
beforeAll(async () => {
  nock.disableNetConnect();
  key = await testKey('test-key-1');
  otherKey = await testKey('test-key-2');
});
afterEach(() => {
  nock.cleanAll();
  vi.useRealTimers();
});
afterAll(() => nock.enableNetConnect());

/** Serves `keys` as the JWKS for every request; `hits()` counts the downloads. */
function serveJwks(...keys: TestKey[]) {
  let hits = 0;
  nock(JWKS_ORIGIN)
    .get(JWKS_PATH)
    .reply(() => {
      hits += 1;
      return [200, jwksOf(...keys), { 'content-type': 'application/json' }];
    })
    .persist();
  return { hits: () => hits };
}

function setUp(...given: [GmailPushOptions | undefined] | []) {
  const options = given.length === 0 ? pushOptions({ jwksUrl: JWKS_URL }) : given[0];
  const store = createMemoryStateStore();
  const handler = createWebhookHandler({ processor: createGmailWebhook(options), store });
  return { store, handler };
}

const storedCount = (store: MemoryStateStore) => Object.values(store.counts()).reduce((sum, n) => sum + n, 0);
const body = pushBody('9001', 'User@Example.com', '4242');

describe('a valid push', () => {
  it('is acknowledged 204 with an empty body and stored as a sync request for the mailbox', async () => {
    const jwks = serveJwks(key);
    const { store, handler } = setUp();
    const response = await handler(pushRequest(body, bearer(await mintToken(key))));
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    const [delivery, ...rest] = await store.listDeliveries({});
    expect(rest).toEqual([]);
    expect(delivery).toMatchObject({
      source: 'gmail',
      tenant: 'user@example.com',
      status: 'pending',
      eventTypes: [`sync:${GMAIL_HISTORY_STREAM}`],
      coalesceKey: 'gmail:user@example.com:history',
    });
    expect(delivery?.dedupeKey).toContain('9001');
    // The bearer JWT is a credential and the worker never re-verifies: it is not stored.
    expect(Object.keys(delivery?.headers ?? {})).toEqual(['content-type']);
    // What the worker re-parses from the stored row alone.
    expect(parseGmailPush({ body: delivery?.body as Uint8Array })).toEqual({
      deliveryId: '9001',
      tenant: 'user@example.com',
      events: [],
      sync: { stream: 'history', hint: '4242' },
    });
    expect(jwks.hits()).toBe(1);
  });

  it.each(['https://accounts.google.com', 'accounts.google.com'])('accepts the issuer %s [P4]', async (iss) => {
    serveJwks(key);
    const { store, handler } = setUp();
    const response = await handler(pushRequest(body, bearer(await mintToken(key, { ...pushClaims(), iss }))));
    expect(response.status).toBe(204);
    expect(storedCount(store)).toBe(1);
  });

  it('compares the service account case-insensitively and accepts any configured audience', async () => {
    serveJwks(key);
    const { handler } = setUp(pushOptions({ jwksUrl: JWKS_URL, audience: ['https://old.example.com', AUDIENCE] }));
    const token = await mintToken(key, { ...pushClaims(), email: PUSH_ACCOUNT.toUpperCase() });
    expect((await handler(pushRequest(body, bearer(token)))).status).toBe(204);
  });

  it('accepts a token issued within the clock skew, and the snake_case message_id', async () => {
    serveJwks(key);
    const { store, handler } = setUp();
    const skewed = pushClaims(new Date(Date.now() + 200_000));
    const snake = JSON.stringify({
      message: {
        data: JSON.parse(body).message.data,
        message_id: '77',
        publish_time: '2026-03-02T10:00:00.000Z',
      },
      subscription: 'projects/p/subscriptions/s',
    });
    expect((await handler(pushRequest(snake, bearer(await mintToken(key, skewed))))).status).toBe(204);
    expect((await store.listDeliveries({}))[0]?.dedupeKey).toContain('77');
  });
});

describe('refused pushes: 401 and nothing stored', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const cases: [string, () => JWTPayload][] = [
    ['a wrong audience', () => ({ ...pushClaims(), aud: 'https://attacker.example.com' })],
    ['a wrong issuer', () => ({ ...pushClaims(), iss: 'https://accounts.example.com' })],
    ['another service account', () => ({ ...pushClaims(), email: 'someone@act-test.iam.gserviceaccount.com' })],
    ['email_verified false', () => ({ ...pushClaims(), email_verified: false })],
    ['email_verified as a string', () => ({ ...pushClaims(), email_verified: 'true' })],
    ['no email', () => without(pushClaims(), 'email')],
    ['an expired token (past the 300 s skew)', () => ({ ...pushClaims(), iat: now() - 4000, exp: now() - 301 })],
    ['a token issued in the future', () => ({ ...pushClaims(), iat: now() + 600, exp: now() + 4200 })],
    ['a token that lives longer than a day [P4]', () => ({ ...pushClaims(), exp: now() + 86_401 })],
    ['no exp', () => without(pushClaims(), 'exp')],
  ];
  it.each(cases)('%s', async (_name, claims) => {
    serveJwks(key);
    const { store, handler } = setUp();
    const response = await handler(pushRequest(body, bearer(await mintToken(key, claims()))));
    expect(response.status).toBe(401);
    expect(storedCount(store)).toBe(0);
  });

  it('a bad signature (another key under the known kid) and a tampered payload', async () => {
    serveJwks(key);
    const { store, handler } = setUp();
    const forged = await mintToken(otherKey, pushClaims(), { kid: key.kid });
    expect((await handler(pushRequest(body, bearer(forged)))).status).toBe(401);
    const [header, , signature] = (await mintToken(key)).split('.');
    const claims = btoa(JSON.stringify({ ...pushClaims(), email: 'x@y.z' })).replace(/=+$/, '');
    expect((await handler(pushRequest(body, bearer(`${header}.${claims}.${signature}`)))).status).toBe(401);
    expect(storedCount(store)).toBe(0);
  });

  it('no token, a malformed header, alg none', async () => {
    serveJwks(key);
    const { store, handler } = setUp();
    const [, payload] = (await mintToken(key)).split('.');
    const none = `${btoa('{"alg":"none","typ":"JWT"}').replace(/=+$/, '')}.${payload}.`;
    for (const headers of [{}, { authorization: 'Basic dXNlcjpwYXNz' }, bearer(none), bearer('a.b.c')]) {
      expect((await handler(pushRequest(body, headers))).status).toBe(401);
    }
    expect(storedCount(store)).toBe(0);
  });

  it('a missing or wrong path token, before the JWT is even looked at', async () => {
    const jwks = serveJwks(key);
    const { store, handler } = setUp();
    const token = bearer(await mintToken(key));
    for (const url of [
      'https://act.example.com/webhooks/gmail',
      'https://act.example.com/webhooks/gmail?token=',
      'https://act.example.com/webhooks/gmail?token=pt_gmail_push_tesT',
    ]) {
      const response = await handler(pushRequest(body, token, url));
      expect(response.status).toBe(401);
    }
    expect(storedCount(store)).toBe(0);
    expect(jwks.hits()).toBe(0);
  });

  it("the doc's sample token [P2], even with its own audience and account configured", async () => {
    const jwks = serveJwks(key);
    const { store, handler } = setUp({
      audience: 'https://example.com',
      serviceAccountEmail: 'gae-gcp@appspot.gserviceaccount.com',
      jwksUrl: JWKS_URL,
    });
    const response = await handler(pushRequest(pubsubFixtures.gmailPush, bearer(pubsubFixtures.oidcToken)));
    expect(response.status).toBe(401);
    expect(storedCount(store)).toBe(0);
    expect(jwks.hits()).toBe(1);
  });
});

describe('path tokens', () => {
  it('accept every configured token (rotation), and none is required when none is configured', async () => {
    serveJwks(key);
    const token = bearer(await mintToken(key));
    const rotating = setUp(pushOptions({ jwksUrl: JWKS_URL, tokens: ['pt_new', PUSH_TOKEN] }));
    expect((await rotating.handler(pushRequest(body, token))).status).toBe(204);
    expect(
      (await rotating.handler(pushRequest(body, token, 'https://act.example.com/webhooks/gmail?token=pt_new'))).status,
    ).toBe(204);
    // The stored URL never holds the token (the inbox is not a secret store).
    const urls = (await rotating.store.listDeliveries({})).map((delivery) => delivery.url);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) {
      expect(new URL(url).searchParams.get('token')).toBe('redacted');
      expect(url).not.toContain(PUSH_TOKEN);
      expect(url).not.toContain('pt_new');
    }
    const tokenless = setUp(pushOptions({ jwksUrl: JWKS_URL, tokens: [] }));
    expect((await tokenless.handler(pushRequest(body, token, 'https://act.example.com/webhooks/gmail'))).status).toBe(
      204,
    );
  });
});

describe("Google's keys", () => {
  it('defaults to Google’s JWKS URL', async () => {
    // Nothing is downloaded from Google: an injected fetch records the URL asked for.
    const asked: string[] = [];
    const verify = verifyGmailPush({
      audience: AUDIENCE,
      serviceAccountEmail: PUSH_ACCOUNT,
      fetch: async (input) => {
        asked.push(String(input instanceof Request ? input.url : input));
        return new Response('{"keys":[]}', { status: 200 });
      },
    });
    await verify({ body: new Uint8Array(), headers: bearer(await mintToken(key)), url: ENDPOINT });
    expect(asked).toEqual([GOOGLE_JWKS_URL]);
  });

  it('an unknown kid causes exactly one more JWKS download, then the push is refused', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-02T10:00:00Z'));
    const jwks = serveJwks(key);
    const { store, handler } = setUp();
    expect((await handler(pushRequest(body, bearer(await mintToken(key))))).status).toBe(204);
    expect(jwks.hits()).toBe(1);
    // Past jose's 30 s cooldown, a token naming a key the cached set lacks refreshes it once…
    vi.setSystemTime(new Date('2026-03-02T10:01:00Z'));
    const unknown = await mintToken(otherKey);
    expect((await handler(pushRequest(pushBody('9002', 'user@example.com', '4243'), bearer(unknown)))).status).toBe(
      401,
    );
    expect(jwks.hits()).toBe(2);
    // …and within the cooldown another unknown kid downloads nothing more.
    expect((await handler(pushRequest(pushBody('9003', 'user@example.com', '4244'), bearer(unknown)))).status).toBe(
      401,
    );
    expect(jwks.hits()).toBe(2);
    expect(storedCount(store)).toBe(1);
  });

  it('a rotated key is picked up by that one refresh', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-02T10:00:00Z'));
    let served = [key];
    let hits = 0;
    nock(JWKS_ORIGIN)
      .get(JWKS_PATH)
      .reply(() => {
        hits += 1;
        return [200, jwksOf(...served)];
      })
      .persist();
    const { handler } = setUp();
    expect((await handler(pushRequest(body, bearer(await mintToken(key))))).status).toBe(204);
    served = [otherKey, key];
    vi.setSystemTime(new Date('2026-03-02T10:01:00Z'));
    const rotated = await mintToken(otherKey);
    expect((await handler(pushRequest(pushBody('9002', 'user@example.com', '4243'), bearer(rotated)))).status).toBe(
      204,
    );
    expect(hits).toBe(2);
  });

  it.each([
    ['unreachable', (scope: nock.Interceptor) => scope.replyWithError('connect ECONNREFUSED')],
    ['answering 500', (scope: nock.Interceptor) => scope.reply(500, 'backend error')],
    ['answering something other than JSON', (scope: nock.Interceptor) => scope.reply(200, '<html>sign in</html>')],
    ['answering a JSON that is no key set', (scope: nock.Interceptor) => scope.reply(200, { keys: 'none' })],
  ])('a JWKS host %s: 503 (Pub/Sub redelivers [P1]) and nothing stored', async (_name, reply) => {
    reply(nock(JWKS_ORIGIN).get(JWKS_PATH));
    const { store, handler } = setUp();
    const token = bearer(await mintToken(key));
    const response = await handler(pushRequest(body, token));
    expect(response.status).toBe(503);
    expect(storedCount(store)).toBe(0);
    // Once the keys are back, the redelivery goes through.
    serveJwks(key);
    expect((await handler(pushRequest(body, token))).status).toBe(204);
  });

  it('without push settings every push is refused with 503 (misconfigured), however it is signed', async () => {
    const jwks = serveJwks(key);
    for (const options of [
      undefined,
      pushOptions({ jwksUrl: JWKS_URL, audience: '' }),
      pushOptions({ jwksUrl: JWKS_URL, audience: [] }),
      pushOptions({ jwksUrl: JWKS_URL, serviceAccountEmail: ' ' }),
    ]) {
      const { store, handler } = setUp(options);
      const response = await handler(pushRequest(body, bearer(await mintToken(key))));
      expect(response.status).toBe(503);
      expect(storedCount(store)).toBe(0);
    }
    expect(jwks.hits()).toBe(0);
  });
});

describe('push bodies', () => {
  it("the Gmail guide's sample body [G2] asks to sync user@example.com, hint 1234567890", async () => {
    serveJwks(key);
    const { store, handler } = setUp();
    const response = await handler(pushRequest(pubsubFixtures.gmailPush, bearer(await mintToken(key))));
    expect(response.status).toBe(204);
    const [delivery] = await store.listDeliveries({});
    expect(delivery?.tenant).toBe('user@example.com');
    expect(parseGmailPush({ body: new TextEncoder().encode(pubsubFixtures.gmailPush) })).toEqual({
      deliveryId: '2070443601311540',
      tenant: 'user@example.com',
      events: [],
      sync: { stream: 'history', hint: '1234567890' },
    });
  });

  it('a redelivery (same messageId, same bytes) is acknowledged and stored once', async () => {
    serveJwks(key);
    const { store, handler } = setUp();
    const token = bearer(await mintToken(key));
    expect((await handler(pushRequest(body, token))).status).toBe(204);
    expect((await handler(pushRequest(body, token))).status).toBe(204);
    expect(storedCount(store)).toBe(1);
  });

  it.each([
    ["the Pub/Sub doc's generic sample (data is not Gmail's JSON) [P1]", () => pubsubFixtures.wrappedPush],
    ['an unwrapped push (the payload alone)', () => '{"emailAddress":"user@example.com","historyId":"1"}'],
    ['data that is not base64', () => body.replace(/"data":"[^"]+"/, '"data":"not base64!"')],
  ])('%s: authentic but unreadable, kept for the dead letters and acknowledged', async (_name, text) => {
    serveJwks(key);
    const { store, handler } = setUp();
    const response = await handler(pushRequest(text(), bearer(await mintToken(key))));
    expect(response.status).toBe(204);
    const [delivery] = await store.listDeliveries({});
    expect(delivery).toMatchObject({ tenant: 'unknown', eventTypes: [] });
    expect(() => parseGmailPush({ body: delivery?.body as Uint8Array })).toThrow(/^\[@act\/connector-gmail\] /);
  });
});

describe('bursts for one mailbox', () => {
  it('1,000 duplicate and out-of-order pushes leave one pending sync (two while one is being worked on)', async () => {
    serveJwks(key);
    const { store, handler } = setUp();
    const token = bearer(await mintToken(key));
    const random = seededRandom(15);
    // 400 distinct notifications, redelivered until there are 1,000, in shuffled order;
    // history ids out of order and addresses in varying case.
    const pushes = shuffle(
      Array.from({ length: 1_000 }, (_, index) => {
        const n = index % 400;
        const address = n % 3 === 0 ? 'USER@example.com' : 'user@example.com';
        return pushBody(`m-${n}`, address, String(1_000_000 + ((n * 7919) % 400)));
      }),
      random,
    );
    for (const [index, push] of pushes.entries()) {
      if (index === 500) {
        // A worker takes the pending sync halfway through the burst.
        const claimed = await store.claim({ owner: 'worker-1', limit: 10, leaseMs: 60_000 });
        expect(claimed.map((delivery) => delivery.eventTypes)).toEqual([['sync:history']]);
      }
      expect((await handler(pushRequest(push, token))).status).toBe(204);
    }
    expect(await store.listDeliveries({ status: 'pending' })).toHaveLength(1);
    expect(await store.listDeliveries({ status: 'processing' })).toHaveLength(1);
    const all = await store.listDeliveries({ limit: 10_000 });
    expect(new Set(all.map((delivery) => delivery.tenant))).toEqual(new Set(['user@example.com']));
    // Each distinct notification stored once; everything but the two live rows is covered by them.
    expect(all).toHaveLength(400);
    expect(all.filter((delivery) => delivery.coalescedInto !== undefined)).toHaveLength(398);
  });
});
