import { ConfigurationError, type IntegrationEventV1, StoreUnavailableError } from '@act/core';
import { PACKAGE_NAME } from './errors';
import { type BackendProvider, toEvent } from './postgres-state-store';
import { quoteIdent, type Row, type SqlDriver, type SqlQueryable } from './sql/driver';
import type { Listening } from './sql/listen';

/** An integration event as it is committed, with its id in `act_integration_events`. */
export interface LiveEvent extends IntegrationEventV1 {
  id: string;
}

export type LiveEventHandler = (event: LiveEvent) => void | Promise<void>;

export interface SubscribeOptions {
  /** Only events of this source. */
  source?: string;
  /** Only events of this tenant. */
  tenant?: string;
  /**
   * A handler that threw, a lost connection (`StoreUnavailableError`; it
   * reconnects on its own), a payload that could not be read. Defaults to
   * `console.error`.
   */
  onError?: (error: Error) => void;
}

/** Stops delivery to this handler; the last one releases the listening connection. */
export type Unsubscribe = () => Promise<void>;

export interface LiveEvents {
  subscribe(handler: LiveEventHandler, options?: SubscribeOptions): Promise<Unsubscribe>;
  /** Stop every subscription (part of the state's `close()`). */
  close(): Promise<void>;
}

interface Subscriber {
  handler: LiveEventHandler;
  source: string | undefined;
  tenant: string | undefined;
  onError: (error: Error) => void;
  active: boolean;
  queue: Promise<void>;
}

interface Hub {
  driver: SqlDriver;
  listening: Listening;
}

/** Ids remembered to drop the second copy of an event (a notification and the catch-up read). */
const RECENT_IDS = 10_000;
/** Events read back after a reconnect, at most. */
const CATCH_UP_LIMIT = 1_000;

const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

function supabaseError(): ConfigurationError {
  return new ConfigurationError({
    packageName: PACKAGE_NAME,
    message:
      'subscribe() needs a SQL connection (a connection string, a pg pool or PGlite) to LISTEN on. ' +
      "With supabase-js, subscribe through Supabase Realtime instead: supabase.channel('<source>:<tenant>', " +
      "{ config: { private: true } }).on('broadcast', { event: 'act_event' }, ({ payload }) => …).subscribe() " +
      '(see "Live events" in the README of @act/sink-supabase)',
  });
}

/**
 * Live integration events over `LISTEN/NOTIFY` (0006_act_event_bus). All
 * subscriptions of one state share one listening connection, opened by the
 * first and released by the last; events are filtered by source and tenant
 * here, and each handler gets its events one at a time, in commit order.
 */
export function createLiveEvents(backend: BackendProvider, schema: string): LiveEvents {
  const table = `${quoteIdent(schema)}.act_integration_events`;
  const subscribers = new Set<Subscriber>();
  const recent = new Set<string>();
  let hub: Promise<Hub> | undefined;
  let closed = false;
  let lastId = 0n;
  // Payloads are handled one after another, so events reach handlers in order.
  let chain: Promise<void> = Promise.resolve();

  const reportAll = (error: unknown) => {
    for (const subscriber of subscribers) subscriber.onError(toError(error));
  };

  const deliver = (row: Row) => {
    const id = String(row.id);
    if (recent.has(id)) return;
    recent.add(id);
    if (recent.size > RECENT_IDS) recent.delete(recent.values().next().value as string);
    if (/^\d+$/.test(id) && BigInt(id) > lastId) lastId = BigInt(id);
    const event: LiveEvent = { ...toEvent(row), id };
    for (const subscriber of subscribers) {
      if (!subscriber.active) continue;
      if (subscriber.source !== undefined && subscriber.source !== event.source) continue;
      if (subscriber.tenant !== undefined && subscriber.tenant !== event.tenant) continue;
      subscriber.queue = subscriber.queue
        .then(() => (subscriber.active ? subscriber.handler(event) : undefined))
        .catch((error: unknown) => subscriber.onError(toError(error)));
    }
  };

  const handlePayload = async (driver: SqlQueryable, payload: string) => {
    let row: Row;
    try {
      row = JSON.parse(payload) as Row;
    } catch (error) {
      throw new ConfigurationError({
        packageName: PACKAGE_NAME,
        message: `subscribe: a notification on the events channel is not JSON: ${payload.slice(0, 200)}`,
        cause: error,
      });
    }
    if (row === null || typeof row !== 'object' || typeof row.id !== 'string') return;
    if (row.truncated === true) {
      // Something did not fit the payload: the row has it.
      const [full] = await driver.query(`select * from ${table} where id = $1::bigint`, [row.id]);
      if (!full) return; // deleted since (retention)
      row = full;
    }
    deliver(row);
  };

  const open = async (): Promise<Hub> => {
    const opened = await backend();
    const driver = opened.sql;
    if (!driver?.listen) throw supabaseError();
    const [channelRow] = await opened.call('act_events_channel', {});
    const channel = String(channelRow?.result);
    const listening = await driver.listen(channel, {
      notify(payload) {
        chain = chain.then(() => handlePayload(driver, payload)).catch(reportAll);
      },
      // Read back what was committed while no connection was listening.
      reconnected(session) {
        chain = chain
          .then(async () => {
            const rows = await session.query(`select * from ${table} where id > $1::bigint order by id limit $2`, [
              lastId.toString(),
              CATCH_UP_LIMIT,
            ]);
            for (const row of rows) deliver(row);
          })
          .catch(reportAll);
        return chain;
      },
      error: reportAll,
    });
    try {
      const [max] = await driver.query<{ id: string }>(`select coalesce(max(id), 0)::text as id from ${table}`);
      const id = BigInt(max?.id ?? '0');
      if (id > lastId) lastId = id;
    } catch (error) {
      await listening.close();
      throw error;
    }
    return { driver, listening };
  };

  const stop = async () => {
    const current = hub;
    hub = undefined;
    if (!current) return;
    const opened = await current.catch(() => undefined);
    await opened?.listening.close();
  };

  return {
    async subscribe(handler, options = {}) {
      if (typeof handler !== 'function') {
        throw new ConfigurationError({
          packageName: PACKAGE_NAME,
          message: 'subscribe: the handler must be a function',
        });
      }
      if (closed) {
        throw new StoreUnavailableError({ packageName: PACKAGE_NAME, message: 'this Postgres state was closed' });
      }
      const subscriber: Subscriber = {
        handler,
        source: options.source,
        tenant: options.tenant,
        onError: options.onError ?? ((error) => console.error(error)),
        active: true,
        queue: Promise.resolve(),
      };
      // Counted before the connection opens, so a concurrent last unsubscribe keeps it.
      subscribers.add(subscriber);
      const unsubscribe: Unsubscribe = async () => {
        if (!subscriber.active) return;
        subscriber.active = false;
        subscribers.delete(subscriber);
        if (subscribers.size === 0) await stop();
      };
      hub ??= open();
      const opening = hub;
      try {
        await opening;
      } catch (error) {
        if (hub === opening) hub = undefined;
        await unsubscribe();
        throw error;
      }
      if (closed) {
        throw new StoreUnavailableError({ packageName: PACKAGE_NAME, message: 'this Postgres state was closed' });
      }
      return unsubscribe;
    },

    async close() {
      closed = true;
      for (const subscriber of subscribers) subscriber.active = false;
      subscribers.clear();
      await stop();
    },
  };
}
