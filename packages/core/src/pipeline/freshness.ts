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
