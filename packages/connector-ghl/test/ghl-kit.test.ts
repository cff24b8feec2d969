import { testConnector, testReconciler } from '@act/connector-kit/testing';
import { ACT_MIGRATIONS } from '@act/sink-supabase';
import nock from 'nock';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createGhlConnector } from '../src/ghl-connector';
import type { GhlSourceEvent } from '../src/ghl-events';
import { ghlOpportunityToEvent } from '../src/ghl-poller';
import { parseGhlMarketplaceDelivery, parseGhlWorkflowDelivery } from '../src/ghl-webhook';
import { generateOpportunities, LOCATION, PIT, serveOpportunitySearch } from './helpers/ghl-fake-api';
import { webhookFixtures, withEnvelope, workflowBody } from './helpers/ghl-fixtures';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const connector = createGhlConnector({ accessToken: PIT, api: { retry: { baseDelayMs: 1 } } });
const encoder = new TextEncoder();
const receivedAt = new Date('2026-03-02T10:00:00.000Z');
const events: GhlSourceEvent[] = [
  ...Object.values(webhookFixtures).flatMap(
    (body) =>
      parseGhlMarketplaceDelivery({ body: encoder.encode(withEnvelope(body, { timestamp: receivedAt })), receivedAt })
        .events,
  ),
  ...parseGhlWorkflowDelivery({ body: encoder.encode(workflowBody()), receivedAt }).events,
];

// The sink's migrations first: the connector's register its contacts for identity matching (act_identity_register).
testConnector(connector, { events, prerequisites: ACT_MIGRATIONS });

const opportunities = generateOpportunities(5);
const reconciler = connector.reconcilers.find((candidate) => candidate.table === 'ghl_opportunities');
if (!reconciler) throw new Error('no ghl_opportunities reconciler');
const first = opportunities[0] as (typeof opportunities)[number];
testReconciler({
  connector,
  reconciler,
  tenant: LOCATION,
  serve: () => {
    nock.cleanAll();
    serveOpportunitySearch(opportunities);
  },
  // The first opportunity at an older version, and one GHL no longer has.
  mirror: [
    ghlOpportunityToEvent(LOCATION, { ...first, name: 'old', updatedAt: '2020-01-01T00:00:00.000Z' }),
    ghlOpportunityToEvent(LOCATION, { ...first, id: 'o_gone', updatedAt: '2020-01-01T00:00:00.000Z' }),
  ],
  expected: { listed: 5, missing: 4, stale: 1, deleted: 1 },
});
