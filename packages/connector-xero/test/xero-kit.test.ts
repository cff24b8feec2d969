import { testConnector, testReconciler } from '@act/connector-kit/testing';
import { ACT_MIGRATIONS } from '@act/sink-supabase';
import nock from 'nock';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createXeroConnector } from '../src/xero-connector';
import type { XeroMirroredEntity } from '../src/xero-events';
import { xeroRecordToEvent } from '../src/xero-poller';
import { API, API_PATH, type ApiFixture, fixtureRecords, msJson, TENANT } from './helpers/xero-client-kit';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const connector = createXeroConnector({
  webhook: { keys: ['test_key'] },
  accessToken: 'token',
  api: { retry: { maxAttempts: 1 } },
  transforms: { projectCode: { pattern: /\bPRJ-(\d+)\b/, lineItems: true }, contactMatching: true },
});

const listings: [XeroMirroredEntity, ApiFixture, string][] = [
  ['contact', 'api-contacts.1.json', 'Contacts'],
  ['invoice', 'api-invoices.1.json', 'Invoices'],
  ['credit_note', 'api-credit-notes.1.json', 'CreditNotes'],
  ['payment', 'api-payments.1.json', 'Payments'],
  ['bank_transaction', 'api-bank-transactions.1.json', 'BankTransactions'],
];
const events = listings.flatMap(([entity, fixture, collection]) =>
  fixtureRecords(fixture, collection).map((record) => xeroRecordToEvent(TENANT, entity, record)),
);

// The sink's migrations first: the connector's register its contacts for identity matching (act_identity_register).
testConnector(connector, { events, prerequisites: ACT_MIGRATIONS });

const payments = fixtureRecords('api-payments.1.json', 'Payments');
const reconciler = connector.reconcilers.find((candidate) => candidate.table === 'xero_payments');
if (!reconciler) throw new Error('no xero_payments reconciler');
const first = payments[0] as Record<string, unknown>;
testReconciler({
  connector,
  reconciler,
  tenant: TENANT,
  serve: () => {
    nock.cleanAll();
    nock(API)
      .get(`${API_PATH}/Payments`)
      .query(true)
      .reply(200, {
        Payments: payments,
        pagination: { page: 1, pageSize: 100, pageCount: 1, itemCount: payments.length },
      });
  },
  // The first payment at an older version, and one Xero no longer has.
  mirror: [
    xeroRecordToEvent(TENANT, 'payment', { ...first, UpdatedDateUTC: msJson(1_500_000_000_000) }),
    xeroRecordToEvent(TENANT, 'payment', {
      ...first,
      PaymentID: '0c2c6e1c-2d0b-4a7a-9f0e-6a5e2b1c0d99',
      UpdatedDateUTC: msJson(1_500_000_000_000),
    }),
  ],
  expected: { listed: payments.length, missing: payments.length - 1, stale: 1, deleted: 1 },
});
