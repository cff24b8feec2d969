import { testOutboxStore } from '@act/core/testing';
import { describeStoreContract } from './helpers/store-contract';

// testOutboxStore from @act/core/testing against the Postgres outbox store
// (migration 0012_act_outbox): PGlite always; with DATABASE_URL, node-postgres
// and supabase-js behind the PostgREST stand-in.
describeStoreContract(
  (state) => state.outbox,
  (factory) => testOutboxStore(factory),
);
