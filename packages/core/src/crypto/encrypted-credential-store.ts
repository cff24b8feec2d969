// OAuth tokens encrypted at rest, around any credential store.
//
// The value a store keeps (JSON in `act_credentials`, a Map in memory) holds
// access and refresh tokens: whoever reads the table can call the provider as
// the tenant. Wrapping the store encrypts each value before it leaves the
// process, so the database only ever sees ciphertext:
//
//   { "act:encrypted": 1, "kid": "<key id>", "iv": "<base64, 12 bytes>", "data": "<base64 ciphertext+tag>" }
//
// AES-256-GCM through Web Crypto (`crypto.subtle`), which Node, Deno, Supabase
// Edge, Vercel Edge and Workers all have, so no library is needed. The
// credential's key (`xero:<tenant>`) is the additional authenticated data: a
// ciphertext copied onto another row does not decrypt there.
//
// Rotation: several keys; the first encrypts, all decrypt. A value read under
// an older key, or still in plaintext (rows written before encryption was
// turned on), is re-encrypted with the current key under the refresh lease,
// so it never overwrites a refresh running in another process.

import { ConfigurationError } from '../errors';
import type { CredentialStoreV1, StoredCredentialV1 } from '../spec/v1';
import { base64ToBytes } from './fast-crypto';

const PACKAGE_NAME = '@act/core';
const MARKER = 'act:encrypted';
const IV_BYTES = 12;

/** One AES-256 key: its id (stored with every value) and its 32 raw bytes. */
export interface CredentialsKey {
  id: string;
  key: Uint8Array;
}

export interface EncryptCredentialStoreOptions {
  /**
   * The keys, current first: `ACT_CREDENTIALS_KEY`'s text
   * (`kid:base64,kid:base64`, see `parseCredentialsKeys`) or parsed keys.
   */
  keys: string | readonly CredentialsKey[];
  /** Re-encrypt values read under an older key or in plaintext. Defaults to `true`. */
  reencryptOnRead?: boolean;
}

/**
 * `ACT_CREDENTIALS_KEY` → keys. The text is a comma-separated list of
 * `kid:base64` entries, each the standard base64 of 32 random bytes
 * (`openssl rand -base64 32`), the current key first:
 * `k2:Zm9v…=,k1:YmFy…=`. A single entry may omit its id (`Zm9v…=`); its id
 * is then `default`.
 *
 * @throws ConfigurationError naming the entry that is malformed.
 */
export function parseCredentialsKeys(text: string): CredentialsKey[] {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw configuration('ACT_CREDENTIALS_KEY holds no key');
  const keys: CredentialsKey[] = [];
  for (const [index, entry] of entries.entries()) {
    const separator = entry.indexOf(':');
    const id = separator > 0 ? entry.slice(0, separator) : entries.length === 1 ? 'default' : '';
    const material = separator > 0 ? entry.slice(separator + 1) : entry;
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
      throw configuration(
        `ACT_CREDENTIALS_KEY entry ${index + 1} needs a key id: write several keys as kid:base64,kid:base64`,
      );
    }
    const bytes = base64ToBytes(material);
    if (bytes?.byteLength !== 32) {
      throw configuration(
        `ACT_CREDENTIALS_KEY key "${id}" is not the base64 of 32 bytes (make one with: openssl rand -base64 32)`,
      );
    }
    if (keys.some((key) => key.id === id)) throw configuration(`ACT_CREDENTIALS_KEY has key id "${id}" twice`);
    keys.push({ id, key: bytes });
  }
  return keys;
}

/**
 * Wrap a credential store so every value is stored AES-256-GCM encrypted
 * (see the top of this file); reads decrypt. Plaintext values written before
 * still read, and are encrypted on the way (like values under an older key).
 *
 * ```ts
 * const credentials = process.env.ACT_CREDENTIALS_KEY
 *   ? encryptCredentialStore(state.credentials, { keys: process.env.ACT_CREDENTIALS_KEY })
 *   : state.credentials;
 * ```
 *
 * Reads throw a ConfigurationError for a value under a key id that is not
 * configured, or that the configured key of that id cannot decrypt.
 *
 * @throws ConfigurationError for malformed keys.
 */
