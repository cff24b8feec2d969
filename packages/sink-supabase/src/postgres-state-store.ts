import type {
  ClaimedDeliveryV1,
  ClaimRequestV1,
  CompleteRequestV1,
  CursorCommitV1,
  CursorKeyV1,
  DeliveryAttemptV1,
  DeliveryStatusV1,
  DeliveryV1,
  EnqueueResultV1,
  ErrorClassV1,
  FailRequestV1,
  HealthFigureV1,
  IntegrationEventV1,
  ListDeliveriesRequestV1,
  ListEventsRequestV1,
  NewDeliveryV1,
  ReplaySelectorV1,
  StateStoreV1,
  WebhookActivityV1,
} from '@act/core';
import { requireReplayFilter } from '@act/core/internal';
import { createDeliveryWake, type DeliveryWake } from './delivery-wake';
import { PACKAGE_NAME } from './errors';
import { createBatcher, type GroupCommitOptions } from './group-commit';
import type { ActBackend, Row } from './sql/driver';

export type BackendProvider = () => Promise<ActBackend>;

/** Store-assigned ids are bigints; anything else cannot name a stored delivery. */
const ID_PATTERN = /^[1-9]\d{0,18}$/;

export function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  return new Date(value as string);
}

function toDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

function toNumberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** bytea as a fresh Uint8Array: node-postgres gives a Buffer, PGlite a Uint8Array, PostgREST `\x…` hex. */
export function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (typeof value === 'string' && value.startsWith('\\x')) {
    const hex = value.slice(2);
    const bytes = new Uint8Array(hex.length / 2);
    for (let index = 0; index < bytes.length; index++)
      bytes[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16);
    return bytes;
  }
  return new Uint8Array(0);
}

function toDelivery(row: Row): DeliveryV1 {
  return {
    id: String(row.id),
    source: row.source as string,
    tenant: row.tenant as string,
    dedupeKey: row.dedupe_key as string,
    method: row.method as string,
    url: row.url as string,
    headers: { ...((row.headers as Record<string, string> | null) ?? {}) },
    body: toBytes(row.body),
    receivedAt: toDate(row.received_at),
    correlationId: row.correlation_id as string,
    eventTypes: [...((row.event_types as string[] | null) ?? [])],
    status: row.status as DeliveryStatusV1,
    attempts: Number(row.attempts),
    nextAttemptAt: toDate(row.next_attempt_at),
    lastError: (row.last_error as string | null) ?? null,
    lastErrorClass: (row.last_error_class as ErrorClassV1 | null) ?? null,
    completedAt: toDateOrNull(row.completed_at),
    ...(row.conflict_of !== null && row.conflict_of !== undefined ? { conflictOf: String(row.conflict_of) } : {}),
    ...(row.coalesce_key !== null && row.coalesce_key !== undefined ? { coalesceKey: String(row.coalesce_key) } : {}),
    ...(row.coalesced_into !== null && row.coalesced_into !== undefined
      ? { coalescedInto: String(row.coalesced_into) }
      : {}),
  };
}

function toClaimed(row: Row): ClaimedDeliveryV1 {
  return { ...toDelivery(row), claimToken: String(row.claim_token), leaseExpiresAt: toDate(row.lease_expires_at) };
}

function toAttempt(row: Row): DeliveryAttemptV1 {
  return {
    deliveryId: String(row.delivery_id),
    attempt: Number(row.attempt),
    owner: row.owner as string,
    startedAt: toDate(row.started_at),
    finishedAt: toDate(row.finished_at),
    outcome: row.outcome as DeliveryAttemptV1['outcome'],
    ...(row.error !== null && row.error !== undefined ? { error: row.error as string } : {}),
    ...(row.error_class !== null && row.error_class !== undefined
      ? { errorClass: row.error_class as ErrorClassV1 }
      : {}),
  };
}

