import { ActError, ConfigurationError, StoreUnavailableError } from '@act/core';
import { PACKAGE_NAME, toActError } from '../errors';
import { quoteIdent, type Row, type SqlQueryable } from './driver';

/** What a `LISTEN` reports to its owner. */
export interface ListenHandlers {
  /** One notification's payload, in the order the server sent them. */
  notify(payload: string): void;
  /**
   * The connection was lost and is listening again (node-postgres only).
   * `session` is the listening connection, for reading what was missed.
   */
  reconnected?(session: SqlQueryable): Promise<void>;
  /** The connection was lost, a reconnect failed, or `reconnected` threw. Listening goes on. */
  error?(error: Error): void;
}

export interface Listening {
  /** Stop listening and release the connection. */
  close(): Promise<void>;
}

export interface PgListenOptions {
  /** A `select 1` on the idle listening connection this often, to notice a dead socket. Defaults to 30 s. */
  heartbeatMs?: number;
  /** First reconnect delay, doubled per failure (with jitter). Defaults to 250 ms. */
  reconnectDelayMs?: number;
  /** Longest reconnect delay. Defaults to 30 s. */
  maxReconnectDelayMs?: number;
}

/** A node-postgres pool client as the listener uses it (`pg.PoolClient`). */
interface ListenClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Row[] }>;
  release(error?: Error | boolean): void;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error' | 'end', listener: (error?: Error) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
}

interface ListenPool {
  connect(): Promise<unknown>;
}

const HEARTBEAT_TIMEOUT_MS = 10_000;

function lostConnection(cause: unknown): Error {
  const mapped = toActError(cause, 'listen');
  if (ActError.isInstance(mapped) && !(mapped instanceof StoreUnavailableError)) return mapped;
  return new StoreUnavailableError({
    packageName: PACKAGE_NAME,
    message: `lost the LISTEN connection (${mapped instanceof Error ? mapped.message : String(mapped)}); reconnecting`,
    cause,
  });
}

/**
 * `LISTEN channel` on a connection of its own, checked out of the pool and
 * held until `close()`. When that connection drops (server restart, network,
 * a dead socket caught by the heartbeat) it reconnects with exponential
 * backoff and jitter, listens again, and calls `handlers.reconnected` so the
 * owner can read what it missed; notifications sent while no connection was
 * listening are not delivered by Postgres itself.
 */
