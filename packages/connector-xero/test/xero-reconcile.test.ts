import {
  type ConnectorV1,
  createMemorySink,
  createMemoryStateStore,
  type ReconcilerV1,
  runReconciliation,
  type SinkV1,
  type StateStoreV1,
} from '@act/core';
import { createPostgresState } from '@act/sink-supabase';
import { PGlite } from '@electric-sql/pglite';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { XERO_MIGRATIONS } from '../src/generated/migrations';
import { createXeroClient } from '../src/xero-client';
import { XERO_PACKAGE_NAME, XERO_SOURCE } from '../src/xero-events';
import { xeroRecordToEvent } from '../src/xero-poller';
import { createXeroReconciler, createXeroReconcilers } from '../src/xero-reconcile';
import { createXeroTransformer } from '../src/xero-transform';
import { API, API_PATH, fixtureRecords, msJson, TENANT } from './helpers/xero-client-kit';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const client = () => createXeroClient({ auth: { type: 'access-token', token: 'token' }, retry: { baseDelayMs: 1 } });

// getInvoices' example [X4]: one VOIDED, one PAID, one AUTHORISED invoice.
const [VOIDED, PAID, AUTHORISED] = fixtureRecords('api-invoices.1.json', 'Invoices') as [
  Record<string, unknown>,
  Record<string, unknown>,
  Record<string, unknown>,
];
const GHOST_ID = '0c2c6e1c-2d0b-4a7a-9f0e-6a5e2b1c0d99';

function connectorFor(reconciler: ReconcilerV1): ConnectorV1 {
  return {
    specificationVersion: 'v1',
    source: XERO_SOURCE,
    packageName: XERO_PACKAGE_NAME,
    transformer: createXeroTransformer() as ConnectorV1['transformer'],
    reconcilers: [reconciler],
    migrations: XERO_MIGRATIONS,
  };
}

interface Mirror {
  sink: SinkV1;
  store: StateStoreV1;
  /** The row's status and version, `deleted` when soft-deleted; `undefined` when absent. */
  row(id: string): Promise<{ status: unknown; version: number | null; deleted: boolean } | undefined>;
  destroy(): Promise<void>;
}

async function memoryMirror(): Promise<Mirror> {
  const sink = createMemorySink();
  return {
    sink,
    store: createMemoryStateStore(),
    async row(id) {
      const row = sink.row('xero_invoices', { tenant_id: TENANT, id });
      if (!row) return undefined;
      return { status: row.values.status, version: row.version ?? null, deleted: Boolean(row.deletedAt || row.purged) };
    },
    async destroy() {},
  };
}

let pglite: Promise<PGlite> | undefined;
afterAll(async () => {
  if (pglite) await (await pglite).close();
});

