import { type ApiClient, createErrors } from '@act/connector-kit';
import { z } from 'zod';
import { type GmailMessage, gmailMessageRefSchema, gmailMessageSchema } from './gmail-events';
import {
  GMAIL_DEFAULT_METADATA_HEADERS,
  GMAIL_HISTORY_TYPES,
  GMAIL_METADATA_SCOPE,
  GMAIL_READONLY_SCOPE,
  type GmailConnectorSettings,
  type GmailHistoryType,
  type GmailMessageFormat,
} from './gmail-settings';
import { createGoogleApiClient } from './google-client';
import { GMAIL_DEFAULT_BASE_URL, GMAIL_PACKAGE_NAME, GMAIL_SOURCE } from './google-settings';

export const gmailErrors = createErrors(GMAIL_PACKAGE_NAME);

// Gmail API v1 [G1], every path under `users/{userId}` with the mailbox address as `userId`:
//   GET  users/{u}/profile                         → { emailAddress, historyId, … }             [G9]
//   GET  users/{u}/history?startHistoryId&…        → { history?, nextPageToken?, historyId }    [G4]
//   GET  users/{u}/messages?pageToken&maxResults   → { messages?, nextPageToken?, resultSizeEstimate } [G10]
//   GET  users/{u}/messages/{id}?format&metadataHeaders… → Message                              [G5]
//   POST users/{u}/watch {topicName, labelIds, labelFilterBehavior} → { historyId, expiration } [G2]
//   POST users/{u}/stop                            → empty                                      [G2]

const uint64 = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform(String);

const profileSchema = z.looseObject({
  emailAddress: z.string().min(1),
  historyId: uint64,
  messagesTotal: z.number().nullish(),
  threadsTotal: z.number().nullish(),
});
export type GmailProfile = z.infer<typeof profileSchema>;

const historyMessageChange = z.looseObject({ message: gmailMessageRefSchema });
const historyLabelChange = z.looseObject({ message: gmailMessageRefSchema, labelIds: z.array(z.string()).nullish() });

/** [G4] One history record: one change, or several, to the messages it names. */
export const gmailHistoryRecordSchema = z.looseObject({
  id: uint64,
  messages: z.array(gmailMessageRefSchema).nullish(),
  messagesAdded: z.array(historyMessageChange).nullish(),
  messagesDeleted: z.array(historyMessageChange).nullish(),
  labelsAdded: z.array(historyLabelChange).nullish(),
  labelsRemoved: z.array(historyLabelChange).nullish(),
});
export type GmailHistoryRecord = z.infer<typeof gmailHistoryRecordSchema>;

/** [G4] A page of history; `history` is absent on an empty page (lieer#24 crashed on that). */
const historyPageSchema = z.looseObject({
  history: z.array(gmailHistoryRecordSchema).nullish(),
  nextPageToken: z.string().min(1).nullish(),
  historyId: uint64,
});
export type GmailHistoryPage = z.infer<typeof historyPageSchema>;

/** [G10] A page of the message listing: ids only; `messages` absent when the mailbox is empty. */
const messageListSchema = z.looseObject({
  messages: z.array(gmailMessageRefSchema).nullish(),
  nextPageToken: z.string().min(1).nullish(),
  resultSizeEstimate: z.number().nullish(),
});
export type GmailMessageListPage = z.infer<typeof messageListSchema>;

const watchResponseSchema = z.looseObject({ historyId: uint64, expiration: uint64 });
export type GmailWatchResponse = z.infer<typeof watchResponseSchema>;

/**
 * [G6] The quota as windows. Per mailbox: 15,000 units a minute; a call is
 * budgeted at 5 units, the most the bulk methods cost (`messages.get`,
 * `messages.list`; `history.list` costs 2), so 3,000 calls a minute never
 * exceed it. Per project: 1,200,000 units a minute, 240,000 calls at 5
 * units. `watch` and `stop` cost more but run once a day per mailbox. A
 * 403/429 that still comes back is a rate limit (`google-client.ts`).
 */
const GMAIL_LIMITS = {
  mailbox: { key: 'gmail:mailbox', windows: { userMinute: { limit: 3_000, windowMs: 60_000, marginMs: 1_000 } } },
  project: {
    key: () => 'gmail:project',
    windows: { projectMinute: { limit: 240_000, windowMs: 60_000, marginMs: 1_000 } },
  },
} as const;

/** [G8] Scopes that may read message bodies. */
const BODY_SCOPES = new Set([
  GMAIL_READONLY_SCOPE,
  'https://www.googleapis.com/auth/gmail.modify',
  'https://mail.google.com/',
]);

export interface GmailClient {
  readonly api: ApiClient;
  readonly messageFormat: GmailMessageFormat;
  getProfile(mailbox: string, options?: Call): Promise<GmailProfile>;
  listHistory(
    mailbox: string,
    request: { startHistoryId: string; pageToken?: string | undefined; labelId?: string | undefined },
    options?: Call,
  ): Promise<GmailHistoryPage>;
  listMessages(
    mailbox: string,
    request: { pageToken?: string | undefined; includeSpamTrash?: boolean | undefined },
    options?: Call,
  ): Promise<GmailMessageListPage>;
  /** The message in the configured format; `null` when Gmail answers 404 (deleted since). */
  getMessage(mailbox: string, id: string, options?: Call): Promise<GmailMessage | null>;
  watch(mailbox: string, options?: Call): Promise<GmailWatchResponse>;
  stop(mailbox: string, options?: Call): Promise<void>;
  refreshCredentials(mailbox: string): Promise<void>;
  renewCredentials?: ApiClient['renewCredentials'];
}

