import { ActError, createMemoryCredentialStore } from '@act/core';
import { describe, expect, it } from 'vitest';
import { loadTemplateSettings } from '../src/template-settings';

describe('loadTemplateSettings', () => {
  it('reads the variables, splitting rotated secrets', () => {
    const settings = loadTemplateSettings({
      TEMPLATE_WEBHOOK_SECRET: ' whsec_new , whsec_old ',
      TEMPLATE_API_TOKEN: 'tok_1',
      TEMPLATE_BASE_URL: 'https://template.test',
    });
    expect(settings).toEqual({
      webhookSecrets: ['whsec_new', 'whsec_old'],
      apiToken: 'tok_1',
      baseUrl: 'https://template.test',
    });
  });

  it('lets overrides add settings that are not strings', () => {
    const settings = loadTemplateSettings(
      { TEMPLATE_WEBHOOK_SECRET: 's', TEMPLATE_API_TOKEN: 't' },
      { pageSize: 50, fieldPolicies: { template_records: { blocked: ['email'] } } },
    );
    expect(settings).toMatchObject({ pageSize: 50, fieldPolicies: { template_records: { blocked: ['email'] } } });
  });

  it.each([
    [{ TEMPLATE_API_TOKEN: 't' }, 'TEMPLATE_WEBHOOK_SECRET'],
    [{ TEMPLATE_WEBHOOK_SECRET: ' , ', TEMPLATE_API_TOKEN: 't' }, 'TEMPLATE_WEBHOOK_SECRET'],
    [{ TEMPLATE_WEBHOOK_SECRET: 's' }, 'TEMPLATE_API_TOKEN'],
    [{ TEMPLATE_WEBHOOK_SECRET: 's', TEMPLATE_API_TOKEN: '' }, 'TEMPLATE_API_TOKEN'],
  ])('names the missing variable (%j)', (env, variable) => {
    let thrown: unknown;
    try {
      loadTemplateSettings(env);
    } catch (error) {
      thrown = error;
    }
    expect(ActError.isInstance(thrown)).toBe(true);
    expect(thrown).toMatchObject({ name: 'ConfigurationError', errorClass: 'validation' });
    expect((thrown as Error).message).toBe(`[@act/connector-template] ${variable} is not set`);
  });
});

describe('loadTemplateSettings: OAuth2', () => {
  it('reads the OAuth2 app, with the credential store from the overrides (no API token needed)', () => {
    const credentials = createMemoryCredentialStore();
    const settings = loadTemplateSettings(
      { TEMPLATE_WEBHOOK_SECRET: 's', TEMPLATE_CLIENT_ID: 'id', TEMPLATE_CLIENT_SECRET: 'secret' },
      { oauth: { credentials } },
    );
    expect(settings).toEqual({ webhookSecrets: ['s'], oauth: { clientId: 'id', clientSecret: 'secret', credentials } });
  });

  it('names what is missing', () => {
    expect(() => loadTemplateSettings({ TEMPLATE_WEBHOOK_SECRET: 's', TEMPLATE_CLIENT_ID: 'id' })).toThrow(
      '[@act/connector-template] TEMPLATE_CLIENT_SECRET is not set',
    );
    expect(() =>
      loadTemplateSettings({ TEMPLATE_WEBHOOK_SECRET: 's', TEMPLATE_CLIENT_ID: 'id', TEMPLATE_CLIENT_SECRET: 'x' }),
    ).toThrow('no credential store was given');
  });

  it('accepts API credentials given only as overrides', () => {
    const credentials = createMemoryCredentialStore();
    const oauth = { clientId: 'id', clientSecret: 'secret', credentials };
    expect(loadTemplateSettings({ TEMPLATE_WEBHOOK_SECRET: 's' }, { oauth })).toEqual({ webhookSecrets: ['s'], oauth });
    expect(loadTemplateSettings({ TEMPLATE_WEBHOOK_SECRET: 's' }, { apiToken: 'from-code' })).toEqual({
      webhookSecrets: ['s'],
      apiToken: 'from-code',
    });
  });
});
