import { describe, expect, it } from 'vitest';
import { ReconnectRequiredError } from '../src/errors';
import { createMemoryCredentialStore } from '../src/memory/memory-credential-store';
import { createTokenManager } from '../src/resilience/token-manager';
import { testCredentialStore } from '../src/testing/test-credential-store';

interface Token extends Record<string, unknown> {
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
}

describe('memory credential store', () => {
  testCredentialStore({ create: () => createMemoryCredentialStore() });
});

/** A provider token endpoint with rotating refresh tokens: each refresh token works once. */
function tokenEndpoint() {
  const valid = new Set(['r0']);
  let issued = 0;
  return {
    calls: 0,
    async refresh(current: Token): Promise<Token | { invalid: string }> {
      this.calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (!valid.delete(current.refreshToken)) return { invalid: 'invalid_grant' };
      issued += 1;
      valid.add(`r${issued}`);
      return { accessToken: `a${issued}`, refreshToken: `r${issued}`, expiresAt: Date.now() + 1_800_000 };
    },
  };
}

describe('createTokenManager', () => {
  const expired: Token = { accessToken: 'a0', refreshToken: 'r0', expiresAt: 0 };
  const isExpired = (token: Token, now: Date) => token.expiresAt - 60_000 <= now.getTime();

  it('refreshes an expired token once for many concurrent callers in several processes, and persists the rotated token', async () => {
    const store = createMemoryCredentialStore();
    await store.put('xero:t1', expired);
    const endpoint = tokenEndpoint();
    const refresh = (current: Token) => endpoint.refresh(current);
    // Two "processes": separate managers sharing only the store.
    const one = createTokenManager<Token>({ store, packageName: '@act/test', isExpired, refresh, pollMs: 5 });
    const two = createTokenManager<Token>({ store, packageName: '@act/test', isExpired, refresh, pollMs: 5 });
    const tokens = await Promise.all([
      ...Array.from({ length: 5 }, () => one.get('xero:t1')),
      ...Array.from({ length: 5 }, () => two.get('xero:t1')),
    ]);
    expect(endpoint.calls).toBe(1);
    expect(new Set(tokens.map((token) => token.accessToken))).toEqual(new Set(['a1']));
    expect((await store.get('xero:t1'))?.value).toMatchObject({ refreshToken: 'r1' });
    expect(await one.get('xero:t1')).toMatchObject({ accessToken: 'a1' });
    expect(endpoint.calls).toBe(1);
  });

  it('keeps the rotated token when its refresh outlasted the lease and another process took over', async () => {
    const store = createMemoryCredentialStore();
    await store.put('ghl:loc', expired);
    const endpoint = tokenEndpoint();
    // Process one spends r0 at once, then is slow to come back (longer than its 30 ms lease).
    const slow = createTokenManager<Token>({
      store,
      packageName: '@act/test',
      isExpired,
      leaseMs: 30,
      pollMs: 5,
      refresh: async (current) => {
        const result = await endpoint.refresh(current);
        await new Promise((resolve) => setTimeout(resolve, 100));
        return result;
      },
    });
    // Process two finds the lapsed lease, takes it, and is refused: r0 is spent.
    const other = createTokenManager<Token>({
      store,
      packageName: '@act/test',
      isExpired,
      pollMs: 5,
      refresh: (current) => endpoint.refresh(current),
    });
    const first = slow.get('ghl:loc');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = other.get('ghl:loc').catch((error: unknown) => error);
    expect(await first).toMatchObject({ accessToken: 'a1', refreshToken: 'r1' });
    await second;
    // The only working refresh token is kept, and the connection is not left marked for a reconnect.
    const stored = await store.get('ghl:loc');
    expect(stored?.value).toMatchObject({ accessToken: 'a1', refreshToken: 'r1' });
    expect(stored?.invalidReason).toBeNull();
    expect(await other.get('ghl:loc')).toMatchObject({ accessToken: 'a1' });
  });

  it('never overwrites a newer credential another process saved while its own lapsed refresh was out', async () => {
    const store = createMemoryCredentialStore();
    await store.put('xero:t3', expired);
    let issued = 0;
    // A provider with a reuse grace (Xero: 30 minutes): both refreshes with r0 succeed.
    const grant = async (): Promise<Token> => {
      issued += 1;
      return { accessToken: `a${issued}`, refreshToken: `r${issued}`, expiresAt: Date.now() + 1_800_000 };
    };
    const slow = createTokenManager<Token>({
      store,
      packageName: '@act/test',
      isExpired,
      leaseMs: 30,
      pollMs: 5,
      refresh: async () => {
        const token = await grant();
        await new Promise((resolve) => setTimeout(resolve, 100));
        return token;
      },
    });
    const other = createTokenManager<Token>({ store, packageName: '@act/test', isExpired, pollMs: 5, refresh: grant });
    const first = slow.get('xero:t3');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await other.get('xero:t3')).toMatchObject({ accessToken: 'a2' });
    // The slow one comes back with a1 and finds a2 saved after the credential it refreshed from: a2 stays.
    expect(await first).toMatchObject({ accessToken: 'a2' });
    expect((await store.get('xero:t3'))?.value).toMatchObject({ accessToken: 'a2' });
  });

  it('uses the credential another process saved instead of marking the connection invalid when its own refresh is refused', async () => {
    const store = createMemoryCredentialStore();
    await store.put('xero:t2', expired);
    let refused = false;
    const manager = createTokenManager<Token>({
      store,
      packageName: '@act/test',
      isExpired,
      leaseMs: 10,
      pollMs: 5,
      refresh: async () => {
        // While we wait on the token endpoint our lease lapses and someone else rotates the token.
        await new Promise((resolve) => setTimeout(resolve, 20));
        await store.put('xero:t2', { accessToken: 'a9', refreshToken: 'r9', expiresAt: Date.now() + 1_800_000 });
        refused = true;
        return { invalid: 'invalid_grant' };
      },
    });
    expect(await manager.get('xero:t2')).toMatchObject({ accessToken: 'a9' });
    expect(refused).toBe(true);
    expect((await store.get('xero:t2'))?.invalidReason).toBeNull();
  });

  it('refreshes after a 401 only if nobody already did', async () => {
    const store = createMemoryCredentialStore();
    const fresh: Token = { accessToken: 'a0', refreshToken: 'r0', expiresAt: Date.now() + 1_800_000 };
    const saved = await store.put('ghl:loc', fresh);
    const endpoint = tokenEndpoint();
    const manager = createTokenManager<Token>({
      store,
      packageName: '@act/test',
      isExpired,
      refresh: (current) => endpoint.refresh(current),
    });
    const [first, second] = await Promise.all([
      manager.refreshAfterRejection('ghl:loc', saved.revision),
      manager.refreshAfterRejection('ghl:loc', saved.revision),
    ]);
    expect(first.accessToken).toBe('a1');
    expect(second.accessToken).toBe('a1');
    expect(endpoint.calls).toBe(1);
    // A caller still holding the old revision after the refresh gets the new token without another refresh.
    expect((await manager.refreshAfterRejection('ghl:loc', saved.revision)).accessToken).toBe('a1');
    expect(endpoint.calls).toBe(1);
  });

  it('marks the connection "reconnect required" on invalid_grant and stops refreshing', async () => {
    const store = createMemoryCredentialStore();
    await store.put('xero:t2', { ...expired, refreshToken: 'revoked' });
    const endpoint = tokenEndpoint();
    const manager = createTokenManager<Token>({
      store,
      packageName: '@act/connector-xero',
      isExpired,
      refresh: (current) => endpoint.refresh(current),
    });
    const error = await manager.get('xero:t2').catch((caught: unknown) => caught);
    expect(ReconnectRequiredError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(
      '[@act/connector-xero] connection "xero:t2" must be reconnected: invalid_grant',
    );
    expect((error as ReconnectRequiredError).errorClass).toBe('validation');
    expect((await store.get('xero:t2'))?.invalidReason).toBe('invalid_grant');
    await expect(manager.get('xero:t2')).rejects.toThrow('must be reconnected: invalid_grant');
    expect(endpoint.calls).toBe(1);
  });

  it('releases the lease when the token endpoint fails, so the next caller can refresh', async () => {
    const store = createMemoryCredentialStore();
    await store.put('xero:t3', expired);
    let fail = true;
    const manager = createTokenManager<Token>({
      store,
      packageName: '@act/test',
      isExpired,
      refresh: async (current) => {
        if (fail) throw new Error('token endpoint 503');
        return { ...current, accessToken: 'a9', expiresAt: Date.now() + 1_800_000 };
      },
    });
    await expect(manager.get('xero:t3')).rejects.toThrow('token endpoint 503');
    fail = false;
    expect((await manager.get('xero:t3')).accessToken).toBe('a9');
  });

  it('says clearly when no credential is stored', async () => {
    const manager = createTokenManager<Token>({
      store: createMemoryCredentialStore(),
      packageName: '@act/test',
      isExpired,
      refresh: async (token) => token,
    });
    await expect(manager.get('ghl:none')).rejects.toThrow(
      '[@act/test] connection "ghl:none" must be reconnected: no credential is stored for it',
    );
  });
});
