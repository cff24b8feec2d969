import { ConfigurationError } from '@act/core';
import { PACKAGE_NAME } from './errors';
import type { BackendProvider } from './postgres-state-store';
import { quoteIdent, type SqlDriver } from './sql/driver';
import type { Listening } from './sql/listen';
import { createSubscriberHub, type Unsubscribe } from './sql/subscriber-hub';

/** What happened to a row: a tombstone (the sink's delete) is a `DELETE`, a restored one an `INSERT`. */
export type RowChangeOp = 'INSERT' | 'UPDATE' | 'DELETE';

/**
 * One row's change in a table published with `act_publish_row_changes`
 * (migration 0014_act_row_changes), as the NOTIFY and the Realtime broadcast
 * carry it.
 */
export interface RowChange {
  /** The table's name (without its schema). */
  table: string;
  source: string;
  /** The row's tenant column; absent when it is null. */
  tenant?: string;
  op: RowChangeOp;
  /** The key columns and their values. Absent only when `truncated` and the key alone would not fit. */
  key?: Record<string, unknown>;
  /**
   * The columns whose value changed, bookkeeping columns never among them:
   * every column for an `INSERT`, none for a `DELETE`. Absent only with `key`.
   */
  changed?: string[];
  /** The row's values now (`INSERT`, `UPDATE`), of the columns published with `p_values` only. */
  new?: Record<string, unknown>;
  /** The values before: of the changed columns (`UPDATE`), of the whole row (`DELETE`); `p_values` columns only. */
  old?: Record<string, unknown>;
  /** The message would have passed 7 KB: values (or the key too) left out. Read the row. */
  truncated?: true;
}

export type RowChangeHandler = (change: RowChange) => void | Promise<void>;

export interface RowChangeSubscribeOptions {
  /** Only this table's changes (its name, without the schema). */
  table?: string;
  /** Only this source's. */
  source?: string;
  /** Only this tenant's. */
  tenant?: string;
  /**
   * A handler that threw, a lost connection (`StoreUnavailableError`; it
   * reconnects on its own), a message that could not be read. Defaults to
   * `console.error`.
   */
  onError?: (error: Error) => void;
  /**
   * Listening again after a lost connection (node-postgres). Changes committed
   * meanwhile are not replayed (the mirror keeps no change log): re-read what
   * the view shows.
   */
  onReconnect?: () => void | Promise<void>;
}

export interface RowChanges {
  /**
   * Call `handler` with each published row change as it commits (LISTEN on
   * `act_row_changes_channel()`), one at a time and in commit order.
   * Resolves once listening; the result stops it.
   */
  subscribe(handler: RowChangeHandler, options?: RowChangeSubscribeOptions): Promise<Unsubscribe>;
  /** Stop every subscription (part of the state's `close()`). */
  close(): Promise<void>;
}

const OPS: ReadonlySet<string> = new Set(['INSERT', 'UPDATE', 'DELETE']);

function parse(payload: string): RowChange {
  let change: unknown;
  try {
    change = JSON.parse(payload);
  } catch (error) {
    throw new ConfigurationError({
      packageName: PACKAGE_NAME,
      message: `rowChanges: a notification on the row changes channel is not JSON: ${payload.slice(0, 200)}`,
      cause: error,
    });
  }
  const row = change as Partial<RowChange> | null;
  if (
    row === null ||
    typeof row !== 'object' ||
    typeof row.table !== 'string' ||
    typeof row.source !== 'string' ||
    !OPS.has(row.op as string)
  ) {
    throw new ConfigurationError({
      packageName: PACKAGE_NAME,
      message: `rowChanges: not a row change: ${payload.slice(0, 200)}`,
    });
  }
  return row as RowChange;
}

function supabaseError(): ConfigurationError {
  return new ConfigurationError({
    packageName: PACKAGE_NAME,
    message:
      'rowChanges.subscribe() needs a SQL connection (a connection string, a pg pool or PGlite) to LISTEN on. ' +
      "With supabase-js, subscribe through Supabase Realtime instead: supabase.channel('act:<source>:<tenant>:rows', " +
      "{ config: { private: true } }).on('broadcast', { event: 'act_row' }, ({ payload }) => …).subscribe() " +
      '(see "Row changes" in the README of @act/sink-supabase)',
  });
}

/**
 * Row changes of the tables published with `act_publish_row_changes`, over
 * `LISTEN/NOTIFY` (0014_act_row_changes). Like the live events, every
 * subscription of one state shares one listening connection, opened by the
 * first and released by the last, and filters here.
 */
export function createRowChanges(backend: BackendProvider, schema: string): RowChanges {
  const deliver = (payload: string) => {
    let change: RowChange;
    try {
      change = parse(payload);
    } catch (error) {
      hub.reportAll(error);
      return;
    }
    hub.each((subscriber) => {
      const { table, source, tenant } = subscriber.options;
      if (table !== undefined && table !== change.table) return;
      if (source !== undefined && source !== change.source) return;
      if (tenant !== undefined && tenant !== change.tenant) return;
      hub.enqueue(subscriber, () => subscriber.handler(change));
    });
  };

  const open = async (): Promise<Listening> => {
    const opened = await backend();
    const driver: SqlDriver | undefined = opened.sql;
    if (!driver?.listen) throw supabaseError();
    const [row] = await driver.query<{ channel: string }>(
      `select ${quoteIdent(schema)}.act_row_changes_channel() as channel`,
    );
    return driver.listen(String(row?.channel), {
      notify: deliver,
      async reconnected() {
        hub.each((subscriber) => {
          const onReconnect = subscriber.options.onReconnect;
          if (onReconnect) hub.enqueue(subscriber, onReconnect);
        });
      },
      error: hub.reportAll,
    });
  };

  const hub = createSubscriberHub<RowChange, RowChangeSubscribeOptions>({ label: 'rowChanges.subscribe', open });
  return { subscribe: hub.subscribe, close: hub.close };
}
