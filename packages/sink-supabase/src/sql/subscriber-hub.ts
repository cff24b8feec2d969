import { ConfigurationError, StoreUnavailableError } from '@act/core';
import { PACKAGE_NAME } from '../errors';

/** Stops delivery to this handler; the last one releases the listening connection. */
export type Unsubscribe = () => Promise<void>;

export interface HubSubscriber<TMessage, TOptions> {
  readonly handler: (message: TMessage) => void | Promise<void>;
  readonly options: TOptions;
  readonly onError: (error: Error) => void;
  active: boolean;
  queue: Promise<void>;
}

export interface SubscriberHub<TMessage, TOptions> {
  subscribe(handler: (message: TMessage) => void | Promise<void>, options?: TOptions): Promise<Unsubscribe>;
  /** Stop every subscription and release the connection. */
  close(): Promise<void>;
  /** Each active subscriber. */
  each(fn: (subscriber: HubSubscriber<TMessage, TOptions>) => void): void;
  /** Run `run` in the subscriber's own queue: one at a time, in the order given; a throw goes to its `onError`. */
  enqueue(subscriber: HubSubscriber<TMessage, TOptions>, run: () => void | Promise<void>): void;
  /** Tell every subscriber (a lost connection, an unreadable payload). */
  reportAll(error: unknown): void;
}

export const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/**
 * The subscriptions of one LISTEN channel (live events, row changes): they
 * share one listening connection, opened by the first subscriber and
 * released by the last, and each handler gets its messages one at a time,
 * in the order they arrive.
 */
export function createSubscriberHub<TMessage, TOptions extends { onError?: (error: Error) => void }>(config: {
  /** Names the method in errors (`subscribe`, `rowChanges.subscribe`). */
  label: string;
  /** Open the listening connection (called by the first subscriber). */
  open(): Promise<{ close(): Promise<void> }>;
}): SubscriberHub<TMessage, TOptions> {
  const subscribers = new Set<HubSubscriber<TMessage, TOptions>>();
  let hub: Promise<{ close(): Promise<void> }> | undefined;
  let closed = false;

  const stop = async () => {
    const current = hub;
    hub = undefined;
    const listening = await current?.catch(() => undefined);
    await listening?.close();
  };
  const closedError = () =>
    new StoreUnavailableError({ packageName: PACKAGE_NAME, message: 'this Postgres state was closed' });

  return {
    async subscribe(handler, options = {} as TOptions) {
      if (typeof handler !== 'function') {
        throw new ConfigurationError({
          packageName: PACKAGE_NAME,
          message: `${config.label}: the handler must be a function`,
        });
      }
      if (closed) throw closedError();
      const subscriber: HubSubscriber<TMessage, TOptions> = {
        handler,
        options,
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
      hub ??= config.open();
      const opening = hub;
      try {
        await opening;
      } catch (error) {
        if (hub === opening) hub = undefined;
        await unsubscribe();
        throw error;
      }
      if (closed) throw closedError();
      return unsubscribe;
    },
    async close() {
      closed = true;
      for (const subscriber of subscribers) subscriber.active = false;
      subscribers.clear();
      await stop();
    },
    each(fn) {
      for (const subscriber of subscribers) if (subscriber.active) fn(subscriber);
    },
    enqueue(subscriber, run) {
      subscriber.queue = subscriber.queue
        .then(() => (subscriber.active ? run() : undefined))
        .catch((error: unknown) => subscriber.onError(toError(error)));
    },
    reportAll(error) {
      for (const subscriber of subscribers) subscriber.onError(toError(error));
    },
  };
}
