import { createWebhookHandler } from '@act/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresState, type PostgresConnection } from '../src';
import {
  bundleChild,
  type Child,
  type ChildLine,
  type KillTarget,
  killHard,
  type Query,
  sleep,
  startChild,
  withFileBackedPglite,
} from './helpers/child-process';
import { DATABASE_URL, postgresHarness, randomSchema } from './helpers/harness';
import {
  createFeedConnector,
  FEED_MIGRATION,
  feedPush,
  PAGES,
  PER_PAGE,
  pageItems,
  SOURCE,
  STREAM,
} from './sync-kill/feed-connector';
import type { SyncKillPlan } from './sync-kill/sync-kill-child';

// A stream sync asked for by a webhook commits each page's rows and the
// stream's cursor in one transaction: a worker process SIGKILLed mid-sync
// leaves a cursor that says exactly which rows are in the mirror (nothing
// lost), and the worker that takes the delivery over resumes from that cursor
// (no committed page fetched again). The page's integration events commit in
// that same transaction, so the feed has exactly one event per committed
// record whatever the kills interrupted. The worker that dies is a real separate
// Node process (test/sync-kill/sync-kill-child.ts), killed while it works, at
// no page boundary it chose.

const TENANT = 't1';
/** Short, so the dead worker's delivery and stream leases run out soon. */
const LEASE_MS = 1_000;
const PAGE_DELAY_MS = 15;
/**
 * A slow `recordEvents` in the children: were a page's events written after
 * its rows and cursor, the kill 23 ms after page n + 1 is asked for would
 * land after that page's commit and before its events.
 */
const RECORD_EVENTS_DELAY_MS = 300;
/** Kill each worker once it has committed this many pages of the stream in all, ... */
const KILL_AFTER = [2, 7, 15];
/** ... this long after it said so: the kill lands anywhere in a page's fetch or commit. */
const KILL_JITTER_MS = [0, 9, 23];

let bundle: { file: string; dispose(): void };

beforeAll(async () => {
  bundle = await bundleChild('test/sync-kill/sync-kill-child.ts', 'sync-kill-child');
}, 60_000);

afterAll(() => bundle?.dispose());

/** The database the children share, reopened by the test between them (PGlite: one process at a time). */

interface Row {
  id: string;
  name: string;
  version: number;
}

/** The mirror rows pages 1..`pages` write. */
const expectedRows = (pages: number): Row[] => Array.from({ length: pages }, (_, index) => pageItems(index + 1)).flat();

/** Children still running when a test fails are killed, so none outlives the run. */
const running = new Set<Child>();
const start = (plan: SyncKillPlan) => {
  const child = startChild(bundle.file, plan);
  running.add(child);
  void child.exited.then(() => running.delete(child));
  return child;
};

afterEach(async () => {
  for (const child of running) child.process.kill('SIGKILL');
  await Promise.all([...running].map((child) => child.exited));
});

