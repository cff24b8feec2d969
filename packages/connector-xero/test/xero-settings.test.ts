import { createMemoryCredentialStore } from '@act/core';
import { describe, expect, it } from 'vitest';
import { loadXeroSettings } from '../src/xero-settings';

const credentials = createMemoryCredentialStore();

describe('loadXeroSettings', () => {
  it('reads the webhook key; comma-separated keys are a rotation list', () => {
    expect(loadXeroSettings({ XERO_WEBHOOK_KEY: ' key-a ' })).toEqual({ webhook: { keys: ['key-a'] } });
    expect(loadXeroSettings({ XERO_WEBHOOK_KEY: 'new+key/==, old+key/==' })).toEqual({
      webhook: { keys: ['new+key/==', 'old+key/=='] },
    });
  });

  it('reads the OAuth app, which needs a credential store', () => {
    expect(
      loadXeroSettings({ XERO_CLIENT_ID: 'id', XERO_CLIENT_SECRET: 'secret' }, { oauth: { credentials } }),
    ).toEqual({ oauth: { clientId: 'id', clientSecret: 'secret', credentials } });
    expect(() => loadXeroSettings({ XERO_CLIENT_ID: 'id', XERO_CLIENT_SECRET: 'secret' })).toThrow(
      '[@act/connector-xero] XERO_CLIENT_ID is set, but no credential store was given',
    );
    expect(() => loadXeroSettings({ XERO_CLIENT_ID: 'id' })).toThrow(
      'XERO_CLIENT_SECRET is not set (XERO_CLIENT_ID is)',
    );
    expect(() => loadXeroSettings({ XERO_CLIENT_SECRET: 's' })).toThrow(
      'XERO_CLIENT_ID is not set (XERO_CLIENT_SECRET is)',
    );
  });

  it('reads XERO_TOKEN_URL into the OAuth settings, and refuses one that is not http(s)', () => {
    const env = {
      XERO_CLIENT_ID: 'id',
      XERO_CLIENT_SECRET: 'secret',
      XERO_TOKEN_URL: 'http://127.0.0.1:4010/connect/token',
    };
    expect(loadXeroSettings(env, { oauth: { credentials } }).oauth).toEqual({
      clientId: 'id',
      clientSecret: 'secret',
      credentials,
      tokenUrl: 'http://127.0.0.1:4010/connect/token',
    });
    expect(() => loadXeroSettings({ ...env, XERO_TOKEN_URL: 'identity.xero.com' }, { oauth: { credentials } })).toThrow(
      'XERO_TOKEN_URL is not an http(s) URL: "identity.xero.com"',
    );
  });

  it('reads XERO_DISCOVERY_GRANTS: the credential keys of the grants whose connections are the tenants', () => {
    const env = {
      XERO_CLIENT_ID: 'id',
      XERO_CLIENT_SECRET: 'secret',
      XERO_DISCOVERY_GRANTS: 'xero:grant-1, xero:grant-2',
    };
    expect(loadXeroSettings(env, { oauth: { credentials } }).discovery).toEqual({
      grants: ['xero:grant-1', 'xero:grant-2'],
    });
    expect(() =>
      loadXeroSettings({ ...env, XERO_DISCOVERY_GRANTS: 'xero:a,,xero:b' }, { oauth: { credentials } }),
    ).toThrow('XERO_DISCOVERY_GRANTS holds an empty credential key');
    // In code: one grant's key for every tenant, and that grant listed.
    const credentialKey = () => 'xero:grant-1';
    const merged = loadXeroSettings(
      { XERO_CLIENT_ID: 'id', XERO_CLIENT_SECRET: 'secret' },
      { oauth: { credentials, credentialKey }, discovery: { grants: ['xero:grant-1'] } },
    );
    expect(merged).toMatchObject({ oauth: { credentialKey }, discovery: { grants: ['xero:grant-1'] } });
  });

  it('names the variables when nothing is configured', () => {
    expect(() => loadXeroSettings({})).toThrow(
      '[@act/connector-xero] XERO_WEBHOOK_KEY is not set (the webhook key from the Xero developer portal), and neither are XERO_CLIENT_ID and XERO_CLIENT_SECRET',
    );
    expect(() => loadXeroSettings({ XERO_WEBHOOK_KEY: '   ' })).toThrow('XERO_WEBHOOK_KEY is not set');
    expect(loadXeroSettings({}, { webhook: { keys: ['k'] } })).toEqual({ webhook: { keys: ['k'] } });
    const oauth = { clientId: 'id', clientSecret: 'secret', credentials };
    expect(loadXeroSettings({}, { oauth })).toEqual({ oauth });
    expect(() => loadXeroSettings({}, { oauth: { credentials } })).toThrow('XERO_WEBHOOK_KEY is not set');
  });

  it('refuses malformed values, naming the variable', () => {
    const base = { XERO_WEBHOOK_KEY: 'k' };
    expect(() => loadXeroSettings({ XERO_WEBHOOK_KEY: 'a,,b' })).toThrow('XERO_WEBHOOK_KEY holds an empty key');
    expect(() => loadXeroSettings({ ...base, XERO_DAILY_LIMIT: '5k' })).toThrow(
      'XERO_DAILY_LIMIT must be a positive whole number, got "5k"',
    );
    expect(() => loadXeroSettings({ ...base, XERO_TIER: 'core' })).toThrow(
      'XERO_TIER must be starter or above-starter, got "core"',
    );
    expect(() => loadXeroSettings({ ...base, XERO_BASE_URL: 'api.xero.com' })).toThrow(
      'XERO_BASE_URL is not an http(s) URL',
    );
    expect(() => loadXeroSettings({ ...base, XERO_PROJECT_CODE_PATTERN: '(' })).toThrow(
      'XERO_PROJECT_CODE_PATTERN is not a valid regular expression',
    );
    expect(() => loadXeroSettings({ ...base, XERO_PROJECT_CODE_LINE_ITEMS: 'true' })).toThrow(
      'XERO_PROJECT_CODE_LINE_ITEMS is set, but XERO_PROJECT_CODE_PATTERN is not',
    );
    expect(() => loadXeroSettings({ ...base, XERO_CONTACT_MATCHING: 'maybe' })).toThrow(
      'XERO_CONTACT_MATCHING must be true or false, got "maybe"',
    );
    expect(() => loadXeroSettings({ ...base, XERO_SEQUENCE_SCOPE: 'org' })).toThrow(
      'XERO_SEQUENCE_SCOPE must be app or tenant',
    );
  });

  it('reads the optional settings and merges overrides last', () => {
    const logger = { debug() {}, info() {}, warn() {}, error() {} };
    expect(
      loadXeroSettings(
        {
          XERO_WEBHOOK_KEY: 'k',
          XERO_BASE_URL: 'https://api.xero.com/api.xro/2.0',
          XERO_TIER: 'starter',
          XERO_DAILY_LIMIT: '900',
          XERO_PROJECT_CODE_PATTERN: 'PRJ-(\\d+)',
          XERO_PROJECT_CODE_LINE_ITEMS: 'yes',
          XERO_CONTACT_MATCHING: 'on',
          XERO_SEQUENCE_SCOPE: 'tenant',
        },
        { logger, transforms: { contactMatching: false } },
      ),
    ).toEqual({
      webhook: { keys: ['k'] },
      baseUrl: 'https://api.xero.com/api.xro/2.0',
      tier: 'starter',
      dailyLimit: 900,
      transforms: { projectCode: { pattern: 'PRJ-(\\d+)', lineItems: true }, contactMatching: false },
      sequenceScope: 'tenant',
      logger,
    });
  });
});
