// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers read field by field
// The fake Gmail and the fake Google Calendar (./testing) answer as Google's
// documentation says, so the demo, the benchmarks and tests exercise the
// connectors against Google's behaviour: history ids, pagination, 404 and 410,
// watch and channels, signed pushes and X-Goog notifications.
import { jwks } from '@act/connector-kit';
import { createRandom, type FakeDelivery, fetchFromFake } from '@act/core/testing/fake';
import { describe, expect, it } from 'vitest';
import { createCalendarFake } from '../src/testing/calendar-fake';
import { createGmailFake, type GmailFake } from '../src/testing/fake';
import { FIXTURES } from '../src/testing/fixtures';
import { fakeGoogleAccessToken } from '../src/testing/google-fake';

const PREFIX = 'https://google.fake';
const ADA = 'ada@example.com';
const GRACE = 'grace@example.com';

function gmail(options: Partial<Parameters<typeof createGmailFake>[0]> = {}) {
  const fake = createGmailFake({ mailboxes: [ADA, GRACE], random: createRandom(7), runId: 'test', ...options });
  const fetch = fetchFromFake(fake, PREFIX);
  const call = async (path: string, init: RequestInit & { as?: string } = {}) => {
    const response = await fetch(`${PREFIX}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${fakeGoogleAccessToken(init.as ?? ADA)}`, ...init.headers },
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as Record<string, any>) };
  };
  return { fake, fetch, call };
}

function decodePush(delivery: FakeDelivery): { emailAddress: string; historyId: string } {
  const body = JSON.parse(delivery.body) as { message: { data: string } };
  return JSON.parse(atob(body.message.data)) as { emailAddress: string; historyId: string };
}

async function watchAll(fake: GmailFake, call: ReturnType<typeof gmail>['call']): Promise<void> {
  for (const address of fake.tenants) {
    await call('/gmail/v1/users/me/watch', {
      method: 'POST',
      as: address,
      body: JSON.stringify({ topicName: 'projects/p/topics/t' }),
    });
  }
}

