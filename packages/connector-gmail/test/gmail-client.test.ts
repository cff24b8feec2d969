import { ActError } from '@act/core';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGmailClient } from '../src/gmail-client';
import { fixtures, JSON_HEADERS, MAILBOX, ORIGIN, TOKEN, USER } from './helpers/gmail-api';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

/** The query nock parsed (a repeated parameter as an array), as URLSearchParams. */
let captured = new URLSearchParams();
const capture = (query: Record<string, string | string[]>) => {
  captured = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    for (const item of Array.isArray(value) ? value : [value]) captured.append(name, item);
  return true;
};

const client = (settings: Parameters<typeof createGmailClient>[0] = {}) =>
  createGmailClient({ accessToken: TOKEN, retry: { maxAttempts: 3, baseDelayMs: 1 }, ...settings });

describe('Gmail client', () => {
  it('lists history from a start id with every history type as a repeated parameter [G4]', async () => {
    nock(ORIGIN, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .get(`${USER}/history`)
      .query(capture)
      .reply(200, fixtures.historyPage1, JSON_HEADERS);
    const page = await client().listHistory(MAILBOX, { startHistoryId: '1000', labelId: 'INBOX' });
    const params = captured;
    expect(params.get('startHistoryId')).toBe('1000');
    expect(params.get('maxResults')).toBe('100');
    expect(params.get('labelId')).toBe('INBOX');
    expect(params.getAll('historyTypes')).toEqual(['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved']);
    expect(page.nextPageToken).toBe('page-2-token');
    expect(page.historyId).toBe('1010');
    expect(page.history?.map((record) => record.id)).toEqual(['1002', '1003']);
  });

  it('reads a page without `history` as empty, and sends the page token and the configured types', async () => {
    nock(ORIGIN).get(`${USER}/history`).query(capture).reply(200, fixtures.historyEmpty, JSON_HEADERS);
    const page = await client({ historyTypes: ['messageAdded'], pageSize: 500 }).listHistory(MAILBOX, {
      startHistoryId: '1010',
      pageToken: 'abc',
    });
    expect(page.history ?? []).toEqual([]);
    const params = captured;
    expect(params.getAll('historyTypes')).toEqual(['messageAdded']);
    expect(params.get('pageToken')).toBe('abc');
    expect(params.get('maxResults')).toBe('500');
  });

  it('gets a message in the metadata format with each metadata header repeated [G5]', async () => {
    nock(ORIGIN)
      .get(`${USER}/messages/18c1a2b3c4d5e6f7`)
      .query(capture)
      .reply(200, fixtures.messageMetadata, JSON_HEADERS);
    const message = await client().getMessage(MAILBOX, '18c1a2b3c4d5e6f7');
    expect(message?.historyId).toBe('998');
    const params = captured;
    expect(params.get('format')).toBe('metadata');
    expect(params.getAll('metadataHeaders')).toEqual(['From', 'To', 'Cc', 'Subject', 'Date', 'Message-ID']);
  });

  it('asks for no metadata headers with the full format, and answers null for a message gone (404)', async () => {
    nock(ORIGIN).get(`${USER}/messages/gone`).query({ format: 'full' }).reply(404, fixtures.notFound, JSON_HEADERS);
    expect(await client({ messageFormat: 'full' }).getMessage(MAILBOX, 'gone')).toBeNull();
  });

  it('retries a 403 userRateLimitExceeded [G7] and succeeds', async () => {
    nock(ORIGIN).get(`${USER}/profile`).reply(403, fixtures.userRateLimit, JSON_HEADERS);
    nock(ORIGIN).get(`${USER}/profile`).reply(200, fixtures.profile, JSON_HEADERS);
    expect(await client().getProfile(MAILBOX)).toMatchObject({ emailAddress: 'user@example.com', historyId: '1000' });
  });

  it('hands a persistent 403 userRateLimitExceeded back as a rate limit, not a refusal', async () => {
    nock(ORIGIN).get(`${USER}/profile`).times(3).reply(403, fixtures.userRateLimit, JSON_HEADERS);
    const error = await client()
      .getProfile(MAILBOX)
      .catch((caught: unknown) => caught);
    expect(ActError.isInstance(error)).toBe(true);
    expect((error as ActError).errorClass).toBe('rate_limit');
    expect((error as Error).message).toMatch(/^\[@act\/connector-gmail\] .*userRateLimitExceeded/);
  });

  it('treats another 403 (a missing scope) as a refusal, not a rate limit', async () => {
    nock(ORIGIN)
      .get(`${USER}/profile`)
      .reply(
        403,
        { error: { code: 403, message: 'Insufficient Permission', errors: [{ reason: 'insufficientPermissions' }] } },
        JSON_HEADERS,
      );
    const error = await client()
      .getProfile(MAILBOX)
      .catch((caught: unknown) => caught);
    expect((error as ActError).errorClass).not.toBe('rate_limit');
  });

  it('starts a watch with the topic and label filter, reading the documented answer [G2]', async () => {
    let body: unknown;
    nock(ORIGIN)
      .post(`${USER}/watch`, (sent) => {
        body = sent;
        return true;
      })
      .reply(200, fixtures.watchResponse, JSON_HEADERS);
    const answer = await client({
      watch: { topicName: 'projects/myproject/topics/mytopic', labelIds: ['INBOX'], labelFilterBehavior: 'INCLUDE' },
    }).watch(MAILBOX);
    expect(body).toEqual({
      topicName: 'projects/myproject/topics/mytopic',
      labelIds: ['INBOX'],
      labelFilterBehavior: 'INCLUDE',
    });
    expect(answer).toMatchObject({ historyId: '1234567890', expiration: '1431990098200' });
  });

  it('stops a watch (an empty answer)', async () => {
    const scope = nock(ORIGIN).post(`${USER}/stop`).reply(204);
    await client().stop(MAILBOX);
    expect(scope.isDone()).toBe(true);
  });
});
