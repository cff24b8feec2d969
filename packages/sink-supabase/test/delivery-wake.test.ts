import { makeTestDelivery } from '@act/core/testing';
import { describe, expect, it, vi } from 'vitest';
import { DATABASE_URL, type Harness, pgliteHarness, postgresHarness } from './helpers/harness';

/** Migration 0012: a NOTIFY on the schema's deliveries channel wakes workers of other processes. */
function suite(harness: () => Harness) {
  const h = harness();

  /** Another process's enqueue: the SQL function called outside this state. */
  const enqueueElsewhere = (schema: string, dedupeKey: string) =>
    h.query(
      `select * from "${schema}".act_enqueue(p_source => 'test', p_tenant => 't', p_dedupe_key => $1,
        p_method => 'POST', p_url => 'http://x/', p_headers => '{}'::jsonb, p_body => '\\x00'::bytea,
        p_received_at => now(), p_correlation_id => 'c', p_event_types => '{}'::text[])`,
      [dedupeKey],
    );

  it('hears deliveries stored by another process through LISTEN, once per insert, not duplicates', async () => {
    const test = await h.create();
    try {
      let heard = 0;
      const stop = test.state.onDeliveryEnqueued(() => {
        heard += 1;
      });
      // The LISTEN connection opens in the background; an insert of our own says when it is up.
      await vi.waitFor(
        async () => {
          await enqueueElsewhere(test.schema, `probe-${crypto.randomUUID()}`);
          expect(heard).toBeGreaterThan(0);
        },
        { timeout: 5_000, interval: 50 },
      );
      // Let the notifications of every probe arrive before counting.
      await new Promise((resolve) => setTimeout(resolve, 300));
      heard = 0;
      await enqueueElsewhere(test.schema, 'other-1');
      await vi.waitFor(() => expect(heard).toBe(1), { timeout: 2_000, interval: 5 });
      // A duplicate stores nothing and notifies nobody.
      await enqueueElsewhere(test.schema, 'other-1');
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(heard).toBe(1);
      stop();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await enqueueElsewhere(test.schema, 'other-2');
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(heard).toBe(1);
    } finally {
      await test.destroy();
    }
  });

  it("wakes at once on this process's own enqueue, and the channel is the schema's", async () => {
    const test = await h.create();
    try {
      let heard = 0;
      const stop = test.state.store.onDeliveryEnqueued(() => {
        heard += 1;
      });
      await test.state.store.enqueue(makeTestDelivery());
      expect(heard).toBeGreaterThanOrEqual(1);
      stop();
      const [row] = await h.query<{ channel: string }>(`select "${test.schema}".act_deliveries_channel() as channel`);
      expect(row?.channel).toBe(`act_deliveries:${test.schema}`);
    } finally {
      await test.destroy();
    }
  });
}

describe('PGlite', () => suite(pgliteHarness));
describe.skipIf(!DATABASE_URL)('Postgres (DATABASE_URL)', () => suite(postgresHarness));
