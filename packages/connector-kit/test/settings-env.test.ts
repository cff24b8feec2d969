import { ActError, createMemoryCredentialStore } from '@act/core';
import { describe, expect, it } from 'vitest';
import { envReader, mergeSettings, type OAuth2Settings } from '../src/settings/index';

const PEM =
  '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n-----END PUBLIC KEY-----';
const reader = (env: Record<string, string | undefined>) => envReader(env, { packageName: '@act/connector-acme' });

function thrown(fn: () => unknown): Error & Record<string, unknown> {
  try {
    fn();
  } catch (error) {
    expect(ActError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ name: 'ConfigurationError', errorClass: 'validation' });
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected a throw');
}

describe('envReader', () => {
  it('trims, and treats empty and blank values as absent', () => {
    const env = reader({ A: ' a ', B: '', C: '   ' });
    expect(env.string('A')).toBe('a');
    expect(env.string('B')).toBeUndefined();
    expect(env.string('C')).toBeUndefined();
    expect(env.string('D')).toBeUndefined();
    expect(env.required('A')).toBe('a');
    expect(thrown(() => env.required('C')).message).toBe('[@act/connector-acme] C is not set');
    expect(thrown(() => env.required('D', 'the API key')).message).toBe(
      '[@act/connector-acme] D is not set (the API key)',
    );
  });

  it('reads booleans in the usual spellings', () => {
    const env = reader({ T: 'Yes', F: 'off', ONE: '1', ZERO: '0', BAD: 'maybe' });
    expect([env.boolean('T'), env.boolean('F'), env.boolean('ONE'), env.boolean('ZERO')]).toEqual([
      true,
      false,
      true,
      false,
    ]);
    expect(env.boolean('NONE')).toBeUndefined();
    expect(thrown(() => env.boolean('BAD')).message).toBe(
      '[@act/connector-acme] BAD must be true or false, got "maybe"',
    );
  });

  it('reads positive numbers and whole numbers', () => {
    const env = reader({ N: '1.5', I: '900', NEG: '-5', K: '5k' });
    expect(env.number('N')).toBe(1.5);
    expect(env.number('I', { integer: true })).toBe(900);
    expect(env.number('NONE')).toBeUndefined();
    expect(thrown(() => env.number('NEG')).message).toBe(
      '[@act/connector-acme] NEG must be a positive number, got "-5"',
    );
    expect(thrown(() => env.number('N', { integer: true })).message).toBe(
      '[@act/connector-acme] N must be a positive whole number, got "1.5"',
    );
    expect(() => env.number('K', { integer: true })).toThrow('K must be a positive whole number, got "5k"');
  });

  it('reads one of a set of values', () => {
    const env = reader({ TIER: 'starter', SCOPE: 'org' });
    expect(env.oneOf('TIER', ['starter', 'above-starter'])).toBe('starter');
    expect(env.oneOf('NONE', ['a'])).toBeUndefined();
    expect(() => env.oneOf('SCOPE', ['app', 'tenant'])).toThrow('SCOPE must be app or tenant, got "org"');
    expect(() => env.oneOf('SCOPE', ['a', 'b', 'c'])).toThrow('SCOPE must be a, b or c, got "org"');
  });

  it('checks URLs, dates and regular expressions, keeping them as written', () => {
    const env = reader({ URL: 'https://api.acme.test/v2', HOST: 'api.acme.test', DAY: '2026-09-01', SOON: 'soon' });
    expect(env.url('URL')).toBe('https://api.acme.test/v2');
    expect(thrown(() => env.url('HOST')).message).toBe(
      '[@act/connector-acme] HOST is not an http(s) URL: "api.acme.test"',
    );
    expect(env.date('DAY')).toBe('2026-09-01');
    expect(() => env.date('SOON')).toThrow('SOON is not a date: "soon"');
    expect(reader({ P: 'PRJ-(\\d+)' }).regExp('P')).toBe('PRJ-(\\d+)');
    expect(() => reader({ P: '(' }).regExp('P')).toThrow('P is not a valid regular expression: ');
  });

  it('splits lists, dropping or refusing empty items', () => {
    const env = reader({ S: ' new , old ', E: ' , ', GAP: 'a,,b', LINES: 'a\nb' });
    expect(env.list('S')).toEqual(['new', 'old']);
    expect(env.list('E')).toEqual([]);
    expect(env.list('NONE')).toEqual([]);
    expect(env.list('GAP')).toEqual(['a', 'b']);
    expect(env.list('LINES', { separator: '\n' })).toEqual(['a', 'b']);
    expect(thrown(() => env.list('GAP', { emptyItems: 'refuse', item: 'key' })).message).toBe(
      '[@act/connector-acme] GAP holds an empty key (separate keys with single commas)',
    );
    expect(thrown(() => env.list('E', { required: true })).message).toBe('[@act/connector-acme] E is not set');
  });

  it('reads PEM lists, with \\n escapes', () => {
    const env = reader({ KEYS: `${PEM.replace(/\n/g, '\\n')}\n${PEM}`, BAD: 'abc' });
    expect(env.pemList('KEYS')).toEqual([PEM, PEM]);
    expect(env.pemList('NONE')).toBeUndefined();
    expect(() => env.pemList('BAD')).toThrow('BAD holds no "-----BEGIN PUBLIC KEY-----" block');
  });

  it('reads pairs: both or neither', () => {
    expect(reader({ ID: 'i', SECRET: 's' }).pair('ID', 'SECRET')).toEqual(['i', 's']);
    expect(reader({}).pair('ID', 'SECRET')).toBeUndefined();
    expect(thrown(() => reader({ ID: 'i' }).pair('ID', 'SECRET')).message).toBe(
      '[@act/connector-acme] SECRET is not set (ID is)',
    );
    expect(() => reader({ SECRET: 's' }).pair('ID', 'SECRET')).toThrow('ID is not set (SECRET is)');
  });
});

