import type { OutboxStoreV1 } from '@act/core';
import { testOutboxStore } from '@act/core/testing';
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

// testOutboxStore from @act/core/testing against the Postgres outbox store
// (migration 0012_act_outbox): PGlite always; with DATABASE_URL, node-postgres
// and supabase-js behind the PostgREST stand-in.

function contract(harness: () => Harness) {
  const h = harness();
  const byOutbox = new Map<OutboxStoreV1, TestState>();
  testOutboxStore({
    async create() {
      const test = await h.create();
      byOutbox.set(test.state.outbox, test);
      return test.state.outbox;
    },
    async destroy(outbox) {
      await byOutbox.get(outbox)?.destroy();
      byOutbox.delete(outbox);
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
  const byOutbox = new Map<OutboxStoreV1, { state: PostgresState; schema: string }>();
  testOutboxStore({
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
      byOutbox.set(state.outbox, { state, schema });
      return state.outbox;
    },
    async destroy(outbox) {
      const test = byOutbox.get(outbox);
      byOutbox.delete(outbox);
      if (!test) return;
      await test.state.close();
      await shared().query(`drop schema if exists "${test.schema}" cascade`);
    },
  });
});
