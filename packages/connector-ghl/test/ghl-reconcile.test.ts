import {
  createMemorySink,
  createMemoryStateStore,
  runPoller,
  runReconciliation,
  type SinkV1,
  type StateStoreV1,
} from '@act/core';
import { createPostgresState } from '@act/sink-supabase';
import { PGlite } from '@electric-sql/pglite';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGhlConnector, type GhlConnector } from '../src/ghl-connector';
import {
  BASE_URL,
  type FakeContact,
  generateContacts,
  generateOpportunities,
  LOCATION,
  PIT,
  serveContactSearch,
  serveOpportunitySearch,
} from './helpers/ghl-fake-api';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const connector = () => createGhlConnector({ accessToken: PIT, api: { retry: { baseDelayMs: 1 } } });
const reconcilerOf = (ghl: GhlConnector, table: string) => {
  const found = ghl.reconcilers.find((candidate) => candidate.table === table);
  if (!found) throw new Error(`no reconciler for ${table}`);
  return found;
};

/** Whether @act/sink-supabase's sink can list its rows yet (SinkV1.scan; another engineer is adding it). */
const postgresSinkScans = typeof createPostgresState({ pglite: {} }).sink.scan === 'function';

interface Mirror {
  sink: SinkV1;
  store: StateStoreV1;
  /** Live (not deleted) row: its first_name and version, or `undefined`. */
  live(table: string, id: string): Promise<{ first_name: unknown; version: number | null } | undefined>;
  destroy(): Promise<void>;
}

async function memoryMirror(): Promise<Mirror> {
  const sink = createMemorySink();
  return {
    sink,
    store: createMemoryStateStore(),
    async live(table, id) {
      const row = sink.row(table, { location_id: LOCATION, id });
      if (!row || row.deletedAt || row.purged) return undefined;
      return { first_name: row.values.first_name, version: row.version ?? null };
    },
    async destroy() {},
  };
}

let pglite: Promise<PGlite> | undefined;
afterAll(async () => {
  if (pglite) await (await pglite).close();
});

