// End to end: signed request → handler → inbox → worker → sink, in memory and
// on PGlite through @act/sink-supabase. Node-only (PGlite, @act/sink-supabase).
import {
  VERSION as CORE_VERSION,
  createMemoryCredentialStore,
  createMemorySink,
  createMemoryStateStore,
  createWebhookHandler,
  createWorker,
  type Logger,
  type MemorySink,
  runPoller,
  runReconciliation,
  type SinkV1,
  type StateStoreV1,
} from '@act/core';
import { createPostgresState } from '@act/sink-supabase';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGhlConnector,
  type GhlConnector,
  type GhlConnectorSettings,
  loadGhlSettings,
  VERSION,
} from '../src/index';
import {
  generateGhlTestKeys,
  signedGhlRequest,
  TEST_LOCATION,
  TEST_WORKFLOW_SECRET,
  type WebhookFixtureName,
  webhookFixtures,
  withEnvelope,
  workflowBody,
  workflowRequest,
} from './helpers/ghl-fixtures';

const keys = await generateGhlTestKeys();
const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const CONTACT = { location_id: TEST_LOCATION, id: 'nmFmQEsNgz6AVpgLVUJ0' };
const OPPORTUNITY = { location_id: TEST_LOCATION, id: 'wWhVuzqpRuOA1ZVWi4FC' };

/** A documented example, some of its values changed (never its field names), in GHL's envelope. */
function delivery(
  name: WebhookFixtureName,
  options: { webhookId: string; at: number; set?: Record<string, unknown> },
): string {
  const body = options.set
    ? JSON.stringify({ ...JSON.parse(webhookFixtures[name]), ...options.set }, null, 2)
    : webhookFixtures[name];
  return withEnvelope(body, { timestamp: new Date(options.at), webhookId: options.webhookId });
}

function setup<Sink extends SinkV1 = MemorySink>(
  options: { settings?: GhlConnectorSettings; store?: StateStoreV1; sink?: Sink; connector?: GhlConnector } = {},
) {
  const connector =
    options.connector ??
    createGhlConnector({
      webhook: { ed25519PublicKeys: [keys.ed25519Pem], rsaPublicKeys: [keys.rsaPem] },
      workflowWebhook: { secrets: [TEST_WORKFLOW_SECRET] },
      logger: noLogger, // receive-only: no "no API credentials" warning on the console
      ...options.settings,
    });
  const store = options.store ?? createMemoryStateStore();
  const sink = options.sink ?? (createMemorySink() as unknown as Sink);
  // The receipt clock follows the deliveries, so the 5-minute window holds for each.
  let clock = T0;
  const handler = createWebhookHandler({ processor: connector.webhook, store, now: () => new Date(clock) });
  const workflowHandler = createWebhookHandler({
    processor: connector.workflowWebhook,
    store,
    now: () => new Date(clock),
  });
  const worker = createWorker({ connectors: [connector], store, sink, circuitBreaker: false });
  const send = async (body: string, at: number, scheme: 'ed25519' | 'rsa' = 'ed25519') => {
    clock = at + 1_000;
    return handler(await signedGhlRequest(body, { keys, scheme }));
  };
  return { connector, store, sink, worker, send, workflowHandler, setClock: (at: number) => (clock = at) };
}

/** The sequence GHL really produces ([G11] #27, [G6]): duplicates, reordering, an update after a delete. */
async function realisticSequence(ctx: ReturnType<typeof setup<SinkV1>>) {
  const { send, worker } = ctx;
  const statuses: number[] = [];
  const step = async (body: string, at: number) => {
    statuses.push((await send(body, at)).status);
    await worker.drain();
  };
  await step(delivery('contact-create.1.json', { webhookId: 'wh_c1', at: T0 }), T0);
  // Two updates, the newer one first.
  const newer = delivery('contact-update.1.json', {
    webhookId: 'wh_u2',
    at: T0 + 20_000,
    set: { firstName: 'Johnny', email: 'Johnny@Example.com', tags: ['VIP', ' vip ', 'Lead'] },
  });
  await step(newer, T0 + 20_000);
  await step(
    delivery('contact-update.1.json', { webhookId: 'wh_u1', at: T0 + 10_000, set: { firstName: 'Jon' } }),
    T0 + 21_000,
  );
  // The newer update delivered again (same webhookId).
  await step(newer, T0 + 22_000);
  await step(delivery('contact-delete.1.json', { webhookId: 'wh_d1', at: T0 + 30_000 }), T0 + 30_000);
  // A late update after the delete (GHL pairs deletes with an update).
  await step(
    delivery('contact-update.1.json', { webhookId: 'wh_u3', at: T0 + 40_000, set: { firstName: 'Zombie' } }),
    T0 + 40_000,
  );
  return statuses;
}

