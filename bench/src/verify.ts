/**
 * 6. Verify cost: one signature check of a ~1 KB body, per connector, against
 * the fastest raw primitive doing the same cryptography (node:crypto with the
 * key made once; Web Crypto `subtle.verify` figures beside it), and HMAC against the
 * `standardwebhooks` package as a peer. Sequential calls, median of rounds.
 */
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  verify as nodeVerify,
  timingSafeEqual,
} from 'node:crypto';
import { createGhlConnector, verifyGhlSignature } from '@act/connector-ghl';
import { createTemplateConnector, verifyTemplateSignature } from '@act/connector-template';
import { createXeroConnector, verifyXeroSignature } from '@act/connector-xero';
import type { WebhookProcessorV1, WebhookRequestV1 } from '@act/core';
import { Webhook } from 'standardwebhooks';
import { type BenchContext, type BenchResult, percentile, round, target } from './lib.ts';
import { ghlBody, ghlKeys, signGhl, signTemplate, TEMPLATE_SECRET, templateBody } from './payloads.ts';

export const title = 'per-signature verification cost vs the raw crypto primitive';

const encoder = new TextEncoder();

async function time(iterations: number, rounds: number, fn: () => unknown): Promise<number> {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = process.hrtime.bigint();
    for (let index = 0; index < iterations; index++) await fn();
    samples.push(Number(process.hrtime.bigint() - started) / iterations);
  }
  return percentile(samples, 50); // ns per call
}