describe('the fake Gmail', () => {
  it('answers watch as the guide shows (strings here, as the reference types them) and publishes at once', async () => {
    const { fake, call } = gmail();
    const documented = JSON.parse(FIXTURES['gmail-watch.response.json'] as string) as Record<string, unknown>;
    const watch = await call('/gmail/v1/users/me/watch', {
      method: 'POST',
      body: JSON.stringify({ topicName: 'projects/myproject/topics/mytopic', labelIds: ['INBOX'] }),
    });
    expect(watch.status).toBe(200);
    expect(Object.keys(watch.body ?? {}).sort()).toEqual(Object.keys(documented).sort());
    expect(watch.body?.historyId).toBe(fake.historyId(ADA));
    expect(Number(watch.body?.expiration)).toBeGreaterThan(Date.now() + 6 * 24 * 3600 * 1000);
    expect(fake.watching(ADA)).toBe(true);
    // A bad topic is refused; stop ends the watch (no more pushes).
    const bad = await call('/gmail/v1/users/me/watch', { method: 'POST', body: '{"topicName":"mytopic"}' });
    expect(bad.status).toBe(400);

    const deliveries = await fake.next();
    const pushes = deliveries.map(decodePush);
    expect(pushes[0]).toEqual({ emailAddress: ADA, historyId: watch.body?.historyId });

    expect((await call('/gmail/v1/users/me/stop', { method: 'POST' })).status).toBe(204);
    expect(fake.watching(ADA)).toBe(false);
  });

  it('signs pushes as Pub/Sub does: wrapped body, base64 data, an RS256 token its own JWKS verifies', async () => {
    const { fake, fetch, call } = gmail({ outOfOrderRate: 0, duplicateRate: 0 });
    await watchAll(fake, call);
    const deliveries: FakeDelivery[] = [];
    while (deliveries.length < 6) deliveries.push(...(await fake.next()));
    const verify = jwks({
      url: `${PREFIX}/oauth2/v3/certs`,
      fetch,
      issuers: ['https://accounts.google.com', 'accounts.google.com'],
      audience: fake.push.audience,
    });
    for (const delivery of deliveries) {
      const body = JSON.parse(delivery.body) as { message: Record<string, string>; subscription: string };
      expect(body.subscription).toBe(fake.push.subscription);
      expect(body.message.messageId).toBe(body.message.message_id);
      expect(body.message.publishTime).toBe(body.message.publish_time);
      expect(fake.tenants).toContain(decodePush(delivery).emailAddress);
      const verified = await verify({ headers: { authorization: delivery.headers.authorization as string } } as never);
      expect(verified).toMatchObject({
        ok: true,
        claims: { email: fake.push.serviceAccountEmail, email_verified: true, iss: 'https://accounts.google.com' },
      });
    }
    // The key set without a round trip verifies too; a token from elsewhere does not.
    const local = jwks({
      keySet: fake.keySet(),
      issuers: ['https://accounts.google.com'],
      audience: fake.push.audience,
    });
    const [first] = deliveries;
    expect(await local({ headers: { authorization: first?.headers.authorization as string } } as never)).toMatchObject({
      ok: true,
    });
    expect(await local({ headers: { authorization: 'Bearer a.b.c' } } as never)).toMatchObject({ ok: false });
  });

  it('pushes only for watched mailboxes, and redelivers with the same messageId', async () => {
    const { fake, call } = gmail({ duplicateRate: 1, outOfOrderRate: 0 });
    expect(await fake.next()).toEqual([]);
    await watchAll(fake, call);
    await fake.next(); // the watch notifications
    const [push, duplicate] = await fake.next();
    expect(duplicate?.kind).toBe('duplicate');
    expect(duplicate?.body).toBe(push?.body);
  });

  it('answers history.list after startHistoryId, paged, filtered by historyTypes, 404 once history is gone', async () => {
    const { fake, call } = gmail();
    fake.seed(4);
    const start = fake.historyId(ADA);
    for (let index = 0; index < 40; index++) fake.change(ADA);
    const current = fake.historyId(ADA);

    const records: Record<string, any>[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const page = await call(
        `/gmail/v1/users/${ADA}/history?startHistoryId=${start}&maxResults=7${pageToken ? `&pageToken=${pageToken}` : ''}`,
      );
      expect(page.status).toBe(200);
      expect(page.body?.historyId).toBe(current);
      records.push(...(page.body?.history ?? []));
      pageToken = page.body?.nextPageToken;
      pages += 1;
    } while (pageToken);
    expect(records).toHaveLength(40);
    expect(pages).toBe(6);
    const ids = records.map((record) => BigInt(record.id as string));
    expect(ids.every((id, index) => index === 0 || id > (ids[index - 1] as bigint))).toBe(true);
    expect(ids[0] as bigint).toBeGreaterThan(BigInt(start));
    for (const record of records) {
      expect(record.messages).toHaveLength(1);
      const kinds = ['messagesAdded', 'messagesDeleted', 'labelsAdded', 'labelsRemoved'].filter((k) => k in record);
      expect(kinds).toHaveLength(1);
    }

    const deletions = await call(
      `/gmail/v1/users/me/history?startHistoryId=${start}&historyTypes=messageDeleted&maxResults=500`,
    );
    expect(
      (deletions.body?.history ?? []).every((record: Record<string, unknown>) => 'messagesDeleted' in record),
    ).toBe(true);
    // Nothing after the current id: no `history` field at all [G4].
    const empty = await call(`/gmail/v1/users/me/history?startHistoryId=${current}`);
    expect(empty.body).toEqual({ historyId: current });

    fake.expireHistory(ADA);
    const gone = await call(`/gmail/v1/users/me/history?startHistoryId=${start}`);
    expect(gone.status).toBe(404);
    expect(gone.body?.error).toMatchObject({ code: 404, errors: [{ reason: 'notFound' }], status: 'NOT_FOUND' });
    expect((await call(`/gmail/v1/users/me/history?startHistoryId=${current}`)).status).toBe(200);
  });

  it('lists messages newest first with a page token, and gets them with format=metadata and metadataHeaders', async () => {
    const { fake, call } = gmail();
    fake.seed(5);
    const first = await call('/gmail/v1/users/me/messages?maxResults=3');
    expect(first.body?.messages).toHaveLength(3);
    expect(first.body?.resultSizeEstimate).toBe(5);
    const second = await call(`/gmail/v1/users/me/messages?maxResults=3&pageToken=${first.body?.nextPageToken}`);
    expect(second.body?.messages).toHaveLength(2);
    expect(second.body?.nextPageToken).toBeUndefined();
    const listed = [...(first.body?.messages ?? []), ...(second.body?.messages ?? [])].map((m: { id: string }) => m.id);
    expect(new Set(listed)).toEqual(new Set(fake.messages(ADA).map((message) => message.id)));

    const id = listed[0] as string;
    const metadata = await call(
      `/gmail/v1/users/me/messages/${id}?format=metadata&metadataHeaders=From&metadataHeaders=subject`,
    );
    expect(metadata.body).toMatchObject({
      id,
      historyId: expect.stringMatching(/^\d+$/),
      internalDate: expect.any(String),
    });
    expect(metadata.body?.payload.headers.map((header: { name: string }) => header.name)).toEqual(['From', 'Subject']);
    const raw = await call(`/gmail/v1/users/me/messages/${id}?format=raw`);
    expect(atob(String(raw.body?.raw).replaceAll('-', '+').replaceAll('_', '/'))).toContain('Subject: ');
    expect((await call('/gmail/v1/users/me/messages/ffffffffffffffff')).status).toBe(404);
    const profile = await call('/gmail/v1/users/me/profile');
    expect(profile.body).toMatchObject({ emailAddress: ADA, messagesTotal: 5, historyId: fake.historyId(ADA) });
  });

  it('refuses a missing token, another account’s mailbox, and answers 403 rate limits as Google does', async () => {
    const { call } = gmail();
    expect((await call('/gmail/v1/users/me/profile', { headers: { authorization: '' } })).status).toBe(401);
    expect((await call(`/gmail/v1/users/${GRACE}/profile`, { as: ADA })).status).toBe(403);
    const throttled = gmail({ throttleRate: 1 });
    const answer = await throttled.call('/gmail/v1/users/me/profile');
    expect(answer.status).toBe(403);
    expect(answer.body?.error.errors[0]).toMatchObject({ reason: 'userRateLimitExceeded', domain: 'usageLimits' });
  });

  it('says what the mirror must hold: live messages at their history id, deletions as tombstones', async () => {
    const { fake } = gmail();
    fake.seed(3);
    for (let index = 0; index < 30; index++) fake.change(index % 2 ? ADA : GRACE);
    const [table] = fake.expected();
    expect(table?.table).toBe('gmail_messages');
    const live = table?.rows.filter((row) => !row.deleted) ?? [];
    expect(live).toHaveLength(fake.messages(ADA).length + fake.messages(GRACE).length);
    for (const row of live) {
      expect(row.version).toBe(Number(row.values.history_id));
      expect(row.values.from_addresses).toEqual([expect.stringMatching(/^[a-z.]+@example\.(com|org|net)$/)]);
    }
    expect(table?.rows.some((row) => row.deleted)).toBe(true);
  });
});