export async function listenWithPgPool(
  pool: ListenPool,
  channel: string,
  handlers: ListenHandlers,
  options: PgListenOptions = {},
): Promise<Listening> {
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const firstDelay = options.reconnectDelayMs ?? 250;
  const maxDelay = options.maxReconnectDelayMs ?? 30_000;
  const listenSql = `listen ${quoteIdent(channel)}`;
  let client: ListenClient | undefined;
  let detach: (() => void) | undefined;
  let closed = false;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  let beating = false;

  const drop = (lost: ListenClient, cause: unknown) => {
    if (client !== lost) return;
    client = undefined;
    detach?.();
    detach = undefined;
    // Destroy the connection rather than returning it to the pool.
    lost.release(cause instanceof Error ? cause : true);
    if (closed) return;
    handlers.error?.(lostConnection(cause));
    scheduleReconnect(0);
  };

  const connect = async (): Promise<ListenClient> => {
    const candidate = (await pool.connect()) as ListenClient;
    if (typeof candidate.on !== 'function' || typeof candidate.removeListener !== 'function') {
      candidate.release();
      throw new ConfigurationError({
        packageName: PACKAGE_NAME,
        message: "subscribe: the pool's clients cannot receive notifications (pass a node-postgres Pool)",
      });
    }
    const onNotification = (message: { channel: string; payload?: string }) => {
      if (message.channel === channel && client === candidate) handlers.notify(message.payload ?? '');
    };
    const onError = (error?: Error) => drop(candidate, error ?? new Error('connection ended'));
    const onEnd = () => drop(candidate, new Error('connection ended'));
    candidate.on('notification', onNotification);
    candidate.on('error', onError);
    candidate.on('end', onEnd);
    const remove = () => {
      candidate.removeListener('notification', onNotification);
      candidate.removeListener('error', onError);
      candidate.removeListener('end', onEnd);
      // A late error on the discarded connection must not crash the process.
      candidate.on('error', () => {});
    };
    client = candidate;
    detach = remove;
    try {
      await candidate.query(listenSql);
    } catch (error) {
      if (client === candidate) {
        client = undefined;
        detach = undefined;
        remove();
        candidate.release(error instanceof Error ? error : true);
      }
      throw error;
    }
    if (client !== candidate) throw lostConnection(new Error('connection ended while starting to listen'));
    return candidate;
  };

  const scheduleReconnect = (failures: number) => {
    if (closed || reconnectTimer) return;
    const delay = Math.min(maxDelay, firstDelay * 2 ** failures) * (0.5 + Math.random() / 2);
    reconnectTimer = setTimeout(async () => {
      reconnectTimer = undefined;
      if (closed || client) return;
      let listening: ListenClient;
      try {
        listening = await connect();
      } catch (error) {
        if (closed) return;
        handlers.error?.(lostConnection(error));
        scheduleReconnect(failures + 1);
        return;
      }
      if (closed) {
        drop(listening, true);
        return;
      }
      try {
        await handlers.reconnected?.({
          query: async <R extends Row = Row>(text: string, params?: readonly unknown[]) =>
            (await listening.query(text, params ? [...params] : undefined)).rows as R[],
        });
      } catch (error) {
        handlers.error?.(error instanceof Error ? error : new Error(String(error)));
      }
    }, delay);
  };

  try {
    await connect();
  } catch (error) {
    // The first LISTEN fails the subscription instead of retrying in the background.
    closed = true;
    if (reconnectTimer) clearTimeout(reconnectTimer);
    throw toActError(error, 'listen');
  }

  if (heartbeatMs > 0) {
    heartbeatTimer = setInterval(() => {
      const current = client;
      if (!current || beating) return;
      beating = true;
      let timeout: ReturnType<typeof setTimeout> | undefined;
      Promise.race([
        current.query('select 1'),
        new Promise((_, reject) => {
          timeout = setTimeout(
            () => reject(new Error(`no answer to a heartbeat in ${HEARTBEAT_TIMEOUT_MS} ms`)),
            HEARTBEAT_TIMEOUT_MS,
          );
        }),
      ])
        .catch((error: unknown) => drop(current, error))
        .finally(() => {
          clearTimeout(timeout);
          beating = false;
        });
    }, heartbeatMs);
    // The listening socket keeps the process alive, not the heartbeat.
    (heartbeatTimer as { unref?: () => void }).unref?.();
  }

  return {
    async close() {
      if (closed) return;
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      if (heartbeatTimer) clearInterval(heartbeatTimer);
      const current = client;
      client = undefined;
      detach?.();
      detach = undefined;
      // Destroyed, not returned: a pooled connection must not keep listening.
      current?.release(true);
    },
  };
}

/** What the listener uses of a PGlite instance. */
export interface PGliteListenable {
  listen(channel: string, callback: (payload: string) => void): Promise<unknown>;
  unlisten(channel: string, callback?: (payload: string) => void): Promise<void>;
}

/**
 * `LISTEN` on PGlite: in process, so there is no connection to lose. The
 * channel goes quoted (PGlite lower-cases unquoted names), and `unlisten` is
 * called with the quoted name too, which is what PGlite's own `UNLISTEN` needs.
 */
export async function listenWithPglite(
  db: PGliteListenable,
  run: <T>(fn: () => Promise<T>) => Promise<T>,
  channel: string,
  handlers: ListenHandlers,
): Promise<Listening> {
  if (typeof db.listen !== 'function' || typeof db.unlisten !== 'function') {
    throw new ConfigurationError({
      packageName: PACKAGE_NAME,
      message: 'subscribe: this PGlite instance has no listen(): use @electric-sql/pglite 0.2 or later',
    });
  }
  const quoted = quoteIdent(channel);
  let closed = false;
  const callback = (payload: string) => {
    if (!closed) handlers.notify(payload);
  };
  await run(() => db.listen(quoted, callback));
  return {
    async close() {
      if (closed) return;
      closed = true;
      await run(() => db.unlisten(quoted, callback)).catch(() => undefined);
    },
  };
}
