import type { SourceEventV1 } from './source-event-v1';

export interface PollRequestV1 {
  tenant: string;
  /** Where the previous run stopped; `null` for a first run (backfill). */
  cursor: string | null;
  signal?: AbortSignal | undefined;
}

/** One page of changes and the cursor that resumes right after it. */
export interface PollPageV1<TEvent extends SourceEventV1 = SourceEventV1> {
  events: TEvent[];
  /**
   * Opaque to the runtime. It is saved only after this page's rows are
   * written (in the same transaction where the sink allows), so a crash
   * re-reads at most one page and never skips one.
   */
  cursor: string;
}

/**
 * Lists changes incrementally. Pages are pulled one at a time, so a backfill of
 * a million records streams instead of accumulating.
 */
export interface PollerV1<TEvent extends SourceEventV1 = SourceEventV1> {
  readonly specificationVersion: 'v1';
  /** The listing this poller walks (`contacts`): the cursor is stored per stream. */
  readonly stream: string;
  /**
   * How often the scheduler runs it for each connected tenant, in ms. Left
   * out: every 5 minutes, or, for a `fallback` poller, only while the
   * source's webhooks are quiet.
   */
  readonly intervalMs?: number;
  /**
   * The source's webhooks carry this stream's changes: the poller is the
   * fallback, run (every `fallbackIntervalMs` of the scheduler) while the
   * source and tenant are quiet past their expected gap, and at `intervalMs`
   * otherwise when that is set.
   */
  readonly fallback?: boolean;
  /**
   * Yield pages from `cursor` until the listing is exhausted. Respect
   * `signal`. Rate limits are the poller's business (it owns the client).
   * When the provider says the cursor is no longer valid (Gmail's 404 on
   * `history.list`, Calendar's 410 on a sync token), throw a
   * `CursorExpiredError`: the runtime then resyncs the stream from `null`
   * (which must end with a fresh cursor) and runs its reconcilers (those
   * whose `stream` is this one) to find what was deleted meanwhile.
   */
  poll(request: PollRequestV1): AsyncIterable<PollPageV1<TEvent>>;
}