async function pgliteMirror(connector: ConnectorV1): Promise<Mirror> {
  pglite ??= PGlite.create();
  const db = await pglite;
  const schema = `xero_r_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const state = createPostgresState({ pglite: db }, { schema });
  await state.migrate({ connectors: [connector] });
  return {
    sink: state.sink,
    store: state.store,
    async row(id) {
      const { rows } = await db.query<{ status: unknown; _version: unknown; _deleted_at: unknown }>(
        `select status, _version, _deleted_at from "${schema}".xero_invoices where tenant_id = $1 and id = $2`,
        [TENANT, id],
      );
      const row = rows[0];
      if (!row) return undefined;
      return {
        status: row.status,
        version: row._version === null ? null : Number(row._version),
        deleted: row._deleted_at !== null,
      };
    },
    async destroy() {
      await state.close();
      await db.query(`drop schema if exists "${schema}" cascade`);
    },
  };
}

/** Serve the two default invoice listings: Xero's default one (with archived), then DELETED,VOIDED. */
function serveInvoices(defaultListing: Record<string, unknown>[], deletedOrVoided: Record<string, unknown>[]) {
  const seen: Record<string, string>[] = [];
  nock(API)
    .get(`${API_PATH}/Invoices`)
    .query(true)
    .times(2)
    .reply(200, async (request: Request) => {
      const query = Object.fromEntries(new URL(request.url).searchParams);
      seen.push(query);
      const records = query.Statuses === 'DELETED,VOIDED' ? deletedOrVoided : defaultListing;
      return { Invoices: records, pagination: { page: 1, pageSize: 100, pageCount: 1, itemCount: records.length } };
    });
  return seen;
}

for (const [name, open] of [
  ['the memory sink', () => memoryMirror()],
  ['sink-supabase on PGlite', (connector: ConnectorV1) => pgliteMirror(connector)],
] as const) {
  describe(`Xero reconciliation on ${name}`, () => {
    it('finds a missing, a stale and a gone invoice, and mirrors a voided one as VOIDED', async () => {
      const reconciler = createXeroReconciler({ client: client(), entity: 'invoice' });
      const connector = connectorFor(reconciler as ReconcilerV1);
      const mirror = await open(connector);
      try {
        // The mirror as webhooks left it: PAID at an older version, the VOIDED one
        // still AUTHORISED from before it was voided, and an invoice Xero no longer has.
        const older = (record: Record<string, unknown>, status?: string) => ({
          ...record,
          ...(status ? { Status: status } : {}),
          UpdatedDateUTC: msJson(1_500_000_000_000),
        });
        const ghost = { ...older(AUTHORISED), InvoiceID: GHOST_ID };
        const transformer = createXeroTransformer();
        const seed = await Promise.all(
          [older(PAID), older(VOIDED, 'AUTHORISED'), ghost].map((record) =>
            transformer.transform(xeroRecordToEvent(TENANT, 'invoice', record), {}),
          ),
        );
        await mirror.sink.apply(seed.flat());

        const seen = serveInvoices([PAID, AUTHORISED], [VOIDED]);
        const [report] = await runReconciliation({ connector, tenant: TENANT, store: mirror.store, sink: mirror.sink });
        expect(seen).toEqual([
          { page: '1', pageSize: '100', order: 'UpdatedDateUTC ASC', includeArchived: 'true' },
          { page: '1', pageSize: '100', order: 'UpdatedDateUTC ASC', Statuses: 'DELETED,VOIDED' },
        ]);
        expect(report).toMatchObject({
          table: 'xero_invoices',
          listed: 3,
          missing: 1,
          stale: 2,
          unchanged: 0,
          deleted: 1,
          deletesRefused: 0,
        });
        const voidedId = String(VOIDED.InvoiceID);
        expect(await mirror.row(voidedId)).toEqual({ status: 'VOIDED', version: 1541176290160, deleted: false });
        expect(await mirror.row(String(PAID.InvoiceID))).toMatchObject({ status: 'PAID', version: 1541176592690 });
        expect(await mirror.row(String(AUTHORISED.InvoiceID))).toMatchObject({ status: 'AUTHORISED', deleted: false });
        expect((await mirror.row(GHOST_ID))?.deleted).toBe(true);

        // A second run finds nothing to repair.
        serveInvoices([PAID, AUTHORISED], [VOIDED]);
        const [again] = await runReconciliation({ connector, tenant: TENANT, store: mirror.store, sink: mirror.sink });
        expect(again).toMatchObject({ listed: 3, missing: 0, stale: 0, unchanged: 3, deleted: 0 });
      } finally {
        await mirror.destroy();
      }
    });
  });
}

describe('Xero reconcilers', () => {
  it('key rows as the transformer does: (tenant_id, id), lower case; list contacts with archived ones', async () => {
    const reconcilers = createXeroReconcilers({ client: client() });
    expect(reconcilers.map((reconciler) => reconciler.table)).toEqual([
      'xero_contacts',
      'xero_invoices',
      'xero_credit_notes',
      'xero_payments',
      'xero_bank_transactions',
    ]);
    const contacts = reconcilers[0] as ReconcilerV1;
    expect(contacts.keyColumns).toEqual(['tenant_id', 'id']);
    expect(contacts.scope('FE79F7DD-B6D4-4A92-BA7B-538AF6289C58')).toEqual({ tenant_id: TENANT });
    const records = fixtureRecords('api-contacts.1.json', 'Contacts');
    const seen: Record<string, string>[] = [];
    nock(API)
      .get(`${API_PATH}/Contacts`)
      .query(true)
      .reply(200, async (request: Request) => {
        seen.push(Object.fromEntries(new URL(request.url).searchParams));
        return { Contacts: records, pagination: { page: 1, pageSize: 100, pageCount: 1, itemCount: 2 } };
      });
    const listed = [];
    for await (const page of contacts.list({ tenant: TENANT })) listed.push(...page);
    expect(seen).toEqual([{ page: '1', pageSize: '100', order: 'UpdatedDateUTC ASC', includeArchived: 'true' }]);
    expect(listed.map((event) => contacts.keyOf(event))).toEqual([
      { tenant_id: TENANT, id: '5cc8cf28-567e-4d43-b287-687cfcaec47c' },
      { tenant_id: TENANT, id: '3ec601ad-eddc-4ccb-a8ac-736e88293b1b' },
    ]);
    expect(listed[0]).toMatchObject({ type: 'CONTACT.UPDATE', entity: 'contact', version: 1503348544227 });
  });

  it('an interrupted listing throws, so runReconciliation deletes nothing', async () => {
    const reconciler = createXeroReconciler({ client: client(), entity: 'payment', pageSize: 2 });
    const connector = connectorFor(reconciler as ReconcilerV1);
    const sink = createMemorySink();
    const payments = fixtureRecords('api-payments.1.json', 'Payments');
    const transformer = createXeroTransformer();
    await sink.apply(
      (
        await Promise.all(
          payments.map((record) => transformer.transform(xeroRecordToEvent(TENANT, 'payment', record), {})),
        )
      ).flat(),
    );
    nock(API)
      .get(`${API_PATH}/Payments`)
      .query(true)
      .reply(200, { Payments: [payments[0]], pagination: { page: 1, pageSize: 2, pageCount: 2, itemCount: 3 } })
      .get(`${API_PATH}/Payments`)
      .query(true)
      .reply(400, { ErrorNumber: 16, Type: 'QueryParseException', Message: 'bad order' });
    // One record on a page of two that says more pages follow: the walk goes on, and fails.
    await expect(
      runReconciliation({ connector, tenant: TENANT, store: createMemoryStateStore(), sink }),
    ).rejects.toThrow(/HTTP 400 – QueryParseException: bad order/);
    for (const record of payments) {
      expect(
        sink.row('xero_payments', { tenant_id: TENANT, id: String(record.PaymentID) })?.deletedAt ?? null,
      ).toBeNull();
    }
  });
});
