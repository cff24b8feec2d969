/**
 * A fake Google Calendar (the demo and tests): calendars whose events are
 * created, moved and cancelled; notification channels made with
 * `events.watch`; and the notifications Google posts to them.
 *
 * Everything here follows Google's documentation:
 * - `events.list` pages with `maxResults` (default 250, at most 2500) and
 *   `pageToken`; `nextSyncToken` only on the last page; `syncToken=` answers
 *   what changed since, cancelled events included; a token the server
 *   invalidated is `410` with reason `fullSyncRequired`; `syncToken` cannot be
 *   combined with `timeMin`, `timeMax`, `updatedMin`, `q` or `orderBy` [C1] [C3] [C4];
 * - cancelled events (`status: "cancelled"`) are in a full listing only with
 *   `showDeleted=true`, and carry little besides their id [C1] [C3];
 * - `events.watch` answers `kind: "api#channel"`, the channel id, the
 *   watched resource's `resourceId` and `resourceUri`, the token and the
 *   expiration (int64 as a string) and sends a `sync` notification at once;
 *   `channels/stop` with `{ id, resourceId }` ends a channel [C2];
 * - notifications have no body: `X-Goog-Channel-ID`, `X-Goog-Channel-Token`,
 *   `X-Goog-Channel-Expiration`, `X-Goog-Resource-ID`, `X-Goog-Resource-URI`,
 *   `X-Goog-Resource-State` (`sync`, then `exists`) and `X-Goog-Message-Number`
 *   (1 for sync, then growing but not sequential) [C2]; every live channel
 *   of a calendar is notified (two while a renewal overlaps);
 * - errors in Google's JSON error body; 403 `userRateLimitExceeded` on
 *   `throttleRate` of calls [C4].
 *
 * The API is served below `/calendar/v3/` of the fake's prefix (point the
 * connector's `baseUrl` at `<prefix>/calendar/v3/`). A calendar is the
 * primary calendar of the account with its id (an address), so it accepts
 * `fakeGoogleAccessToken(<calendar id>)`, or `accessToken` for every calendar.
 */
import type { ExpectedTable, FakeApiRequest, FakeApiResponse, FakeDelivery } from '@act/connector-kit/testing/fake';
import { createRandom, FakeProviderBase, readBody, sendJson } from '@act/connector-kit/testing/fake';
import {
  accountOfToken,
  bearer,
  parseJsonBody,
  sendGoogleError,
  sendRateLimited,
  sendUnauthenticated,
} from './google-fake';

/** An event as `events.list` returns it [C1]. */
export type CalendarFakeEvent = Record<string, unknown> & { id: string; status: string; updated: string };

interface Stored {
  event: CalendarFakeEvent;
  /** The calendar's change counter when it last changed: what sync tokens compare. */
  seq: number;
}

interface Channel {
  id: string;
  resourceId: string;
  token: string | undefined;
  address: string;
  expiration: number;
  messageNumber: number;
  stopped: boolean;
}

interface Calendar {
  id: string;
  resourceId: string;
  seq: number;
  events: Map<string, Stored>;
  /** Live sync tokens → the change counter they were issued at. */
  syncTokens: Map<string, number>;
  channels: Map<string, Channel>;
}

export interface CalendarFakeOptions {
  /** The calendars (ids: each the address of the account it is the primary calendar of). */
  calendars: readonly string[];
  random: () => number;
  /** Marks this run's events (summaries), so two runs against one database do not collide. */
  runId?: string;
  /** A token accepted for every calendar (besides each account's `fakeGoogleAccessToken`). */
  accessToken?: string;
  /** Share of API calls answered 403 `userRateLimitExceeded` [C4]. Default 0. */
  throttleRate?: number;
  /** Refuse a channel address that is not https, as Google does [C2]. Default false (local runs are http). */
  requireHttps?: boolean;
  /** Share of notifications delivered twice (Google retries after a 5xx or a timeout [C2]). Default 0.05. */
  duplicateRate?: number;
  /** Share of notifications held back and delivered after the next one. Default 0.1. */
  outOfOrderRate?: number;
}

/** [C2] A channel's lifetime when the request asks for none (Google's own default is not documented). */
const DEFAULT_CHANNEL_TTL_MS = 7 * 24 * 3600 * 1000;
const SUMMARIES = ['Stand-up', 'Design review', '1:1', 'Customer call', 'Planning', 'Lunch', 'Interview', 'Retro'];
const ROOMS = ['Room 1', 'Room 2', 'Online', 'Cafe', null];
const DOMAINS = ['example.com', 'example.org'];
/** [C1] Event ids: the base32hex alphabet. */
const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

