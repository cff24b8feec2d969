// act outbox (stats, list, replay) and the outbox in act health: against the
// in-memory outbox (io.outbox, a fixed clock) and on the databases (PGlite
// always, Postgres with DATABASE_URL).
import { createMemoryOutboxStore, type OutboxStoreV1 } from '@act/core';
import { afterEach, describe, expect, it } from 'vitest';
import { act, TARGETS, type Target } from './helpers';

const NOW = new Date('2026-03-01T10:00:00.000Z');
const MINUTE = 60_000;

/** Enqueue a message and fail it for good: a dead letter of `destination`. */
async function deadMessage(outbox: OutboxStoreV1, destination: string, key: string, now = new Date()): Promise<string> {
  const [enqueued] = await outbox.enqueue([
    { destination, key, tenant: 'loc-1', payload: { key }, availableAt: new Date(now.getTime() - 1_000) },
  ]);
  const [claimed] = await outbox.claim({ owner: 'test', limit: 1, leaseMs: 60_000, destinations: [destination], now });
  if (!claimed || claimed.id !== enqueued?.id) throw new Error('expected to claim the message just stored');
  const outcome = await outbox.fail({
    id: claimed.id,
    claimToken: claimed.claimToken,
    error: 'receiver answered 400 Bad Request',
    errorClass: 'validation',
    retryAt: null,
    countsTowardsSchedule: true,
    now,
  });
  expect(outcome).toBe('dead');
  return claimed.id;
}

describe('act outbox', () => {
  it('explains itself with --help and refuses what it does not take', async () => {
    const help = await act(['outbox', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('act outbox replay <id>... [--app <url>] | --destination <name>');
    expect((await act(['--help'])).stdout).toContain('outbox [list | replay <id>...]');

    const outbox = createMemoryOutboxStore();
    const everything = await act(['outbox', 'replay'], { outbox });
    expect(everything.code).toBe(2);
    expect(everything.stderr).toContain('outbox replay needs message ids or --destination');
    expect((await act(['outbox', 'list', '--status', 'lost'], { outbox })).stderr).toContain(
      '--status must be one of pending, processing, done, dead',
    );
    expect((await act(['outbox', '--status', 'dead'], { outbox })).stderr).toContain(
      '--status not taken by act outbox',
    );
    expect((await act(['outbox', 'resend'], { outbox })).stderr).toContain('unknown subcommand "resend"');
  });

  it('says when there are none', async () => {
    const outbox = createMemoryOutboxStore({ now: () => NOW });
    expect(await act(['outbox'], { outbox })).toEqual({
      code: 0,
      stdout: 'the outbox: no outbox messages yet\n',
      stderr: '',
    });
    expect(JSON.parse((await act(['outbox', 'list', '--json'], { outbox })).stdout)).toEqual({ messages: [] });
  });

  it('shows depth and failures per destination, lists dead messages and replays them by id or destination', async () => {
    const outbox = createMemoryOutboxStore();
    const now = new Date();
    const deadId = await deadMessage(outbox, 'verity', 'delivery-1:0', now);
    await deadMessage(outbox, 'verity', 'delivery-2:0', now);
    await outbox.enqueue([{ destination: 'ghl:contacts', key: 'change-1', tenant: 'loc-1', payload: {} }]);

    const table = await act(['outbox'], { outbox });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /^destination\s+pending\s+processing\s+dead\s+oldest waiting\s+last error\s+last delivered\s+status$/m,
    );
    expect(table.stdout).toMatch(
      /^verity\s+0\s+0\s+2\s+-\s+\S+ receiver answered 400 Bad Request\s+-\s+amber \(2 dead\)$/m,
    );
    expect(table.stdout).toMatch(/^ghl:contacts\s+1\s+0\s+0\s+\d+ ms\s+-\s+-\s+green$/m);
    const stats = JSON.parse((await act(['outbox', '--json'], { outbox })).stdout) as {
      destinations: Record<string, unknown>[];
    };
    expect(stats.destinations.find((row) => row.destination === 'verity')).toMatchObject({
      pending: 0,
      dead: 2,
      status: 'amber',
      targetMs: 5 * MINUTE,
      lastError: 'receiver answered 400 Bad Request',
    });

    const dead = await act(['outbox', 'list', '--status', 'dead', '--destination', 'verity'], { outbox });
    expect(dead.code).toBe(0);
    expect(dead.stdout).toMatch(
      /^id\s+destination\s+status\s+attempts\s+created\s+next attempt\s+tenant\s+key\s+last error$/m,
    );
    expect(dead.stdout).toContain('validation: receiver answered 400 Bad Request');
    expect(dead.stdout).not.toContain('change-1');
    const listed = JSON.parse((await act(['outbox', 'list', '--json', '--limit', '1'], { outbox })).stdout) as {
      messages: Record<string, unknown>[];
    };
    expect(listed.messages).toHaveLength(1);

    const one = await act(['outbox', 'replay', deadId], { outbox });
    expect(one).toEqual({
      code: 0,
      stdout: 'replayed 1 dead message(s): back in the queue, a running worker delivers them\n',
      stderr: '',
    });
    expect(await outbox.get(deadId)).toMatchObject({ status: 'pending' });
    expect(
      JSON.parse((await act(['outbox', 'replay', '--destination', 'verity', '--json'], { outbox })).stdout),
    ).toEqual({
      replayed: 1,
    });
    expect(await outbox.list({ status: 'dead' })).toEqual([]);
  });

  it('--app reads and replays through a running app’s dashboard, with its token', async () => {
    const calls: { url: string; method: string; headers: Record<string, string> }[] = [];
    const fetcher = (async (input: URL | RequestInfo, init?: RequestInit) => {
      const url = String(input);
      calls.push({ url, method: init?.method ?? 'GET', headers: (init?.headers ?? {}) as Record<string, string> });
      if (url.endsWith('/dashboard/outbox')) {
        return Response.json({
          enabled: true,
          destinations: [
            {
              destination: 'ghl:contacts',
              pending: 0,
              processing: 0,
              dead: 1,
              oldestWaitingAgeMs: null,
              status: 'amber',
              reason: '1 dead',
              lastError: 'stale token',
            },
          ],
          dead: [],
        });
      }
      return Response.json({ id: 'm-1', replayed: 1 });
    }) as typeof fetch;
    const env = { ACT_DASHBOARD_TOKEN: 'token-0123456789abcdef' };
    const stats = await act(['outbox', '--app', 'http://127.0.0.1:3000'], { env, fetch: fetcher });
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/^ghl:contacts\s+0\s+0\s+1\s+-\s+stale token\s+amber \(1 dead\)$/m);
    const replayed = await act(['outbox', 'replay', 'm-1', '--app', 'http://127.0.0.1:3000'], { env, fetch: fetcher });
    expect(replayed.stdout).toBe(
      'replayed 1 dead message(s) through http://127.0.0.1:3000: its outbox dispatcher delivers them\n',
    );
    expect(calls.map((call) => `${call.method} ${call.url}`)).toEqual([
      'GET http://127.0.0.1:3000/dashboard/outbox',
      'POST http://127.0.0.1:3000/dashboard/outbox/m-1/replay',
    ]);
    expect(calls[1]?.headers).toMatchObject({
      authorization: 'Bearer token-0123456789abcdef',
      'x-act-dashboard': 'replay',
    });
    const byDestination = await act(['outbox', 'replay', '--destination', 'verity', '--app', 'http://x'], { env });
    expect(byDestination.code).toBe(2);
    expect(byDestination.stderr).toContain('outbox replay --app takes message ids only');
  });

  it('is red, exit 1, when a message has waited past the target (nothing delivers the outbox)', async () => {
    const outbox = createMemoryOutboxStore();
    await outbox.enqueue([
      { destination: 'verity', key: 'old', payload: {}, availableAt: new Date(Date.now() - 10 * MINUTE) },
    ]);
    const result = await act(['outbox'], { outbox });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^verity\s+1\s+0\s+0\s+10 min \d+ s\s+-\s+-\s+red \(messages waiting past the target\)$/m,
    );
    expect(result.stderr).toContain('1 destination(s) with messages waiting over 5 min 0 s');
  });
});

