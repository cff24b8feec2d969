import { describe, expect, it } from 'vitest';
import { createMemorySink } from '../memory/memory-sink';
import { createMemoryStateStore } from '../memory/memory-state-store';
import { runPoller } from '../pipeline/run-poller';
import type { ConnectorV1, PollerV1, SourceEventV1 } from '../spec/v1';

export interface TestPollerOptions {
  /**
   * Build the poller (and its connector) against a fresh simulated API (nock
   * scopes set up inside `create`). Called once per test.
   */
  create: () => { connector: ConnectorV1; poller: PollerV1 } | Promise<{ connector: ConnectorV1; poller: PollerV1 }>;
  tenant: string;
  /** Events the full listing must yield. */
  expectedEvents: number;
  /** At least this many pages, so resuming is actually exercised. Defaults to 2. */
  minPages?: number;
}

const identity = (event: SourceEventV1) => `${event.entity}:${event.entityId}:${event.version ?? ''}`;

async function collect(poller: PollerV1, tenant: string, cursor: string | null) {
  const pages: { events: SourceEventV1[]; cursor: string }[] = [];
  for await (const page of poller.poll({ tenant, cursor })) pages.push(page);
  return pages;
}

/**
 * The behaviour every `PollerV1` must have: it walks the whole listing in
 * pages with string cursors, resuming from any page's cursor yields exactly
 * the rest, and through `runPoller` a crash mid-backfill loses nothing.
 */
export function testPoller(options: TestPollerOptions): void {
  describe('PollerV1 contract', () => {
    it('lists everything in pages, each with a cursor', async () => {
      const { poller } = await options.create();
      expect(poller.specificationVersion).toBe('v1');
      const pages = await collect(poller, options.tenant, null);
      expect(pages.length).toBeGreaterThanOrEqual(options.minPages ?? 2);
      for (const page of pages) expect(typeof page.cursor).toBe('string');
      expect(pages.flatMap((page) => page.events)).toHaveLength(options.expectedEvents);
    });

    it('resumes from a page cursor with exactly the remaining events', async () => {
      const full = await collect((await options.create()).poller, options.tenant, null);
      const resumeAfter = full[0] as { cursor: string };
      const rest = await collect((await options.create()).poller, options.tenant, resumeAfter.cursor);
      expect(rest.flatMap((page) => page.events).map(identity)).toEqual(
        full
          .slice(1)
          .flatMap((page) => page.events)
          .map(identity),
      );
    });

    it('loses nothing when a backfill stops after one page and is resumed', async () => {
      const store = createMemoryStateStore();
      const sink = createMemorySink();
      const first = await options.create();
      const partial = await runPoller({
        connector: first.connector,
        poller: first.poller,
        tenant: options.tenant,
        store,
        sink,
        maxPages: 1,
      });
      expect(partial.pages).toBe(1);
      const second = await options.create();
      const rest = await runPoller({
        connector: second.connector,
        poller: second.poller,
        tenant: options.tenant,
        store,
        sink,
      });
      expect(partial.events + rest.events).toBe(options.expectedEvents);
      expect(
        await store.getCursor({ source: first.connector.source, tenant: options.tenant, stream: first.poller.stream }),
      ).not.toBeNull();
    });
  });
}
