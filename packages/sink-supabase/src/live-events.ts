import { ConfigurationError, type IntegrationEventV1 } from '@act/core';
import { PACKAGE_NAME } from './errors';
import { type BackendProvider, toEvent } from './postgres-state-store';
import { quoteIdent, type Row, type SqlQueryable } from './sql/driver';
import type { Listening } from './sql/listen';
import { createSubscriberHub, type Unsubscribe } from './sql/subscriber-hub';

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

export type { Unsubscribe };

export interface LiveEvents {
  subscribe(handler: LiveEventHandler, options?: SubscribeOptions): Promise<Unsubscribe>;
  /** Stop every subscription (part of the state's `close()`). */
  close(): Promise<void>;
}

/** Ids remembered to drop the second copy of an event (a notification and the catch-up read). */
const RECENT_IDS = 10_000;
/** Events read back after a reconnect, at most. */
const CATCH_UP_LIMIT = 1_000;

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
  const recent = new Set<string>();
  let lastId = 0n;
  // Payloads are handled one after another, so events reach handlers in order.
  let chain: Promise<void> = Promise.resolve();

  const deliver = (row: Row) => {
    const id = String(row.id);
    if (recent.has(id)) return;
    recent.add(id);
    if (recent.size > RECENT_IDS) recent.delete(recent.values().next().value as string);
    if (/^\d+$/.test(id) && BigInt(id) > lastId) lastId = BigInt(id);
    const event: LiveEvent = { ...toEvent(row), id };
    hub.each((subscriber) => {
      const { source, tenant } = subscriber.options;
      if (source !== undefined && source !== event.source) return;
      if (tenant !== undefined && tenant !== event.tenant) return;
      hub.enqueue(subscriber, () => subscriber.handler(event));
    });
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

  const open = async (): Promise<Listening> => {
    const opened = await backend();
    const driver = opened.sql;
    if (!driver?.listen) throw supabaseError();
    const [channelRow] = await opened.call('act_events_channel', {});
    const channel = String(channelRow?.result);
    const listening = await driver.listen(channel, {
      notify(payload) {
        chain = chain.then(() => handlePayload(driver, payload)).catch(hub.reportAll);
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
          .catch(hub.reportAll);
        return chain;
      },
      error: hub.reportAll,
    });
    try {
      const [max] = await driver.query<{ id: string }>(`select coalesce(max(id), 0)::text as id from ${table}`);
      const id = BigInt(max?.id ?? '0');
      if (id > lastId) lastId = id;
    } catch (error) {
      await listening.close();
      throw error;
    }
    return listening;
  };

  const hub = createSubscriberHub<LiveEvent, SubscribeOptions>({ label: 'subscribe', open });
  return { subscribe: hub.subscribe, close: hub.close };
}
