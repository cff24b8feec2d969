import { describe, expect, it } from 'vitest';
import type { ClaimedOutboxMessageV1, NewOutboxMessageV1, OutboxStoreV1 } from '../spec/v1';

export interface TestOutboxStoreOptions {
  /** Create a fresh, empty store (its own schema or database). */
  create: () => OutboxStoreV1 | Promise<OutboxStoreV1>;
  /** Release it after each test. */
  destroy?: (store: OutboxStoreV1) => void | Promise<void>;
}

// Claims, completions and failures pass an explicit `now` (the Postgres store
// reads the database clock without one), and every message an explicit
// `availableAt`, so the suite is deterministic on any store. Enqueue and
// replay take no `now`: what they stamp (`createdAt`, a replayed message's
// availability) is the store's clock, so those assertions use real time.
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function message(destination: string, key: string, extra: Partial<NewOutboxMessageV1> = {}): NewOutboxMessageV1 {
  return { destination, key, payload: { key }, availableAt: at(0), ...extra };
}

const idsOf = (messages: readonly { id: string }[]) => messages.map((m) => m.id);

/**
 * The behaviour every `OutboxStoreV1` must have, as a vitest suite: what
 * `OutboxStoreV1`'s doc comments promise (dedupe on `(destination, key)`,
 * leases and their claim tokens, the retry schedule, dead letters, replay,
 * listings and stats). Call it from the store's own test file:
 *
 * ```ts
 * testOutboxStore('memory outbox store', () => createMemoryOutboxStore());
 * ```
 */
export function testOutboxStore(options: TestOutboxStoreOptions): void;
export function testOutboxStore(name: string, factory: TestOutboxStoreOptions | TestOutboxStoreOptions['create']): void;
export function testOutboxStore(
  first: string | TestOutboxStoreOptions,
  second?: TestOutboxStoreOptions | TestOutboxStoreOptions['create'],
): void {
  if (typeof first === 'string') {
    const options = typeof second === 'function' ? { create: second } : second;
    if (!options) throw new TypeError('[@act/core] testOutboxStore(name, factory) needs a factory');
    describe(first, () => contract(options));
    return;
  }
  contract(first);
}