/**
 * Two copies of one contact with the same `dateUpdated` (so the same version):
 * the one GHL stamped now arrives first, the one it stamped 90 s earlier
 * arrives after it. The earlier copy must not win the tie.
 */
const TIE_CONTACT = { location_id: TEST_LOCATION, id: 'tieContact0001' };
async function versionTie(ctx: ReturnType<typeof setup<SinkV1>>) {
  const dateUpdated = new Date(T0 - 600_000).toISOString();
  const copy = (webhookId: string, at: number, email: string) =>
    delivery('contact-update.1.json', { webhookId, at, set: { id: TIE_CONTACT.id, email, dateUpdated } });
  const newest = T0 + 100_000;
  expect((await ctx.send(copy('wh_tie_new', newest, 'newest@example.com'), newest)).status).toBe(200);
  expect(await ctx.worker.drain()).toMatchObject({ outcomes: { done: 1 } });
  // Stamped 90 s earlier, received after the newest one (within the 5-minute window).
  expect((await ctx.send(copy('wh_tie_old', newest - 90_000, 'older@example.com'), newest + 500)).status).toBe(200);
  expect(await ctx.worker.drain()).toMatchObject({ outcomes: { done: 1 } });
  const outcomes = (await ctx.store.listEvents({}))
    .filter((event) => event.entityId === TIE_CONTACT.id)
    .reverse()
    .map((event) => `${event.outcome}${event.summary?.skipped ? `:${event.summary.skipped}` : ''}`);
  expect(outcomes).toEqual(['created', 'skipped:stale']);
}

