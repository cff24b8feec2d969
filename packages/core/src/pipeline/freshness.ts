import type { HealthFigureV1 } from '../spec/v1';

/** `green` within target, `amber` nearing it or with dead letters, `red` past it. */
export type FreshnessStatus = 'green' | 'amber' | 'red';

export interface FreshnessAssessment {
  status: FreshnessStatus;
  /**
   * How far behind the mirror may be, in ms: the age of the oldest delivery
   * still waiting to be applied (0 when nothing waits). A quiet source with an
   * empty inbox is fresh: no webhook means no change.
   */
  lagMs: number;
  targetMs: number;
  /** Why the status is not green, for a table or a tooltip. */
  reason?: string;
}

/**
 * Compare one source's and tenant's backlog with its freshness target
 * (`ConnectorV1.freshnessTargetMs`):
 * - `red` when the oldest waiting delivery is older than the target, or the
 *   p95 receipt-to-commit latency of the last hour is past it;
 * - `amber` when the backlog is past half the target, or dead letters wait
 *   for a replay (something was not applied);
 * - `green` otherwise.
 */
export function assessFreshness(
  figure: Pick<HealthFigureV1, 'oldestPendingAgeMs' | 'latencyP95Ms' | 'dead'>,
  targetMs: number,
): FreshnessAssessment {
  const lagMs = Math.max(0, figure.oldestPendingAgeMs ?? 0);
  const p95 = figure.latencyP95Ms ?? 0;
  if (lagMs > targetMs) return { status: 'red', lagMs, targetMs, reason: 'oldest waiting delivery is past the target' };
  if (p95 > targetMs)
    return { status: 'red', lagMs, targetMs, reason: 'p95 latency over the last hour is past the target' };
  if (lagMs > targetMs / 2) return { status: 'amber', lagMs, targetMs, reason: 'backlog is past half the target' };
  if (figure.dead > 0)
    return { status: 'amber', lagMs, targetMs, reason: `${figure.dead} dead letter(s) wait for a replay` };
  return { status: 'green', lagMs, targetMs };
}

/** What `assessSyncFreshness` grades one source × tenant × stream on (a row of `Scheduler.status()`). */
export interface SyncFreshnessInput {
  /** The tenant's connection status; anything but `active` is red. */
  connectionStatus: 'active' | 'reconnect_required' | 'disconnected';
  /** `true` when the source receives webhooks. */
  webhooks: boolean;
  /** The tenant's mode (`polling` while its webhooks are quiet); `null` for a poll-only source. */
  mode: 'webhooks' | 'polling' | null;
  lastWebhookAt: Date | null;
  /** After how long without a webhook the tenant counts as quiet; `null` for a poll-only source. */
  quietAfterMs: number | null;
  /**
   * The stream's poll job, when one is planned (a poll-only stream, a fallback
   * poller while quiet, a poller with its own interval).
   */
  poll: {
    intervalMs: number;
    lastSuccessAt: Date | null;
    /** When grading starts for a poller that never succeeded (the tenant's connection time). */
    since: Date;
    leaseOwner: string | null;
    leaseExpiresAt: Date | null;
  } | null;
  /** Time a poll may take on top of its interval before it counts as late; default 2 minutes. */
  allowanceMs?: number;
}

export interface SyncFreshnessAssessment {
  status: FreshnessStatus;
  /** Why the status is not green. */
  reason?: string;
}

/**
 * Grade how fresh one stream of one tenant is kept, including when nothing
 * arrives at all (which `assessFreshness`, reading the inbox, cannot see):
 * - `red` when the connection is not active, or its poller has stopped: no
 *   successful poll for 3 intervals, or the process running it died holding
 *   its lease;
 * - for a polled stream, green while the last successful poll is within the
 *   interval plus the allowance, amber up to twice that, red beyond;
 * - `amber` for a webhook source quiet past its threshold (its fallback
 *   pollers run meanwhile);
 * - `green` otherwise.
 */
export function assessSyncFreshness(input: SyncFreshnessInput, now: Date): SyncFreshnessAssessment {
  if (input.connectionStatus !== 'active') {
    return {
      status: 'red',
      reason:
        input.connectionStatus === 'reconnect_required'
          ? 'the connection must be reconnected: nothing syncs until then'
          : 'the tenant is disconnected',
    };
  }
  const allowanceMs = input.allowanceMs ?? 120_000;
  let polled: SyncFreshnessAssessment = { status: 'green' };
  if (input.poll) {
    const { intervalMs, lastSuccessAt, leaseOwner, leaseExpiresAt } = input.poll;
    const age = now.getTime() - (lastSuccessAt ?? input.poll.since).getTime();
    const due = intervalMs + allowanceMs;
    if (leaseOwner !== null && leaseExpiresAt !== null && now.getTime() - leaseExpiresAt.getTime() > allowanceMs) {
      return {
        status: 'red',
        reason: `poller stopped: ${leaseOwner} stopped while running it (lease expired ${formatMs(now.getTime() - leaseExpiresAt.getTime())} ago)`,
      };
    }
    if (age > 3 * intervalMs && age > due) {
      return {
        status: 'red',
        reason: `poller stopped: ${lastSuccessAt ? `last successful poll ${formatMs(age)} ago` : `no successful poll in ${formatMs(age)}`} (every ${formatMs(intervalMs)})`,
      };
    }
    if (age > 2 * due)
      polled = { status: 'red', reason: `last successful poll ${formatMs(age)} ago (every ${formatMs(intervalMs)})` };
    else if (age > due)
      polled = { status: 'amber', reason: `last successful poll ${formatMs(age)} ago (every ${formatMs(intervalMs)})` };
  }
  if (polled.status === 'red') return polled;
  if (input.webhooks && input.quietAfterMs !== null) {
    const silentMs = input.lastWebhookAt ? now.getTime() - input.lastWebhookAt.getTime() : null;
    // Never heard from yet and not switched: the scheduler switches it once it
    // has been connected past the threshold.
    if (input.mode === 'polling' || (silentMs !== null && silentMs > input.quietAfterMs)) {
      return {
        status: 'amber',
        reason: `webhooks quiet ${silentMs === null ? '(none received)' : `for ${formatMs(silentMs)}`}, past ${formatMs(input.quietAfterMs)}: ${input.poll ? 'polling meanwhile' : 'no fallback poller'}`,
      };
    }
  }
  return polled;
}

/** `90 s`, `12 min`, `3.5 h`: durations for a reason a person reads. */
function formatMs(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 360_000) / 10} h`;
}