describe('the fake Google Calendar', () => {
  function calendar(options: Partial<Parameters<typeof createCalendarFake>[0]> = {}) {
    const fake = createCalendarFake({ calendars: [ADA, GRACE], random: createRandom(3), runId: 'test', ...options });
    const fetch = fetchFromFake(fake, PREFIX);
    const call = async (path: string, init: RequestInit & { as?: string } = {}) => {
      const response = await fetch(`${PREFIX}/calendar/v3/${path}`, {
        ...init,
        headers: { authorization: `Bearer ${fakeGoogleAccessToken(init.as ?? ADA)}`, ...init.headers },
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as Record<string, any>) };
    };
    return { fake, call };
  }

  async function listAll(call: ReturnType<typeof calendar>['call'], query: string) {
    const items: Record<string, any>[] = [];
    let pageToken: string | undefined;
    let last: Record<string, any> | undefined;
    do {
      const page = await call(`calendars/${ADA}/events?${query}${pageToken ? `&pageToken=${pageToken}` : ''}`);
      expect(page.status).toBe(200);
      last = page.body;
      items.push(...(last?.items ?? []));
      pageToken = last?.nextPageToken;
      // [C3] nextSyncToken only on the last page.
      if (pageToken) expect(last?.nextSyncToken).toBeUndefined();
    } while (pageToken);
    return { items, syncToken: last?.nextSyncToken as string };
  }

  it('lists in pages with nextSyncToken on the last, then only changes (cancelled included); 410 once invalidated', async () => {
    const { fake, call } = calendar();
    fake.seed(7);
    const full = await listAll(call, 'maxResults=3');
    expect(full.items).toHaveLength(7);
    expect(full.syncToken).toMatch(/^C/);
    for (let index = 0; index < 40; index++) fake.change(ADA);
    const changed = await listAll(call, `syncToken=${full.syncToken}&maxResults=4`);
    expect(changed.items.length).toBeGreaterThan(0);
    const cancelled = fake.events(ADA).filter((event) => event.status === 'cancelled');
    expect(cancelled.length).toBeGreaterThan(0);
    for (const event of cancelled) expect(changed.items.map((item) => item.id)).toContain(event.id);
    // A full listing leaves cancelled events out unless showDeleted=true [C1].
    expect((await listAll(call, '')).items.some((item) => item.status === 'cancelled')).toBe(false);
    expect((await listAll(call, 'showDeleted=true')).items).toHaveLength(fake.events(ADA).length);
    // syncToken with timeMin is refused; an invalidated token is 410 fullSyncRequired [C4].
    expect(
      (await call(`calendars/${ADA}/events?syncToken=${changed.syncToken}&timeMin=2026-01-01T00:00:00Z`)).status,
    ).toBe(400);
    fake.invalidateSyncTokens(ADA);
    const gone = await call(`calendars/${ADA}/events?syncToken=${changed.syncToken}`);
    expect(gone.status).toBe(410);
    expect(gone.body?.error.errors[0]).toMatchObject({ reason: 'fullSyncRequired' });
  });

  it('makes channels with events.watch (the guide’s keys), notifies them with X-Goog headers, stops them', async () => {
    const { fake, call } = calendar({ duplicateRate: 0, outOfOrderRate: 0 });
    expect(await fake.next()).toEqual([]); // no channel: nothing to notify
    const documented = JSON.parse(FIXTURES['calendar-watch-response.json'] as string) as Record<string, unknown>;
    const watch = await call(`calendars/${ADA}/events/watch`, {
      method: 'POST',
      body: JSON.stringify({
        id: 'channel-1',
        type: 'web_hook',
        address: 'https://app.example/webhooks/calendar',
        token: 'secret-1',
        params: { ttl: '3600' },
      }),
    });
    expect(watch.status).toBe(200);
    expect(Object.keys(watch.body ?? {}).sort()).toEqual(Object.keys(documented).sort());
    expect(Number(watch.body?.expiration)).toBeLessThanOrEqual(Date.now() + 3600_000);
    expect(fake.channels(ADA)).toEqual([
      {
        id: 'channel-1',
        resourceId: watch.body?.resourceId,
        token: 'secret-1',
        expiration: Number(watch.body?.expiration),
      },
    ]);
    const sent: FakeDelivery[] = [];
    while (sent.filter((delivery) => delivery.headers['x-goog-resource-state'] === 'exists').length < 3) {
      sent.push(...(await fake.next()));
    }
    const [sync, ...exists] = sent;
    expect(sync?.headers).toMatchObject({
      'x-goog-channel-id': 'channel-1',
      'x-goog-channel-token': 'secret-1',
      'x-goog-resource-id': watch.body?.resourceId,
      'x-goog-resource-state': 'sync',
      'x-goog-message-number': '1',
    });
    expect(sync?.body).toBe('');
    const numbers = exists.map((delivery) => Number(delivery.headers['x-goog-message-number']));
    expect(numbers.every((number, index) => number > (index === 0 ? 1 : (numbers[index - 1] as number)))).toBe(true);
    expect(exists[0]?.headers['x-goog-resource-uri']).toBe(
      `https://www.googleapis.com/calendar/v3/calendars/${ADA}/events`,
    );

    const stop = await call('channels/stop', {
      method: 'POST',
      body: JSON.stringify({ id: 'channel-1', resourceId: watch.body?.resourceId }),
    });
    expect(stop.status).toBe(204);
    expect(fake.channels(ADA)).toEqual([]);
  });

  it('says what the mirror must hold: live events at Date.parse(updated), cancelled ones as tombstones', async () => {
    const { fake } = calendar();
    fake.seed(4);
    for (let index = 0; index < 30; index++) fake.change(ADA);
    const [table] = fake.expected();
    expect(table?.table).toBe('calendar_events');
    for (const row of table?.rows ?? []) {
      const event = fake.events(row.key.calendar_id as string).find((candidate) => candidate.id === row.key.id);
      expect(row.deleted).toBe(event?.status === 'cancelled');
      if (!row.deleted) expect(row.version).toBe(Date.parse(event?.updated as string));
    }
  });
});