describe('GHL connector end to end (memory)', () => {
  it('an older copy at the same dateUpdated never replaces a newer one (version tie)', async () => {
    const ctx = setup();
    await versionTie(ctx);
    expect(ctx.sink.row('ghl_contacts', TIE_CONTACT)?.values.email).toBe('newest@example.com');
  });

  it('converges on the newest version: out-of-order updates, a duplicate, a delete, a late update', async () => {
    const ctx = setup();
    const statuses = await realisticSequence(ctx);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);

    const row = ctx.sink.row('ghl_contacts', CONTACT);
    expect(row?.deletedAt).toBeInstanceOf(Date);
    expect(row?.values).toMatchObject({
      first_name: 'Johnny',
      email: 'johnny@example.com',
      tags: ['lead', 'vip'],
      phone: '+919509597501',
    });
    expect(ctx.sink.rows('ghl_contacts')).toEqual([]);
    expect(await ctx.store.listDeliveries({})).toHaveLength(5);
    const outcomes = (await ctx.store.listEvents({}))
      .reverse()
      .map((event) => `${event.type}:${event.outcome}${event.summary?.skipped ? `:${event.summary.skipped}` : ''}`);
    expect(outcomes).toEqual([
      'ContactCreate:created',
      'ContactUpdate:updated',
      'ContactUpdate:skipped:stale',
      'ContactDelete:deleted',
      'ContactUpdate:skipped:deleted',
    ]);
  });

  it('ends paired opportunity events at the newest, in either order, through the worker and in one sink batch', async () => {
    const stageA = { pipelineStageId: 'stage-a' };
    const stageB = { pipelineStageId: 'stage-b', status: 'won' };
    // Through the worker, the newer StageUpdate first, its older OpportunityUpdate twin second.
    const ctx = setup();
    await ctx.send(delivery('opportunity-create.1.json', { webhookId: 'wh_o0', at: T0, set: stageA }), T0);
    await ctx.send(
      delivery('opportunity-stage-update.1.json', { webhookId: 'wh_o2', at: T0 + 2_000, set: stageB }),
      T0 + 2_000,
    );
    await ctx.send(
      delivery('opportunity-update.1.json', { webhookId: 'wh_o1', at: T0 + 1_000, set: stageA }),
      T0 + 3_000,
    );
    await ctx.worker.drain();
    expect(ctx.sink.row('ghl_opportunities', OPPORTUNITY)?.values).toMatchObject({
      pipeline_stage_id: 'stage-b',
      status: 'won',
    });

    // One batch holding both (a poll page or a replay): the sink collapses them to the newest.
    const sink = createMemorySink();
    const { connector } = ctx;
    const operations = [];
    for (const [name, at, set] of [
      ['opportunity-stage-update.1.json', T0 + 2_000, stageB],
      ['opportunity-update.1.json', T0 + 1_000, stageA],
    ] as const) {
      const parsed = await connector.webhook.parse({
        method: 'POST',
        url: 'http://localhost/',
        headers: { 'x-ghl-signature': 'kept' },
        body: new TextEncoder().encode(delivery(name, { webhookId: `wh_${at}`, at, set })),
        receivedAt: new Date(at),
      });
      for (const event of parsed.events) operations.push(...(await connector.transformer.transform(event, {})));
    }
    const result = await sink.apply(operations);
    expect(result.outcomes).toEqual([
      { outcome: 'created', rowId: '1' },
      { outcome: 'skipped', reason: 'stale' },
    ]);
    expect(sink.row('ghl_opportunities', OPPORTUNITY)?.values).toMatchObject({ pipeline_stage_id: 'stage-b' });
  });

  it('accepts the legacy RSA signature end to end, when turned on', async () => {
    const ctx = setup({
      settings: { webhook: { ed25519PublicKeys: [keys.ed25519Pem], rsaPublicKeys: [keys.rsaPem], legacyRsa: true } },
    });
    const response = await ctx.send(delivery('note-create.1.json', { webhookId: 'wh_n1', at: T0 }), T0, 'rsa');
    expect(response.status).toBe(200);
    await ctx.worker.drain();
    expect(ctx.sink.rows('ghl_notes')).toHaveLength(1);
  });

  it('stores and acknowledges an unknown event type, and writes no row', async () => {
    const ctx = setup();
    const response = await ctx.send(
      withEnvelope(webhookFixtures['inbound-message.1.json'], { timestamp: new Date(T0), webhookId: 'wh_m1' }),
      T0,
    );
    expect(response.status).toBe(200);
    expect(await ctx.worker.drain()).toMatchObject({ outcomes: { done: 1 } });
    for (const table of ['ghl_contacts', 'ghl_opportunities', 'ghl_notes']) expect(ctx.sink.rows(table)).toEqual([]);
    expect(await ctx.store.listEvents({})).toEqual([]);
  });

  it('applies workflow webhooks sent with the secret, and refuses them without (401, nothing stored)', async () => {
    const ctx = setup();
    const refused = await ctx.workflowHandler(workflowRequest(workflowBody(), { secret: null }));
    expect(refused.status).toBe(401);
    expect(await ctx.store.listDeliveries({})).toEqual([]);

    const accepted = await ctx.workflowHandler(workflowRequest(workflowBody()));
    expect(accepted.status).toBe(200);
    // The worker tells the stored workflow delivery apart by itself (no GHL signature header kept).
    expect(await ctx.worker.drain()).toMatchObject({ outcomes: { done: 1 } });
    expect(ctx.sink.row('ghl_contacts', CONTACT)?.values).toMatchObject({
      first_name: 'John',
      email: 'johndeo@gmail.com',
      phone: '+61412345678',
      tags: ['tag1', 'tag2', 'won'],
    });
  });

  it('keeps a preserved column (a locally managed pipeline stage) once written', async () => {
    const ctx = setup({ settings: { fieldPolicies: { ghl_opportunities: { preserved: ['pipeline_stage_id'] } } } });
    await ctx.send(
      delivery('opportunity-create.1.json', { webhookId: 'wh_p0', at: T0, set: { pipelineStageId: 'local' } }),
      T0,
    );
    await ctx.send(
      delivery('opportunity-stage-update.1.json', {
        webhookId: 'wh_p1',
        at: T0 + 5_000,
        set: { pipelineStageId: 'remote', monetaryValue: 99 },
      }),
      T0 + 5_000,
    );
    await ctx.worker.drain();
    expect(ctx.sink.row('ghl_opportunities', OPPORTUNITY)?.values).toMatchObject({
      pipeline_stage_id: 'local',
      monetary_value: 99,
    });
  });

  it('keeps blocked fields out of the mirror and its raw copy', async () => {
    const ctx = setup({ settings: { fieldPolicies: { ghl_contacts: { blocked: ['date_of_birth', 'phone'] } } } });
    await ctx.send(delivery('contact-create.1.json', { webhookId: 'wh_b0', at: T0 }), T0);
    await ctx.worker.drain();
    const values = ctx.sink.row('ghl_contacts', CONTACT)?.values ?? {};
    for (const column of ['date_of_birth', 'phone', 'phone_raw']) expect(values).not.toHaveProperty(column);
    expect(values.raw).not.toHaveProperty('dateOfBirth');
    expect(values.raw).not.toHaveProperty('phone');
    expect(values).toMatchObject({ email: 'johndeo@gmail.comm' });
  });
});

