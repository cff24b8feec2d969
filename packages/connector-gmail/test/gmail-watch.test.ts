import {
  createMemoryCredentialStore,
  createMemorySink,
  createMemoryStateStore,
  createMemorySyncStore,
  createScheduler,
  noopLogger,
} from '@act/core';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGmailConnector } from '../src/gmail-connector';
import { JSON_HEADERS, MAILBOX, ORIGIN, TOKEN, USER } from './helpers/gmail-api';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = new Date('2026-12-01T00:00:00.000Z');
const TOPIC = 'projects/myproject/topics/mytopic';

/** A world on one fake clock: the connector keeping watches, the scheduler, and a Gmail that answers `watch` with a week. */
function world() {
  let clock = T0;
  const now = () => new Date(clock);
  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };
  const watchState = createMemoryCredentialStore();
  const sync = createMemorySyncStore({ now });
  const gmail = createGmailConnector({
    accessToken: TOKEN,
    retry: { maxAttempts: 1 },
    watch: { topicName: TOPIC, labelIds: ['INBOX'], labelFilterBehavior: 'INCLUDE' },
    watchState,
    now,
  });
  // Only the watch: no polls, no reconciliations on this clock.
  const connector = { ...gmail, pollers: [], reconcilers: [] };
  const watches: unknown[] = [];
  const serveWatch = (status = 200) =>
    nock(ORIGIN)
      .post(`${USER}/watch`, (body) => {
        watches.push(body);
        return true;
      })
      .reply(() =>
        status === 200
          ? [200, { historyId: '1000', expiration: String(clock.getTime() + 7 * DAY) }, JSON_HEADERS]
          : [status, { error: { code: status, message: 'Backend Error' } }, JSON_HEADERS],
      );
  const scheduler = createScheduler({
    connectors: [connector],
    store: createMemoryStateStore({ now }),
    sink: createMemorySink(),
    sync,
    now,
    random: () => 0.5,
    circuitBreaker: false,
  });
  const signals = async () =>
    (await gmail.healthSignals({ store: createMemoryStateStore(), sync, now: now() })).map((signal) => [
      signal.status,
      signal.code,
    ]);
  return { now, advance, gmail, scheduler, sync, watchState, watches, serveWatch, signals };
}

describe('the gmail-watch subscription', () => {
  it('is a subscription renewed daily: 6 days before a week-long watch lapses [G2]', () => {
    const { gmail } = world();
    expect(gmail.subscriptions).toEqual([expect.objectContaining({ name: 'gmail-watch', renewBeforeMs: 6 * DAY })]);
    expect(createGmailConnector({ accessToken: TOKEN }).subscriptions).toEqual([]);
    expect(
      createGmailConnector({
        push: { audience: 'a', serviceAccountEmail: 's' },
        watch: { topicName: TOPIC },
        logger: noopLogger,
      }).subscriptions,
    ).toEqual([]);
  });

  it('watches a connected mailbox, renews it a day later, and stops it on disconnect', async () => {
    const w = world();
    w.serveWatch();
    await w.scheduler.connect({ source: 'gmail', tenant: MAILBOX });
    await w.scheduler.tick();
    expect(w.watches).toEqual([{ topicName: TOPIC, labelIds: ['INBOX'], labelFilterBehavior: 'INCLUDE' }]);
    expect((await w.watchState.get(`gmail-watch:${MAILBOX}`))?.value).toMatchObject({
      expiresAt: new Date(T0.getTime() + 7 * DAY).toISOString(),
      historyId: '1000',
    });
    expect(await w.signals()).toEqual([]);

    w.advance(DAY - HOUR);
    await w.scheduler.tick();
    expect(w.watches).toHaveLength(1);
    w.serveWatch();
    w.advance(HOUR);
    await w.scheduler.tick();
    expect(w.watches).toHaveLength(2);
    expect((await w.watchState.get(`gmail-watch:${MAILBOX}`))?.value.expiresAt).toBe(
      new Date(T0.getTime() + 8 * DAY).toISOString(),
    );

    const stop = nock(ORIGIN).post(`${USER}/stop`).reply(204);
    await w.scheduler.disconnect({ source: 'gmail', tenant: MAILBOX });
    expect(stop.isDone()).toBe(true);
  });

  it('turns amber when renewals fail and the watch lapses within a day, red once it has lapsed', async () => {
    const w = world();
    w.serveWatch();
    await w.scheduler.connect({ source: 'gmail', tenant: MAILBOX });
    await w.scheduler.tick();
    w.advance(6 * DAY + HOUR);
    expect(await w.signals()).toEqual([['amber', 'watch_expiring']]);
    w.advance(DAY);
    expect(await w.signals()).toEqual([['red', 'watch_lapsed']]);
  });

  it('is red for a connected mailbox never watched while the connector keeps watches', async () => {
    const w = world();
    await w.sync.connect({ source: 'gmail', tenant: MAILBOX });
    expect(await w.signals()).toEqual([['red', 'watch_missing']]);
  });
});
