/**
 * What the dashboard's JSON APIs answer, computed from `StateStoreV1`: the
 * freshness table, inbox depth, dead letters and the latency series. Pure
 * functions over the store's figures, so they are tested without a server.
 */
import {
  assessFreshness,
  type ConnectorV1,
  type DeliveryV1,
  type FreshnessStatus,
  type HealthFigureV1,
  type IntegrationEventV1,
  type OutboxMessageV1,
  type OutboxStatsV1,
  type SyncFreshness,
} from '@act/core';

/**
 * Freshness targets of the sources the issue names, used for a source none of
 * the mounted connectors declares (`ConnectorV1.freshnessTargetMs` wins).
 */
export const DEFAULT_FRESHNESS_TARGETS_MS: Readonly<Record<string, number>> = {
  ghl: 30_000,
  xero: 300_000,
  notion: 900_000,
  gmail: 300_000,
  'google-calendar': 300_000,
  emailbison: 5_000,
};

/** For a source with no declared and no default target. */
export const FALLBACK_FRESHNESS_TARGET_MS = 300_000;

/** An integration event as the browser gets it: dates as ISO strings, nothing but the log row. */
export interface EventView {
  /** Row id in `act_integration_events`, when the source of the event knows it. */
  id?: string;
  source: string;
  tenant: string;
  type: string;
  entity: string;
  entityId: string;
  table?: string;
  outcome: IntegrationEventV1['outcome'];
  triggeredBy: IntegrationEventV1['triggeredBy'];
  latencyMs?: number;
  providerLatencyMs?: number;
  correlationId?: string;
  deliveryId?: string;
  summary?: Readonly<Record<string, unknown>>;
  createdAt: string;
}

export function toEventView(event: IntegrationEventV1 & { id?: string }): EventView {
  const createdAt = event.createdAt instanceof Date ? event.createdAt : new Date(event.createdAt as unknown as string);
  return {
    ...(event.id !== undefined ? { id: String(event.id) } : {}),
    source: event.source,
    tenant: event.tenant,
    type: event.type,
    entity: event.entity,
    entityId: event.entityId,
    ...(event.table !== undefined ? { table: event.table } : {}),
    outcome: event.outcome,
    triggeredBy: event.triggeredBy,
    ...(event.latencyMs !== undefined ? { latencyMs: event.latencyMs } : {}),
    ...(event.providerLatencyMs !== undefined ? { providerLatencyMs: event.providerLatencyMs } : {}),
    ...(event.correlationId !== undefined ? { correlationId: event.correlationId } : {}),
    ...(event.deliveryId !== undefined ? { deliveryId: event.deliveryId } : {}),
    ...(event.summary !== undefined ? { summary: event.summary } : {}),
    createdAt: Number.isNaN(createdAt.getTime()) ? new Date(0).toISOString() : createdAt.toISOString(),
  };
}

export interface FreshnessRow {
  source: string;
  /** `null` for a mounted connector that has seen no delivery or event yet. */
  tenant: string | null;
  status: FreshnessStatus;
  reason?: string;
  lagMs: number;
  targetMs: number;
  /** Where the target came from. */
  targetFrom: 'connector' | 'default' | 'fallback';
  pending: number;
  processing: number;
  dead: number;
  oldestPendingAgeMs: number | null;
  lastEventAt: string | null;
  /** Age of the newest applied change. */
  lastEventAgeMs: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  eventsLastHour: number;
  /** Conflicting redeliveries kept (a known delivery id with a different body). */
  conflicts: number;
}

export interface InboxDepth {
  pending: number;
  processing: number;
  dead: number;
  oldestPendingAgeMs: number | null;
  conflicts: number;
}

export interface HealthView {
  generatedAt: string;
  inbox: InboxDepth;
  rows: FreshnessRow[];
}

export function freshnessTarget(
  source: string,
  connectors: readonly Pick<ConnectorV1, 'source' | 'freshnessTargetMs'>[],
  defaults: Readonly<Record<string, number>> = DEFAULT_FRESHNESS_TARGETS_MS,
): { targetMs: number; targetFrom: FreshnessRow['targetFrom'] } {
  const declared = connectors.find((connector) => connector.source === source)?.freshnessTargetMs;
  if (typeof declared === 'number' && declared > 0) return { targetMs: declared, targetFrom: 'connector' };
  const fallback = defaults[source];
  if (typeof fallback === 'number') return { targetMs: fallback, targetFrom: 'default' };
  return { targetMs: FALLBACK_FRESHNESS_TARGET_MS, targetFrom: 'fallback' };
}