const isoOrNull = (date: Date | undefined): string | null =>
  date instanceof Date && Number.isFinite(date.getTime()) ? date.toISOString() : null;

const roundedOrNull = (value: number | undefined): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : null;

/** An integration event as the `act_integration_events` columns name it (for `jsonb_populate_recordset`). */
export function toEventRow(event: IntegrationEventV1): Record<string, unknown> {
  return {
    source: event.source,
    tenant: event.tenant,
    event_type: event.type,
    entity_type: event.entity,
    entity_id: event.entityId,
    table_name: event.table ?? null,
    row_id: event.rowId ?? null,
    outcome: event.outcome,
    summary: event.summary ?? null,
    triggered_by: event.triggeredBy,
    latency_ms: roundedOrNull(event.latencyMs),
    provider_latency_ms: roundedOrNull(event.providerLatencyMs),
    correlation_id: event.correlationId ?? null,
    delivery_id: event.deliveryId !== undefined && ID_PATTERN.test(event.deliveryId) ? event.deliveryId : null,
    created_at: isoOrNull(event.createdAt),
  };
}

export function toEvent(row: Row): IntegrationEventV1 {
  const optional = <T>(value: unknown, map: (v: unknown) => T): T | undefined =>
    value === null || value === undefined ? undefined : map(value);
  const event: IntegrationEventV1 = {
    source: row.source as string,
    tenant: row.tenant as string,
    type: row.event_type as string,
    entity: row.entity_type as string,
    entityId: row.entity_id as string,
    outcome: row.outcome as IntegrationEventV1['outcome'],
    triggeredBy: row.triggered_by as IntegrationEventV1['triggeredBy'],
    createdAt: toDate(row.created_at),
  };
  const table = optional(row.table_name, String);
  const rowId = optional(row.row_id, String);
  const latencyMs = optional(row.latency_ms, Number);
  const providerLatencyMs = optional(row.provider_latency_ms, Number);
  const correlationId = optional(row.correlation_id, String);
  const deliveryId = optional(row.delivery_id, String);
  const summary = optional(row.summary, (value) => value as Record<string, unknown>);
  return {
    ...event,
    ...(table !== undefined ? { table } : {}),
    ...(rowId !== undefined ? { rowId } : {}),
    ...(latencyMs !== undefined ? { latencyMs } : {}),
    ...(providerLatencyMs !== undefined ? { providerLatencyMs } : {}),
    ...(correlationId !== undefined ? { correlationId } : {}),
    ...(deliveryId !== undefined ? { deliveryId } : {}),
    ...(summary !== undefined ? { summary } : {}),
  };
}

function toHealth(row: Row): HealthFigureV1 {
  return {
    source: row.source as string,
    tenant: row.tenant as string,
    pending: Number(row.pending),
    processing: Number(row.processing),
    dead: Number(row.dead),
    oldestPendingAgeMs: toNumberOrNull(row.oldest_pending_age_ms),
    lastDeliveryAt: toDateOrNull(row.last_delivery_at),
    lastEventAt: toDateOrNull(row.last_event_at),
    latencyP50Ms: toNumberOrNull(row.latency_p50_ms),
    latencyP95Ms: toNumberOrNull(row.latency_p95_ms),
    eventsLastHour: Number(row.events_last_hour),
    conflicts: Number(row.conflicts ?? 0),
  };
}

export interface PostgresStateStoreOptions {
  /** Clock for calls that give no `now`; without it the database clock is used. */
  now?: () => Date;
  /**
   * Group commit of `enqueue` (on by default): concurrent calls share one
   * `act_enqueue_batch` call, one transaction; each resolves after it commits.
   * `false` makes every call its own `act_enqueue` transaction.
   */
  groupCommit?: boolean | GroupCommitOptions;
  /** Where `onDeliveryEnqueued` listens (the state passes its own, to close it). */
  wake?: DeliveryWake;
}