describe('typed handlers', () => {
  it('run when the worker processes a stored delivery, typed by event name, and never block the mirror', async () => {
    const ctx = setup();
    const seen: string[] = [];
    const errors: string[] = [];
    ctx.connector.on('ContactUpdate', (event) => {
      // `event.payload` is the contact payload: `email` is typed.
      seen.push(`update:${event.payload.email ?? ''}:${event.origin}`);
    });
    ctx.connector.on(['OpportunityStageUpdate', 'OpportunityStatusUpdate'], (event) => {
      seen.push(`stage:${event.payload.pipelineStageId ?? ''}`);
    });
    ctx.connector.on('INSTALL', (event) => {
      seen.push(`install:${event.payload.appId}`);
    });
    ctx.connector.onAny((event) => {
      seen.push(`any:${event.type}`);
      if (event.type === 'ContactUpdate') throw new Error('side effect failed');
    });
    ctx.connector.onError((error, event) => {
      errors.push(`${event.type}:${(error as Error).message}`);
    });

    await ctx.send(delivery('contact-update.1.json', { webhookId: 'wh_h1', at: T0 }), T0);
    expect(seen).toEqual([]); // receiving only stores; handlers run in the worker
    await ctx.send(delivery('opportunity-stage-update.1.json', { webhookId: 'wh_h2', at: T0 }), T0);
    await ctx.send(delivery('app-install.2.json', { webhookId: 'wh_h3', at: T0 }), T0);
    expect(await ctx.worker.drain()).toMatchObject({ outcomes: { done: 3 } });

    expect(seen.sort()).toEqual(
      [
        'update:JohnDeo@gmail.comm:marketplace-webhook',
        'any:ContactUpdate',
        'stage:e93ba61a-53b3-45e7-985a-c7732dbcdb69',
        'any:OpportunityStageUpdate',
        'install:ve9EPM428h8vShlRW1KT',
        'any:INSTALL',
      ].sort(),
    );
    expect(errors).toEqual(['ContactUpdate:side effect failed']);
    expect(ctx.sink.rows('ghl_contacts')).toHaveLength(1);
  });

  it('can be removed, and run by hand with receive()', async () => {
    const connector = createGhlConnector();
    const calls: string[] = [];
    const handler = (event: { type: string }) => {
      calls.push(event.type);
    };
    connector.on('NoteCreate', handler);
    const body = new TextEncoder().encode(webhookFixtures['note-create.1.json']);
    const [event] = (
      await connector.webhook.parse({
        method: 'POST',
        url: 'http://localhost/',
        headers: { 'x-ghl-signature': 'kept' },
        body,
        receivedAt: new Date(T0),
      })
    ).events;
    if (!event) throw new Error('no event');
    await connector.receive(event);
    connector.removeListener('NoteCreate', handler);
    await connector.receive(event);
    expect(calls).toEqual(['NoteCreate']);
  });
});

