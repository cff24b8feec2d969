import { describe, expect, it } from 'vitest';
import { createSecretMatcher, pathToken, sharedSecret } from '../src/verify/index';

const body = new Uint8Array();

describe('sharedSecret', () => {
  const verify = sharedSecret({ header: 'X-Secret', queryParameter: 'token', secrets: ['old', 'new'] });

  it('accepts any configured secret from the header or the query parameter', async () => {
    expect(await verify({ body, headers: { 'x-secret': 'new' } })).toEqual({ ok: true, keyIndex: 1 });
    expect(await verify({ body, headers: {}, url: 'https://x.test/hook?token=old' })).toEqual({
      ok: true,
      keyIndex: 0,
    });
  });

  it('fails closed', async () => {
    expect(await verify({ body, headers: {} })).toEqual({
      ok: false,
      code: 'missing',
      reason: 'missing secret (x-secret header or token parameter)',
    });
    expect(await verify({ body, headers: { 'x-secret': 'ne' } })).toMatchObject({ code: 'mismatch' });
    expect(await verify({ body, headers: { 'x-secret': 'new ' } })).toMatchObject({ code: 'mismatch' });
    const none = sharedSecret({ header: 'x-secret', secrets: ['', ''] });
    expect(await none({ body, headers: { 'x-secret': '' } })).toMatchObject({ code: 'misconfigured' });
    expect(() => sharedSecret({ header: false, secrets: ['a'] })).toThrow(TypeError);
  });
});

describe('pathToken', () => {
  it('reads the last path segment by default, or the one asked for', async () => {
    const last = pathToken({ secrets: ['t0k3n'] });
    expect(await last({ body, headers: {}, url: 'https://x.test/webhooks/acme/t0k3n' })).toEqual({
      ok: true,
      keyIndex: 0,
    });
    expect(await last({ body, headers: {}, url: 'https://x.test/webhooks/acme/other' })).toMatchObject({
      code: 'mismatch',
    });
    expect(await last({ body, headers: {} })).toMatchObject({ code: 'missing' });
    const second = pathToken({ secrets: ['t0k3n'], segment: 1 });
    expect(await second({ body, headers: {}, url: 'https://x.test/hooks/t0k3n/acme' })).toMatchObject({ ok: true });
    expect(await pathToken({ secrets: [] })({ body, headers: {}, url: 'https://x.test/a' })).toMatchObject({
      code: 'misconfigured',
    });
  });
});

describe('createSecretMatcher', () => {
  it('matches exactly, whatever the lengths', async () => {
    const match = createSecretMatcher(['alpha', '', 'beta']);
    expect(await match('beta')).toBe(2);
    expect(await match('alph')).toBeUndefined();
    expect(await match('')).toBeUndefined();
  });
});
