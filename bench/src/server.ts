/**
 * The server under test, forked as its own process. Modes:
 * - `bare`: node:http reads the body and answers 200 (the limit);
 * - `act`: @act's webhook handler through the Node adapter into the Postgres
 *   inbox, acknowledged after the commit, for the Template (HMAC) or the
 *   GoHighLevel (Ed25519) connector, with or without group commit;
 * - `act` with `worker: true` also runs the worker (receive → inbox → worker
 *   → transform → sink → integration event), for the freshness benchmark.
 * Sends `{ port }` when listening; on 'stop' closes and answers `{ stats }`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGhlConnector } from '@act/connector-ghl';
import { createTemplateConnector } from '@act/connector-template';
import { createWebhookHandler, createWorker, type Worker } from '@act/core';
import { toNodeHandler } from '@act/core/node';
import { createPostgresState, type PostgresState } from '@act/sink-supabase';
import { TEMPLATE_SECRET } from './payloads.ts';

export interface ServerJob {
  mode: 'bare' | 'act';
  connector?: 'template' | 'ghl';
  databaseUrl?: string;
  schema?: string;
  groupCommit?: boolean;
  poolMax?: number;
  ghlPublicPem?: string;
  worker?: { batchSize: number; concurrency: number; idleDelayMs: number; workers: number };
  /** `false`: no HTTP server, only the workers (a worker process). */
  http?: boolean;
}

process.once('message', async (job: ServerJob) => {
  let state: PostgresState | undefined;
  const workers: Worker[] = [];
  let listener: (req: IncomingMessage, res: ServerResponse) => void;
  if (job.mode === 'bare') {
    listener = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        Buffer.concat(chunks);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"received":true}');
      });
    };
  } else {
    state = createPostgresState(
      { connectionString: job.databaseUrl as string, poolOptions: { max: job.poolMax ?? 20 } },
      { schema: job.schema as string, groupCommit: job.groupCommit ?? true },
    );
    const connector =
      job.connector === 'ghl'
        ? createGhlConnector({ webhook: { ed25519PublicKeys: [job.ghlPublicPem as string] } })
        : createTemplateConnector({ webhookSecrets: [TEMPLATE_SECRET], apiToken: 'bench' });
    const processor = connector.webhook;
    if (!processor) throw new Error('connector has no webhook processor');
    listener = toNodeHandler(createWebhookHandler({ processor, store: state.store })) as typeof listener;
    if (job.worker) {
      for (let index = 0; index < job.worker.workers; index++) {
        const worker = createWorker({
          connectors: [connector],
          store: state.store,
          sink: state.sink,
          owner: `bench-${index}`,
          batchSize: job.worker.batchSize,
          concurrency: job.worker.concurrency,
          idleDelayMs: job.worker.idleDelayMs,
        });
        workers.push(worker);
      }
    }
  }
  const server = job.http === false ? undefined : createServer({ keepAlive: true }, listener);
  if (server) {
    server.keepAliveTimeout = 60_000;
    server.listen(0, '127.0.0.1', () => {
      for (const worker of workers) worker.start();
      process.send?.({ port: (server.address() as AddressInfo).port });
    });
  } else {
    for (const worker of workers) worker.start();
    process.send?.({ port: 0 });
  }
  process.on('message', async (message: unknown) => {
    if (message !== 'stop') return;
    server?.closeAllConnections();
    server?.close();
    await Promise.all(workers.map((worker) => worker.stop()));
    await state?.close();
    process.send?.({ stopped: true }, () => process.exit(0));
  });
});
