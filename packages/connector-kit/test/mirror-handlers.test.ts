import { describe, expect, it, vi } from 'vitest';
import { createEventHandlers, runHandlersOnApplied } from '../src/mirror/index';

interface Created {
  type: 'created';
  name: string;
}
interface Removed {
  type: 'removed';
  id: number;
}
type Events = { created: Created; removed: Removed };

describe('createEventHandlers', () => {
  it("runs the type's handlers, then onAny's, in order; removeListener removes", async () => {
    const handlers = createEventHandlers<Events>({ packageName: '@act/x' });
    const seen: string[] = [];
    const named = (event: Created) => void seen.push(`named ${event.name}`);
    handlers.on('created', named);
    handlers.on(['created', 'removed'], (event) => void seen.push(`both ${event.type}`));
    handlers.onAny((event) => void seen.push(`any ${event.type}`));
    await handlers.receive({ type: 'created', name: 'a' });
    handlers.removeListener('created', named);
    await handlers.receive({ type: 'created', name: 'b' });
    expect(seen).toEqual(['named a', 'both created', 'any created', 'both created', 'any created']);
  });

  it('never rejects: errors go to onError, or to the log', async () => {
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const handlers = createEventHandlers<Events>({ packageName: '@act/x', logger });
    handlers.on('removed', () => {
      throw new Error('boom');
    });
    await handlers.receive({ type: 'removed', id: 1 });
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ type: 'removed', error: 'boom' }),
      '[@act/x] a removed handler failed',
    );
    const onError = vi.fn();
    handlers.onError(onError);
    await handlers.receive({ type: 'removed', id: 2 });
    expect(onError).toHaveBeenCalledWith(expect.any(Error), { type: 'removed', id: 2 });
  });
});

describe('runHandlersOnApplied', () => {
  it('runs the handlers for committed webhook events only: not skipped, polled or reconciled ones', async () => {
    const handlers = createEventHandlers<{ a: { type: 'a'; entityId: string } }>({ packageName: '@act/test' });
    const seen: string[] = [];
    handlers.on('a', (event) => {
      seen.push(event.entityId);
    });
    const result = (entityId: string, triggeredBy: string, outcome: string) =>
      ({ event: { type: 'a', entityId }, result: { triggeredBy, outcome } }) as never;
    await runHandlersOnApplied(handlers)([
      result('created', 'webhook', 'created'),
      result('skipped', 'webhook', 'skipped'),
      result('polled', 'poll', 'updated'),
      result('reconciled', 'reconciliation', 'created'),
      result('deleted', 'webhook', 'deleted'),
    ]);
    expect(seen).toEqual(['created', 'deleted']);
  });
});
