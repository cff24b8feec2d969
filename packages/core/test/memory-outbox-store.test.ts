import { describe, expect, it } from 'vitest';
import { createMemoryOutboxStore } from '../src/memory/memory-outbox-store';
import { testOutboxStore } from '../src/testing';

describe('memory outbox store', () => {
  testOutboxStore({ create: () => createMemoryOutboxStore() });

  it('stamps createdAt and a replay with its clock', async () => {
    let now = new Date('2026-03-01T00:00:00.000Z');
    const store = createMemoryOutboxStore({ now: () => now });
    const [queued] = await store.enqueue([{ destination: 'verity', key: 'k', payload: {} }]);
    expect(await store.get(queued?.id ?? '')).toMatchObject({ createdAt: now, availableAt: now });
    const [claimed] = await store.claim({ owner: 'd1', limit: 1, leaseMs: 1_000 });
    await store.fail({
      id: claimed?.id ?? '',
      claimToken: claimed?.claimToken ?? '',
      error: 'x',
      errorClass: 'validation',
      retryAt: null,
      countsTowardsSchedule: true,
    });
    now = new Date('2026-03-02T00:00:00.000Z');
    expect(await store.replay({ destination: 'verity' })).toBe(1);
    expect((await store.get(queued?.id ?? ''))?.availableAt).toEqual(now);
  });
});
