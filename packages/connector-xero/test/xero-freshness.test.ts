// Xero sends no webhooks for payments and bank transactions: those streams are
// kept fresh by the scheduler's polls alone, so their freshness is graded by
// the last successful poll (a quiet inbox says nothing about them).
import { createAct, createMemorySink, createMemoryStateStore, createMemorySyncStore } from '@act/core';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createXeroConnector } from '../src/index';
import { API, API_PATH, apiFixture, TENANT } from './helpers/xero-client-kit';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const MINUTE = 60_000;

/** A listing that answers the documented example page, whatever the query (If-Modified-Since, page). */
function serveListing(
  collection: 'Payments' | 'BankTransactions' | 'Contacts' | 'Invoices' | 'CreditNotes',
  fixture:
    | 'api-payments.1.json'
    | 'api-bank-transactions.1.json'
    | 'api-contacts.1.json'
    | 'api-invoices.1.json'
    | 'api-credit-notes.1.json',
) {
  const body = apiFixture(fixture);
  let calls = 0;
  nock(API)
    .get(`${API_PATH}/${collection}`)
    .query(true)
    .reply(200, () => {
      calls += 1;
      return body;
    })
    .persist();
  return () => calls;
}

describe('poll-only Xero streams under the scheduler', () => {
  it('polls payments and bank transactions every 5 minutes and grades them by their last poll', async () => {
    let time = Date.UTC(2026, 2, 2, 9, 0, 0);
    const now = () => new Date(time);
    const payments = serveListing('Payments', 'api-payments.1.json');
    const bankTransactions = serveListing('BankTransactions', 'api-bank-transactions.1.json');
    const contacts = serveListing('Contacts', 'api-contacts.1.json');
    serveListing('Invoices', 'api-invoices.1.json');
    serveListing('CreditNotes', 'api-credit-notes.1.json');
    const act = createAct({
      state: {
        store: createMemoryStateStore({ now }),
        sink: createMemorySink({ now }),
        sync: createMemorySyncStore({ now }),
      },
      connectors: [createXeroConnector({ accessToken: 'token', api: { now, retry: { baseDelayMs: 1 } } })],
      scheduler: { now, circuitBreaker: false },
    });
    await act.scheduler.connect({ source: 'xero', tenant: TENANT, displayName: 'Demo Company (AU)' });

    const first = await act.scheduler.tick();
    expect(first.leader).toBe(true);
    const polled = first.ran.filter((run) => run.kind === 'poll').map((run) => [run.target, run.outcome]);
    // Every stream is backfilled once; the webhook entities' pollers are fallbacks from then on.
    expect(polled.sort()).toEqual([
      ['bank_transactions', 'ok'],
      ['contacts', 'ok'],
      ['credit_notes', 'ok'],
      ['invoices', 'ok'],
      ['payments', 'ok'],
    ]);
    expect(payments()).toBeGreaterThan(0);
    expect(bankTransactions()).toBeGreaterThan(0);

    const polledAt = now();
    const rowsOf = async () =>
      Object.fromEntries(
        (await act.scheduler.status())
          .filter((row) => row.stream === 'payments' || row.stream === 'bank_transactions')
          .map((row) => [row.stream, row]),
      );
    let rows = await rowsOf();
    expect(rows.payments).toMatchObject({ mode: 'webhooks', lastPollAt: polledAt, status: 'green' });
    expect(rows.bank_transactions).toMatchObject({ lastPollAt: polledAt, status: 'green' });

    // Nobody ticks for a while (the cron stopped): the streams go amber, then red.
    time += 10 * MINUTE;
    rows = await rowsOf();
    expect(rows.payments?.status).toBe('amber');
    time += 20 * MINUTE;
    rows = await rowsOf();
    expect(rows.payments?.status).toBe('red');

    // The next tick polls the poll-only streams again (not the backfilled fallbacks:
    // webhooks are expected for them) and those streams are green from that poll.
    const calls = payments();
    const contactCalls = contacts();
    const next = await act.scheduler.tick();
    expect(
      next.ran
        .filter((run) => run.kind === 'poll')
        .map((run) => run.target)
        .sort(),
    ).toEqual(['bank_transactions', 'payments']);
    expect(payments()).toBeGreaterThan(calls);
    expect(contacts()).toBe(contactCalls);
    rows = await rowsOf();
    expect(rows.payments).toMatchObject({ lastPollAt: now(), status: 'green' });
  });
});
