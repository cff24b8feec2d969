// The two connectors described to tools (`source`, `calendarSource`,
// `sources`) and their ./testing signers: the documented Gmail push, signed as
// `act trigger gmail` signs it, passes the connector's own verification with
// the signer's key; the Calendar sample passes with the channel the receiver
// made; wrongly signed ones are refused.
import { createMemoryCredentialStore, type SignContextV1 } from '@act/core';
import { createRandom, fetchFromFake } from '@act/core/testing/fake';
import { createLocalJWKSet } from 'jose';
import { describe, expect, it } from 'vitest';
import { calendarSource, source, sources } from '../src/index';
import {
  CALENDAR_SAMPLE_DELIVERIES,
  calendarSigner,
  createCalendarFake,
  fakeGoogleAccessToken,
  GMAIL_SAMPLE_DELIVERIES,
  gmailSigner,
  importGoogleSigningKey,
} from '../src/testing/index';

function context(options: SignContextV1['options'], badSignature = false, notices: string[] = []): SignContextV1 {
  return {
    env: {},
    options,
    badSignature,
    now: Date.now(),
    notice: (line) => notices.push(line),
    configurationError: (message) => new Error(message),
  };
}

const verifiable = (signed: { headers: Record<string, string>; body: string }, url: string) => ({
  method: 'POST',
  url,
  headers: Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), value])),
  body: new TextEncoder().encode(signed.body),
  receivedAt: new Date(),
});

describe('the source entries', () => {
  it('describe both connectors of the package, Gmail first, and name the missing API credentials', () => {
    expect(sources).toEqual([source, calendarSource]);
    expect(source).toMatchObject({ specificationVersion: 'v1', id: 'gmail', packageName: '@act/connector-gmail' });
    expect(calendarSource).toMatchObject({ id: 'calendar', packageName: '@act/connector-gmail' });
    for (const entry of sources) {
      expect(entry.missingApiCredentials({})).toMatch(/^GOOGLE_CLIENT_ID is not set/);
      expect(entry.missingApiCredentials({ GOOGLE_ACCESS_TOKEN: 'ya29.x' })).toBeUndefined();
      expect(entry.createConnector().source).toBe(entry.id);
    }
    expect(source.totalOf?.({ resultSizeEstimate: 42 })).toBe(42);
    expect(source.sampleDeliveries.map((sample) => sample.event)).toEqual(['push']);
    expect(calendarSource.sampleDeliveries.map((sample) => sample.event)).toEqual(['exists']);
  });

  it('settingsFromEnv hands the credential store to OAuth (and to Calendar’s channel records)', () => {
    const credentials = createMemoryCredentialStore();
    const env = { GOOGLE_CLIENT_ID: 'id', GOOGLE_CLIENT_SECRET: 'secret' };
    expect(source.settingsFromEnv(env, { credentials }).oauth?.credentials).toBe(credentials);
    const calendar = calendarSource.settingsFromEnv(env, { credentials });
    expect(calendar.oauth?.credentials).toBe(credentials);
    expect(calendar.channels).toBe(credentials);
  });
});

