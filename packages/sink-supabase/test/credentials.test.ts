import { inspect } from 'node:util';
import type { CredentialStoreV1, RefreshLeaseV1 } from '@act/core';
import { createTokenManager } from '@act/core/internal';
import { testCredentialStore } from '@act/core/testing';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresState, PostgresError } from '../src';
import {
  DATABASE_URL,
  type Harness,
  pgliteHarness,
  postgresHarness,
  randomSchema,
  type TestState,
} from './helpers/harness';

function credentials(harness: () => Harness) {
  const h = harness();
  const byStore = new Map<CredentialStoreV1, TestState>();

  testCredentialStore({
    async create() {
      const test = await h.create({ migrations: [] });
      byStore.set(test.state.credentials, test);
      return test.state.credentials;
    },
    async destroy(store) {
      await byStore.get(store)?.destroy();
      byStore.delete(store);
    },
  });

  const withState = (fn: (test: TestState) => Promise<void>) => async () => {
    const test = await h.create({ migrations: [] });
    try {
      await fn(test);
    } finally {
      await test.destroy();
    }
  };

  it(
    'a lease can be held before any credential exists; completing it saves revision 1',
    withState(async ({ state, schema, query }) => {
      const store = state.credentials;
      const lease = await store.acquireRefreshLease('ghl:new', { owner: 'a', leaseMs: 60_000 });
      expect(lease).toEqual({ acquired: true, current: null });
      expect(await store.get('ghl:new')).toBeNull();
      const refused = await store.acquireRefreshLease('ghl:new', { owner: 'b', leaseMs: 60_000 });
      expect(refused.acquired).toBe(false);
      const saved = await store.completeRefresh('ghl:new', { owner: 'a', value: { accessToken: 't1' } });
      expect(saved).toMatchObject({ value: { accessToken: 't1' }, revision: 1, invalidReason: null });
      expect(saved?.updatedAt).toBeInstanceOf(Date);
      const [row] = await query<Record<string, unknown>>(
        `select value, revision::int as revision, lease_owner, lease_expires_at from "${schema}".act_credentials where key = $1`,
        ['ghl:new'],
      );
      expect(row).toEqual({ value: { accessToken: 't1' }, revision: 1, lease_owner: null, lease_expires_at: null });
      // A release by someone who does not hold the lease changes nothing.
      await store.acquireRefreshLease('ghl:new', { owner: 'c', leaseMs: 60_000 });
      await store.releaseRefreshLease('ghl:new', { owner: 'a', invalidReason: 'invalid_grant' });
      expect((await store.get('ghl:new'))?.invalidReason).toBeNull();
      expect((await store.acquireRefreshLease('ghl:new', { owner: 'd', leaseMs: 60_000 })).acquired).toBe(false);
    }),
  );

  it(
    'values round-trip as JSON (nested, unicode, numbers); refuses non-objects without echoing them',
    withState(async ({ state }) => {
      const value = {
        accessToken: 'ä€𝄞',
        expiresAt: 1_767_225_600_000,
        scopes: ['contacts.readonly', 'locations.readonly'],
        nested: { a: null, b: true },
      };
      await state.credentials.put('xero:t1', value);
      expect((await state.credentials.get('xero:t1'))?.value).toEqual(value);
      await expect(state.credentials.put('xero:t1', ['not', 'an', 'object'] as never)).rejects.toThrow(
        /must be a JSON object/,
      );
      await expect(state.credentials.put('', { a: 1 })).rejects.toThrow(/non-empty/);
    }),
  );

  it(
    'a value the database cannot store fails without the secret in the error or its causes',
    withState(async ({ state }) => {
      // jsonb refuses \u0000; Postgres's error context quotes the JSON it was reading.
      const secret = 'SECRET-refresh-token-9f8e7d';
      const error = await state.credentials.put('gmail:x', { refreshToken: `${secret}\u0000` }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(PostgresError);
      expect((error as PostgresError).code).toBe('22P05');
      expect((error as Error).cause).toBeUndefined();
      expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(secret);
      expect(JSON.stringify(error)).not.toContain(secret);
    }),
  );

  it('uses the state clock when a call passes no time', async () => {
    const clock = new Date('2030-05-06T07:08:09.123Z');
    const test = await h.create({ migrations: [], state: { now: () => clock } });
    try {
      const saved = await test.state.credentials.put('notion:w', { accessToken: 't' });
      expect(saved.updatedAt).toEqual(clock);
      await test.state.credentials.acquireRefreshLease('notion:w', { owner: 'a', leaseMs: 5_000 });
      const refused = await test.state.credentials.acquireRefreshLease('notion:w', { owner: 'b', leaseMs: 5_000 });
      expect(refused).toEqual({ acquired: false, heldUntil: new Date(clock.getTime() + 5_000) });
    } finally {
      await test.destroy();
    }
  });
}

describe('PGlite', () => credentials(pgliteHarness));
describe.skipIf(!DATABASE_URL)('Postgres (DATABASE_URL)', () => credentials(postgresHarness));

// Tokens encrypted at rest (issue 11, finding 11): ACT_CREDENTIALS_KEY through `credentialsKey`.
const aesKey = (fill: number) => btoa(String.fromCharCode(...new Uint8Array(32).fill(fill)));
const KEY_1 = `k1:${aesKey(7)}`;
const KEY_2 = `k2:${aesKey(8)}`;

function encryptedCredentials(harness: () => Harness) {
  const h = harness();
  const byStore = new Map<CredentialStoreV1, TestState>();

  // The whole credential-store contract, through the encryption.
  testCredentialStore({
    async create() {
      const test = await h.create({ migrations: [], state: { credentialsKey: KEY_1 } });
      byStore.set(test.state.credentials, test);
      return test.state.credentials;
    },
    async destroy(store) {
      await byStore.get(store)?.destroy();
      byStore.delete(store);
    },
  });

  it('the act_credentials column never holds a token; plaintext rows still read; rotation and a wrong key', async () => {
    const test = await h.create({ migrations: [], state: { credentialsKey: KEY_1 } });
    const column = async (key: string) =>
      JSON.stringify(
        (
          await test.query<{ value: unknown }>(`select value from "${test.schema}".act_credentials where key = $1`, [
            key,
          ])
        )[0]?.value,
      );
    try {
      const tokens = { accessToken: 'at-PLAINTEXT-1', refreshToken: 'rt-PLAINTEXT-2' };
      const store = test.state.credentials;
      expect((await store.put('xero:t1', tokens)).value).toEqual(tokens);
      expect(await column('xero:t1')).not.toContain('PLAINTEXT');
      expect(await column('xero:t1')).toContain('"kid":"k1"');
      expect((await store.get('xero:t1'))?.value).toEqual(tokens);
      // The refresh path writes ciphertext too.
      await store.acquireRefreshLease('xero:t1', { owner: 'w', leaseMs: 5_000 });
      await store.completeRefresh('xero:t1', { owner: 'w', value: { ...tokens, accessToken: 'at-PLAINTEXT-3' } });
      expect(await column('xero:t1')).not.toContain('PLAINTEXT');

      // A row written before encryption was turned on reads, and is encrypted on that read.
      const second = (credentialsKey?: string) =>
        h.create({ migrate: false, state: { schema: test.schema, ...(credentialsKey ? { credentialsKey } : {}) } });
      const plain = await second();
      try {
        await plain.state.credentials.put('ghl:old', tokens);
      } finally {
        await plain.state.close();
      }
      expect(await column('ghl:old')).toContain('PLAINTEXT');
      expect((await store.get('ghl:old'))?.value).toEqual(tokens);
      expect(await column('ghl:old')).not.toContain('PLAINTEXT');

      // Rotation: k2 first, k1 still read; the value is re-encrypted under k2 on read.
      const rotated = await second(`${KEY_2},${KEY_1}`);
      try {
        expect(await column('ghl:old')).toContain('"kid":"k1"');
        expect((await rotated.state.credentials.get('ghl:old'))?.value).toEqual(tokens);
        expect(await column('ghl:old')).toContain('"kid":"k2"');
      } finally {
        await rotated.state.close();
      }
      // Only the old key: a clear error, never garbage.
      await expect(store.get('ghl:old')).rejects.toThrow(
        '[@act/core] credential "ghl:old" is encrypted with key id "k2", which ACT_CREDENTIALS_KEY does not hold',
      );
    } finally {
      await test.destroy();
    }
  });
}

describe('PGlite, encrypted', () => encryptedCredentials(pgliteHarness));
describe.skipIf(!DATABASE_URL)('Postgres (DATABASE_URL), encrypted', () => encryptedCredentials(postgresHarness));

// Two "processes": two states, each with its own pool (its own connections)
// and its own token manager, sharing only the database. The in-process
// single-flight cannot help across them; only act_credentials' lease can.
describe.skipIf(!DATABASE_URL)('token refresh across processes (Postgres)', () => {
  interface Token extends Record<string, unknown> {
    accessToken: string;
    refreshToken: string;
    expiresAt: number;
  }

  it('20 concurrent get() in two processes on an expired token: one refresh, both end with the rotated token', async () => {
    const schema = randomSchema('act_cred');
    const processA = createPostgresState(
      { connectionString: DATABASE_URL as string, poolOptions: { max: 4 } },
      { schema },
    );
    const processB = createPostgresState(
      { connectionString: DATABASE_URL as string, poolOptions: { max: 4 } },
      { schema },
    );
    try {
      await processA.migrate();
      const key = 'ghl:loc_1';
      await processA.credentials.put(key, { accessToken: 'a1', refreshToken: 'r1', expiresAt: Date.now() - 1_000 });

      // The provider rotates refresh tokens: each works once; reuse is invalid_grant.
      let validRefreshToken = 'r1';
      let refreshCalls = 0;
      const refused: string[] = [];
      let contended!: () => void;
      const someoneWasRefused = new Promise<void>((resolve) => {
        contended = resolve;
      });
      const refresh = async (current: Token): Promise<Token | { invalid: string }> => {
        refreshCalls += 1;
        // Hold the lease until the other process has been refused it, so the race really happens.
        await Promise.race([someoneWasRefused, new Promise((resolve) => setTimeout(resolve, 3_000))]);
        if (current.refreshToken !== validRefreshToken) return { invalid: 'invalid_grant' };
        validRefreshToken = 'r2';
        return { accessToken: 'a2', refreshToken: 'r2', expiresAt: Date.now() + 3_600_000 };
      };
      const observed = (store: CredentialStoreV1, owner: string): CredentialStoreV1 => ({
        ...store,
        get: (k) => store.get(k),
        put: (k, v) => store.put(k, v),
        completeRefresh: (k, r) => store.completeRefresh(k, r),
        releaseRefreshLease: (k, r) => store.releaseRefreshLease(k, r),
        async acquireRefreshLease(k, request): Promise<RefreshLeaseV1> {
          const lease = await store.acquireRefreshLease(k, request);
          if (!lease.acquired) {
            refused.push(owner);
            contended();
          }
          return lease;
        },
      });
      const manager = (store: CredentialStoreV1, owner: string) =>
        createTokenManager<Token>({
          store: observed(store, owner),
          packageName: '@act/test',
          owner,
          isExpired: (value, now) => value.expiresAt <= now.getTime(),
          refresh,
          pollMs: 20,
        });
      const a = manager(processA.credentials, 'process-a');
      const b = manager(processB.credentials, 'process-b');

      const tokens = await Promise.all(Array.from({ length: 10 }, () => [a.get(key), b.get(key)]).flat());

      expect(refreshCalls).toBe(1);
      expect(refused.length).toBeGreaterThan(0);
      expect(tokens).toHaveLength(20);
      for (const token of tokens) expect(token).toMatchObject({ accessToken: 'a2', refreshToken: 'r2' });
      expect(await processB.credentials.get(key)).toMatchObject({
        revision: 2,
        invalidReason: null,
        value: { accessToken: 'a2', refreshToken: 'r2' },
      });
      // Nobody is left holding the lease.
      expect((await processB.credentials.acquireRefreshLease(key, { owner: 'later', leaseMs: 1_000 })).acquired).toBe(
        true,
      );
    } finally {
      await processB.close();
      await processA.close();
      const admin = new pg.Client({ connectionString: DATABASE_URL });
      await admin.connect();
      try {
        await admin.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await admin.end();
      }
    }
  });
});

// Roles are cluster-wide and the shared server must not change: the Supabase
// roles live in a private PGlite (as in supabase-grants.test.ts).
describe('act_credentials on a database with Supabase roles', () => {
  let db: PGlite | undefined;
  afterAll(async () => db?.close());

  it('RLS on, closed to anon and authenticated; service_role and the owner keep access', async () => {
    db = await PGlite.create();
    await db.exec(
      'create role anon nologin; create role authenticated nologin; create role service_role nologin bypassrls;',
    );
    await db.exec(
      'alter default privileges in schema public grant all on tables to anon, authenticated, service_role; ' +
        'alter default privileges in schema public grant all on functions to anon, authenticated, service_role;',
    );
    const state = createPostgresState({ pglite: db });
    await state.migrate();
    const check = async (sql: string) => (await db?.query<{ ok: boolean }>(sql))?.rows[0]?.ok;
    expect(
      await check(`select relrowsecurity as ok from pg_class where oid = 'public.act_credentials'::regclass`),
    ).toBe(true);
    for (const role of ['anon', 'authenticated']) {
      for (const privilege of ['select', 'insert', 'update', 'delete']) {
        expect(
          await check(`select has_table_privilege('${role}', 'public.act_credentials', '${privilege}') as ok`),
        ).toBe(false);
      }
    }
    expect(await check(`select has_table_privilege('service_role', 'public.act_credentials', 'select') as ok`)).toBe(
      true,
    );
    const functions = (
      await db.query<{ signature: string }>(
        `select p.oid::regprocedure::text as signature from pg_proc p
         where p.pronamespace = 'public'::regnamespace and (p.proname like 'act\\_credential\\_%' or p.proname = 'act_sink_scan')`,
      )
    ).rows.map((row) => row.signature);
    expect(functions).toHaveLength(6);
    for (const signature of functions) {
      for (const role of ['anon', 'authenticated']) {
        expect(
          await check(`select has_function_privilege('${role}', '${signature}', 'execute') as ok`),
          signature,
        ).toBe(false);
      }
      expect(await check(`select has_function_privilege('service_role', '${signature}', 'execute') as ok`)).toBe(true);
    }
    // As anon, through the functions or the table: nothing.
    await state.credentials.put('ghl:loc', { refreshToken: 'r' });
    await db.exec('set role anon');
    await expect(db.query(`select * from act_credential_get('ghl:loc')`)).rejects.toThrow(/permission denied/);
    await expect(db.query('select * from act_credentials')).rejects.toThrow(/permission denied/);
    await db.exec('reset role');
    expect((await state.credentials.get('ghl:loc'))?.value).toEqual({ refreshToken: 'r' });
    await state.close();
  });
});
