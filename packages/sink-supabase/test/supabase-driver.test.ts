import {
  ConfigurationError,
  type CredentialStoreV1,
  createWebhookHandler,
  type SinkOperationV1,
  type SinkRowKeyV1,
  type SinkV1,
  type StateStoreV1,
  StoreUnavailableError,
  type WebhookProcessorV1,
} from '@act/core';
import { describeApplied, type PreparedEvents, pendingIntegrationEvents } from '@act/core/internal';
import { makeTestDelivery, TEST_SINK_TABLE, testCredentialStore, testSink, testStateStore } from '@act/core/testing';
import { PGlite } from '@electric-sql/pglite';
import { createClient } from '@supabase/supabase-js';
import nock from 'nock';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACT_MIGRATIONS, BOOKKEEPING_COLUMNS, createPostgresState, migrate, PostgresError } from '../src';
import { chunkPlan } from '../src/sql/supabase-backend';
import { createPostgrestFetch, pgliteTransaction, poolTransaction } from '../src/testing';
import { DATABASE_URL, randomSchema, TEST_RECORDS_MIGRATION } from './helpers/harness';

const SUPABASE_URL = 'https://abcdefghijklmnopqrst.supabase.co';
const SCHEMA = 'act';

/** A key shaped like Supabase's legacy JWT keys, with the given role claim (never verified here). */
function jwt(role: string): string {
  const part = (value: object) =>
    btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ iss: 'supabase', role })}.c2lnbmF0dXJl`;
}
const SERVICE_KEY = jwt('service_role');

const CORE_NAMES = ACT_MIGRATIONS.map((migration) => `@act/sink-supabase/${migration.name}`);
const bookkeeping = new Set<string>(BOOKKEEPING_COLUMNS);
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, index) => index);
const ALL_BYTES_HEX = `\\x${[...ALL_BYTES].map((byte) => byte.toString(16).padStart(2, '0')).join('')}`;

// ---------------------------------------------------------------------------
// The exact PostgREST requests, asserted with nock.

/** PostgREST as supabase-js calls it for `.schema(SCHEMA).rpc(…)`: POST, JSON body, Content-Profile, no Prefer. */
function postgrest(schema = SCHEMA) {
  return nock(SUPABASE_URL, {
    reqheaders: {
      apikey: SERVICE_KEY,
      authorization: `Bearer ${SERVICE_KEY}`,
      'content-profile': schema,
      'content-type': 'application/json',
    },
    badheaders: ['prefer', 'accept-profile'],
  });
}

const parse = (body: unknown) => (typeof body === 'string' ? JSON.parse(body) : body) as Record<string, unknown>;

function supabaseState(options: { chunkSize?: number; schema?: string } = {}) {
  return createPostgresState(
    {
      supabaseUrl: SUPABASE_URL,
      supabaseKey: SERVICE_KEY,
      ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
    },
    { schema: options.schema ?? SCHEMA },
  );
}

function deliveryRow(overrides: Record<string, unknown> = {}) {
  return {
    id: 42,
    source: 'test',
    tenant: 'tenant-a',
    dedupe_key: 'test:d-1',
    method: 'POST',
    url: 'http://localhost/webhooks/test',
    headers: { 'content-type': 'application/octet-stream' },
    body: ALL_BYTES_HEX,
    received_at: '2026-01-02T03:04:05.123456+00:00',
    correlation_id: 'corr-1',
    event_types: ['ThingUpdate'],
    status: 'pending',
    attempts: 0,
    next_attempt_at: '2026-01-02T03:04:05.123456+00:00',
    last_error: null,
    last_error_class: null,
    completed_at: null,
    claim_token: null,
    lease_owner: null,
    lease_expires_at: null,
    ...overrides,
  };
}

describe('supabase-js driver: the PostgREST requests (nock)', () => {
  const unexpected: string[] = [];
  // nock 15 hands reply functions and 'no match' listeners a fetch Request.
  const onNoMatch = (request: Request) => unexpected.push(`${request.method} ${request.url}`);
  beforeAll(() => {
    nock.disableNetConnect();
    nock.emitter.on('no match', onNoMatch);
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    const extra = unexpected.splice(0);
    nock.cleanAll();
    expect(pending, 'requests the test expected but were not sent').toEqual([]);
    expect(extra, 'requests sent that the test did not expect').toEqual([]);
  });
  afterAll(() => {
    nock.emitter.removeListener('no match', onNoMatch);
    nock.enableNetConnect();
  });

  it('enqueue: POST /rest/v1/rpc/act_enqueue with named arguments, raw bytes as bytea hex', async () => {
    const delivery = makeTestDelivery({ body: ALL_BYTES, receivedAt: new Date('2026-01-02T03:04:05.678Z') });
    postgrest()
      .post('/rest/v1/rpc/act_enqueue', {
        p_source: delivery.source,
        p_tenant: delivery.tenant,
        p_dedupe_key: delivery.dedupeKey,
        p_method: 'POST',
        p_url: delivery.url,
        p_headers: delivery.headers,
        p_body: ALL_BYTES_HEX,
        p_received_at: '2026-01-02T03:04:05.678Z',
        p_correlation_id: delivery.correlationId,
        p_event_types: ['ThingUpdate'],
      })
      .reply(200, [{ id: '42', duplicate: false }]);
    const state = supabaseState();
    expect(await state.store.enqueue(delivery)).toEqual({ id: '42', duplicate: false });
    await state.close();
  });

  it('reads bytea back from PostgREST hex exactly, every byte value (not UTF-8)', async () => {
    postgrest().post('/rest/v1/rpc/act_get_delivery', { p_id: '42' }).reply(200, [deliveryRow()]);
    postgrest()
      .post('/rest/v1/rpc/act_list_deliveries', { p_status: 'pending', p_source: null, p_tenant: null, p_limit: 100 })
      .reply(200, [deliveryRow({ id: 43, body: '\\xff00c328' })]);
    const state = supabaseState();
    const stored = await state.store.getDelivery('42');
    expect(stored?.body).toBeInstanceOf(Uint8Array);
    expect([...(stored?.body ?? [])]).toEqual([...ALL_BYTES]);
    expect(stored).toMatchObject({
      id: '42',
      headers: { 'content-type': 'application/octet-stream' },
      receivedAt: new Date('2026-01-02T03:04:05.123Z'),
      eventTypes: ['ThingUpdate'],
      completedAt: null,
    });
    const [listed] = await state.store.listDeliveries({ status: 'pending' });
    expect([...(listed?.body ?? [])]).toEqual([0xff, 0x00, 0xc3, 0x28]);
    // An id the store cannot have assigned is answered without a request.
    expect(await state.store.getDelivery('not-an-id')).toBeNull();
    await state.close();
  });

  it('refuses a bytea in escape format instead of reading it as empty', async () => {
    postgrest()
      .post('/rest/v1/rpc/act_get_delivery', { p_id: '7' })
      .reply(200, [deliveryRow({ body: 'abc\\000' })]);
    const state = supabaseState();
    await expect(state.store.getDelivery('7')).rejects.toThrow(/^\[@act\/sink-supabase\] .*bytea_output/);
    await state.close();
  });

  it('claim, complete, fail, replay, cursors, events: set results as rows, scalars as values', async () => {
    const now = new Date('2026-02-01T00:00:00.000Z');
    postgrest()
      .post('/rest/v1/rpc/act_claim', {
        p_owner: 'worker-1',
        p_limit: 10,
        p_lease_ms: 30000,
        p_sources: ['test'],
        p_now: now.toISOString(),
      })
      .reply(200, [
        deliveryRow({
          status: 'processing',
          claim_token: 'tok-1',
          lease_owner: 'worker-1',
          lease_expires_at: '2026-02-01T00:00:30+00:00',
        }),
      ]);
    postgrest()
      .post('/rest/v1/rpc/act_complete', {
        p_id: '42',
        p_claim_token: 'tok-1',
        p_events: [
          {
            source: 'test',
            tenant: 'tenant-a',
            event_type: 'ThingUpdate',
            entity_type: 'thing',
            entity_id: 't-1',
            table_name: null,
            row_id: null,
            outcome: 'created',
            summary: { name: 'Ada' },
            triggered_by: 'webhook',
            latency_ms: 12,
            provider_latency_ms: null,
            correlation_id: null,
            delivery_id: '42',
            created_at: now.toISOString(),
          },
        ],
        p_started_at: now.toISOString(),
        p_now: now.toISOString(),
      })
      .reply(200, 'true', { 'content-type': 'application/json' });
    postgrest()
      .post('/rest/v1/rpc/act_fail', {
        p_id: '43',
        p_claim_token: 'tok-2',
        p_error: 'boom',
        p_error_class: 'transient',
        p_retry_at: '2026-02-01T00:01:00.000Z',
        p_counts_towards_schedule: true,
        p_started_at: now.toISOString(),
        p_now: now.toISOString(),
      })
      .reply(200, '"retrying"', { 'content-type': 'application/json' });
    postgrest()
      .post('/rest/v1/rpc/act_replay', {
        p_ids: ['42', '43'],
        p_source: null,
        p_tenant: null,
        p_from: null,
        p_to: null,
        p_statuses: ['dead'],
        p_now: null,
      })
      .reply(200, '2', { 'content-type': 'application/json' });
    postgrest()
      .post('/rest/v1/rpc/act_get_cursor', { p_source: 'test', p_tenant: 'tenant-a', p_stream: 'things' })
      .reply(200, 'null', { 'content-type': 'application/json' });
    // A void function: PostgREST answers 204 No Content.
    postgrest()
      .post('/rest/v1/rpc/act_set_cursor', {
        p_source: 'test',
        p_tenant: 'tenant-a',
        p_stream: 'things',
        p_cursor: 'c-9',
        p_now: null,
      })
      .reply(204);
    postgrest()
      .post('/rest/v1/rpc/act_get_cursor', { p_source: 'test', p_tenant: 'tenant-a', p_stream: 'things' })
      .reply(200, '"c-9"', { 'content-type': 'application/json' });

    const state = supabaseState();
    const [claimed] = await state.store.claim({
      owner: 'worker-1',
      limit: 10,
      leaseMs: 30_000,
      sources: ['test'],
      now,
    });
    expect(claimed).toMatchObject({
      id: '42',
      claimToken: 'tok-1',
      status: 'processing',
      leaseExpiresAt: new Date('2026-02-01T00:00:30Z'),
    });
    expect([...(claimed?.body ?? [])]).toEqual([...ALL_BYTES]);
    expect(
      await state.store.complete({
        id: '42',
        claimToken: 'tok-1',
        startedAt: now,
        now,
        events: [
          {
            source: 'test',
            tenant: 'tenant-a',
            type: 'ThingUpdate',
            entity: 'thing',
            entityId: 't-1',
            outcome: 'created',
            summary: { name: 'Ada' },
            triggeredBy: 'webhook',
            latencyMs: 12.4,
            deliveryId: '42',
            createdAt: now,
          },
        ],
      }),
    ).toBe(true);
    expect(
      await state.store.fail({
        id: '43',
        claimToken: 'tok-2',
        error: 'boom',
        errorClass: 'transient',
        retryAt: new Date('2026-02-01T00:01:00Z'),
        countsTowardsSchedule: true,
        startedAt: now,
        now,
      }),
    ).toBe('retrying');
    expect(await state.store.replay({ ids: ['42', '43'], statuses: ['dead'] })).toBe(2);
    const key = { source: 'test', tenant: 'tenant-a', stream: 'things' };
    expect(await state.store.getCursor(key)).toBeNull();
    await state.store.setCursor({ ...key, cursor: 'c-9' });
    expect(await state.store.getCursor(key)).toBe('c-9');
    await state.close();
  });

  it('rate limits: act_take_tokens and act_set_tokens', async () => {
    postgrest()
      .post('/rest/v1/rpc/act_take_tokens', {
        p_key: 'ghl:loc-1',
        p_capacity: 10,
        p_interval_ms: 1000,
        p_cost: 2,
        p_now_ms: 1_700_000_000_000,
      })
      .reply(200, [{ granted: false, wait_ms: 150, remaining: 1 }]);
    postgrest()
      .post('/rest/v1/rpc/act_set_tokens', {
        p_key: 'ghl:loc-1',
        p_capacity: 10,
        p_interval_ms: 1000,
        p_remaining: 3,
        p_now_ms: 1_700_000_000_001,
      })
      .reply(204);
    const state = supabaseState();
    const limit = { capacity: 10, intervalMs: 1000 };
    expect(await state.rateLimits.take({ key: 'ghl:loc-1', limit, cost: 2, now: 1_700_000_000_000 })).toEqual({
      granted: false,
      waitMs: 150,
      remaining: 1,
    });
    await state.rateLimits.set?.({ key: 'ghl:loc-1', limit, remaining: 3, now: 1_700_000_000_001 });
    await state.close();
  });

  it('rate limits: act_acquire_slot and act_release_slot (migration 0008)', async () => {
    postgrest()
      .post('/rest/v1/rpc/act_acquire_slot', {
        p_key: 'xero:t-1:concurrent',
        p_limit: 5,
        p_owner: 'worker-a:1',
        p_lease_ms: 40_000,
        p_now_ms: 1_700_000_000_000,
      })
      .reply(200, [{ acquired: false, retry_after_ms: 1234 }]);
    postgrest()
      .post('/rest/v1/rpc/act_release_slot', { p_key: 'xero:t-1:concurrent', p_owner: 'worker-a:1' })
      .reply(204);
    const state = supabaseState();
    expect(
      await state.rateLimits.acquireSlot?.({
        key: 'xero:t-1:concurrent',
        limit: 5,
        owner: 'worker-a:1',
        leaseMs: 40_000,
        now: 1_700_000_000_000,
      }),
    ).toEqual({ acquired: false, retryAfterMs: 1234 });
    await state.rateLimits.releaseSlot?.({ key: 'xero:t-1:concurrent', owner: 'worker-a:1' });
    await state.close();
  });

  describe('sink chunking', () => {
    const upserts = (count: number): SinkOperationV1[] =>
      Array.from({ length: count }, (_, index) => ({
        kind: 'upsert',
        table: 'act_test_records',
        key: { tenant_id: 't', id: `r${String(index).padStart(5, '0')}` },
        values: { name: `row ${index}` },
        version: 1_000 + index,
      }));
    const created = (body: unknown) =>
      (parse(body).p_operations as { upserts: { rows: { i: number }[] }[]; deletes: { rows: { i: number }[] }[] }[])
        .flatMap((table) => [...table.upserts, ...table.deletes])
        .flatMap((group) => group.rows.map((row) => ({ i: row.i, o: 'created' })));

    it('sends 1,200 operations as 500 / 500 / 200, the cursor only with the last chunk', async () => {
      const bodies: Record<string, unknown>[] = [];
      postgrest()
        .post('/rest/v1/rpc/act_sink_apply', (body) => {
          bodies.push(parse(body));
          return true;
        })
        .times(3)
        .reply(200, async (request: Request) => created(await request.json()));
      const state = supabaseState();
      const cursor = { source: 'test', tenant: 't', stream: 'records', cursor: 'page-3' };
      const result = await state.sink.apply(upserts(1_200), { cursor });

      expect(result).toMatchObject({ created: 1_200, updated: 0, skipped: 0, deleted: 0 });
      expect(result.outcomes).toHaveLength(1_200);
      const rowsPerCall = bodies.map((body) =>
        (body.p_operations as { upserts: { rows: { i: number }[] }[] }[])
          .flatMap((table) => table.upserts)
          .reduce((sum, group) => sum + group.rows.length, 0),
      );
      expect(rowsPerCall).toEqual([500, 500, 200]);
      expect(bodies.map((body) => body.p_cursor)).toEqual([null, null, cursor]);
      expect(bodies.map((body) => body.p_now)).toEqual([null, null, null]);
      // Every chunk names the table, its key and the columns it writes.
      for (const body of bodies) {
        expect(body.p_operations).toMatchObject([
          { table: 'act_test_records', key: ['id', 'tenant_id'], upserts: [{ columns: ['name'], preserve: [] }] },
        ]);
      }
      // In order, no operation twice.
      const indexes = bodies.flatMap((body) => created(body).map((outcome) => outcome.i));
      expect(indexes).toEqual(Array.from({ length: 1_200 }, (_, index) => index));
      await state.close();
    });

    it('one request for a batch within the chunk size, and for a cursor with no rows', async () => {
      const bodies: Record<string, unknown>[] = [];
      postgrest()
        .post('/rest/v1/rpc/act_sink_apply', (body) => {
          bodies.push(parse(body));
          return true;
        })
        .times(2)
        .reply(200, async (request: Request) => created(await request.json()));
      const state = supabaseState({ chunkSize: 3 });
      const cursor = { source: 'test', tenant: 't', stream: 'records', cursor: 'end' };
      expect((await state.sink.apply(upserts(3))).created).toBe(3);
      expect((await state.sink.apply([], { cursor })).outcomes).toEqual([]);
      expect(bodies[0]?.p_cursor).toBeNull();
      expect(bodies[1]).toEqual({ p_operations: [], p_cursor: cursor, p_now: null });
      await state.close();
    });

    it('a failing chunk stops the batch: StoreUnavailableError naming the chunk, no cursor, nothing after it', async () => {
      const cursors: unknown[] = [];
      postgrest()
        .post('/rest/v1/rpc/act_sink_apply', (body) => {
          cursors.push(parse(body).p_cursor);
          return true;
        })
        .reply(200, async (request: Request) => created(await request.json()));
      postgrest()
        .post('/rest/v1/rpc/act_sink_apply')
        .reply(503, { code: 'PGRST002', message: 'Could not query the database for the schema cache. Retrying.' });
      const state = supabaseState({ chunkSize: 2 });
      const error = await state.sink
        .apply(upserts(5), { cursor: { source: 'test', tenant: 't', stream: 'records', cursor: 'x' } })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(
        /^\[@act\/sink-supabase\] act_sink_apply \(chunk 2 of 3; chunk 1 was applied\): Supabase is unreachable or busy \(HTTP 503 PGRST002\)/,
      );
      expect(cursors).toEqual([null]);
      await state.close();
    });

    it('chunkPlan keeps table order, groups and their columns, deletes after upserts', () => {
      const plan = [
        {
          table: 'a',
          key: ['id'],
          upserts: [
            { columns: ['x'], preserve: [], rows: [{ i: 0 }, { i: 1 }, { i: 2 }] },
            { columns: ['y'], preserve: ['y'], rows: [{ i: 3 }] },
          ],
          deletes: [{ hard: true, rows: [{ i: 4 }] }],
        },
        {
          table: 'b',
          key: ['id'],
          upserts: [{ columns: ['z'], preserve: [], rows: [{ i: 5 }, { i: 6 }] }],
          deletes: [],
        },
      ];
      const chunks = chunkPlan(plan, 3);
      expect(chunks).toEqual([
        [
          {
            table: 'a',
            key: ['id'],
            upserts: [{ columns: ['x'], preserve: [], rows: [{ i: 0 }, { i: 1 }, { i: 2 }] }],
            deletes: [],
          },
        ],
        [
          {
            table: 'a',
            key: ['id'],
            upserts: [{ columns: ['y'], preserve: ['y'], rows: [{ i: 3 }] }],
            deletes: [{ hard: true, rows: [{ i: 4 }] }],
          },
          { table: 'b', key: ['id'], upserts: [{ columns: ['z'], preserve: [], rows: [{ i: 5 }] }], deletes: [] },
        ],
        [{ table: 'b', key: ['id'], upserts: [{ columns: ['z'], preserve: [], rows: [{ i: 6 }] }], deletes: [] }],
      ]);
      expect(chunkPlan(plan, 100)).toHaveLength(1);
      expect(chunkPlan([], 100)).toEqual([]);
    });
  });

  describe('errors become core errors', () => {
    const call = async () => {
      const state = supabaseState();
      try {
        return await state.store.getCursor({ source: 'test', tenant: 't', stream: 's' });
      } finally {
        await state.close();
      }
    };
    const rpc = () => postgrest().post('/rest/v1/rpc/act_get_cursor');

    it('409 unique violation (23505) → PostgresError of class validation, with the SQLSTATE', async () => {
      rpc().reply(409, {
        code: '23505',
        details: 'Key (id)=(1) already exists.',
        hint: null,
        message: 'duplicate key value violates unique constraint "things_pkey"',
      });
      const error = await call().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PostgresError);
      expect(error).toMatchObject({ errorClass: 'validation', code: '23505' });
      expect((error as Error).message).toMatch(/^\[@act\/sink-supabase\] act_get_cursor failed \(SQLSTATE 23505\)/);
    });

    it('400 bad input (22P02) → validation', async () => {
      rpc().reply(400, { code: '22P02', details: null, hint: null, message: 'invalid input syntax for type bigint' });
      await expect(call()).rejects.toMatchObject({ errorClass: 'validation', code: '22P02' });
    });

    it.each([
      ['500 without a Postgres code', 500, 'upstream connect error', /\(HTTP 500\)/],
      [
        '500 statement timeout (57014)',
        500,
        { code: '57014', message: 'canceling statement due to statement timeout' },
        /SQLSTATE 57014/,
      ],
      [
        '503 schema cache (PGRST002)',
        503,
        { code: 'PGRST002', message: 'Could not query the database for the schema cache. Retrying.' },
        /\(HTTP 503 PGRST002\)/,
      ],
      [
        '504 pool timeout (PGRST003)',
        504,
        { code: 'PGRST003', message: 'Timed out acquiring connection from connection pool.' },
        /\(HTTP 504 PGRST003\)/,
      ],
      ['520 from the edge', 520, 'web server returned an unknown error', /\(HTTP 520\)/],
      ['429 from the gateway', 429, { message: 'Too many requests' }, /\(HTTP 429\)/],
    ])('%s → StoreUnavailableError (transient, 503)', async (_name, status, body, pattern) => {
      rpc().reply(status, body as never);
      const error = await call().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(error).toMatchObject({ errorClass: 'transient', status: 503, isRetryable: true });
      expect((error as Error).message).toMatch(/^\[@act\/sink-supabase\] act_get_cursor: /);
      expect((error as Error).message).toMatch(pattern);
    });

    it('a network failure → StoreUnavailableError naming the cause', async () => {
      rpc().replyWithError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }));
      const error = await call().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(
        /^\[@act\/sink-supabase\] act_get_cursor: Supabase is unreachable or busy \(network error\): TypeError: fetch failed/,
      );
      expect((error as Error).message).toMatch(/ECONNREFUSED/);
    });

    it('a deadlock (40P01) is retried as one transaction, then succeeds', async () => {
      rpc().reply(500, { code: '40P01', message: 'deadlock detected' });
      rpc().reply(200, '"after-retry"', { 'content-type': 'application/json' });
      expect(await call()).toBe('after-retry');
    });

    it.each([
      [
        '401 from the gateway (a wrong key)',
        401,
        { message: 'Invalid API key', hint: 'Double check your Supabase `anon` or `service_role` API key.' },
      ],
      ['401 PGRST301 (a bad JWT)', 401, { code: 'PGRST301', message: 'JWSError JWSInvalidSignature' }],
      ['403 from the gateway', 403, { message: 'Forbidden' }],
    ])('%s → ConfigurationError naming SUPABASE_SERVICE_ROLE_KEY', async (_name, status, body) => {
      rpc().reply(status, body);
      const error = await call().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(
        /^\[@act\/sink-supabase\] act_get_cursor: Supabase refused the key .*service role key \(SUPABASE_SERVICE_ROLE_KEY/,
      );
    });

    it('403 permission denied on an object (42501) names the key too, but is retried, not dead-lettered', async () => {
      rpc().reply(403, { code: '42501', message: 'permission denied for table act_cursors' });
      const error = await call().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PostgresError);
      expect(error).toMatchObject({ errorClass: 'unknown', code: '42501', isRetryable: true });
      expect((error as Error).message).toMatch(
        /^\[@act\/sink-supabase\] act_get_cursor: Supabase refused the key \(HTTP 403 42501: permission denied for table act_cursors\)\. .*SUPABASE_SERVICE_ROLE_KEY.*run the migrations again/,
      );
    });

    it('404 PGRST202 (function not found) → asks whether the migrations ran', async () => {
      rpc().reply(404, {
        code: 'PGRST202',
        details: 'Searched for the function act.act_get_cursor with parameters p_source, p_stream, p_tenant',
        hint: null,
        message: 'Could not find the function act.act_get_cursor(p_source, p_stream, p_tenant) in the schema cache',
      });
      const error = await call().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PostgresError);
      expect(error).toMatchObject({ errorClass: 'unknown', code: 'PGRST202' });
      expect((error as Error).message).toMatch(
        /^\[@act\/sink-supabase\] act_get_cursor: PostgREST has no act\.act_get_cursor .*have the migrations run\? Run `npx @act\/cli migrate` with DATABASE_URL/,
      );
    });

    it('406 PGRST106 (schema not exposed) → ConfigurationError pointing at Exposed schemas', async () => {
      rpc().reply(406, {
        code: 'PGRST106',
        details: null,
        hint: 'Only the following schemas are exposed: public, graphql_public',
        message: 'Invalid schema: act',
      });
      await expect(call()).rejects.toThrow(/schema "act" is not exposed .*Exposed schemas/);
    });

    it('the webhook handler answers the retry status and stores nothing when Supabase is unavailable', async () => {
      const processor = (persistFailureStatus?: number): WebhookProcessorV1 => ({
        specificationVersion: 'v1',
        source: 'test',
        packageName: '@act/test-connector',
        persistedHeaders: [],
        ...(persistFailureStatus ? { persistFailureStatus } : {}),
        async verify() {
          return { valid: true };
        },
        parse: () => ({ deliveryId: 'd-1', tenant: 'tenant-a', events: [] }),
      });
      const request = () => new Request('http://localhost/webhooks/test', { method: 'POST', body: '{}' });
      postgrest().post('/rest/v1/rpc/act_enqueue').reply(503, { code: 'PGRST001', message: 'Database client error' });
      postgrest().post('/rest/v1/rpc/act_enqueue').replyWithError(new Error('socket hang up'));
      const state = supabaseState();
      const response = await createWebhookHandler({ processor: processor(), store: state.store })(request());
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('10');
      const ghlLike = await createWebhookHandler({ processor: processor(429), store: state.store })(request());
      expect(ghlLike.status).toBe(429);
      await state.close();
    });
  });

  describe('migrations, health, configuration', () => {
    it('migrate() refuses, pointing at the CLI with DATABASE_URL and the SQL editor; nothing is sent', async () => {
      const state = supabaseState();
      const error = await state.migrate().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(
        /^\[@act\/sink-supabase\] migrate\(\) cannot run through supabase-js: .*`DATABASE_URL=<the project's connection string> npx @act\/cli migrate --schema act`.*SQL editor/,
      );
      await expect(migrate({ supabaseUrl: SUPABASE_URL, supabaseKey: SERVICE_KEY })).rejects.toThrow(
        /npx @act\/cli migrate` \(Project Settings/,
      );
      await state.close();
    });

    it('health reads act_migrations with one GET (Accept-Profile) and lists what is pending', async () => {
      const table = () =>
        nock(SUPABASE_URL, {
          reqheaders: { apikey: SERVICE_KEY, authorization: `Bearer ${SERVICE_KEY}`, 'accept-profile': SCHEMA },
          badheaders: ['content-profile'],
        })
          .get('/rest/v1/act_migrations')
          .query({ select: 'name' });
      table().reply(
        200,
        CORE_NAMES.map((name) => ({ name })),
      );
      table().reply(
        200,
        CORE_NAMES.slice(0, 1).map((name) => ({ name })),
      );
      table().reply(404, {
        code: 'PGRST205',
        details: null,
        hint: null,
        message: "Could not find the table 'act.act_migrations' in the schema cache",
      });
      table().replyWithError(new Error('getaddrinfo ENOTFOUND abcdefghijklmnopqrst.supabase.co'));
      const state = supabaseState();
      expect(await state.health()).toMatchObject({
        ok: true,
        driver: 'supabase',
        schema: SCHEMA,
        pendingMigrations: [],
      });
      expect(await state.health()).toMatchObject({ ok: false, pendingMigrations: CORE_NAMES.slice(1) });
      expect(await state.health()).toMatchObject({ ok: false, pendingMigrations: CORE_NAMES });
      const down = await state.health();
      expect(down).toMatchObject({ ok: false, latencyMs: null });
      expect(down.error).toMatch(/^\[@act\/sink-supabase\] act_migrations: Supabase is unreachable/);
      await state.close();
    });

    it('takes a client of your own ({ supabase }), with its own headers', async () => {
      const client = createClient(SUPABASE_URL, SERVICE_KEY, {
        auth: { persistSession: false },
        global: { headers: { 'x-app': 'mirror' } },
      });
      nock(SUPABASE_URL, { reqheaders: { 'x-app': 'mirror', 'content-profile': 'public', apikey: SERVICE_KEY } })
        .post('/rest/v1/rpc/act_get_cursor', { p_source: 's', p_tenant: 't', p_stream: 'x' })
        .reply(200, '"c"', { 'content-type': 'application/json' });
      const state = createPostgresState({ supabase: client });
      expect(await state.store.getCursor({ source: 's', tenant: 't', stream: 'x' })).toBe('c');
      await state.close();
    });

    it('refuses a missing URL or key, a public key, and a bad chunk size, before sending anything', () => {
      expect(() => createPostgresState({ supabaseUrl: '', supabaseKey: SERVICE_KEY })).toThrow(
        /^\[@act\/sink-supabase\] supabaseUrl must be the project URL.*SUPABASE_URL/,
      );
      expect(() => createPostgresState({ supabaseUrl: SUPABASE_URL, supabaseKey: '' })).toThrow(
        /supabaseKey is empty: .*SUPABASE_SERVICE_ROLE_KEY/,
      );
      for (const key of [jwt('anon'), 'sb_publishable_abc123']) {
        expect(() => createPostgresState({ supabaseUrl: SUPABASE_URL, supabaseKey: key })).toThrow(
          /is a public \(anon\) key.*SUPABASE_SERVICE_ROLE_KEY/,
        );
      }
      expect(() => createPostgresState({ supabaseUrl: SUPABASE_URL, supabaseKey: SERVICE_KEY, chunkSize: 0 })).toThrow(
        /chunkSize must be a positive integer/,
      );
      expect(() => createPostgresState({ supabase: {} as never })).toThrow(
        /createClient\(\) of @supabase\/supabase-js/,
      );
      // New secret keys are accepted as they are.
      expect(() => createPostgresState({ supabaseUrl: SUPABASE_URL, supabaseKey: 'sb_secret_abc123' })).not.toThrow();
    });
  });
});

// ---------------------------------------------------------------------------
// End to end against a real database, behind the PostgREST stand-in of
// @act/sink-supabase/testing (supabase-js's `global.fetch` routed to it; see
// there for what it proves and what it does not).

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
interface SupabaseTest {
  state: ReturnType<typeof createPostgresState>;
  schema: string;
  destroy(): Promise<void>;
}

describe.skipIf(!DATABASE_URL)('supabase-js driver end to end: real Postgres behind a PostgREST stand-in', () => {
  let pool: pg.Pool | undefined;
  const shared = () => {
    if (!pool) {
      pool = new pg.Pool({ connectionString: DATABASE_URL, max: 20 });
      // An idle connection dropped by the server (57P01 on a restart) must not crash the process.
      pool.on('error', (error) => console.error(`postgres pool: ${error.message}`));
    }
    return pool;
  };
  afterAll(async () => pool?.end());

  async function create(options: { chunkSize?: number } = {}): Promise<SupabaseTest> {
    const schema = randomSchema('act_sb');
    await migrate({ pool: shared() }, { schema, migrations: [TEST_RECORDS_MIGRATION] });
    const state = createPostgresState(
      {
        supabaseUrl: SUPABASE_URL,
        supabaseKey: SERVICE_KEY,
        clientOptions: { global: { fetch: createPostgrestFetch(poolTransaction(shared())) } },
        ...options,
      },
      { schema },
    );
    return {
      state,
      schema,
      async destroy() {
        await state.close();
        await shared().query(`drop schema if exists ${quote(schema)} cascade`);
      },
    };
  }

  const byStore = new Map<StateStoreV1, SupabaseTest>();
  const bySink = new Map<SinkV1, SupabaseTest>();

  describe('store (testStateStore)', () => {
    testStateStore({
      async create() {
        const test = await create();
        byStore.set(test.state.store, test);
        return test.state.store;
      },
      async destroy(store) {
        await byStore.get(store)?.destroy();
        byStore.delete(store);
      },
    });
  });

  describe('sink (testSink)', () => {
    testSink({
      async create() {
        const test = await create();
        bySink.set(test.state.sink, test);
        return test.state.sink;
      },
      async destroy(sink) {
        await bySink.get(sink)?.destroy();
        bySink.delete(sink);
      },
      async read(sink, key: SinkRowKeyV1) {
        const test = bySink.get(sink) as SupabaseTest;
        const [row] = (
          await shared().query(
            `select * from ${quote(test.schema)}.${TEST_SINK_TABLE} where tenant_id = $1 and id = $2`,
            [key.tenant_id, key.id],
          )
        ).rows as Record<string, unknown>[];
        if (!row) return undefined;
        const values = Object.fromEntries(
          Object.entries(row).filter(([column, value]) => !bookkeeping.has(column) && value !== null),
        );
        return { values, deleted: row._deleted_at !== null };
      },
      async readCursor(sink, key) {
        return (bySink.get(sink) as SupabaseTest).state.store.getCursor(key);
      },
      // act_sink_scan through rpc, page by page.
      scan: true,
    });
  });

  const byCredentials = new Map<CredentialStoreV1, SupabaseTest>();
  describe('credentials (testCredentialStore)', () => {
    testCredentialStore({
      async create() {
        const test = await create();
        byCredentials.set(test.state.credentials, test);
        return test.state.credentials;
      },
      async destroy(store) {
        await byCredentials.get(store)?.destroy();
        byCredentials.delete(store);
      },
    });
  });

  it('raw bytes round-trip exactly: all 256 byte values, and invalid UTF-8', async () => {
    const test = await create();
    try {
      for (const body of [ALL_BYTES, Uint8Array.of(0xc3, 0x28, 0xff, 0xfe, 0x00, 0x80), new Uint8Array(0)]) {
        const { id } = await test.state.store.enqueue(makeTestDelivery({ body }));
        const stored = await test.state.store.getDelivery(id);
        expect([...(stored?.body ?? [])]).toEqual([...body]);
        const [row] = (
          await shared().query(`select body from ${quote(test.schema)}.act_deliveries where id = $1`, [id])
        ).rows as { body: Buffer }[];
        expect([...(row?.body ?? [])]).toEqual([...body]);
      }
    } finally {
      await test.destroy();
    }
  });

  it('a chunked batch with integration events records them with the last chunk, with the outcomes of every chunk', async () => {
    const test = await create({ chunkSize: 2 });
    try {
      const upsert = (id: string, version: number): SinkOperationV1 => ({
        kind: 'upsert',
        table: TEST_SINK_TABLE,
        key: { tenant_id: 'chunks', id },
        values: { name: id },
        version,
      });
      // 'b' is newer in the mirror: skipped as stale in the first chunk.
      await test.state.sink.apply([upsert('b', 9)]);
      const operations = [upsert('a', 1), upsert('b', 2), upsert('c', 3), upsert('d', 4), upsert('e', 5)];
      const prepared: PreparedEvents = {
        operations,
        spans: operations.map((operation, index) => ({
          event: {
            source: 'test',
            tenant: 'chunks',
            type: 'RecordUpdate',
            entity: 'record',
            entityId: String(operation.key.id),
            payload: {},
          },
          start: index,
          count: 1,
        })),
      };
      const input = { triggeredBy: 'poll' as const, receivedAt: new Date(Date.now() - 500) };
      const cursor = { source: 'test', tenant: 'chunks', stream: 'records', cursor: 'page-1' };
      const result = await test.state.sink.apply(operations, {
        cursor,
        events: pendingIntegrationEvents(prepared, input),
      });
      const described = describeApplied(prepared, result, input, result.committedAt as Date);
      const stored = (await test.state.store.listEvents({ source: 'test', limit: 100 })).reverse();
      expect(stored.map((event) => `${event.entityId}:${event.outcome}`)).toEqual([
        'a:created',
        'b:skipped',
        'c:created',
        'd:created',
        'e:created',
      ]);
      expect(stored).toEqual(described.integrationEvents);
      expect(await test.state.store.getCursor(cursor)).toBe('page-1');
    } finally {
      await test.destroy();
    }
  });

  it('a chunked batch writes every row; the cursor is saved with the last chunk; a replay is idempotent', async () => {
    const test = await create({ chunkSize: 4 });
    try {
      const operations: SinkOperationV1[] = Array.from({ length: 10 }, (_, index) => ({
        kind: 'upsert',
        table: TEST_SINK_TABLE,
        key: { tenant_id: 'chunks', id: `r${index}` },
        values: { name: `n${index}` },
        version: 100 + index,
      }));
      operations.push({ kind: 'delete', table: TEST_SINK_TABLE, key: { tenant_id: 'chunks', id: 'gone' }, version: 1 });
      const cursor = { source: 'test', tenant: 'chunks', stream: 'records', cursor: 'page-2' };
      const first = await test.state.sink.apply(operations, { cursor });
      expect(first).toMatchObject({ created: 10, deleted: 1, skipped: 0 });
      const [counts] = (
        await shared().query(
          `select count(*)::int as rows, count(*) filter (where _deleted_at is not null)::int as tombstones from ${quote(test.schema)}.${TEST_SINK_TABLE}`,
        )
      ).rows;
      expect(counts).toEqual({ rows: 11, tombstones: 1 });
      expect(await test.state.store.getCursor(cursor)).toBe('page-2');
      // A crash after some chunks means the batch is sent again: nothing changes twice.
      const again = await test.state.sink.apply(operations, { cursor });
      expect(again.created + again.updated).toBe(0);
      expect(again.skipped).toBe(11);
    } finally {
      await test.destroy();
    }
  });

  it('health through PostgREST: migrations applied; a schema never migrated says so, calls ask for migrations', async () => {
    const test = await create();
    const empty = createPostgresState(
      {
        supabaseUrl: SUPABASE_URL,
        supabaseKey: SERVICE_KEY,
        clientOptions: { global: { fetch: createPostgrestFetch(poolTransaction(shared())) } },
      },
      { schema: randomSchema('act_sb_none') },
    );
    try {
      expect(await test.state.health()).toMatchObject({ ok: true, driver: 'supabase', pendingMigrations: [] });
      expect(await empty.health()).toMatchObject({ ok: false, pendingMigrations: CORE_NAMES });
      await expect(empty.store.listDeliveries({})).rejects.toThrow(/PGRST202.*have the migrations run\?/);
    } finally {
      await empty.close();
      await test.destroy();
    }
  });
});

// Roles are cluster-wide and the shared test server must not change, so the
// Supabase roles live in a private PGlite. The stand-in switches to the role
// of the key's JWT, as PostgREST does.
describe('supabase-js driver as service_role, in a schema of its own (PGlite with Supabase roles)', () => {
  let db: PGlite | undefined;
  afterAll(async () => db?.close());

  it('the migrations grant service_role what the act_ functions touch, including mirror tables added later; anon stays out', async () => {
    db = await PGlite.create();
    await db.exec(
      'create role anon nologin; create role authenticated nologin; create role service_role nologin bypassrls;',
    );
    const schema = 'act_private';
    await migrate({ pglite: db }, { schema, migrations: [TEST_RECORDS_MIGRATION] });
    const fetchImpl = createPostgrestFetch(pgliteTransaction(db), { switchRole: true });
    const state = createPostgresState(
      { supabaseUrl: SUPABASE_URL, supabaseKey: SERVICE_KEY, clientOptions: { global: { fetch: fetchImpl } } },
      { schema },
    );
    const { id } = await state.store.enqueue(makeTestDelivery({ body: ALL_BYTES }));
    const [claimed] = await state.store.claim({ owner: 'w', limit: 1, leaseMs: 30_000 });
    expect(claimed?.id).toBe(id);
    expect(
      await state.store.complete({ id, claimToken: claimed?.claimToken as string, events: [], startedAt: new Date() }),
    ).toBe(true);
    const cursor = { source: 'test', tenant: 't', stream: 's', cursor: 'c1' };
    const applied = await state.sink.apply(
      [
        {
          kind: 'upsert',
          table: TEST_SINK_TABLE,
          key: { tenant_id: 't', id: 'a' },
          values: { name: 'Ada' },
          version: 1,
        },
      ],
      { cursor },
    );
    expect(applied.created).toBe(1);
    expect(await state.store.getCursor(cursor)).toBe('c1');
    expect(await state.rateLimits.take({ key: 'k', limit: { capacity: 2, intervalMs: 1000 }, now: 1 })).toMatchObject({
      granted: true,
    });
    // Credentials and the sink scan (migration 0007) work as service_role too.
    await state.credentials.put('test:t', { refreshToken: 'r1' });
    expect(await state.credentials.acquireRefreshLease('test:t', { owner: 'w', leaseMs: 1_000 })).toMatchObject({
      acquired: true,
    });
    expect(
      await state.credentials.completeRefresh('test:t', { owner: 'w', value: { refreshToken: 'r2' } }),
    ).toMatchObject({ revision: 2, value: { refreshToken: 'r2' } });
    const scanned = [];
    for await (const page of state.sink.scan({
      table: TEST_SINK_TABLE,
      where: { tenant_id: 't' },
      keyColumns: ['tenant_id', 'id'],
    }))
      scanned.push(...page);
    expect(scanned).toEqual([{ key: { tenant_id: 't', id: 'a' }, version: 1, deleted: false }]);
    expect(await state.health()).toMatchObject({ ok: true, pendingMigrations: [] });

    // A connector table migrated later is granted too (default privileges).
    await migrate(
      { pglite: db },
      {
        schema,
        migrations: [
          TEST_RECORDS_MIGRATION,
          {
            name: 'later/0001',
            sql: 'create table act_later (id text primary key, _version bigint, _payload_hash text, _deleted_at timestamptz, _synced_at timestamptz);',
          },
        ],
      },
    );
    const later = await state.sink.apply([{ kind: 'upsert', table: 'act_later', key: { id: 'x' }, values: {} }]);
    expect(later.created).toBe(1);

    // The anon key gets nothing (its client is built by hand: createPostgresState refuses public keys).
    const anon = createPostgresState(
      {
        supabase: createClient(SUPABASE_URL, jwt('anon'), {
          auth: { persistSession: false },
          global: { fetch: fetchImpl },
        }),
      },
      { schema },
    );
    await expect(anon.store.listDeliveries({})).rejects.toThrow(
      /Supabase refused the key \(HTTP 403 42501: permission denied/,
    );
    await expect(anon.credentials.get('test:t')).rejects.toThrow(/Supabase refused the key \(HTTP 403 42501/);
    await anon.close();
    await state.close();
  });
});