export function encryptCredentialStore(
  store: CredentialStoreV1,
  options: EncryptCredentialStoreOptions,
): CredentialStoreV1 {
  const keys = typeof options.keys === 'string' ? parseCredentialsKeys(options.keys) : [...options.keys];
  if (keys.length === 0) throw configuration('encryptCredentialStore needs at least one key');
  for (const { id, key } of keys) {
    if (key.byteLength !== 32) throw configuration(`credentials key "${id}" must be 32 bytes (AES-256)`);
  }
  const current = keys[0] as CredentialsKey;
  const reencrypt = options.reencryptOnRead !== false;
  const imported = new Map<string, Promise<CryptoKey>>();
  const cryptoKey = (entry: CredentialsKey): Promise<CryptoKey> => {
    let found = imported.get(entry.id);
    if (!found) {
      found = crypto.subtle.importKey('raw', new Uint8Array(entry.key), { name: 'AES-GCM' }, false, [
        'encrypt',
        'decrypt',
      ]);
      imported.set(entry.id, found);
    }
    return found;
  };
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  async function seal(
    credentialKey: string,
    value: Readonly<Record<string, unknown>>,
  ): Promise<Record<string, unknown>> {
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const data = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: encoder.encode(credentialKey) },
      await cryptoKey(current),
      encoder.encode(JSON.stringify(value)),
    );
    return { [MARKER]: 1, kid: current.id, iv: toBase64(iv), data: toBase64(new Uint8Array(data)) };
  }

  /** The plaintext value, and whether it should be re-encrypted (plaintext, or an older key). */
  async function open(
    credentialKey: string,
    stored: Readonly<Record<string, unknown>>,
  ): Promise<{ value: Record<string, unknown>; stale: boolean }> {
    if (stored[MARKER] !== 1) return { value: { ...stored }, stale: true };
    const kid = stored.kid;
    const entry = keys.find((key) => key.id === kid);
    if (!entry) {
      throw configuration(
        `credential "${credentialKey}" is encrypted with key id ${JSON.stringify(kid)}, which ACT_CREDENTIALS_KEY does not hold (it holds ${keys.map((key) => key.id).join(', ')}); add that key after the current one`,
      );
    }
    const iv = typeof stored.iv === 'string' ? base64ToBytes(stored.iv) : undefined;
    const data = typeof stored.data === 'string' ? base64ToBytes(stored.data) : undefined;
    let plain: ArrayBuffer;
    try {
      if (!iv || !data) throw new Error('malformed');
      plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv, additionalData: encoder.encode(credentialKey) },
        await cryptoKey(entry),
        data,
      );
    } catch {
      throw configuration(
        `credential "${credentialKey}" cannot be decrypted with key "${entry.id}": ACT_CREDENTIALS_KEY holds another key under that id, or the stored value was altered or copied from another row`,
      );
    }
    return { value: JSON.parse(decoder.decode(plain)) as Record<string, unknown>, stale: entry !== current };
  }

  async function reveal(credentialKey: string, stored: StoredCredentialV1): Promise<StoredCredentialV1> {
    return { ...stored, value: (await open(credentialKey, stored.value)).value };
  }

  /** Re-encrypt a stale value under the refresh lease (skipped when another process holds it). */
  async function upgrade(credentialKey: string): Promise<void> {
    const owner = `act-reencrypt-${crypto.randomUUID()}`;
    const lease = await store.acquireRefreshLease(credentialKey, { owner, leaseMs: 5_000 });
    if (!lease.acquired) return;
    try {
      const now = lease.current;
      if (!now || now.invalidReason !== null) return;
      const opened = await open(credentialKey, now.value);
      if (!opened.stale) return;
      await store.completeRefresh(credentialKey, { owner, value: await seal(credentialKey, opened.value) });
    } finally {
      // A no-op once completeRefresh released it.
      await store.releaseRefreshLease(credentialKey, { owner }).catch(() => {});
    }
  }

  return {
    specificationVersion: 'v1',
    async get(key) {
      const stored = await store.get(key);
      if (!stored) return null;
      const opened = await open(key, stored.value);
      // Best effort: a failure leaves the value as it was, and the next read tries again.
      if (opened.stale && reencrypt && stored.invalidReason === null) await upgrade(key).catch(() => {});
      return { ...stored, value: opened.value };
    },
    async put(key, value) {
      return reveal(key, await store.put(key, await seal(key, value)));
    },
    async acquireRefreshLease(key, request) {
      const lease = await store.acquireRefreshLease(key, request);
      if (!lease.acquired || !lease.current) return lease;
      // The holder saves a new value through completeRefresh, encrypted with the current key.
      return { acquired: true, current: await reveal(key, lease.current) };
    },
    async completeRefresh(key, request) {
      const saved = await store.completeRefresh(key, { owner: request.owner, value: await seal(key, request.value) });
      return saved ? reveal(key, saved) : null;
    },
    releaseRefreshLease: (key, request) => store.releaseRefreshLease(key, request),
    listInvalid: (prefix) => store.listInvalid(prefix),
  };
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function configuration(message: string): ConfigurationError {
  return new ConfigurationError({ packageName: PACKAGE_NAME, message });
}