async function pgliteMirror(ghl: GhlConnector): Promise<Mirror> {
  pglite ??= PGlite.create();
  const db = await pglite;
  const schema = `ghl_r_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const state = createPostgresState({ pglite: db }, { schema });
  await state.migrate({ connectors: [ghl] });
  return {
    sink: state.sink,
    store: state.store,
    async live(table, id) {
      const { rows } = await db.query<{ first_name: unknown; _version: unknown }>(
        `select ${table === 'ghl_contacts' ? 'first_name' : 'null as first_name'}, _version from "${schema}"."${table}" where location_id = $1 and id = $2 and _deleted_at is null`,
        [LOCATION, id],
      );
      const row = rows[0];
      return row
        ? { first_name: row.first_name, version: row._version === null ? null : Number(row._version) }
        : undefined;
    },
    async destroy() {
      await state.close();
      await db.query(`drop schema if exists "${schema}" cascade`);
    },
  };
}

function reconciliationSuite(name: string, open: (ghl: GhlConnector) => Promise<Mirror>, enabled = true) {
  describe.runIf(enabled)(`contacts reconciliation → ${name}`, () => {
    it('finds an injected missing row, a stale row and a deleted row, and repairs them', async () => {
      const ghl = connector();
      const mirror = await open(ghl);
      try {
        // The mirror starts as a copy of GHL's 30 contacts.
        const contacts: FakeContact[] = generateContacts(30);
        const server = serveContactSearch(contacts);
        const contactsPoller = ghl.pollers.find((poller) => poller.stream === 'contacts');
        if (!contactsPoller) throw new Error('no contacts poller');
        await runPoller({
          connector: ghl,
          poller: contactsPoller,
          tenant: LOCATION,
          store: mirror.store,
          sink: mirror.sink,
        });
        expect(await mirror.live('ghl_contacts', 'c00030')).toBeDefined();

        // Then webhooks are lost (GHL drops them on any non-429 failure):
        // - a contact created at GHL never reaches the mirror (missing);
        const [added] = generateContacts(1, { start: Date.UTC(2026, 3, 1) });
        if (!added) throw new Error('no contact');
        server.contacts.push({ ...added, id: 'c09999', email: 'late@example.com' });
        // - a contact is changed at GHL (stale in the mirror);
        const changed = server.contacts[9] as FakeContact;
        changed.firstName = 'Renamed';
        changed.dateUpdated = new Date(Date.UTC(2026, 3, 2)).toISOString();
        // - a contact is deleted at GHL (still live in the mirror).
        server.contacts.splice(19, 1); // c00020

        server.calls.length = 0;
        const [report] = await runReconciliation({
          connector: ghl,
          reconciler: reconcilerOf(ghl, 'ghl_contacts'),
          tenant: LOCATION,
          store: mirror.store,
          sink: mirror.sink,
        });
        expect(report).toEqual({
          table: 'ghl_contacts',
          tenant: LOCATION,
          listed: 30,
          missing: 1,
          stale: 1,
          drifted: 0,
          unchanged: 28,
          deleted: 1,
          deletesRefused: 0,
        });
        // The listing is in a stable order (dateAdded), not by update time.
        expect(server.calls[0]?.body.sort).toEqual([{ field: 'dateAdded', direction: 'asc' }]);
        expect(await mirror.live('ghl_contacts', 'c09999')).toBeDefined();
        expect(await mirror.live('ghl_contacts', 'c00010')).toEqual({
          first_name: 'Renamed',
          version: Date.UTC(2026, 3, 2),
        });
        expect(await mirror.live('ghl_contacts', 'c00020')).toBeUndefined();
        const events = await mirror.store.listEvents({ source: 'ghl', tenant: LOCATION, limit: 500 });
        const completed = events.find((event) => event.type === 'reconciliation.completed');
        expect(completed).toMatchObject({
          triggeredBy: 'reconciliation',
          table: 'ghl_contacts',
          summary: { listed: 30, missing: 1, stale: 1, deleted: 1 },
        });
      } finally {
        await mirror.destroy();
      }
    }, 30_000);

    it('deletes nothing when the listing fails part-way', async () => {
      const ghl = connector();
      const mirror = await open(ghl);
      try {
        const contacts = generateContacts(250);
        const seeded = serveContactSearch(contacts);
        const contactsPoller = ghl.pollers.find((poller) => poller.stream === 'contacts');
        if (!contactsPoller) throw new Error('no contacts poller');
        await runPoller({
          connector: ghl,
          poller: contactsPoller,
          tenant: LOCATION,
          store: mirror.store,
          sink: mirror.sink,
        });
        nock.cleanAll();
        // GHL now has 200 of the 250 contacts, and fails on the second page of the listing.
        serveContactSearch(seeded.contacts.slice(0, 200), { fail: (call) => (call === 1 ? 400 : undefined) });
        await expect(
          runReconciliation({
            connector: ghl,
            reconciler: reconcilerOf(ghl, 'ghl_contacts'),
            tenant: LOCATION,
            store: mirror.store,
            sink: mirror.sink,
          }),
        ).rejects.toThrow('HTTP 400');
        expect(await mirror.live('ghl_contacts', 'c00250')).toBeDefined();
      } finally {
        await mirror.destroy();
      }
    }, 30_000);
  });
}

reconciliationSuite('memory sink', memoryMirror);
// @act/sink-supabase has no `scan` yet (another engineer is adding it): this runs once it lands.
reconciliationSuite('sink-supabase on PGlite', pgliteMirror, postgresSinkScans);

describe('opportunities and pipelines reconciliation (memory sink)', () => {
  it('lists every status and finds a deleted opportunity and a deleted pipeline', async () => {
    const ghl = connector();
    const sink = createMemorySink();
    const store = createMemoryStateStore();
    const opportunities = generateOpportunities(12);
    serveOpportunitySearch(opportunities);
    nock(BASE_URL)
      .get('/opportunities/pipelines')
      .query({ locationId: LOCATION })
      .reply(200, {
        pipelines: [
          { id: 'p1', name: 'Sales' },
          { id: 'p2', name: 'Retired' },
        ],
      })
      .get('/opportunities/pipelines')
      .query({ locationId: LOCATION })
      .reply(200, { pipelines: [{ id: 'p1', name: 'Sales' }] });
    for (const stream of ['opportunities', 'pipelines']) {
      const poller = ghl.pollers.find((candidate) => candidate.stream === stream);
      if (poller) await runPoller({ connector: ghl, poller, tenant: LOCATION, store, sink });
    }
    expect(sink.rows('ghl_opportunities')).toHaveLength(12);
    expect(new Set(sink.rows('ghl_opportunities').map((row) => row.values.status))).toEqual(
      new Set(['open', 'won', 'lost', 'abandoned']),
    );

    opportunities.splice(3, 1); // o0004 deleted at GHL
    const reports = await runReconciliation({
      connector: ghl,
      reconciler: reconcilerOf(ghl, 'ghl_opportunities'),
      tenant: LOCATION,
      store,
      sink,
    });
    expect(reports[0]).toMatchObject({ listed: 11, missing: 0, stale: 0, deleted: 1 });
    expect(sink.row('ghl_opportunities', { location_id: LOCATION, id: 'o0004' })?.deletedAt).not.toBeNull();

    const [pipelines] = await runReconciliation({
      connector: ghl,
      reconciler: reconcilerOf(ghl, 'ghl_pipelines'),
      tenant: LOCATION,
      store,
      sink,
    });
    expect(pipelines).toMatchObject({ listed: 1, deleted: 1 });
    expect(sink.rows('ghl_pipelines').map((row) => row.key.id)).toEqual(['p1']);
  });

  it('declares the mirror keys: (location_id, id), scoped to the location', () => {
    const ghl = connector();
    expect(ghl.reconcilers.map((reconciler) => reconciler.table)).toEqual([
      'ghl_contacts',
      'ghl_opportunities',
      'ghl_pipelines',
    ]);
    for (const reconciler of ghl.reconcilers) {
      expect(reconciler.keyColumns).toEqual(['location_id', 'id']);
      expect(reconciler.scope(LOCATION)).toEqual({ location_id: LOCATION });
    }
  });
});
