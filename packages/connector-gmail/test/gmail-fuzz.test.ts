// Property-based fuzzing of the Gmail push endpoint (the chaos suite runs many
// more cases): the kit's shared checks with Google-shaped JWTs minted from a
// local key, and the poison answer, which is Gmail's own.
import { fuzzPoison, fuzzWebhookProcessor } from '@act/connector-kit/testing';
import { createMemoryStateStore, createWebhookHandler } from '@act/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGmailWebhook } from '../src/gmail-webhook';
import {
  bearer,
  ENDPOINT,
  localKeySet,
  mintToken,
  pushBody,
  pushClaims,
  pushData,
  pushOptions,
  pushRequest,
  type TestKey,
  testKey,
} from './helpers/pubsub-push';

let key: TestKey;
let valid: string;
let forged: string[];
beforeAll(async () => {
  key = await testKey('fuzz-1');
  const otherKey = await testKey('fuzz-2');
  const now = Math.floor(Date.now() / 1000);
  valid = await mintToken(key);
  forged = [
    await mintToken(otherKey, pushClaims(), { kid: key.kid }),
    await mintToken(otherKey),
    await mintToken(key, { ...pushClaims(), aud: 'https://example.com' }),
    await mintToken(key, { ...pushClaims(), email: 'attacker@evil.example.com' }),
    await mintToken(key, { ...pushClaims(), email_verified: false }),
    await mintToken(key, { ...pushClaims(), iat: now - 7200, exp: now - 3600 }),
  ];
});

const processor = () => createGmailWebhook(pushOptions({ keySet: localKeySet(key) }));

fuzzWebhookProcessor({
  name: 'gmail push',
  processor,
  url: ENDPOINT,
  // The JWT authenticates the sender, not the bytes [P2]: it is not bound to the body.
  bodyBound: false,
  sign: () => bearer(valid),
  forgeries: (_signed, at) => [bearer(forged[at % forged.length] as string)],
  deliveries: fc
    .tuple(
      fc.nat(),
      fc.constantFrom('user@example.com', 'USER@example.com', 'b@c.example'),
      fc.bigInt(1n, 2n ** 64n - 1n),
    )
    .map(([id, address, historyId]) => new TextEncoder().encode(pushBody(String(id), address, String(historyId)))),
});

describe('gmail push poison', () => {
  it('answers authentic poison pushes for good (never 5xx or 429): NUL, lone surrogates, over-long ids, deep JSON', async () => {
    const handler = createWebhookHandler({ processor: processor(), store: createMemoryStateStore() });
    const poison = fc.oneof(fuzzPoison.strings, fuzzPoison.deepObject);
    await fc.assert(
      fc.asyncProperty(
        poison,
        fc.constantFrom('emailAddress', 'historyId', 'messageId', 'data'),
        async (value, where) => {
          const deep = value.startsWith('{');
          let body: string;
          if (where === 'messageId') body = pushBody(deep ? '1' : value, 'user@example.com', '1');
          else if (where === 'data') {
            const data = btoa(
              deep ? value : JSON.stringify({ emailAddress: 'user@example.com', historyId: '1', x: value }),
            );
            body = JSON.stringify({ message: { data, messageId: '1', publishTime: 'x' }, subscription: 's' });
          } else {
            const fields = { emailAddress: 'user@example.com', historyId: '1', [where]: deep ? '1' : value };
            body = JSON.stringify({
              message: { data: pushData(fields.emailAddress, fields.historyId), messageId: '2', publishTime: 'x' },
              subscription: 's',
            });
          }
          if (deep && where !== 'data') body = body.replace('"s"}', `"s","deep":${value}}`);
          const response = await handler(pushRequest(body, bearer(valid)));
          expect(response.status).not.toBe(429);
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 200 },
    );
  });
});