describe('envReader: oauth2App', () => {
  const credentials = createMemoryCredentialStore();
  const app = { clientId: 'ACME_CLIENT_ID', clientSecret: 'ACME_CLIENT_SECRET', loader: 'loadAcmeSettings' };
  const env = { ACME_CLIENT_ID: 'id', ACME_CLIENT_SECRET: 'secret' };

  it('reads the client from the variables and the credential store from the override', () => {
    expect(reader(env).oauth2App(app, { credentials })).toEqual({
      clientId: 'id',
      clientSecret: 'secret',
      credentials,
    });
    // The variables win over the override's client; its other fields are kept.
    const extended = reader(env).oauth2App<OAuth2Settings & { leaseMs?: number }>(app, {
      clientId: 'other',
      credentials,
      leaseMs: 5,
    });
    expect(extended).toEqual({ clientId: 'id', clientSecret: 'secret', credentials, leaseMs: 5 });
  });

  it('asks for the credential store, naming the loader', () => {
    expect(thrown(() => reader(env).oauth2App(app)).message).toBe(
      '[@act/connector-acme] ACME_CLIENT_ID is set, but no credential store was given: loadAcmeSettings(env, { oauth: { credentials } })',
    );
    expect(() => reader({ ACME_CLIENT_ID: 'id' }).oauth2App(app, { credentials })).toThrow(
      'ACME_CLIENT_SECRET is not set (ACME_CLIENT_ID is)',
    );
  });

  it('reads the token URL only for a configured app, and checks it', () => {
    const withUrl = { ...app, tokenUrl: 'ACME_TOKEN_URL' };
    expect(
      reader({ ...env, ACME_TOKEN_URL: 'http://127.0.0.1:4010/token' }).oauth2App(withUrl, { credentials }),
    ).toEqual({ clientId: 'id', clientSecret: 'secret', credentials, tokenUrl: 'http://127.0.0.1:4010/token' });
    expect(() => reader({ ...env, ACME_TOKEN_URL: 'token' }).oauth2App(withUrl, { credentials })).toThrow(
      'ACME_TOKEN_URL is not an http(s) URL: "token"',
    );
    expect(reader({ ACME_TOKEN_URL: 'token' }).oauth2App(withUrl, { credentials })).toBeUndefined();
  });

  it('without the variables, takes an override only when complete', () => {
    expect(reader({}).oauth2App(app, { credentials })).toBeUndefined();
    expect(reader({}).oauth2App(app)).toBeUndefined();
    const whole = { clientId: 'c', clientSecret: 's', credentials };
    expect(reader({}).oauth2App(app, whole)).toBe(whole);
  });
});

describe('mergeSettings', () => {
  interface Settings {
    baseUrl?: string;
    webhook?: { keys?: string[]; toleranceMs?: number };
    transforms?: { on?: boolean };
    pageSize?: number;
  }

  it('merges overrides last, and the nested sections one level deeper', () => {
    const fromEnv: Settings = { baseUrl: 'https://a.test', webhook: { keys: ['k'] } };
    expect(
      mergeSettings(fromEnv, { baseUrl: 'https://b.test', webhook: { toleranceMs: 5 }, pageSize: 10 }, [
        'webhook',
        'transforms',
      ]),
    ).toEqual({ baseUrl: 'https://b.test', webhook: { keys: ['k'], toleranceMs: 5 }, pageSize: 10 });
    const merged = mergeSettings<Settings>({}, {}, ['webhook']);
    expect(merged).toEqual({});
    expect('webhook' in merged).toBe(false);
  });
});