async function syncAndKill(target: KillTarget, schema: string): Promise<void> {
  const s = `"${schema}"`;
  const mirror = (query: Query) =>
    query<Row>(`select id, name, _version::int as version from ${s}.feed_items where tenant_id = $1 order by id`, [
      TENANT,
    ]);
  const storedCursor = async (query: Query) =>
    (
      await query<{ cursor: string }>(
        `select cursor from ${s}.act_cursors where source = $1 and tenant = $2 and stream = $3`,
        [SOURCE, TENANT, STREAM],
      )
    )[0]?.cursor ?? null;
  /**
   * The stream's integration events per record: committed with the page's
   * rows and cursor, so each committed record has exactly one, `created`
   * (none of a committed page lost to a kill, none doubled by the resume).
   */
  const eventsPerRecord = (query: Query) =>
    query<{ id: string; outcome: string; count: number }>(
      `select entity_id as id, outcome, count(*)::int as count from ${s}.act_integration_events
       where source = $1 and tenant = $2 group by entity_id, outcome order by entity_id, outcome`,
      [SOURCE, TENANT],
    );
  const onceCreated = (rows: readonly Row[]) => rows.map((row) => ({ id: row.id, outcome: 'created', count: 1 }));

  // The push asking for the stream's sync, stored through the webhook handler.
  let opened = await target.open();
  try {
    const state = createPostgresState(opened.connection, { schema });
    await state.migrate({ migrations: [FEED_MIGRATION] });
    const connector = createFeedConnector({ pageDelayMs: 0 });
    const handler = createWebhookHandler({ processor: connector.webhooks?.default as never, store: state.store });
    expect((await handler(feedPush(TENANT, 'push-1'))).status).toBe(200);
    await state.close();
  } finally {
    await opened.close();
  }

  const plan = (owner: string): SyncKillPlan => ({
    connection: target.childConnection,
    schema,
    owner,
    leaseMs: LEASE_MS,
    pageDelayMs: PAGE_DELAY_MS,
    recordEventsDelayMs: RECORD_EVENTS_DELAY_MS,
  });
  /** The child's first poll starts from `cursor`: the page after it is the first it fetches. */
  const expectResumedFrom = (child: Child, cursor: string | null) => {
    const polls = child.lines.filter((line) => line.event === 'poll');
    expect(polls[0], child.output()).toEqual({ event: 'poll', cursor });
    const fetched = child.lines.filter((line): line is ChildLine & { page: number } => line.event === 'fetch');
    expect(fetched[0]?.page, child.output()).toBe(cursor === null ? 1 : Number(cursor) + 1);
  };

  let cursor: string | null = null;
  for (const [index, killAfter] of KILL_AFTER.entries()) {
    const child = start(plan(`worker-${index + 1}`));
    // Asking for page n + 1 means page n (rows and cursor) committed.
    await child.waitFor((line) => line.event === 'fetch' && line.page === killAfter + 1);
    await sleep(KILL_JITTER_MS[index] ?? 0);
    await killHard(child);
    expectResumedFrom(child, cursor);
    // The pages' events went with their rows: none through the state store.
    expect(
      child.lines.filter((line) => line.event === 'recordEvents'),
      child.output(),
    ).toEqual([]);
    const lastFetched = Math.max(
      ...child.lines.filter((line) => line.event === 'fetch').map((line) => line.page as number),
    );

    opened = await target.open();
    try {
      // Loses nothing: the stored cursor says exactly which pages are in the mirror.
      const stored = await storedCursor(opened.query);
      expect(stored, child.output()).not.toBeNull();
      const pages = Number(stored);
      expect(pages).toBeGreaterThanOrEqual(killAfter);
      expect(pages).toBeLessThanOrEqual(lastFetched);
      const rows = await mirror(opened.query);
      expect(rows.length, `cursor ${stored}, ${rows.length} rows`).toBe(pages * PER_PAGE);
      expect(rows).toEqual(expectedRows(pages));
      // The feed of the committed pages is complete: each record's one event, nothing of a page not committed.
      expect(await eventsPerRecord(opened.query), `cursor ${stored}`).toEqual(onceCreated(rows));
      cursor = stored;

      // The dead worker still holds the delivery and the stream lease: wait for both to run out.
      const [leases] = await opened.query<{ delivery: Date | null; stream: Date | null }>(
        `select (select max(lease_expires_at) from ${s}.act_deliveries where status = 'processing') as delivery,
                (select max(expires_at) from ${s}.act_leases) as stream`,
      );
      expect(leases?.delivery, 'the killed worker still holds the delivery').not.toBeNull();
      expect(leases?.stream, "the killed worker still holds the stream's lease").not.toBeNull();
      const until = Math.max(new Date(leases?.delivery as Date).getTime(), new Date(leases?.stream as Date).getTime());
      await sleep(Math.max(0, until - Date.now()) + 50);
    } finally {
      await opened.close();
    }
  }

  // Left alone, the last worker takes the delivery over and finishes the stream.
  const last = start(plan('worker-last'));
  const exit = await last.exited;
  expect(exit, last.output()).toEqual({ code: 0, signal: null });
  expectResumedFrom(last, cursor);
  // Repeats nothing: it fetched each remaining page once, and no committed one.
  expect(
    last.lines.filter((line) => line.event === 'fetch').map((line) => line.page),
    last.output(),
  ).toEqual(Array.from({ length: PAGES - Number(cursor) }, (_, index) => Number(cursor) + index + 1));
  expect(last.lines.at(-1), last.output()).toMatchObject({ event: 'drained', claimed: 1, outcomes: { done: 1 } });

  opened = await target.open();
  try {
    expect(await storedCursor(opened.query)).toBe(String(PAGES));
    // Every item once (the key), with the version and values of its page.
    expect(await mirror(opened.query)).toEqual(expectedRows(PAGES));
    // Each item's integration event once, created, whichever worker wrote its page.
    expect(await eventsPerRecord(opened.query)).toEqual(onceCreated(expectedRows(PAGES)));
    // The delivery: each killed worker's lapsed lease is one retry in its history, then done.
    expect(
      await opened.query(
        `select d.status, array_agg(a.outcome order by a.attempt) as outcomes
         from ${s}.act_deliveries d join ${s}.act_delivery_attempts a on a.delivery_id = d.id group by d.id`,
      ),
    ).toEqual([{ status: 'done', outcomes: [...KILL_AFTER.map(() => 'retry'), 'done'] }]);
    // The stream lease was given back at the end.
    expect(await opened.query(`select name from ${s}.act_leases`)).toEqual([]);
  } finally {
    await opened.close();
  }
}

const TEST_NAME =
  'a worker SIGKILLed mid-sync (3 times) leaves the cursor, the rows and their events in step, and the next resumes from that cursor';

describe('a stream sync killed on PGlite (a data directory each process opens in turn)', () => {
  it(TEST_NAME, async () => {
    await withFileBackedPglite('act-sync-kill-', (target) => syncAndKill(target, randomSchema('act_sync_kill')));
    // 20-30 s alone (the test and each child boot PGlite from the directory in turn); more on a busy machine.
  }, 90_000);
});

describe.skipIf(!DATABASE_URL)('a stream sync killed on Postgres', () => {
  const h = postgresHarness();

  it(TEST_NAME, async () => {
    const connection: PostgresConnection = { connectionString: DATABASE_URL as string, poolOptions: { max: 2 } };
    const schema = randomSchema('act_sync_kill');
    try {
      await syncAndKill(
        { childConnection: connection, open: async () => ({ connection, query: h.query, async close() {} }) },
        schema,
      );
    } finally {
      await h.query(`drop schema if exists "${schema}" cascade`);
    }
  }, 60_000);
});
