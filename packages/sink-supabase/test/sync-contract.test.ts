import type { SyncStoreV1 } from '@act/core';
import { testSyncStore } from '@act/core/testing';
import pg from 'pg';
import { afterAll, describe } from 'vitest';
import { createPostgresState, migrate, type PostgresState } from '../src';
import { createPostgrestFetch, poolTransaction } from '../src/testing';
import {
  DATABASE_URL,
  type Harness,
  pgliteHarness,
  postgresHarness,
  randomSchema,
  type TestState,
} from './helpers/harness';

// testSyncStore from @act/core/testing against the Postgres sync store
// (migration 0010_act_sync): PGlite always; with DATABASE_URL, node-postgres
// and supabase-js behind the PostgREST stand-in.

function contract(harness: () => Harness) {
  const h = harness();
  const bySync = new Map<SyncStoreV1, TestState>();
  testSyncStore({
    async create() {
      const test = await h.create();
      bySync.set(test.state.sync, test);
      return test.state.sync;
    },
    async destroy(sync) {
      await bySync.get(sync)?.destroy();
      bySync.delete(sync);
    },
  });
}

describe('PGlite', () => contract(pgliteHarness));
describe.skipIf(!DATABASE_URL)('Postgres (DATABASE_URL)', () => contract(postgresHarness));

describe.skipIf(!DATABASE_URL)('supabase-js, Postgres behind a PostgREST stand-in (DATABASE_URL)', () => {
  let pool: pg.Pool | undefined;
  const shared = () => {
    pool ??= new pg.Pool({ connectionString: DATABASE_URL, max: 10 });
    return pool;
  };
  afterAll(async () => pool?.end());
  const bySync = new Map<SyncStoreV1, { state: PostgresState; schema: string }>();
  testSyncStore({
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
      bySync.set(state.sync, { state, schema });
      return state.sync;
    },
    async destroy(sync) {
      const test = bySync.get(sync);
      bySync.delete(sync);
      if (!test) return;
      await test.state.close();
      await shared().query(`drop schema if exists "${test.schema}" cascade`);
    },
  });
});
