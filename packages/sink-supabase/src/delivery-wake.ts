import { PACKAGE_NAME } from './errors';
import type { BackendProvider } from './postgres-state-store';
import type { Listening } from './sql/listen';

/**
 * Tells idle workers that deliveries were stored, so they claim at once
 * instead of at their next poll:
 *
 * - in process: right after this process's `enqueue` (or `replay`) committed;
 * - across processes: `LISTEN` on the schema's deliveries channel (migration
 *   0012 NOTIFYs it once per insert statement), on node-postgres and PGlite.
 *   supabase-js has no `LISTEN`: there, workers in other processes poll.
 *
 * The listening connection is opened by the first listener and released by
 * the last. A hint only: a missed wake-up costs one poll interval, nothing more.
 */
export interface DeliveryWake {
  /** Wake every listener (a delivery was stored by this process). */
  notify(): void;
  subscribe(listener: () => void): () => void;
  close(): Promise<void>;
}

/** A pool this small has no connection to spare for a listener: poll instead. */
const MIN_POOL_FOR_LISTEN = 3;

export function createDeliveryWake(
  backend: BackendProvider,
  options: { onError?: (error: Error) => void } = {},
): DeliveryWake {
  const listeners = new Set<() => void>();
  let listening: Promise<Listening | undefined> | undefined;
  let closed = false;

  const report = (error: unknown) => {
    const failure = error instanceof Error ? error : new Error(String(error));
    if (options.onError) options.onError(failure);
    else console.warn(`[${PACKAGE_NAME}] worker wake-up (LISTEN for new deliveries): ${failure.message}; polling`);
  };

  const notify = () => {
    for (const listener of [...listeners]) {
      try {
        listener();
      } catch (error) {
        report(error);
      }
    }
  };

  const open = async (): Promise<Listening | undefined> => {
    const opened = await backend();
    const driver = opened.sql;
    if (!driver?.listen) return undefined;
    if (driver.maxConnections !== undefined && driver.maxConnections < MIN_POOL_FOR_LISTEN) return undefined;
    const [row] = await opened.call('act_deliveries_channel', {});
    const channel = row?.result;
    if (typeof channel !== 'string' || channel === '') return undefined;
    return driver.listen(channel, {
      notify,
      // Notifications sent while no connection listened are lost: look now.
      reconnected: async () => notify(),
      error: report,
    });
  };

  const start = () => {
    if (listening || closed) return;
    const opening: Promise<Listening | undefined> = open().catch((error: unknown) => {
      report(error);
      if (listening === opening) listening = undefined;
      return undefined;
    });
    listening = opening;
  };

  const stop = async () => {
    const current = listening;
    listening = undefined;
    const opened = await current;
    await opened?.close().catch(() => undefined);
  };

  return {
    notify,
    subscribe(listener) {
      const entry = () => listener();
      listeners.add(entry);
      start();
      return () => {
        if (!listeners.delete(entry)) return;
        if (listeners.size === 0) void stop();
      };
    },
    async close() {
      closed = true;
      listeners.clear();
      await stop();
    },
  };
}
