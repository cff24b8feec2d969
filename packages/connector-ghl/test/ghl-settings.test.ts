import { ActError, createMemoryCredentialStore } from '@act/core';
import { describe, expect, it } from 'vitest';
import { createGhlConnector } from '../src/ghl-connector';
import { loadGhlSettings } from '../src/ghl-settings';
import { GHL_ED25519_PUBLIC_KEY, GHL_RSA_PUBLIC_KEY } from '../src/ghl-signature';

function thrown(fn: () => unknown): Error & Record<string, unknown> {
  try {
    fn();
  } catch (error) {
    expect(ActError.isInstance(error)).toBe(true);
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected a throw');
}

describe('loadGhlSettings', () => {
  it('reads a Private Integration Token and the optional variables', () => {
    const settings = loadGhlSettings({
      GHL_ACCESS_TOKEN: ' pit-123 ',
      GHL_BASE_URL: 'https://ghl.test',
      GHL_DEFAULT_PHONE_COUNTRY: 'AU',
      GHL_WEBHOOK_ED25519_PUBLIC_KEYS: `${GHL_ED25519_PUBLIC_KEY.replace(/\n/g, '\\n')}\n${GHL_ED25519_PUBLIC_KEY}`,
      GHL_WEBHOOK_RSA_PUBLIC_KEYS: GHL_RSA_PUBLIC_KEY,
      GHL_WEBHOOK_LEGACY_RSA: 'false',
      GHL_WEBHOOK_LEGACY_RSA_UNTIL: '2026-09-01',
      GHL_WEBHOOK_TOLERANCE_SECONDS: '600',
      GHL_WEBHOOK_ALLOW_MISSING_TIMESTAMP: 'yes',
      GHL_WEBHOOK_RESERIALIZED_FALLBACK: '0',
      GHL_WORKFLOW_WEBHOOK_SECRET: ' new , old ',
      GHL_WORKFLOW_WEBHOOK_HEADER: 'x-my-secret',
    });
    expect(settings).toEqual({
      accessToken: 'pit-123',
      baseUrl: 'https://ghl.test',
      defaultPhoneCountry: 'AU',
      webhook: {
        ed25519PublicKeys: [GHL_ED25519_PUBLIC_KEY, GHL_ED25519_PUBLIC_KEY],
        rsaPublicKeys: [GHL_RSA_PUBLIC_KEY],
        legacyRsa: false,
        legacyRsaUntil: '2026-09-01',
        timestampToleranceMs: 600_000,
        allowMissingTimestamp: true,
        reserializedBodyFallback: false,
      },
      workflowWebhook: { secrets: ['new', 'old'], header: 'x-my-secret' },
    });
  });

  it('reads OAuth app credentials, with the credential store from the overrides', () => {
    const credentials = createMemoryCredentialStore();
    const settings = loadGhlSettings(
      { GHL_CLIENT_ID: 'client', GHL_CLIENT_SECRET: 'secret' },
      { oauth: { credentials }, fieldPolicies: { ghl_contacts: { blocked: ['email'] } } },
    );
    expect(settings).toEqual({
      oauth: { clientId: 'client', clientSecret: 'secret', credentials },
      fieldPolicies: { ghl_contacts: { blocked: ['email'] } },
    });
  });

  it('merges webhook overrides with the variables', () => {
    const settings = loadGhlSettings(
      { GHL_ACCESS_TOKEN: 't', GHL_WEBHOOK_TOLERANCE_SECONDS: '60' },
      { webhook: { legacyRsa: false } },
    );
    expect(settings.webhook).toEqual({ timestampToleranceMs: 60_000, legacyRsa: false });
  });

  it.each([
    [{ GHL_CLIENT_ID: 'c' }, 'GHL_CLIENT_SECRET is not set (GHL_CLIENT_ID is)'],
    [{ GHL_CLIENT_SECRET: 's' }, 'GHL_CLIENT_ID is not set (GHL_CLIENT_SECRET is)'],
    [{ GHL_CLIENT_ID: 'c', GHL_CLIENT_SECRET: 's' }, 'GHL_CLIENT_ID is set, but no credential store was given'],
    [
      { GHL_ACCESS_TOKEN: 't', GHL_WEBHOOK_LEGACY_RSA: 'maybe' },
      'GHL_WEBHOOK_LEGACY_RSA must be true or false, got "maybe"',
    ],
    [
      { GHL_ACCESS_TOKEN: 't', GHL_WEBHOOK_TOLERANCE_SECONDS: '-5' },
      'GHL_WEBHOOK_TOLERANCE_SECONDS must be a positive number',
    ],
    [{ GHL_ACCESS_TOKEN: 't', GHL_WEBHOOK_ED25519_PUBLIC_KEYS: 'abc' }, 'GHL_WEBHOOK_ED25519_PUBLIC_KEYS holds no'],
    [{ GHL_ACCESS_TOKEN: 't', GHL_WEBHOOK_LEGACY_RSA_UNTIL: 'soon' }, 'GHL_WEBHOOK_LEGACY_RSA_UNTIL is not a date'],
  ])('names the variable at fault (%j)', (env, message) => {
    const error = thrown(() => loadGhlSettings(env));
    expect(error).toMatchObject({ name: 'ConfigurationError', errorClass: 'validation' });
    expect(error.message.startsWith(`[@act/connector-ghl] ${message}`)).toBe(true);
  });

  it('without API credentials gives a receiver: webhooks verified with GHL’s keys, no client, pollers or reconcilers', () => {
    for (const env of [{}, { GHL_ACCESS_TOKEN: '  ' }]) {
      const settings = loadGhlSettings(env);
      expect(settings.accessToken).toBeUndefined();
      expect(settings.oauth).toBeUndefined();
      const connector = createGhlConnector(settings);
      expect(connector.client).toBeUndefined();
      expect(connector.pollers).toEqual([]);
    }
  });

  it('ignores a credential store passed alongside GHL_ACCESS_TOKEN (one wiring for both setups)', () => {
    const credentials = createMemoryCredentialStore();
    const settings = loadGhlSettings({ GHL_ACCESS_TOKEN: 'pit-1' }, { oauth: { credentials } });
    expect(settings.accessToken).toBe('pit-1');
    expect(settings.oauth).toBeUndefined();
    expect(() => createGhlConnector(settings)).not.toThrow();
  });

  it('accepts credentials given only as overrides', () => {
    expect(loadGhlSettings({}, { accessToken: 'from-code' })).toEqual({ accessToken: 'from-code' });
  });
});
