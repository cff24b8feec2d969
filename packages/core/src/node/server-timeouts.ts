import type { Server } from 'node:http';

/**
 * Timeouts for a `node:http` server that receives webhooks. Node's own defaults
 * let a client take 60 s to send its headers and 300 s to send its request, and
 * check them only every 30 s; a client that opens connections and stalls keeps
 * each one (and its memory) that long. The body itself is bounded by the
 * receive limits' `bodyTimeoutMs` (10 s); these bound what comes before it and
 * the request as a whole.
 */
export interface ServerTimeouts {
  /** Time to receive the request headers (`server.headersTimeout`). Default 10 s (Node: 60 s). */
  headersTimeout: number;
  /** Time to receive the whole request (`server.requestTimeout`). Default 30 s (Node: 300 s). */
  requestTimeout: number;
  /**
   * How often Node checks the two above, in ms (a `createServer` option only;
   * it cannot change on a running server). Default 1 s (Node: 30 s).
   */
  connectionsCheckingInterval: number;
}

export const DEFAULT_SERVER_TIMEOUTS: Readonly<ServerTimeouts> = Object.freeze({
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  connectionsCheckingInterval: 1_000,
});

/**
 * `createServer` options with the timeouts above (any of them overridden):
 *
 * ```ts
 * http.createServer(serverTimeouts(), toNodeHandler(handler)).listen(3000);
 * ```
 *
 * For a server made elsewhere (Express's `app.listen()`), use `applyServerTimeouts(server)`.
 */
export function serverTimeouts(overrides: Partial<ServerTimeouts> = {}): ServerTimeouts {
  return { ...DEFAULT_SERVER_TIMEOUTS, ...overrides };
}

/**
 * Set `headersTimeout` and `requestTimeout` on a running server (Express's
 * `app.listen()` returns one). Node then checks them at the interval the server
 * was created with (30 s unless `connectionsCheckingInterval` was given).
 */
export function applyServerTimeouts<T extends Server>(
  server: T,
  overrides: Partial<Omit<ServerTimeouts, 'connectionsCheckingInterval'>> = {},
): T {
  const timeouts = serverTimeouts(overrides);
  server.headersTimeout = timeouts.headersTimeout;
  server.requestTimeout = timeouts.requestTimeout;
  return server;
}
