import { createMemoryStateStore, createWebhookHandler, PayloadError, type StateStoreV1 } from '@act/core';
import { testWebhookProcessor, type WebhookFixture } from '@act/core/testing';
import { describe, expect, it } from 'vitest';
import {
  createGhlWebhook,
  createGhlWorkflowWebhook,
  parseGhlDelivery,
  parseGhlMarketplaceDelivery,
} from '../src/ghl-webhook';
import {
  generateGhlTestKeys,
  ghlSignatureHeaders,
  signedGhlRequest,
  TEST_LOCATION,
  TEST_WORKFLOW_SECRET,
  type WebhookFixtureName,
  webhookFixtures,
  withEnvelope,
  workflowBody,
  workflowFixture,
  workflowRequest,
} from './helpers/ghl-fixtures';

const keys = await generateGhlTestKeys();
const processor = createGhlWebhook({ ed25519PublicKeys: [keys.ed25519Pem], rsaPublicKeys: [keys.rsaPem] });
const encoder = new TextEncoder();

const NOW = new Date('2026-03-02T10:00:00.000Z');
const at = (offsetMs = 0) => new Date(NOW.getTime() + offsetMs);
const handlerFor = (store: StateStoreV1, options: { processor?: typeof processor; now?: Date } = {}) =>
  createWebhookHandler({ processor: options.processor ?? processor, store, now: () => options.now ?? NOW });
const delivery = (name: WebhookFixtureName, webhookId = `wh_${name}`, timestamp: Date | string = NOW) =>
  withEnvelope(webhookFixtures[name], { timestamp, webhookId });
const parse = (body: string, receivedAt = NOW) =>
  parseGhlMarketplaceDelivery({ body: encoder.encode(body), receivedAt });

/** What each documented example parses to. Tenants: `locationId`, else `altId` (location), else `companyId`. */
const expectations: Record<WebhookFixtureName, { events: number; tenant: string; types?: string[] }> = {
  'contact-create.1.json': { events: 1, tenant: TEST_LOCATION, types: ['ContactCreate'] },
  'contact-update.1.json': { events: 1, tenant: TEST_LOCATION, types: ['ContactUpdate'] },
  'contact-delete.1.json': { events: 1, tenant: TEST_LOCATION, types: ['ContactDelete'] },
  'contact-tag-update.1.json': { events: 1, tenant: TEST_LOCATION, types: ['ContactTagUpdate'] },
  'contact-dnd-update.1.json': { events: 1, tenant: TEST_LOCATION, types: ['ContactDndUpdate'] },
  'opportunity-create.1.json': { events: 1, tenant: TEST_LOCATION, types: ['OpportunityCreate'] },
  'opportunity-update.1.json': { events: 1, tenant: TEST_LOCATION, types: ['OpportunityUpdate'] },
  'opportunity-delete.1.json': { events: 1, tenant: TEST_LOCATION, types: ['OpportunityDelete'] },
  'opportunity-status-update.1.json': { events: 1, tenant: TEST_LOCATION, types: ['OpportunityStatusUpdate'] },
  'opportunity-stage-update.1.json': { events: 1, tenant: TEST_LOCATION, types: ['OpportunityStageUpdate'] },
  'opportunity-monetary-value-update.1.json': {
    events: 1,
    tenant: TEST_LOCATION,
    types: ['OpportunityMonetaryValueUpdate'],
  },
  'opportunity-assigned-to-update.1.json': { events: 1, tenant: TEST_LOCATION, types: ['OpportunityAssignedToUpdate'] },
  'appointment-create.1.json': { events: 1, tenant: '0007BWpSzSwfiuSl0tR2', types: ['AppointmentCreate'] },
  // The AppointmentUpdate and AppointmentDelete doc pages show "type": "AppointmentCreate" (a doc error,
  // [G2]); the fixtures are verbatim, so they parse as what they say.
  'appointment-update.1.json': { events: 1, tenant: '0007BWpSzSwfiuSl0tR2', types: ['AppointmentCreate'] },
  'appointment-delete.1.json': { events: 1, tenant: '0007BWpSzSwfiuSl0tR2', types: ['AppointmentCreate'] },
  'task-create.1.json': { events: 1, tenant: TEST_LOCATION, types: ['TaskCreate'] },
  'task-complete.1.json': { events: 1, tenant: TEST_LOCATION, types: ['TaskComplete'] },
  'task-delete.1.json': { events: 1, tenant: TEST_LOCATION, types: ['TaskDelete'] },
  'note-create.1.json': { events: 1, tenant: TEST_LOCATION, types: ['NoteCreate'] },
  'note-update.1.json': { events: 1, tenant: TEST_LOCATION, types: ['NoteUpdate'] },
  'note-delete.1.json': { events: 1, tenant: TEST_LOCATION, types: ['NoteDelete'] },
  'app-install.1.json': { events: 1, tenant: 'otg8dTQqGLh3Q6iQI55w', types: ['INSTALL'] },
  'app-install.2.json': { events: 1, tenant: 'otg8dTQqGLh3Q6iQI55w', types: ['INSTALL'] },
  'app-install.3.json': { events: 1, tenant: 'otg8dTQqGLh3Q6iQI55w', types: ['INSTALL'] },
  'app-uninstall.1.json': { events: 1, tenant: 'otg8dTQqGLh3Q6iQI55w', types: ['UNINSTALL'] },
  'app-uninstall.2.json': { events: 1, tenant: 'otg8dTQqGLh3Q6iQI55w', types: ['UNINSTALL'] },
  // Not mirrored: stored and acknowledged, no events.
  'inbound-message.1.json': { events: 0, tenant: 'l1C08ntBrFjLS0elLIYU' },
  'inbound-message.2.json': { events: 0, tenant: 'kF4NJ5gzRyQF2gKFD34G' },
  // No `type` at all in the doc example; the tenant comes from altId/altType.
  'invoice-create.1.json': { events: 0, tenant: '6578278e879ad2646715ba9c' },
};

