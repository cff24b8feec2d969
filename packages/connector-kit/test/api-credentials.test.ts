import { ConfigurationError, type Logger } from '@act/core';
import { describe, expect, it, vi } from 'vitest';
import {
  API_CREDENTIALS_MISSING,
  chooseApiAuth,
  missingEnv,
  reportMissingApiCredentials,
  runtimeSettings,
} from '../src/api/index';

const choose = (settings: { accessToken?: string; oauth?: { clientId: string } }) =>
  chooseApiAuth(settings, {
    packageName: '@act/connector-x',
    tokenType: 'access-token',
    either: ['oauth', 'accessToken'],
  });

describe('chooseApiAuth', () => {
  it('takes oauth, or the token, or nothing', () => {
    expect(choose({ oauth: { clientId: 'id' } })).toEqual({ type: 'oauth', clientId: 'id' });
    expect(choose({ accessToken: 'tok' })).toEqual({ type: 'access-token', token: 'tok' });
    expect(choose({})).toBeUndefined();
  });

  it('refuses both, naming them, with a ConfigurationError of the package', () => {
    let thrown: unknown;
    try {
      choose({ accessToken: 'tok', oauth: { clientId: 'id' } });
    } catch (error) {
      thrown = error;
    }
    expect(ConfigurationError.isInstance(thrown)).toBe(true);
    expect((thrown as Error).message).toContain('give either oauth or accessToken, not both');
    expect((thrown as ConfigurationError).packageName).toBe('@act/connector-x');
  });
});

describe('reportMissingApiCredentials', () => {
  const options = {
    packageName: '@act/connector-x',
    source: 'x',
    displayName: 'X',
    variables: 'X_TOKEN',
    withoutApi: 'nothing polls',
  };

  it('warns once through the logger and returns the amber health signal', () => {
    const warn = vi.fn();
    const logger: Logger = { debug() {}, info() {}, warn, error() {} };
    const signal = reportMissingApiCredentials({ ...options, logger });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(
      { source: 'x', code: API_CREDENTIALS_MISSING },
      '[@act/connector-x] no API credentials (set X_TOKEN): nothing polls',
    );
    expect(signal).toEqual({
      source: 'x',
      tenant: 'app',
      status: 'amber',
      code: 'api_credentials_missing',
      message: 'no X API credentials: set X_TOKEN; nothing polls',
    });
  });

  it('warns on the console without a logger', () => {
    const spy = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      reportMissingApiCredentials(options);
      expect(spy).toHaveBeenCalledWith('[@act/connector-x] no API credentials (set X_TOKEN): nothing polls');
    } finally {
      spy.mockRestore();
    }
  });
});

describe('runtimeSettings and missingEnv', () => {
  it('passes on only what the runtime gives, the credential store only for oauth', () => {
    const fetch = (async () => new Response()) as typeof globalThis.fetch;
    const credentials = {} as never;
    expect(runtimeSettings({})).toEqual({});
    expect(runtimeSettings({ fetch, credentials })).toEqual({ fetch });
    expect(runtimeSettings({ fetch, credentials }, { oauth: true })).toEqual({ fetch, oauth: { credentials } });
  });

  it('answers the message when none of the names is set (blank is unset)', () => {
    expect(missingEnv({ A: ' ' }, ['A', 'B'], 'A is not set')).toBe('A is not set');
    expect(missingEnv({ B: 'x' }, ['A', 'B'], 'A is not set')).toBeUndefined();
  });
});
