// Tokens encrypted at rest (issue 11, finding 11): AES-256-GCM through Web Crypto around any credential store.
import { describe, expect, it } from 'vitest';
import { encryptCredentialStore, parseCredentialsKeys } from '../src/crypto/encrypted-credential-store';
import { createMemoryCredentialStore } from '../src/memory/memory-credential-store';

const keyText = (fill: number) => btoa(String.fromCharCode(...new Uint8Array(32).fill(fill)));
const K1 = `k1:${keyText(1)}`;
const K2 = `k2:${keyText(2)}`;
const TOKENS = { accessToken: 'at-SECRET-123', refreshToken: 'rt-SECRET-456', expiresAt: 1_767_261_600_000 };

describe('encryptCredentialStore', () => {
  it('stores only ciphertext: the inner store never holds a token, and reads give the value back', async () => {
    const inner = createMemoryCredentialStore();
    const store = encryptCredentialStore(inner, { keys: K1 });
    const saved = await store.put('xero:t1', TOKENS);
    expect(saved.value).toEqual(TOKENS);
    const raw = JSON.stringify(await inner.get('xero:t1'));
    expect(raw).not.toContain('SECRET');
    expect((await inner.get('xero:t1'))?.value).toMatchObject({ 'act:encrypted': 1, kid: 'k1' });
    expect((await store.get('xero:t1'))?.value).toEqual(TOKENS);
    // The refresh path too.
    const lease = await store.acquireRefreshLease('xero:t1', { owner: 'w', leaseMs: 1_000 });
    expect(lease).toMatchObject({ acquired: true, current: { value: TOKENS } });
    const refreshed = { ...TOKENS, accessToken: 'at-SECRET-789' };
    expect((await store.completeRefresh('xero:t1', { owner: 'w', value: refreshed }))?.value).toEqual(refreshed);
    expect(JSON.stringify(await inner.get('xero:t1'))).not.toContain('SECRET');
  });

  it('fails with a clear error under a wrong key or an unknown key id', async () => {
    const inner = createMemoryCredentialStore();
    await encryptCredentialStore(inner, { keys: K1 }).put('xero:t1', TOKENS);
    await expect(encryptCredentialStore(inner, { keys: K2 }).get('xero:t1')).rejects.toThrow(
      '[@act/core] credential "xero:t1" is encrypted with key id "k1", which ACT_CREDENTIALS_KEY does not hold (it holds k2)',
    );
    await expect(encryptCredentialStore(inner, { keys: `k1:${keyText(9)}` }).get('xero:t1')).rejects.toThrow(
      '[@act/core] credential "xero:t1" cannot be decrypted with key "k1"',
    );
    // A ciphertext copied onto another row does not decrypt there.
    await inner.put('xero:t2', (await inner.get('xero:t1'))?.value as Record<string, unknown>);
    await expect(encryptCredentialStore(inner, { keys: K1 }).get('xero:t2')).rejects.toThrow('cannot be decrypted');
  });

  it('rotates: the first key encrypts, all decrypt, and a value under an old key is re-encrypted on read', async () => {
    const inner = createMemoryCredentialStore();
    await encryptCredentialStore(inner, { keys: K1 }).put('ghl:loc', TOKENS);
    const rotated = encryptCredentialStore(inner, { keys: `${K2},${K1}` });
    expect((await rotated.get('ghl:loc'))?.value).toEqual(TOKENS);
    expect((await inner.get('ghl:loc'))?.value).toMatchObject({ kid: 'k2' });
    // The old key can go now.
    expect((await encryptCredentialStore(inner, { keys: K2 }).get('ghl:loc'))?.value).toEqual(TOKENS);
  });

  it('reads plaintext rows written before, and encrypts them on the way', async () => {
    const inner = createMemoryCredentialStore();
    await inner.put('xero:old', TOKENS);
    const store = encryptCredentialStore(inner, { keys: K1 });
    expect((await store.get('xero:old'))?.value).toEqual(TOKENS);
    expect(JSON.stringify(await inner.get('xero:old'))).not.toContain('SECRET');
    expect((await store.get('xero:old'))?.value).toEqual(TOKENS);
  });

  it('leaves a value alone while another process holds the refresh lease, and a reconnect-required one', async () => {
    const inner = createMemoryCredentialStore();
    await inner.put('xero:busy', TOKENS);
    await inner.acquireRefreshLease('xero:busy', { owner: 'other', leaseMs: 60_000 });
    const store = encryptCredentialStore(inner, { keys: K1 });
    expect((await store.get('xero:busy'))?.value).toEqual(TOKENS);
    expect((await inner.get('xero:busy'))?.value).toEqual(TOKENS);
    expect(await inner.completeRefresh('xero:busy', { owner: 'other', value: TOKENS })).not.toBeNull();
  });

  it('parses ACT_CREDENTIALS_KEY: kid:base64 entries, one bare key, and names what is wrong', () => {
    expect(parseCredentialsKeys(`${K2}, ${K1}`).map((key) => key.id)).toEqual(['k2', 'k1']);
    expect(parseCredentialsKeys(keyText(3))).toEqual([{ id: 'default', key: new Uint8Array(32).fill(3) }]);
    expect(() => parseCredentialsKeys('')).toThrow('[@act/core] ACT_CREDENTIALS_KEY holds no key');
    expect(() => parseCredentialsKeys('k1:c2hvcnQ=')).toThrow('key "k1" is not the base64 of 32 bytes');
    expect(() => parseCredentialsKeys(`${keyText(1)},${keyText(2)}`)).toThrow('entry 1 needs a key id');
    expect(() => parseCredentialsKeys(`${K1},${K1}`)).toThrow('key id "k1" twice');
  });
});
