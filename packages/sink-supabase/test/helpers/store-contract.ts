import pg from 'pg';
import { afterAll, describe } from 'vitest';
import { createPostgresState, migrate, type PostgresState } from '../../src';
import { createPostgrestFetch, poolTransaction } from '../../src/testing';
import { DATABASE_URL, type Harness, pgliteHarness, postgresHarness, randomSchema, type TestState } from './harness';

/** What a contract kit of @act/core/testing takes (testSyncStore, testOutboxStore). */
export interface StoreFactory<T> {
  create(): Promise<T>;
  destroy(store: T): Promise<void>;
}

/**
 * Runs a store contract kit against one part of `createPostgresState()`
 * (`state.sync`, `state.outbox`): PGlite always; with DATABASE_URL,
 * node-postgres and supabase-js behind the PostgREST stand-in.
 */
export function describeStoreContract<T extends object>(
  pick: (state: PostgresState) => T,
  kit: (factory: StoreFactory<T>) => void,
): void {
  const contract = (harness: () => Harness) => {
    const h = harness();
    const tests = new Map<T, TestState>();
    kit({
      async create() {
        const test = await h.create();
        tests.set(pick(test.state), test);
        return pick(test.state);
      },
      async destroy(store) {
        await tests.get(store)?.destroy();
        tests.delete(store);
      },
    });
  };

  describe('PGlite', () => contract(pgliteHarness));
  describe.skipIf(!DATABASE_URL)('Postgres (DATABASE_URL)', () => contract(postgresHarness));

  describe.skipIf(!DATABASE_URL)('supabase-js, Postgres behind a PostgREST stand-in (DATABASE_URL)', () => {
    let pool: pg.Pool | undefined;
    const shared = () => {
      pool ??= new pg.Pool({ connectionString: DATABASE_URL, max: 10 });
      return pool;
    };
    afterAll(async () => pool?.end());
    const tests = new Map<T, { state: PostgresState; schema: string }>();
    kit({
      async create() {
        const schema = randomSchema('act_sb');
        await migrate({ pool: shared() }, { schema });
        const fetch = createPostgrestFetch(poolTransaction(shared()));
        const state = createPostgresState(
          {
            supabaseUrl: 'https://abcdefghijklmnopqrst.supabase.co',
            supabaseKey: 'sb_secret_test',
            clientOptions: { global: { fetch } },
          },
          { schema },
        );
        tests.set(pick(state), { state, schema });
        return pick(state);
      },
      async destroy(store) {
        const test = tests.get(store);
        tests.delete(store);
        if (!test) return;
        await test.state.close();
        await shared().query(`drop schema if exists "${test.schema}" cascade`);
      },
    });
  });
}
