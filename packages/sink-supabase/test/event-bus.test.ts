import { type IntegrationEventV1, StoreUnavailableError } from '@act/core';
import { makeTestDelivery } from '@act/core/testing';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createPostgresState, type LiveEvent } from '../src';
import { DATABASE_URL, type Harness, pgliteHarness, postgresHarness, type TestState } from './helpers/harness';

const NOTIFY_LIMIT_BYTES = 8000;

function event(overrides: Partial<IntegrationEventV1> = {}): IntegrationEventV1 {
  return {
    source: 'ghl',
    tenant: 't1',
    type: 'ContactUpdate',
    entity: 'contact',
    entityId: 'c1',
    table: 'ghl_contacts',
    outcome: 'updated',
    triggeredBy: 'poll',
    latencyMs: 42,
    providerLatencyMs: 420,
    summary: { name: 'Ada' },
    createdAt: new Date(),
    ...overrides,
  };
}

/** Waits for what the handlers should have received; "within a second" of the commit. */
const soon = (assertion: () => void, timeout = 1_000) => vi.waitFor(assertion, { timeout, interval: 5 });

function suite(harness: () => Harness) {
  const h = harness();

  async function withState(fn: (test: TestState) => Promise<void>) {
    const test = await h.create();
    try {
      await fn(test);
    } finally {
      await test.destroy();
    }
  }

  it("delivers a completed delivery's events and recorded poll events within a second, with their fields", () =>
    withState(async ({ state }) => {
      const received: LiveEvent[] = [];
      const unsubscribe = await state.subscribe((live) => {
        received.push(live);
      });
      const delivery = makeTestDelivery({ source: 'ghl', tenant: 't1' });
      const { id: deliveryId } = await state.store.enqueue(delivery);
      const [claimed] = await state.store.claim({ owner: 'w1', limit: 1, leaseMs: 30_000 });
      expect(claimed?.id).toBe(deliveryId);

      const before = Date.now();
      expect(
        await state.store.complete({
          id: deliveryId,
          claimToken: claimed?.claimToken as string,
          startedAt: new Date(),
          events: [event({ triggeredBy: 'webhook', outcome: 'created', entityId: 'c-webhook', rowId: 'row-1' })],
        }),
      ).toBe(true);
      // No summary at all (the key absent, not `undefined`).
      const { summary: _summary, ...withoutSummary } = event({ entityId: 'c-poll-2', outcome: 'skipped' });
      await state.store.recordEvents([event({ entityId: 'c-poll-1', latencyMs: 7 }), withoutSummary]);

      await soon(() => expect(received).toHaveLength(3));
      const [webhook, poll1, poll2] = received as [LiveEvent, LiveEvent, LiveEvent];
      expect(webhook).toMatchObject({
        source: 'ghl',
        tenant: 't1',
        type: 'ContactUpdate',
        entity: 'contact',
        entityId: 'c-webhook',
        table: 'ghl_contacts',
        rowId: 'row-1',
        outcome: 'created',
        triggeredBy: 'webhook',
        latencyMs: 42,
        providerLatencyMs: 420,
        deliveryId,
        correlationId: delivery.correlationId,
        summary: { name: 'Ada' },
      });
      expect(webhook.id).toMatch(/^\d+$/);
      expect(webhook.createdAt).toBeInstanceOf(Date);
      expect(Math.abs(webhook.createdAt.getTime() - before)).toBeLessThan(60_000);
      expect(poll1).toMatchObject({ entityId: 'c-poll-1', triggeredBy: 'poll', latencyMs: 7 });
      expect(poll1).not.toHaveProperty('deliveryId');
      expect(poll2).toMatchObject({ entityId: 'c-poll-2', outcome: 'skipped' });
      expect(poll2).not.toHaveProperty('summary');
      // Commit order, and the ids of the stored rows.
      expect(BigInt(poll1.id)).toBeGreaterThan(BigInt(webhook.id));
      const listed = await state.store.listEvents({ source: 'ghl' });
      expect(listed.map((stored) => stored.entityId).sort()).toEqual(['c-poll-1', 'c-poll-2', 'c-webhook']);
      await unsubscribe();
    }));

  it('filters by source and tenant', () =>
    withState(async ({ state }) => {
      const seen = { all: [] as string[], ghl: [] as string[], t2: [] as string[], ghlT2: [] as string[] };
      const unsubscribes = await Promise.all([
        state.subscribe((live) => void seen.all.push(live.entityId)),
        state.subscribe((live) => void seen.ghl.push(live.entityId), { source: 'ghl' }),
        state.subscribe((live) => void seen.t2.push(live.entityId), { tenant: 't2' }),
        state.subscribe((live) => void seen.ghlT2.push(live.entityId), { source: 'ghl', tenant: 't2' }),
      ]);
      await state.store.recordEvents([
        event({ source: 'ghl', tenant: 't1', entityId: 'ghl-t1' }),
        event({ source: 'ghl', tenant: 't2', entityId: 'ghl-t2' }),
        event({ source: 'xero', tenant: 't2', entityId: 'xero-t2' }),
        event({ source: 'xero', tenant: 't1', entityId: 'xero-t1' }),
      ]);
      await soon(() => {
        expect(seen.all).toEqual(['ghl-t1', 'ghl-t2', 'xero-t2', 'xero-t1']);
        expect(seen.ghl).toEqual(['ghl-t1', 'ghl-t2']);
        expect(seen.t2).toEqual(['ghl-t2', 'xero-t2']);
        expect(seen.ghlT2).toEqual(['ghl-t2']);
      });
      for (const unsubscribe of unsubscribes) await unsubscribe();
    }));

  it('stops delivering after unsubscribe, and listens again on a new subscribe', () =>
    withState(async ({ state }) => {
      const first: string[] = [];
      const second: string[] = [];
      const stopFirst = await state.subscribe((live) => void first.push(live.entityId));
      const stopSecond = await state.subscribe((live) => void second.push(live.entityId));
      await state.store.recordEvents([event({ entityId: 'e1' })]);
      await soon(() => expect([first, second]).toEqual([['e1'], ['e1']]));

      await stopFirst();
      await stopFirst(); // twice is fine
      await state.store.recordEvents([event({ entityId: 'e2' })]);
      await soon(() => expect(second).toEqual(['e1', 'e2']));
      expect(first).toEqual(['e1']);

      // The last one releases the connection; nothing is delivered any more.
      await stopSecond();
      await state.store.recordEvents([event({ entityId: 'e3' })]);
      const third: string[] = [];
      const stopThird = await state.subscribe((live) => void third.push(live.entityId));
      await state.store.recordEvents([event({ entityId: 'e4' })]);
      await soon(() => expect(third).toEqual(['e4']));
      expect(first).toEqual(['e1']);
      expect(second).toEqual(['e1', 'e2']);
      await stopThird();
    }));

  it('keeps the payload bounded with a huge summary and entity id, and still hands the handler the whole event', () =>
    withState(async ({ state, schema, query }) => {
      const received: LiveEvent[] = [];
      const unsubscribe = await state.subscribe((live) => void received.push(live));
      const huge = { notes: 'x'.repeat(200_000), list: Array.from({ length: 1_000 }, (_, index) => index) };
      const longId = `c-${'é'.repeat(5_000)}`;
      const medium = { name: 'Ada', about: 'y'.repeat(500) };
      await state.store.recordEvents([
        event({ entityId: 'c-huge', summary: huge }),
        event({ entityId: longId }),
        event({ entityId: 'c-medium', summary: medium }),
      ]);
      await soon(() => expect(received).toHaveLength(3));
      expect(received[0]).toMatchObject({ entityId: 'c-huge', summary: huge });
      expect(received[1]).toMatchObject({ entityId: longId, summary: { name: 'Ada' } });
      expect(received[2]).toMatchObject({ entityId: 'c-medium', summary: medium });
      await unsubscribe();

      const payloads = await query<{ entity_id: string; payload: Record<string, unknown>; bytes: number }>(
        `select e.entity_id, p.payload, octet_length(p.payload::text) as bytes
         from "${schema}".act_integration_events e,
           lateral (select "${schema}".act_event_payload(e) as payload) p
         order by e.id`,
      );
      for (const row of payloads) expect(Number(row.bytes)).toBeLessThan(NOTIFY_LIMIT_BYTES);
      const [hugePayload, longPayload, mediumPayload] = payloads.map((row) => row.payload);
      expect(hugePayload).toMatchObject({ entity_id: 'c-huge', truncated: true, outcome: 'updated' });
      expect(hugePayload).not.toHaveProperty('summary');
      expect(longPayload).toMatchObject({ source: 'ghl', tenant: 't1', truncated: true });
      expect(longPayload).not.toHaveProperty('entity_id');
      expect(mediumPayload).toMatchObject({ entity_id: 'c-medium', summary: medium });
      expect(mediumPayload).not.toHaveProperty('truncated');
    }));

  it('reports a handler that throws and keeps delivering', () =>
    withState(async ({ state }) => {
      const errors: Error[] = [];
      const seen: string[] = [];
      const unsubscribe = await state.subscribe(
        (live) => {
          seen.push(live.entityId);
          if (live.entityId === 'bad') throw new Error('handler failed');
        },
        { onError: (error) => errors.push(error) },
      );
      await state.store.recordEvents([event({ entityId: 'bad' }), event({ entityId: 'good' })]);
      await soon(() => expect(seen).toEqual(['bad', 'good']));
      expect(errors.map((error) => error.message)).toEqual(['handler failed']);
      await unsubscribe();
    }));

  it('close() ends the subscriptions', async () => {
    const test = await h.create();
    try {
      await test.state.subscribe(() => {});
      await test.state.close();
      await expect(test.state.subscribe(() => {})).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await test.destroy();
    }
  });
}