// Every documented example, in the envelope GHL documents for real deliveries
// (timestamp: now, so the kit's receipt-time check passes; a webhookId).
const liveFixtures = (Object.keys(webhookFixtures) as WebhookFixtureName[]).map(
  (name): WebhookFixture => ({
    name,
    body: withEnvelope(webhookFixtures[name], { timestamp: new Date(), webhookId: `wh_${name}` }),
    expected: { ...expectations[name], deliveryId: `wh_${name}` },
  }),
);

testWebhookProcessor({
  processor,
  fixtures: liveFixtures,
  sign: (body) => ghlSignatureHeaders(body, { keys }),
  unconfigured: createGhlWebhook({ ed25519PublicKeys: [], rsaPublicKeys: [] }),
});

describe('legacy x-wh-signature deliveries', () => {
  // GHL retired x-wh-signature (announced for 2026-07-01, Webhook Integration Guide,
  // https://marketplace.gohighlevel.com/docs/webhook/WebhookIntegrationGuide): off unless asked for.
  const legacy = createGhlWebhook({
    ed25519PublicKeys: [keys.ed25519Pem],
    rsaPublicKeys: [keys.rsaPem],
    legacyRsa: true,
  });
  const legacyRequest = async (name: WebhookFixtureName) => {
    const body = delivery(name);
    return {
      method: 'POST',
      url: 'http://localhost/webhooks/ghl',
      headers: await ghlSignatureHeaders(body, { keys, scheme: 'rsa' }),
      body: encoder.encode(body),
      receivedAt: NOW,
    };
  };

  it.each(['contact-update.1.json', 'opportunity-stage-update.1.json'] as const)(
    '%s verifies and parses with legacyRsa: true',
    async (name) => {
      const request = await legacyRequest(name);
      expect(await legacy.verify(request)).toEqual({ valid: true, keyId: 'rsa-0' });
      expect((await legacy.parse(request)).events).toHaveLength(1);
    },
  );

  it('is refused 401 by default, and accepted 200 with the option (issue 11, finding 12)', async () => {
    const body = delivery('contact-update.1.json');
    const byDefault = createGhlWebhook({ ed25519PublicKeys: [keys.ed25519Pem], rsaPublicKeys: [keys.rsaPem] });
    const refused = createMemoryStateStore();
    const response = await handlerFor(refused, { processor: byDefault })(
      await signedGhlRequest(body, { keys, scheme: 'rsa' }),
    );
    expect(response.status).toBe(401);
    expect(await refused.listDeliveries({})).toEqual([]);
    expect(await byDefault.verify(await legacyRequest('contact-update.1.json'))).toEqual({
      valid: false,
      reason: 'missing x-ghl-signature header (the legacy x-wh-signature scheme is turned off)',
    });
    const accepted = createMemoryStateStore();
    const ok = await handlerFor(accepted, { processor: legacy })(await signedGhlRequest(body, { keys, scheme: 'rsa' }));
    expect(ok.status).toBe(200);
    expect(await accepted.listDeliveries({})).toHaveLength(1);
  });
});

