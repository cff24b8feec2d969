import { ConfigurationError, type SourceEventV1 } from '@act/core';
import { describe, expect, it } from 'vitest';
import { type PagedListRequest, pagedPoller } from '../src/api/index';

interface Item {
  id: string;
  updated?: string | null;
}
const pages: Record<string, { items: Item[]; next: string | null }> = {
  first: {
    items: [
      { id: 'a', updated: '2026-01-02T00:00:00Z' },
      { id: 'b', updated: null },
    ],
    next: 'p2',
  },
  p2: { items: [{ id: 'c', updated: '2026-01-03T00:00:00Z' }], next: null },
};

function setup(listing = pages) {
  const requests: PagedListRequest[] = [];
  const poller = pagedPoller<SourceEventV1, Item>({
    stream: 'items',
    packageName: '@act/connector-test',
    kind: 'Test',
    list: async (request) => {
      requests.push(request);
      return request.updatedSince ? { items: [] } : (listing[request.page ?? 'first'] ?? { items: [] });
    },
    updatedAt: (item) => item.updated,
    toEvent: (tenant, item) => ({
      source: 'test',
      tenant,
      type: 'item.updated',
      entity: 'item',
      entityId: item.id,
      payload: item,
    }),
  });
  return { poller, requests };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

describe('pagedPoller', () => {
  it('walks the pages, saving { updatedSince, page, newest }, and turns a finished listing into incremental polls', async () => {
    const { poller, requests } = setup();
    const result = await collect(poller.poll({ tenant: 't', cursor: null }));
    expect(result.map((page) => page.events.map((event) => event.entityId))).toEqual([['a', 'b'], ['c']]);
    expect(result.map((page) => JSON.parse(page.cursor))).toEqual([
      { updatedSince: null, page: 'p2', newest: '2026-01-02T00:00:00Z' },
      { updatedSince: '2026-01-03T00:00:00Z', page: null, newest: null },
    ]);
    expect(requests.map(({ updatedSince, page }) => ({ updatedSince, page }))).toEqual([
      { updatedSince: null, page: null },
      { updatedSince: null, page: 'p2' },
    ]);
    const next = await collect(poller.poll({ tenant: 't', cursor: result[1]?.cursor ?? null }));
    expect(next).toEqual([{ events: [], cursor: result[1]?.cursor }]);
    expect(requests.at(-1)).toMatchObject({ updatedSince: '2026-01-03T00:00:00Z', page: null });
  });

  it('resumes inside a listing, and keeps updatedSince when a listing has no dated item', async () => {
    const { poller } = setup({ first: { items: [{ id: 'x' }], next: null } });
    const [page] = await collect(poller.poll({ tenant: 't', cursor: null }));
    expect(JSON.parse(page?.cursor ?? '')).toEqual({ updatedSince: null, page: null, newest: null });
    const resumed = await collect(
      setup().poller.poll({ tenant: 't', cursor: JSON.stringify({ updatedSince: null, page: 'p2', newest: null }) }),
    );
    expect(resumed.map((p) => p.events.length)).toEqual([1]);
  });

  it('fetches the next page only when asked, and honours the abort signal', async () => {
    const { poller, requests } = setup();
    const iterator = poller.poll({ tenant: 't', cursor: null })[Symbol.asyncIterator]();
    await iterator.next();
    expect(requests).toHaveLength(1);
    const controller = new AbortController();
    controller.abort();
    await expect(collect(poller.poll({ tenant: 't', cursor: null, signal: controller.signal }))).rejects.toThrow();
  });

  it('refuses a cursor it did not write', async () => {
    const { poller } = setup();
    const error = await collect(poller.poll({ tenant: 't', cursor: 'page=2' })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(
      '[@act/connector-test] saved cursor for stream "items" is not a Test cursor: page=2 (delete it to backfill again)',
    );
  });

  it('listAll: every page from the start, one batch per non-empty page', async () => {
    const { poller } = setup({ first: { items: [], next: 'p2' }, p2: pages.p2 as { items: Item[]; next: null } });
    const batches = await collect(poller.listAll({ tenant: 't' }));
    expect(batches.map((batch) => batch.map((event) => event.entityId))).toEqual([['c']]);
  });

  it('passes the scheduler its intervalMs and fallback flag, and refuses a nonsensical interval', () => {
    const base = {
      packageName: '@act/connector-test',
      kind: 'Test',
      list: async () => ({ items: [] }),
      updatedAt: () => null,
      toEvent: () => ({ source: 'test', tenant: 't', type: 'x', entity: 'x', entityId: 'x', payload: {} }),
    };
    const webhooked = pagedPoller<SourceEventV1, Item>({ ...base, stream: 'a', fallback: true });
    expect(webhooked).toMatchObject({ stream: 'a', fallback: true });
    expect('intervalMs' in webhooked).toBe(false);
    const pollOnly = pagedPoller<SourceEventV1, Item>({ ...base, stream: 'b', intervalMs: 300_000 });
    expect(pollOnly).toMatchObject({ stream: 'b', intervalMs: 300_000 });
    expect('fallback' in pollOnly).toBe(false);
    expect(() => pagedPoller<SourceEventV1, Item>({ ...base, stream: 'c', intervalMs: 0 })).toThrow(
      '[@act/connector-test] c poller: intervalMs must be a number > 0, got 0',
    );
  });
});