describe('GHL connector end to end (PGlite through @act/sink-supabase)', () => {
  let db: PGlite;
  let state: ReturnType<typeof createPostgresState>;
  const connector = createGhlConnector({
    webhook: { ed25519PublicKeys: [keys.ed25519Pem] },
    workflowWebhook: { secrets: [TEST_WORKFLOW_SECRET] },
  });

  beforeAll(async () => {
    db = await PGlite.create();
    state = createPostgresState({ pglite: db });
    await state.migrate({ connectors: [connector] });
  }, 30_000);
  afterAll(async () => {
    await state?.close();
    await db?.close();
  });

  it('applies the migration: every mirror table exists with its bookkeeping columns', async () => {
    const { rows } = await db.query<{ table_name: string; columns: string[] }>(
      `select table_name, array_agg(column_name::text order by column_name) as columns
         from information_schema.columns where table_name like 'ghl\\_%' group by table_name order by table_name`,
    );
    expect(rows.map((row) => row.table_name)).toEqual([
      'ghl_appointments',
      'ghl_contacts',
      'ghl_notes',
      'ghl_opportunities',
      'ghl_pipelines',
      'ghl_tasks',
    ]);
    for (const row of rows) expect(row.columns).toEqual(expect.arrayContaining(['_version', '_deleted_at', 'raw']));
  });

  it('converges the same realistic sequence, and never resurrects the deleted contact', async () => {
    const ctx = setup({ connector, store: state.store, sink: state.sink });
    expect(await realisticSequence(ctx)).toEqual([200, 200, 200, 200, 200, 200]);
    const { rows } = await db.query<Record<string, unknown>>(
      'select first_name, email, phone, phone_raw, tags, date_of_birth::text as dob, _version, _deleted_at, raw from ghl_contacts where location_id = $1 and id = $2',
      [CONTACT.location_id, CONTACT.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      first_name: 'Johnny',
      email: 'johnny@example.com',
      phone: '+919509597501',
      phone_raw: '+919509597501',
      tags: ['lead', 'vip'],
      dob: '2000-01-05',
      _deleted_at: expect.any(Date),
    });
    expect(rows[0]?.raw).toMatchObject({ firstName: 'Johnny' });
    expect(await state.store.listDeliveries({})).toHaveLength(5);
  });

  it('an older copy at the same dateUpdated never replaces a newer one (version tie)', async () => {
    const ctx = setup({ connector, store: state.store, sink: state.sink });
    await versionTie(ctx);
    const { rows } = await db.query<{ email: string; order: string[] }>(
      'select email, _version_order::text[] as order from ghl_contacts where location_id = $1 and id = $2',
      [TIE_CONTACT.location_id, TIE_CONTACT.id],
    );
    expect(rows[0]?.email).toBe('newest@example.com');
    // The newest copy's send time leads its tie-break.
    expect(Number(rows[0]?.order[0])).toBe(T0 + 100_000);
  });

  it('writes appointments, tasks and opportunities with their SQL types; a delete arriving first leaves a tombstone', async () => {
    const ctx = setup({ connector, store: state.store, sink: state.sink });
    await ctx.send(delivery('appointment-create.1.json', { webhookId: 'wh_a1', at: T0 }), T0);
    await ctx.send(delivery('task-complete.1.json', { webhookId: 'wh_t1', at: T0 }), T0);
    await ctx.send(delivery('opportunity-create.1.json', { webhookId: 'wh_o1', at: T0 }), T0);
    await ctx.send(delivery('note-delete.1.json', { webhookId: 'wh_nd', at: T0 }), T0);
    await ctx.send(delivery('note-create.1.json', { webhookId: 'wh_nc', at: T0 - 60_000 }), T0);
    expect(await ctx.worker.drain()).toMatchObject({ outcomes: { done: 5, dead: 0 } });

    const appointment = await db.query<Record<string, unknown>>(
      'select status, users, start_time, _version from ghl_appointments',
    );
    expect(appointment.rows[0]).toMatchObject({
      status: 'confirmed',
      users: ['YlWd2wuCAZQzh2cH1fVZ', '9NkT25Vor1v4aQatFsv2'],
      start_time: new Date('2023-09-25T10:30:00.000Z'),
    });
    expect(Number(appointment.rows[0]?._version)).toBe(Date.parse('2023-09-25T16:00:00+05:30'));
    const task = await db.query<Record<string, unknown>>('select completed, due_date from ghl_tasks');
    expect(task.rows[0]).toMatchObject({ completed: true, due_date: new Date('2021-12-22T06:55:00.000Z') });
    const opportunity = await db.query<Record<string, unknown>>(
      'select monetary_value::float8 as value from ghl_opportunities',
    );
    expect(opportunity.rows[0]).toMatchObject({ value: 40 });
    const note = await db.query<Record<string, unknown>>('select body, _deleted_at from ghl_notes');
    expect(note.rows).toEqual([{ body: null, _deleted_at: expect.any(Date) }]);
  });
});