export class CalendarFake extends FakeProviderBase {
  readonly source = 'calendar';
  readonly title = 'Google Calendar (simulated)';
  private readonly calendars = new Map<string, Calendar>();
  private readonly options: CalendarFakeOptions;
  private readonly apiRandom: () => number;
  private readonly runId: string;
  /** `sync` notifications `events.watch` sends at once [C2], sent with the next change. */
  private readonly pendingSync: FakeDelivery[] = [];
  throttled = 0;
  gone = 0;

  constructor(options: CalendarFakeOptions) {
    super({ tenants: options.calendars.map((id) => id.trim().toLowerCase()), random: options.random });
    this.options = options;
    this.runId = options.runId ?? 'sim';
    this.apiRandom = createRandom(Math.floor(options.random() * 2 ** 31));
    for (const id of this.tenants) {
      this.calendars.set(id, {
        id,
        resourceId: this.lowerId(19),
        seq: 0,
        events: new Map(),
        syncTokens: new Map(),
        channels: new Map(),
      });
    }
  }

  private lowerId(length: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'): string {
    let id = '';
    for (let index = 0; index < length; index++) id += alphabet[Math.floor(this.random() * alphabet.length)];
    return id;
  }

  private calendar(id: string): Calendar | undefined {
    return this.calendars.get(id.trim().toLowerCase());
  }

  /** A calendar's events (cancelled ones included), for tests. */
  events(calendarId: string): CalendarFakeEvent[] {
    return [...(this.calendar(calendarId)?.events.values() ?? [])].map((stored) => stored.event);
  }

  /** A calendar's live channels, for tests. */
  channels(calendarId: string): { id: string; resourceId: string; token: string | undefined; expiration: number }[] {
    return [...(this.calendar(calendarId)?.channels.values() ?? [])]
      .filter((channel) => !channel.stopped && channel.expiration > Date.now())
      .map(({ id, resourceId, token, expiration }) => ({ id, resourceId, token, expiration }));
  }

  /** The server invalidates a calendar's sync tokens: the next incremental sync is 410 `fullSyncRequired` [C3]. */
  invalidateSyncTokens(calendarId: string): void {
    this.calendar(calendarId)?.syncTokens.clear();
  }

  // -- changes ------------------------------------------------------------------------------------

  private touch(calendar: Calendar, event: CalendarFakeEvent): void {
    calendar.seq += 1;
    calendar.events.set(event.id, { event, seq: calendar.seq });
  }

  private person(): string {
    const { first, last } = this.personName();
    return `${first}.${last}@${this.pick(DOMAINS)}`.replace(/-/g, '').toLowerCase();
  }

