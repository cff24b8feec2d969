import { createServer } from 'node:net';
import { createWebhookHandler, StoreUnavailableError, type WebhookProcessorV1 } from '@act/core';
import { makeTestDelivery } from '@act/core/testing';
import { describe, expect, it } from 'vitest';
import { createPostgresState } from '../src';
import { DATABASE_URL, postgresHarness } from './helpers/harness';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function processor(persistFailureStatus?: number): WebhookProcessorV1 {
  return {
    specificationVersion: 'v1',
    source: 'test',
    packageName: '@act/test-connector',
    persistedHeaders: [],
    ...(persistFailureStatus ? { persistFailureStatus } : {}),
    async verify() {
      return { valid: true };
    },
    parse(request) {
      const body = JSON.parse(new TextDecoder().decode(request.body)) as { id: string; tenant: string };
      return { deliveryId: body.id, tenant: body.tenant, events: [] };
    },
  };
}

const request = () =>
  new Request('http://localhost/webhooks/test', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'd-1', tenant: 'unavailable' }),
  });

describe('Postgres unavailable at receive time', () => {
  it('enqueue fails with StoreUnavailableError (transient, 503) naming the package', async () => {
    const state = createPostgresState({
      connectionString: `postgres://postgres@127.0.0.1:${await closedPort()}/test`,
      poolOptions: { connectionTimeoutMillis: 2_000 },
    });
    try {
      const error = await state.store.enqueue(makeTestDelivery()).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(error).toMatchObject({ errorClass: 'transient', status: 503, isRetryable: true });
      expect((error as Error).message).toMatch(
        /^\[@act\/sink-supabase\] act_enqueue: cannot reach Postgres \(ECONNREFUSED\)/,
      );
      expect(await state.health()).toMatchObject({ ok: false, latencyMs: null });
    } finally {
      await state.close();
    }
  });

  it('the webhook handler answers 503 (or the connector’s own status) with Retry-After', async () => {
    const state = createPostgresState({ connectionString: `postgres://postgres@127.0.0.1:${await closedPort()}/test` });
    try {
      const response = await createWebhookHandler({ processor: processor(), store: state.store })(request());
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('10');
      // GoHighLevel retries only on 429: its connector says so.
      const ghlLike = await createWebhookHandler({ processor: processor(429), store: state.store })(request());
      expect(ghlLike.status).toBe(429);
    } finally {
      await state.close();
    }
  });

  it('a closed state refuses calls as unavailable', async () => {
    const state = createPostgresState({ pglite: {} });
    await state.close();
    await expect(state.store.listDeliveries({})).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  describe.skipIf(!DATABASE_URL)('with the server up', () => {
    const h = postgresHarness();
    it('stores nothing while the database is unreachable, then the provider’s retry is stored once', async () => {
      const test = await h.create();
      const down = createPostgresState(
        { connectionString: `postgres://postgres@127.0.0.1:${await closedPort()}/test` },
        { schema: test.schema },
      );
      try {
        expect((await createWebhookHandler({ processor: processor(), store: down.store })(request())).status).toBe(503);
        expect(await test.state.store.listDeliveries({})).toEqual([]);
        const handler = createWebhookHandler({ processor: processor(), store: test.state.store });
        expect((await handler(request())).status).toBe(200);
        expect(await (await handler(request())).json()).toMatchObject({ duplicate: true });
        expect(await test.state.store.listDeliveries({})).toHaveLength(1);
      } finally {
        await down.close();
        await test.destroy();
      }
    });
  });
});