/** One row per source and tenant of the store's health figures, graded against each source's target. */
export function buildHealthView(
  figures: readonly HealthFigureV1[],
  connectors: readonly Pick<ConnectorV1, 'source' | 'freshnessTargetMs'>[],
  now: Date,
  defaults?: Readonly<Record<string, number>>,
): HealthView {
  const rows: FreshnessRow[] = figures.map((figure) => {
    const { targetMs, targetFrom } = freshnessTarget(figure.source, connectors, defaults);
    const assessment = assessFreshness(figure, targetMs);
    const lastEventAt = figure.lastEventAt ? new Date(figure.lastEventAt) : null;
    return {
      source: figure.source,
      tenant: figure.tenant,
      status: assessment.status,
      ...(assessment.reason ? { reason: assessment.reason } : {}),
      lagMs: assessment.lagMs,
      targetMs,
      targetFrom,
      pending: figure.pending,
      processing: figure.processing,
      dead: figure.dead,
      oldestPendingAgeMs: figure.oldestPendingAgeMs,
      lastEventAt: lastEventAt ? lastEventAt.toISOString() : null,
      lastEventAgeMs: lastEventAt ? Math.max(0, now.getTime() - lastEventAt.getTime()) : null,
      latencyP50Ms: figure.latencyP50Ms,
      latencyP95Ms: figure.latencyP95Ms,
      eventsLastHour: figure.eventsLastHour,
      conflicts: figure.conflicts ?? 0,
    };
  });
  // A mounted connector nobody has sent anything yet still gets its line (quiet is fresh).
  for (const connector of connectors) {
    if (rows.some((row) => row.source === connector.source)) continue;
    const { targetMs, targetFrom } = freshnessTarget(connector.source, connectors, defaults);
    rows.push({
      source: connector.source,
      tenant: null,
      status: 'green',
      reason: 'no deliveries yet',
      lagMs: 0,
      targetMs,
      targetFrom,
      pending: 0,
      processing: 0,
      dead: 0,
      oldestPendingAgeMs: null,
      lastEventAt: null,
      lastEventAgeMs: null,
      latencyP50Ms: null,
      latencyP95Ms: null,
      eventsLastHour: 0,
      conflicts: 0,
    });
  }
  rows.sort((a, b) => a.source.localeCompare(b.source) || (a.tenant ?? '').localeCompare(b.tenant ?? ''));

  let oldest: number | null = null;
  for (const figure of figures) {
    if (figure.oldestPendingAgeMs !== null && (oldest === null || figure.oldestPendingAgeMs > oldest)) {
      oldest = figure.oldestPendingAgeMs;
    }
  }
  return {
    generatedAt: now.toISOString(),
    inbox: {
      pending: sum(figures, 'pending'),
      processing: sum(figures, 'processing'),
      dead: sum(figures, 'dead'),
      oldestPendingAgeMs: oldest,
      conflicts: figures.reduce((total, figure) => total + (figure.conflicts ?? 0), 0),
    },
    rows,
  };
}

const sum = (figures: readonly HealthFigureV1[], key: 'pending' | 'processing' | 'dead'): number =>
  figures.reduce((total, figure) => total + figure[key], 0);

/** A dead letter as the dashboard lists it: provenance, never the raw body or headers. */
export interface DeadLetterView {
  id: string;
  source: string;
  tenant: string;
  eventTypes: readonly string[];
  attempts: number;
  lastError: string | null;
  lastErrorClass: string | null;
  receivedAt: string;
  correlationId: string;
}

export function toDeadLetterView(delivery: DeliveryV1): DeadLetterView {
  return {
    id: delivery.id,
    source: delivery.source,
    tenant: delivery.tenant,
    eventTypes: delivery.eventTypes,
    attempts: delivery.attempts,
    lastError: delivery.lastError,
    lastErrorClass: delivery.lastErrorClass,
    receivedAt: new Date(delivery.receivedAt).toISOString(),
    correlationId: delivery.correlationId,
  };
}

/** A conflicting redelivery as the dashboard lists it: which delivery it conflicts with, never its body. */
export interface ConflictView {
  id: string;
  /** The delivery first stored under the same delivery id. */
  conflictOf: string | null;
  source: string;
  tenant: string;
  eventTypes: readonly string[];
  /** `done` means processed: its records were applied only where newer. */
  status: DeliveryV1['status'];
  receivedAt: string;
}

export function toConflictView(delivery: DeliveryV1): ConflictView {
  return {
    id: delivery.id,
    conflictOf: delivery.conflictOf ?? null,
    source: delivery.source,
    tenant: delivery.tenant,
    eventTypes: delivery.eventTypes,
    status: delivery.status,
    receivedAt: new Date(delivery.receivedAt).toISOString(),
  };
}

export interface LatencyPoint {
  /** Start of the bucket, ISO 8601. */
  at: string;
  count: number;
  p50Ms: number;
  p99Ms: number;
}

