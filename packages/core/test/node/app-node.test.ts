// createAct's router behind toNodeHandler: a real node:http server.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createAct, createMemorySink, createMemoryStateStore } from '../../src/internal';
import { toNodeHandler } from '../../src/node';
import { createTestConnector, signedRequest, thing } from '../helpers/test-connector';

const state = { store: createMemoryStateStore(), sink: createMemorySink() };
const act = createAct({ state, connectors: [createTestConnector().connector], prefix: '/webhooks' });
const server = createServer(toNodeHandler(act.handler));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('createAct handler on node:http', () => {
  it('stores a signed delivery at /webhooks/<source> and answers 404 elsewhere', async () => {
    const signed = await signedRequest({ deliveryId: 'n1', tenant: 't1', type: 'ThingUpsert', thing: thing('1', 'x') });
    const response = await fetch(`${base}/webhooks/test`, {
      method: 'POST',
      headers: signed.headers,
      body: await signed.text(),
    });
    expect(response.status).toBe(200);
    expect((await act.worker.drain()).outcomes.done).toBe(1);

    const missing = await fetch(`${base}/webhooks/other`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toContain('[@act/core]');
  });
});
