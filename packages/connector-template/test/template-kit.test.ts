import { testConnector, testReconciler } from '@act/connector-kit/testing';
import nock from 'nock';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createTemplateConnector } from '../src/template-connector';
import type { TemplateSourceEvent } from '../src/template-events';
import { templateRecordToEvent } from '../src/template-poller';
import { parseTemplateDelivery } from '../src/template-webhook';
import { fixtures, TEST_ACCOUNT, TEST_BASE_URL, TEST_SECRET, TEST_TOKEN } from './helpers/template-fixtures';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const connector = createTemplateConnector({
  webhookSecrets: [TEST_SECRET],
  apiToken: TEST_TOKEN,
  retry: { baseDelayMs: 1 },
});
const encoder = new TextEncoder();
const events = [fixtures.recordCreated, fixtures.recordUpdated, fixtures.recordDeleted].flatMap(
  (body) => parseTemplateDelivery({ body: encoder.encode(body) }).events as TemplateSourceEvent[],
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
    templateRecordToEvent(TEST_ACCOUNT, { ...listed, name: 'old', updated_at: '2025-01-01T00:00:00.000Z' }),
    templateRecordToEvent(TEST_ACCOUNT, { id: 'rec_gone', updated_at: '2025-01-01T00:00:00.000Z' }),
  ],
  expected: { listed: 3, missing: 2, stale: 1, deleted: 1 },
});
