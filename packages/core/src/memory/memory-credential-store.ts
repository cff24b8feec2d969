import type { CredentialStoreV1, RefreshLeaseV1, StoredCredentialV1 } from '../spec/v1';

interface Entry {
  credential: StoredCredentialV1 | null;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
}

/**
 * A `CredentialStoreV1` in process memory, for tests, development and the
 * demo. Leases only coordinate callers in this process.
 */
export function createMemoryCredentialStore(options: { now?: () => Date } = {}): CredentialStoreV1 {
  const clock = options.now ?? (() => new Date());
  const entries = new Map<string, Entry>();
  const entry = (key: string): Entry => {
    let found = entries.get(key);
    if (!found) {
      found = { credential: null, leaseOwner: null, leaseExpiresAt: null };
      entries.set(key, found);
    }
    return found;
  };
  const save = (found: Entry, value: Readonly<Record<string, unknown>>): StoredCredentialV1 => {
    found.credential = {
      value: structuredClone(value),
      revision: (found.credential?.revision ?? 0) + 1,
      invalidReason: null,
      updatedAt: clock(),
    };
    return structuredClone(found.credential);
  };

  return {
    specificationVersion: 'v1',
    async get(key) {
      const credential = entries.get(key)?.credential;
      return credential ? structuredClone(credential) : null;
    },
    async put(key, value) {
      return save(entry(key), value);
    },
    async acquireRefreshLease(key, request): Promise<RefreshLeaseV1> {
      const now = request.now ?? clock();
      const found = entry(key);
      if (
        found.leaseOwner &&
        found.leaseOwner !== request.owner &&
        found.leaseExpiresAt &&
        found.leaseExpiresAt > now
      ) {
        return { acquired: false, heldUntil: new Date(found.leaseExpiresAt) };
      }
      found.leaseOwner = request.owner;
      found.leaseExpiresAt = new Date(now.getTime() + request.leaseMs);
      return { acquired: true, current: found.credential ? structuredClone(found.credential) : null };
    },
    async completeRefresh(key, request) {
      const found = entries.get(key);
      if (!found || found.leaseOwner !== request.owner) return null;
      found.leaseOwner = null;
      found.leaseExpiresAt = null;
      return save(found, request.value);
    },
    async releaseRefreshLease(key, request) {
      const found = entries.get(key);
      if (!found || found.leaseOwner !== request.owner) return;
      found.leaseOwner = null;
      found.leaseExpiresAt = null;
      if (request.invalidReason && found.credential) {
        found.credential = { ...found.credential, invalidReason: request.invalidReason, updatedAt: clock() };
      }
    },
    async listInvalid(prefix) {
      return [...entries]
        .filter(([key, found]) => key.startsWith(prefix) && found.credential?.invalidReason)
        .map(([key, found]) => ({
          key,
          invalidReason: found.credential?.invalidReason as string,
          updatedAt: new Date(found.credential?.updatedAt as Date),
        }))
        .sort((a, b) => a.key.localeCompare(b.key));
    },
  };
}
