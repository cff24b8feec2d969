import { describe, expect, it } from 'vitest';
import { conflictDedupeKey } from '../pipeline/idempotency';
import type { NewDeliveryV1, StateStoreV1 } from '../spec/v1';

export interface TestStateStoreOptions {
  /** Create a fresh, empty store (its own schema or database). */
  create: () => StateStoreV1 | Promise<StateStoreV1>;
  /** Release it after each test. */
  destroy?: (store: StateStoreV1) => void | Promise<void>;
}

let counter = 0;
/** A delivery with unique dedupe key, for store tests. */
export function makeTestDelivery(overrides: Partial<NewDeliveryV1> = {}): NewDeliveryV1 {
  counter += 1;
  return {
    source: 'test',
    tenant: 'tenant-a',
    dedupeKey: `test:delivery-${Date.now()}-${counter}`,
    method: 'POST',
    url: 'http://localhost/webhooks/test',
    headers: { 'content-type': 'application/json', 'x-test-signature': 'abc' },
    body: new TextEncoder().encode(`{"id":"${counter}","emoji":"\u00e9\u{1F600}"}  `),
    receivedAt: new Date(Date.now() - 1_000),
    correlationId: `corr-${counter}`,
    eventTypes: ['ThingUpdate'],
    ...overrides,
  };
}

/**
 * The behaviour every `StateStoreV1` must have, as a vitest suite. Call it from
 * the store's own test file:
 *
 * ```ts
 * describe('memory store', () => {
 *   testStateStore({ create: () => createMemoryStateStore() });
 * });
 * ```
 */
