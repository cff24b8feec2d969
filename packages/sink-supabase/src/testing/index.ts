/**
 * @module
 * `@act/sink-supabase/testing`: test helpers for code that runs on this
 * package's supabase-js driver. Node only (`node:http`); never import it from
 * production code.
 */
export {
  createPostgrestFetch,
  type PostgrestQuery,
  type PostgrestStandIn,
  type PostgrestStandInOptions,
  type PostgrestTransaction,
  pgliteTransaction,
  poolTransaction,
  postgrestStatus,
  startPostgrestStandIn,
} from './postgrest-stand-in';