interface Call {
  signal?: AbortSignal | undefined;
}

/** The settings' API credentials, or `undefined` for a receive-only connector. */
export function hasGmailApiCredentials(settings: GmailConnectorSettings): boolean {
  return Boolean(settings.oauth || settings.accessToken);
}

/**
 * The Gmail API client over the shared Google engine (OAuth2 or a bearer,
 * Google's error body, 403 rate limits, the quota windows).
 *
 * @throws ConfigurationError for `gmail.metadata` with `full`/`raw` [G5], or a bad `pageSize`.
 */
export function createGmailClient(settings: GmailConnectorSettings): GmailClient {
  const scopes = settings.scopes ?? [GMAIL_READONLY_SCOPE];
  const messageFormat = settings.messageFormat ?? 'metadata';
  // [G5] [G8] With gmail.metadata (and no scope that reads bodies), full and raw are refused.
  const metadataOnly = scopes.includes(GMAIL_METADATA_SCOPE) && !scopes.some((scope) => BODY_SCOPES.has(scope));
  if (metadataOnly && messageFormat !== 'metadata') {
    throw gmailErrors.configuration(
      `messageFormat "${messageFormat}" needs gmail.readonly (or broader): the gmail.metadata scope only allows format=metadata`,
    );
  }
  const pageSize = settings.pageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500) {
    throw gmailErrors.configuration(`pageSize must be an integer from 1 to 500, got ${String(pageSize)}`);
  }
  const historyTypes: readonly GmailHistoryType[] = settings.historyTypes ?? GMAIL_HISTORY_TYPES;
  const metadataHeaders = settings.metadataHeaders ?? GMAIL_DEFAULT_METADATA_HEADERS;
  const api = createGoogleApiClient({
    settings,
    source: GMAIL_SOURCE,
    baseUrl: settings.baseUrl ?? GMAIL_DEFAULT_BASE_URL,
    scopes,
    limits: GMAIL_LIMITS,
    missingAuth:
      'accessToken (GOOGLE_ACCESS_TOKEN) or oauth (GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and a credential store) is required to call the Gmail API',
  });
  const user = (mailbox: string) => `users/${encodeURIComponent(mailbox)}`;

  return {
    api,
    messageFormat,
    getProfile: (mailbox, options = {}) =>
      api.request(mailbox, { method: 'GET', path: `${user(mailbox)}/profile`, schema: profileSchema, ...options }),
    listHistory(mailbox, request, options = {}) {
      const searchParams = new URLSearchParams({
        startHistoryId: request.startHistoryId,
        maxResults: String(pageSize),
      });
      for (const type of historyTypes) searchParams.append('historyTypes', type);
      if (request.pageToken) searchParams.set('pageToken', request.pageToken);
      if (request.labelId) searchParams.set('labelId', request.labelId);
      return api.request(mailbox, {
        method: 'GET',
        path: `${user(mailbox)}/history`,
        searchParams,
        schema: historyPageSchema,
        ...options,
      });
    },
    listMessages(mailbox, request, options = {}) {
      const searchParams = new URLSearchParams({ maxResults: String(pageSize) });
      if (request.pageToken) searchParams.set('pageToken', request.pageToken);
      if (request.includeSpamTrash) searchParams.set('includeSpamTrash', 'true');
      return api.request(mailbox, {
        method: 'GET',
        path: `${user(mailbox)}/messages`,
        searchParams,
        schema: messageListSchema,
        ...options,
      });
    },
    getMessage(mailbox, id, options = {}) {
      const searchParams = new URLSearchParams({ format: messageFormat });
      if (messageFormat === 'metadata')
        for (const header of metadataHeaders) searchParams.append('metadataHeaders', header);
      return api.find(mailbox, {
        method: 'GET',
        path: `${user(mailbox)}/messages/${encodeURIComponent(id)}`,
        searchParams,
        schema: gmailMessageSchema,
        ...options,
      });
    },
    watch(mailbox, options = {}) {
      const watch = settings.watch;
      if (!watch)
        throw gmailErrors.configuration('watch.topicName (GMAIL_PUBSUB_TOPIC) is required to call users.watch');
      return api.request(mailbox, {
        method: 'POST',
        path: `${user(mailbox)}/watch`,
        json: {
          topicName: watch.topicName,
          ...(watch.labelIds?.length ? { labelIds: watch.labelIds } : {}),
          ...(watch.labelFilterBehavior ? { labelFilterBehavior: watch.labelFilterBehavior } : {}),
        },
        schema: watchResponseSchema,
        // Re-calling watch replaces the mailbox's one watch [G2]: sending it again is safe.
        idempotent: true,
        ...options,
      });
    },
    async stop(mailbox, options = {}) {
      await api.request(mailbox, {
        method: 'POST',
        path: `${user(mailbox)}/stop`,
        schema: z.unknown(),
        idempotent: true,
        ...options,
      });
    },
    refreshCredentials: (mailbox) => api.refreshCredentials(mailbox),
    ...(api.renewCredentials ? { renewCredentials: api.renewCredentials } : {}),
  };
}
