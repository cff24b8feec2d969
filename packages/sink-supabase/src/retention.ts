import { ConfigurationError } from '@act/core';
import { PACKAGE_NAME } from './errors';
import type { BackendProvider } from './postgres-state-store';

export interface CleanupOptions {
  /**
   * Done deliveries (with their attempts) completed, and integration events,
   * job runs and sync events recorded, longer ago than this. Defaults to 30.
   */
  olderThanDays?: number;
  /**
   * Also dead deliveries received and last attempted longer ago than this.
   * Without it dead letters are kept: they are evidence until replayed.
   */
  deadOlderThanDays?: number;
  /** Rows per batch, each batch one transaction. Defaults to 5,000. */
  batchSize?: number;
  /** The clock the ages are measured against; the state's `now`, or the database clock. */
  now?: Date;
}

/** What `cleanup()` deleted. */
export interface CleanupResult {
  deliveries: number;
  attempts: number;
  events: number;
  /** Runs of the scheduler's jobs (`act_job_runs`). */
  jobRuns: number;
  /** Entries of the sync log (`act_sync_events`). */
  syncEvents: number;
}

function wholeDays(name: string, value: number | undefined, fallback: number | null): number | null {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigurationError({
      packageName: PACKAGE_NAME,
      message: `cleanup: ${name} must be a whole number of days, 0 or more, got ${String(value)}`,
    });
  }
  return value;
}

/**
 * Delete what retention allows (SQL function `act_cleanup`, 0008_act_retention,
 * with job runs and sync events since 0010_act_sync)
 * one batch per call, so each transaction is short and holds its row locks
 * briefly, until nothing older is left.
 */
export async function runCleanup(
  backend: BackendProvider,
  options: CleanupOptions = {},
  clock?: () => Date,
): Promise<CleanupResult> {
  const olderThanDays = wholeDays('olderThanDays', options.olderThanDays, 30);
  const deadOlderThanDays = wholeDays('deadOlderThanDays', options.deadOlderThanDays, null);
  const batchSize = options.batchSize ?? 5_000;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ConfigurationError({
      packageName: PACKAGE_NAME,
      message: `cleanup: batchSize must be a positive whole number, got ${String(batchSize)}`,
    });
  }
  // Without a clock each batch measures against the database clock as it runs.
  const now = options.now ?? clock?.() ?? null;
  const total: CleanupResult = { deliveries: 0, attempts: 0, events: 0, jobRuns: 0, syncEvents: 0 };
  for (;;) {
    const opened = await backend();
    const [row] = await opened.call('act_cleanup', {
      p_older_than_days: olderThanDays,
      p_dead_older_than_days: deadOlderThanDays,
      p_now: now,
      p_batch_size: batchSize,
      p_max_batches: 1,
    });
    total.deliveries += Number(row?.deliveries ?? 0);
    total.attempts += Number(row?.attempts ?? 0);
    total.events += Number(row?.events ?? 0);
    total.jobRuns += Number(row?.job_runs ?? 0);
    total.syncEvents += Number(row?.sync_events ?? 0);
    if (row?.more !== true) return total;
  }
}
