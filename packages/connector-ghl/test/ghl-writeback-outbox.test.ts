// The ghl:contacts outbox destination against the mirror in Postgres (PGlite
// always, real Postgres with DATABASE_URL): a change the mirror has overtaken
// is refused without a request, a newer one is sent once, a malformed message
// is a validation error (dead letter).
import { readFileSync } from 'node:fs';
import { createAct, type OutboxMessageV1 } from '@act/core';
import { createPostgresState, type PgPoolLike, type PostgresState } from '@act/sink-supabase';
import { PGlite } from '@electric-sql/pglite';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGhlConnector, type GhlConnector } from '../src/ghl-connector';
import { ghlContactToEvent } from '../src/ghl-poller';
import type { GhlContactChange } from '../src/ghl-writeback';
import { enqueueGhlContactChange, GHL_CONTACTS_DESTINATION, ghlSinkContactMirror } from '../src/ghl-writeback-outbox';
import { BASE_URL, LOCATION, PIT } from './helpers/ghl-fake-api';

const DATABASE_URL = process.env.DATABASE_URL;

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

/** Upsert bodies GHL received. */
let sent: Record<string, unknown>[] = [];
beforeAll(() => nock.disableNetConnect());
beforeEach(() => {
  sent = [];
  nock(BASE_URL)
    .persist()
    .post('/contacts/upsert')
    .reply(async (request: Request) => {
      const body = JSON.parse(await request.text()) as Record<string, unknown>;
      sent.push(body);
      // The documented example answer (`upsert-contact`), as the existing contact.
      const example = fixture('api-contact-upsert.1.json') as { contact: Record<string, unknown> };
      return [200, { new: false, contact: { ...example.contact, id: 'ghl-c1' } }];
    });
});
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const fieldPolicies = { ghl_contacts: { blocked: ['date_of_birth'] } };
const existing = {
  id: 'ghl-c1',
  firstName: 'Aroha',
  lastName: 'Ngata',
  email: 'aroha@example.com',
  phone: '+14155550123',
  tags: ['storyteller'],
  dateUpdated: '2026-03-01T10:00:00.000Z',
};
const mirroredAt = Date.parse(existing.dateUpdated);

interface Target {
  state: PostgresState;
  destroy(): Promise<void>;
}

