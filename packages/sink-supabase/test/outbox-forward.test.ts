// Forwarding from polls through the Postgres sink: each page's forwards are
// enqueued in act_sink_apply's transaction with its rows and cursor, only for
// the records the page changed, on PGlite and (with DATABASE_URL) Postgres.
import { type ConnectorV1, type OutboxDestinationV1, type PollerV1, runPoller, type SourceEventV1 } from '@act/core';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_URL, type Harness, pgliteHarness, postgresHarness, type TestState } from './helpers/harness';

interface ListedRecord {
  id: string;
  name: string;
  version: number;
}

function connector(listing: () => ListedRecord[]): ConnectorV1 {
  const poller: PollerV1 = {
    specificationVersion: 'v1',
    stream: 'records',
    async *poll({ tenant }) {
      const events: SourceEventV1[] = listing().map((record) => ({
        source: 'test',
        tenant,
        type: 'RecordUpsert',
        entity: 'record',
        entityId: record.id,
        version: record.version,
        payload: record,
      }));
      // Two pages: operation indices restart in each page's apply.
      yield { events: events.slice(0, 2), cursor: 'half' };
      yield { events: events.slice(2), cursor: 'end' };
    },
  };
  return {
    specificationVersion: 'v1',
    source: 'test',
    packageName: '@act/test',
    pollers: [poller],
    transformer: {
      specificationVersion: 'v1',
      transform(event) {
        const record = event.payload as ListedRecord;
        return [
          {
            kind: 'upsert',
            table: 'act_test_records',
            key: { tenant_id: event.tenant, id: record.id },
            values: { name: record.name },
            version: record.version,
          },
        ];
      },
    },
  };
}

const destination: OutboxDestinationV1 = {
  specificationVersion: 'v1',
  name: 'bridge',
  forward: (input) => ({
    payload: { id: input.event.entityId, triggeredBy: input.triggeredBy },
    onlyIfChanged: true,
  }),
  async deliver() {
    return undefined;
  },
};

function suite(harness: Harness) {
  let current: TestState | undefined;
  afterEach(async () => {
    await current?.destroy();
    current = undefined;
  });

  it('enqueues a forward per changed record with its page, and nothing for a poll that changed nothing', async () => {
    current = await harness.create();
    const { state } = current;
    let listing: ListedRecord[] = [
      { id: 'r1', name: 'one', version: 1 },
      { id: 'r2', name: 'two', version: 1 },
      { id: 'r3', name: 'three', version: 1 },
    ];
    const poll = () =>
      runPoller({
        connector: connector(() => listing),
        tenant: 'acme',
        store: state.store,
        sink: state.sink,
        outbox: { destinations: [destination], store: state.outbox },
      });
    const keys = async () => (await state.outbox.list({ destination: 'bridge' })).map((message) => message.key).sort();

    await poll();
    expect(await keys()).toEqual([
      'test:acme:RecordUpsert:r1@1',
      'test:acme:RecordUpsert:r2@1',
      'test:acme:RecordUpsert:r3@1',
    ]);
    const [message] = await state.outbox.list({ destination: 'bridge' });
    expect(message).toMatchObject({ source: 'test', tenant: 'acme', status: 'pending' });
    expect(message?.payload).toMatchObject({ triggeredBy: 'poll' });

    // The same listing again: every write is skipped, nothing is forwarded.
    await poll();
    expect(await keys()).toHaveLength(3);

    // One record changed (on the second page): one forward more.
    listing = listing.map((record) => (record.id === 'r3' ? { ...record, name: 'THREE', version: 2 } : record));
    await poll();
    expect(await keys()).toEqual([
      'test:acme:RecordUpsert:r1@1',
      'test:acme:RecordUpsert:r2@1',
      'test:acme:RecordUpsert:r3@1',
      'test:acme:RecordUpsert:r3@2',
    ]);
  });
}

describe('forwarding polls on PGlite', () => suite(pgliteHarness()));
describe.skipIf(!DATABASE_URL)('forwarding polls on Postgres', () => suite(postgresHarness()));