function contract(options: TestOutboxStoreOptions): void {
  const withStore = (fn: (store: OutboxStoreV1) => Promise<void>) => async () => {
    const store = await options.create();
    try {
      await fn(store);
    } finally {
      await options.destroy?.(store);
    }
  };
  const claimOne = async (store: OutboxStoreV1, now: Date, owner = 'd1'): Promise<ClaimedOutboxMessageV1> => {
    const [claimed] = await store.claim({ owner, limit: 1, leaseMs: MINUTE, now });
    if (!claimed) throw new Error('expected a message to claim');
    return claimed;
  };

  describe('OutboxStoreV1 contract', () => {
    it(
      'declares specificationVersion v1 and starts empty',
      withStore(async (store) => {
        expect(store.specificationVersion).toBe('v1');
        expect(await store.list()).toEqual([]);
        expect(await store.stats()).toEqual([]);
        expect(await store.claim({ owner: 'd1', limit: 10, leaseMs: MINUTE, now: at(0) })).toEqual([]);
        expect(await store.get('1')).toBeNull();
        expect(await store.get('not-an-id')).toBeNull();
      }),
    );

    describe('enqueue', () => {
      it(
        'stores each message pending with what it was given, one result per message in order',
        withStore(async (store) => {
          const before = Date.now();
          const results = await store.enqueue([
            {
              destination: 'verity',
              key: 'delivery-1:0',
              source: 'ghl',
              tenant: 'loc-1',
              deliveryId: '41',
              correlationId: 'corr-1',
              payload: { type: 'ContactCreate', id: 'c1', tags: ['a', 'b'] },
              availableAt: at(0),
            },
            { destination: 'notion', key: 'k', payload: 'a JSON string', availableAt: at(MINUTE) },
            { destination: 'notion', key: 'k2', payload: null, availableAt: at(MINUTE) },
          ]);
          expect(results).toHaveLength(3);
          expect(results.map((r) => r.duplicate)).toEqual([false, false, false]);
          expect(new Set(idsOf(results)).size).toBe(3);
          for (const result of results) expect(typeof result.id).toBe('string');

          const first = await store.get(results[0]?.id ?? '');
          expect(first).toMatchObject({
            id: results[0]?.id,
            destination: 'verity',
            key: 'delivery-1:0',
            source: 'ghl',
            tenant: 'loc-1',
            deliveryId: '41',
            correlationId: 'corr-1',
            payload: { type: 'ContactCreate', id: 'c1', tags: ['a', 'b'] },
            status: 'pending',
            attempts: 0,
            availableAt: at(0),
          });
          expect(first?.createdAt.getTime()).toBeGreaterThanOrEqual(before - 5_000);
          expect(first?.doneAt).toBeUndefined();
          expect(first?.lastError).toBeUndefined();
          expect(first?.result).toBeUndefined();
          expect((await store.get(results[1]?.id ?? ''))?.payload).toBe('a JSON string');
          expect((await store.get(results[2]?.id ?? ''))?.payload).toBeNull();
        }),
      );

      it(
        'adds nothing for a (destination, key) already stored, and returns the stored id as a duplicate',
        withStore(async (store) => {
          const [first] = await store.enqueue([message('verity', 'k1', { payload: { v: 1 } })]);
          const again = await store.enqueue([
            message('verity', 'k1', { payload: { v: 2 } }),
            // The same key at another destination is another message.
            message('notion', 'k1'),
          ]);
          expect(again[0]).toEqual({ id: first?.id, duplicate: true });
          expect(again[1]?.duplicate).toBe(false);
          expect(again[1]?.id).not.toBe(first?.id);
          // The stored message is the first one.
          expect((await store.get(first?.id ?? ''))?.payload).toEqual({ v: 1 });
          expect(await store.list({ destination: 'verity' })).toHaveLength(1);
        }),
      );

      it(
        'stores a key repeated within one call once: the later occurrence is a duplicate of the first',
        withStore(async (store) => {
          const results = await store.enqueue([
            message('verity', 'a', { payload: 1 }),
            message('verity', 'b'),
            message('verity', 'a', { payload: 2 }),
          ]);
          expect(results[0]?.duplicate).toBe(false);
          expect(results[1]?.duplicate).toBe(false);
          expect(results[2]).toEqual({ id: results[0]?.id, duplicate: true });
          expect((await store.get(results[0]?.id ?? ''))?.payload).toBe(1);
          expect(await store.list()).toHaveLength(2);
        }),
      );

      it(
        'stores each key once when several callers enqueue it at the same time, and every caller gets its id',
        withStore(async (store) => {
          const keys = Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, '0')}`);
          // Each caller sends the keys in its own order (rotated, every other one reversed):
          // a store must neither store one twice nor deadlock.
          const orderOf = (round: number) => {
            const rotated = keys.map((_, i) => keys[(i + round * 7) % keys.length] ?? '');
            return round % 2 === 0 ? rotated : rotated.reverse();
          };
          const rounds = await Promise.all(
            Array.from({ length: 8 }, (_, round) =>
              store.enqueue(orderOf(round).map((key) => message('verity', key, { payload: { round } }))),
            ),
          );
          const stored = await store.list({ destination: 'verity' });
          expect(stored).toHaveLength(keys.length);
          const idByKey = new Map(stored.map((m) => [m.key, m.id]));
          let added = 0;
          for (const [round, results] of rounds.entries()) {
            const order = orderOf(round);
            for (const [i, result] of results.entries()) {
              expect(result.id).toBe(idByKey.get(order[i] ?? ''));
              if (!result.duplicate) added += 1;
            }
          }
          // Exactly one caller added each message.
          expect(added).toBe(keys.length);
        }),
      );

      it(
        'is available at once without availableAt',
        withStore(async (store) => {
          const [result] = await store.enqueue([{ destination: 'verity', key: 'now', payload: {} }]);
          const claimed = await store.claim({ owner: 'd1', limit: 10, leaseMs: MINUTE });
          expect(idsOf(claimed)).toEqual([result?.id]);
        }),
      );
    });

    describe('claim', () => {
      it(
        'leases due messages oldest first, up to the limit, with a claim token and the lease expiry',
        withStore(async (store) => {
          const [late, early, future, middle] = await store.enqueue([
            message('verity', 'late', { availableAt: at(2 * MINUTE) }),
            message('verity', 'early', { availableAt: at(0) }),
            message('verity', 'future', { availableAt: at(HOUR) }),
            message('verity', 'middle', { availableAt: at(MINUTE) }),
          ]);
          const claimed = await store.claim({ owner: 'd1', limit: 2, leaseMs: 30_000, now: at(5 * MINUTE) });
          expect(idsOf(claimed)).toEqual([early?.id, middle?.id]);
          for (const m of claimed) {
            expect(m.status).toBe('processing');
            expect(typeof m.claimToken).toBe('string');
            expect(m.claimToken.length).toBeGreaterThan(0);
            expect(m.leaseExpiresAt).toEqual(at(5 * MINUTE + 30_000));
          }
          expect(claimed[0]?.claimToken).not.toBe(claimed[1]?.claimToken);
          expect((await store.get(early?.id ?? ''))?.status).toBe('processing');

          // The rest: the one due; the future one waits.
          const rest = await store.claim({ owner: 'd1', limit: 10, leaseMs: 30_000, now: at(5 * MINUTE) });
          expect(idsOf(rest)).toEqual([late?.id]);
          expect(await store.claim({ owner: 'd1', limit: 10, leaseMs: 30_000, now: at(5 * MINUTE) })).toEqual([]);
          // At its time the future one is due; the others are still leased (30 s from 5 min) until
          // their leases lapse, and then they come back first (they became available earlier).
          const atLast = await store.claim({ owner: 'd1', limit: 10, leaseMs: 30_000, now: at(5 * MINUTE + 29_999) });
          expect(atLast).toEqual([]);
          const lapsed = await store.claim({ owner: 'd2', limit: 10, leaseMs: 30_000, now: at(HOUR) });
          expect(idsOf(lapsed)).toEqual([early?.id, middle?.id, late?.id, future?.id]);
        }),
      );

      it(
        'claims messages available at the same time in the order they were enqueued',
        withStore(async (store) => {
          const enqueued = await store.enqueue([
            message('verity', 'z'),
            message('verity', 'a'),
            message('verity', 'm'),
          ]);
          const claimed = await store.claim({ owner: 'd1', limit: 10, leaseMs: MINUTE, now: at(0) });
          expect(claimed.map((m) => m.key)).toEqual(['z', 'a', 'm']);
          expect(idsOf(claimed)).toEqual(idsOf(enqueued));
        }),
      );

      it(
        'claims only the given destinations when asked',
        withStore(async (store) => {
          const [verity, notion, ghl] = await store.enqueue([
            message('verity', 'k'),
            message('notion', 'k'),
            message('ghl:contacts', 'k'),
          ]);
          const claimed = await store.claim({
            owner: 'd1',
            limit: 10,
            leaseMs: MINUTE,
            destinations: ['notion', 'ghl:contacts'],
            now: at(0),
          });
          expect(idsOf(claimed).sort()).toEqual([notion?.id, ghl?.id].sort());
          expect(claimed.map((m) => m.destination).sort()).toEqual(['ghl:contacts', 'notion']);
          expect(idsOf(await store.claim({ owner: 'd1', limit: 10, leaseMs: MINUTE, now: at(0) }))).toEqual([
            verity?.id,
          ]);
        }),
      );

      it(
        'claims nothing for a limit of 0',
        withStore(async (store) => {
          await store.enqueue([message('verity', 'k')]);
          expect(await store.claim({ owner: 'd1', limit: 0, leaseMs: MINUTE, now: at(0) })).toEqual([]);
          expect((await store.list())[0]?.status).toBe('pending');
        }),
      );

      it(
        'gives a message whose lease lapsed to the next claimer, and the old token then changes nothing',
        withStore(async (store) => {
          const [queued] = await store.enqueue([message('verity', 'k')]);
          const first = await claimOne(store, at(0), 'd1');
          // Still leased: nobody else gets it.
          expect(await store.claim({ owner: 'd2', limit: 10, leaseMs: MINUTE, now: at(MINUTE - 1) })).toEqual([]);

          const second = await claimOne(store, at(MINUTE), 'd2');
          expect(second.id).toBe(queued?.id);
          expect(second.claimToken).not.toBe(first.claimToken);
          expect(second.leaseExpiresAt).toEqual(at(2 * MINUTE));

          expect(await store.complete({ id: first.id, claimToken: first.claimToken, now: at(MINUTE) })).toBe(false);
          expect(
            await store.fail({
              id: first.id,
              claimToken: first.claimToken,
              error: 'late',
              errorClass: 'transient',
              retryAt: at(HOUR),
              countsTowardsSchedule: true,
              now: at(MINUTE),
            }),
          ).toBe('lease-lost');
          expect((await store.get(first.id))?.status).toBe('processing');
          // The current holder still completes it.
          expect(await store.complete({ id: second.id, claimToken: second.claimToken, now: at(MINUTE) })).toBe(true);
        }),
      );

      it(
        'never gives one message to two concurrent claimers',
        withStore(async (store) => {
          await store.enqueue(Array.from({ length: 20 }, (_, i) => message('verity', `k${i}`)));
          const rounds = await Promise.all(
            Array.from({ length: 6 }, (_, i) => store.claim({ owner: `d${i}`, limit: 3, leaseMs: MINUTE, now: at(0) })),
          );
          const ids = rounds.flat().map((m) => m.id);
          expect(ids).toHaveLength(18);
          expect(new Set(ids).size).toBe(18);
          const rest = await store.claim({ owner: 'd9', limit: 10, leaseMs: MINUTE, now: at(0) });
          expect(rest).toHaveLength(2);
          expect(ids.filter((id) => idsOf(rest).includes(id))).toEqual([]);
        }),
      );
    });

    describe('complete', () => {
      it(
        'marks a leased message done with its result, once',
        withStore(async (store) => {
          await store.enqueue([message('ghl:contacts', 'k')]);
          const claimed = await claimOne(store, at(0));
          expect(
            await store.complete({
              id: claimed.id,
              claimToken: claimed.claimToken,
              result: { skipped: 'stale' },
              now: at(1_000),
            }),
          ).toBe(true);
          expect(await store.get(claimed.id)).toMatchObject({
            status: 'done',
            doneAt: at(1_000),
            result: { skipped: 'stale' },
            attempts: 0,
          });
          // A second completion, or one with a made-up token, changes nothing.
          expect(await store.complete({ id: claimed.id, claimToken: claimed.claimToken, now: at(2_000) })).toBe(false);
          expect((await store.get(claimed.id))?.doneAt).toEqual(at(1_000));
          expect(await store.claim({ owner: 'd1', limit: 10, leaseMs: MINUTE, now: at(HOUR) })).toEqual([]);
        }),
      );

      it(
        'refuses a token that does not hold the lease, and unknown ids',
        withStore(async (store) => {
          await store.enqueue([message('verity', 'k')]);
          const claimed = await claimOne(store, at(0));
          expect(
            await store.complete({ id: claimed.id, claimToken: '00000000-0000-4000-8000-000000000000', now: at(1) }),
          ).toBe(false);
          expect(await store.complete({ id: '999999', claimToken: claimed.claimToken, now: at(1) })).toBe(false);
          expect(await store.complete({ id: 'nope', claimToken: claimed.claimToken, now: at(1) })).toBe(false);
          expect((await store.get(claimed.id))?.status).toBe('processing');
        }),
      );
    });

    describe('fail', () => {
      it(
        'puts the message back until retryAt, counting the attempt and keeping the error',
        withStore(async (store) => {
          await store.enqueue([message('verity', 'k')]);
          const claimed = await claimOne(store, at(0));
          expect(
            await store.fail({
              id: claimed.id,
              claimToken: claimed.claimToken,
              error: 'HTTP 503 from verity',
              errorClass: 'transient',
              retryAt: at(10 * MINUTE),
              countsTowardsSchedule: true,
              now: at(1_000),
            }),
          ).toBe('retrying');
          expect(await store.get(claimed.id)).toMatchObject({
            status: 'pending',
            attempts: 1,
            availableAt: at(10 * MINUTE),
            lastError: 'HTTP 503 from verity',
            lastErrorClass: 'transient',
          });
          // Not before retryAt.
          expect(await store.claim({ owner: 'd1', limit: 10, leaseMs: MINUTE, now: at(10 * MINUTE - 1) })).toEqual([]);
          const again = await claimOne(store, at(10 * MINUTE));
          expect(again.id).toBe(claimed.id);
          expect(again.attempts).toBe(1);
          // The old token is spent.
          expect(
            await store.fail({
              id: claimed.id,
              claimToken: claimed.claimToken,
              error: 'x',
              errorClass: 'transient',
              retryAt: at(HOUR),
              countsTowardsSchedule: true,
              now: at(10 * MINUTE),
            }),
          ).toBe('lease-lost');
        }),
      );

      it(
        'does not count an attempt that does not count towards the schedule (a rate limit)',
        withStore(async (store) => {
          await store.enqueue([message('verity', 'k')]);
          const claimed = await claimOne(store, at(0));
          expect(
            await store.fail({
              id: claimed.id,
              claimToken: claimed.claimToken,
              error: 'HTTP 429',
              errorClass: 'rate_limit',
              retryAt: at(MINUTE),
              countsTowardsSchedule: false,
              now: at(1_000),
            }),
          ).toBe('retrying');
          expect(await store.get(claimed.id)).toMatchObject({
            status: 'pending',
            attempts: 0,
            availableAt: at(MINUTE),
            lastError: 'HTTP 429',
            lastErrorClass: 'rate_limit',
          });
        }),
      );

      it(
        'dead-letters the message when retryAt is null; it is never claimed again',
        withStore(async (store) => {
          await store.enqueue([message('verity', 'k')]);
          const claimed = await claimOne(store, at(0));
          expect(
            await store.fail({
              id: claimed.id,
              claimToken: claimed.claimToken,
              error: 'HTTP 400: invalid payload',
              errorClass: 'validation',
              retryAt: null,
              countsTowardsSchedule: true,
              now: at(1_000),
            }),
          ).toBe('dead');
          expect(await store.get(claimed.id)).toMatchObject({
            status: 'dead',
            attempts: 1,
            lastError: 'HTTP 400: invalid payload',
            lastErrorClass: 'validation',
          });
          expect(await store.claim({ owner: 'd1', limit: 10, leaseMs: MINUTE, now: at(10 * HOUR) })).toEqual([]);
          expect(
            await store.fail({
              id: claimed.id,
              claimToken: claimed.claimToken,
              error: 'again',
              errorClass: 'transient',
              retryAt: at(HOUR),
              countsTowardsSchedule: true,
              now: at(2_000),
            }),
          ).toBe('lease-lost');
          expect((await store.get(claimed.id))?.status).toBe('dead');
        }),
      );

      it(
        'answers lease-lost for unknown ids',
        withStore(async (store) => {
          const failure = {
            claimToken: '00000000-0000-4000-8000-000000000000',
            error: 'x',
            errorClass: 'transient' as const,
            retryAt: null,
            countsTowardsSchedule: true,
            now: at(0),
          };
          expect(await store.fail({ id: '999999', ...failure })).toBe('lease-lost');
          expect(await store.fail({ id: 'nope', ...failure })).toBe('lease-lost');
        }),
      );
    });

    describe('replay', () => {
      const deadLetter = async (store: OutboxStoreV1, key: string, extra: Partial<NewOutboxMessageV1> = {}) => {
        const [queued] = await store.enqueue([message('verity', key, extra)]);
        const [claimed] = await store.claim({ owner: 'd1', limit: 1, leaseMs: MINUTE, now: at(0) });
        if (!claimed || claimed.id !== queued?.id) throw new Error('expected to claim the message just enqueued');
        await store.fail({
          id: claimed.id,
          claimToken: claimed.claimToken,
          error: 'gave up',
          errorClass: 'transient',
          retryAt: null,
          countsTowardsSchedule: true,
          now: at(1_000),
        });
        return claimed.id;
      };

      it(
        'needs at least one filter',
        withStore(async (store) => {
          await expect(store.replay({})).rejects.toThrow();
          await expect(store.replay({ ids: [] })).rejects.toThrow();
          await expect(store.replay({ statuses: ['dead'] })).rejects.toThrow();
        }),
      );

      it(
        'puts dead letters back to pending, due now, and their attempts continue',
        withStore(async (store) => {
          const id = await deadLetter(store, 'k');
          expect(await store.replay({ ids: [id] })).toBe(1);
          const replayed = await store.get(id);
          expect(replayed).toMatchObject({ status: 'pending', attempts: 1, lastError: 'gave up' });
          expect(replayed?.availableAt.getTime()).toBeGreaterThan(at(1_000).getTime());
          // Due now: a claim on the store's own clock gets it.
          const claimed = await store.claim({ owner: 'd2', limit: 10, leaseMs: MINUTE });
          expect(idsOf(claimed)).toEqual([id]);
          expect(
            await store.fail({
              id,
              claimToken: claimed[0]?.claimToken ?? '',
              error: 'still failing',
              errorClass: 'transient',
              retryAt: null,
              countsTowardsSchedule: true,
            }),
          ).toBe('dead');
          expect(await store.get(id)).toMatchObject({ status: 'dead', attempts: 2, lastError: 'still failing' });
          // Replaying a message that is not dead changes nothing.
          expect(await store.replay({ ids: ['999999'] })).toBe(0);
          expect(await store.replay({ ids: ['nope'] })).toBe(0);
        }),
      );

      it(
        'selects by destination, tenant and creation time, and leaves pending and done messages alone by default',
        withStore(async (store) => {
          const a = await deadLetter(store, 'a', { tenant: 't1' });
          const b = await deadLetter(store, 'b', { tenant: 't2' });
          const [pending] = await store.enqueue([
            message('verity', 'pending', { tenant: 't1', availableAt: at(HOUR) }),
          ]);
          const [other] = await store.enqueue([message('notion', 'done', { tenant: 't1' })]);
          const claimed = await store.claim({
            owner: 'd1',
            limit: 1,
            leaseMs: MINUTE,
            destinations: ['notion'],
            now: at(0),
          });
          expect(idsOf(claimed)).toEqual([other?.id]);
          await store.complete({ id: other?.id ?? '', claimToken: claimed[0]?.claimToken ?? '', now: at(2_000) });

          expect(await store.replay({ destination: 'notion' })).toBe(0);
          expect(await store.replay({ to: new Date(Date.now() - HOUR) })).toBe(0);
          expect(await store.replay({ tenant: 't2' })).toBe(1);
          expect((await store.get(b))?.status).toBe('pending');
          expect((await store.get(a))?.status).toBe('dead');
          expect(await store.replay({ destination: 'verity', from: new Date(Date.now() - HOUR) })).toBe(1);
          expect((await store.get(a))?.status).toBe('pending');
          expect((await store.get(pending?.id ?? ''))?.availableAt).toEqual(at(HOUR));

          // Done messages only when asked for.
          expect(await store.replay({ destination: 'notion', statuses: ['done'] })).toBe(1);
          const again = await store.get(other?.id ?? '');
          expect(again?.status).toBe('pending');
          expect(again?.doneAt).toBeUndefined();
        }),
      );
    });

    describe('list and stats', () => {
      it(
        'lists newest first, filtered by destination, status and tenant, up to the limit',
        withStore(async (store) => {
          const [a, b, c, d] = await store.enqueue([
            message('verity', 'a', { tenant: 't1' }),
            message('verity', 'b', { tenant: 't2' }),
            message('notion', 'c', { tenant: 't1' }),
            message('verity', 'd', { tenant: 't1', availableAt: at(HOUR) }),
          ]);
          await claimOne(store, at(0));
          expect(idsOf(await store.list())).toEqual([d?.id, c?.id, b?.id, a?.id]);
          expect(idsOf(await store.list({ destination: 'verity' }))).toEqual([d?.id, b?.id, a?.id]);
          expect(idsOf(await store.list({ tenant: 't1' }))).toEqual([d?.id, c?.id, a?.id]);
          expect(idsOf(await store.list({ status: 'processing' }))).toEqual([a?.id]);
          expect(idsOf(await store.list({ destination: 'verity', status: 'pending', tenant: 't1' }))).toEqual([d?.id]);
          expect(idsOf(await store.list({ limit: 2 }))).toEqual([d?.id, c?.id]);
        }),
      );

      it(
        'reports depth, the oldest waiting message, the last error and the last delivery per destination',
        withStore(async (store) => {
          await store.enqueue([
            message('verity', 'a', { availableAt: at(0) }),
            message('verity', 'b', { availableAt: at(MINUTE) }),
            message('verity', 'c', { availableAt: at(2 * MINUTE) }),
            message('verity', 'd', { availableAt: at(3 * MINUTE) }),
            message('notion', 'e', { availableAt: at(10 * MINUTE) }),
          ]);
          const [a, b, c] = await store.claim({
            owner: 'd1',
            limit: 3,
            leaseMs: HOUR,
            destinations: ['verity'],
            now: at(5 * MINUTE),
          });
          if (!a || !b || !c) throw new Error('expected three claims');
          await store.complete({ id: a.id, claimToken: a.claimToken, now: at(6 * MINUTE) });
          await store.fail({
            id: b.id,
            claimToken: b.claimToken,
            error: 'HTTP 400',
            errorClass: 'validation',
            retryAt: null,
            countsTowardsSchedule: true,
            now: at(7 * MINUTE),
          });

          expect(await store.stats()).toEqual([
            { destination: 'notion', pending: 1, processing: 0, dead: 0, oldestWaitingAt: at(10 * MINUTE) },
            {
              destination: 'verity',
              pending: 1,
              processing: 1,
              dead: 1,
              // c (processing) became available before d (pending); a is done, b is dead.
              oldestWaitingAt: at(2 * MINUTE),
              lastError: 'HTTP 400',
              lastErrorAt: at(7 * MINUTE),
              lastDoneAt: at(6 * MINUTE),
            },
          ]);

          // A later failure is the last error.
          await store.fail({
            id: c.id,
            claimToken: c.claimToken,
            error: 'HTTP 502',
            errorClass: 'transient',
            retryAt: at(HOUR),
            countsTowardsSchedule: true,
            now: at(8 * MINUTE),
          });
          const verity = (await store.stats()).find((s) => s.destination === 'verity');
          expect(verity).toMatchObject({
            pending: 2,
            processing: 0,
            dead: 1,
            oldestWaitingAt: at(3 * MINUTE),
            lastError: 'HTTP 502',
            lastErrorAt: at(8 * MINUTE),
          });
        }),
      );
    });
  });
}
