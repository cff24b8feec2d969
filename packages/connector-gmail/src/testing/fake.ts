/**
 * A fake Gmail (the demo, the benchmarks and tests share it): mailboxes whose
 * messages arrive, change labels and are deleted, each change a history
 * record; Pub/Sub pushes about them signed as Google signs them; and the
 * Gmail API paths the connector calls.
 *
 * Everything here follows Google's documentation:
 * - history ids grow with every change, "not contiguous with random gaps in
 *   between valid IDs"; a message's `historyId` is the last record that
 *   changed it; `history.list` answers the records after `startHistoryId`
 *   (`history` left out when there are none), `maxResults` (default 100, at
 *   most 500), `pageToken`/`nextPageToken`, `historyTypes`, `labelId`, and
 *   the mailbox's current `historyId`; a `startHistoryId` older than the
 *   history kept is 404 [G4];
 * - `messages.list` (`messages` of ids left out when empty, `nextPageToken`,
 *   `resultSizeEstimate`) [G10], `messages.get` with `format=minimal|metadata|full|raw`
 *   and `metadataHeaders` [G5]; `getProfile` [G9]; `watch` (answering `historyId`
 *   and `expiration` as strings, 7 days ahead, and publishing a notification
 *   at once) and `stop` [G2]; `me` or the address as `userId` [G1];
 * - pushes: Pub/Sub's wrapped push body, `message.data` the base64 of
 *   `{"emailAddress", "historyId"}` (the mailbox's new history id) [G2] [P1],
 *   with `Authorization: Bearer <OIDC token>` signed RS256 by a key set the fake
 *   owns and serves as a JWKS at `/oauth2/v3/certs` [P2] [P4]; redeliveries
 *   keep their `messageId` [P1] and a push may arrive after a later one;
 * - errors in Google's JSON error body; 403 `userRateLimitExceeded` on
 *   `throttleRate` of calls [G7].
 *
 * The API is served below `/gmail/v1/` of the fake's prefix (point the
 * connector's `baseUrl` at `<prefix>/gmail/v1/`); the JWKS at
 * `<prefix>/oauth2/v3/certs`. Tokens: `fakeGoogleAccessToken(<address>)` for
 * that mailbox, or `accessToken` for every mailbox (then `users/me` is
 * ambiguous with several mailboxes and answered 400).
 */
import type {
  ExpectedTable,
  FakeApiRequest,
  FakeApiResponse,
  FakeDelivery,
  FakeDeliveryKind,
} from '@act/connector-kit/testing/fake';
import { createRandom, FakeProviderBase, readBody, sendJson } from '@act/connector-kit/testing/fake';
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import {
  accountOfToken,
  base64url,
  bearer,
  parseJsonBody,
  sendGoogleError,
  sendRateLimited,
  sendUnauthenticated,
} from './google-fake';
import { type GoogleSigningKey, generateGoogleSigningKey, gmailPushData, mintPushToken } from './signer';

type HistoryType = 'messageAdded' | 'messageDeleted' | 'labelAdded' | 'labelRemoved';

/** One message of a fake mailbox. */
export interface GmailFakeMessage {
  id: string;
  threadId: string;
  labelIds: string[];
  snippet: string;
  /** The last history record that changed it. */
  historyId: number;
  /** Epoch ms. */
  internalDate: number;
  sizeEstimate: number;
  headers: { name: string; value: string }[];
  body: string;
}

interface HistoryRecord {
  id: number;
  type: HistoryType;
  message: { id: string; threadId: string; labelIds: string[] };
  /** The labels added or removed (label records). */
  labelIds?: string[];
}

interface Watch {
  topicName: string;
  expiration: number;
  labelIds: string[];
  labelFilterBehavior: string | undefined;
}

interface Mailbox {
  address: string;
  historyId: number;
  /** `startHistoryId` below this is answered 404: history before it is gone [G4]. */
  validFrom: number;
  messages: Map<string, GmailFakeMessage>;
  /** Deleted message id → the history record that deleted it. */
  deleted: Map<string, number>;
  history: HistoryRecord[];
  watch: Watch | undefined;
}