let pglite: Promise<PGlite> | undefined;
afterAll(async () => {
  if (pglite) await (await pglite).close();
});
const schemaName = () => `ghl_wb_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;

const TARGETS: { name: string; create: () => Promise<Target> }[] = [
  {
    name: 'PGlite',
    async create() {
      pglite ??= PGlite.create();
      const db = await pglite;
      const schema = schemaName();
      const state = createPostgresState({ pglite: db }, { schema });
      return {
        state,
        async destroy() {
          await state.close();
          await db.query(`drop schema if exists "${schema}" cascade`);
        },
      };
    },
  },
  ...(DATABASE_URL
    ? [
        {
          name: 'Postgres',
          async create(): Promise<Target> {
            const schema = schemaName();
            const state = createPostgresState({ connectionString: DATABASE_URL }, { schema });
            return {
              state,
              async destroy() {
                await state.close();
                // pg is loaded by name, as @act/sink-supabase loads it (this package has no types for it).
                const specifier: string = 'pg';
                const pg = (await import(specifier)) as {
                  default: { Pool: new (config: { connectionString: string; max: number }) => PgPoolLike };
                };
                const pool = new pg.default.Pool({ connectionString: DATABASE_URL as string, max: 1 });
                await pool.query(`drop schema if exists "${schema}" cascade`);
                await pool.end();
              },
            };
          },
        },
      ]
    : []),
];

const connectorFor = (state: PostgresState): GhlConnector =>
  createGhlConnector({
    accessToken: PIT,
    defaultPhoneCountry: 'US',
    fieldPolicies,
    api: { retry: { baseDelayMs: 1 } },
    writeBack: { sink: state.sink },
  });

async function seedMirror(ghl: GhlConnector, state: PostgresState, record: Record<string, unknown>) {
  const operations = await ghl.transformer.transform(ghlContactToEvent(LOCATION, record as never), {});
  await state.sink.apply(operations);
}

let counter = 0;
function message(payload: unknown): OutboxMessageV1 {
  counter += 1;
  return {
    id: `m-${counter}`,
    destination: GHL_CONTACTS_DESTINATION,
    key: `k-${counter}`,
    tenant: LOCATION,
    payload,
    status: 'processing',
    attempts: 1,
    createdAt: new Date(),
    availableAt: new Date(),
  };
}

describe.each(TARGETS)('ghl:contacts destination on $name', ({ create }) => {
  let target: Target;
  let ghl: GhlConnector;
  beforeEach(async () => {
    target = await create();
    ghl = connectorFor(target.state);
    await target.state.migrate({ connectors: [ghl] });
    await seedMirror(ghl, target.state, existing);
  }, 60_000);
  afterEach(async () => target.destroy());

  const destination = () => {
    const found = ghl.destinations?.find((candidate) => candidate.name === GHL_CONTACTS_DESTINATION);
    if (!found) throw new Error('the connector declares no ghl:contacts destination');
    return found;
  };

  it('reads the mirror row by id, email or phone, with its version', async () => {
    const mirror = ghlSinkContactMirror(target.state.sink);
    for (const key of [{ id: 'ghl-c1' }, { email: 'aroha@example.com' }, { phone: '+14155550123' }]) {
      const row = await mirror.findContact(LOCATION, key);
      expect(row).toMatchObject({ id: 'ghl-c1', version: mirroredAt, deleted: false });
      expect(row?.fields).toMatchObject({ firstName: 'Aroha', email: 'aroha@example.com', tags: ['storyteller'] });
    }
    expect(await mirror.findContact(LOCATION, { email: 'nobody@example.com' })).toBeNull();
    expect(await mirror.findContact('other-location', { id: 'ghl-c1' })).toBeNull();
  });

  it('refuses a change older than the mirror row: skipped as stale, nothing sent to GHL', async () => {
    const stale: GhlContactChange = {
      changedAt: mirroredAt - 60_000,
      contactId: 'ghl-c1',
      fields: { email: 'aroha@example.com', firstName: 'Old name' },
    };
    const result = await destination().deliver(message({ tenant: LOCATION, change: stale }), { attempt: 1 });
    expect(result).toEqual({ outcome: 'skipped', contactId: 'ghl-c1', reason: 'stale' });
    // Same time as the mirror: GHL's copy wins too.
    const same = { ...stale, changedAt: mirroredAt };
    expect(await destination().deliver(message({ tenant: LOCATION, change: same }), { attempt: 1 })).toMatchObject({
      reason: 'stale',
    });
    expect(sent).toEqual([]);
  });

  it('sends a newer change once, without blocked fields; again once GHL has it, nothing is sent', async () => {
    const change: GhlContactChange = {
      changedAt: mirroredAt + 60_000,
      fields: { email: 'Aroha@Example.com', firstName: 'Aroha Mere', dateOfBirth: '1961-04-12' },
    };
    const result = await destination().deliver(message({ tenant: LOCATION, change }), { attempt: 1 });
    expect(result).toEqual({ outcome: 'updated', contactId: 'ghl-c1' });
    expect(sent).toEqual([{ locationId: LOCATION, firstName: 'Aroha Mere', email: 'Aroha@Example.com' }]);

    // GHL's ContactUpdate webhook for that write reaches the mirror: a retried message is now stale.
    await seedMirror(ghl, target.state, {
      ...existing,
      firstName: 'Aroha Mere',
      dateUpdated: new Date(mirroredAt + 61_000).toISOString(),
    });
    const retried = await destination().deliver(message({ tenant: LOCATION, change }), { attempt: 2 });
    expect(retried).toEqual({ outcome: 'skipped', contactId: 'ghl-c1', reason: 'stale' });
    expect(sent).toHaveLength(1);
  });

  it('end to end through the outbox: a stale change is refused and never reaches GHL, a newer one is sent once', async () => {
    const act = createAct({ state: target.state, connectors: [ghl] });
    // The database's outbox (act_outbox), not an in-memory one.
    expect(act.outbox.store).toBe(target.state.outbox);
    const stale: GhlContactChange = {
      changedAt: mirroredAt - 1,
      contactId: 'ghl-c1',
      fields: { email: 'aroha@example.com', lastName: 'Overwritten' },
    };
    const newer: GhlContactChange = {
      changedAt: mirroredAt + 1,
      contactId: 'ghl-c1',
      fields: { email: 'aroha@example.com', tags: ['storyteller', 'elder'], dateOfBirth: '1961-04-12' },
    };
    const first = await enqueueGhlContactChange(act, LOCATION, stale);
    const second = await enqueueGhlContactChange(act, LOCATION, newer);
    // The same change enqueued again (a retried request in the app) is the same message.
    expect(await enqueueGhlContactChange(act, LOCATION, newer)).toEqual({ id: second.id, duplicate: true });
    // A message no schema accepts goes in through the app's own enqueue, and out to the dead letters.
    const [broken] = await act.outbox.enqueue([
      { destination: GHL_CONTACTS_DESTINATION, key: 'broken', tenant: LOCATION, payload: { tenant: LOCATION } },
    ]);

    // The blocked field never reaches the outbox table either.
    expect((await act.outbox.store.get(second.id))?.payload).toEqual({
      tenant: LOCATION,
      change: { ...newer, fields: { email: 'aroha@example.com', tags: ['storyteller', 'elder'] } },
    });

    await act.outbox.drain();

    expect(await act.outbox.store.get(first.id)).toMatchObject({
      status: 'done',
      result: { outcome: 'skipped', reason: 'stale', contactId: 'ghl-c1' },
    });
    expect(await act.outbox.store.get(second.id)).toMatchObject({
      status: 'done',
      result: { outcome: 'updated', contactId: 'ghl-c1' },
    });
    const dead = await act.outbox.store.get(broken?.id ?? '');
    expect(dead).toMatchObject({ status: 'dead', lastErrorClass: 'validation', attempts: 1 });
    expect(dead?.lastError).toContain('[@act/connector-ghl] ghl:contacts message is not { tenant, change }');
    // One request: the newer change, without the blocked field, with only what differs and the natural key.
    expect(sent).toEqual([{ locationId: LOCATION, email: 'aroha@example.com', tags: ['storyteller', 'elder'] }]);
  });

  it('dead-letters a malformed message: a validation error naming the package', async () => {
    for (const payload of [
      { tenant: LOCATION },
      { tenant: LOCATION, change: { fields: {}, changedAt: 'yesterday' } },
      { tenant: '', change: { fields: {}, changedAt: 1 } },
      'not an object',
    ]) {
      const failure = await destination()
        .deliver(message(payload), { attempt: 1 })
        .then(
          () => null,
          (error: unknown) => error as { errorClass?: string; message: string },
        );
      expect(failure?.errorClass).toBe('validation');
      expect(failure?.message).toMatch(/^\[@act\/connector-ghl\] ghl:contacts message is not \{ tenant, change \}/);
    }
    expect(sent).toEqual([]);
  });
});

describe('ghl:contacts configuration', () => {
  it('is declared only with writeBack, and needs API credentials', () => {
    const state = createPostgresState({ pglite: {} });
    expect(createGhlConnector({ accessToken: PIT }).destinations).toBeUndefined();
    expect(
      createGhlConnector({ accessToken: PIT, writeBack: { sink: state.sink } }).destinations?.map((d) => d.name),
    ).toEqual(['ghl:contacts']);
    expect(() => createGhlConnector({ writeBack: { sink: state.sink } })).toThrow(/write-back needs API credentials/);
  });

  it('refuses to enqueue without the destination, and a malformed change before it is stored', async () => {
    const state = createPostgresState({ pglite: {} });
    const without = createAct({ state: { store: state.store, sink: state.sink }, connectors: [] });
    await expect(
      enqueueGhlContactChange(without, LOCATION, { fields: { email: 'a@example.com' }, changedAt: 1 }),
    ).rejects.toThrow(/no ghl:contacts outbox destination: create the connector with writeBack/);
    const act = createAct({
      state: { store: state.store, sink: state.sink },
      connectors: [createGhlConnector({ accessToken: PIT, writeBack: { sink: state.sink } })],
    });
    await expect(
      enqueueGhlContactChange(act, LOCATION, { fields: { email: 'a@example.com' }, changedAt: Number.NaN }),
    ).rejects.toMatchObject({ errorClass: 'validation' });
    expect(await act.outbox.store.list()).toEqual([]);
  });
});