interface BufferLike {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): { toString(encoding: 'base64'): string };
}

/** bytea for `act_enqueue_batch`'s JSON: base64 (Postgres' `decode(…, 'base64')`). */
export function toBase64(bytes: Uint8Array): string {
  const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let binary = '';
  for (let index = 0; index < bytes.length; index += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(index, index + 0x8000));
  }
  return btoa(binary);
}

type EnqueueResult = EnqueueResultV1;

/**
 * A row of act_enqueue / act_enqueue_batch as the store's answer
 * (`conflictOf` only on a conflict, `coalescedInto` only on a coalesced sync request).
 */
function toEnqueueResult(row: Row | undefined): EnqueueResult {
  const result: EnqueueResult = { id: String(row?.id), duplicate: row?.duplicate === true };
  if (row?.conflict_of !== null && row?.conflict_of !== undefined) result.conflictOf = String(row.conflict_of);
  if (row?.coalesced_into !== null && row?.coalesced_into !== undefined)
    result.coalescedInto = String(row.coalesced_into);
  return result;
}

function toWebhookActivity(row: Row): WebhookActivityV1 {
  return {
    source: row.source as string,
    tenant: row.tenant as string,
    lastDeliveryAt: toDateOrNull(row.last_delivery_at),
    deliveries: Number(row.deliveries ?? 0),
    medianGapMs: toNumberOrNull(row.median_gap_ms),
  };
}

/** A sync request's coalesce key, when it has one ('' is none, as in SQL). */
const coalesceKeyOf = (delivery: NewDeliveryV1): string | null =>
  typeof delivery.coalesceKey === 'string' && delivery.coalesceKey !== '' ? delivery.coalesceKey : null;

/** The Postgres store: `StateStoreV1` with its optional methods present. */
export interface PostgresStateStore extends StateStoreV1 {
  /** One `act_complete_batch` call: one statement, one transaction for all of them. */
  completeMany(requests: readonly CompleteRequestV1[]): Promise<boolean[]>;
  /**
   * Call `listener` when deliveries are stored: at once after this process's
   * `enqueue` (or `replay`), and through `LISTEN` (0002_act_queue) after any
   * process's, on node-postgres and PGlite. supabase-js cannot listen: only
   * this process's own enqueues are heard there. Returns the unsubscribe.
   */
  onDeliveryEnqueued(listener: () => void): () => void;
}

/**
 * `StateStoreV1` over the package's SQL functions. Every method is one
 * function call, so one transaction, on any backend.
 */
