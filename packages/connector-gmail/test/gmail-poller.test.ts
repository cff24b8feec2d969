import { CursorExpiredError, createMemorySink, createMemoryStateStore, type PollPageV1 } from '@act/core';
import { syncStream } from '@act/core/internal';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGmailConnector } from '../src/gmail-connector';
import type { GmailSourceEvent } from '../src/gmail-events';
import { messageEvent } from '../src/gmail-poller';
import {
  fixtures,
  JSON_HEADERS,
  MAILBOX,
  message,
  ORIGIN,
  serveFullSync,
  serveHistory,
  serveMessage,
  serveMessageListing,
  TOKEN,
  USER,
} from './helpers/gmail-api';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const connector = createGmailConnector({ accessToken: TOKEN, retry: { maxAttempts: 1 }, fetchConcurrency: 2 });
const [poller] = connector.pollers;
if (!poller) throw new Error('the connector has API credentials: it has a poller');

async function pages(cursor: string | null): Promise<PollPageV1<GmailSourceEvent>[]> {
  const result: PollPageV1<GmailSourceEvent>[] = [];
  for await (const page of poller?.poll({ tenant: MAILBOX, cursor }) ?? []) result.push(page);
  return result;
}
const summary = (page: PollPageV1<GmailSourceEvent>) => ({
  cursor: JSON.parse(page.cursor),
  events: page.events.map((event) => [event.type, event.entityId, event.version]),
});

describe('the history poller', () => {
  it('is the `history` stream the push asks to sync, polled every 10 minutes as the safety net [G3]', () => {
    expect(poller).toMatchObject({ stream: 'history', intervalMs: 600_000, fallback: false });
  });

  it('full sync from no cursor: getProfile first, each listing page resumable, then history from the profile’s id', async () => {
    const order: string[] = [];
    nock(ORIGIN)
      .get(`${USER}/profile`)
      .reply(() => {
        order.push('profile');
        return [200, fixtures.profile, JSON_HEADERS];
      });
    nock(ORIGIN)
      .get(`${USER}/messages`)
      .query({ maxResults: '100', includeSpamTrash: 'true' })
      .reply(() => {
        order.push('list');
        return [200, fixtures.messagesPage1, JSON_HEADERS];
      });
    nock(ORIGIN)
      .get(`${USER}/messages`)
      .query({ maxResults: '100', includeSpamTrash: 'true', pageToken: '09876543210987654321' })
      .reply(200, fixtures.messagesPage2, JSON_HEADERS);
    serveMessage('18c1a2b3c4d5e6f7', message(fixtures.messageMetadata));
    serveMessage('18c1a2b3c4d5e6f8', message(fixtures.messageFull, { historyId: '999' }));
    // Deleted between the listing and its get: skipped (the history since 1000 reports it).
    serveMessage('18c1a2b3c4d5e6f9', 404);
    serveHistory('1000', fixtures.historyEmpty);

    expect((await pages(null)).map(summary)).toEqual([
      {
        cursor: { phase: 'full', start: '1000', pageToken: '09876543210987654321' },
        events: [
          ['message.listed', '18c1a2b3c4d5e6f7', 998],
          ['message.listed', '18c1a2b3c4d5e6f8', 999],
        ],
      },
      { cursor: { historyId: '1000' }, events: [] },
      { cursor: { historyId: '1010' }, events: [] },
    ]);
    expect(order).toEqual(['profile', 'list']);
  });

  it('resumes a full sync at its saved page, with the saved start', async () => {
    nock(ORIGIN)
      .get(`${USER}/messages`)
      .query({ maxResults: '100', includeSpamTrash: 'true', pageToken: 'tok-2' })
      .reply(200, fixtures.messagesPage2, JSON_HEADERS);
    serveMessage('18c1a2b3c4d5e6f9', message(fixtures.messageMetadata, { id: '18c1a2b3c4d5e6f9', historyId: '990' }));
    serveHistory('1000', fixtures.historyEmpty);
    const result = await pages(JSON.stringify({ phase: 'full', start: '1000', pageToken: 'tok-2' }));
    expect(result.map(summary)).toEqual([
      { cursor: { historyId: '1000' }, events: [['message.listed', '18c1a2b3c4d5e6f9', 990]] },
      { cursor: { historyId: '1010' }, events: [] },
    ]);
  });

  it('incremental: history pages from the STORED id, fetched messages, tombstones, the last page’s historyId as cursor [G4]', async () => {
    serveHistory('1000', fixtures.historyPage1);
    serveHistory('1000', fixtures.historyPage2, 'page-2-token');
    serveMessage('18c1a2b3c4d5e6f8', message(fixtures.messageFull));
    serveMessage('18c1a2b3c4d5e6f7', message(fixtures.messageMetadata, { historyId: '1003', labelIds: ['INBOX'] }));
    expect((await pages(JSON.stringify({ historyId: '1000' }))).map(summary)).toEqual([
      {
        cursor: { historyId: '1000', pageToken: 'page-2-token' },
        events: [
          ['message.added', '18c1a2b3c4d5e6f8', 1004],
          ['message.labels_changed', '18c1a2b3c4d5e6f7', 1003],
        ],
      },
      { cursor: { historyId: '1010' }, events: [['message.deleted', '18c1a2b3c4d5e6f9', 1005]] },
    ]);
  });

  it('resumes an incremental listing at its saved page token', async () => {
    serveHistory('1000', fixtures.historyPage2, 'page-2-token');
    const result = await pages(JSON.stringify({ historyId: '1000', pageToken: 'page-2-token' }));
    expect(result.map(summary)).toEqual([
      { cursor: { historyId: '1010' }, events: [['message.deleted', '18c1a2b3c4d5e6f9', 1005]] },
    ]);
  });

  it('reads a page without `history` as no changes, moving the cursor to its historyId', async () => {
    serveHistory('1010', fixtures.historyEmpty);
    expect((await pages(JSON.stringify({ historyId: '1010' }))).map(summary)).toEqual([
      { cursor: { historyId: '1010' }, events: [] },
    ]);
  });

  it('writes nothing for a message Gmail answers 404 for (its own messagesDeleted record tombstones it)', async () => {
    serveHistory('1000', JSON.stringify({ ...JSON.parse(fixtures.historyPage1), nextPageToken: undefined }));
    serveMessage('18c1a2b3c4d5e6f8', 404);
    serveMessage('18c1a2b3c4d5e6f7', message(fixtures.messageMetadata, { historyId: '1003' }));
    const [page] = await pages(JSON.stringify({ historyId: '1000' }));
    expect(page?.events.map((event) => [event.type, event.entityId, event.version])).toEqual([
      ['message.labels_changed', '18c1a2b3c4d5e6f7', 1003],
    ]);
  });

  it('throws CursorExpiredError for the `history` stream when Gmail no longer has the start id (404) [G4]', async () => {
    serveHistory('10', 404);
    const error = await pages(JSON.stringify({ historyId: '10' })).catch((caught: unknown) => caught);
    expect(CursorExpiredError.isInstance(error)).toBe(true);
    expect((error as CursorExpiredError).stream).toBe('history');
  });

  it('refuses a saved cursor that is not a Gmail history cursor', async () => {
    await expect(pages('{"page":3}')).rejects.toThrow(
      /saved cursor for stream "history" is not a Gmail history cursor/,
    );
  });
});