describe('PGlite', () => suite(pgliteHarness));

describe.skipIf(!DATABASE_URL)('Postgres (DATABASE_URL)', () => {
  suite(postgresHarness);

  const h = postgresHarness();

  it('sends the compact payload on the schema channel, readable by any LISTEN client', async () => {
    const test = await h.create();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      const [{ channel } = { channel: '' }] = await test.query<{ channel: string }>(
        `select "${test.schema}".act_events_channel() as channel`,
      );
      expect(channel).toBe(`act_events:${test.schema}`);
      const payloads: string[] = [];
      client.on('notification', (message) => {
        if (message.channel === channel) payloads.push(message.payload ?? '');
      });
      await client.query(`listen "${channel}"`);
      await test.state.store.recordEvents([
        event({ entityId: 'small' }),
        event({ entityId: 'big', summary: { blob: 'z'.repeat(100_000) } }),
      ]);
      await soon(() => expect(payloads).toHaveLength(2));
      const [small, big] = payloads.map((payload) => JSON.parse(payload) as Record<string, unknown>);
      expect(small).toMatchObject({
        source: 'ghl',
        tenant: 't1',
        event_type: 'ContactUpdate',
        entity_type: 'contact',
        entity_id: 'small',
        outcome: 'updated',
        triggered_by: 'poll',
        latency_ms: 42,
        summary: { name: 'Ada' },
      });
      expect(typeof small?.id).toBe('string');
      expect(typeof small?.created_at).toBe('string');
      expect(big).toMatchObject({ entity_id: 'big', truncated: true });
      expect(big).not.toHaveProperty('summary');
      for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThan(1_000);
    } finally {
      await client.end();
      await test.destroy();
    }
  });

  it('reconnects when the listening connection drops, and delivers what was committed meanwhile', async () => {
    const test = await h.create();
    try {
      const seen: string[] = [];
      const errors: Error[] = [];
      const unsubscribe = await test.state.subscribe((live) => void seen.push(live.entityId), {
        onError: (error) => errors.push(error),
      });
      const [{ channel } = { channel: '' }] = await test.query<{ channel: string }>(
        `select "${test.schema}".act_events_channel() as channel`,
      );
      const listeners = async () =>
        test.query<{ pid: number }>(
          `select pid from pg_stat_activity where pid <> pg_backend_pid() and query = $1 and state = 'idle'`,
          [`listen "${channel}"`],
        );
      const before = await listeners();
      expect(before).toHaveLength(1);
      await test.query('select pg_terminate_backend($1)', [before[0]?.pid]);
      // Very likely committed before the new connection listens: read back after reconnecting.
      await test.state.store.recordEvents([event({ entityId: 'during-outage' })]);
      await soon(() => expect(seen).toEqual(['during-outage']), 10_000);
      expect(errors.some((error) => error instanceof StoreUnavailableError)).toBe(true);
      await test.state.store.recordEvents([event({ entityId: 'after' })]);
      await soon(() => expect(seen).toEqual(['during-outage', 'after']));
      await unsubscribe();
      // The last unsubscribe released the listening connection.
      await soon(async () => expect(await listeners()).toHaveLength(0));
    } finally {
      await test.destroy();
    }
  });
});

