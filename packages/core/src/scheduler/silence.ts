import type { ConnectorV1, WebhookActivityV1 } from '../spec/v1';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The shortest and longest silence learned from traffic (see `quietThresholdMs`). */
export const LEARNED_QUIET_BOUNDS_MS = Object.freeze({ min: 10 * MINUTE, max: 24 * HOUR });
/** How far back the traffic the threshold is learned from reaches. */
export const ACTIVITY_WINDOW_MS = 7 * 24 * HOUR;

/**
 * After how long without a webhook a tenant of `connector` counts as quiet:
 * the app's `quietAfterMs` (one number, or per source), else the connector's
 * `expectedActivityMs`, else learned from the last 7 days' traffic: ten times
 * the median gap between deliveries (a source that usually hears something
 * every few minutes is suspicious after an hour of silence, one that hears
 * something a day is not), kept within 10 minutes and 24 hours; 24 hours
 * when there is no median yet.
 */
export function quietThresholdMs(
  connector: Pick<ConnectorV1, 'source' | 'expectedActivityMs'>,
  activity: Pick<WebhookActivityV1, 'medianGapMs'> | undefined,
  quietAfterMs: number | Readonly<Record<string, number>> | undefined,
): number {
  const configured = typeof quietAfterMs === 'number' ? quietAfterMs : quietAfterMs?.[connector.source];
  if (configured !== undefined) return configured;
  if (connector.expectedActivityMs !== undefined) return connector.expectedActivityMs;
  const median = activity?.medianGapMs;
  if (median === null || median === undefined) return LEARNED_QUIET_BOUNDS_MS.max;
  return Math.min(LEARNED_QUIET_BOUNDS_MS.max, Math.max(LEARNED_QUIET_BOUNDS_MS.min, 10 * median));
}