export function testStateStore(options: TestStateStoreOptions): void {
  const withStore = (fn: (store: StateStoreV1) => Promise<void>) => async () => {
    const store = await options.create();
    try {
      await fn(store);
    } finally {
      await options.destroy?.(store);
    }
  };
  const lease = { owner: 'worker-1', limit: 10, leaseMs: 30_000 };

  describe('StateStoreV1 contract', () => {
    it(
      'declares specificationVersion v1',
      withStore(async (store) => {
        expect(store.specificationVersion).toBe('v1');
      }),
    );

    it(
      'stores a delivery once per dedupe key and keeps the raw bytes exactly',
      withStore(async (store) => {
        const delivery = makeTestDelivery();
        const first = await store.enqueue(delivery);
        const second = await store.enqueue({ ...delivery, correlationId: 'other' });
        expect(first.duplicate).toBe(false);
        expect(second).toEqual({ id: first.id, duplicate: true });
        const stored = await store.getDelivery(first.id);
        expect(stored?.status).toBe('pending');
        expect([...(stored?.body ?? [])]).toEqual([...delivery.body]);
        expect(stored?.headers).toEqual(delivery.headers);
        expect(stored?.correlationId).toBe(delivery.correlationId);
        expect(await store.listDeliveries({})).toHaveLength(1);
      }),
    );

    it(
      'keeps a redelivery with a known key and different body bytes as a conflict, linked to the first, never dropped',
      withStore(async (store) => {
        const encode = (text: string) => new TextEncoder().encode(text);
        const original = makeTestDelivery({ tenant: 'conflict-t', body: encode('{"id":"c1","name":"Ann"}') });
        // The same JSON with another key order: equal when parsed, different bytes (a signature covers bytes).
        const reordered = encode('{"name":"Ann","id":"c1"}');
        const changed = encode('{"id":"c1","name":"Bob"}');
        const first = await store.enqueue(original);
        expect(first).toEqual({ id: first.id, duplicate: false });

        const conflict = await store.enqueue({ ...original, body: changed, correlationId: 'corr-changed' });
        expect(conflict).toEqual({ id: expect.any(String), duplicate: false, conflictOf: first.id });
        expect(conflict.id).not.toBe(first.id);
        const kept = await store.getDelivery(conflict.id);
        expect(kept).toMatchObject({
          status: 'pending',
          conflictOf: first.id,
          dedupeKey: await conflictDedupeKey(original.dedupeKey, changed),
          correlationId: 'corr-changed',
          tenant: 'conflict-t',
        });
        expect([...(kept?.body ?? [])]).toEqual([...changed]);
        // The first delivery is untouched.
        const stored = await store.getDelivery(first.id);
        expect([...(stored?.body ?? [])]).toEqual([...original.body]);
        expect(stored?.conflictOf).toBeUndefined();
        expect(stored?.dedupeKey).toBe(original.dedupeKey);

        // Each body again is a duplicate of its own delivery.
        expect(await store.enqueue({ ...original, body: changed })).toEqual({
          id: conflict.id,
          duplicate: true,
          conflictOf: first.id,
        });
        expect(await store.enqueue(original)).toEqual({ id: first.id, duplicate: true });
        // Bytes, not parsed JSON, decide.
        const second = await store.enqueue({ ...original, body: reordered });
        expect(second).toMatchObject({ duplicate: false, conflictOf: first.id });
        expect(new Set([first.id, conflict.id, second.id]).size).toBe(3);

        expect((await store.listDeliveries({ conflicts: true })).map((delivery) => delivery.id)).toEqual([
          second.id,
          conflict.id,
        ]);
        expect(await store.listDeliveries({ conflicts: true, tenant: 'other' })).toEqual([]);
        expect(await store.listDeliveries({ tenant: 'conflict-t' })).toHaveLength(3);
        const figure = (await store.health()).find((entry) => entry.tenant === 'conflict-t');
        expect(figure).toMatchObject({ pending: 3, conflicts: 2 });
        // Conflicts are processed like any delivery: the sink's version guard decides.
        const claimed = await store.claim(lease);
        expect(claimed.map((delivery) => delivery.id).sort()).toEqual([first.id, conflict.id, second.id].sort());
        expect(claimed.find((delivery) => delivery.id === conflict.id)?.conflictOf).toBe(first.id);
      }),
    );

    it(
      'sorts conflicts from duplicates in one concurrent burst (a group-committed batch), and for split parts',
      withStore(async (store) => {
        const encode = (text: string) => new TextEncoder().encode(text);
        const base = makeTestDelivery({ tenant: 'burst-t', body: encode('{"v":1}') });
        const other = makeTestDelivery({ tenant: 'burst-t' });
        const [a, b, c, d, e] = await Promise.all([
          store.enqueue(base),
          store.enqueue({ ...base, body: encode('{"v":2}') }),
          store.enqueue({ ...base, body: encode('{"v":2}') }),
          store.enqueue({ ...base }),
          store.enqueue(other),
        ]);
        expect(a).toEqual({ id: expect.any(String), duplicate: false });
        expect(d).toEqual({ id: a?.id, duplicate: true });
        expect(e?.duplicate).toBe(false);
        // One of the two equal conflicting bodies is stored, the other is its duplicate.
        expect(b?.id).toBe(c?.id);
        expect([b?.duplicate, c?.duplicate].sort()).toEqual([false, true]);
        expect(b?.conflictOf).toBe(a?.id);
        expect(c?.conflictOf).toBe(a?.id);
        expect(await store.listDeliveries({ tenant: 'burst-t' })).toHaveLength(3);

        // Parts of a split delivery (`<key>#<part>`): only the changed part is a conflict.
        const parts = ['1', '2'].map((part) =>
          makeTestDelivery({ tenant: 'burst-t', dedupeKey: `${base.dedupeKey}-split#${part}`, body: encode(part) }),
        );
        const stored = await Promise.all(parts.map((part) => store.enqueue(part)));
        const again = await Promise.all([
          store.enqueue(parts[0] as NewDeliveryV1),
          store.enqueue({ ...(parts[1] as NewDeliveryV1), body: encode('2b') }),
        ]);
        expect(again[0]).toEqual({ id: stored[0]?.id, duplicate: true });
        expect(again[1]).toMatchObject({ duplicate: false, conflictOf: stored[1]?.id });
        expect((await store.getDelivery(again[1]?.id ?? ''))?.dedupeKey).toBe(
          await conflictDedupeKey(parts[1]?.dedupeKey ?? '', encode('2b')),
        );
        expect((await store.health()).find((entry) => entry.tenant === 'burst-t')?.conflicts).toBe(2);
      }),
    );

    it(
      'claims due deliveries oldest first, never the same one twice while leased',
      withStore(async (store) => {
        const older = await store.enqueue(makeTestDelivery({ receivedAt: new Date(Date.now() - 5_000) }));
        const newer = await store.enqueue(makeTestDelivery({ receivedAt: new Date(Date.now() - 1_000) }));
        const [a, b] = await Promise.all([
          store.claim({ ...lease, limit: 1 }),
          store.claim({ ...lease, owner: 'worker-2', limit: 1 }),
        ]);
        const ids = [...(a ?? []), ...(b ?? [])].map((delivery) => delivery.id).sort();
        expect(ids).toEqual([older.id, newer.id].sort());
        expect(await store.claim(lease)).toEqual([]);
      }),
    );

    it(
      'claims the oldest due delivery first',
      withStore(async (store) => {
        const newer = await store.enqueue(makeTestDelivery({ receivedAt: new Date(Date.now() - 1_000) }));
        const older = await store.enqueue(makeTestDelivery({ receivedAt: new Date(Date.now() - 5_000) }));
        expect((await store.claim({ ...lease, limit: 1 }))[0]?.id).toBe(older.id);
        expect((await store.claim({ ...lease, limit: 1 }))[0]?.id).toBe(newer.id);
      }),
    );

    it(
      'claims only the requested sources',
      withStore(async (store) => {
        await store.enqueue(makeTestDelivery({ source: 'one' }));
        const other = await store.enqueue(makeTestDelivery({ source: 'two' }));
        const claimed = await store.claim({ ...lease, sources: ['two'] });
        expect(claimed.map((delivery) => delivery.id)).toEqual([other.id]);
      }),
    );

    it(
      'reclaims a delivery whose lease expired, and the old lease can no longer complete it',
      withStore(async (store) => {
        const { id } = await store.enqueue(makeTestDelivery());
        const now = new Date();
        const [first] = await store.claim({ ...lease, leaseMs: 1_000, now });
        expect(first?.id).toBe(id);
        expect(await store.claim({ ...lease, now: new Date(now.getTime() + 500) })).toEqual([]);
        const [second] = await store.claim({ ...lease, owner: 'worker-2', now: new Date(now.getTime() + 2_000) });
        expect(second?.id).toBe(id);
        expect(second?.claimToken).not.toBe(first?.claimToken);
        const stale = await store.complete({ id, claimToken: first?.claimToken ?? '', events: [], startedAt: now });
        expect(stale).toBe(false);
        // The lapsed lease counted as a failed attempt, with history.
        expect(second?.attempts).toBe(1);
        expect(second?.lastError).toMatch(/^lease expired/);
        expect((await store.listAttempts(id)).map((attempt) => [attempt.outcome, attempt.errorClass])).toEqual([
          ['retry', 'transient'],
        ]);
        const fresh = await store.complete({ id, claimToken: second?.claimToken ?? '', events: [], startedAt: now });
        expect(fresh).toBe(true);
        expect((await store.getDelivery(id))?.status).toBe('done');
      }),
    );

    it(
      'completes with its integration events, which feed health',
      withStore(async (store) => {
        const { id } = await store.enqueue(makeTestDelivery({ tenant: 'tenant-h' }));
        const [claimed] = await store.claim(lease);
        const createdAt = new Date();
        const ok = await store.complete({
          id,
          claimToken: claimed?.claimToken ?? '',
          startedAt: createdAt,
          events: [
            {
              source: 'test',
              tenant: 'tenant-h',
              type: 'ThingUpdate',
              entity: 'thing',
              entityId: 'x1',
              outcome: 'created',
              triggeredBy: 'webhook',
              latencyMs: 40,
              deliveryId: id,
              createdAt,
            },
            {
              source: 'test',
              tenant: 'tenant-h',
              type: 'ThingUpdate',
              entity: 'thing',
              entityId: 'x2',
              outcome: 'updated',
              triggeredBy: 'webhook',
              latencyMs: 80,
              deliveryId: id,
              createdAt,
            },
          ],
        });
        expect(ok).toBe(true);
        const events = await store.listEvents({ tenant: 'tenant-h' });
        expect(events.map((event) => event.entityId).sort()).toEqual(['x1', 'x2']);
        const health = (await store.health()).find(
          (figure) => figure.source === 'test' && figure.tenant === 'tenant-h',
        );
        expect(health).toMatchObject({
          pending: 0,
          processing: 0,
          dead: 0,
          eventsLastHour: 2,
          oldestPendingAgeMs: null,
        });
        expect(health?.lastEventAt).toBeInstanceOf(Date);
        expect(health?.latencyP50Ms).toBe(40);
        expect(health?.latencyP95Ms).toBe(80);
        expect((await store.listAttempts(id)).map((attempt) => attempt.outcome)).toEqual(['done']);
      }),
    );

    it(
      'schedules a retry on fail, and dead-letters with the reason and every attempt',
      withStore(async (store) => {
        const { id } = await store.enqueue(makeTestDelivery());
        const now = new Date();
        const [first] = await store.claim({ ...lease, now });
        const retryAt = new Date(now.getTime() + 60_000);
        expect(
          await store.fail({
            id,
            claimToken: first?.claimToken ?? '',
            error: 'HTTP 503',
            errorClass: 'transient',
            retryAt,
            countsTowardsSchedule: true,
            startedAt: now,
          }),
        ).toBe('retrying');
        let stored = await store.getDelivery(id);
        expect(stored).toMatchObject({
          status: 'pending',
          attempts: 1,
          lastError: 'HTTP 503',
          lastErrorClass: 'transient',
        });
        expect(stored?.nextAttemptAt.getTime()).toBe(retryAt.getTime());
        expect(await store.claim({ ...lease, now: new Date(now.getTime() + 30_000) })).toEqual([]);
        const [second] = await store.claim({ ...lease, now: new Date(now.getTime() + 61_000) });
        expect(second?.id).toBe(id);
        expect(
          await store.fail({
            id,
            claimToken: second?.claimToken ?? '',
            error: 'HTTP 429',
            errorClass: 'rate_limit',
            retryAt: new Date(now.getTime() + 90_000),
            countsTowardsSchedule: false,
            startedAt: now,
          }),
        ).toBe('retrying');
        expect((await store.getDelivery(id))?.attempts).toBe(1);
        const [third] = await store.claim({ ...lease, now: new Date(now.getTime() + 91_000) });
        expect(
          await store.fail({
            id,
            claimToken: third?.claimToken ?? '',
            error: 'bad field',
            errorClass: 'transform',
            retryAt: null,
            countsTowardsSchedule: true,
            startedAt: now,
          }),
        ).toBe('dead');
        stored = await store.getDelivery(id);
        expect(stored).toMatchObject({ status: 'dead', lastError: 'bad field', lastErrorClass: 'transform' });
        expect(await store.claim({ ...lease, now: new Date(now.getTime() + 10_000_000) })).toEqual([]);
        const attempts = await store.listAttempts(id);
        expect(attempts.map((attempt) => [attempt.attempt, attempt.outcome, attempt.errorClass])).toEqual([
          [1, 'retry', 'transient'],
          [2, 'retry', 'rate_limit'],
          [3, 'dead', 'transform'],
        ]);
        expect((await store.listDeliveries({ status: 'dead' })).map((delivery) => delivery.id)).toEqual([id]);
        expect((await store.health()).find((figure) => figure.source === 'test')?.dead).toBe(1);
      }),
    );

    it(
      'a stale claim token cannot fail a delivery either',
      withStore(async (store) => {
        const { id } = await store.enqueue(makeTestDelivery());
        await store.claim(lease);
        expect(
          await store.fail({
            id,
            claimToken: 'not-the-token',
            error: 'x',
            errorClass: 'transient',
            retryAt: null,
            countsTowardsSchedule: true,
            startedAt: new Date(),
          }),
        ).toBe('lease-lost');
        expect((await store.getDelivery(id))?.status).toBe('processing');
      }),
    );

    it(
      'replays dead letters by id, by tenant and by time range, with attempts reset and history kept',
      withStore(async (store) => {
        const t0 = Date.now() - 60_000;
        const ids: string[] = [];
        for (const [tenant, offset] of [
          ['t1', 0],
          ['t1', 10_000],
          ['t2', 20_000],
        ] as const) {
          const { id } = await store.enqueue(makeTestDelivery({ tenant, receivedAt: new Date(t0 + offset) }));
          ids.push(id);
          const [claimed] = await store.claim(lease);
          await store.fail({
            id,
            claimToken: claimed?.claimToken ?? '',
            error: 'boom',
            errorClass: 'transform',
            retryAt: null,
            countsTowardsSchedule: true,
            startedAt: new Date(),
          });
        }
        await expect(store.replay({})).rejects.toThrow(/filter/);
        expect(await store.replay({ ids: [ids[0] as string] })).toBe(1);
        expect(await store.getDelivery(ids[0] as string)).toMatchObject({ status: 'pending', attempts: 0 });
        expect(await store.replay({ tenant: 't2' })).toBe(1);
        expect((await store.getDelivery(ids[2] as string))?.status).toBe('pending');
        expect(await store.replay({ from: new Date(t0 + 5_000), to: new Date(t0 + 15_000) })).toBe(1);
        expect((await store.getDelivery(ids[1] as string))?.status).toBe('pending');
        expect(await store.replay({ tenant: 't1' })).toBe(0);
        const [claimed] = await store.claim({ ...lease, limit: 1 });
        expect(claimed).toBeDefined();
        expect((await store.listAttempts(claimed?.id ?? '')).length).toBe(1);
      }),
    );

    it(
      'can replay done deliveries when asked to',
      withStore(async (store) => {
        const { id } = await store.enqueue(makeTestDelivery());
        const [claimed] = await store.claim(lease);
        await store.complete({ id, claimToken: claimed?.claimToken ?? '', events: [], startedAt: new Date() });
        expect(await store.replay({ ids: [id] })).toBe(0);
        expect(await store.replay({ ids: [id], statuses: ['done'] })).toBe(1);
        expect((await store.getDelivery(id))?.status).toBe('pending');
      }),
    );

    it(
      'keeps cursors per source, tenant and stream',
      withStore(async (store) => {
        const key = { source: 'test', tenant: 't1', stream: 'contacts' };
        expect(await store.getCursor(key)).toBeNull();
        await store.setCursor({ ...key, cursor: 'page-2' });
        await store.setCursor({ ...key, stream: 'deals', cursor: 'd-9' });
        await store.setCursor({ ...key, cursor: 'page-3' });
        expect(await store.getCursor(key)).toBe('page-3');
        expect(await store.getCursor({ ...key, stream: 'deals' })).toBe('d-9');
        expect(await store.getCursor({ ...key, tenant: 't2' })).toBeNull();
      }),
    );

    it(
      'reports backlog: pending depth and oldest pending age',
      withStore(async (store) => {
        const now = new Date();
        await store.enqueue(makeTestDelivery({ tenant: 'backlog', receivedAt: new Date(now.getTime() - 90_000) }));
        await store.enqueue(makeTestDelivery({ tenant: 'backlog', receivedAt: new Date(now.getTime() - 10_000) }));
        const figure = (await store.health({ now })).find((entry) => entry.tenant === 'backlog');
        expect(figure?.pending).toBe(2);
        expect(figure?.oldestPendingAgeMs).toBeGreaterThanOrEqual(89_000);
        expect(figure?.oldestPendingAgeMs).toBeLessThanOrEqual(91_000);
        expect(figure?.lastDeliveryAt?.getTime()).toBe(now.getTime() - 10_000);
      }),
    );

    it(
      'records poll events and lists events newest first with filters',
      withStore(async (store) => {
        const base = Date.now() - 10_000;
        await store.recordEvents(
          [0, 1, 2].map((index) => ({
            source: 'test',
            tenant: 'poll-t',
            type: 'poll',
            entity: 'thing',
            entityId: `p${index}`,
            outcome: 'created' as const,
            triggeredBy: 'poll' as const,
            createdAt: new Date(base + index * 1_000),
          })),
        );
        const all = await store.listEvents({ tenant: 'poll-t' });
        expect(all.map((event) => event.entityId)).toEqual(['p2', 'p1', 'p0']);
        expect(
          (await store.listEvents({ tenant: 'poll-t', since: new Date(base + 500) })).map((event) => event.entityId),
        ).toEqual(['p2', 'p1']);
        expect(await store.listEvents({ tenant: 'poll-t', limit: 1 })).toHaveLength(1);
        expect(all[0]?.triggeredBy).toBe('poll');
      }),
    );

    it(
      "completeMany completes a batch with each delivery's events, and answers false only where the lease is lost",
      withStore(async (store) => {
        const ids = [];
        for (let index = 0; index < 4; index++) {
          ids.push((await store.enqueue(makeTestDelivery({ tenant: 'batch-t' }))).id);
        }
        const now = new Date();
        const [lapsed] = await store.claim({ ...lease, limit: 1, leaseMs: 1_000, now });
        const held = await store.claim({ ...lease, leaseMs: 60_000, now });
        expect([lapsed, ...held].map((delivery) => delivery?.id).sort()).toEqual([...ids].sort());
        // The first one's lease lapses and another worker takes it.
        const [retaken] = await store.claim({
          ...lease,
          owner: 'worker-2',
          limit: 1,
          now: new Date(now.getTime() + 2_000),
        });
        expect(retaken?.id).toBe(lapsed?.id);
        const event = (id: string, entityId: string) => ({
          source: 'test',
          tenant: 'batch-t',
          type: 'ThingUpdate',
          entity: 'thing',
          entityId,
          outcome: 'created' as const,
          triggeredBy: 'webhook' as const,
          latencyMs: 5,
          deliveryId: id,
          createdAt: now,
        });
        const requests = [lapsed, ...held].map((delivery, index) => ({
          id: delivery?.id ?? '',
          claimToken: delivery?.claimToken ?? '',
          startedAt: now,
          events: index === 1 ? [] : [event(delivery?.id ?? '', `e${index}a`), event(delivery?.id ?? '', `e${index}b`)],
        }));
        // A repeat of a request in the same call, and an id that names nothing.
        const results = await store.completeMany([
          ...requests,
          requests[2] as (typeof requests)[number],
          { id: '999999999', claimToken: crypto.randomUUID(), startedAt: now, events: [] },
        ]);
        expect(results).toEqual([false, true, true, true, false, false]);
        expect(await store.completeMany([])).toEqual([]);
        for (const delivery of held) {
          expect((await store.getDelivery(delivery.id))?.status).toBe('done');
          expect((await store.listAttempts(delivery.id)).map((attempt) => attempt.outcome)).toEqual(['done']);
        }
        expect((await store.getDelivery(lapsed?.id ?? ''))?.status).toBe('processing');
        const events = await store.listEvents({ tenant: 'batch-t' });
        expect(events.map((entry) => entry.entityId).sort()).toEqual(['e2a', 'e2b', 'e3a', 'e3b']);
        expect(new Set(events.map((entry) => entry.deliveryId))).toEqual(new Set([held[1]?.id, held[2]?.id]));
        // The lease holder still completes it on its own.
        expect(
          await store.completeMany([
            { id: retaken?.id ?? '', claimToken: retaken?.claimToken ?? '', startedAt: now, events: [] },
          ]),
        ).toEqual([true]);
        expect((await store.getDelivery(retaken?.id ?? ''))?.status).toBe('done');
      }),
    );

    it(
      "onDeliveryEnqueued hears this process's new deliveries, not duplicates, until unsubscribed",
      withStore(async (store) => {
        let heard = 0;
        const stop = store.onDeliveryEnqueued(() => {
          heard += 1;
        });
        try {
          const delivery = makeTestDelivery();
          await store.enqueue(delivery);
          expect(heard).toBeGreaterThanOrEqual(1);
          const after = heard;
          await store.enqueue(delivery);
          await new Promise((resolve) => setTimeout(resolve, 50));
          // A duplicate stores nothing; only a LISTEN echo of the first may still arrive.
          expect(heard).toBeLessThanOrEqual(after + 1);
        } finally {
          stop();
        }
        const stopped = heard;
        await store.enqueue(makeTestDelivery());
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(heard).toBe(stopped);
      }),
    );

    it(
      'coalesces sync requests of one stream while one waits: exactly one pending, the rest done and linked to it',
      withStore(async (store) => {
        const coalesceKey = 'test:coalesce-t:history';
        const receivedAt = new Date(Date.now() - 60_000);
        const pushes = Array.from({ length: 1_000 }, (_, index) =>
          makeTestDelivery({
            tenant: 'coalesce-t',
            dedupeKey: `test:push-${index}`,
            body: new TextEncoder().encode(`{"historyId":"${index}"}`),
            receivedAt,
            eventTypes: ['sync:history'],
            coalesceKey,
          }),
        );
        // All at once: concurrent enqueues must still leave one waiting delivery.
        const results = await Promise.all(pushes.map((push) => store.enqueue(push)));
        expect(results.every((result) => result.duplicate === false)).toBe(true);
        const waiting = results.filter((result) => result.coalescedInto === undefined);
        expect(waiting).toHaveLength(1);
        const pendingId = waiting[0]?.id ?? '';
        expect(results.filter((result) => result.coalescedInto === pendingId)).toHaveLength(999);
        expect(new Set(results.map((result) => result.id)).size).toBe(1_000);

        const pending = await store.listDeliveries({ tenant: 'coalesce-t', status: 'pending' });
        expect(pending.map((delivery) => delivery.id)).toEqual([pendingId]);
        expect(pending[0]?.coalesceKey).toBe(coalesceKey);
        expect(pending[0]?.coalescedInto).toBeUndefined();
        const done = await store.listDeliveries({ tenant: 'coalesce-t', status: 'done', limit: 2_000 });
        expect(done).toHaveLength(999);
        expect(done.every((delivery) => delivery.coalescedInto === pendingId)).toBe(true);
        expect(done.every((delivery) => delivery.completedAt instanceof Date)).toBe(true);
        // Bytes are kept for every push.
        const one = results.find((result) => result.coalescedInto !== undefined);
        const stored = await store.getDelivery(one?.id ?? '');
        expect(stored?.status).toBe('done');
        expect(stored?.coalescedInto).toBe(pendingId);
        expect(new TextDecoder().decode(stored?.body)).toMatch(/^\{"historyId":"\d+"\}$/);

        // Another stream, and a delivery without a key, are not coalesced with it.
        const other = await store.enqueue(
          makeTestDelivery({ tenant: 'coalesce-t', coalesceKey: 'test:coalesce-t:events', receivedAt }),
        );
        const plain = await store.enqueue(makeTestDelivery({ tenant: 'coalesce-t', receivedAt }));
        expect(other.coalescedInto).toBeUndefined();
        expect(plain.coalescedInto).toBeUndefined();
        expect(await store.listDeliveries({ tenant: 'coalesce-t', status: 'pending' })).toHaveLength(3);
      }),
    );

    it(
      'stores the next sync request pending once the waiting one is claimed, and coalesces later ones into it',
      withStore(async (store) => {
        const coalesceKey = 'test:claimed-t:history';
        const now = new Date();
        const push = (index: number) =>
          makeTestDelivery({
            tenant: 'claimed-t',
            dedupeKey: `test:claimed-push-${index}`,
            body: new TextEncoder().encode(`{"historyId":"${index}"}`),
            receivedAt: new Date(now.getTime() - 10_000 + index),
            coalesceKey,
          });
        const first = await store.enqueue(push(1));
        expect((await store.enqueue(push(2))).coalescedInto).toBe(first.id);
        const [claimed] = await store.claim({ ...lease, limit: 5, now });
        expect(claimed?.id).toBe(first.id);
        // A push during the sync: the sync that runs now may have read past it, so it waits for one more.
        const during = await store.enqueue(push(3));
        expect(during.coalescedInto).toBeUndefined();
        expect((await store.getDelivery(during.id))?.status).toBe('pending');
        const later = await store.enqueue(push(4));
        expect(later.coalescedInto).toBe(during.id);
        expect(
          await store.complete({ id: first.id, claimToken: claimed?.claimToken ?? '', events: [], startedAt: now }),
        ).toBe(true);
        const pending = await store.listDeliveries({ tenant: 'claimed-t', status: 'pending' });
        expect(pending.map((delivery) => delivery.id)).toEqual([during.id]);
      }),
    );

    it(
      'dedupes a repeated sync request before coalescing it: a duplicate stores nothing',
      withStore(async (store) => {
        const coalesceKey = 'test:dup-t:history';
        const receivedAt = new Date(Date.now() - 10_000);
        const waiting = makeTestDelivery({ tenant: 'dup-t', dedupeKey: 'test:dup-1', receivedAt, coalesceKey });
        const covered = makeTestDelivery({ tenant: 'dup-t', dedupeKey: 'test:dup-2', receivedAt, coalesceKey });
        const first = await store.enqueue(waiting);
        const second = await store.enqueue(covered);
        expect(second.coalescedInto).toBe(first.id);
        expect(await store.enqueue(waiting)).toMatchObject({ id: first.id, duplicate: true });
        expect(await store.enqueue(covered)).toMatchObject({ id: second.id, duplicate: true });
        expect(await store.listDeliveries({ tenant: 'dup-t' })).toHaveLength(2);
      }),
    );

    it(
      'renewLease extends a held lease, and answers false for a stale token or a completed delivery',
      withStore(async (store) => {
        const { id } = await store.enqueue(makeTestDelivery({ tenant: 'renew-t' }));
        const now = new Date();
        const at = (ms: number) => new Date(now.getTime() + ms);
        const [claimed] = await store.claim({ ...lease, leaseMs: 1_000, now });
        expect(claimed?.id).toBe(id);
        const token = claimed?.claimToken ?? '';
        expect(await store.renewLease({ id, claimToken: token, leaseMs: 60_000, now: at(500) })).toBe(true);
        // Without the renewal the lease would have lapsed at +1 s.
        expect(await store.claim({ ...lease, owner: 'worker-2', now: at(30_000) })).toEqual([]);
        expect(await store.renewLease({ id, claimToken: crypto.randomUUID(), leaseMs: 60_000, now: at(600) })).toBe(
          false,
        );
        // It lapses at +60.5 s and another worker takes it: the old token no longer renews.
        const [retaken] = await store.claim({ ...lease, owner: 'worker-2', now: at(61_000) });
        expect(retaken?.id).toBe(id);
        expect(await store.renewLease({ id, claimToken: token, leaseMs: 60_000, now: at(61_500) })).toBe(false);
        const newToken = retaken?.claimToken ?? '';
        expect(await store.renewLease({ id, claimToken: newToken, leaseMs: 60_000, now: at(62_000) })).toBe(true);
        expect(await store.complete({ id, claimToken: newToken, events: [], startedAt: at(61_000) })).toBe(true);
        expect(await store.renewLease({ id, claimToken: newToken, leaseMs: 60_000, now: at(63_000) })).toBe(false);
        expect((await store.getDelivery(id))?.status).toBe('done');
      }),
    );

    it(
      'webhookActivity reports the last delivery, the count since, and the median gap with equal times once',
      withStore(async (store) => {
        const base = Date.now() - 3_600_000;
        const since = new Date(base - 1_000);
        const enqueueAt = (tenant: string, offsetMs: number) =>
          store.enqueue(makeTestDelivery({ source: 'activity', tenant, receivedAt: new Date(base + offsetMs) }));
        // Before `since`: counts for the last delivery only.
        await enqueueAt('busy', -36_000_000);
        // Two at +60 s are one arrival (a split delivery's parts): distinct times 0, 60, 180, 200 s.
        for (const offset of [0, 60_000, 60_000, 180_000, 200_000]) await enqueueAt('busy', offset);
        await enqueueAt('single', 5_000);
        await enqueueAt('silent', -7_200_000);
        const activity = await store.webhookActivity({ since, now: new Date(base + 300_000) });
        const of = (tenant: string) => activity.find((entry) => entry.source === 'activity' && entry.tenant === tenant);
        // Gaps 60, 120 and 20 s: the median is 60 s.
        expect(of('busy')).toEqual({
          source: 'activity',
          tenant: 'busy',
          lastDeliveryAt: new Date(base + 200_000),
          deliveries: 5,
          medianGapMs: 60_000,
        });
        expect(of('single')).toEqual({
          source: 'activity',
          tenant: 'single',
          lastDeliveryAt: new Date(base + 5_000),
          deliveries: 1,
          medianGapMs: null,
        });
        expect(of('silent')).toEqual({
          source: 'activity',
          tenant: 'silent',
          lastDeliveryAt: new Date(base - 7_200_000),
          deliveries: 0,
          medianGapMs: null,
        });
      }),
    );

    it(
      'never hands one delivery to two of many concurrent claimers',
      withStore(async (store) => {
        for (let index = 0; index < 40; index++) await store.enqueue(makeTestDelivery({ tenant: 'race' }));
        const rounds = await Promise.all(
          Array.from({ length: 8 }, (_, worker) => store.claim({ owner: `w${worker}`, limit: 7, leaseMs: 30_000 })),
        );
        const ids = rounds.flat().map((delivery) => delivery.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids.length).toBe(40);
      }),
    );
  });
}