describe('signature headers must be canonical base64 (issue 11, finding 8)', () => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  /** The header with its last data character's lowest (unused) bit set: other text, same bytes. */
  const lastDataCharacterChanged = (signature: string) => {
    const at = signature.replace(/=+$/, '').length - 1;
    const changed = alphabet[alphabet.indexOf(signature[at] as string) ^ 1] as string;
    const mutated = signature.slice(0, at) + changed + signature.slice(at + 1);
    expect(atob(mutated)).toBe(atob(signature));
    expect(mutated).not.toBe(signature);
    return mutated;
  };
  const legacy = createGhlWebhook({
    ed25519PublicKeys: [keys.ed25519Pem],
    rsaPublicKeys: [keys.rsaPem],
    legacyRsa: true,
  });

  it.each(['ed25519', 'rsa'] as const)(
    'refuses a %s signature with its last data character changed',
    async (scheme) => {
      const body = delivery('contact-update.1.json');
      const header = scheme === 'ed25519' ? 'x-ghl-signature' : 'x-wh-signature';
      const signature = (await ghlSignatureHeaders(body, { keys, scheme }))[header] as string;
      const request = (value: string) => ({
        method: 'POST',
        url: 'http://localhost/webhooks/ghl',
        headers: { [header]: value },
        body: encoder.encode(body),
        receivedAt: NOW,
      });
      expect(await legacy.verify(request(signature))).toMatchObject({ valid: true });
      const unpadded = signature.replace(/=+$/, '');
      for (const mutated of [lastDataCharacterChanged(signature), unpadded, ` ${signature}`, `${signature}=`]) {
        expect(await legacy.verify(request(mutated))).toEqual({
          valid: false,
          reason: `malformed ${header} header (not base64)`,
        });
      }
      const store = createMemoryStateStore();
      const response = await handlerFor(store, { processor: legacy })(
        await signedGhlRequest(body, { keys, scheme, headers: { [header]: lastDataCharacterChanged(signature) } }),
      );
      expect(response.status).toBe(401);
      expect(await store.listDeliveries({})).toEqual([]);
    },
  );
});