  private times(at: number): Pick<CalendarFakeEvent, 'start' | 'end'> {
    const day = 24 * 3600 * 1000;
    const startDay = Math.floor(at / day) * day + Math.floor(this.random() * 14) * day;
    if (this.random() < 0.15) {
      // [C1] All-day events: `date`, the end exclusive.
      const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);
      return { start: { date: date(startDay) }, end: { date: date(startDay + day) } };
    }
    const start = startDay + (8 + Math.floor(this.random() * 9)) * 3600 * 1000;
    const end = start + (1 + Math.floor(this.random() * 4)) * 15 * 60 * 1000;
    const dateTime = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
    return {
      start: { dateTime: dateTime(start), timeZone: 'Europe/London' },
      end: { dateTime: dateTime(end), timeZone: 'Europe/London' },
    };
  }

  private create(calendar: Calendar, at: number): CalendarFakeEvent {
    const id = this.lowerId(26, BASE32HEX);
    const updated = new Date(at).toISOString();
    const attendees = Array.from({ length: Math.floor(this.random() * 3) }, () => ({
      email: this.person(),
      responseStatus: this.pick(['needsAction', 'accepted', 'tentative', 'declined']),
    }));
    const location = this.pick(ROOMS);
    const event: CalendarFakeEvent = {
      kind: 'calendar#event',
      etag: `"${at}000"`,
      id,
      status: 'confirmed',
      htmlLink: `https://www.google.com/calendar/event?eid=${id}`,
      created: updated,
      updated,
      summary: `${this.pick(SUMMARIES)} [${this.runId}]`,
      ...(location ? { location } : {}),
      creator: { email: calendar.id, self: true },
      organizer: { email: calendar.id, self: true },
      ...this.times(at),
      iCalUID: `${id}@google.com`,
      sequence: 0,
      ...(attendees.length > 0
        ? { attendees: [{ email: calendar.id, organizer: true, self: true, responseStatus: 'accepted' }, ...attendees] }
        : {}),
      reminders: { useDefault: true },
      eventType: 'default',
    };
    this.touch(calendar, event);
    return event;
  }

  /** Records that exist before a run: only a full sync finds them. */
  protected seedRecords(tenant: string, _index: number, at: number): void {
    const calendar = this.calendar(tenant);
    if (calendar) this.create(calendar, at);
  }

  /** Change `calendarId` once: an event is created, moved or renamed, or cancelled. */
  change(calendarId: string): void {
    const calendar = this.calendar(calendarId);
    if (!calendar) throw new Error(`[@act/connector-gmail] the fake has no calendar ${calendarId}`);
    const live = [...calendar.events.values()].filter((stored) => stored.event.status !== 'cancelled');
    const roll = this.random();
    const at = this.now();
    if (live.length < 3 || roll < 0.35) {
      this.create(calendar, at);
      return;
    }
    const { event } = this.pick(live);
    if (roll < 0.88) {
      const changed: CalendarFakeEvent = {
        ...event,
        etag: `"${at}000"`,
        updated: new Date(at).toISOString(),
        sequence: Number(event.sequence ?? 0) + 1,
        ...(this.random() < 0.5 ? this.times(at) : { summary: `${this.pick(SUMMARIES)} [${this.runId}]` }),
      };
      this.touch(calendar, changed);
      return;
    }
    // [C1] A deleted event stays listed as cancelled, with little besides its id.
    this.touch(calendar, {
      kind: 'calendar#event',
      etag: `"${at}000"`,
      id: event.id,
      status: 'cancelled',
      updated: new Date(at).toISOString(),
    });
  }

  private notification(channel: Channel, calendar: Calendar, state: 'sync' | 'exists'): FakeDelivery {
    // [C2] 1 for sync, then growing but not sequential.
    channel.messageNumber = state === 'sync' ? 1 : channel.messageNumber + 1 + Math.floor(this.random() * 5);
    return {
      source: this.source,
      body: '',
      headers: {
        'x-goog-channel-id': channel.id,
        ...(channel.token !== undefined ? { 'x-goog-channel-token': channel.token } : {}),
        'x-goog-channel-expiration': new Date(channel.expiration).toUTCString(),
        'x-goog-resource-id': channel.resourceId,
        'x-goog-resource-uri': resourceUri(calendar.id),
        'x-goog-resource-state': state,
        'x-goog-message-number': String(channel.messageNumber),
      },
      kind: state === 'sync' ? 'created' : 'updated',
    };
  }

  /** The next change at Google Calendar, as the notifications its live channels get [C2]. */
  async next(): Promise<FakeDelivery[]> {
    const deliveries: FakeDelivery[] = this.pendingSync.splice(0);
    const calendarId = this.pick(this.tenants);
    const calendar = this.calendar(calendarId) as Calendar;
    this.change(calendarId);
    for (const channel of calendar.channels.values()) {
      if (channel.stopped || channel.expiration <= Date.now()) continue;
      const notification = this.notification(channel, calendar, 'exists');
      deliveries.push(
        ...this.mixDelivery(notification, {
          outOfOrderRate: this.options.outOfOrderRate ?? 0.1,
          duplicateRate: this.options.duplicateRate ?? 0.05,
        }),
      );
    }
    this.sentCount += deliveries.length;
    return deliveries;
  }

  /** A notification still held back (the end of a scenario). */
  flush(): FakeDelivery[] {
    return this.releaseHeld();
  }

  // -- truth --------------------------------------------------------------------------------------

  expected(): ExpectedTable[] {
    const table: ExpectedTable = {
      table: 'calendar_events',
      keyColumns: ['calendar_id', 'id'],
      columns: ['status', 'summary', 'location', 'organizer_email', 'attendee_emails'],
      rows: [],
    };
    for (const calendar of this.calendars.values()) {
      for (const { event } of calendar.events.values()) {
        const key = { calendar_id: calendar.id, id: event.id };
        if (event.status === 'cancelled') {
          table.rows.push({ key, values: {}, deleted: true });
          continue;
        }
        const attendees = (event.attendees as { email: string }[] | undefined) ?? [];
        table.rows.push({
          key,
          values: {
            status: event.status,
            summary: event.summary ?? null,
            location: event.location ?? null,
            organizer_email: (event.organizer as { email?: string } | undefined)?.email ?? null,
            attendee_emails: attendees.map((attendee) => attendee.email),
          },
          version: Date.parse(event.updated),
          deleted: false,
        });
      }
    }
    return [table];
  }

  apiSummary(): string {
    return `${this.apiRequests} API requests, ${this.throttled} rate-limited (403), ${this.gone} sync tokens gone (410)`;
  }

  // -- the API ------------------------------------------------------------------------------------

  handleApi(request: FakeApiRequest, response: FakeApiResponse, path: string): void {
    this.apiRequests += 1;
    this.answer(request, response, path).catch((error: unknown) => {
      sendGoogleError(response, 500, 'backendError', error instanceof Error ? error.message : String(error));
    });
  }

  private authorised(request: FakeApiRequest, calendarId: string | undefined): boolean {
    const token = bearer(request);
    if (token === undefined) return false;
    if (this.options.accessToken !== undefined && token === this.options.accessToken) return true;
    const account = accountOfToken(token);
    return account !== undefined && (calendarId === undefined || account === calendarId.toLowerCase());
  }

  private async answer(request: FakeApiRequest, response: FakeApiResponse, path: string) {
    const url = new URL(path, 'http://fake.invalid');
    const method = (request.method ?? 'GET').toUpperCase();
    if (url.pathname === '/calendar/v3/channels/stop' && method === 'POST') {
      if (!this.authorised(request, undefined)) return sendUnauthenticated(response);
      return this.stop(await readBody(request), response);
    }
    const match = /^\/calendar\/v3\/calendars\/([^/]+)\/events(\/watch)?$/.exec(url.pathname);
    if (!match) {
      sendGoogleError(response, 404, 'notFound', `the fake Calendar has no ${method} ${url.pathname}`);
      return;
    }
    const requested = decodeURIComponent(match[1] as string).toLowerCase();
    const token = bearer(request);
    const calendarId = requested === 'primary' && token ? (accountOfToken(token) ?? requested) : requested;
    if (!bearer(request)) return sendUnauthenticated(response);
    const calendar = this.calendar(calendarId);
    if (!calendar) return sendGoogleError(response, 404, 'notFound', 'Not Found');
    if (!this.authorised(request, calendar.id)) return sendGoogleError(response, 403, 'forbidden', 'Forbidden');
    if ((this.options.throttleRate ?? 0) > 0 && this.apiRandom() < (this.options.throttleRate ?? 0)) {
      this.throttled += 1;
      return sendRateLimited(response);
    }
    if (method === 'GET' && !match[2]) return this.list(calendar, url.searchParams, response);
    if (method === 'POST' && match[2]) return this.watch(calendar, await readBody(request), response);
    sendGoogleError(response, 404, 'notFound', `the fake Calendar has no ${method} ${url.pathname}`);
  }

  /** [C1] [C3] `events.list`, full or incremental. */
  private list(calendar: Calendar, query: URLSearchParams, response: FakeApiResponse) {
    const syncToken = query.get('syncToken');
    const maxResults = Math.min(2500, Math.max(1, Number(query.get('maxResults') ?? 250) || 250));
    const pageToken = query.get('pageToken');
    let window: { since: number; upto: number; after: number; showDeleted: boolean };
    if (pageToken !== null) {
      try {
        window = JSON.parse(atob(pageToken)) as typeof window;
      } catch {
        return sendGoogleError(response, 400, 'invalid', 'Invalid pageToken');
      }
    } else if (syncToken !== null) {
      for (const name of ['timeMin', 'timeMax', 'updatedMin', 'q', 'orderBy', 'iCalUID']) {
        if (query.has(name)) return sendGoogleError(response, 400, 'invalid', `syncToken cannot be used with ${name}`);
      }
      const since = calendar.syncTokens.get(syncToken);
      if (since === undefined) {
        this.gone += 1;
        return sendGoogleError(
          response,
          410,
          'fullSyncRequired',
          'Sync token is no longer valid, a full sync is required.',
        );
      }
      // [C3] Incremental results always carry deletions.
      window = { since, upto: calendar.seq, after: since, showDeleted: true };
    } else {
      window = { since: 0, upto: calendar.seq, after: 0, showDeleted: query.get('showDeleted') === 'true' };
    }
    const changed = [...calendar.events.values()]
      .filter((stored) => stored.seq > window.after && stored.seq <= window.upto)
      .filter((stored) => window.showDeleted || stored.event.status !== 'cancelled')
      .sort((a, b) => a.seq - b.seq);
    const page = changed.slice(0, maxResults);
    const more = changed.length > page.length;
    const body: Record<string, unknown> = {
      kind: 'calendar#events',
      etag: `"${calendar.seq}"`,
      summary: calendar.id,
      updated: new Date().toISOString(),
      timeZone: 'Europe/London',
      accessRole: 'owner',
      defaultReminders: [{ method: 'popup', minutes: 10 }],
    };
    if (more) {
      body.nextPageToken = btoa(JSON.stringify({ ...window, after: (page.at(-1) as Stored).seq }));
    } else {
      // [C3] Only the last page has the sync token.
      const token = `C${this.lowerId(30)}`;
      calendar.syncTokens.set(token, window.upto);
      body.nextSyncToken = token;
    }
    body.items = page.map((stored) => stored.event);
    sendJson(response, 200, body);
  }

  /** [C2] `events.watch`. */
  private watch(calendar: Calendar, text: string, response: FakeApiResponse) {
    const body = parseJsonBody(text);
    const id = body.id;
    const address = body.address;
    if (
      typeof id !== 'string' ||
      id === '' ||
      id.length > 64 ||
      body.type !== 'web_hook' ||
      typeof address !== 'string'
    ) {
      return sendGoogleError(
        response,
        400,
        'invalid',
        'A channel needs an id (up to 64 characters), type web_hook and an address',
      );
    }
    if (this.options.requireHttps && !address.startsWith('https://')) {
      return sendGoogleError(response, 400, 'push.webhookUrlNotHttps', `WebHook callback must be HTTPS: ${address}`);
    }
    if ([...calendar.channels.values()].some((channel) => channel.id === id)) {
      return sendGoogleError(response, 400, 'channelIdNotUnique', 'Channel id not unique');
    }
    const params = (body.params ?? {}) as { ttl?: unknown };
    const ttlMs = params.ttl !== undefined ? Number(params.ttl) * 1000 : undefined;
    const requested = body.expiration !== undefined ? Number(body.expiration) : undefined;
    const limit = Date.now() + DEFAULT_CHANNEL_TTL_MS;
    // [C2] "the more restrictive value is used".
    const expiration = Math.min(limit, requested ?? limit, ttlMs !== undefined ? Date.now() + ttlMs : limit);
    const token = typeof body.token === 'string' ? body.token : undefined;
    const channel: Channel = {
      id,
      resourceId: calendar.resourceId,
      token,
      address,
      expiration,
      messageNumber: 0,
      stopped: false,
    };
    calendar.channels.set(id, channel);
    this.pendingSync.push(this.notification(channel, calendar, 'sync'));
    sendJson(response, 200, {
      kind: 'api#channel',
      id,
      resourceId: calendar.resourceId,
      resourceUri: resourceUri(calendar.id),
      ...(token !== undefined ? { token } : {}),
      expiration: String(expiration),
    });
  }

  /** [C2] `channels/stop` `{ id, resourceId }`. */
  private stop(text: string, response: FakeApiResponse) {
    const body = parseJsonBody(text);
    for (const calendar of this.calendars.values()) {
      const channel = calendar.channels.get(String(body.id));
      if (channel && channel.resourceId === body.resourceId) {
        channel.stopped = true;
        response.writeHead(204, {});
        response.end();
        return;
      }
    }
    sendGoogleError(response, 404, 'notFound', `Channel '${String(body.id)}' not found for project`);
  }
}

/** [C2] The watched collection's URI, as the guide's example writes it. */
function resourceUri(calendarId: string): string {
  return `https://www.googleapis.com/calendar/v3/calendars/${encodeURIComponent(calendarId).replace('%40', '@')}/events`;
}

/** A fake Google Calendar: see `CalendarFake`. */
export function createCalendarFake(options: CalendarFakeOptions): CalendarFake {
  return new CalendarFake(options);
}
