import { describe, expect, it } from 'vitest';
import { createAct } from '../src/app/create-act';
import { RateLimitError } from '../src/errors';
import { createWebhookHandler } from '../src/http/create-webhook-handler';
import { createMemorySink } from '../src/memory/memory-sink';
import { createMemoryStateStore } from '../src/memory/memory-state-store';
import { createMemorySyncStore } from '../src/memory/memory-sync-store';
import { decideFailure } from '../src/pipeline/failure-policy';
import { runPoller } from '../src/pipeline/run-poller';
import { syncStream } from '../src/pipeline/sync-stream';
import { createWorker } from '../src/pipeline/worker';
import { createMailbox, createMailboxConnector, type Mailbox, push } from './helpers/mailbox-connector';

const CURSOR = { source: 'mail', tenant: 'ana', stream: 'history' };

/** A mailbox with `count` messages, its connector, memory stores, a fake clock, the handler and a worker. */
function setup(options: { messages?: number; leaseMs?: number; lifecycle?: boolean } = {}) {
  const mailbox = createMailbox();
  for (let index = 0; index < (options.messages ?? 7); index++) mailbox.upsert(`m${index}`, `subject ${index}`);
  const { connector, poller } = createMailboxConnector(mailbox, { lifecycle: options.lifecycle ?? false });
  let time = Date.parse('2026-12-01T10:00:00.000Z');
  const clock = {
    now: () => new Date(time),
    advance: (ms: number) => {
      time += ms;
    },
  };
  const store = createMemoryStateStore({ now: clock.now });
  const sink = createMemorySink({ now: clock.now });
  const sync = createMemorySyncStore({ now: clock.now });
  const handler = createWebhookHandler({ processor: connector.webhooks?.default as never, store, now: clock.now });
  const worker = createWorker({
    connectors: [connector],
    store,
    sink,
    sync,
    owner: 'worker-1',
    circuitBreaker: false,
    now: clock.now,
    random: () => 0.5,
    ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
  });
  return { mailbox, connector, poller, clock, store, sink, sync, handler, worker };
}

let pushes = 0;
const notify = (handler: (request: Request) => Promise<Response>, tenant = 'ana', stream?: string) => {
  pushes += 1;
  return handler(
    push({ tenant, messageId: `push-${pushes}`, historyId: String(pushes), ...(stream ? { stream } : {}) }),
  );
};

const subjects = (sink: ReturnType<typeof createMemorySink>) =>
  sink
    .rows('messages')
    .map((row) => `${row.key.id}=${row.values.subject}`)
    .sort();

