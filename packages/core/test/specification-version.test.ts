import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../src/errors';
import { createWebhookHandler } from '../src/http/create-webhook-handler';
import { createMemorySink } from '../src/memory/memory-sink';
import { createMemoryStateStore } from '../src/memory/memory-state-store';
import { runPoller } from '../src/pipeline/run-poller';
import { runReconciliation } from '../src/pipeline/run-reconciliation';
import { createWorker } from '../src/pipeline/worker';
import { resolveConnector, resolveStore, resolveWebhookProcessor } from '../src/spec/resolve';
import type { ConnectorV1, PollerV1, ReconcilerV1, SinkV1, StateStoreV1, WebhookProcessorV1 } from '../src/spec/v1';
import { createTestConnector } from './helpers/test-connector';

/** What a connector or store built for a later major version of the contracts would pass. */
const v2 = <T>(value: T): T => ({ ...value, specificationVersion: 'v2' }) as T;

const poller: PollerV1 = {
  specificationVersion: 'v1',
  stream: 'things',
  async *poll() {},
};
const reconciler: ReconcilerV1 = {
  specificationVersion: 'v1',
  table: 'things',
  keyColumns: ['tenant_id', 'id'],
  scope: (tenant) => ({ tenant_id: tenant }),
  keyOf: (event) => ({ tenant_id: event.tenant, id: event.entityId }),
  async *list() {},
};

function setup() {
  const { connector } = createTestConnector();
  return {
    connector: { ...connector, pollers: [poller], reconcilers: [reconciler] } as ConnectorV1,
    store: createMemoryStateStore() as StateStoreV1,
    sink: createMemorySink() as SinkV1,
  };
}

const unsupported = (what: string) =>
  new RegExp(
    `^\\[@act/core\\] ${what.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: specificationVersion "v2" is not supported; this @act/core supports "v1"`,
  );

describe('specificationVersion is checked at every entry point', () => {
  it('resolveConnector returns a v1 connector as is and names the part built for another version', () => {
    const { connector } = setup();
    expect(resolveConnector(connector)).toBe(connector);
    expect(() => resolveConnector(v2(connector))).toThrow(unsupported('connector "test"'));
    expect(() => resolveConnector(v2(connector))).toThrow(/use a release of @act\/test-connector built for "v1"/);
    const processor = connector.webhooks?.default as WebhookProcessorV1;
    expect(() => resolveConnector({ ...connector, webhooks: { default: v2(processor) } })).toThrow(
      unsupported('webhook processor "default" of connector "test"'),
    );
    expect(() => resolveConnector({ ...connector, transformer: v2(connector.transformer) })).toThrow(
      unsupported('the transformer of connector "test"'),
    );
    expect(() => resolveConnector({ ...connector, pollers: [v2(poller)] })).toThrow(
      unsupported('poller "things" of connector "test"'),
    );
    expect(() => resolveConnector({ ...connector, reconcilers: [v2(reconciler)] })).toThrow(
      unsupported('reconciler "things" of connector "test"'),
    );
    const { webhooks: _webhooks, ...older } = connector;
    expect(() => resolveConnector({ ...older, webhook: processor } as ConnectorV1)).toThrow(
      /has `webhook` but no `webhooks`: it was built for an older @act\/core/,
    );
    const { specificationVersion: _, ...unversioned } = connector;
    expect(() => resolveConnector(unversioned as ConnectorV1)).toThrow(
      /connector "test": specificationVersion is missing; this @act\/core supports "v1"/,
    );
  });

  it('resolveStore and resolveWebhookProcessor refuse other versions with a ConfigurationError', () => {
    const { store, sink, connector } = setup();
    expect(resolveStore(store)).toBe(store);
    expect(() => resolveStore(v2(sink), 'sink')).toThrow(ConfigurationError);
    expect(() => resolveStore(v2(sink), 'sink')).toThrow(unsupported('the sink'));
    const webhook = connector.webhooks?.default as WebhookProcessorV1;
    expect(resolveWebhookProcessor(webhook)).toBe(webhook);
    expect(() => resolveWebhookProcessor(v2(webhook))).toThrow(
      unsupported('the webhook processor of @act/test-connector'),
    );
  });

  it('createWorker', () => {
    const { connector, store, sink } = setup();
    expect(() => createWorker({ connectors: [connector], store, sink })).not.toThrow();
    expect(() => createWorker({ connectors: [v2(connector)], store, sink })).toThrow(unsupported('connector "test"'));
    expect(() => createWorker({ connectors: [connector], store: v2(store), sink })).toThrow(
      unsupported('the state store'),
    );
    expect(() => createWorker({ connectors: [connector], store, sink: v2(sink) })).toThrow(unsupported('the sink'));
  });

  it('createWebhookHandler', () => {
    const { connector, store } = setup();
    const processor = connector.webhooks?.default as WebhookProcessorV1;
    expect(() => createWebhookHandler({ processor, store })).not.toThrow();
    expect(() => createWebhookHandler({ processor: v2(processor), store })).toThrow(
      unsupported('the webhook processor of @act/test-connector'),
    );
    expect(() => createWebhookHandler({ processor, store: v2(store) })).toThrow(unsupported('the state store'));
  });

  it('runPoller', async () => {
    const { connector, store, sink } = setup();
    await expect(runPoller({ connector, tenant: 'acme', store, sink })).resolves.toMatchObject({ pages: 0 });
    await expect(runPoller({ connector: v2(connector), tenant: 'acme', store, sink })).rejects.toThrow(
      unsupported('connector "test"'),
    );
    await expect(runPoller({ connector, tenant: 'acme', store: v2(store), sink })).rejects.toThrow(
      unsupported('the state store'),
    );
    await expect(runPoller({ connector, tenant: 'acme', store, sink: v2(sink) })).rejects.toThrow(
      unsupported('the sink'),
    );
  });

  it('runReconciliation', async () => {
    const { connector, store, sink } = setup();
    await expect(runReconciliation({ connector, tenant: 'acme', store, sink })).resolves.toHaveLength(1);
    await expect(
      runReconciliation({ connector: { ...connector, reconcilers: [v2(reconciler)] }, tenant: 'acme', store, sink }),
    ).rejects.toThrow(unsupported('reconciler "things" of connector "test"'));
    await expect(runReconciliation({ connector, tenant: 'acme', store, sink: v2(sink) })).rejects.toThrow(
      unsupported('the sink'),
    );
  });
});
