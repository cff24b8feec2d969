// The connector described to tools (`source`) and its ./testing subpath: the
// signer's deliveries pass the connector's own webhook, and the fake's API
// feeds the connector's poller through fetchFromFake (no network).
import { createRandom, fetchFromFake } from '@act/core/testing';
import { describe, expect, it } from 'vitest';
import { source } from '../src/index';
import { createGmailFake, FIXTURES, gmailSigner, SAMPLE_DELIVERIES } from '../src/testing/index';

const env = { GMAIL_WEBHOOK_SECRET: 'whsec_source_test', GMAIL_API_TOKEN: 'demo-token' };
const BASE = 'https://gmail.fake.test/v1';

function signContext(badSignature = false) {
  return {
    env,
    options: {},
    badSignature,
    now: Date.now(),
    notice: () => {},
    configurationError: (message: string) => new Error(message),
  };
}

describe('gmail source entry', () => {
  it('describes the connector: id, samples from the documented fixtures, missing API credentials', () => {
    expect(source).toMatchObject({
      specificationVersion: 'v1',
      id: 'gmail',
      packageName: '@act/connector-gmail',
    });
    expect(source.sampleDeliveries).toBe(SAMPLE_DELIVERIES);
    expect(SAMPLE_DELIVERIES.map((sample) => sample.event)).toEqual([
      'record.created',
      'record.updated',
      'record.deleted',
    ]);
    expect(SAMPLE_DELIVERIES[0]?.body).toBe(FIXTURES['record-created.1.json']);
    expect(source.missingApiCredentials({})).toBe('GMAIL_API_TOKEN is not set');
    expect(source.missingApiCredentials(env)).toBeUndefined();
    expect(source.createConnector().source).toBe('gmail');
  });

  it('signs every sample so the connector’s webhook accepts it, and a bad signature is refused', async () => {
    const connector = source.createConnector(source.settingsFromEnv(env));
    const webhook = connector.webhook;
    if (!webhook) throw new Error('no webhook');
    for (const sample of SAMPLE_DELIVERIES) {
      for (const bad of [false, true]) {
        const signed = await gmailSigner.sign(sample, signContext(bad));
        const verification = await webhook.verify({
          method: 'POST',
          url: 'http://localhost/webhooks/gmail',
          headers: signed.headers,
          body: new TextEncoder().encode(signed.body),
          receivedAt: new Date(),
        });
        expect(verification.valid, `${sample.event} bad=${bad}`).toBe(!bad);
      }
    }
    await expect(
      gmailSigner.sign(SAMPLE_DELIVERIES[0] as (typeof SAMPLE_DELIVERIES)[0], { ...signContext(), env: {} }),
    ).rejects.toThrow('GMAIL_WEBHOOK_SECRET is not set');
  });

  it('polls the fake through fetchFromFake: every seeded record, page by page', async () => {
    const fake = createGmailFake({
      accounts: ['acct_a'],
      random: createRandom(7),
      runId: 'run1',
      secret: env.GMAIL_WEBHOOK_SECRET,
    });
    fake.seed(23);
    const settings = source.settingsFromEnv({ ...env, GMAIL_BASE_URL: BASE }, { fetch: fetchFromFake(fake, BASE) });
    const connector = source.createConnector({ ...settings, pageSize: 10 });
    const poller = connector.pollers?.[0];
    if (!poller) throw new Error('no poller');
    let events = 0;
    let pages = 0;
    for await (const page of poller.poll({ tenant: 'acct_a', cursor: null })) {
      events += page.events.length;
      pages += 1;
    }
    expect(events).toBe(23);
    expect(pages).toBe(3);
    expect(fake.apiRequests).toBe(3);
    const deliveries = await fake.next();
    expect(deliveries.length).toBeGreaterThan(0);
    expect(deliveries[0]?.source).toBe('gmail');
  });
});
