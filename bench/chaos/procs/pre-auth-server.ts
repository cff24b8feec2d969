/**
 * The server of the `pre-auth` scenario: node:http created with `serverTimeouts()`,
 * `toNodeHandler(createWebhookHandler(GoHighLevel))` on /webhooks/ghl into a memory
 * store, and GET /health, all at the library's default receive limits. Answers
 * `{ type: 'listening', port }`, then `{ type: 'memory', gc? }` with its memory and
 * `receiveLoad()`; stops on `{ type: 'stop' }`. A process of its own, so its memory
 * is measured alone.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createGhlConnector } from '@act/connector-ghl';
import { createMemoryStateStore, createWebhookHandler, type WebhookProcessorV1 } from '@act/core';
import { receiveLoad } from '@act/core/internal';
import { serverTimeouts, toNodeHandler } from '@act/core/node';

// A full collection before measuring what stays (spawnProc starts procs without --expose-gc).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

process.once('message', (job: { ghlPublicPem: string }) => {
  const processor = createGhlConnector({ webhook: { ed25519PublicKeys: [job.ghlPublicPem] } })
    .webhook as WebhookProcessorV1;
  const store = createMemoryStateStore();
  const webhook = toNodeHandler(createWebhookHandler({ processor, store }), {
    onError: (error) => console.error(`[${process.env.CHAOS_PROC}] 500`, error),
  });
  const server = createServer(serverTimeouts(), (req, res) => {
    if (req.url === '/health') {
      void store.health().then((figures) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(figures));
      });
      return;
    }
    void webhook(req, res);
  });
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
    process.send?.({ type: 'listening', port: (server.address() as AddressInfo).port });
  });
  process.on('message', async (message: { type?: string; gc?: boolean }) => {
    if (message?.type === 'memory') {
      if (message.gc) {
        gc();
        gc();
      }
      const usage = process.memoryUsage();
      process.send?.({
        type: 'memory',
        rss: usage.rss,
        heapUsed: usage.heapUsed,
        external: usage.external,
        load: receiveLoad(),
        stored: (await store.listDeliveries({})).length,
      });
    }
    if (message?.type === 'stop') {
      server.closeAllConnections();
      server.close();
      process.exit(0);
    }
  });
});