describe('GHL connector parts', () => {
  it('exposes its id, package, migrations and handlers; API parts only with credentials', () => {
    const receiveOnly = createGhlConnector();
    expect(receiveOnly).toMatchObject({
      specificationVersion: 'v1',
      source: 'ghl',
      packageName: '@act/connector-ghl',
      pollers: [],
      reconcilers: [],
      client: undefined,
    });
    expect(receiveOnly.migrations.map((migration) => migration.name)).toEqual([
      '0001_ghl_mirror',
      '0002_ghl_version_order',
      '0003_ghl_identity',
    ]);
    expect(receiveOnly.webhook.persistFailureStatus).toBe(429);
    expect(receiveOnly.workflowWebhook.persistFailureStatus).toBe(429);
    expect(() => receiveOnly.createWriter({ mirror: { findContact: async () => null } })).toThrow(
      '[@act/connector-ghl] write-back needs API credentials',
    );
    expect(VERSION).toBe(CORE_VERSION);
  });

  it('wires the API client, pollers and reconcilers from a Private Integration Token', () => {
    const connector = createGhlConnector({ accessToken: 'pit-123' });
    expect(connector.client).toBeDefined();
    expect(connector.pollers.map((poller) => poller.stream)).toEqual([
      'contacts',
      'opportunities',
      'pipelines',
      'appointments',
    ]);
    expect(connector.reconcilers.map((reconciler) => reconciler.table)).toEqual([
      'ghl_contacts',
      'ghl_opportunities',
      'ghl_pipelines',
    ]);
    expect(typeof connector.createWriter({ mirror: { findContact: async () => null } }).upsertContact).toBe('function');
    expect(() => createGhlConnector({ accessToken: 'x', oauth: {} as never })).toThrow('not both');
  });
});

describe('health signals', () => {
  it('name the locations whose refresh token was refused, red, with what to do', async () => {
    const credentials = createMemoryCredentialStore();
    const connector = createGhlConnector({ oauth: { clientId: 'c', clientSecret: 's', credentials } });
    await credentials.put('ghl:loc-ok', { refreshToken: 'r1' });
    await credentials.put('ghl:loc-revoked', { refreshToken: 'r0' });
    expect(await connector.healthSignals({})).toEqual([]);
    await credentials.acquireRefreshLease('ghl:loc-revoked', { owner: 'w', leaseMs: 1_000 });
    await credentials.releaseRefreshLease('ghl:loc-revoked', { owner: 'w', invalidReason: 'invalid_grant' });
    const signals = await connector.healthSignals({});
    expect(signals).toEqual([
      expect.objectContaining({ source: 'ghl', tenant: 'loc-revoked', status: 'red', code: 'reconnect_required' }),
    ]);
    expect(signals[0]?.message).toContain('reconnect GoHighLevel for location loc-revoked: invalid_grant');
  });
});

describe('without API credentials (issue 11, finding 10)', () => {
  const variables = 'GHL_ACCESS_TOKEN (settings.accessToken), or GHL_CLIENT_ID and GHL_CLIENT_SECRET (settings.oauth)';

  it('warns once at creation, naming the variables, and reports amber api_credentials_missing', async () => {
    const warnings: { fields: Record<string, unknown>; message?: string }[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn: (fields, message) => void warnings.push({ fields, ...(message ? { message } : {}) }),
      error() {},
    };
    const connector = createGhlConnector(loadGhlSettings({}, { logger }));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain(`[@act/connector-ghl] no API credentials (set ${variables})`);
    expect(connector.missingApiCredentials).toBe(variables);
    expect(await connector.healthSignals({})).toEqual([
      {
        source: 'ghl',
        tenant: 'app',
        status: 'amber',
        code: 'api_credentials_missing',
        message: expect.stringContaining(`no GoHighLevel API credentials: set ${variables}`),
      },
    ]);
    const withToken = createGhlConnector({ accessToken: 'pit-123', logger });
    expect(warnings).toHaveLength(1);
    expect(withToken.missingApiCredentials).toBeUndefined();
    expect(await withToken.healthSignals({})).toEqual([]);
  });

  it('makes runPoller and runReconciliation throw a ConfigurationError naming the variables, not resolve empty', async () => {
    const connector = createGhlConnector({ logger: noLogger });
    const run = { connector, tenant: TEST_LOCATION, store: createMemoryStateStore(), sink: createMemorySink() };
    await expect(runPoller(run)).rejects.toThrow(
      `[@act/core] runPoller: the ghl connector was created without API credentials, so it has no pollers: set ${variables}`,
    );
    await expect(runReconciliation(run)).rejects.toThrow(
      `[@act/core] runReconciliation: the ghl connector was created without API credentials, so it has no reconcilers: set ${variables}`,
    );
  });
});

const noLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
