import { createMemorySink, createMemoryStateStore, runPoller, type SinkV1, StoreUnavailableError } from '@act/core';
import { testPoller } from '@act/core/testing';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGmailConnector } from '../src/gmail-connector';
import { fixtures, TEST_ACCOUNT, TEST_BASE_URL, TEST_SECRET, TEST_TOKEN } from './helpers/gmail-fixtures';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const recordsPath = `/v1/accounts/${TEST_ACCOUNT}/records`;
const json = { 'content-type': 'application/json' };

/** The simulated listing: page 1 (two records) → page 2 (one record, last). */
function listing(query: Record<string, string> = {}) {
  return {
    page1: nock(TEST_BASE_URL)
      .get(recordsPath)
      .query({ limit: '100', ...query })
      .reply(200, fixtures.listRecordsPage1, json),
    page2: nock(TEST_BASE_URL)
      .get(recordsPath)
      .query({ limit: '100', ...query, cursor: 'cur_page_2' })
      .reply(200, fixtures.listRecordsPage2, json),
  };
}

const connector = () =>
  createGmailConnector({ webhookSecrets: [TEST_SECRET], apiToken: TEST_TOKEN, retry: { baseDelayMs: 1 } });

testPoller({
  create: () => {
    nock.cleanAll();
    listing();
    const gmail = connector();
    return { connector: gmail, poller: gmail.pollers[0] };
  },
  tenant: TEST_ACCOUNT,
  expectedEvents: 3,
});

describe('Gmail poller specifics', () => {
  it('streams: the next page is fetched only when the runtime asks for it', async () => {
    const { page2 } = listing();
    const pages = connector().pollers[0].poll({ tenant: TEST_ACCOUNT, cursor: null })[Symbol.asyncIterator]();
    const first = await pages.next();
    expect(first.done).toBe(false);
    expect(page2.isDone()).toBe(false);
    await pages.next();
    expect(page2.isDone()).toBe(true);
    expect((await pages.next()).done).toBe(true);
  });

  it('saves { updatedSince, page, newest } cursors, and a finished listing turns into incremental polls', async () => {
    listing();
    const cursors: string[] = [];
    for await (const page of connector().pollers[0].poll({ tenant: TEST_ACCOUNT, cursor: null }))
      cursors.push(page.cursor);
    expect(cursors.map((cursor) => JSON.parse(cursor))).toEqual([
      { updatedSince: null, page: 'cur_page_2', newest: '2026-01-11T08:00:00.000Z' },
      { updatedSince: '2026-01-12T08:00:00.000Z', page: null, newest: null },
    ]);

    const incremental = nock(TEST_BASE_URL)
      .get(recordsPath)
      .query({ limit: '100', updated_since: '2026-01-12T08:00:00.000Z' })
      .reply(200, { records: [], next_cursor: null });
    const next = [];
    for await (const page of connector().pollers[0].poll({ tenant: TEST_ACCOUNT, cursor: cursors[1] ?? null }))
      next.push(page);
    expect(incremental.isDone()).toBe(true);
    expect(next).toEqual([{ events: [], cursor: cursors[1] }]);
  });

  it('advances the cursor only after a page is written: a failed write re-reads that page next time', async () => {
    const gmail = connector();
    const store = createMemoryStateStore();
    const memory = createMemorySink();
    let writes = 0;
    const failsOnSecondPage: SinkV1 = {
      ...memory,
      apply: async (operations, options) => {
        writes += 1;
        if (writes === 2)
          throw new StoreUnavailableError({ packageName: '@act/test-sink', message: 'connection reset' });
        return memory.apply(operations, options);
      },
    };
    const key = { source: 'gmail', tenant: TEST_ACCOUNT, stream: 'records' };

    listing();
    await expect(
      runPoller({ connector: gmail, tenant: TEST_ACCOUNT, store, sink: failsOnSecondPage }),
    ).rejects.toThrow('connection reset');
    expect(JSON.parse((await store.getCursor(key)) ?? 'null')).toMatchObject({ page: 'cur_page_2' });
    expect(memory.rows('gmail_records').map((row) => row.key.id)).toEqual(['rec_1Aa', 'rec_2Bb']);

    const { page1, page2 } = listing();
    const resumed = await runPoller({ connector: gmail, tenant: TEST_ACCOUNT, store, sink: memory });
    expect(page1.isDone()).toBe(false);
    expect(page2.isDone()).toBe(true);
    expect(resumed).toMatchObject({ pages: 1, created: 1 });
    expect(memory.rows('gmail_records').map((row) => row.values.email)).toEqual([
      'grace@example.com',
      null,
      'katherine@example.com',
    ]);
  });

  it('refuses a cursor it did not write, saying how to recover', async () => {
    const pages = connector().pollers[0].poll({ tenant: TEST_ACCOUNT, cursor: 'page=2' });
    await expect(pages[Symbol.asyncIterator]().next()).rejects.toThrow(
      '[@act/connector-gmail] saved cursor for stream "records" is not a Gmail cursor: page=2 (delete it to backfill again)',
    );
  });
});
