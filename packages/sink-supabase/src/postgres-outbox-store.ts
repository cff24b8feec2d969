import {
  type ClaimedOutboxMessageV1,
  ConfigurationError,
  type ErrorClassV1,
  type NewOutboxMessageV1,
  type OutboxMessageV1,
  type OutboxStatusV1,
  type OutboxStoreV1,
  type PendingOutboxMessageV1,
  type SinkOperationOutcomeV1,
} from '@act/core';
import { requireReplayFilter } from '@act/core/internal';
import { PACKAGE_NAME } from './errors';
import { type BackendProvider, toDate } from './postgres-state-store';
import type { Row } from './sql/driver';

export interface PostgresOutboxStoreOptions {
  /** Clock for calls that give no `now`; without it the database clock is used. */
  now?: () => Date;
}

/** Ids the `bigint` identity can hold; anything else matches no message. */
const ID_PATTERN = /^[1-9]\d{0,18}$/;

const isoOrNull = (date: Date | undefined): string | null =>
  date instanceof Date && Number.isFinite(date.getTime()) ? date.toISOString() : null;

/** jsonb as an object: drivers parse it, PostgREST sends it parsed, a string is parsed here. */
function toObject(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') return JSON.parse(value) as Record<string, unknown>;
  return (value ?? {}) as Record<string, unknown>;
}

const present = (value: unknown): value is string => typeof value === 'string';

/** A row of `act_outbox` as `OutboxMessageV1`: absent optional fields are left out, as the memory store does. */
export function toOutboxMessage(row: Row): OutboxMessageV1 {
  return {
    id: String(row.id),
    destination: row.destination as string,
    key: row.key as string,
    ...(present(row.source) ? { source: row.source } : {}),
    ...(present(row.tenant) ? { tenant: row.tenant } : {}),
    ...(present(row.delivery_id) ? { deliveryId: row.delivery_id } : {}),
    ...(present(row.correlation_id) ? { correlationId: row.correlation_id } : {}),
    // Any JSON value, a string included: the drivers and PostgREST parse jsonb already.
    payload: row.payload ?? null,
    status: row.status as OutboxStatusV1,
    attempts: Number(row.attempts ?? 0),
    createdAt: toDate(row.created_at),
    availableAt: toDate(row.available_at),
    ...(row.done_at !== null && row.done_at !== undefined ? { doneAt: toDate(row.done_at) } : {}),
    ...(present(row.last_error) ? { lastError: row.last_error } : {}),
    ...(present(row.last_error_class) ? { lastErrorClass: row.last_error_class as ErrorClassV1 } : {}),
    ...(row.result !== null && row.result !== undefined ? { result: { ...toObject(row.result) } } : {}),
  };
}

function toClaimed(row: Row): ClaimedOutboxMessageV1 {
  return { ...toOutboxMessage(row), claimToken: String(row.claim_token), leaseExpiresAt: toDate(row.lease_expires_at) };
}

/** A message as `act_outbox_enqueue` (and `act_sink_apply`'s `p_outbox`) takes it. */
export function toOutboxRow(message: NewOutboxMessageV1): Record<string, unknown> {
  if (typeof message.destination !== 'string' || message.destination === '' || typeof message.key !== 'string') {
    throw new ConfigurationError({
      packageName: PACKAGE_NAME,
      message: 'outbox: every message needs a destination and a key',
    });
  }
  if (message.key === '') {
    throw new ConfigurationError({ packageName: PACKAGE_NAME, message: 'outbox: a message key cannot be empty' });
  }
  return {
    destination: message.destination,
    key: message.key,
    source: message.source ?? null,
    tenant: message.tenant ?? null,
    delivery_id: message.deliveryId ?? null,
    correlation_id: message.correlationId ?? null,
    // `undefined` would vanish from the JSON: store it as JSON null.
    payload: message.payload === undefined ? null : message.payload,
    available_at: isoOrNull(message.availableAt),
  };
}

/**
 * A pending outbox message as `act_sink_apply`'s `p_outbox` takes it (see
 * 0012_act_outbox.sql): the message as `act_outbox_enqueue` takes it, the
 * operation index, and the outcome where collapsing already decided it.
 */
export function toPendingOutboxRow(
  message: PendingOutboxMessageV1,
  collapsed: readonly (SinkOperationOutcomeV1 | undefined)[],
): Record<string, unknown> {
  const known = message.operation !== undefined ? collapsed[message.operation] : undefined;
  return {
    ...toOutboxRow(message),
    ...(message.operation !== undefined ? { operation: message.operation } : {}),
    ...(known ? { outcome: known.outcome } : {}),
    ...(message.onlyIfChanged ? { only_if_changed: true } : {}),
  };
}