for (const { name, create } of TARGETS) {
  describe(`act outbox on ${name}`, () => {
    let target: Target | undefined;
    afterEach(async () => {
      await target?.destroy();
      target = undefined;
    });

    it('lists and replays dead messages, and act health shows the outbox, red for a stuck destination', async () => {
      target = await create();
      expect((await act(['migrate', ...target.args], { env: target.env })).code).toBe(0);
      const deadId = await target.withState((state) => deadMessage(state.outbox, 'ghl:contacts', 'change-1'));

      const dead = JSON.parse(
        (await act(['outbox', 'list', '--status', 'dead', '--json', ...target.args], { env: target.env })).stdout,
      ) as { messages: Record<string, unknown>[] };
      expect(dead.messages).toEqual([
        expect.objectContaining({
          id: deadId,
          destination: 'ghl:contacts',
          key: 'change-1',
          status: 'dead',
          attempts: 1,
          tenant: 'loc-1',
          lastError: 'receiver answered 400 Bad Request',
          lastErrorClass: 'validation',
        }),
      ]);

      // Dead letters alone: amber, exit 0.
      const amber = await act(['health', ...target.args], { env: target.env });
      expect(amber.code).toBe(0);
      expect(amber.stdout).toMatch(/^ghl:contacts\s+0\s+0\s+1\s+-\s+.+amber \(1 dead\)$/m);

      const replayed = await act(['outbox', 'replay', deadId, ...target.args], { env: target.env });
      expect(replayed.stdout).toContain('replayed 1 dead message(s)');
      expect(await target.withState((state) => state.outbox.get(deadId))).toMatchObject({ status: 'pending' });

      // A message waiting 10 minutes: nothing is delivering the outbox.
      await target.withState((state) =>
        state.outbox.enqueue([
          { destination: 'verity', key: 'stuck', payload: {}, availableAt: new Date(Date.now() - 10 * MINUTE) },
        ]),
      );
      const red = await act(['health', '--json', ...target.args], { env: target.env });
      expect(red.code).toBe(1);
      expect(red.stderr).toContain('1 outbox destination(s) not delivering (act outbox)');
      const rows = (JSON.parse(red.stdout) as { outbox: Record<string, unknown>[] }).outbox;
      expect(rows.find((row) => row.destination === 'verity')).toMatchObject({ pending: 1, status: 'red' });
      expect(rows.find((row) => row.destination === 'ghl:contacts')).toMatchObject({ pending: 1, dead: 0 });
    });
  });
}