describe('GHL webhook parsing', () => {
  it('turns a delivery into one event: the payload as sent, versioned by its timestamp', () => {
    expect(parse(delivery('contact-create.1.json', 'wh_1'))).toMatchInlineSnapshot(`
      {
        "deliveryId": "wh_1",
        "events": [
          {
            "entity": "contact",
            "entityId": "nmFmQEsNgz6AVpgLVUJ0",
            "observedAt": 1772445600000,
            "occurredAt": "2026-03-02T10:00:00.000Z",
            "origin": "marketplace-webhook",
            "payload": {
              "address1": "3535 1st St N",
              "assignedTo": "nmFmQEsNgz6AVpgLVUJ0",
              "attachments": [],
              "city": "ruDolomitebika",
              "companyName": "Loram ipsum",
              "country": "DE",
              "customFields": [
                {
                  "id": "BcdmQEsNgz6AVpgLVUJ0",
                  "value": "XYZ Corp",
                },
              ],
              "dateAdded": "2021-11-26T12:41:02.193Z",
              "dateOfBirth": "2000-01-05T00:00:00.000Z",
              "dnd": true,
              "email": "JohnDeo@gmail.comm",
              "firstName": "John",
              "id": "nmFmQEsNgz6AVpgLVUJ0",
              "lastName": "Deo",
              "locationId": "ve9EPM428h8vShlRW1KT",
              "name": "John Deo",
              "phone": "+919509597501",
              "postalCode": "452001",
              "source": "xyz form",
              "state": "AL",
              "tags": [
                "id magna sed Lorem",
                "Duis dolor commodo aliqua",
              ],
              "timestamp": "2026-03-02T10:00:00.000Z",
              "type": "ContactCreate",
              "webhookId": "wh_1",
              "website": "https://www.google.com/",
            },
            "source": "ghl",
            "tenant": "ve9EPM428h8vShlRW1KT",
            "type": "ContactCreate",
            "version": 1772445600000,
          },
        ],
        "tenant": "ve9EPM428h8vShlRW1KT",
      }
    `);
  });

  it('versions appointments by their own dateUpdated, not the delivery time', () => {
    const [event] = parse(delivery('appointment-create.1.json')).events;
    expect(event).toMatchObject({
      entity: 'appointment',
      entityId: '0007BWpSzSwfiuSl0tR2',
      version: Date.parse('2023-09-25T16:00:00+05:30'),
      occurredAt: NOW.toISOString(),
    });
  });

  it('without a timestamp: creates take dateAdded, other events get no version', () => {
    const [created] = parse(webhookFixtures['opportunity-create.1.json']).events;
    expect(created?.version).toBe(Date.parse('2021-11-26T12:41:02.193Z'));
    const [updated] = parse(webhookFixtures['opportunity-update.1.json']).events;
    expect(updated?.version).toBeUndefined();
    expect(updated?.occurredAt).toBeUndefined();
  });

  it('names app events by appId, tenanted by location or, for agency installs, company', () => {
    expect(parse(webhookFixtures['app-install.3.json']).events[0]).toMatchObject({
      type: 'INSTALL',
      entity: 'app',
      entityId: 've9EPM428h8vShlRW1KT',
      tenant: 'otg8dTQqGLh3Q6iQI55w',
    });
    expect(parse(webhookFixtures['app-uninstall.2.json']).events[0]).toMatchObject({
      type: 'UNINSTALL',
      tenant: 'otg8dTQqGLh3Q6iQI55w',
    });
  });

  it('acknowledges unknown types without events, keeping the delivery id and tenant', () => {
    expect(parse(delivery('inbound-message.1.json', 'wh_msg'))).toEqual({
      deliveryId: 'wh_msg',
      tenant: 'l1C08ntBrFjLS0elLIYU',
      events: [],
    });
    expect(parse(JSON.stringify({ type: 'SomethingNew', locationId: 'loc_1', webhookId: 'wh_new' }))).toEqual({
      deliveryId: 'wh_new',
      tenant: 'loc_1',
      events: [],
    });
    expect(parse(JSON.stringify({ locationId: 'loc_1' }))).toEqual({ tenant: 'loc_1', events: [] });
  });

  it('throws a PayloadError naming the field of a known event that does not fit', () => {
    const body = JSON.stringify({ ...JSON.parse(delivery('contact-update.1.json', 'wh_bad')), id: 42 });
    expect(() => parse(body)).toThrow(PayloadError);
    expect(() => parse(body)).toThrow(
      '[@act/connector-ghl] invalid ContactUpdate delivery wh_bad: id: Invalid input: expected string, received number',
    );
    const noLocation = JSON.stringify({ ...JSON.parse(webhookFixtures['note-create.1.json']), locationId: undefined });
    expect(() => parse(noLocation)).toThrow('invalid NoteCreate delivery: locationId: no location id in the delivery');
    expect(() => parse('[1,2]')).toThrow('[@act/connector-ghl] body is not a UTF-8 JSON object');
  });

  it('keeps fields the docs omit (appId, versionId) and tolerates nulls', () => {
    const body = JSON.stringify({
      ...JSON.parse(webhookFixtures['contact-dnd-update.1.json']),
      appId: 'app_1',
      versionId: 'v_1',
      email: null,
      inboundDndSettings: { all: { status: 'inactive' } },
    });
    const [event] = parse(body).events;
    expect(event?.payload).toMatchObject({ appId: 'app_1', versionId: 'v_1', email: null, inboundDndSettings: {} });
  });
});

