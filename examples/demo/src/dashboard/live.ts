/**
 * Where the dashboard's live feed comes from:
 *
 * - `subscribe()` of `@act/sink-supabase`'s state: LISTEN/NOTIFY on Postgres
 *   (Supabase's direct connection included) and PGlite;
 * - `realtimeSubscribe(supabase)`: Supabase Realtime, for a state that talks
 *   to Supabase through supabase-js (PostgREST cannot LISTEN);
 * - neither (or a subscribe that refuses, as supabase-js's does): polling
 *   `store.listEvents` once a second, shared by every open page.
 */
import type { IntegrationEventV1, Logger, StateStoreV1 } from '@act/core';

/** An integration event with its row id where the source knows it. */
export type FeedEvent = IntegrationEventV1 & { id?: string };

/** The shape of `PostgresState.subscribe` (and of `realtimeSubscribe`'s result). */
export type SubscribeFn = (
  handler: (event: FeedEvent) => void | Promise<void>,
  options?: { onError?: (error: Error) => void },
) => Promise<() => Promise<void>>;

export interface Feed {
  /** Resolves once events are flowing to `handler`; the result stops them. */
  open(handler: (event: FeedEvent) => void): Promise<() => Promise<void>>;
  /** `listen` (subscribe) or `poll` (the fallback), once known. */
  readonly mode: 'listen' | 'poll' | 'unknown';
}

const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

export function createFeed(options: {
  store: StateStoreV1;
  subscribe?: SubscribeFn | undefined;
  logger: Logger;
  pollMs?: number;
}): Feed {
  const { store, subscribe, logger } = options;
  const poller = createPollingHub(store, options.pollMs ?? 1_000, logger);
  let mode: Feed['mode'] = subscribe ? 'unknown' : 'poll';
  let subscribeRefused = !subscribe;

  return {
    get mode() {
      return mode;
    },
    async open(handler) {
      if (subscribe && !subscribeRefused) {
        try {
          const stop = await subscribe(handler, {
            onError: (error) => logger.warn({ error: error.message }, 'dashboard: live events'),
          });
          mode = 'listen';
          return stop;
        } catch (error) {
          // supabase-js states refuse (PostgREST cannot LISTEN): poll instead, and say so once.
          subscribeRefused = true;
          mode = 'poll';
          logger.warn(
            { error: toError(error).message },
            'dashboard: subscribe() is not available here, polling the event log instead',
          );
        }
      }
      mode = 'poll';
      return poller.add(handler);
    },
  };
}

/** Bounded memory of event keys already sent, to drop the overlap between polls. */
const SEEN_LIMIT = 5_000;
/** Each poll reads back this far before the newest event seen: commits land out of timestamp order. */
const OVERLAP_MS = 5_000;

function eventKey(event: FeedEvent): string {
  if (event.id !== undefined) return `id:${event.id}`;
  return [
    event.source,
    event.tenant,
    event.deliveryId ?? '',
    event.correlationId ?? '',
    event.type,
    event.entity,
    event.entityId,
    event.outcome,
    new Date(event.createdAt).getTime(),
  ].join('\u0000');
}

function createPollingHub(store: StateStoreV1, pollMs: number, logger: Logger) {
  const handlers = new Set<(event: FeedEvent) => void>();
  const seen = new Set<string>();
  let newest: number | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let primed: Promise<void> | undefined;

  const remember = (key: string) => {
    seen.add(key);
    if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value as string);
  };

  const read = async (emit: boolean) => {
    const since = newest === null ? undefined : new Date(newest - OVERLAP_MS);
    const events = await store.listEvents({ ...(since ? { since } : {}), limit: 500 });
    for (const event of [...events].reverse()) {
      const key = eventKey(event);
      if (seen.has(key)) continue;
      remember(key);
      const at = new Date(event.createdAt).getTime();
      if (newest === null || at > newest) newest = at;
      if (!emit) continue;
      for (const handler of handlers) {
        try {
          handler(event);
        } catch (error) {
          logger.warn({ error: toError(error).message }, 'dashboard: feed handler');
        }
      }
    }
  };

  const loop = () => {
    timer = setTimeout(async () => {
      try {
        await read(true);
      } catch (error) {
        logger.warn({ error: toError(error).message }, 'dashboard: polling the event log failed');
      }
      if (handlers.size > 0) loop();
      else timer = undefined;
    }, pollMs);
    timer.unref?.();
  };

  return {
    async add(handler: (event: FeedEvent) => void): Promise<() => Promise<void>> {
      // What is already in the log is history (the page loads it separately), not news.
      primed ??= read(false).catch((error: unknown) => {
        primed = undefined;
        throw error;
      });
      await primed;
      handlers.add(handler);
      if (!timer) loop();
      return async () => {
        handlers.delete(handler);
        if (handlers.size === 0 && timer) {
          clearTimeout(timer);
          timer = undefined;
        }
      };
    },
  };
}