describe('gmailSigner', () => {
  it('signs the documented push with a fresh message id; the connector verifies it with the key’s JWKS', async () => {
    const [sample] = GMAIL_SAMPLE_DELIVERIES;
    if (!sample) throw new Error('no Gmail sample');
    const notices: string[] = [];
    const options = { audience: 'https://app.example/push', 'service-account': 'push@p.iam.gserviceaccount.com' };
    const signed = await gmailSigner.sign(sample, context(options, false, notices));
    // A generated key: the notice carries its JWKS, which the receiver is configured with.
    expect(notices[0]).toMatch(/generated one/);
    const jwks = JSON.parse(notices.at(-1) as string);
    const connector = source.createConnector({
      push: {
        audience: options.audience,
        serviceAccountEmail: options['service-account'],
        keySet: createLocalJWKSet(jwks),
      },
    });
    const url = 'https://app.example/webhooks/gmail';
    expect(await connector.webhooks.default.verify(verifiable(signed, url))).toMatchObject({ valid: true });
    const body = JSON.parse(signed.body) as { message: Record<string, string> };
    const documented = JSON.parse(sample.body) as { message: Record<string, string> };
    expect(body.message.data).toBe(documented.message.data);
    expect(body.message.messageId).not.toBe(documented.message.messageId);
    expect(Date.parse(body.message.publishTime as string)).toBeGreaterThan(Date.now() - 60_000);

    // Another audience, or a token signed by another key, is refused.
    const other = await gmailSigner.sign(sample, context({ ...options, audience: 'https://elsewhere.example' }));
    expect((await connector.webhooks.default.verify(verifiable(other, url))).valid).toBe(false);
    const bad = await gmailSigner.sign(sample, context(options, true));
    expect((await connector.webhooks.default.verify(verifiable(bad, url))).valid).toBe(false);
  });

  it('reuses a saved key (same kid), names the mailbox when asked, and says what is missing', async () => {
    const [sample] = GMAIL_SAMPLE_DELIVERIES;
    if (!sample) throw new Error('no Gmail sample');
    let saved = '';
    const saving: SignContextV1 = {
      ...context({ audience: 'a', 'service-account': 's@x', 'save-key': 'key.pem' }),
      writeFile: (_path, content) => {
        saved = content;
        return '/tmp/key.pem';
      },
    };
    await gmailSigner.sign(sample, saving);
    const key = await importGoogleSigningKey(saved);
    const again = await gmailSigner.sign(sample, {
      ...context({ audience: 'a', 'service-account': 's@x', mailbox: 'Ada@Example.com' }),
      env: { ACT_GMAIL_SIGNING_KEY: saved },
    });
    const header = JSON.parse(atob((again.headers.authorization as string).split('.')[0]?.slice(7) ?? ''));
    expect(header).toEqual({ alg: 'RS256', kid: key.kid, typ: 'JWT' });
    const data = JSON.parse(atob((JSON.parse(again.body) as { message: { data: string } }).message.data));
    expect(data).toEqual({ emailAddress: 'Ada@Example.com', historyId: '1234567890' });
    await expect(gmailSigner.sign(sample, context({}))).rejects.toThrow(/GMAIL_PUSH_AUDIENCE is not set/);
    await expect(gmailSigner.sign(sample, context({ audience: 'a' }))).rejects.toThrow(
      /GMAIL_PUSH_SERVICE_ACCOUNT is not set/,
    );
  });
});

describe('calendarSigner', () => {
  it('sends the documented notification for a channel the receiver made; a wrong token is refused', async () => {
    const [sample] = CALENDAR_SAMPLE_DELIVERIES;
    if (!sample) throw new Error('no Calendar sample');
    const account = 'ada@example.com';
    const fake = createCalendarFake({ calendars: [account], random: createRandom(1) });
    const credentials = createMemoryCredentialStore();
    await credentials.put(`google:${account}`, {
      accessToken: fakeGoogleAccessToken(account),
      refreshToken: 'r',
      expiresAt: Date.now() + 3_600_000,
    });
    const connector = calendarSource.createConnector({
      oauth: { clientId: 'id', clientSecret: 'secret', credentials },
      channel: { address: 'https://app.example/webhooks/calendar' },
      channels: credentials,
      baseUrl: 'https://google.fake/calendar/v3/',
      fetch: fetchFromFake(fake, 'https://google.fake'),
    });
    const [subscription] = connector.subscriptions;
    if (!subscription) throw new Error('no channel subscription');
    await subscription.renew({ tenant: account });
    const [channel] = fake.channels(account);
    if (!channel?.token) throw new Error('no channel made');
    const options = { 'channel-id': channel.id, token: channel.token, 'resource-id': channel.resourceId };
    const url = 'https://app.example/webhooks/calendar';

    const signed = await calendarSigner.sign(sample, context(options));
    expect(signed.body).toBe('');
    expect(signed.headers).toMatchObject({ 'x-goog-resource-state': 'exists', 'x-goog-channel-id': channel.id });
    expect(await connector.webhooks.default.verify(verifiable(signed, url))).toMatchObject({ valid: true });
    const bad = await calendarSigner.sign(sample, context(options, true));
    expect((await connector.webhooks.default.verify(verifiable(bad, url))).valid).toBe(false);
    await expect(calendarSigner.sign(sample, context({}))).rejects.toThrow(/pass --channel-id/);
  });
});