describe('GHL webhook verification through the handler', () => {
  it('refuses a stale timestamp with 401 and stores nothing', async () => {
    const store = createMemoryStateStore();
    const body = delivery('contact-update.1.json', 'wh_stale', at(-301_000));
    const response = await handlerFor(store)(await signedGhlRequest(body, { keys }));
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: '[@act/connector-ghl] timestamp outside the 300 s tolerance' });
    expect(await store.listDeliveries({})).toEqual([]);
  });

  it('refuses a signed delivery without a timestamp, unless configured to allow it', async () => {
    const body = withEnvelope(webhookFixtures['contact-update.1.json'], { webhookId: 'wh_no_ts' });
    const strict = await handlerFor(createMemoryStateStore())(await signedGhlRequest(body, { keys }));
    expect(strict.status).toBe(401);
    expect(await strict.json()).toEqual({ error: '[@act/connector-ghl] missing timestamp in the body' });

    const lenient = createGhlWebhook({ ed25519PublicKeys: [keys.ed25519Pem], allowMissingTimestamp: true });
    const response = await handlerFor(createMemoryStateStore(), { processor: lenient })(
      await signedGhlRequest(body, { keys }),
    );
    expect(response.status).toBe(200);
  });

  it('accepts a wider window when configured', async () => {
    const wide = createGhlWebhook({ ed25519PublicKeys: [keys.ed25519Pem], timestampToleranceMs: 3_600_000 });
    const body = delivery('contact-update.1.json', 'wh_old', at(-1_800_000));
    expect(
      (await handlerFor(createMemoryStateStore(), { processor: wide })(await signedGhlRequest(body, { keys }))).status,
    ).toBe(200);
  });

  it('dedupes on webhookId: a redelivery is acknowledged and stored once; a re-stamped one is kept as a conflict', async () => {
    const store = createMemoryStateStore();
    const handle = handlerFor(store);
    const body = delivery('contact-update.1.json', 'wh_dup');
    const first = await handle(await signedGhlRequest(body, { keys }));
    const same = await handle(await signedGhlRequest(body, { keys }));
    expect([first.status, same.status]).toEqual([200, 200]);
    expect(await same.json()).toMatchObject({ duplicate: true });
    expect(await store.listDeliveries({})).toHaveLength(1);
    // Same webhookId, re-stamped a minute later: other bytes, so never dropped as a duplicate.
    // It is kept beside the first and applied only where its version is newer.
    const again = delivery('contact-update.1.json', 'wh_dup', at(60_000));
    const second = await handle(await signedGhlRequest(again, { keys }));
    expect(second.status).toBe(200);
    const { id: firstId } = (await first.json()) as { id: string };
    expect(await second.json()).toMatchObject({ duplicate: false, conflictOf: firstId });
    const stored = await store.listDeliveries({});
    expect(stored).toHaveLength(2);
    expect(stored[1]).toMatchObject({ source: 'ghl', tenant: TEST_LOCATION, dedupeKey: 'ghl:wh_dup' });
    expect(stored[0]?.dedupeKey).toMatch(/^ghl:wh_dup~sha256:[0-9a-f]{64}$/);
  });

  it('stores the signature headers with the raw body, and nothing sensitive', async () => {
    const store = createMemoryStateStore();
    const request = await signedGhlRequest(delivery('contact-update.1.json'), {
      keys,
      scheme: 'both',
      headers: { authorization: 'Bearer secret', cookie: 'session=1' },
    });
    expect((await handlerFor(store)(request)).status).toBe(200);
    const [stored] = await store.listDeliveries({});
    expect(Object.keys(stored?.headers ?? {}).sort()).toEqual(['content-type', 'x-ghl-signature', 'x-wh-signature']);
  });

  it('answers 429 when the inbox cannot store the delivery: GHL retries only on 429', async () => {
    const store = createMemoryStateStore();
    const failing: StateStoreV1 = {
      ...store,
      enqueue: async () => {
        throw new Error('connection refused');
      },
    };
    const response = await handlerFor(failing)(await signedGhlRequest(delivery('contact-update.1.json'), { keys }));
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('10');
    expect(processor.persistFailureStatus).toBe(429);
  });

  it('stores and acknowledges an unknown event type with 200 and no event types', async () => {
    const store = createMemoryStateStore();
    const response = await handlerFor(store)(
      await signedGhlRequest(delivery('invoice-create.1.json', 'wh_inv'), { keys }),
    );
    expect(response.status).toBe(200);
    expect((await store.listDeliveries({}))[0]).toMatchObject({
      tenant: '6578278e879ad2646715ba9c',
      dedupeKey: 'ghl:wh_inv',
      eventTypes: [],
    });
  });

  it('refuses with 429, not 401, when a configured key is unusable, so GHL retries while the key is fixed', async () => {
    const store = createMemoryStateStore();
    const broken = createGhlWebhook({ ed25519PublicKeys: [keys.rsaPem] });
    const response = await handlerFor(store, { processor: broken })(
      await signedGhlRequest(delivery('contact-update.1.json'), { keys }),
    );
    expect(response.status).toBe(429);
    expect(await store.listDeliveries({})).toHaveLength(0);
  });

  it('keeps an authentic event that does not fit (GHL never retries a 4xx): 202, stored for a dead letter and replay', async () => {
    const store = createMemoryStateStore();
    const body = JSON.stringify({ type: 'ContactCreate', locationId: TEST_LOCATION, timestamp: NOW.toISOString() });
    const response = await handlerFor(store)(await signedGhlRequest(body, { keys }));
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({
      received: true,
      error:
        '[@act/connector-ghl] invalid ContactCreate delivery: id: Invalid input: expected string, received undefined',
    });
    const [stored] = await store.listDeliveries({});
    expect(new TextDecoder().decode(stored?.body)).toBe(body);
  });

  it('names the matching key and the compat fallback in keyId', async () => {
    const compat = createGhlWebhook({ ed25519PublicKeys: [keys.ed25519Pem], reserializedBodyFallback: true });
    const text = delivery('contact-update.1.json');
    const request = {
      method: 'POST',
      url: 'http://localhost/',
      headers: await ghlSignatureHeaders(JSON.stringify(JSON.parse(text)), { keys }),
      body: encoder.encode(text),
      receivedAt: NOW,
    };
    expect(await processor.verify(request)).toMatchObject({ valid: false });
    expect(await compat.verify(request)).toEqual({ valid: true, keyId: 'ed25519-0-reserialized' });
  });

  it('stops accepting the legacy scheme after legacyRsaUntil', async () => {
    const sunset = createGhlWebhook({ rsaPublicKeys: [keys.rsaPem], legacyRsaUntil: '2026-03-01T00:00:00Z' });
    const body = delivery('contact-update.1.json');
    const request = {
      method: 'POST',
      url: 'http://localhost/',
      headers: await ghlSignatureHeaders(body, { keys, scheme: 'rsa' }),
      body: encoder.encode(body),
    };
    expect(await sunset.verify({ ...request, receivedAt: new Date('2026-02-28T23:59:00Z') })).toMatchObject({
      valid: false,
      reason: 'timestamp outside the 300 s tolerance',
    });
    expect(await sunset.verify({ ...request, receivedAt: NOW })).toEqual({
      valid: false,
      reason: 'missing x-ghl-signature header (the legacy x-wh-signature scheme is turned off)',
    });
  });

  it('refuses malformed configuration at start-up', () => {
    expect(() => createGhlWebhook({ ed25519PublicKeys: ['not a key'] })).toThrow(
      '[@act/connector-ghl] webhook.ed25519PublicKeys[0] is not an SPKI PEM public key',
    );
    expect(() => createGhlWebhook({ timestampToleranceMs: 0 })).toThrow('timestampToleranceMs must be a positive');
    expect(() => createGhlWebhook({ legacyRsaUntil: 'soon' })).toThrow('legacyRsaUntil is not a valid date');
  });
});

