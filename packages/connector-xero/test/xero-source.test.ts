// The connector described to tools (`source`) and its ./testing signer: every
// documented sample, signed as `act trigger` signs it, passes the connector's
// own webhook verification; the off-by-one signature of intent-to-receive is refused.
import { describe, expect, it } from 'vitest';
import { source } from '../src/index';
import { SAMPLE_DELIVERIES, xeroSigner } from '../src/testing/index';

describe('xero source entry', () => {
  it('describes the connector and names the missing API credentials', () => {
    expect(source).toMatchObject({ specificationVersion: 'v1', id: 'xero', packageName: '@act/connector-xero' });
    expect(source.missingApiCredentials({})).toMatch(/^XERO_CLIENT_ID is not set/);
    expect(source.totalOf?.({ pagination: { itemCount: 250 } })).toBe(250);
    expect(source.createConnector().source).toBe('xero');
  });

  it('signs every sample with the webhook key so the connector accepts it; a bad signature is refused', async () => {
    const env = { XERO_WEBHOOK_KEY: 'source-test-webhook-key' };
    const webhook = source.createConnector(source.settingsFromEnv(env)).webhook;
    if (!webhook) throw new Error('no webhook');
    for (const sample of SAMPLE_DELIVERIES) {
      for (const badSignature of [false, true]) {
        const signed = await xeroSigner.sign(sample, {
          env,
          options: {},
          badSignature,
          now: Date.now(),
          notice: () => {},
          configurationError: (message) => new Error(message),
        });
        expect(signed.body).toBe(sample.body);
        const verification = await webhook.verify({
          method: 'POST',
          url: 'http://localhost/webhooks/xero',
          headers: signed.headers,
          body: new TextEncoder().encode(signed.body),
          receivedAt: new Date(),
        });
        expect(verification.valid, `${sample.event} bad=${badSignature}`).toBe(!badSignature);
      }
    }
  });
});
