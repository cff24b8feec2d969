// The connector described to tools (`source`) and its ./testing signer: every
// documented sample, signed as `act trigger` signs it, passes the connector's
// own webhook verification; a different key is refused.
import { describe, expect, it } from 'vitest';
import { source } from '../src/index';
import { generateGhlSigningKey, ghlSigner, SAMPLE_DELIVERIES } from '../src/testing/index';

describe('ghl source entry', () => {
  it('describes the connector and names the missing API credentials', () => {
    expect(source).toMatchObject({ specificationVersion: 'v1', id: 'ghl', packageName: '@act/connector-ghl' });
    expect(source.missingApiCredentials({})).toMatch(/^GHL_ACCESS_TOKEN is not set/);
    expect(source.missingApiCredentials({ GHL_ACCESS_TOKEN: 'pit' })).toBeUndefined();
    expect(source.totalOf?.({ meta: { total: 12 } })).toBe(12);
    expect(source.createConnector().source).toBe('ghl');
  });

  it('signs every sample (PEM key given) so the connector accepts it; another key is refused', async () => {
    const key = await generateGhlSigningKey();
    const pem = await key.privatePem();
    const env = { GHL_ACCESS_TOKEN: 'unused', GHL_WEBHOOK_ED25519_PUBLIC_KEYS: key.publicPem.replaceAll('\n', '\\n') };
    const webhook = source.createConnector(source.settingsFromEnv(env)).webhook;
    if (!webhook) throw new Error('no webhook');
    const notices: string[] = [];
    for (const sample of SAMPLE_DELIVERIES) {
      for (const badSignature of [false, true]) {
        const signed = await ghlSigner.sign(sample, {
          env: {},
          options: { 'private-key': pem },
          badSignature,
          now: Date.now(),
          notice: (message) => notices.push(message),
          configurationError: (message) => new Error(message),
        });
        expect(signed.body).toMatch(/^\{\n {2}"timestamp": "[^"]+",\n {2}"webhookId": "[0-9a-f-]{36}",/);
        const verification = await webhook.verify({
          method: 'POST',
          url: 'http://localhost/webhooks/ghl',
          headers: signed.headers,
          body: new TextEncoder().encode(signed.body),
          receivedAt: new Date(),
        });
        expect(verification.valid, `${sample.event} bad=${badSignature}`).toBe(!badSignature);
      }
    }
    expect(notices).toEqual([]);
  });

  it('generates a key when none is given and says which public key to configure', async () => {
    const notices: string[] = [];
    const sample = SAMPLE_DELIVERIES[0];
    if (!sample) throw new Error('no sample');
    const signed = await ghlSigner.sign(sample, {
      env: {},
      options: {},
      badSignature: false,
      now: Date.now(),
      notice: (message) => notices.push(message),
      configurationError: (message) => new Error(message),
    });
    expect(notices.join('\n')).toMatch(
      /generated one[\s\S]*GHL_WEBHOOK_ED25519_PUBLIC_KEYS="-----BEGIN PUBLIC KEY-----\\n/,
    );
    expect(signed.hints(401)[0]).toMatch(/does not know this key/);
  });
});