export interface GmailFakeOptions {
  /** The mailboxes (addresses, lower case). */
  mailboxes: readonly string[];
  random: () => number;
  /** Marks this run's messages (ids and subjects), so two runs against one database do not collide. */
  runId?: string;
  /** What the push token claims: the push subscription's audience and service account [P2]. */
  push?: { audience?: string; serviceAccountEmail?: string; subscription?: string };
  /** A token accepted for every mailbox (besides each account's `fakeGoogleAccessToken`). */
  accessToken?: string;
  /** Share of API calls answered 403 `userRateLimitExceeded` [G7]. Default 0. */
  throttleRate?: number;
  /** History records kept per mailbox; a `startHistoryId` before them is 404 [G4]. Default: all. */
  historyRetention?: number;
  /** Publish only for mailboxes with an unexpired `users.watch`, as Gmail does [G2]. Default true. */
  requireWatch?: boolean;
  /** Share of changes whose push is delivered twice (same `messageId`) [P1]. Default 0.1. */
  duplicateRate?: number;
  /** Share of pushes held back and delivered after the next one. Default 0.12. */
  outOfOrderRate?: number;
}

/** [G2] A watch lapses after 7 days unless renewed. */
const WATCH_DAYS_MS = 7 * 24 * 3600 * 1000;
const LABELS_TO_TOGGLE = ['UNREAD', 'STARRED', 'IMPORTANT'] as const;
const SUBJECTS = [
  'Quarterly numbers',
  'Lunch on Friday?',
  'Invoice attached',
  'Re: the migration plan',
  'Welcome aboard',
  'Your order has shipped',
  'Draft agenda',
  'Fwd: contract',
];
const DOMAINS = ['example.com', 'example.org', 'example.net'];

/** One change at a fake mailbox: what the benchmarks time to its row. */
export interface GmailFakeChange {
  mailbox: string;
  messageId: string;
  type: HistoryType;
  /** The history record's id (the message's `historyId` after it; a deletion's row version). */
  historyId: number;
}

/** A Pub/Sub push the fake sent: what the benchmarks time from. */
export interface GmailFakePush {
  mailbox: string;
  historyId: string;
  messageId: string;
  /** `publishTime`, epoch ms. */
  publishedAt: number;
}

export class GmailFake extends FakeProviderBase {
  readonly source = 'gmail';
  readonly title = 'Gmail (simulated)';
  readonly push: { audience: string; serviceAccountEmail: string; subscription: string };
  private readonly mailboxes = new Map<string, Mailbox>();
  private readonly options: GmailFakeOptions;
  private readonly apiRandom: () => number;
  private readonly key: Promise<GoogleSigningKey>;
  private readonly runId: string;
  private sequence = 0;
  private pubsubSequence = 0;
  /** Notifications `watch` publishes at once [G2], sent with the next change. */
  private readonly pendingWatchPushes: string[] = [];
  /** Every push published (duplicates once), oldest first. */
  readonly published: GmailFakePush[] = [];
  /** Every change `change` made (not seeding), oldest first. */
  readonly changes: GmailFakeChange[] = [];
  throttled = 0;
  notFound = 0;

  constructor(options: GmailFakeOptions) {
    super({ tenants: options.mailboxes.map((address) => address.trim().toLowerCase()), random: options.random });
    this.options = options;
    this.runId = options.runId ?? 'sim';
    this.apiRandom = createRandom(Math.floor(options.random() * 2 ** 31));
    this.push = {
      audience: options.push?.audience ?? 'https://act.example.com/webhooks/gmail',
      serviceAccountEmail: options.push?.serviceAccountEmail ?? 'gmail-push@act-demo.iam.gserviceaccount.com',
      subscription: options.push?.subscription ?? 'projects/act-demo/subscriptions/gmail-push',
    };
    this.key = generateGoogleSigningKey();
    for (const address of this.tenants) {
      // History ids are uint64 strings; these stay within a JS number's safe range.
      const start = 1_000_000 + Math.floor(this.random() * 9_000_000);
      this.mailboxes.set(address, {
        address,
        historyId: start,
        validFrom: start,
        messages: new Map(),
        deleted: new Map(),
        history: [],
        watch: undefined,
      });
    }
  }

