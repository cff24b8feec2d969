import type { SyncStoreV1 } from '@act/core';
import { CliError, type CliIo, EXIT } from './cli-io';
import { notReady, type StateFlags, withState } from './cli-state';

/**
 * The state's sync store (`ActState.sync`), or a clear error when the state
 * has none: an `@act/sink-supabase` from before the sync engine.
 */
export function syncOf(state: { readonly sync?: SyncStoreV1 | undefined }, description: string): SyncStoreV1 {
  if (state.sync) return state.sync;
  throw new CliError(
    `${description} has no sync store (state.sync): the installed @act/sink-supabase predates the sync engine; update it, then run act migrate`,
    EXIT.usage,
  );
}

/**
 * Run `fn` with the sync store: `io.sync` when given, else the database's
 * (opened and closed like every database command, refused when migrations are pending).
 */
export async function withSyncStore<T>(
  flags: StateFlags,
  io: CliIo,
  fn: (sync: SyncStoreV1, description: string) => Promise<T>,
): Promise<T> {
  if (io.sync) return fn(io.sync, 'the sync store');
  return withState(flags, io, async (state, description) => {
    // PostgresState gains `sync` with the sync engine; read it without assuming it is there.
    const sync = syncOf(state as { readonly sync?: SyncStoreV1 }, description);
    const why = await notReady(state);
    if (why) throw new CliError(`${description} is not ready: ${why}`, EXIT.failed);
    return fn(sync, description);
  });
}

/** A time for a table cell: ISO 8601 to the second, `-` when there is none. */
export function when(date: Date | null | undefined): string {
  return date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}
