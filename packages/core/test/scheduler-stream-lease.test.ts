// A scheduled poll holds its stream's lease for the scheduler's job lease, not
// for syncStream's 60 s default: when the process running the job dies, both
// leases lapse together and the next leader runs the job again after
// `jobLeaseMs` (the process test in @act/sink-supabase,
// test/scheduler-leader.test.ts, kills a real leader; this pins the length).
import { describe, expect, it } from 'vitest';
import {
  type ConnectorV1,
  createMemorySink,
  createMemoryStateStore,
  createMemorySyncStore,
  createScheduler,
  type LeaseResultV1,
  streamLeaseName,
} from '../src/internal';

const T0 = new Date('2026-12-01T00:00:00.000Z');

describe('the stream lease of a scheduled poll', () => {
  it.each([5_000, 300_000])('lasts the job lease (jobLeaseMs %i)', async (jobLeaseMs) => {
    const now = () => T0;
    const sync = createMemorySyncStore({ now });
    await sync.connect({ source: 'feed', tenant: 't1', now: T0 });
    let seen: LeaseResultV1 | undefined;
    const connector: ConnectorV1 = {
      specificationVersion: 'v1',
      source: 'feed',
      packageName: '@act/test-feed',
      pollers: [
        {
          specificationVersion: 'v1',
          stream: 'items',
          async *poll() {
            // Another process asking for the stream while the job runs: refused, told until when.
            seen = await sync.acquireLease({
              name: streamLeaseName('feed', 't1', 'items'),
              owner: 'another-process',
              leaseMs: 1_000,
              now: T0,
            });
            yield { events: [], cursor: '1' };
          },
        },
      ],
      transformer: { specificationVersion: 'v1', transform: () => [] },
    };
    const scheduler = createScheduler({
      connectors: [connector],
      store: createMemoryStateStore({ now }),
      sink: createMemorySink(),
      sync,
      jobLeaseMs,
      circuitBreaker: false,
      now,
    });

    const { ran } = await scheduler.tick();
    expect(ran).toMatchObject([{ key: 'poll:feed:t1:items', outcome: 'ok' }]);
    expect(seen?.acquired).toBe(false);
    expect(seen?.expiresAt.getTime()).toBe(T0.getTime() + jobLeaseMs);
  });
});