  /** The JWKS the fake signs push tokens with (served at `/oauth2/v3/certs`). */
  async jwks(): Promise<JSONWebKeySet> {
    return (await this.key).jwks;
  }

  /** The fake's keys as jose's key set: a connector's `push.keySet` without an HTTP round trip. */
  keySet(): JWTVerifyGetKey {
    return (async (header, token) => createLocalJWKSet(await this.jwks())(header, token)) as JWTVerifyGetKey;
  }

  /** A mailbox's messages (live ones), for tests. */
  messages(address: string): GmailFakeMessage[] {
    return [...(this.mailbox(address)?.messages.values() ?? [])];
  }

  /** A mailbox's current history id. */
  historyId(address: string): string {
    return String(this.mailbox(address)?.historyId ?? 0);
  }

  /** Whether `address` has an unexpired watch. */
  watching(address: string): boolean {
    const watch = this.mailbox(address)?.watch;
    return watch !== undefined && watch.expiration > Date.now();
  }

  /**
   * Forget a mailbox's history before now, as Google does after "at least a
   * week" or, rarely, hours [G4]: any older `startHistoryId` is then 404 and
   * the connector must run a full sync.
   */
  expireHistory(address: string): void {
    const mailbox = this.mailbox(address);
    if (!mailbox) return;
    mailbox.history = [];
    mailbox.validFrom = mailbox.historyId;
  }

  private mailbox(address: string): Mailbox | undefined {
    return this.mailboxes.get(address.trim().toLowerCase());
  }

  // -- changes ------------------------------------------------------------------------------------

  private record(mailbox: Mailbox, type: HistoryType, message: GmailFakeMessage, labelIds?: string[]): number {
    // [G4] Increasing, with random gaps.
    mailbox.historyId += 1 + Math.floor(this.random() * 40);
    mailbox.history.push({
      id: mailbox.historyId,
      type,
      message: { id: message.id, threadId: message.threadId, labelIds: [...message.labelIds] },
      ...(labelIds ? { labelIds } : {}),
    });
    const keep = this.options.historyRetention;
    if (keep !== undefined && mailbox.history.length > keep) {
      const dropped = mailbox.history.splice(0, mailbox.history.length - keep);
      mailbox.validFrom = (dropped.at(-1) as HistoryRecord).id;
    }
    return mailbox.historyId;
  }

  private hexId(): string {
    // Gmail ids are 16 hex digits; the run id keeps runs apart.
    this.sequence += 1;
    const random = Math.floor(this.random() * 0xffffffff)
      .toString(16)
      .padStart(8, '0');
    return `${random}${this.sequence.toString(16).padStart(8, '0')}`;
  }

  private address(): { display: string; email: string } {
    const { first, last } = this.personName();
    const email = `${first}.${last}@${this.pick(DOMAINS)}`.replace(/-/g, '');
    return { display: `${first} ${last}`, email };
  }

  private newMessage(mailbox: Mailbox, at: number, thread?: GmailFakeMessage): GmailFakeMessage {
    const from = this.address();
    const cc = this.random() < 0.3 ? this.address() : undefined;
    const subject = thread
      ? (thread.headers.find((h) => h.name === 'Subject')?.value ?? 'Re:')
      : `${this.pick(SUBJECTS)} [${this.runId}]`;
    const id = this.hexId();
    // Mixed case in the From address on purpose: the mirror keeps addresses lower case.
    const fromHeader =
      this.random() < 0.3
        ? `"${from.display}" <${from.email.replace(/^./, (c) => c.toUpperCase())}>`
        : `${from.display} <${from.email}>`;
    const headers = [
      { name: 'Date', value: new Date(at).toUTCString().replace('GMT', '+0000') },
      { name: 'From', value: fromHeader },
      { name: 'To', value: mailbox.address },
      ...(cc ? [{ name: 'Cc', value: `${cc.display} <${cc.email}>` }] : []),
      { name: 'Subject', value: subject },
      { name: 'Message-ID', value: `<${id}.${this.runId}@mail.${from.email.split('@')[1]}>` },
    ];
    const body = `Hello,\r\n\r\n${this.pick(SUBJECTS)}.\r\n\r\n${from.display}\r\n`;
    return {
      id,
      threadId: thread?.threadId ?? id,
      labelIds: ['INBOX', 'UNREAD', 'CATEGORY_PERSONAL'],
      snippet: body.replace(/\s+/g, ' ').trim().slice(0, 100),
      historyId: 0,
      internalDate: at,
      sizeEstimate: 1_200 + Math.floor(this.random() * 4_000),
      headers,
      body,
    };
  }

