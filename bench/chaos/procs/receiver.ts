/**
 * A receiver process: node:http + toNodeHandler(createWebhookHandler) into the
 * Postgres inbox of the scenario's database. Answers `{ type: 'listening', port }`,
 * stops on `{ type: 'stop' }`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebhookHandler, type WebhookProcessorV1 } from '@act/core';
import { toNodeHandler } from '@act/core/node';
import { createPostgresState } from '@act/sink-supabase';

interface Job {
  databaseUrl: string;
  connector: 'template' | 'ghl' | 'xero';
  secret?: string;
  ghlPublicPem?: string;
  poolMax?: number;
}

process.on('unhandledRejection', (error) => {
  console.error(`[${process.env.CHAOS_PROC}] unhandled rejection`, error);
  process.exit(70);
});

process.once('message', async (job: Job) => {
  const state = createPostgresState(
    { connectionString: job.databaseUrl, poolOptions: { max: job.poolMax ?? 10, connectionTimeoutMillis: 2_000 } },
    { groupCommit: true },
  );
  let processor: WebhookProcessorV1;
  if (job.connector === 'template') {
    const { createTemplateConnector } = await import('@act/connector-template');
    processor = createTemplateConnector({ webhookSecrets: [job.secret as string], apiToken: 'chaos' })
      .webhook as WebhookProcessorV1;
  } else if (job.connector === 'ghl') {
    const { createGhlConnector } = await import('@act/connector-ghl');
    processor = createGhlConnector({ webhook: { ed25519PublicKeys: [job.ghlPublicPem as string] } })
      .webhook as WebhookProcessorV1;
  } else {
    const { createXeroConnector } = await import('@act/connector-xero');
    processor = createXeroConnector({ webhook: { keys: [job.secret as string] } }).webhook as WebhookProcessorV1;
  }
  const handler = toNodeHandler(createWebhookHandler({ processor, store: state.store }), {
    onError: (error) => console.error(`[${process.env.CHAOS_PROC}] 500`, error),
  });
  const server = createServer({ keepAlive: true }, handler as never);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ type: 'listening', port: (server.address() as AddressInfo).port });
  });
  process.on('message', async (message: { type?: string }) => {
    if (message?.type !== 'stop') return;
    server.closeAllConnections();
    server.close();
    await state.close().catch(() => undefined);
    process.exit(0);
  });
});
