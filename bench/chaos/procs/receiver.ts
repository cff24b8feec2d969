/**
 * A receiver process: node:http + toNodeHandler(createWebhookHandler) into the
 * Postgres inbox of the scenario's database. Answers `{ type: 'listening', port }`,
 * stops on `{ type: 'stop' }`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SourceEntryV1 } from '@act/core';
import { createWebhookHandler, type WebhookProcessorV1 } from '@act/core';
import { toNodeHandler } from '@act/core/node';
import { createPostgresState } from '@act/sink-supabase';

interface Job {
  databaseUrl: string;
  /** The connector id: its package's `source` entry builds the receiver. */
  connector: string;
  /** The connector's environment variables (its webhook secret or keys). */
  env: Record<string, string>;
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
  const { source } = (await import(`@act/connector-${job.connector}`)) as { source: SourceEntryV1 };
  const processor = source.createConnector(source.settingsFromEnv(job.env)).webhooks?.default as WebhookProcessorV1;
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