describe('an expired cursor through syncStream', () => {
  it('resyncs from scratch, then the reconciler deletes what disappeared meanwhile', async () => {
    const store = createMemoryStateStore();
    const sink = createMemorySink();
    const key = { source: 'gmail', tenant: MAILBOX, stream: 'history' };
    await store.setCursor({ ...key, cursor: JSON.stringify({ historyId: '500' }) });
    // A message mirrored long ago, deleted while the cursor was stale.
    const transformer = connector.transformer;
    await sink.apply(
      await transformer.transform(
        messageEvent(
          MAILBOX,
          'message.added',
          message(fixtures.messageMetadata, { id: 'gone', historyId: '400' }) as never,
        ),
        { fieldPolicies: transformer.fieldPolicies ?? {} },
      ),
    );

    serveHistory('500', 404);
    serveFullSync();
    serveHistory('1000', fixtures.historyEmpty);
    // The reconciler's listing: ids only; every listed message is mirrored by then, so nothing is fetched.
    serveMessageListing();

    const result = await syncStream({ connector, poller: poller as never, tenant: MAILBOX, store, sink });
    expect(result).toMatchObject({ cursorExpired: true, created: 3, deleted: 1 });
    expect(result.reconciliations).toEqual([
      expect.objectContaining({ table: 'gmail_messages', listed: 3, deleted: 1 }),
    ]);
    expect(JSON.parse((await store.getCursor(key)) ?? 'null')).toEqual({ historyId: '1010' });
    const rows = sink.rows('gmail_messages');
    expect(
      rows
        .filter((row) => !row.deletedAt)
        .map((row) => row.key.id)
        .sort(),
    ).toEqual(['18c1a2b3c4d5e6f7', '18c1a2b3c4d5e6f8', '18c1a2b3c4d5e6f9']);
    expect(rows.some((row) => row.key.id === 'gone' && !row.deletedAt)).toBe(false);
    expect(nock.pendingMocks()).toEqual([]);
  });
});
