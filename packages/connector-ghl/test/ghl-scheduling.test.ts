// What the scheduler needs from the GHL connector: the locations an app event
// connects or disconnects, which pollers are webhook fallbacks, and OAuth
// renewal ahead of expiry.
import { readFileSync } from 'node:fs';
import { createMemoryCredentialStore } from '@act/core';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseGhlMarketplaceDelivery, parseGhlWorkflowDelivery } from '../src/ghl-webhook';
import { createGhlConnector, type GhlSourceEvent } from '../src/index';
import { BASE_URL } from './helpers/ghl-fake-api';
import { type WebhookFixtureName, webhookFixtures, withEnvelope, workflowBody } from './helpers/ghl-fixtures';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const NOW = Date.parse('2026-03-02T10:00:00.000Z');
const encoder = new TextEncoder();
const connector = createGhlConnector({ accessToken: 'pit-123' });

/** A documented example (values changed or a documented field added, never renamed) as the parser reads it. */
function event(name: WebhookFixtureName, set: Record<string, unknown> = {}): GhlSourceEvent {
  const body = JSON.stringify({ ...JSON.parse(webhookFixtures[name]), ...set });
  const [parsed] = parseGhlMarketplaceDelivery({
    body: encoder.encode(withEnvelope(body, { timestamp: new Date(NOW), webhookId: `wh-${name}` })),
    receivedAt: new Date(NOW),
  }).events;
  if (!parsed) throw new Error(`${name} parsed to no event`);
  return parsed;
}

describe('lifecycle: INSTALL and UNINSTALL (AppInstall.md, AppUninstall.md)', () => {
  it('a location install connects its location; the white-label example too', () => {
    expect(connector.lifecycle(event('app-install.1.json'))).toEqual([
      { action: 'connect', tenant: 'otg8dTQqGLh3Q6iQI55w' },
    ]);
    expect(connector.lifecycle(event('app-install.2.json'))).toEqual([
      { action: 'connect', tenant: 'otg8dTQqGLh3Q6iQI55w' },
    ]);
  });

  it('a bulk install connects every location of locationIds; an agency install without locations connects none', () => {
    expect(connector.lifecycle(event('app-install.3.json'))).toEqual([]);
    // `locationIds` of a bulk install: the official SDK's InstallWebhookRequest [G8].
    expect(connector.lifecycle(event('app-install.3.json', { locationIds: ['loc-a', 'loc-b', 'loc-a'] }))).toEqual([
      { action: 'connect', tenant: 'loc-a' },
      { action: 'connect', tenant: 'loc-b' },
    ]);
  });

  it('a location uninstall disconnects it as uninstalled; a company-level one names nothing to disconnect', () => {
    expect(connector.lifecycle(event('app-uninstall.1.json'))).toEqual([
      { action: 'disconnect', tenant: 'otg8dTQqGLh3Q6iQI55w', reason: 'uninstalled' },
    ]);
    expect(connector.lifecycle(event('app-uninstall.2.json'))).toEqual([]);
  });

  it('other events change no connection', () => {
    expect(connector.lifecycle(event('contact-create.1.json'))).toBeUndefined();
    const [workflow] = parseGhlWorkflowDelivery({
      body: encoder.encode(workflowBody()),
      receivedAt: new Date(NOW),
    }).events;
    expect(workflow && connector.lifecycle(workflow)).toBeUndefined();
  });
});

describe('pollers for the scheduler', () => {
  it('contacts, opportunities and appointments are webhook fallbacks; pipelines (no webhook) are polled', () => {
    expect(connector.pollers.map((poller) => ({ stream: poller.stream, fallback: poller.fallback ?? false }))).toEqual([
      { stream: 'contacts', fallback: true },
      { stream: 'opportunities', fallback: true },
      { stream: 'pipelines', fallback: false },
      { stream: 'appointments', fallback: true },
    ]);
  });

  it('each reconciler names the stream whose cursor it repairs', () => {
    expect(connector.reconcilers.map((reconciler) => [reconciler.table, reconciler.stream])).toEqual([
      ['ghl_contacts', 'contacts'],
      ['ghl_opportunities', 'opportunities'],
      ['ghl_pipelines', 'pipelines'],
    ]);
  });
});

describe('renewCredentials', () => {
  const LOCATION = 'otg8dTQqGLh3Q6iQI55w';
  const KEY = `ghl:${LOCATION}`;
  const fixture = JSON.parse(
    readFileSync(new URL('./fixtures/api-oauth-token.1.json', import.meta.url), 'utf8'),
  ) as Record<string, unknown>;

  async function oauthConnector(expiresAt: number) {
    const credentials = createMemoryCredentialStore();
    await credentials.put(KEY, { accessToken: 'access-1', refreshToken: 'refresh-1', expiresAt, userType: 'Location' });
    const ghl = createGhlConnector({
      oauth: { clientId: 'client-id', clientSecret: 'client-secret', credentials, leaseMs: 5_000 },
      api: { now: () => new Date(NOW), retry: { baseDelayMs: 1 } },
    });
    return { ghl, credentials };
  }

  /** GHL's token endpoint answering the documented example (`expires_in` 86399), rotated. */
  function tokenEndpoint(options: { delayMs?: number } = {}) {
    const bodies: URLSearchParams[] = [];
    nock(BASE_URL)
      .post('/oauth/token')
      .delay(options.delayMs ?? 0)
      .reply(200, async (request: Request) => {
        bodies.push(new URLSearchParams(await request.text()));
        return { ...fixture, access_token: 'access-2', refresh_token: 'refresh-2' };
      });
    return bodies;
  }

  it('is absent with a Private Integration Token (nothing expires)', () => {
    expect(connector.renewCredentials).toBeUndefined();
  });

  it('leaves a token that outlives aheadMs alone, and reports its expiry', async () => {
    const { ghl } = await oauthConnector(NOW + 3_600_000);
    const bodies = tokenEndpoint();
    expect(await ghl.renewCredentials?.({ tenant: LOCATION, aheadMs: 600_000 })).toEqual({
      expiresAt: new Date(NOW + 3_600_000),
    });
    expect(bodies).toHaveLength(0);
  });

  it('refreshes a token expiring within aheadMs once, however many ask at the same time', async () => {
    const { ghl, credentials } = await oauthConnector(NOW + 300_000);
    const bodies = tokenEndpoint({ delayMs: 20 });
    const results = await Promise.all([
      ghl.renewCredentials?.({ tenant: LOCATION, aheadMs: 600_000 }),
      ghl.renewCredentials?.({ tenant: LOCATION, aheadMs: 600_000 }),
      ghl.refreshCredentials(LOCATION),
    ]);
    expect(bodies).toHaveLength(1);
    expect(Object.fromEntries(bodies[0] ?? [])).toMatchObject({
      grant_type: 'refresh_token',
      refresh_token: 'refresh-1',
      user_type: 'Location',
    });
    expect(results.slice(0, 2)).toEqual([
      { expiresAt: new Date(NOW + 86_399_000) },
      { expiresAt: new Date(NOW + 86_399_000) },
    ]);
    expect(await credentials.get(KEY)).toMatchObject({
      revision: 2,
      value: { accessToken: 'access-2', refreshToken: 'refresh-2' },
    });
  });
});