export function createPostgresStateStore(
  backend: BackendProvider,
  options: PostgresStateStoreOptions = {},
): PostgresStateStore {
  const clock = options.now;
  const now = (given?: Date): Date | null => given ?? clock?.() ?? null;

  const enqueueOne = async (delivery: NewDeliveryV1): Promise<EnqueueResult> => {
    const [row] = await (await backend()).call('act_enqueue', {
      p_source: delivery.source,
      p_tenant: delivery.tenant,
      p_dedupe_key: delivery.dedupeKey,
      p_method: delivery.method,
      p_url: delivery.url,
      p_headers: delivery.headers,
      p_body: delivery.body,
      p_received_at: delivery.receivedAt,
      p_correlation_id: delivery.correlationId,
      p_event_types: [...delivery.eventTypes],
    });
    return toEnqueueResult(row);
  };

  // One call alone keeps the single-row function, unless it is a sync request
  // (act_enqueue knows no coalesce keys); several share one statement.
  const enqueueMany = async (deliveries: readonly NewDeliveryV1[]): Promise<EnqueueResult[]> => {
    if (deliveries.length === 1 && coalesceKeyOf(deliveries[0] as NewDeliveryV1) === null)
      return [await enqueueOne(deliveries[0] as NewDeliveryV1)];
    const rows = await (await backend()).call('act_enqueue_batch', {
      p_deliveries: deliveries.map((delivery) => ({
        source: delivery.source,
        tenant: delivery.tenant,
        dedupe_key: delivery.dedupeKey,
        method: delivery.method,
        url: delivery.url,
        headers: delivery.headers,
        body: toBase64(delivery.body),
        received_at: isoOrNull(delivery.receivedAt),
        correlation_id: delivery.correlationId,
        event_types: [...delivery.eventTypes],
        coalesce_key: coalesceKeyOf(delivery),
      })),
    });
    const results: EnqueueResult[] = new Array(deliveries.length);
    for (const row of rows) {
      const index = Number(row.ord) - 1;
      if (index >= 0 && index < deliveries.length) results[index] = toEnqueueResult(row);
    }
    for (let index = 0; index < results.length; index++) {
      if (!results[index])
        throw new Error(`[${PACKAGE_NAME}] act_enqueue_batch returned no row for delivery ${index + 1}`);
    }
    return results;
  };

  const wake = options.wake ?? createDeliveryWake(backend);
  const completeRow = (request: CompleteRequestV1) => ({
    id: request.id,
    claim_token: request.claimToken,
    events: request.events.map(toEventRow),
    started_at: isoOrNull(request.startedAt),
    now: isoOrNull(now(request.now) ?? undefined),
  });

  const groupCommit = options.groupCommit ?? true;
  const batcher =
    groupCommit === false ? undefined : createBatcher(enqueueMany, groupCommit === true ? {} : groupCommit);

  return {
    specificationVersion: 'v1',

    async enqueue(delivery: NewDeliveryV1) {
      const result = await (batcher
        ? batcher.submit(delivery)
        : enqueueMany([delivery]).then((results) => results[0] as EnqueueResult));
      // Committed: a worker of this process may claim it now. A coalesced
      // sync request is no new work: the delivery it joined already woke one.
      if (!result.duplicate && result.coalescedInto === undefined) wake.notify();
      return result;
    },

    onDeliveryEnqueued(listener: () => void) {
      return wake.subscribe(listener);
    },

    async claim(request: ClaimRequestV1) {
      const rows = await (await backend()).call('act_claim', {
        p_owner: request.owner,
        p_limit: Math.max(0, Math.floor(request.limit)),
        p_lease_ms: Math.max(0, Math.round(request.leaseMs)),
        p_sources: request.sources ? [...request.sources] : null,
        p_now: now(request.now),
      });
      return rows.map(toClaimed);
    },

    async complete(request: CompleteRequestV1) {
      if (!ID_PATTERN.test(request.id)) return false;
      const [row] = await (await backend()).call('act_complete', {
        p_id: request.id,
        p_claim_token: request.claimToken,
        p_events: request.events.map(toEventRow),
        p_started_at: request.startedAt,
        p_now: now(request.now),
      });
      return row?.result === true;
    },

    async completeMany(requests: readonly CompleteRequestV1[]) {
      if (requests.length === 0) return [];
      const results: boolean[] = requests.map(() => false);
      // Ids that cannot name a stored delivery answer false without a round trip.
      const sent = requests.flatMap((request, index) => (ID_PATTERN.test(request.id) ? [{ request, index }] : []));
      if (sent.length === 0) return results;
      const rows = await (await backend()).call('act_complete_batch', {
        p_completions: sent.map(({ request }) => completeRow(request)),
      });
      for (const row of rows) {
        const entry = sent[Number(row.ord) - 1];
        if (entry) results[entry.index] = row.completed === true;
      }
      return results;
    },

    async fail(request: FailRequestV1) {
      if (!ID_PATTERN.test(request.id)) return 'lease-lost';
      const [row] = await (await backend()).call('act_fail', {
        p_id: request.id,
        p_claim_token: request.claimToken,
        p_error: request.error,
        p_error_class: request.errorClass,
        p_retry_at: request.retryAt,
        p_counts_towards_schedule: request.countsTowardsSchedule,
        p_started_at: request.startedAt,
        p_now: now(request.now),
      });
      return row?.result as 'retrying' | 'dead' | 'lease-lost';
    },

    async replay(selector: ReplaySelectorV1) {
      requireReplayFilter(selector, ['source', 'tenant', 'from', 'to'], 'replay', PACKAGE_NAME);
      // Ids that cannot exist match nothing, as in the memory store.
      const ids = selector.ids?.filter((id) => ID_PATTERN.test(id));
      if (ids && ids.length === 0 && selector.ids && selector.ids.length > 0) return 0;
      const [row] = await (await backend()).call('act_replay', {
        p_ids: ids ?? null,
        p_source: selector.source ?? null,
        p_tenant: selector.tenant ?? null,
        p_from: selector.from ?? null,
        p_to: selector.to ?? null,
        p_statuses: selector.statuses ? [...selector.statuses] : null,
        p_now: now(),
      });
      const replayed = Number(row?.result ?? 0);
      if (replayed > 0) wake.notify();
      return replayed;
    },

    async getDelivery(id: string) {
      if (!ID_PATTERN.test(id)) return null;
      const [row] = await (await backend()).call('act_get_delivery', { p_id: id });
      return row ? toDelivery(row) : null;
    },

    async listDeliveries(request: ListDeliveriesRequestV1) {
      // Migration 0016: conflicting redeliveries have their own listing (and index).
      const rows = await (await backend()).call(request.conflicts ? 'act_list_conflicts' : 'act_list_deliveries', {
        p_status: request.status ?? null,
        p_source: request.source ?? null,
        p_tenant: request.tenant ?? null,
        p_limit: request.limit ?? 100,
      });
      return rows.map(toDelivery);
    },

    async listAttempts(deliveryId: string) {
      if (!ID_PATTERN.test(deliveryId)) return [];
      const rows = await (await backend()).call('act_list_attempts', { p_delivery_id: deliveryId });
      return rows.map(toAttempt);
    },

    async getCursor(key: CursorKeyV1) {
      const [row] = await (await backend()).call('act_get_cursor', {
        p_source: key.source,
        p_tenant: key.tenant,
        p_stream: key.stream,
      });
      return (row?.result as string | null | undefined) ?? null;
    },

    async setCursor(commit: CursorCommitV1) {
      await (await backend()).call('act_set_cursor', {
        p_source: commit.source,
        p_tenant: commit.tenant,
        p_stream: commit.stream,
        p_cursor: commit.cursor,
        p_now: now(),
      });
    },

    async recordEvents(events: readonly IntegrationEventV1[]) {
      if (events.length === 0) return;
      await (await backend()).call('act_record_events', { p_events: events.map(toEventRow), p_now: now() });
    },

    async listEvents(request: ListEventsRequestV1) {
      const rows = await (await backend()).call('act_list_events', {
        p_source: request.source ?? null,
        p_tenant: request.tenant ?? null,
        p_since: request.since ?? null,
        p_limit: request.limit ?? 100,
      });
      return rows.map(toEvent);
    },

    async health(request: { now?: Date } = {}) {
      const rows = await (await backend()).call('act_health_figures', { p_now: now(request.now) });
      return rows.map(toHealth);
    },

    async renewLease(request: { id: string; claimToken: string; leaseMs: number; now?: Date }) {
      if (!ID_PATTERN.test(request.id)) return false;
      const [row] = await (await backend()).call('act_renew_lease', {
        p_id: request.id,
        p_claim_token: request.claimToken,
        p_lease_ms: Math.max(0, Math.round(request.leaseMs)),
        p_now: now(request.now),
      });
      return row?.result === true;
    },

    async webhookActivity(request: { since: Date; now?: Date }) {
      const rows = await (await backend()).call('act_webhook_activity', { p_since: request.since });
      return rows.map(toWebhookActivity);
    },
  };
}
