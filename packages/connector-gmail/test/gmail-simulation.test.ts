// The package's simulations (./testing), what the demo runs: Gmail and Google
// Calendar wired to their fakes (served over HTTP, as the demo serves them),
// connected as an app connects them (stored tokens, a watch per mailbox, a
// channel per calendar), then driven through a real app (createAct: webhook
// handler, inbox, worker, coalesced syncs) until the mirror holds what the
// fakes hold, duplicates and late pushes included.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createAct,
  createMemoryCredentialStore,
  createMemorySink,
  createMemoryStateStore,
  createMemorySyncStore,
  noopLogger,
  runPoller,
} from '@act/core';
import { createMemoryRateLimitStore } from '@act/core/internal';
import {
  createRandom,
  type FakeDelivery,
  type FakeProvider,
  type SimulationContextV1,
  type SimulationV1,
} from '@act/core/testing/fake';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedGoogleAccounts, simulations } from '../src/testing/index';

const fakes = new Map<string, FakeProvider>();
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((request, response) => {
    const match = /^\/sim\/([a-z]+)(\/.*)$/.exec(request.url ?? '');
    const fake = match ? fakes.get(match[1] as string) : undefined;
    if (!match || !fake) {
      response.writeHead(404).end();
      return;
    }
    fake.handleApi(request, response, match[2] as string);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function context(
  id: string,
  state: SimulationContextV1['state'],
  env: Record<string, string> = {},
): SimulationContextV1 {
  return { baseUrl: `${base}/sim/${id}`, random: createRandom(42), runId: 'test', state, env, logger: noopLogger };
}

describe('simulations', () => {
  it('mirror Gmail and Google Calendar through a real app until the mirror matches the fakes', async () => {
    const credentials = createMemoryCredentialStore();
    const rateLimits = createMemoryRateLimitStore();
    const store = createMemoryStateStore();
    const sink = createMemorySink();
    const sync = createMemorySyncStore();
    const running: [string, SimulationV1][] = [];
    for (const [id, create] of Object.entries(simulations)) {
      const simulation = await create(context(id, { credentials, rateLimits }));
      if (simulation.fake) fakes.set(id, simulation.fake);
      running.push([id, simulation]);
    }
    expect(running.map(([id]) => id)).toEqual(['gmail', 'calendar']);
    for (const [, simulation] of running) {
      // Both share the accounts: a mailbox and its primary calendar.
      expect(simulation.tenants).toEqual(simulatedGoogleAccounts('test'));
      await simulation.setup?.();
    }
    const act = createAct({
      state: { store, sink, credentials, rateLimits, sync },
      connectors: running.map(([, simulation]) => simulation.connector),
      logger: noopLogger,
      prefix: '/webhooks',
      worker: { idleDelayMs: 5 },
    });
    const send = async (delivery: FakeDelivery) => {
      const response = await act.handler(
        new Request(`${base}/webhooks/${delivery.source}`, {
          method: 'POST',
          headers: delivery.headers,
          body: delivery.body,
        }),
      );
      return response.status;
    };

    // Records before the run: only the backfill (a full sync) finds them.
    for (const [, simulation] of running) {
      simulation.fake?.seed(4);
      for (const tenant of simulation.tenants) {
        for (const poller of simulation.connector.pollers ?? []) {
          await runPoller({ connector: simulation.connector, tenant, poller, store, sink, sync, logger: noopLogger });
        }
      }
    }
    act.worker.start();
    try {
      const statuses: number[] = [];
      const kinds = new Set<string>();
      for (let round = 0; round < 40; round++) {
        for (const [, simulation] of running) {
          for (const delivery of (await simulation.fake?.next()) ?? []) {
            kinds.add(`${delivery.source}:${delivery.kind}`);
            statuses.push(await send(delivery));
          }
        }
      }
      for (const [, simulation] of running)
        for (const delivery of simulation.finish?.() ?? []) statuses.push(await send(delivery));
      expect(
        statuses.every((status) => status >= 200 && status < 300),
        `statuses ${[...new Set(statuses)]}`,
      ).toBe(true);
      expect(kinds).toContain('gmail:duplicate');
      expect(kinds).toContain('calendar:created'); // the channel's sync message

      // Drained: nothing pending in the inbox.
      for (let wait = 0; wait < 400; wait++) {
        const figures = await store.health();
        if (figures.every((figure) => figure.pending === 0 && figure.processing === 0)) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect((await store.health()).every((figure) => figure.dead === 0)).toBe(true);
    } finally {
      await act.worker.stop();
    }

    const mismatches: string[] = [];
    for (const [id, simulation] of running) {
      for (const table of simulation.fake?.expected() ?? []) {
        expect(table.rows.length, `${id}: ${table.table} has rows`).toBeGreaterThan(8);
        for (const expected of table.rows) {
          const row = sink.row(table.table, expected.key);
          const label = `${table.table} ${Object.values(expected.key).join('/')}`;
          if (expected.deleted) {
            if (row && row.deletedAt === null) mismatches.push(`${label}: deleted at the provider, live in the mirror`);
            continue;
          }
          if (!row || row.deletedAt !== null) {
            mismatches.push(`${label}: missing from the mirror`);
            continue;
          }
          if (expected.version !== undefined && row.version !== expected.version) {
            mismatches.push(`${label}: version ${row.version}, provider ${expected.version}`);
          }
          for (const column of table.columns) {
            const want = JSON.stringify(expected.values[column] ?? null);
            const have = JSON.stringify(row.values[column] ?? null);
            if (want !== have) mismatches.push(`${label}: ${column} is ${have}, provider ${want}`);
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
  }, 120_000);

  it('uses the real accounts when GOOGLE_* is set, polling the listed mailboxes and calendars', async () => {
    const state = { credentials: createMemoryCredentialStore(), rateLimits: createMemoryRateLimitStore() };
    const env = {
      GOOGLE_CLIENT_ID: 'id',
      GOOGLE_CLIENT_SECRET: 'secret',
      DEMO_GMAIL_MAILBOXES: 'a@example.com, b@example.com',
      DEMO_CALENDAR_IDS: 'a@example.com',
    };
    const gmail = await simulations.gmail?.(context('gmail', state, env));
    expect(gmail?.fake).toBeUndefined();
    expect(gmail?.tenants).toEqual(['a@example.com', 'b@example.com']);
    const calendar = await simulations.calendar?.(context('calendar', state, env));
    expect(calendar?.fake).toBeUndefined();
    expect(calendar?.tenants).toEqual(['a@example.com']);
  });
});
