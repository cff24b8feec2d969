import nock from 'nock';
import historyEmpty from '../fixtures/gmail-history.empty.json?raw';
import historyPage1 from '../fixtures/gmail-history.page-1.json?raw';
import historyPage2 from '../fixtures/gmail-history.page-2.json?raw';
import messageFull from '../fixtures/gmail-message.full.json?raw';
import messageMetadata from '../fixtures/gmail-message.metadata.json?raw';
import messagesPage1 from '../fixtures/gmail-messages-list.page-1.json?raw';
import messagesPage2 from '../fixtures/gmail-messages-list.page-2.json?raw';
import profile from '../fixtures/gmail-profile.json?raw';
import watchResponse from '../fixtures/gmail-watch.response.json?raw';
import notFound from '../fixtures/google-error.not-found.json?raw';
import userRateLimit from '../fixtures/google-error.user-rate-limit.json?raw';

/** Raw fixture bodies, byte for byte as on disk (sources in fixtures/README.md). */
export const fixtures = {
  historyEmpty,
  historyPage1,
  historyPage2,
  messageFull,
  messageMetadata,
  messagesPage1,
  messagesPage2,
  profile,
  watchResponse,
  notFound,
  userRateLimit,
} as const;

export const MAILBOX = 'user@example.com';
export const TOKEN = 'ya29.test-token';
export const ORIGIN = 'https://gmail.googleapis.com';
export const USER = `/gmail/v1/users/${encodeURIComponent(MAILBOX)}`;
export const JSON_HEADERS = { 'content-type': 'application/json' };

/** A message fixture, changed. */
export function message(raw: string, changes: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(JSON.parse(raw) as Record<string, unknown>), ...changes };
}

/** `GET messages/{id}` (any query) answering `body` (or 404). */
export function serveMessage(id: string, body: Record<string, unknown> | 404, times = 1) {
  const scope = nock(ORIGIN).get(`${USER}/messages/${id}`).query(true).times(times);
  return body === 404 ? scope.reply(404, fixtures.notFound, JSON_HEADERS) : scope.reply(200, body, JSON_HEADERS);
}

/** `messages.list` (spam and trash included): the two documented pages of ids. */
export function serveMessageListing() {
  nock(ORIGIN)
    .get(`${USER}/messages`)
    .query({ maxResults: '100', includeSpamTrash: 'true' })
    .reply(200, fixtures.messagesPage1, JSON_HEADERS);
  nock(ORIGIN)
    .get(`${USER}/messages`)
    .query({ maxResults: '100', includeSpamTrash: 'true', pageToken: '09876543210987654321' })
    .reply(200, fixtures.messagesPage2, JSON_HEADERS);
}

/** The documented full sync: profile (historyId 1000), two listing pages, three messages. */
export function serveFullSync(options: { third?: Record<string, unknown> | 404 } = {}) {
  nock(ORIGIN).get(`${USER}/profile`).reply(200, fixtures.profile, JSON_HEADERS);
  serveMessageListing();
  serveMessage('18c1a2b3c4d5e6f7', message(fixtures.messageMetadata));
  serveMessage('18c1a2b3c4d5e6f8', message(fixtures.messageFull, { historyId: '999' }));
  serveMessage(
    '18c1a2b3c4d5e6f9',
    options.third ??
      message(fixtures.messageMetadata, { id: '18c1a2b3c4d5e6f9', threadId: '18c1a2b3c4d5e6f9', historyId: '990' }),
  );
}

/** `history.list` from `start` (optionally a page token) answering `body` (or a status with Google's error). */
export function serveHistory(start: string, body: string | 404, pageToken?: string) {
  const scope = nock(ORIGIN)
    .get(`${USER}/history`)
    .query((query) => query.startHistoryId === start && query.pageToken === pageToken);
  return body === 404 ? scope.reply(404, fixtures.notFound, JSON_HEADERS) : scope.reply(200, body, JSON_HEADERS);
}
