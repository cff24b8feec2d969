// GoHighLevel's two webhook processors behind @act/core's createAct: the
// Marketplace webhook at /webhooks/ghl, the workflow webhook at
// /webhooks/ghl/workflow; each inbox row records which one accepted it and
// the worker applies both.
import { createAct, createMemorySink, createMemoryStateStore, type Logger } from '@act/core';
import { PROCESSOR_HEADER } from '@act/core/internal';
import { describe, expect, it } from 'vitest';
import { createGhlConnector, loadGhlSettings } from '../src/index';
import {
  generateGhlTestKeys,
  signedGhlRequest,
  TEST_LOCATION,
  TEST_WORKFLOW_SECRET,
  webhookFixtures,
  withEnvelope,
  workflowBody,
  workflowRequest,
} from './helpers/ghl-fixtures';

const keys = await generateGhlTestKeys();
const noLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

describe('GoHighLevel through createAct', () => {
  it('receives Marketplace and workflow webhooks on their own routes and the worker applies both', async () => {
    const state = { store: createMemoryStateStore(), sink: createMemorySink() };
    const act = createAct({
      state,
      logger: noLogger,
      prefix: '/webhooks',
      connectors: [
        (context) =>
          createGhlConnector({
            ...loadGhlSettings({ GHL_WORKFLOW_WEBHOOK_SECRET: TEST_WORKFLOW_SECRET }, context),
            webhook: { ed25519PublicKeys: [keys.ed25519Pem] },
          }),
      ],
    });
    expect(act.routes.map((route) => route.paths)).toEqual([
      ['/webhooks/ghl', '/webhooks/ghl/default'],
      ['/webhooks/ghl/workflow'],
    ]);

    // A contact created through the Marketplace app, then updated by a workflow.
    const created = withEnvelope(webhookFixtures['contact-create.1.json'], {
      timestamp: new Date(),
      webhookId: 'wh_act_1',
    });
    expect((await act.handler(await signedGhlRequest(created, { keys }))).status).toBe(200);
    const fromWorkflow = workflowRequest(workflowBody({ contact_id: 'wfContact0001', first_name: 'Wanda' }));
    expect((await act.handler(fromWorkflow)).status).toBe(200);

    // Each route checks its own credentials: a workflow body on the Marketplace route has no signature.
    expect((await act.handler(workflowRequest(workflowBody(), { url: 'http://localhost/webhooks/ghl' }))).status).toBe(
      401,
    );

    const stored = await state.store.listDeliveries({ source: 'ghl' });
    expect(stored.map((delivery) => delivery.headers[PROCESSOR_HEADER]).sort()).toEqual(['default', 'workflow']);

    expect(await act.worker.drain()).toMatchObject({ outcomes: { done: 2, dead: 0 } });
    expect(state.sink.row('ghl_contacts', { location_id: TEST_LOCATION, id: 'wfContact0001' })?.values).toMatchObject({
      first_name: 'Wanda',
    });
    const events = await state.store.listEvents({ source: 'ghl' });
    expect(events.map((event) => event.type).sort()).toEqual(['ContactCreate', 'WorkflowWebhook']);
  });
});
