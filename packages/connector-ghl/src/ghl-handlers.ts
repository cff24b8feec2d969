// Typed event handlers in the style of octokit/webhooks
// (https://github.com/octokit/webhooks.js#webhookson): `on(name, handler)`
// with the payload type following the name, `onAny`, `onError`,
// `removeListener`, and `receive` to run them.
import { type Logger, noopLogger } from '@act/core';
import { GHL_PACKAGE_NAME } from './ghl-error';
import type { GhlEvent, GhlEventOf, GhlEventType } from './ghl-events';

/** A handler for events of type `T`: `event.payload` is typed by the name. */
export type GhlEventHandler<T extends GhlEventType = GhlEventType> = (event: GhlEventOf<T>) => unknown;

/** Called with a handler's error and the event it failed on. */
export type GhlHandlerErrorHandler = (error: unknown, event: GhlEvent) => unknown;

export interface GhlHandlers {
  /**
   * Run `handler` for events of this type (or any of these types).
   *
   * ```ts
   * connector.on('ContactUpdate', (event) => event.payload.email);
   * connector.on(['OpportunityStageUpdate', 'OpportunityStatusUpdate'], (event) => event.payload.pipelineStageId);
   * ```
   */
  on<T extends GhlEventType>(type: T | readonly T[], handler: GhlEventHandler<T>): void;
  /** Run `handler` for every event. */
  onAny(handler: (event: GhlEvent) => unknown): void;
  /** Called when a handler throws (or rejects). Without one, the error is logged. */
  onError(handler: GhlHandlerErrorHandler): void;
  /** Remove a handler added with `on` (same type and function). */
  removeListener<T extends GhlEventType>(type: T | readonly T[] | '*', handler: GhlEventHandler<T>): void;
  /**
   * Run the handlers for one event: its type's, then `onAny`'s, one after the
   * other. Never rejects: a handler's error goes to `onError` (or the log),
   * so a failing side effect cannot hold up the mirror.
   */
  receive(event: GhlEvent): Promise<void>;
}

/** The registry behind `connector.on(…)`. */
export function createGhlHandlers(options: { logger?: Logger } = {}): GhlHandlers {
  const logger = options.logger ?? noopLogger;
  const byType = new Map<string, Set<(event: GhlEvent) => unknown>>();
  const any = new Set<(event: GhlEvent) => unknown>();
  const errorHandlers = new Set<GhlHandlerErrorHandler>();
  const types = (type: string | readonly string[]) => (typeof type === 'string' ? [type] : type);

  const reportError = async (error: unknown, event: GhlEvent) => {
    if (errorHandlers.size === 0) {
      logger.error(
        {
          source: event.source,
          tenant: event.tenant,
          type: event.type,
          entityId: event.entityId,
          error: error instanceof Error ? error.message : String(error),
        },
        `[${GHL_PACKAGE_NAME}] a ${event.type} handler failed`,
      );
      return;
    }
    for (const handler of errorHandlers) {
      try {
        await handler(error, event);
      } catch {
        // An error handler that fails has nowhere left to report to.
      }
    }
  };

  return {
    on(type, handler) {
      for (const name of types(type)) {
        let set = byType.get(name);
        if (!set) {
          set = new Set();
          byType.set(name, set);
        }
        set.add(handler as (event: GhlEvent) => unknown);
      }
    },
    onAny(handler) {
      any.add(handler);
    },
    onError(handler) {
      errorHandlers.add(handler);
    },
    removeListener(type, handler) {
      if (type === '*') {
        any.delete(handler as (event: GhlEvent) => unknown);
        return;
      }
      for (const name of types(type)) byType.get(name)?.delete(handler as (event: GhlEvent) => unknown);
    },
    async receive(event) {
      const handlers = [...(byType.get(event.type) ?? []), ...any];
      for (const handler of handlers) {
        try {
          await handler(event);
        } catch (error) {
          await reportError(error, event);
        }
      }
    },
  };
}