describe('GHL workflow webhooks', () => {
  const workflow = createGhlWorkflowWebhook({ secrets: ['old_secret', TEST_WORKFLOW_SECRET] });

  it('accepts a request carrying a configured secret and stores it without the secret header', async () => {
    const store = createMemoryStateStore();
    const response = await handlerFor(store, { processor: workflow })(workflowRequest(workflowBody()));
    expect(response.status).toBe(200);
    const stored = await store.listDeliveries({});
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ source: 'ghl', tenant: TEST_LOCATION, eventTypes: ['WorkflowWebhook'] });
    // No webhookId: deduped on the body's SHA-256.
    expect(stored[0]?.dedupeKey).toMatch(/^ghl:sha256:[0-9a-f]{64}$/);
    expect(Object.keys(stored[0]?.headers ?? {})).toEqual(['content-type']);
    // The same body again is a duplicate.
    expect(
      await (await handlerFor(store, { processor: workflow })(workflowRequest(workflowBody()))).json(),
    ).toMatchObject({
      duplicate: true,
    });
  });

  it.each([
    ['without a secret', null, 'missing workflow secret (x-act-workflow-secret header)'],
    ['with a wrong secret', 'wf_secret_3c1f9b', 'workflow secret mismatch'],
    ['with a prefix of the secret', TEST_WORKFLOW_SECRET.slice(0, -1), 'workflow secret mismatch'],
  ])('refuses a request %s with 401 and stores nothing', async (_name, secret, reason) => {
    const store = createMemoryStateStore();
    const response = await handlerFor(store, { processor: workflow })(workflowRequest(workflowBody(), { secret }));
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: `[@act/connector-ghl] ${reason}` });
    expect(await store.listDeliveries({})).toEqual([]);
  });

  it('fails closed, as a misconfiguration, with no secret configured', async () => {
    const unconfigured = createGhlWorkflowWebhook({ secrets: [] });
    const request = { method: 'POST', url: 'http://localhost/', body: new Uint8Array(), receivedAt: NOW };
    expect(await unconfigured.verify({ ...request, headers: { 'x-act-workflow-secret': '' } })).toEqual({
      valid: false,
      reason: 'no workflow webhook secret configured (GHL_WORKFLOW_WEBHOOK_SECRET)',
      misconfigured: true,
    });
  });

  it('reads the secret from a query parameter when configured, and only then', async () => {
    const byToken = createGhlWorkflowWebhook({
      secrets: [TEST_WORKFLOW_SECRET],
      header: false,
      queryParameter: 'token',
    });
    const url = `http://localhost/webhooks/ghl/workflow?token=${TEST_WORKFLOW_SECRET}`;
    const store = createMemoryStateStore();
    expect(
      (await handlerFor(store, { processor: byToken })(workflowRequest(workflowBody(), { secret: null, url }))).status,
    ).toBe(200);
    // The header is not read when turned off; the parameter is not read by default.
    expect((await handlerFor(store, { processor: byToken })(workflowRequest(workflowBody({ city: 'x' })))).status).toBe(
      401,
    );
    expect(
      (
        await handlerFor(store, { processor: workflow })(
          workflowRequest(workflowBody({ city: 'y' }), { secret: null, url }),
        )
      ).status,
    ).toBe(401);
    expect(() => createGhlWorkflowWebhook({ secrets: ['s'], header: false })).toThrow(
      'workflowWebhook needs a header or a queryParameter',
    );
  });

  it('parses the snake_case body into a WorkflowWebhook contact event, versioned by receipt', async () => {
    const parsed = await workflow.parse({
      method: 'POST',
      url: 'http://localhost/',
      headers: {},
      body: encoder.encode(workflowBody()),
      receivedAt: NOW,
    });
    expect(parsed.deliveryId).toBeUndefined();
    expect(parsed.events).toHaveLength(1);
    expect(parsed.events[0]).toMatchObject({
      source: 'ghl',
      tenant: TEST_LOCATION,
      type: 'WorkflowWebhook',
      entity: 'contact',
      entityId: 'nmFmQEsNgz6AVpgLVUJ0',
      origin: 'workflow-webhook',
      version: NOW.getTime(),
    });
  });

  it('parses the documented (redacted) example as is, and refuses a body without contact_id', () => {
    const parsed = parseGhlDelivery({ body: encoder.encode(workflowFixture), headers: {}, receivedAt: NOW });
    expect(parsed).toMatchObject({ tenant: '<locationId>', events: [{ entityId: '<contactId>' }] });
    const body = JSON.stringify({ ...JSON.parse(workflowFixture), contact_id: undefined });
    expect(() => parseGhlDelivery({ body: encoder.encode(body), headers: {}, receivedAt: NOW })).toThrow(
      '[@act/connector-ghl] invalid workflow webhook: contact_id: Invalid input: expected string, received undefined',
    );
  });

  it('is told apart from Marketplace deliveries by the stored signature headers, never by the body', () => {
    const marketplace = delivery('contact-update.1.json');
    const signed = parseGhlDelivery({
      body: encoder.encode(marketplace),
      headers: { 'x-ghl-signature': 'sig' },
      receivedAt: NOW,
    });
    expect(signed.events[0]).toMatchObject({ type: 'ContactUpdate', origin: 'marketplace-webhook' });
    // A Marketplace-shaped body that came through the workflow route stays a workflow delivery (and is refused).
    expect(() => parseGhlDelivery({ body: encoder.encode(marketplace), headers: {}, receivedAt: NOW })).toThrow(
      'invalid workflow webhook',
    );
  });
});