  private add(mailbox: Mailbox, at: number): GmailFakeMessage {
    const live = [...mailbox.messages.values()];
    const thread = live.length > 0 && this.random() < 0.25 ? this.pick(live) : undefined;
    const message = this.newMessage(mailbox, at, thread);
    mailbox.messages.set(message.id, message);
    message.historyId = this.record(mailbox, 'messageAdded', message);
    return message;
  }

  /** Records that exist before a run: only a full sync (or history from before them) finds them. */
  protected seedRecords(tenant: string, _index: number, at: number): void {
    const mailbox = this.mailbox(tenant);
    if (mailbox) this.add(mailbox, at);
  }

  /** Change `mailbox` once: a message arrives, changes a label or is deleted. Returns the new history id. */
  change(address: string): number {
    const mailbox = this.mailbox(address);
    if (!mailbox) throw new Error(`[@act/connector-gmail] the fake has no mailbox ${address}`);
    const live = [...mailbox.messages.values()];
    const roll = this.random();
    let changed: GmailFakeMessage;
    let type: HistoryType;
    if (live.length < 3 || roll < 0.45) {
      changed = this.add(mailbox, this.now());
      type = 'messageAdded';
    } else if (roll < 0.88) {
      const message = this.pick(live);
      const label = this.pick(LABELS_TO_TOGGLE);
      type = message.labelIds.includes(label) ? 'labelRemoved' : 'labelAdded';
      message.labelIds =
        type === 'labelRemoved' ? message.labelIds.filter((id) => id !== label) : [...message.labelIds, label];
      message.historyId = this.record(mailbox, type, message, [label]);
      changed = message;
    } else {
      changed = this.pick(live);
      type = 'messageDeleted';
      mailbox.messages.delete(changed.id);
      mailbox.deleted.set(changed.id, this.record(mailbox, 'messageDeleted', changed));
    }
    this.changes.push({ mailbox: mailbox.address, messageId: changed.id, type, historyId: mailbox.historyId });
    return mailbox.historyId;
  }

  /** The Pub/Sub push announcing `mailbox`'s history id now, signed [P1] [P2] [G2]. */
  async pushFor(address: string, kind: FakeDeliveryKind = 'updated'): Promise<FakeDelivery> {
    const mailbox = this.mailbox(address);
    if (!mailbox) throw new Error(`[@act/connector-gmail] the fake has no mailbox ${address}`);
    this.pubsubSequence += 1;
    const messageId = String(2_070_443_601_311_540 + this.pubsubSequence * 7);
    const publishedAt = Date.now();
    const publishTime = new Date(publishedAt).toISOString();
    const historyId = String(mailbox.historyId);
    // [P1] The wrapped push body carries both spellings of the id and the time.
    const body = JSON.stringify({
      message: {
        data: gmailPushData(mailbox.address, historyId),
        messageId,
        message_id: messageId,
        publishTime,
        publish_time: publishTime,
      },
      subscription: this.push.subscription,
    });
    const token = await mintPushToken(await this.key, {
      audience: this.push.audience,
      serviceAccountEmail: this.push.serviceAccountEmail,
      now: publishedAt,
    });
    this.published.push({ mailbox: mailbox.address, historyId, messageId, publishedAt });
    return {
      source: this.source,
      body,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      kind,
    };
  }

