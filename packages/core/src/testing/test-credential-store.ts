import { describe, expect, it } from 'vitest';
import type { CredentialStoreV1 } from '../spec/v1';

export interface TestCredentialStoreOptions {
  create: () => CredentialStoreV1 | Promise<CredentialStoreV1>;
  destroy?: (store: CredentialStoreV1) => void | Promise<void>;
}

let counter = 0;

/**
 * The behaviour every `CredentialStoreV1` must have: revisions, one refresh
 * lease per key across owners, atomic save-and-release, lease expiry, and the
 * "reconnect required" mark.
 */
export function testCredentialStore(options: TestCredentialStoreOptions): void {
  const withStore = (fn: (store: CredentialStoreV1, key: string) => Promise<void>) => async () => {
    const store = await options.create();
    try {
      await fn(store, `test:tenant-${Date.now()}-${++counter}`);
    } finally {
      await options.destroy?.(store);
    }
  };

  describe('CredentialStoreV1 contract', () => {
    it(
      'stores credentials with increasing revisions',
      withStore(async (store, key) => {
        expect(store.specificationVersion).toBe('v1');
        expect(await store.get(key)).toBeNull();
        const first = await store.put(key, { accessToken: 'a1', refreshToken: 'r1' });
        const second = await store.put(key, { accessToken: 'a2', refreshToken: 'r2' });
        expect(second.revision).toBeGreaterThan(first.revision);
        expect(await store.get(key)).toMatchObject({
          value: { accessToken: 'a2', refreshToken: 'r2' },
          invalidReason: null,
        });
      }),
    );

    it(
      'grants the refresh lease to one owner at a time until it expires',
      withStore(async (store, key) => {
        await store.put(key, { refreshToken: 'r1' });
        const now = new Date();
        const a = await store.acquireRefreshLease(key, { owner: 'a', leaseMs: 1_000, now });
        const b = await store.acquireRefreshLease(key, {
          owner: 'b',
          leaseMs: 1_000,
          now: new Date(now.getTime() + 500),
        });
        expect(a.acquired).toBe(true);
        expect(b.acquired).toBe(false);
        if (!b.acquired) expect(b.heldUntil.getTime()).toBe(now.getTime() + 1_000);
        const later = await store.acquireRefreshLease(key, {
          owner: 'b',
          leaseMs: 1_000,
          now: new Date(now.getTime() + 1_500),
        });
        expect(later.acquired).toBe(true);
      }),
    );

    it(
      'saves a refresh and releases the lease atomically; a lost lease saves nothing',
      withStore(async (store, key) => {
        const initial = await store.put(key, { refreshToken: 'r1' });
        const now = new Date();
        const lease = await store.acquireRefreshLease(key, { owner: 'a', leaseMs: 1_000, now });
        expect(lease.acquired && lease.current?.revision).toBe(initial.revision);
        // Owner a was too slow: its lease expired and b took over.
        await store.acquireRefreshLease(key, { owner: 'b', leaseMs: 1_000, now: new Date(now.getTime() + 2_000) });
        expect(await store.completeRefresh(key, { owner: 'a', value: { refreshToken: 'from-a' } })).toBeNull();
        const saved = await store.completeRefresh(key, { owner: 'b', value: { refreshToken: 'from-b' } });
        expect(saved?.value).toEqual({ refreshToken: 'from-b' });
        expect(saved?.revision).toBeGreaterThan(initial.revision);
        const next = await store.acquireRefreshLease(key, { owner: 'c', leaseMs: 1_000 });
        expect(next.acquired).toBe(true);
      }),
    );

    it(
      'marks a credential as needing a reconnect when its refresh was refused, until the next put',
      withStore(async (store, key) => {
        await store.put(key, { refreshToken: 'revoked' });
        await store.acquireRefreshLease(key, { owner: 'a', leaseMs: 1_000 });
        await store.releaseRefreshLease(key, { owner: 'a', invalidReason: 'invalid_grant' });
        expect((await store.get(key))?.invalidReason).toBe('invalid_grant');
        expect((await store.acquireRefreshLease(key, { owner: 'b', leaseMs: 1_000 })).acquired).toBe(true);
        await store.releaseRefreshLease(key, { owner: 'b' });
        await store.put(key, { refreshToken: 'reconnected' });
        expect((await store.get(key))?.invalidReason).toBeNull();
      }),
    );

    it(
      'lists the connections that need a reconnect by key prefix, without their credentials',
      withStore(async (store, key) => {
        const other = `${key}-other`;
        const prefix = key.slice(0, key.lastIndexOf('-') + 1);
        await store.put(key, { refreshToken: 'revoked', secret: 's1' });
        await store.put(other, { refreshToken: 'fine' });
        expect(await store.listInvalid(prefix)).toEqual([]);
        await store.acquireRefreshLease(key, { owner: 'a', leaseMs: 1_000 });
        await store.releaseRefreshLease(key, { owner: 'a', invalidReason: 'invalid_grant' });
        const listed = await store.listInvalid(prefix);
        expect(listed).toEqual([{ key, invalidReason: 'invalid_grant', updatedAt: expect.any(Date) }]);
        expect(JSON.stringify(listed)).not.toContain('revoked');
        expect(await store.listInvalid('nothing-here:')).toEqual([]);
        await store.put(key, { refreshToken: 'reconnected' });
        expect(await store.listInvalid(prefix)).toEqual([]);
      }),
    );
  });
}
