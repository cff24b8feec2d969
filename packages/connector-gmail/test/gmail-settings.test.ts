import { ActError, createMemoryCredentialStore } from '@act/core';
import { describe, expect, it } from 'vitest';
import { loadGmailSettings } from '../src/gmail-settings';

describe('loadGmailSettings', () => {
  it('reads the variables, splitting rotated secrets', () => {
    const settings = loadGmailSettings({
      GMAIL_WEBHOOK_SECRET: ' whsec_new , whsec_old ',
      GMAIL_API_TOKEN: 'tok_1',
      GMAIL_BASE_URL: 'https://gmail.test',
    });
    expect(settings).toEqual({
      webhookSecrets: ['whsec_new', 'whsec_old'],
      apiToken: 'tok_1',
      baseUrl: 'https://gmail.test',
    });
  });

  it('lets overrides add settings that are not strings', () => {
    const settings = loadGmailSettings(
      { GMAIL_WEBHOOK_SECRET: 's', GMAIL_API_TOKEN: 't' },
      { pageSize: 50, fieldPolicies: { gmail_records: { blocked: ['email'] } } },
    );
    expect(settings).toMatchObject({ pageSize: 50, fieldPolicies: { gmail_records: { blocked: ['email'] } } });
  });

  it.each([
    [{ GMAIL_API_TOKEN: 't' }, 'GMAIL_WEBHOOK_SECRET'],
    [{ GMAIL_WEBHOOK_SECRET: ' , ', GMAIL_API_TOKEN: 't' }, 'GMAIL_WEBHOOK_SECRET'],
    [{ GMAIL_WEBHOOK_SECRET: 's' }, 'GMAIL_API_TOKEN'],
    [{ GMAIL_WEBHOOK_SECRET: 's', GMAIL_API_TOKEN: '' }, 'GMAIL_API_TOKEN'],
  ])('names the missing variable (%j)', (env, variable) => {
    let thrown: unknown;
    try {
      loadGmailSettings(env);
    } catch (error) {
      thrown = error;
    }
    expect(ActError.isInstance(thrown)).toBe(true);
    expect(thrown).toMatchObject({ name: 'ConfigurationError', errorClass: 'validation' });
    expect((thrown as Error).message).toBe(`[@act/connector-gmail] ${variable} is not set`);
  });
});

describe('loadGmailSettings: OAuth2', () => {
  it('reads the OAuth2 app, with the credential store from the overrides (no API token needed)', () => {
    const credentials = createMemoryCredentialStore();
    const settings = loadGmailSettings(
      { GMAIL_WEBHOOK_SECRET: 's', GMAIL_CLIENT_ID: 'id', GMAIL_CLIENT_SECRET: 'secret' },
      { oauth: { credentials } },
    );
    expect(settings).toEqual({ webhookSecrets: ['s'], oauth: { clientId: 'id', clientSecret: 'secret', credentials } });
  });

  it('names what is missing', () => {
    expect(() => loadGmailSettings({ GMAIL_WEBHOOK_SECRET: 's', GMAIL_CLIENT_ID: 'id' })).toThrow(
      '[@act/connector-gmail] GMAIL_CLIENT_SECRET is not set',
    );
    expect(() =>
      loadGmailSettings({ GMAIL_WEBHOOK_SECRET: 's', GMAIL_CLIENT_ID: 'id', GMAIL_CLIENT_SECRET: 'x' }),
    ).toThrow('no credential store was given');
  });

  it('accepts API credentials given only as overrides', () => {
    const credentials = createMemoryCredentialStore();
    const oauth = { clientId: 'id', clientSecret: 'secret', credentials };
    expect(loadGmailSettings({ GMAIL_WEBHOOK_SECRET: 's' }, { oauth })).toEqual({ webhookSecrets: ['s'], oauth });
    expect(loadGmailSettings({ GMAIL_WEBHOOK_SECRET: 's' }, { apiToken: 'from-code' })).toEqual({
      webhookSecrets: ['s'],
      apiToken: 'from-code',
    });
  });
});
