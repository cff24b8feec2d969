import { testConnector, testReconciler } from '@act/connector-kit/testing';
import nock from 'nock';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createGmailConnector } from '../src/gmail-connector';
import type { GmailSourceEvent } from '../src/gmail-events';
import { gmailRecordToEvent } from '../src/gmail-poller';
import { parseGmailDelivery } from '../src/gmail-webhook';
import { fixtures, TEST_ACCOUNT, TEST_BASE_URL, TEST_SECRET, TEST_TOKEN } from './helpers/gmail-fixtures';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const connector = createGmailConnector({
  webhookSecrets: [TEST_SECRET],
  apiToken: TEST_TOKEN,
  retry: { baseDelayMs: 1 },
});
const encoder = new TextEncoder();
const events = [fixtures.recordCreated, fixtures.recordUpdated, fixtures.recordDeleted].flatMap(
  (body) => parseGmailDelivery({ body: encoder.encode(body) }).events as GmailSourceEvent[],
);

testConnector(connector, { events });

/** The listing: page 1 (two records) → page 2 (one record, last). */
function serve() {
  const path = `/v1/accounts/${TEST_ACCOUNT}/records`;
  const json = { 'content-type': 'application/json' };
  nock(TEST_BASE_URL).get(path).query({ limit: '100' }).reply(200, fixtures.listRecordsPage1, json);
  nock(TEST_BASE_URL)
    .get(path)
    .query({ limit: '100', cursor: 'cur_page_2' })
    .reply(200, fixtures.listRecordsPage2, json);
}

const [listed] = JSON.parse(fixtures.listRecordsPage1).records;
testReconciler({
  connector,
  reconciler: connector.reconcilers[0],
  tenant: TEST_ACCOUNT,
  serve,
  // The first listed record at an older version, and one the provider no longer has.
  mirror: [
    gmailRecordToEvent(TEST_ACCOUNT, { ...listed, name: 'old', updated_at: '2025-01-01T00:00:00.000Z' }),
    gmailRecordToEvent(TEST_ACCOUNT, { id: 'rec_gone', updated_at: '2025-01-01T00:00:00.000Z' }),
  ],
  expected: { listed: 3, missing: 2, stale: 1, deleted: 1 },
});
