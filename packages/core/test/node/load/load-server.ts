// The server under load in test/node/receive-limits-load.test.ts (and the
// `pre-auth` chaos scenario's twin): a real node:http server with
// toNodeHandler(createWebhookHandler(…)) on /webhooks/test and a /health route,
// in a process of its own so its memory is measured alone. The test bundles it
// with core's source (tsup) and runs:
//
//   node --expose-gc load-server.mjs '<ServerPlan as JSON>'
//
// It reports over IPC: `{ type: 'listening', port }`, then answers
// `{ type: 'memory', gc? }` with `{ type: 'memory', rss, heapUsed, external, arrayBuffers, load? }`.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as core from '../../../src/internal';
import * as nodeAdapter from '../../../src/node/index';
import { createTestConnector } from '../../helpers/test-connector';

export interface ServerPlan {
  /** `configureReceiveLimits` options (when this build of core has it). */
  limits?: Record<string, number>;
  /** `serverTimeouts` overrides (when this build of core has it). */
  timeouts?: Record<string, number>;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as ServerPlan;
// Looked up by name so the same file runs against a core without these (the test must fail there, not crash).
const optional = { ...core, ...nodeAdapter } as unknown as Record<
  string,
  ((...args: unknown[]) => unknown) | undefined
>;
optional.configureReceiveLimits?.(plan.limits ?? {});
const serverOptions = (optional.serverTimeouts?.(plan.timeouts ?? {}) ?? {}) as Record<string, number>;

const { webhook } = createTestConnector({ persistFailureStatus: 429 });
const store = core.createMemoryStateStore();
const webhookRoute = nodeAdapter.toNodeHandler(core.createWebhookHandler({ processor: webhook, store }), {
  onError: () => {},
});

const server = createServer(serverOptions, (req, res) => {
  if (req.url === '/health') {
    void store.health().then((figures) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(figures));
    });
    return;
  }
  void webhookRoute(req, res);
});
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
  process.send?.({ type: 'listening', port: (server.address() as AddressInfo).port });
});

process.on('message', (message: { type?: string; gc?: boolean }) => {
  if (message?.type !== 'memory') return;
  if (message.gc) {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
  }
  const usage = process.memoryUsage();
  process.send?.({
    type: 'memory',
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    load: optional.receiveLoad?.(),
  });
});
process.on('disconnect', () => process.exit(0));