// Supabase's `realtime.send` and `supabase_realtime` publication, stubbed in
// a private PGlite (the shared test server must not change).
describe('on a database with Supabase Realtime', () => {
  let db: PGlite | undefined;
  afterAll(async () => db?.close());

  it('joins the publication and broadcasts each event to <source>:<tenant>; a failing broadcast never fails the write', async () => {
    db = await PGlite.create();
    await db.exec(`
      create schema realtime;
      create table realtime.sent (payload jsonb, event text, topic text, private boolean);
      create function realtime.send(payload jsonb, event text, topic text, private boolean default true)
      returns void language sql as $$ insert into realtime.sent values (payload, event, topic, private) $$;
      create publication supabase_realtime;
    `);
    const state = createPostgresState({ pglite: db });
    try {
      await state.migrate();
      const published = await db.query<{ tablename: string }>(
        `select tablename from pg_publication_tables where pubname = 'supabase_realtime'`,
      );
      expect(published.rows.map((row) => row.tablename)).toEqual(['act_integration_events']);

      const notified: string[] = [];
      const unlisten = await db.listen('act_events', (payload) => notified.push(payload));
      await state.store.recordEvents([
        event({ tenant: 't1', entityId: 'c1' }),
        event({ tenant: 't2', entityId: 'c2', summary: { blob: 'q'.repeat(50_000) } }),
      ]);
      const sent = await db.query<{ payload: Record<string, unknown>; event: string; topic: string; private: boolean }>(
        'select * from realtime.sent',
      );
      expect(sent.rows.map((row) => [row.topic, row.event, row.private])).toEqual([
        ['ghl:t1', 'act_event', true],
        ['ghl:t2', 'act_event', true],
      ]);
      expect(sent.rows[0]?.payload).toMatchObject({ entity_id: 'c1', tenant: 't1', summary: { name: 'Ada' } });
      expect(sent.rows[1]?.payload).toMatchObject({ entity_id: 'c2', truncated: true });
      await soon(() => expect(notified).toHaveLength(2));
      expect(notified.map((payload) => JSON.parse(payload))).toEqual(sent.rows.map((row) => row.payload));

      await db.exec(`create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
        returns void language plpgsql as $$ begin raise exception 'realtime is down'; end $$;`);
      await state.store.recordEvents([event({ entityId: 'c3' })]);
      expect((await state.store.listEvents({})).map((stored) => stored.entityId)).toContain('c3');
      await soon(() => expect(notified).toHaveLength(3));

      // act.notify = off silences the bus (bulk back-fills, say).
      await db.exec(`set act.notify = 'off'`);
      await state.store.recordEvents([event({ entityId: 'c4' })]);
      await db.exec('reset act.notify');
      await state.store.recordEvents([event({ entityId: 'c5' })]);
      await soon(() => expect(notified).toHaveLength(4));
      expect(JSON.parse(notified[3] as string)).toMatchObject({ entity_id: 'c5' });
      await unlisten();
    } finally {
      await state.close();
    }
  });
});

describe('with the supabase-js driver', () => {
  it('subscribe() says to use Supabase Realtime channels', async () => {
    const rpc = vi.fn();
    const state = createPostgresState({
      supabase: { schema: () => ({ rpc, from: () => ({ select: vi.fn() }) }) },
    });
    await expect(state.subscribe(() => {})).rejects.toThrow(
      /Supabase Realtime.*supabase\.channel\('<source>:<tenant>'/,
    );
    expect(rpc).not.toHaveBeenCalled();
    await state.close();
  });
});
