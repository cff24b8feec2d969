// act trigger against a real local HTTP server running the connectors'
// webhook handlers (@act/core createWebhookHandler + toNodeHandler): the
// signatures the CLI makes verify.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGhlConnector } from '@act/connector-ghl';
import { SAMPLE_DELIVERIES as GHL_SAMPLES } from '@act/connector-ghl/testing';
import { createCalendarConnector, createGmailConnector } from '@act/connector-gmail';
import { createCalendarFake, fakeGoogleAccessToken } from '@act/connector-gmail/testing';
import { createXeroConnector } from '@act/connector-xero';
import { SAMPLE_DELIVERIES as XERO_SAMPLES } from '@act/connector-xero/testing';
import {
  createMemoryCredentialStore,
  createMemoryStateStore,
  createWebhookHandler,
  type MemoryStateStore,
  type WebhookProcessorV1,
} from '@act/core';
import { toNodeHandler } from '@act/core/node';
import { createRandom, fetchFromFake } from '@act/core/testing/fake';
import { afterEach, describe, expect, it } from 'vitest';
import { act } from './helpers';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function serve(processor: WebhookProcessorV1): Promise<{ url: string; store: MemoryStateStore }> {
  const store = createMemoryStateStore();
  const server = createServer(toNodeHandler(createWebhookHandler({ processor, store })));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`, store };
}

describe('act trigger', () => {
  it('lists the sources and events', async () => {
    const result = await act(['trigger', '--list']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/(?:^|\n)ghl:\n {2}ContactCreate\s+contact-create\.1\.json\n/);
    expect(result.stdout).toMatch(/\nxero:\n {2}intent-to-receive\s+intent-to-receive\.1\.json\n/);
    expect(result.stdout).toContain('INVOICE.UPDATE');
    // One package, two sources: each with its own samples.
    expect(result.stdout).toMatch(/\ngmail:\n {2}push\s+pubsub-gmail-push\.json\n/);
    expect(result.stdout).toMatch(/(?:^|\n)calendar:\n {2}exists\s+calendar-notification\.headers\.json\n/);
  });

  it('embeds the connectors’ documented fixtures byte for byte', () => {
    for (const [source, samples] of [
      ['ghl', GHL_SAMPLES],
      ['xero', XERO_SAMPLES],
    ] as const) {
      for (const fixture of samples) {
        const file = new URL(`../../connector-${source}/test/fixtures/${fixture.file}`, import.meta.url);
        expect(fixture.body, `${source} ${fixture.file}`).toBe(readFileSync(file, 'utf8'));
      }
    }
  });

  it('Xero: intent-to-receive and an invoice update verify (200, empty body); a bad signature gets 401', async () => {
    const key = 'cli-test-webhook-key-5f2a';
    const { url, store } = await serve(createXeroConnector({ webhook: { keys: [key] } }).webhook);
    const env = { XERO_WEBHOOK_KEY: key };

    const itr = await act(['trigger', 'xero', 'intent-to-receive', '--to', url], { env });
    expect(itr.stderr).toBe('');
    expect(itr.code).toBe(0);
    expect(itr.stdout).toContain(
      `→ POST ${url}  xero intent-to-receive (95 bytes, x-xero-signature with the webhook key)`,
    );
    expect(itr.stdout).toContain('← 200 OK\n(empty body)');
    expect(await store.listDeliveries({})).toHaveLength(0); // intent-to-receive is never stored

    const invoice = await act(['trigger', 'xero', 'invoice.update', '--to', url], { env });
    expect(invoice.code).toBe(0);
    expect(invoice.stdout).toContain('← 200 OK\n(empty body)');
    const [delivery] = await store.listDeliveries({});
    expect(delivery).toMatchObject({ source: 'xero', tenant: 'e629a03c-7ffe-4913-bd94-ff2fdb36a702' });
    expect(new TextDecoder().decode(delivery?.body)).toBe(XERO_SAMPLES[2]?.body);

    // --secret wins over the environment: a wrong key is refused.
    const wrongKey = await act(['trigger', 'xero', 'CONTACT.UPDATE', '--to', url, '--secret', 'other'], { env });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout).toContain('← 401 Unauthorized');
    expect(wrongKey.stderr).toContain("the receiver's XERO_WEBHOOK_KEY differs".replace("'", '’'));

    // Intent-to-receive also sends deliberately wrong signatures, which must get 401.
    const bad = await act(['trigger', 'xero', 'intent-to-receive', '--to', url, '--bad-signature'], { env });
    expect(bad.stdout).toContain('← 401 Unauthorized');
    expect(bad.code).toBe(0);
  });

  it('GHL: a generated key prints the receiver setting; configured, the delivery verifies (200)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'act-cli-key-'));
    try {
      // The receiver knows only GHL's published key: the generated key is refused, and the CLI says what to set.
      const published = await serve(createGhlConnector({}).webhook);
      const keyFile = join(dir, 'ghl-signing-key.pem');
      const first = await act(['trigger', 'ghl', 'ContactCreate', '--to', published.url, '--save-key', keyFile]);
      expect(first.code).toBe(1);
      expect(first.stdout).toContain('← 401 Unauthorized');
      expect(first.stderr).toContain('generated one');
      expect(first.stderr).toContain(`saved the generated private key to ${keyFile}`);
      const setting = /GHL_WEBHOOK_ED25519_PUBLIC_KEYS="([^"]+)"/.exec(first.stderr)?.[1];
      expect(setting).toMatch(/^-----BEGIN PUBLIC KEY-----\\n.+\\n-----END PUBLIC KEY-----$/);

      // Configured as the CLI printed it (through the connector's own env parsing), the same key verifies.
      const { loadGhlSettings } = await import('@act/connector-ghl');
      const settings = loadGhlSettings({ GHL_ACCESS_TOKEN: 'unused', GHL_WEBHOOK_ED25519_PUBLIC_KEYS: setting });
      const receiver = await serve(createGhlConnector(settings).webhook);
      const sent = await act(['trigger', 'ghl', 'ContactCreate', '--to', receiver.url, '--private-key', keyFile]);
      expect(sent.stderr).toBe('');
      expect(sent.code).toBe(0);
      expect(sent.stdout).toContain('x-ghl-signature, Ed25519');
      expect(sent.stdout).toMatch(/← 200 OK\n\{"received":true,"id":"[^"]+","duplicate":false\}/);
      const [delivery] = await receiver.store.listDeliveries({});
      expect(delivery).toMatchObject({ source: 'ghl', tenant: 've9EPM428h8vShlRW1KT', eventTypes: ['ContactCreate'] });
      const body = new TextDecoder().decode(delivery?.body);
      // The documented example, with the envelope fields of a real delivery in front.
      expect(body).toMatch(
        /^\{\n {2}"timestamp": "[^"]+",\n {2}"webhookId": "[0-9a-f-]{36}",\n {2}"type": "ContactCreate",/,
      );
      expect(body.endsWith(GHL_SAMPLES[0]?.body.slice(1) ?? '')).toBe(true);

      // The key from the environment (PEM text) works too; a second delivery is a new one (fresh webhookId).
      const pem = readFileSync(keyFile, 'utf8');
      const fromEnv = await act(['trigger', 'ghl', 'AppointmentUpdate', '--to', receiver.url], {
        env: { ACT_GHL_SIGNING_KEY: pem },
      });
      expect(fromEnv.code).toBe(0);
      expect(await receiver.store.listDeliveries({})).toHaveLength(2);
      const [newest] = await receiver.store.listDeliveries({});
      expect(newest?.eventTypes).toEqual(['AppointmentUpdate']);

      const bad = await act([
        'trigger',
        'ghl',
        'NoteCreate',
        '--to',
        receiver.url,
        '--private-key',
        keyFile,
        '--bad-signature',
      ]);
      expect(bad.stdout).toContain('← 401 Unauthorized');
      expect(bad.code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('Gmail: a generated key prints its JWKS; a receiver fetching it accepts the push, 401 for a bad one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'act-cli-gmail-'));
    const jwksServer = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(jwks);
    });
    let jwks = '';
    servers.push(jwksServer);
    try {
      const env = {
        GMAIL_PUSH_AUDIENCE: 'https://app.example/webhooks/gmail',
        GMAIL_PUSH_SERVICE_ACCOUNT: 'gmail-push@app.iam.gserviceaccount.com',
      };
      const keyFile = join(dir, 'gmail-signing-key.pem');
      const printed = await act(['trigger', 'gmail', 'push', '--print', '--save-key', keyFile], { env });
      expect(printed.code).toBe(0);
      expect(printed.stderr).toContain('generated one');
      expect(printed.stdout).toMatch(/^authorization: Bearer [\w-]+\.[\w-]+\.[\w-]+\n/);
      jwks = printed.stderr.split('\n').find((text) => text.startsWith('{"keys":')) ?? '';
      expect(JSON.parse(jwks).keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });

      // The receiver fetches the printed JWKS (GOOGLE_JWKS_URL), as it fetches Google's.
      await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
      const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/certs`;
      const receiver = await serve(
        createGmailConnector({
          push: { audience: env.GMAIL_PUSH_AUDIENCE, serviceAccountEmail: env.GMAIL_PUSH_SERVICE_ACCOUNT, jwksUrl },
        }).webhooks.default,
      );
      const sent = await act(['trigger', 'gmail', 'push', '--to', receiver.url, '--private-key', keyFile], { env });
      expect(sent.stderr).toBe('');
      expect(sent.code).toBe(0);
      expect(sent.stdout).toContain('Pub/Sub OIDC token, RS256');
      const [delivery] = await receiver.store.listDeliveries({});
      expect(delivery).toMatchObject({ source: 'gmail', tenant: 'user@example.com' });
      // A second trigger is a new Pub/Sub message (fresh messageId), not a redelivery.
      await act(['trigger', 'gmail', 'push', '--to', receiver.url, '--private-key', keyFile], { env });
      expect(await receiver.store.listDeliveries({})).toHaveLength(2);

      const bad = await act(
        ['trigger', 'gmail', 'push', '--to', receiver.url, '--private-key', keyFile, '--bad-signature'],
        {
          env,
        },
      );
      expect(bad.stdout).toContain('← 401 Unauthorized');
      expect(bad.code).toBe(0);
      const wrongAudience = await act(
        [
          'trigger',
          'gmail',
          'push',
          '--to',
          receiver.url,
          '--private-key',
          keyFile,
          '--audience',
          'https://other.example',
        ],
        { env },
      );
      expect(wrongAudience.code).toBe(1);
      expect(wrongAudience.stderr).toContain('GMAIL_PUSH_AUDIENCE must hold https://other.example');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('Calendar: the documented notification with the channel the receiver made verifies; a wrong token gets 401', async () => {
    const account = 'ada@example.com';
    const fake = createCalendarFake({ calendars: [account], random: createRandom(5) });
    const credentials = createMemoryCredentialStore();
    await credentials.put(`google:${account}`, {
      accessToken: fakeGoogleAccessToken(account),
      refreshToken: 'refresh',
      expiresAt: Date.now() + 3_600_000,
    });
    const connector = createCalendarConnector({
      oauth: { clientId: 'id', clientSecret: 'secret', credentials },
      channel: { address: 'https://app.example/webhooks/calendar' },
      channels: credentials,
      baseUrl: 'https://google.fake/calendar/v3/',
      fetch: fetchFromFake(fake, 'https://google.fake'),
    });
    await connector.subscriptions[0]?.renew({ tenant: account });
    const [channel] = fake.channels(account);
    const receiver = await serve(connector.webhooks.default);
    const flags = [
      '--channel-id',
      channel?.id ?? '',
      '--token',
      channel?.token ?? '',
      '--resource-id',
      channel?.resourceId ?? '',
    ];

    const sent = await act(['trigger', 'calendar', 'exists', '--to', receiver.url, ...flags]);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain(
      `→ POST ${receiver.url}  calendar exists (0 bytes, X-Goog-Channel-Token of the channel)`,
    );
    expect(await receiver.store.listDeliveries({})).toMatchObject([{ source: 'calendar', tenant: account }]);

    const bad = await act(['trigger', 'calendar', 'exists', '--to', receiver.url, ...flags, '--bad-signature']);
    expect(bad.stdout).toContain('← 401 Unauthorized');
    expect(bad.code).toBe(0);
    const missing = await act(['trigger', 'calendar', 'exists', '--to', receiver.url]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('pass --channel-id');
  });

  it('reports an unreachable endpoint and unknown events', async () => {
    const down = await act(['trigger', 'xero', 'intent-to-receive', '--to', 'http://127.0.0.1:9/'], {
      env: { XERO_WEBHOOK_KEY: 'k' },
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('[@act/cli] POST http://127.0.0.1:9/ failed');
    const unknown = await act(['trigger', 'ghl', 'ContactExplode', '--to', 'http://127.0.0.1:9/']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('ghl has no sample event "ContactExplode"');
  });
});
