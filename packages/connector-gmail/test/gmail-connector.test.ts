import {
  VERSION as CORE_VERSION,
  createMemoryCredentialStore,
  createMemorySink,
  createMemoryStateStore,
  createWebhookHandler,
  createWorker,
} from '@act/core';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGmailConnector, loadGmailSettings, VERSION } from '../src/index';
import {
  fixtures,
  signedGmailRequest,
  TEST_ACCOUNT,
  TEST_BASE_URL,
  TEST_SECRET,
  TEST_TOKEN,
  thinEventBody,
} from './helpers/gmail-fixtures';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

function setup() {
  const connector = createGmailConnector(
    loadGmailSettings(
      { GMAIL_WEBHOOK_SECRET: TEST_SECRET, GMAIL_API_TOKEN: TEST_TOKEN },
      { retry: { baseDelayMs: 1 } },
    ),
  );
  const store = createMemoryStateStore();
  const sink = createMemorySink();
  const handle = createWebhookHandler({ processor: connector.webhook, store });
  const worker = createWorker({ connectors: [connector], store, sink, circuitBreaker: false });
  return { connector, store, sink, handle, worker };
}

const key = { account_id: TEST_ACCOUNT, id: 'rec_3Fz9Kd' };

describe('Gmail connector, end to end', () => {
  it('mirrors signed deliveries: create, update, delete', async () => {
    const { handle, worker, sink, store } = setup();

    expect((await handle(await signedGmailRequest(fixtures.recordCreated))).status).toBe(200);
    await worker.drain();
    expect(sink.row('gmail_records', key)?.values).toMatchObject({
      name: 'Ada Lovelace',
      email: 'ada.lovelace@example.com',
      status: 'active',
      updated_at: '2026-01-15T09:30:00.000Z',
      raw: { tags: ['vip'] },
    });

    await handle(await signedGmailRequest(fixtures.recordUpdated));
    await worker.drain();
    expect(sink.row('gmail_records', key)?.values).toMatchObject({ name: 'Ada King', status: 'paused' });

    // A redelivered older event changes nothing: the version guard.
    await handle(
      await signedGmailRequest(fixtures.recordCreated.replace('evt_01JHX4Q7ZK3M8R2T5V9W0YB6CD', 'evt_redelivered')),
    );
    await handle(await signedGmailRequest(fixtures.recordDeleted));
    await worker.drain();
    expect(sink.rows('gmail_records')).toEqual([]);
    expect(sink.row('gmail_records', key)?.deletedAt).toBeInstanceOf(Date);

    const outcomes = (await store.listEvents({})).reverse().map((event) => `${event.type}:${event.outcome}`);
    expect(outcomes).toEqual([
      'record.created:created',
      'record.updated:updated',
      'record.created:skipped',
      'record.deleted:deleted',
    ]);
  });

  it('runs typed on() handlers once per committed webhook event, not for a redelivery the sink skipped', async () => {
    const { connector, handle, worker } = setup();
    const seen: string[] = [];
    connector.on('record.updated', (event) => {
      seen.push(`updated ${event.payload.name}`);
    });
    connector.onAny((event) => {
      seen.push(`any ${event.type}`);
    });
    await handle(await signedGmailRequest(fixtures.recordUpdated));
    await handle(await signedGmailRequest(fixtures.recordCreated));
    await worker.drain();
    // The create is older than the update already mirrored: skipped, so no handler runs for it.
    expect(seen).toEqual(['updated Ada King', 'any record.updated']);
  });

  it('hydrates a thin event by fetching the record, versioned by the fetched updated_at', async () => {
    const { handle, worker, sink } = setup();
    const record = { ...JSON.parse(fixtures.recordUpdated).data.object, updated_at: '2026-01-15T10:30:00.000Z' };
    const api = nock(TEST_BASE_URL, { reqheaders: { authorization: `Bearer ${TEST_TOKEN}` } })
      .get(`/v1/accounts/${TEST_ACCOUNT}/records/rec_3Fz9Kd`)
      .reply(200, record);

    expect((await handle(await signedGmailRequest(thinEventBody()))).status).toBe(200);
    expect(await worker.drain()).toMatchObject({ outcomes: { done: 1 } });
    expect(api.isDone()).toBe(true);
    const row = sink.row('gmail_records', key);
    expect(row?.values).toMatchObject({ name: 'Ada King', status: 'paused' });
    expect(row?.version).toBe(Date.parse('2026-01-15T10:30:00.000Z'));
  });

  it('applies nothing for a thin event whose record is gone (404), and completes the delivery', async () => {
    const { handle, worker, sink, store } = setup();
    nock(TEST_BASE_URL)
      .get(`/v1/accounts/${TEST_ACCOUNT}/records/rec_3Fz9Kd`)
      .reply(404, { error: { code: 'not_found' } });
    await handle(await signedGmailRequest(thinEventBody()));
    expect(await worker.drain()).toMatchObject({ outcomes: { done: 1 } });
    expect(sink.rows('gmail_records')).toEqual([]);
    expect((await store.listEvents({}))[0]).toMatchObject({ entityId: 'rec_3Fz9Kd', outcome: 'ignored' });
  });

  it('puts a thin event back in the inbox when Gmail fails, keeping the reason', async () => {
    const { handle, worker, store } = setup();
    nock(TEST_BASE_URL).get(`/v1/accounts/${TEST_ACCOUNT}/records/rec_3Fz9Kd`).times(3).reply(503);
    await handle(await signedGmailRequest(thinEventBody()));
    expect(await worker.runOnce()).toMatchObject({ outcomes: { retrying: 1 } });
    const [delivery] = await store.listDeliveries({});
    expect(delivery).toMatchObject({ status: 'pending', lastErrorClass: 'transient', attempts: 1 });
    expect(delivery?.lastError).toContain('failed: HTTP 503');
  });

  it('exposes its parts: id, package, one poller, migrations, a no-op credential refresh', async () => {
    const { connector } = setup();
    expect(connector).toMatchObject({
      specificationVersion: 'v1',
      source: 'gmail',
      packageName: '@act/connector-gmail',
    });
    expect(connector.pollers.map((poller) => poller.stream)).toEqual(['records']);
    expect(connector.migrations.map((migration) => migration.name)).toEqual([
      '0001_gmail_records',
      '0002_gmail_version_order',
    ]);
    await expect(connector.refreshCredentials(TEST_ACCOUNT)).resolves.toBeUndefined();
    expect(VERSION).toBe(CORE_VERSION); // both '0.0.0-test' when run from source
  });

  it('tells the scheduler its poller is a webhook fallback; a static token has nothing to renew', () => {
    const { connector } = setup();
    expect(connector.pollers[0]).toMatchObject({ stream: 'records', fallback: true });
    expect('intervalMs' in connector.pollers[0]).toBe(false);
    expect(connector.reconcilers[0].stream).toBe('records');
    expect(connector.renewCredentials).toBeUndefined();
  });

  it('with OAuth2, renewCredentials refreshes only a token expiring within aheadMs', async () => {
    const credentials = createMemoryCredentialStore();
    const key = `gmail:${TEST_ACCOUNT}`;
    const expiresAt = Date.now() + 3_600_000;
    await credentials.put(key, { accessToken: 'access-1', refreshToken: 'refresh-1', expiresAt });
    const connector = createGmailConnector({
      webhookSecrets: [TEST_SECRET],
      oauth: { clientId: 'client-1', clientSecret: 'secret-1', credentials },
      retry: { baseDelayMs: 1 },
    });
    const forms: URLSearchParams[] = [];
    nock(TEST_BASE_URL)
      .post('/oauth/token')
      .reply(200, async (request: Request) => {
        forms.push(new URLSearchParams(await request.text()));
        return { access_token: 'access-2', refresh_token: 'refresh-2', expires_in: 3600 };
      });
    expect(await connector.renewCredentials?.({ tenant: TEST_ACCOUNT, aheadMs: 600_000 })).toEqual({
      expiresAt: new Date(expiresAt),
    });
    expect(forms).toHaveLength(0);
    // Asked to renew anything expiring within two hours: this one does.
    const renewed = await connector.renewCredentials?.({ tenant: TEST_ACCOUNT, aheadMs: 7_200_000 });
    expect(forms.map((form) => form.get('refresh_token'))).toEqual(['refresh-1']);
    const stored = await credentials.get(key);
    expect(stored?.value).toMatchObject({ accessToken: 'access-2', refreshToken: 'refresh-2' });
    expect(renewed).toEqual({ expiresAt: new Date(stored?.value.expiresAt as number) });
  });
});
