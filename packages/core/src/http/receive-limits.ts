import { ConfigurationError } from '../errors';

/**
 * What one process spends on request bodies before anything is authenticated.
 * A body has to be read before its signature can be checked, so without these
 * bounds anyone can make the process hold `connections × maxBodyBytes` in
 * memory for as long as they keep the connections open. The limits are shared
 * by every webhook handler and every `toNodeHandler` route of the process (and
 * by every copy of `@act/core` loaded in it); change them once at start-up with
 * `configureReceiveLimits`.
 */
export interface ReceiveLimits {
  /**
   * Bodies being read at the same time. A request beyond it is answered at once,
   * without reading its body, with the provider's retry status (the processor's
   * `persistFailureStatus`: 503, or 429 for GoHighLevel) and `Retry-After`.
   * Default 256.
   */
  maxConcurrentBodies: number;
  /**
   * Bytes of request bodies held at once, from the start of reading until the
   * handler has answered. A declared `Content-Length` is reserved in full before
   * the first byte is read; a chunked body is counted as it arrives. A request
   * that does not fit is refused like one over `maxConcurrentBodies` (a chunked
   * body as soon as it stops fitting). One body is always let through when
   * nothing else is held, so a `maxBodyBytes` larger than this still works.
   * Default 64 MiB.
   */
  maxBufferedBytes: number;
  /**
   * Longest time a body may take to arrive, from the start of reading. A body
   * still incomplete then is abandoned: its memory is released, the request is
   * answered with the provider's retry status (see the README for why not 408)
   * and, under `toNodeHandler`, the connection is closed. Default 10 s.
   */
  bodyTimeoutMs: number;
  /** `Retry-After` (seconds) sent with those refusals. Default 10. */
  retryAfterSeconds: number;
}

/**
 * The defaults: 256 bodies, 64 MiB, 10 s, `Retry-After: 10`. Webhook bodies are
 * a few KB and arrive in one round trip, so 256 concurrent reads is far beyond
 * what a provider sends, and 64 MiB holds 64 maximum-size (1 MiB) bodies at once.
 */
export const DEFAULT_RECEIVE_LIMITS: Readonly<ReceiveLimits> = Object.freeze({
  maxConcurrentBodies: 256,
  maxBufferedBytes: 64 * 1024 * 1024,
  bodyTimeoutMs: 10_000,
  retryAfterSeconds: 10,
});

/** What the process holds right now, and how often the limits refused a request. */
export interface ReceiveLoad {
  /** Bodies being read. */
  bodies: number;
  /** Bytes reserved or buffered for bodies not yet answered. */
  bufferedBytes: number;
  /** Requests answered without reading their body because a limit was reached. */
  refused: number;
  /** Bodies abandoned at `bodyTimeoutMs`. */
  timedOut: number;
}

interface SharedState {
  limits: ReceiveLimits;
  bodies: number;
  bytes: number;
  refused: number;
  timedOut: number;
  /** Requests whose body a Node adapter already read under a lease it holds until the handler answers. */
  admitted: WeakSet<Request>;
  /** Leases taken by the web handler's reader, released when the handler answers. */
  leases: WeakMap<Request, BodyLease>;
}

// On globalThis under a registry symbol, so that every copy of @act/core in the
// process (the dist a connector resolves, the one the app imports) shares one budget.
const STATE_KEY = Symbol.for('@act/core.receive-limits');

function shared(): SharedState {
  const holder = globalThis as unknown as Record<symbol, SharedState | undefined>;
  let state = holder[STATE_KEY];
  if (!state) {
    state = {
      limits: { ...DEFAULT_RECEIVE_LIMITS },
      bodies: 0,
      bytes: 0,
      refused: 0,
      timedOut: 0,
      admitted: new WeakSet(),
      leases: new WeakMap(),
    };
    holder[STATE_KEY] = state;
  }
  return state;
}

/**
 * Change this process's receive limits (any subset); returns the limits now in
 * force. Call it once at start-up, before serving.
 *
 * ```ts
 * configureReceiveLimits({ maxConcurrentBodies: 512, maxBufferedBytes: 128 * 1024 * 1024 });
 * ```
 */
export function configureReceiveLimits(limits: Partial<ReceiveLimits>): ReceiveLimits {
  const state = shared();
  const next = { ...state.limits };
  for (const key of Object.keys(DEFAULT_RECEIVE_LIMITS) as (keyof ReceiveLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new ConfigurationError({
        packageName: '@act/core',
        message: `receive limit ${key} must be a positive number, got ${String(value)}`,
      });
    }
    next[key] = value;
  }
  state.limits = next;
  return { ...next };
}