  /** The next change at Gmail, as the pushes it causes (none for a mailbox nobody watches) [G2]. */
  async next(): Promise<FakeDelivery[]> {
    const deliveries: FakeDelivery[] = [];
    for (const address of this.pendingWatchPushes.splice(0)) deliveries.push(await this.pushFor(address, 'created'));
    const address = this.pick(this.tenants);
    const before = (this.mailbox(address) as Mailbox).messages.size;
    this.change(address);
    const after = (this.mailbox(address) as Mailbox).messages.size;
    if (this.options.requireWatch === false || this.watching(address)) {
      const kind: FakeDeliveryKind = after > before ? 'created' : after < before ? 'deleted' : 'updated';
      const push = await this.pushFor(address, kind);
      // Now and then a push is held back and arrives after the next one; [P1] at-least-once: a redelivery, same messageId.
      deliveries.push(
        ...this.mixDelivery(push, {
          outOfOrderRate: this.options.outOfOrderRate ?? 0.12,
          duplicateRate: this.options.duplicateRate ?? 0.1,
        }),
      );
    }
    this.sentCount += deliveries.length;
    return deliveries;
  }

  /** A push still held back (the end of a scenario). */
  flush(): FakeDelivery[] {
    return this.releaseHeld();
  }

  // -- truth --------------------------------------------------------------------------------------

  expected(): ExpectedTable[] {
    const table: ExpectedTable = {
      table: 'gmail_messages',
      keyColumns: ['mailbox', 'id'],
      columns: ['thread_id', 'history_id', 'label_ids', 'subject', 'from_addresses', 'to_addresses', 'cc_addresses'],
      rows: [],
    };
    const addresses = (message: GmailFakeMessage, name: string): string[] => {
      const value = message.headers.find((header) => header.name === name)?.value;
      if (value === undefined) return [];
      return [...value.matchAll(/<([^>]+)>|([^\s,<>"]+@[^\s,<>"]+)/g)].map((match) =>
        (match[1] ?? match[2] ?? '').toLowerCase(),
      );
    };
    for (const mailbox of this.mailboxes.values()) {
      for (const message of mailbox.messages.values()) {
        table.rows.push({
          key: { mailbox: mailbox.address, id: message.id },
          values: {
            thread_id: message.threadId,
            history_id: String(message.historyId),
            label_ids: message.labelIds,
            subject: message.headers.find((header) => header.name === 'Subject')?.value ?? null,
            from_addresses: addresses(message, 'From'),
            to_addresses: addresses(message, 'To'),
            cc_addresses: addresses(message, 'Cc'),
          },
          version: message.historyId,
          deleted: false,
        });
      }
      for (const id of mailbox.deleted.keys()) {
        table.rows.push({ key: { mailbox: mailbox.address, id }, values: {}, deleted: true });
      }
    }
    return [table];
  }

  apiSummary(): string {
    return `${this.apiRequests} API requests, ${this.throttled} rate-limited (403), ${this.notFound} history 404s`;
  }

  // -- the API ------------------------------------------------------------------------------------

  handleApi(request: FakeApiRequest, response: FakeApiResponse, path: string): void {
    this.apiRequests += 1;
    this.answer(request, response, path).catch((error: unknown) => {
      sendGoogleError(response, 500, 'backendError', error instanceof Error ? error.message : String(error));
    });
  }

