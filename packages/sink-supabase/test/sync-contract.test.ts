import { testSyncStore } from '@act/core/testing';
import { describeStoreContract } from './helpers/store-contract';

// testSyncStore from @act/core/testing against the Postgres sync store
// (migration 0010_act_sync): PGlite always; with DATABASE_URL, node-postgres
// and supabase-js behind the PostgREST stand-in.
describeStoreContract(
  (state) => state.sync,
  (factory) => testSyncStore(factory),
);