/**
 * The part of a supabase-js client Realtime needs, typed structurally so this
 * example does not depend on `@supabase/supabase-js`.
 */
export interface RealtimeClientLike {
  channel(name: string, options?: Record<string, unknown>): RealtimeChannelLike;
  removeChannel(channel: RealtimeChannelLike): Promise<unknown> | unknown;
}

export interface RealtimeChannelLike {
  on(
    type: 'postgres_changes',
    filter: { event: 'INSERT'; schema: string; table: string },
    callback: (payload: { new?: Record<string, unknown> }) => void,
  ): RealtimeChannelLike;
  subscribe(callback?: (status: string, error?: Error) => void): RealtimeChannelLike;
}

let channelCount = 0;

/**
 * Live integration events through Supabase Realtime's `postgres_changes`
 * (INSERTs into `act_integration_events`, which 0006_act_event_bus adds to the
 * `supabase_realtime` publication). Use a service-role client on the server:
 * the table is closed to `anon` and `authenticated` by row level security.
 *
 * ```ts
 * createDashboard({ state, connectors, subscribe: realtimeSubscribe(supabase) });
 * ```
 */
export function realtimeSubscribe(client: RealtimeClientLike, options: { schema?: string } = {}): SubscribeFn {
  const schema = options.schema ?? 'public';
  return (handler, subscribeOptions = {}) =>
    new Promise((resolve, reject) => {
      const onError = subscribeOptions.onError ?? ((error: Error) => console.error(error));
      channelCount += 1;
      let settled = false;
      const channel = client.channel(`act-dashboard-${channelCount}`);
      const stop = async () => {
        await client.removeChannel(channel);
      };
      channel
        .on('postgres_changes', { event: 'INSERT', schema, table: 'act_integration_events' }, (payload) => {
          if (!payload.new) return;
          try {
            void Promise.resolve(handler(rowToEvent(payload.new))).catch((error: unknown) => onError(toError(error)));
          } catch (error) {
            onError(toError(error));
          }
        })
        .subscribe((status, error) => {
          if (status === 'SUBSCRIBED') {
            if (!settled) {
              settled = true;
              resolve(stop);
            }
            return;
          }
          if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT' || status === 'CLOSED') {
            const failure = error ?? new Error(`Supabase Realtime channel ${status.toLowerCase()}`);
            if (!settled) {
              settled = true;
              void Promise.resolve(client.removeChannel(channel)).catch(() => {});
              reject(failure);
            } else if (status !== 'CLOSED') {
              onError(failure);
            }
          }
        });
    });
}

const optionalString = (value: unknown): string | undefined =>
  value === null || value === undefined ? undefined : String(value);
const optionalNumber = (value: unknown): number | undefined =>
  value === null || value === undefined || Number.isNaN(Number(value)) ? undefined : Number(value);

/** A row of `act_integration_events` (snake case, as Realtime sends it) as an event. */
export function rowToEvent(row: Record<string, unknown>): FeedEvent {
  const id = optionalString(row.id);
  const table = optionalString(row.table_name);
  const rowId = optionalString(row.row_id);
  const latencyMs = optionalNumber(row.latency_ms);
  const providerLatencyMs = optionalNumber(row.provider_latency_ms);
  const correlationId = optionalString(row.correlation_id);
  const deliveryId = optionalString(row.delivery_id);
  const summary = row.summary && typeof row.summary === 'object' ? (row.summary as Record<string, unknown>) : undefined;
  return {
    ...(id !== undefined ? { id } : {}),
    source: String(row.source),
    tenant: String(row.tenant),
    type: String(row.event_type),
    entity: String(row.entity_type),
    entityId: String(row.entity_id),
    outcome: String(row.outcome) as IntegrationEventV1['outcome'],
    triggeredBy: String(row.triggered_by) as IntegrationEventV1['triggeredBy'],
    createdAt: new Date(String(row.created_at)),
    ...(table !== undefined ? { table } : {}),
    ...(rowId !== undefined ? { rowId } : {}),
    ...(latencyMs !== undefined ? { latencyMs } : {}),
    ...(providerLatencyMs !== undefined ? { providerLatencyMs } : {}),
    ...(correlationId !== undefined ? { correlationId } : {}),
    ...(deliveryId !== undefined ? { deliveryId } : {}),
    ...(summary !== undefined ? { summary } : {}),
  };
}
