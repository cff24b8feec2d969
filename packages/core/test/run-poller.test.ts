import { describe, expect, it } from 'vitest';
import { createMemorySink } from '../src/memory/memory-sink';
import { createMemoryStateStore } from '../src/memory/memory-state-store';
import { runPoller } from '../src/pipeline/run-poller';
import type { ConnectorV1, PollerV1, SinkV1, SourceEventV1 } from '../src/spec/v1';
import { testPoller } from '../src/testing/test-poller';
import { createTestConnector, type TestThing, thing } from './helpers/test-connector';

/** A poller over an in-memory listing, 3 records per page; the cursor is the next offset. */
function listingPoller(records: TestThing[], options: { failAtPage?: number } = {}): PollerV1 {
  return {
    specificationVersion: 'v1',
    stream: 'things',
    async *poll({ tenant, cursor }) {
      let offset = cursor ? Number(cursor) : 0;
      let page = 0;
      while (offset < records.length) {
        page += 1;
        if (options.failAtPage === page) throw new Error('listing API down');
        const slice = records.slice(offset, offset + 3);
        offset += slice.length;
        const events: SourceEventV1[] = slice.map((record) => ({
          source: 'test',
          tenant,
          type: 'ThingUpsert',
          entity: 'thing',
          entityId: record.id,
          version: Date.parse(record.updatedAt),
          payload: record,
        }));
        yield { events, cursor: String(offset) };
      }
    },
  };
}

const records = Array.from({ length: 8 }, (_, index) => thing(`t${index}`, `name ${index}`));

describe('runPoller', () => {
  testPoller({
    create: () => {
      const { connector } = createTestConnector();
      const poller = listingPoller(records);
      return { connector: { ...connector, pollers: [poller] }, poller };
    },
    tenant: 'acme',
    expectedEvents: 8,
    minPages: 3,
  });

  it('writes every page, saves the cursor after each, and records poll events', async () => {
    const { connector } = createTestConnector();
    const store = createMemoryStateStore();
    const sink = createMemorySink();
    const pages: string[] = [];
    const result = await runPoller({
      connector: { ...connector, pollers: [listingPoller(records)] } as ConnectorV1,
      tenant: 'acme',
      store,
      sink,
      onPage: ({ cursor }) => pages.push(cursor),
    });
    expect(result).toMatchObject({ pages: 3, events: 8, created: 8 });
    expect(pages).toEqual(['3', '6', '8']);
    expect(await store.getCursor({ source: 'test', tenant: 'acme', stream: 'things' })).toBe('8');
    expect(sink.rows('things')).toHaveLength(8);
    const events = await store.listEvents({ limit: 100 });
    expect(events).toHaveLength(8);
    expect(events.every((event) => event.triggeredBy === 'poll')).toBe(true);
  });

  it('never saves a cursor ahead of the data: a failed write keeps the old cursor', async () => {
    const { connector } = createTestConnector();
    const store = createMemoryStateStore();
    const real = createMemorySink();
    let writes = 0;
    const sink: SinkV1 = {
      ...real,
      apply: async (operations, options) => {
        writes += 1;
        if (writes === 2) throw new Error('sink down');
        return real.apply(operations, options);
      },
    };
    const full = { ...connector, pollers: [listingPoller(records)] } as ConnectorV1;
    await expect(runPoller({ connector: full, tenant: 'acme', store, sink })).rejects.toThrow('sink down');
    expect(await store.getCursor({ source: 'test', tenant: 'acme', stream: 'things' })).toBe('3');
    const resumed = await runPoller({ connector: full, tenant: 'acme', store, sink });
    expect(resumed.pages).toBe(2);
    expect(real.rows('things')).toHaveLength(8);
  });

  it('a listing that fails mid-way resumes from the last committed page', async () => {
    const { connector } = createTestConnector();
    const store = createMemoryStateStore();
    const sink = createMemorySink();
    const failing = { ...connector, pollers: [listingPoller(records, { failAtPage: 2 })] } as ConnectorV1;
    await expect(runPoller({ connector: failing, tenant: 'acme', store, sink })).rejects.toThrow('listing API down');
    expect(sink.rows('things')).toHaveLength(3);
    const healthy = { ...connector, pollers: [listingPoller(records)] } as ConnectorV1;
    expect((await runPoller({ connector: healthy, tenant: 'acme', store, sink })).events).toBe(5);
    expect(sink.rows('things')).toHaveLength(8);
  });

  it('throws a ConfigurationError naming the variable for a connector created without API credentials (issue 11, finding 10)', async () => {
    const { connector } = createTestConnector();
    const receiveOnly = {
      ...connector,
      pollers: [],
      missingApiCredentials: 'TEST_API_TOKEN (apiToken)',
    } as ConnectorV1;
    const run = { connector: receiveOnly, tenant: 'acme', store: createMemoryStateStore(), sink: createMemorySink() };
    const error = await runPoller(run).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      name: 'ConfigurationError',
      errorClass: 'validation',
      message:
        '[@act/core] runPoller: the test connector was created without API credentials, so it has no pollers: set TEST_API_TOKEN (apiToken)',
    });
    // A poller given explicitly is the caller's own: it runs.
    expect((await runPoller({ ...run, poller: listingPoller(records) })).events).toBe(8);
  });
});