describe('stream syncs asked for by webhooks (notify → sync)', () => {
  it('turns 1,000 notifications for one mailbox into one sync that writes every row and the cursor', async () => {
    const { mailbox, store, sink, handler, worker } = setup();
    for (let index = 0; index < 1_000; index++) {
      const response = await notify(handler);
      expect(response.status).toBe(200);
    }
    expect(store.counts()).toMatchObject({ pending: 1, done: 999 });

    const round = await worker.drain();
    expect(round).toMatchObject({ claimed: 1, outcomes: { done: 1, retrying: 0, dead: 0 } });
    expect(mailbox.polls).toEqual([{ cursor: null }]);
    expect(subjects(sink)).toEqual([...mailbox.messages.values()].map((m) => `${m.id}=${m.subject}`).sort());
    expect(await store.getCursor(CURSOR)).toBe(String(mailbox.history.length));
    expect(store.counts()).toMatchObject({ pending: 0, processing: 0, done: 1_000 });
    // The sync's rows are recorded as webhook-triggered integration events of the push.
    const events = await store.listEvents({ source: 'mail', limit: 100 });
    expect(events).toHaveLength(7);
    expect(events.every((event) => event.triggeredBy === 'webhook')).toBe(true);

    // The next notification syncs from the stored cursor: only what changed since.
    mailbox.upsert('m3', 'edited');
    mailbox.remove('m5');
    await notify(handler);
    await worker.drain();
    expect(mailbox.polls.at(-1)).toEqual({ cursor: '7' });
    expect(subjects(sink)).toContain('m3=edited');
    expect(subjects(sink).some((entry) => entry.startsWith('m5='))).toBe(false);
    expect(await store.getCursor(CURSOR)).toBe('9');
  });

  it('runs exactly one more sync for any number of pushes that arrive while a sync runs', async () => {
    const { mailbox, store, sink, handler, worker } = setup({ messages: 7 });
    await notify(handler);
    let during = 0;
    mailbox.beforePage = async (page) => {
      // While the first sync reads its second page: new mail, and 50 pushes for it.
      if (mailbox.polls.length !== 1 || page !== 2) return;
      mailbox.upsert('m7', 'arrived during the sync');
      for (let index = 0; index < 50; index++) {
        const response = await notify(handler);
        expect(response.status).toBe(200);
        during += 1;
      }
    };
    const round = await worker.drain();
    expect(during).toBe(50);
    // The first push's sync, then one for all 50.
    expect(round).toMatchObject({ claimed: 2, outcomes: { done: 2 } });
    expect(mailbox.polls).toEqual([{ cursor: null }, { cursor: '7' }]);
    expect(subjects(sink)).toContain('m7=arrived during the sync');
    expect(await store.getCursor(CURSOR)).toBe('8');
    const done = await store.listDeliveries({ source: 'mail', status: 'done', limit: 100 });
    expect(done).toHaveLength(51);
    expect(done.filter((delivery) => delivery.coalescedInto !== undefined)).toHaveLength(49);
  });

  it('resyncs from the start when the cursor expired, and the stream reconciler deletes what vanished', async () => {
    const { mailbox, store, sink, sync, handler, worker } = setup({ messages: 5 });
    await notify(handler);
    await worker.drain();
    expect(await store.getCursor(CURSOR)).toBe('5');

    // The provider dropped its old history: the deletion of m1 is in no page any more.
    mailbox.remove('m1', { silently: true });
    mailbox.upsert('m9', 'new');
    mailbox.expiredBefore = mailbox.history.length;
    await notify(handler);
    const round = await worker.drain();
    expect(round.outcomes).toMatchObject({ done: 1, retrying: 0, dead: 0 });
    expect(mailbox.polls.slice(1)).toEqual([{ cursor: '5' }, { cursor: null }]);
    expect(subjects(sink)).toEqual(['m0=subject 0', 'm2=subject 2', 'm3=subject 3', 'm4=subject 4', 'm9=new']);
    expect(await store.getCursor(CURSOR)).toBe(String(mailbox.history.length));
    const [expired] = await sync.listSyncEvents({ source: 'mail' });
    expect(expired).toMatchObject({ tenant: 'ana', kind: 'cursor_expired', detail: { stream: 'history' } });
    const completed = (await store.listEvents({ source: 'mail', limit: 100 })).find(
      (event) => event.type === 'reconciliation.completed',
    );
    expect(completed?.summary).toMatchObject({ deleted: 1 });
  });

  it('stops before the next page once the delivery lease is lost, writing nothing more', async () => {
    const { mailbox, store, sink, clock, handler, worker } = setup({ messages: 7, leaseMs: 30_000 });
    await notify(handler);
    let stolen = false;
    mailbox.beforePage = async (page) => {
      if (page !== 2) return;
      // The page fetch hangs past the lease; another worker claims the delivery meanwhile.
      clock.advance(31_000);
      const [taken] = await store.claim({ owner: 'worker-2', limit: 1, leaseMs: 30_000 });
      stolen = taken !== undefined;
    };
    const round = await worker.runOnce();
    expect(stolen).toBe(true);
    expect(round.outcomes).toMatchObject({ 'lease-lost': 1, done: 0 });
    // Page 1 only (m0..m2); the backfill's cursor of page 1 is kept, nothing after it.
    expect(subjects(sink)).toEqual(['m0=subject 0', 'm1=subject 1', 'm2=subject 2']);
    expect(mailbox.polls).toHaveLength(1);
    expect((await store.listDeliveries({ source: 'mail', status: 'processing' })).length).toBe(1);
  });

  it('renews the delivery lease while a long sync runs, so no other worker takes it over', async () => {
    const { mailbox, store, sink, clock, handler, worker } = setup({ messages: 12, leaseMs: 30_000 });
    await notify(handler);
    const claimedByOthers: string[] = [];
    mailbox.beforePage = async () => {
      // Each page takes 11 s: four pages outlast the 30 s lease taken at the claim.
      clock.advance(11_000);
      const taken = await store.claim({ owner: 'worker-2', limit: 1, leaseMs: 30_000 });
      claimedByOthers.push(...taken.map((delivery) => delivery.id));
    };
    const round = await worker.runOnce();
    expect(round.outcomes).toMatchObject({ done: 1 });
    expect(claimedByOthers).toEqual([]);
    expect(sink.rows('messages')).toHaveLength(12);
    expect(await store.getCursor(CURSOR)).toBe('12');
  });

  it('dead-letters a sync request for a stream the connector does not poll, saying so', async () => {
    const { store, handler, worker } = setup();
    const response = await notify(handler, 'ana', 'labels');
    expect(response.status).toBe(200);
    const round = await worker.drain();
    expect(round.outcomes).toMatchObject({ dead: 1 });
    const [dead] = await store.listDeliveries({ status: 'dead' });
    expect(dead?.eventTypes).toEqual(['sync:labels']);
    expect(dead?.lastError).toBe(
      '[@act/core] a mail delivery asks to sync stream "labels" of tenant ana, but the mail connector has no poller for it (its streams: "history")',
    );
    expect(dead?.lastErrorClass).toBe('validation');
  });

  it('refuses a sync request that names no tenant when it is received', async () => {
    const { store, handler } = setup();
    const response = await handler(
      new Request('http://localhost/webhooks/mail', {
        method: 'POST',
        body: JSON.stringify({ tenant: '', messageId: 'no-tenant' }),
      }),
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toContain('names no tenant');
    expect(await store.listDeliveries({})).toHaveLength(0);
  });

  it('stores a sync request as one row even when the processor splits deliveries, and refuses an unstorable stream', async () => {
    const { webhook } = createMailboxConnector(createMailbox());
    const store = createMemoryStateStore();
    let splits = 0;
    const thing = (id: string) => ({
      source: 'mail',
      tenant: 'ana',
      type: 'MessageUpsert',
      entity: 'message',
      entityId: id,
      payload: {},
    });
    const handler = createWebhookHandler({
      processor: {
        ...webhook,
        parse: (request) => {
          const { stream } = JSON.parse(new TextDecoder().decode(request.body)) as { stream: string };
          return { tenant: 'ana', events: [thing('a'), thing('b')], sync: { stream } };
        },
        split: () => {
          splits += 1;
          return [];
        },
      },
      store,
    });
    const ok = await handler(push({ tenant: 'ana', messageId: 'x', stream: 'history' }));
    expect(ok.status).toBe(200);
    expect(splits).toBe(0);
    const [row] = await store.listDeliveries({});
    expect(row).toMatchObject({ eventTypes: ['sync:history'], coalesceKey: 'mail:ana:history', status: 'pending' });
    const refused = await handler(push({ tenant: 'ana', messageId: 'y', stream: 'hist\u0000ory' }));
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toContain('sync stream');
    expect(await store.listDeliveries({})).toHaveLength(1);
  });

  it("does not hold the batch's other deliveries while a sync claimed with them runs", async () => {
    const { mailbox, store, handler, worker } = setup({ lifecycle: true });
    await notify(handler);
    await handler(push({ tenant: 'bea', messageId: 'install-2', install: { name: 'Bea' } }));
    let doneDuringSync: string[] = [];
    mailbox.beforePage = async (page) => {
      if (page !== 1) return;
      // The sync waits on its first page until the batch's other delivery is written and completed.
      for (let turn = 0; turn < 100 && doneDuringSync.length === 0; turn++) {
        await new Promise((resolve) => setImmediate(resolve));
        doneDuringSync = (await store.listDeliveries({ status: 'done' })).flatMap((delivery) => delivery.eventTypes);
      }
    };
    const round = await worker.runOnce();
    expect(doneDuringSync).toEqual(['AppInstall']);
    expect(round).toMatchObject({ claimed: 2, outcomes: { done: 2 } });
  });

  it('connects and disconnects tenants from lifecycle events once their delivery commits', async () => {
    const { store, sync, handler, worker } = setup({ lifecycle: true });
    await handler(push({ tenant: 'bea', messageId: 'install-1', install: { name: 'Bea Pty Ltd' } }));
    await worker.drain();
    expect(await sync.getConnection({ source: 'mail', tenant: 'bea' })).toMatchObject({
      status: 'active',
      displayName: 'Bea Pty Ltd',
    });
    await handler(push({ tenant: 'bea', messageId: 'uninstall-1', uninstall: true }));
    await worker.drain();
    expect(await sync.getConnection({ source: 'mail', tenant: 'bea' })).toMatchObject({
      status: 'disconnected',
      statusReason: 'uninstalled',
    });
    expect((await sync.listSyncEvents({ source: 'mail' })).map((event) => event.kind)).toEqual([
      'connection_removed',
      'connection_added',
    ]);
    expect(store.counts()).toMatchObject({ done: 2, dead: 0 });
  });
});

describe('the connections registry follows what the worker writes', () => {
  it('registers a tenant once its rows are written, and never reactivates one a person disconnected', async () => {
    const { connector, store, sink, sync, handler, worker } = setup();
    await notify(handler, 'ana');
    await worker.drain();
    expect(await sync.listConnections()).toEqual([
      expect.objectContaining({ source: 'mail', tenant: 'ana', status: 'active' }),
    ]);

    await sync.disconnect({ source: 'mail', tenant: 'ana', reason: 'manual' });
    // A fresh worker (another process) does not know the tenant yet: it asks with ifAbsent.
    const other = createWorker({ connectors: [connector], store, sink, sync, circuitBreaker: false });
    await notify(handler, 'ana');
    expect(await other.drain()).toMatchObject({ outcomes: { done: 1 } });
    expect(await sync.getConnection({ source: 'mail', tenant: 'ana' })).toMatchObject({ status: 'disconnected' });
  });

  it('does not register the tenant of a delivery that wrote no rows', async () => {
    const { store, sync, handler, worker } = setup({ lifecycle: true });
    // An uninstall writes no mirror row: its tenant is not added by it.
    await handler(push({ tenant: 'zed', messageId: 'uninstall-9', uninstall: true }));
    await worker.drain();
    expect(await sync.getConnection({ source: 'mail', tenant: 'zed' })).toBeNull();
    expect(store.counts()).toMatchObject({ done: 1, dead: 0 });
  });
});

describe('notify → sync through createAct', () => {
  it("uses the state's sync store: the worker's sync holds the stream lease and lifecycle events connect tenants", async () => {
    const mailbox = createMailbox();
    for (let index = 0; index < 4; index++) mailbox.upsert(`m${index}`, `subject ${index}`);
    const { connector } = createMailboxConnector(mailbox, { lifecycle: true });
    // The handler stamps deliveries with the real time: the fake clock runs an hour ahead of it.
    let time = Date.now() + 3_600_000;
    const now = () => new Date(time);
    const state = {
      store: createMemoryStateStore({ now }),
      sink: createMemorySink({ now }),
      sync: createMemorySyncStore({ now }),
    };
    const act = createAct({
      state,
      connectors: [connector],
      prefix: '/webhooks',
      worker: { now, circuitBreaker: false },
    });
    await act.handler(push({ tenant: 'ana', messageId: 'install-ana', install: { name: 'Ana' } }));
    for (let index = 0; index < 20; index++) {
      expect((await act.handler(push({ tenant: 'ana', messageId: `n${index}` }))).status).toBe(200);
    }
    // A scheduler's poll of the stream holds its lease: the pushed sync waits for it.
    const held = await state.sync.acquireLease({
      name: 'stream:mail:ana:history',
      owner: 'scheduler',
      leaseMs: 60_000,
    });
    expect(held.acquired).toBe(true);
    const first = await act.worker.drain();
    expect(first.outcomes).toMatchObject({ done: 1, retrying: 1 });
    expect(mailbox.polls).toEqual([]);
    const [waiting] = await state.store.listDeliveries({ status: 'pending' });
    expect(waiting).toMatchObject({ attempts: 0, lastErrorClass: 'rate_limit' });
    expect(await state.sync.getConnection({ source: 'mail', tenant: 'ana' })).toMatchObject({
      status: 'active',
      displayName: 'Ana',
    });

    expect(waiting?.nextAttemptAt.getTime()).toBe(time + 60_000);
    expect(await state.store.getCursor(CURSOR)).toBeNull();

    // The poll ends; when the lease would have ended, the sync runs.
    await state.sync.releaseLease({ name: 'stream:mail:ana:history', owner: 'scheduler' });
    time += 60_000;
    expect((await act.worker.drain()).outcomes).toMatchObject({ done: 1 });
    expect(mailbox.polls).toEqual([{ cursor: null }]);
    expect(await state.store.getCursor(CURSOR)).toBe('4');
    expect(state.sink.rows('messages')).toHaveLength(4);
  });
});

describe('syncStream', () => {
  /** A poller that waits on its first page until released. */
  function blockFirstPage(mailbox: Mailbox) {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reached: () => void = () => {};
    const atFirstPage = new Promise<void>((resolve) => {
      reached = resolve;
    });
    mailbox.beforePage = async (page) => {
      if (mailbox.polls.length === 1 && page === 1) {
        reached();
        await released;
      }
    };
    return { release, atFirstPage };
  }

  it('refuses a second sync of one stream while the first holds its lease, with a retryable error', async () => {
    const { mailbox, connector, poller, store, sink, sync, clock } = setup();
    const { release, atFirstPage } = blockFirstPage(mailbox);
    const base = { connector, poller, tenant: 'ana', store, sink, sync, now: clock.now, leaseMs: 60_000 };
    const first = syncStream({ ...base, owner: 'worker-1', triggeredBy: 'webhook' });
    await atFirstPage;
    clock.advance(20_000);
    const refused = await syncStream({ ...base, owner: 'scheduler', triggeredBy: 'poll' }).catch((error) => error);
    expect(RateLimitError.isInstance(refused)).toBe(true);
    expect((refused as RateLimitError).retryAfterMs).toBe(40_000);
    expect((refused as Error).message).toContain('stream:mail:ana:history');
    // The worker retries it when the holder's lease ends, without using up an attempt.
    const decision = decideFailure(refused, 0, clock.now(), { schedule: [60_000] });
    expect(decision).toMatchObject({ errorClass: 'rate_limit', countsTowardsSchedule: false });
    expect(decision.retryAt?.getTime()).toBe(clock.now().getTime() + 40_000);
    // Another tenant's stream is not held.
    await expect(syncStream({ ...base, tenant: 'bea', owner: 'scheduler' })).resolves.toMatchObject({ pages: 3 });

    release();
    await expect(first).resolves.toMatchObject({ pages: 3, created: 7 });
    // Released at the end: the next sync runs (and finds nothing new).
    await expect(syncStream({ ...base, owner: 'scheduler' })).resolves.toMatchObject({ pages: 0 });
    expect(await store.getCursor(CURSOR)).toBe('7');
  });

  it('stops with an error when renew answers false, before writing the next page', async () => {
    const { connector, poller, store, sink } = setup({ messages: 7 });
    let calls = 0;
    const error = await syncStream({
      connector,
      poller,
      tenant: 'ana',
      store,
      sink,
      renew: async () => {
        calls += 1;
        return calls < 2;
      },
    }).catch((caught) => caught);
    expect((error as Error).message).toMatch(/^\[@act\/core\] sync of mail stream "history" for tenant ana stopped/);
    expect(sink.rows('messages')).toHaveLength(3);
    expect(await store.getCursor(CURSOR)).toBe('7');
  });

  it('runPoller with a sync store runs under the stream lease and reports the expired cursor', async () => {
    const { mailbox, connector, store, sink, sync, clock } = setup({ messages: 4 });
    await runPoller({ connector, tenant: 'ana', store, sink, sync, now: clock.now });
    mailbox.remove('m2', { silently: true });
    mailbox.expiredBefore = mailbox.history.length + 1;
    mailbox.upsert('m8', 'late');
    const result = await runPoller({ connector, tenant: 'ana', store, sink, sync, now: clock.now });
    expect(result).toMatchObject({ pages: 2, created: 1, deleted: 1 });
    expect(subjects(sink)).toEqual(['m0=subject 0', 'm1=subject 1', 'm3=subject 3', 'm8=late']);
    expect((await sync.listSyncEvents({ source: 'mail' })).map((event) => event.kind)).toEqual(['cursor_expired']);
    // The lease was released.
    expect(
      (await sync.acquireLease({ name: 'stream:mail:ana:history', owner: 'x', leaseMs: 1_000, now: clock.now() }))
        .acquired,
    ).toBe(true);
  });
});
