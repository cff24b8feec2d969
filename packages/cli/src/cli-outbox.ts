import type { OutboxStatsV1, OutboxStoreV1 } from '@act/core';
import { CliError, type CliIo, EXIT } from './cli-io';
import { notReady, type StateFlags, withState } from './cli-state';

/**
 * Run `fn` with the outbox store: `io.outbox` when given, else the
 * database's (opened and closed like every database command, refused when
 * migrations are pending).
 */
export async function withOutbox<T>(
  flags: StateFlags,
  io: CliIo,
  fn: (outbox: OutboxStoreV1, description: string) => Promise<T>,
): Promise<T> {
  if (io.outbox) return fn(io.outbox, 'the outbox');
  return withState(flags, io, async (state, description) => {
    const why = await notReady(state);
    if (why) throw new CliError(`${description} is not ready: ${why}`, EXIT.failed);
    return fn(state.outbox, description);
  });
}

/**
 * A message waiting longer than this (pending or processing past its
 * `availableAt`) turns a destination red in `act health`; half of it, amber.
 * Outbox messages are delivered within seconds while the worker runs.
 */
export const OUTBOX_WAIT_TARGET_MS = 5 * 60_000;

export interface OutboxAssessment {
  status: 'green' | 'amber' | 'red';
  /** Age of the oldest waiting message, ms (0 when none waits). */
  waitMs: number;
  reason?: string;
}

/**
 * One destination's grade: red when its oldest waiting message is older than
 * `targetMs` (nothing is delivering it: no worker runs the outbox, or the
 * destination keeps failing); amber past half of it, or with dead messages
 * (delivered never: act outbox list --status dead, then act outbox replay).
 */
export function assessOutbox(stats: OutboxStatsV1, now: Date, targetMs = OUTBOX_WAIT_TARGET_MS): OutboxAssessment {
  const waitMs = stats.oldestWaitingAt ? Math.max(0, now.getTime() - stats.oldestWaitingAt.getTime()) : 0;
  if (waitMs > targetMs) return { status: 'red', waitMs, reason: 'messages waiting past the target' };
  if (stats.dead > 0) return { status: 'amber', waitMs, reason: `${stats.dead} dead` };
  if (waitMs > targetMs / 2) return { status: 'amber', waitMs, reason: 'messages waiting past half the target' };
  return { status: 'green', waitMs };
}