export async function run(context: BenchContext): Promise<BenchResult> {
  const iterations = context.quick ? 1_000 : 20_000;
  const rounds = context.quick ? 3 : 7;
  const must = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`${what} did not verify: the benchmark would measure a failure path`);
  };

  // Template: t=<unix>,v1=hex(HMAC-SHA256("<t>.<body>")).
  const tBodyText = templateBody('d-1', 't1', Date.now());
  const tBody = encoder.encode(tBodyText);
  const tHeader = signTemplate(tBodyText);
  const [tPart, vPart] = tHeader.split(',');
  const tSigned = encoder.encode(`${tPart?.slice(2)}.${tBodyText}`);
  const tMac = Buffer.from(vPart?.slice(3) ?? '', 'hex');
  const hmacKey = await crypto.subtle.importKey(
    'raw',
    encoder.encode(TEMPLATE_SECRET),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  must((await verifyTemplateSignature({ secrets: [TEMPLATE_SECRET], body: tBody, header: tHeader })).valid, 'template');

  // Xero: base64(HMAC-SHA256(body)) with the key's UTF-8 bytes.
  const xKey = 'xero_bench_webhook_key_0123456789';
  const xMacBytes = createHmac('sha256', xKey).update(tBody).digest();
  const xSignature = xMacBytes.toString('base64');
  const xCryptoKey = await crypto.subtle.importKey(
    'raw',
    encoder.encode(xKey),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  must((await verifyXeroSignature({ body: tBody, signature: xSignature, keys: [xKey] })).valid, 'xero');

  // GoHighLevel: Ed25519 over the raw body.
  const keys = ghlKeys();
  const gBodyText = ghlBody('wh-1', 'loc-1', 'c-1');
  const gBody = encoder.encode(gBodyText);
  const gSignature = signGhl(gBodyText, createPrivateKey(keys.privatePem));
  const gHeaders = { 'x-ghl-signature': gSignature };
  const gSigBytes = Buffer.from(gSignature, 'base64');
  const der = createPublicKey(keys.publicPem).export({ type: 'spki', format: 'der' });
  const edKey = await crypto.subtle.importKey('spki', der, { name: 'Ed25519' }, false, ['verify']);
  const edNodeKey = createPublicKey(keys.publicPem);
  must(
    (await verifyGhlSignature({ body: gBody, headers: gHeaders, ed25519PublicKeys: [keys.publicPem] })).valid,
    'ghl',
  );

  // standardwebhooks: HMAC-SHA256 over "<id>.<timestamp>.<body>", base64.
  const swSecret = `whsec_${Buffer.from(TEMPLATE_SECRET).toString('base64')}`;
  const sw = new Webhook(swSecret);
  const swTimestamp = new Date();
  const swHeaders = {
    'webhook-id': 'msg_1',
    'webhook-timestamp': String(Math.floor(swTimestamp.getTime() / 1000)),
    'webhook-signature': sw.sign('msg_1', swTimestamp, tBodyText),
  };
  sw.verify(tBodyText, swHeaders);

  // Each connector's webhook processor, as createWebhookHandler calls it per delivery (a fresh
  // request object per call: a processor may remember its verdict per request).
  const request = (body: Uint8Array, headers: Record<string, string>): WebhookRequestV1 => ({
    method: 'POST',
    url: 'http://localhost/webhooks',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    receivedAt: new Date(),
  });
  const processor = (connector: { webhook?: WebhookProcessorV1 }) => {
    if (!connector.webhook) throw new Error('connector has no webhook processor');
    return connector.webhook;
  };
  const tProcessor = processor(createTemplateConnector({ webhookSecrets: [TEMPLATE_SECRET], apiToken: 'bench' }));
  const tRequest = request(tBody, { 'x-template-signature': tHeader });
  const xProcessor = processor(createXeroConnector({ webhook: { keys: [xKey] } }));
  const xRequest = request(tBody, { 'x-xero-signature': xSignature });
  const gProcessor = processor(createGhlConnector({ webhook: { ed25519PublicKeys: [keys.publicPem] } }));
  const gRequest = request(gBody, gHeaders);
  for (const [name, p, r] of [
    ['template', tProcessor, tRequest],
    ['xero', xProcessor, xRequest],
    ['ghl', gProcessor, gRequest],
  ] as const) {
    must((await p.verify(r)).valid, `${name} processor`);
  }

  // The fastest primitive for the same cryptography on Node, what the connectors use there (@act/core's
  // verifiers reach node:crypto through process.getBuiltinModule; Web Crypto elsewhere).
  const tSecretKey = createSecretKey(encoder.encode(TEMPLATE_SECRET));
  const xSecretKey = createSecretKey(encoder.encode(xKey));
  const cases: [string, () => unknown][] = [
    ['template: webhook processor verify()', () => tProcessor.verify({ ...tRequest })],
    ['xero: webhook processor verify()', () => xProcessor.verify({ ...xRequest })],
    ['ghl: webhook processor verify()', () => gProcessor.verify({ ...gRequest })],
    [
      'template: verifyTemplateSignature',
      () => verifyTemplateSignature({ secrets: [TEMPLATE_SECRET], body: tBody, header: tHeader }),
    ],
    ['HMAC: Web Crypto subtle.verify (key imported once)', () => crypto.subtle.verify('HMAC', hmacKey, tMac, tSigned)],
    [
      'HMAC: Web Crypto importKey + verify',
      async () => {
        const key = await crypto.subtle.importKey(
          'raw',
          encoder.encode(TEMPLATE_SECRET),
          { name: 'HMAC', hash: 'SHA-256' },
          false,
          ['verify'],
        );
        return crypto.subtle.verify('HMAC', key, tMac, tSigned);
      },
    ],
    [
      'HMAC: node:crypto createHmac + timingSafeEqual',
      () => timingSafeEqual(createHmac('sha256', TEMPLATE_SECRET).update(tSigned).digest(), tMac),
    ],
    [
      'HMAC: node:crypto, KeyObject made once + timingSafeEqual',
      () => timingSafeEqual(createHmac('sha256', tSecretKey).update(tSigned).digest(), tMac),
    ],
    [
      'xero primitive: node:crypto, KeyObject made once',
      () => timingSafeEqual(createHmac('sha256', xSecretKey).update(tBody).digest(), xMacBytes),
    ],
    ['HMAC: standardwebhooks Webhook.verify (peer)', () => sw.verify(tBodyText, swHeaders)],
    ['xero: verifyXeroSignature', () => verifyXeroSignature({ body: tBody, signature: xSignature, keys: [xKey] })],
    [
      'xero primitive: subtle.verify (key imported once)',
      () => crypto.subtle.verify('HMAC', xCryptoKey, xMacBytes, tBody),
    ],
    [
      'ghl: verifyGhlSignature (Ed25519)',
      () => verifyGhlSignature({ body: gBody, headers: gHeaders, ed25519PublicKeys: [keys.publicPem] }),
    ],
    [
      'Ed25519: Web Crypto subtle.verify (key imported once)',
      () => crypto.subtle.verify('Ed25519', edKey, gSigBytes, gBody),
    ],
    ['Ed25519: node:crypto verify', () => nodeVerify(null, gBody, edNodeKey, gSigBytes)],
  ];
  // Rounds interleave the cases, so a noisy moment on the machine hits them all alike.
  const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  for (const [, fn] of cases) await time(Math.min(500, iterations), 1, fn);
  for (let round = 0; round < rounds; round++) {
    for (const [name, fn] of cases) samples.get(name)?.push(await time(iterations, 1, fn));
  }
  const ns = new Map([...samples].map(([name, values]) => [name, percentile(values, 50)]));
  const get = (name: string) => ns.get(name) ?? Number.NaN;
  const figures = cases.map(([name]) => ({
    verifier: name,
    'µs/call': round(get(name) / 1000, 2),
    'calls/s': round(1e9 / get(name), 0),
  }));
  const hmacPrimitive = get('HMAC: Web Crypto subtle.verify (key imported once)');
  return {
    parameters: {
      iterations,
      rounds,
      bodyBytes: tBody.byteLength,
      statistic: 'median of rounds, sequential awaited calls',
    },
    figures,
    targets: [
      target(
        'verify.template_vs_primitive',
        get('template: webhook processor verify()') / get('HMAC: node:crypto, KeyObject made once + timingSafeEqual'),
        '<=',
        1.2,
        'processor verify() / node:crypto HMAC-SHA256 with a key made once + timingSafeEqual (the fastest primitive)',
      ),
      target(
        'verify.xero_vs_primitive',
        get('xero: webhook processor verify()') / get('xero primitive: node:crypto, KeyObject made once'),
        '<=',
        1.2,
        'processor verify() / node:crypto HMAC-SHA256 with a key made once + timingSafeEqual (the fastest primitive)',
      ),
      target(
        'verify.ghl_vs_primitive',
        get('ghl: webhook processor verify()') / get('Ed25519: node:crypto verify'),
        '<=',
        1.2,
        'processor verify() / node:crypto Ed25519 verify with a key made once (the fastest primitive)',
      ),
    ],
    notes: [
      `against Web Crypto with a pre-imported key: template ${round(get('template: webhook processor verify()') / hmacPrimitive, 2)}×, xero ${round(get('xero: webhook processor verify()') / get('xero primitive: subtle.verify (key imported once)'), 2)}×, ghl ${round(get('ghl: webhook processor verify()') / get('Ed25519: Web Crypto subtle.verify (key imported once)'), 2)}×`,
      `template HMAC vs standardwebhooks (peer): ${round(get('template: webhook processor verify()') / get('HMAC: standardwebhooks Webhook.verify (peer)'), 2)}× its cost per call`,
      `HMAC via node:crypto is ${round(get('HMAC: node:crypto createHmac + timingSafeEqual') / hmacPrimitive, 2)}× the Web Crypto primitive; Ed25519 via node:crypto is ${round(get('Ed25519: node:crypto verify') / get('Ed25519: Web Crypto subtle.verify (key imported once)'), 2)}×`,
    ],
  };
}
