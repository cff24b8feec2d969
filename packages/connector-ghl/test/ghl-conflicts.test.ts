// Conflicting redeliveries end to end: a signed GHL delivery with a webhookId
// already stored but a different body is kept (never answered `duplicate` and
// dropped), counted and listed, and applied through the worker and the
// version-guarded sink only where it is newer. Real handler, worker and
// @act/sink-supabase on PGlite. Node-only.
import { createWebhookHandler, createWorker } from '@act/core';
import { createPostgresState, type PostgresState } from '@act/sink-supabase';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGhlConnector } from '../src/index';
import {
  generateGhlTestKeys,
  signedGhlRequest,
  TEST_LOCATION,
  webhookFixtures,
  withEnvelope,
} from './helpers/ghl-fixtures';

const keys = await generateGhlTestKeys();
const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const CONTACT_ID = 'nmFmQEsNgz6AVpgLVUJ0';

/** GHL's documented ContactUpdate with another email, in its envelope (contacts are versioned by `timestamp`). */
function contactUpdate(webhookId: string, at: number, email: string): string {
  const body = JSON.stringify({ ...JSON.parse(webhookFixtures['contact-update.1.json']), email }, null, 2);
  return withEnvelope(body, { timestamp: new Date(at), webhookId });
}

describe('GHL: the same webhookId with a different body (PGlite through @act/sink-supabase)', () => {
  let db: PGlite;
  let state: PostgresState;
  const connector = createGhlConnector({ webhook: { ed25519PublicKeys: [keys.ed25519Pem] } });

  beforeAll(async () => {
    db = await PGlite.create();
    state = createPostgresState({ pglite: db });
    await state.migrate({ connectors: [connector] });
  }, 60_000);
  afterAll(async () => {
    await state?.close();
    await db?.close();
  });

  const setup = () => {
    let clock = T0;
    const handler = createWebhookHandler({
      processor: connector.webhook,
      store: state.store,
      now: () => new Date(clock),
    });
    const worker = createWorker({
      connectors: [connector],
      store: state.store,
      sink: state.sink,
      circuitBreaker: false,
    });
    const send = async (body: string, at: number) => {
      // The receipt clock follows the delivery, so GHL's 5-minute timestamp window holds.
      clock = at + 1_000;
      const response = await handler(await signedGhlRequest(body, { keys }));
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const email = async () =>
      (
        await db.query<{ email: string }>('select email from ghl_contacts where location_id = $1 and id = $2', [
          TEST_LOCATION,
          CONTACT_ID,
        ])
      ).rows[0]?.email;
    const conflicts = async () =>
      (await state.store.health()).find((figure) => figure.source === 'ghl' && figure.tenant === TEST_LOCATION)
        ?.conflicts;
    return { send, worker, email, conflicts };
  };

  it('applies a changed body with a newer version, and keeps an older one visible without applying it', async () => {
    const { send, worker, email, conflicts } = setup();
    const first = await send(contactUpdate('wh_same', T0, 'first@example.com'), T0);
    expect(first).toMatchObject({ status: 200, body: { duplicate: false } });
    await worker.drain();
    expect(await email()).toBe('first@example.com');

    // Same webhookId, new content, newer timestamp: kept and applied.
    const newer = await send(contactUpdate('wh_same', T0 + 60_000, 'newer@example.com'), T0 + 60_000);
    expect(newer).toEqual({
      status: 200,
      body: { received: true, id: expect.any(String), duplicate: false, conflictOf: first.body.id },
    });
    expect(await worker.drain()).toMatchObject({ outcomes: { done: 1, dead: 0 } });
    expect(await email()).toBe('newer@example.com');
    expect(await conflicts()).toBe(1);

    // Same webhookId, other content, older timestamp: kept and listed, but never over the newer row.
    const older = await send(contactUpdate('wh_same', T0 - 60_000, 'older@example.com'), T0 - 60_000);
    expect(older).toMatchObject({ status: 200, body: { duplicate: false, conflictOf: first.body.id } });
    expect(await worker.drain()).toMatchObject({ outcomes: { done: 1, dead: 0 } });
    expect(await email()).toBe('newer@example.com');
    expect(await conflicts()).toBe(2);

    const listed = await state.store.listDeliveries({ conflicts: true, source: 'ghl' });
    expect(listed.map((delivery) => [delivery.id, delivery.conflictOf, delivery.status])).toEqual([
      [older.body.id, first.body.id, 'done'],
      [newer.body.id, first.body.id, 'done'],
    ]);
    // The older body is kept byte for byte, for inspection or replay.
    expect(new TextDecoder().decode(listed[0]?.body)).toContain('older@example.com');
    // Each body sent again is a plain duplicate.
    expect((await send(contactUpdate('wh_same', T0 - 60_000, 'older@example.com'), T0 - 60_000)).body).toEqual({
      received: true,
      id: older.body.id,
      duplicate: true,
    });
    expect((await send(contactUpdate('wh_same', T0, 'first@example.com'), T0)).body).toMatchObject({
      id: first.body.id,
      duplicate: true,
    });
    expect(await state.store.listDeliveries({ source: 'ghl' })).toHaveLength(3);
  });
});