/** The limits in force and what they hold right now (for health pages and tests). */
export function receiveLoad(): ReceiveLoad & { limits: ReceiveLimits } {
  const state = shared();
  return {
    bodies: state.bodies,
    bufferedBytes: state.bytes,
    refused: state.refused,
    timedOut: state.timedOut,
    limits: { ...state.limits },
  };
}

/** @internal Why a body was not read: no room under the limits, or it did not arrive in time. */
export type BodyRefusal = 'busy' | 'timeout';

/** @internal Thrown by the body readers; answered with the provider's retry status. */
export class BodyRefusedError extends Error {
  readonly reason: BodyRefusal;
  constructor(reason: BodyRefusal) {
    super(
      reason === 'busy'
        ? '[@act/core] too many request bodies are being received: not read, retry later'
        : '[@act/core] the request body did not arrive in time: abandoned, retry later',
    );
    this.name = 'BodyRefusedError';
    this.reason = reason;
  }
  static is(error: unknown): error is BodyRefusedError {
    return error instanceof Error && error.name === 'BodyRefusedError' && 'reason' in error;
  }
}

/** @internal One body's share of the limits. */
export interface BodyLease {
  /** Count bytes read; `false` (and nothing counted) when they no longer fit. */
  grow(bytes: number): boolean;
  /** The body is complete: its reading slot is free; its bytes stay held until `release()`. */
  finishReading(): void;
  /** Give everything back. Idempotent. */
  release(): void;
}

/** @internal Reserve room for a body of `declaredBytes` (0 when unknown); `undefined` when it does not fit. */
export function admitBody(declaredBytes: number): BodyLease | undefined {
  const state = shared();
  const { maxConcurrentBodies, maxBufferedBytes } = state.limits;
  const reserve = Math.max(0, declaredBytes);
  if (state.bodies >= maxConcurrentBodies || (state.bytes > 0 && state.bytes + reserve > maxBufferedBytes)) {
    state.refused++;
    return undefined;
  }
  state.bodies++;
  state.bytes += reserve;
  let held = reserve;
  let counted = 0;
  let reading = true;
  let released = false;
  const stopReading = () => {
    if (reading) {
      reading = false;
      state.bodies--;
    }
  };
  return {
    grow(bytes) {
      counted += bytes;
      if (counted <= held) return true;
      const extra = counted - held;
      // Only this body is held: let it through, it is bounded by maxBodyBytes.
      if (state.bytes + extra > state.limits.maxBufferedBytes && state.bytes !== held) {
        counted -= bytes;
        state.refused++;
        return false;
      }
      state.bytes += extra;
      held += extra;
      return true;
    },
    finishReading: stopReading,
    release() {
      if (released) return;
      released = true;
      stopReading();
      state.bytes -= held;
      held = 0;
    },
  };
}

/** @internal Count a body abandoned at the deadline. */
export function countTimedOut(): void {
  shared().timedOut++;
}

/** @internal The Node adapter read this request's body under its own lease: do not take another. */
export function markAdmitted(request: Request): void {
  shared().admitted.add(request);
}

/** @internal */
export function isAdmitted(request: Request): boolean {
  return shared().admitted.has(request);
}

/** @internal The web handler's reader keeps its lease here until the handler answers. */
export function holdLease(request: Request, lease: BodyLease): void {
  shared().leases.set(request, lease);
}

/** @internal Release the lease `holdLease` kept for `request`, if any. */
export function releaseLease(request: Request): void {
  const { leases } = shared();
  const lease = leases.get(request);
  if (lease) {
    leases.delete(request);
    lease.release();
  }
}

/**
 * @internal Set on the function `createWebhookHandler` returns: how that handler
 * answers a request whose body was not read (its provider's retry status,
 * logged and counted like its other answers). `toNodeHandler` uses it when it
 * refuses a body itself; other handlers get 503 (busy) or 408 (timeout).
 */
export const REFUSE_UNREAD = Symbol.for('@act/core.refuse-unread');

/** @internal */
export type RefuseUnread = (request: Request, reason: BodyRefusal) => Response;

/** @internal The `Retry-After` value in force. */
export function retryAfterSeconds(): number {
  return Math.ceil(shared().limits.retryAfterSeconds);
}

/** @internal The body deadline in force. */
export function bodyTimeoutMs(): number {
  return shared().limits.bodyTimeoutMs;
}