  private async answer(request: FakeApiRequest, response: FakeApiResponse, path: string) {
    const url = new URL(path, 'http://fake.invalid');
    const method = (request.method ?? 'GET').toUpperCase();
    if (url.pathname === '/oauth2/v3/certs' && method === 'GET') {
      sendJson(response, 200, await this.jwks(), { 'cache-control': 'public, max-age=3600' });
      return;
    }
    const match = /^\/gmail\/v1\/users\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!match) {
      sendGoogleError(response, 404, 'notFound', `the fake Gmail has no ${method} ${url.pathname}`);
      return;
    }
    const token = bearer(request);
    const tokenAccount = token ? accountOfToken(token) : undefined;
    const shared = token !== undefined && this.options.accessToken !== undefined && token === this.options.accessToken;
    if (!shared && (tokenAccount === undefined || !this.mailbox(tokenAccount))) {
      sendUnauthenticated(response);
      return;
    }
    const userId = decodeURIComponent(match[1] as string).toLowerCase();
    let address = userId;
    if (userId === 'me') {
      if (tokenAccount) address = tokenAccount;
      else if (this.tenants.length === 1) address = this.tenants[0] as string;
      else {
        sendGoogleError(
          response,
          400,
          'invalidArgument',
          'the fake Gmail: users/me with a shared token names no mailbox',
        );
        return;
      }
    }
    const mailbox = this.mailbox(address);
    if (!mailbox || (tokenAccount !== undefined && tokenAccount !== mailbox.address)) {
      sendGoogleError(response, 403, 'forbidden', `Delegation denied for ${tokenAccount ?? 'this token'}`);
      return;
    }
    if ((this.options.throttleRate ?? 0) > 0 && this.apiRandom() < (this.options.throttleRate ?? 0)) {
      this.throttled += 1;
      sendRateLimited(response);
      return;
    }
    const rest = match[2] as string;
    const query = url.searchParams;
    if (method === 'GET' && rest === 'profile') return this.profile(mailbox, response);
    if (method === 'GET' && rest === 'history') return this.history(mailbox, query, response);
    if (method === 'GET' && rest === 'messages') return this.listMessages(mailbox, query, response);
    const get = /^messages\/([^/]+)$/.exec(rest);
    if (method === 'GET' && get) return this.getMessage(mailbox, decodeURIComponent(get[1] as string), query, response);
    if (method === 'POST' && rest === 'watch') return this.watch(mailbox, await readBody(request), response);
    if (method === 'POST' && rest === 'stop') {
      mailbox.watch = undefined;
      response.writeHead(204, {});
      response.end();
      return;
    }
    sendGoogleError(response, 404, 'notFound', `the fake Gmail has no ${method} users/{userId}/${rest}`);
  }

  /** [G9] `users.getProfile`. */
  private profile(mailbox: Mailbox, response: FakeApiResponse) {
    const threads = new Set([...mailbox.messages.values()].map((message) => message.threadId));
    sendJson(response, 200, {
      emailAddress: mailbox.address,
      messagesTotal: mailbox.messages.size,
      threadsTotal: threads.size,
      historyId: String(mailbox.historyId),
    });
  }

  /** [G4] `users.history.list`. */
  private history(mailbox: Mailbox, query: URLSearchParams, response: FakeApiResponse) {
    const start = query.get('startHistoryId');
    if (start === null || !/^\d+$/.test(start)) {
      sendGoogleError(response, 400, 'invalidArgument', 'Invalid startHistoryId');
      return;
    }
    if (Number(start) < mailbox.validFrom) {
      this.notFound += 1;
      sendGoogleError(response, 404, 'notFound', 'Requested entity was not found.');
      return;
    }
    const maxResults = Math.min(500, Math.max(1, Number(query.get('maxResults') ?? 100) || 100));
    const types = new Set(query.getAll('historyTypes'));
    const labelId = query.get('labelId');
    const after = Math.max(Number(start), Number(query.get('pageToken') ?? 0));
    const records = mailbox.history.filter(
      (record) =>
        record.id > after &&
        (types.size === 0 || types.has(record.type)) &&
        (labelId === null || record.message.labelIds.includes(labelId) || record.labelIds?.includes(labelId)),
    );
    const page = records.slice(0, maxResults);
    const more = records.length > page.length;
    sendJson(response, 200, {
      ...(page.length > 0 ? { history: page.map(historyJson) } : {}),
      ...(more ? { nextPageToken: String((page.at(-1) as HistoryRecord).id) } : {}),
      historyId: String(mailbox.historyId),
    });
  }

  /** [G10] `users.messages.list`, newest first; a keyset page token, so changes between pages skip nothing. */
  private listMessages(mailbox: Mailbox, query: URLSearchParams, response: FakeApiResponse) {
    const maxResults = Math.min(500, Math.max(1, Number(query.get('maxResults') ?? 100) || 100));
    const labelIds = query.getAll('labelIds');
    const includeSpamTrash = query.get('includeSpamTrash') === 'true';
    const sortKey = (message: GmailFakeMessage) => `${String(message.internalDate).padStart(15, '0')}:${message.id}`;
    const token = query.get('pageToken');
    const listing = [...mailbox.messages.values()]
      .filter((message) => labelIds.every((label) => message.labelIds.includes(label)))
      .filter((message) => includeSpamTrash || !message.labelIds.some((label) => label === 'SPAM' || label === 'TRASH'))
      .sort((a, b) => sortKey(b).localeCompare(sortKey(a)));
    const remaining = token === null ? listing : listing.filter((message) => sortKey(message) < token);
    const page = remaining.slice(0, maxResults);
    sendJson(response, 200, {
      ...(page.length > 0 ? { messages: page.map(({ id, threadId }) => ({ id, threadId })) } : {}),
      ...(remaining.length > page.length ? { nextPageToken: sortKey(page.at(-1) as GmailFakeMessage) } : {}),
      resultSizeEstimate: listing.length,
    });
  }

  /** [G5] `users.messages.get`. */
  private getMessage(mailbox: Mailbox, id: string, query: URLSearchParams, response: FakeApiResponse) {
    const message = mailbox.messages.get(id);
    if (!message) {
      sendGoogleError(response, 404, 'notFound', 'Requested entity was not found.');
      return;
    }
    const format = query.get('format') ?? 'full';
    const base = {
      id: message.id,
      threadId: message.threadId,
      labelIds: message.labelIds,
      snippet: message.snippet,
      sizeEstimate: message.sizeEstimate,
      historyId: String(message.historyId),
      internalDate: String(message.internalDate),
    };
    if (format === 'minimal') {
      sendJson(response, 200, base);
      return;
    }
    if (format === 'raw') {
      const rfc2822 = `${message.headers.map((header) => `${header.name}: ${header.value}`).join('\r\n')}\r\n\r\n${message.body}`;
      sendJson(response, 200, { ...base, raw: base64url(rfc2822) });
      return;
    }
    const wanted = query.getAll('metadataHeaders').map((name) => name.toLowerCase());
    const headers =
      format === 'metadata' && wanted.length > 0
        ? message.headers.filter((header) => wanted.includes(header.name.toLowerCase()))
        : message.headers;
    const payload =
      format === 'metadata'
        ? { mimeType: 'text/plain', headers }
        : {
            partId: '',
            mimeType: 'text/plain',
            filename: '',
            headers,
            body: { size: message.body.length, data: base64url(message.body) },
          };
    sendJson(response, 200, { ...base, payload });
  }

  /** [G2] `users.watch`: the history id now and an expiration 7 days ahead, as strings; a notification at once. */
  private watch(mailbox: Mailbox, text: string, response: FakeApiResponse) {
    const body = parseJsonBody(text);
    const topicName = body.topicName;
    if (typeof topicName !== 'string' || !/^projects\/[^/]+\/topics\/[^/]+$/.test(topicName)) {
      sendGoogleError(response, 400, 'invalidArgument', 'Invalid topicName does not match projects/*/topics/*');
      return;
    }
    const expiration = Date.now() + WATCH_DAYS_MS;
    mailbox.watch = {
      topicName,
      expiration,
      labelIds: Array.isArray(body.labelIds) ? body.labelIds.map(String) : [],
      labelFilterBehavior: typeof body.labelFilterBehavior === 'string' ? body.labelFilterBehavior : undefined,
    };
    this.pendingWatchPushes.push(mailbox.address);
    sendJson(response, 200, { historyId: String(mailbox.historyId), expiration: String(expiration) });
  }
}

/** [G4] A history record as `history.list` writes it: `messages` and the field of its kind. */
function historyJson(record: HistoryRecord): Record<string, unknown> {
  const ref = { id: record.message.id, threadId: record.message.threadId };
  const message = { ...ref, labelIds: record.message.labelIds };
  const json: Record<string, unknown> = { id: String(record.id), messages: [ref] };
  if (record.type === 'messageAdded') json.messagesAdded = [{ message }];
  if (record.type === 'messageDeleted') json.messagesDeleted = [{ message: ref }];
  if (record.type === 'labelAdded') json.labelsAdded = [{ message, labelIds: record.labelIds }];
  if (record.type === 'labelRemoved') json.labelsRemoved = [{ message, labelIds: record.labelIds }];
  return json;
}

/** A fake Gmail: see `GmailFake`. */
export function createGmailFake(options: GmailFakeOptions): GmailFake {
  return new GmailFake(options);
}