/**
 * `OutboxStoreV1` over the SQL functions of migration 0012_act_outbox
 * (`act_outbox`, `act_outbox_attempts`). Every method is one function call,
 * so one transaction, on any backend (node-postgres, PGlite, supabase-js);
 * leases hold across processes and machines. Messages committed with the
 * mirror rows go through the sink instead (`act_sink_apply`'s `p_outbox`).
 */
export function createPostgresOutboxStore(
  backend: BackendProvider,
  options: PostgresOutboxStoreOptions = {},
): OutboxStoreV1 {
  const clock = options.now;
  const now = (given?: Date): Date | null => given ?? clock?.() ?? null;

  return {
    specificationVersion: 'v1',

    async enqueue(messages) {
      if (messages.length === 0) return [];
      const rows = await (await backend()).call('act_outbox_enqueue', {
        p_messages: messages.map(toOutboxRow),
        p_now: now(),
      });
      const results = rows
        .map((row) => ({ ord: Number(row.ord), id: String(row.id), duplicate: row.duplicate === true }))
        .sort((a, b) => a.ord - b.ord);
      if (results.length !== messages.length) {
        throw new Error(
          `[${PACKAGE_NAME}] act_outbox_enqueue answered ${results.length} rows for ${messages.length} messages`,
        );
      }
      return results.map(({ id, duplicate }) => ({ id, duplicate }));
    },

    async claim(request) {
      if (!(request.limit > 0)) return [];
      const rows = await (await backend()).call('act_outbox_claim', {
        p_owner: request.owner,
        p_limit: Math.floor(request.limit),
        p_lease_ms: Math.max(0, Math.round(request.leaseMs)),
        p_destinations: request.destinations ? [...request.destinations] : null,
        p_now: now(request.now),
      });
      return rows.map(toClaimed);
    },

    async complete(request) {
      if (!ID_PATTERN.test(request.id)) return false;
      const [row] = await (await backend()).call('act_outbox_complete', {
        p_id: request.id,
        p_claim_token: request.claimToken,
        p_result: request.result ?? null,
        p_now: now(request.now),
      });
      return row?.result === true;
    },

    async fail(request) {
      if (!ID_PATTERN.test(request.id)) return 'lease-lost';
      const [row] = await (await backend()).call('act_outbox_fail', {
        p_id: request.id,
        p_claim_token: request.claimToken,
        p_error: request.error,
        p_error_class: request.errorClass,
        p_retry_at: request.retryAt,
        p_counts_towards_schedule: request.countsTowardsSchedule,
        p_now: now(request.now),
      });
      return row?.result as 'retrying' | 'dead' | 'lease-lost';
    },

    async replay(selector) {
      requireReplayFilter(selector, ['destination', 'tenant', 'from', 'to'], 'outbox replay', PACKAGE_NAME);
      const byIds = selector.ids !== undefined && selector.ids.length > 0;
      // Ids that cannot exist match nothing, as in the memory store.
      const ids = byIds ? selector.ids?.filter((id) => ID_PATTERN.test(id)) : undefined;
      if (ids && ids.length === 0) return 0;
      const [row] = await (await backend()).call('act_outbox_replay', {
        p_ids: ids ?? null,
        p_destination: selector.destination ?? null,
        p_tenant: selector.tenant ?? null,
        p_from: isoOrNull(selector.from),
        p_to: isoOrNull(selector.to),
        p_statuses: selector.statuses ? [...selector.statuses] : null,
        p_now: now(),
      });
      return Number(row?.result ?? 0);
    },

    async get(id) {
      if (!ID_PATTERN.test(id)) return null;
      const [row] = await (await backend()).call('act_outbox_get', { p_id: id });
      return row ? toOutboxMessage(row) : null;
    },

    async list(request = {}) {
      const rows = await (await backend()).call('act_outbox_list', {
        p_destination: request.destination ?? null,
        p_status: request.status ?? null,
        p_tenant: request.tenant ?? null,
        p_limit: request.limit ?? 100,
      });
      return rows.map(toOutboxMessage);
    },

    async stats() {
      const rows = await (await backend()).call('act_outbox_stats', {});
      return rows.map((row) => ({
        destination: row.destination as string,
        pending: Number(row.pending ?? 0),
        processing: Number(row.processing ?? 0),
        dead: Number(row.dead ?? 0),
        ...(row.oldest_waiting_at ? { oldestWaitingAt: toDate(row.oldest_waiting_at) } : {}),
        ...(present(row.last_error) ? { lastError: row.last_error } : {}),
        ...(row.last_error_at ? { lastErrorAt: toDate(row.last_error_at) } : {}),
        ...(row.last_done_at ? { lastDoneAt: toDate(row.last_done_at) } : {}),
      }));
    },
  };
}