export interface LatencyView {
  windowMs: number;
  bucketMs: number;
  /** Buckets with at least one event, oldest first. */
  points: LatencyPoint[];
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Receipt-to-commit latency p50/p99 per time bucket over the window ending at `now`. */
export function buildLatencyView(
  events: readonly IntegrationEventV1[],
  now: Date,
  options: { windowMs: number; bucketMs: number },
): LatencyView {
  const { windowMs, bucketMs } = options;
  const end = now.getTime();
  const start = Math.floor((end - windowMs) / bucketMs) * bucketMs;
  const buckets = new Map<number, number[]>();
  for (const event of events) {
    if (typeof event.latencyMs !== 'number' || !Number.isFinite(event.latencyMs)) continue;
    const at = new Date(event.createdAt).getTime();
    if (!(at >= start && at <= end)) continue;
    const bucket = Math.floor(at / bucketMs) * bucketMs;
    const values = buckets.get(bucket) ?? [];
    values.push(event.latencyMs);
    buckets.set(bucket, values);
  }
  const points = [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([bucket, values]) => {
      values.sort((a, b) => a - b);
      return {
        at: new Date(bucket).toISOString(),
        count: values.length,
        p50Ms: percentile(values, 50),
        p99Ms: percentile(values, 99),
      };
    });
  return { windowMs, bucketMs, points };
}

/** One row of the scheduler's freshness (`Scheduler.status()`), as the page shows it: ages rather than dates. */
export interface SyncRowView {
  source: string;
  tenant: string;
  /** The poller's stream; `''` for a webhook source without pollers. */
  stream: string;
  /** `webhooks`, `polling` (webhooks quiet: the fallback pollers run), or `null` for a poll-only source. */
  mode: string | null;
  status: string;
  reason: string | null;
  lastWebhookAgeMs: number | null;
  lastPollAgeMs: number | null;
  lastReconcileAgeMs: number | null;
  quietAfterMs: number | null;
}

export function toSyncView(rows: readonly SyncFreshness[], now: Date): SyncRowView[] {
  const age = (date: Date | null) => (date ? Math.max(0, now.getTime() - date.getTime()) : null);
  return rows.map((row) => ({
    source: row.source,
    tenant: row.tenant,
    stream: row.stream,
    mode: row.mode,
    status: row.status,
    reason: row.reason ?? null,
    lastWebhookAgeMs: age(row.lastWebhookAt),
    lastPollAgeMs: age(row.lastPollAt),
    lastReconcileAgeMs: age(row.lastReconcileAt),
    quietAfterMs: row.quietAfterMs,
  }));
}

/**
 * A message waiting longer than this turns its destination red (nothing is
 * delivering it); half of it, amber. The same default as `act health`.
 */
export const OUTBOX_WAIT_TARGET_MS = 5 * 60_000;

/** One outbox destination's depth and failures (`OutboxStoreV1.stats`), graded like `act outbox`. */
export interface OutboxDestinationView {
  destination: string;
  pending: number;
  processing: number;
  dead: number;
  /** Age of the oldest waiting message; `null` when none waits. */
  oldestWaitingAgeMs: number | null;
  status: FreshnessStatus;
  reason: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  lastDoneAt: string | null;
}

export function toOutboxDestinationView(
  stats: OutboxStatsV1,
  now: Date,
  targetMs = OUTBOX_WAIT_TARGET_MS,
): OutboxDestinationView {
  const waitMs = stats.oldestWaitingAt ? Math.max(0, now.getTime() - stats.oldestWaitingAt.getTime()) : null;
  const grade = ((): { status: FreshnessStatus; reason: string | null } => {
    if (waitMs !== null && waitMs > targetMs) return { status: 'red', reason: 'messages waiting past the target' };
    if (stats.dead > 0) return { status: 'amber', reason: `${stats.dead} dead` };
    if (waitMs !== null && waitMs > targetMs / 2) return { status: 'amber', reason: 'waiting past half the target' };
    return { status: 'green', reason: null };
  })();
  return {
    destination: stats.destination,
    pending: stats.pending,
    processing: stats.processing,
    dead: stats.dead,
    oldestWaitingAgeMs: waitMs,
    ...grade,
    lastError: stats.lastError ?? null,
    lastErrorAt: stats.lastErrorAt?.toISOString() ?? null,
    lastDoneAt: stats.lastDoneAt?.toISOString() ?? null,
  };
}

/** A dead outbox message as the dashboard lists it: where it was going and why it failed, never its payload. */
export interface OutboxMessageView {
  id: string;
  destination: string;
  key: string;
  tenant: string | null;
  attempts: number;
  lastError: string | null;
  lastErrorClass: string | null;
  createdAt: string;
}

export function toOutboxMessageView(message: OutboxMessageV1): OutboxMessageView {
  return {
    id: message.id,
    destination: message.destination,
    key: message.key,
    tenant: message.tenant ?? null,
    attempts: message.attempts,
    lastError: message.lastError ?? null,
    lastErrorClass: message.lastErrorClass ?? null,
    createdAt: message.createdAt.toISOString(),
  };
}
