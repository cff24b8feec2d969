// Sequence gaps: a health signal for lost webhook deliveries.
//
// Every Xero delivery carries `firstEventSequence` and `lastEventSequence`,
// "the sequence number of the first [last] event in this payload"
// (https://developer.xero.com/documentation/guides/webhooks/overview/), and
// no event id. Xero documents nothing else about them: not
// whether numbering is per app or per organisation, nor whether it restarts
// when a subscription is re-created. A number that never arrives
// while later ones do is the only sign Xero gives of a lost delivery.
//
// Design (the smallest honest one): no new state. The inbox already holds
// every delivery that was answered 2xx, durably, with its raw body, written
// by whichever receiver took it. Gaps are read from there on demand, as holes
// in the union of the stored deliveries' [first, last] ranges: one query,
// correct across any number of receivers, and nothing to keep in sync. The
// receive path stays pure (webhook processors keep no state), the worker
// hook (`onApplied`) has no store, and a gap is not a row of the mirror.
//
// Limits, all documented in the README:
// - only deliveries still in the inbox count (the Postgres store's retention
//   removes old ones; `limit` bounds the window, newest first);
// - intent-to-receive requests (sequence 0) are never stored and never count;
// - a hole can fill later: Xero retries failed requests for up to 24 hours
//   with no documented ordering
//   (https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/), so a gap is only reported once
//   the first delivery after it is `minAgeMs` old;
// - scope `app` (the default) unions every tenant's deliveries, because the
//   numbers are on the delivery and webhooks are configured per app (same overview page);
//   choose `tenant` if your deliveries show per-organisation numbering.
//   Tracking per tenant under per-app numbering would report every other
//   tenant's events as missing; the reverse can only hide a gap.
import type { DeliveryV1, StateStoreV1 } from '@act/core';
import { XERO_SOURCE } from './xero-events';

/** Where sequence numbers are counted: across the app's deliveries, or per tenant (see the file comment). */
export type XeroSequenceScope = 'app' | 'tenant';

/** One delivery's numbers. */
export interface XeroSequenceRange {
  /** `app`, or the delivery's tenant with scope `tenant`. */
  scope: string;
  first: number;
  last: number;
  receivedAt: Date;
}

/** Sequence numbers no stored delivery covers, between ones that did arrive. */
export interface XeroSequenceGap {
  scope: string;
  /** First missing number. */
  from: number;
  /** Last missing number (inclusive). */
  to: number;
  missing: number;
  /** When the first delivery after the gap was received: the gap has been visible since then. */
  since: Date;
}

export interface FindXeroSequenceGapsOptions {
  /** Defaults to `app`. */
  scope?: XeroSequenceScope;
  /**
   * Report a gap only once the first delivery after it is this old, so
   * deliveries that are merely late or being retried are not reported.
   * Defaults to 10 minutes.
   */
  minAgeMs?: number;
  now?: Date;
}

export interface ReadXeroSequenceGapsOptions extends FindXeroSequenceGapsOptions {
  /** With scope `tenant`: only this tenant's deliveries. */
  tenant?: string;
  /** How many of the newest stored deliveries to look at. Defaults to 1,000. */
  limit?: number;
}

export const XERO_DEFAULT_SEQUENCE_GAP_MIN_AGE_MS = 10 * 60_000;

const decoder = new TextDecoder();

/** A delivery body's `[firstEventSequence, lastEventSequence]`, or `undefined` (none, 0 as in ITR, or unreadable). */
export function xeroSequenceRangeOf(body: Uint8Array): { first: number; last: number } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(body));
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const { firstEventSequence: first, lastEventSequence: last } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last)) return undefined;
  const [low, high] = [Math.min(first as number, last as number), Math.max(first as number, last as number)];
  return low > 0 ? { first: low, last: high } : undefined;
}

/**
 * Holes in the union of the ranges, per scope, ordered by scope and number.
 * Pure: the caller chooses where the ranges come from.
 */
export function findXeroSequenceGaps(
  ranges: readonly XeroSequenceRange[],
  options: Pick<FindXeroSequenceGapsOptions, 'minAgeMs' | 'now'> = {},
): XeroSequenceGap[] {
  const minAgeMs = options.minAgeMs ?? XERO_DEFAULT_SEQUENCE_GAP_MIN_AGE_MS;
  const now = (options.now ?? new Date()).getTime();
  const byScope = new Map<string, XeroSequenceRange[]>();
  for (const range of ranges) {
    const list = byScope.get(range.scope) ?? [];
    list.push(range);
    byScope.set(range.scope, list);
  }
  const gaps: XeroSequenceGap[] = [];
  for (const scope of [...byScope.keys()].sort()) {
    const sorted = (byScope.get(scope) as XeroSequenceRange[]).slice().sort((a, b) => a.first - b.first);
    // earliest[i]: the earliest receipt among sorted[i..], i.e. when a number past a hole before i first arrived.
    const earliest = new Array<number>(sorted.length);
    for (let index = sorted.length - 1; index >= 0; index--) {
      const at = (sorted[index] as XeroSequenceRange).receivedAt.getTime();
      earliest[index] = index === sorted.length - 1 ? at : Math.min(at, earliest[index + 1] as number);
    }
    let covered = (sorted[0] as XeroSequenceRange).last;
    for (let index = 1; index < sorted.length; index++) {
      const range = sorted[index] as XeroSequenceRange;
      if (range.first > covered + 1) {
        const since = earliest[index] as number;
        if (now - since >= minAgeMs) {
          gaps.push({
            scope,
            from: covered + 1,
            to: range.first - 1,
            missing: range.first - covered - 1,
            since: new Date(since),
          });
        }
      }
      covered = Math.max(covered, range.last);
    }
  }
  return gaps;
}

/**
 * Read the gaps from the inbox: the newest `limit` stored Xero deliveries
 * (any status: done, pending and dead all arrived). Works with any
 * `StateStoreV1` (`@act/sink-supabase`'s, the memory one).
 */
export async function readXeroSequenceGaps(
  store: Pick<StateStoreV1, 'listDeliveries'>,
  options: ReadXeroSequenceGapsOptions = {},
): Promise<XeroSequenceGap[]> {
  const scope = options.scope ?? 'app';
  const deliveries: DeliveryV1[] = await store.listDeliveries({
    source: XERO_SOURCE,
    limit: options.limit ?? 1_000,
    ...(scope === 'tenant' && options.tenant !== undefined ? { tenant: options.tenant } : {}),
  });
  const ranges: XeroSequenceRange[] = [];
  for (const delivery of deliveries) {
    const range = xeroSequenceRangeOf(delivery.body);
    if (range) {
      ranges.push({ ...range, scope: scope === 'tenant' ? delivery.tenant : 'app', receivedAt: delivery.receivedAt });
    }
  }
  return findXeroSequenceGaps(ranges, options);
}
