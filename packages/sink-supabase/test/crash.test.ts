import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorker } from '@act/core';
import { makeTestDelivery } from '@act/core/testing';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresState, type PostgresConnection, type PostgresState } from '../src';
import type { CrashPlan, CrashReport } from './crash/crash-child';
import {
  BENCH_MIGRATION,
  type BenchBody,
  createBenchConnector,
  seededRandom,
  shuffle,
} from './helpers/bench-connector';
import { bundleChild, packageDir } from './helpers/child-process';
import { DATABASE_URL, postgresHarness, randomSchema } from './helpers/harness';

// A worker killed mid-batch (process exit): its leases expire, another worker
// reprocesses the deliveries, and the mirror ends identical to a run without
// the crash. The worker that dies is a real separate Node process running the
// package bundled from source (test/crash/crash-child.ts).

const BATCH = 20;
const COMPLETE_FIRST = 8;
const APPLY_WITHOUT_COMPLETE = 4;
/** Long enough for the child to finish its part of the batch, short enough to wait for. */
const LEASE_MS = 1_000;

let childBundle: string;

let disposeBundle: (() => void) | undefined;

beforeAll(async () => {
  // The crash child bundled from source (see helpers/child-process.ts).
  const bundle = await bundleChild('test/crash/crash-child.ts', 'crash-child');
  childBundle = bundle.file;
  disposeBundle = bundle.dispose;
});

afterAll(() => disposeBundle?.());

/** 12 things in 3 tenants, 5 versions each, the 4th version of every 4th thing a delete; shuffled. */
function crashBodies(): BenchBody[] {
  const bodies: BenchBody[] = [];
  for (let entity = 0; entity < 12; entity++) {
    for (let version = 1; version <= 5; version++) {
      bodies.push({
        tenant: `t${entity % 3}`,
        id: `thing-${entity}`,
        name: `thing ${entity} v${version}`,
        version,
        ...(entity % 4 === 0 && version === 4 ? { deleted: true } : {}),
      });
    }
  }
  return shuffle(bodies, seededRandom(2_026));
}

const dedupeKey = (body: BenchBody) => `bench:${body.id}:${body.version}`;
const byNumber = (ids: readonly string[]) => [...ids].sort((a, b) => Number(a) - Number(b));

async function enqueueAll(state: PostgresState, bodies: readonly BenchBody[]): Promise<void> {
  const received = Date.now() - 60_000;
  // One at a time, so ids and due times follow the list in both runs.
  for (const [index, body] of bodies.entries()) {
    await state.store.enqueue(
      makeTestDelivery({
        source: 'bench',
        tenant: body.tenant,
        dedupeKey: dedupeKey(body),
        body: new TextEncoder().encode(JSON.stringify(body)),
        receivedAt: new Date(received + index),
        eventTypes: [body.deleted ? 'ThingDelete' : 'ThingUpdate'],
      }),
    );
  }
}

/**
 * One delivery at a time, in claim order, in both the run without the crash
 * and the recovery: soft-deleted rows keep the values they had when deleted,
 * so the mirror is only comparable row for row when both runs apply the
 * deliveries in the same order.
 */
function sequentialWorker(state: PostgresState, owner: string) {
  return createWorker({
    connectors: [createBenchConnector()],
    store: state.store,
    sink: state.sink,
    owner,
    batchSize: BATCH,
    concurrency: 1,
    leaseMs: 60_000,
    circuitBreaker: false,
  });
}

type Query = <R = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<R[]>;

interface MirrorRow {
  tenant_id: string;
  id: string;
  name: string | null;
  version: string | null;
  hash: string | null;
  deleted: boolean;
}

const mirror = (query: Query, schema: string) =>
  query<MirrorRow>(
    `select tenant_id, id, name, _version::text as version, _payload_hash as hash, _deleted_at is not null as deleted
     from "${schema}".bench_things order by tenant_id, id`,
  );

const eventsByDelivery = async (query: Query, schema: string) =>
  Object.fromEntries(
    (
      await query<{ dedupe_key: string; outcomes: string[] }>(
        `select d.dedupe_key, array_agg(e.outcome order by e.id) as outcomes
         from "${schema}".act_deliveries d left join "${schema}".act_integration_events e on e.delivery_id = d.id
         group by d.dedupe_key`,
      )
    ).map((row) => [row.dedupe_key, row.outcomes.filter((outcome) => outcome !== null)]),
  );

function runChild(plan: CrashPlan): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childBundle, JSON.stringify(plan)], {
      cwd: packageDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The database both runs use (one schema each), reopened by the test process after the child died. */
interface CrashTarget {
  /** What the child connects with. */
  childConnection: PostgresConnection;
  open(): Promise<{ connection: PostgresConnection; query: Query; close(): Promise<void> }>;
  /** Drop what the runs left behind. */
  destroy(schemas: string[]): Promise<void>;
}

interface Baseline {
  rows: MirrorRow[];
  events: Record<string, string[]>;
}

async function crashAndRecover(target: CrashTarget, schema: string, cleanSchema: string) {
  const bodies = crashBodies();
  const s = `"${schema}"`;

  let opened = await target.open();
  // The run without the crash, in a schema of its own.
  const clean = createPostgresState(opened.connection, { schema: cleanSchema });
  let baseline: Baseline;
  try {
    await clean.migrate({ migrations: [BENCH_MIGRATION] });
    await enqueueAll(clean, bodies);
    const result = await sequentialWorker(clean, 'clean-worker').drain();
    expect(result.outcomes.done).toBe(bodies.length);
    baseline = {
      rows: await mirror(opened.query, cleanSchema),
      events: await eventsByDelivery(opened.query, cleanSchema),
    };
    expect(baseline.rows.filter((row) => row.deleted)).toHaveLength(3);
  } finally {
    await clean.close();
  }
  // The same deliveries, for the worker that will crash.
  const prepared = createPostgresState(opened.connection, { schema });
  try {
    await prepared.migrate({ migrations: [BENCH_MIGRATION] });
    await enqueueAll(prepared, bodies);
  } finally {
    await prepared.close();
    await opened.close();
  }

  const child = await runChild({
    connection: target.childConnection,
    schema,
    owner: 'crashing-worker',
    batchSize: BATCH,
    leaseMs: LEASE_MS,
    completeFirst: COMPLETE_FIRST,
    applyWithoutComplete: APPLY_WITHOUT_COMPLETE,
  });
  const output = `exit ${child.code}\nstdout:\n${child.stdout}\nstderr:\n${child.stderr}`;
  expect(child.code, output).toBe(1);
  const report = JSON.parse(child.stdout.trim().split('\n').at(-1) as string) as CrashReport;
  expect(report.claimed, output).toHaveLength(BATCH);
  expect(report.completed).toHaveLength(COMPLETE_FIRST);
  expect(report.appliedNotCompleted).toHaveLength(APPLY_WITHOUT_COMPLETE);
  const leased = report.claimed.filter((id) => !report.completed.includes(id));

  opened = await target.open();
  const { query } = opened;
  const state = createPostgresState(opened.connection, { schema });
  try {
    // Right after the crash: its completed deliveries are done, the rest of
    // its batch is still leased to it, nothing else was touched.
    const byStatus = async (status: string) =>
      (
        await query<{ id: string }>(`select d.id::text from ${s}.act_deliveries d where d.status = $1 order by d.id`, [
          status,
        ])
      ).map((row) => row.id);
    expect(await byStatus('done')).toEqual(byNumber(report.completed));
    expect(await byStatus('processing')).toEqual(byNumber(leased));
    expect(await byStatus('pending')).toHaveLength(bodies.length - BATCH);
    expect(await query(`select distinct lease_owner from ${s}.act_deliveries where status = 'processing'`)).toEqual([
      { lease_owner: 'crashing-worker' },
    ]);
    // The crashed attempt's mirror writes committed (sink.apply is one
    // transaction of its own) ...
    for (const id of report.appliedNotCompleted) {
      const [delivery] = await query<{ body: string }>(
        `select convert_from(body, 'UTF8') as body from ${s}.act_deliveries where id = $1`,
        [id],
      );
      const body = JSON.parse(delivery?.body as string) as BenchBody;
      const [row] = await query<{ applied: boolean }>(
        `select (_deleted_at is not null or _version >= $3) as applied from ${s}.bench_things where tenant_id = $1 and id = $2`,
        [body.tenant, body.id, body.version],
      );
      expect(row, `delivery ${id} was applied before the crash`).toEqual({ applied: true });
    }
    // ... but none of its integration events did: they commit with complete, which never ran.
    expect(
      (
        await query<{ id: string }>(
          `select distinct delivery_id::text as id, delivery_id from ${s}.act_integration_events order by delivery_id`,
        )
      ).map((row) => row.id),
    ).toEqual(byNumber(report.completed));

    // The leases run out; a second worker takes the deliveries over.
    const [lease] = await query<{ ms: number }>(
      `select coalesce(ceil(extract(epoch from max(lease_expires_at) - clock_timestamp()) * 1000), 0)::int as ms
       from ${s}.act_deliveries where status = 'processing'`,
    );
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, lease?.ms ?? 0) + 50));
    const recovered = await sequentialWorker(state, 'recovery-worker').drain();
    expect(recovered.outcomes).toEqual({ done: bodies.length - COMPLETE_FIRST, retrying: 0, dead: 0, 'lease-lost': 0 });

    // Every delivery done, nothing stuck; each reclaimed delivery's lapsed lease is one
    // 'retry' attempt in its history (owned by the crashed worker), then one 'done'.
    expect(await query(`select status, count(*)::int as n from ${s}.act_deliveries group by status`)).toEqual([
      { status: 'done', n: bodies.length },
    ]);
    const attempts = await query<{ id: string; owner: string; attempts: number; outcomes: string[] }>(
      `select d.id::text, max(a.owner) as owner, count(a.*)::int as attempts, array_agg(a.outcome order by a.attempt) as outcomes
       from ${s}.act_deliveries d left join ${s}.act_delivery_attempts a on a.delivery_id = d.id
       group by d.id order by d.id`,
    );
    for (const row of attempts) {
      if (report.completed.includes(row.id)) {
        expect(row, `delivery ${row.id}`).toMatchObject({ attempts: 1, outcomes: ['done'], owner: 'crashing-worker' });
      } else if (report.claimed.includes(row.id)) {
        // Leased by the crashed worker: the lapse, then the recovery (max(owner) sorts 'recovery-' last).
        expect(row, `delivery ${row.id}`).toMatchObject({
          attempts: 2,
          outcomes: ['retry', 'done'],
          owner: 'recovery-worker',
        });
      } else {
        expect(row, `delivery ${row.id}`).toMatchObject({ attempts: 1, outcomes: ['done'], owner: 'recovery-worker' });
      }
    }

    // The mirror is identical to the run without the crash, row for row.
    expect(await mirror(query, schema)).toEqual(baseline.rows);

    // One integration event per delivery, never two. Those of the deliveries
    // applied just before the crash come from the recovery, which found the
    // change already in the mirror: outcome `skipped`. Every other outcome is
    // the one of the run without the crash.
    const events = await eventsByDelivery(query, schema);
    const keyOf = new Map(
      (await query<{ id: string; dedupe_key: string }>(`select id::text, dedupe_key from ${s}.act_deliveries`)).map(
        (row) => [row.id, row.dedupe_key],
      ),
    );
    const redone = new Set(report.appliedNotCompleted.map((id) => keyOf.get(id)));
    for (const body of bodies) {
      const key = dedupeKey(body);
      expect(events[key], key).toEqual(redone.has(key) ? ['skipped'] : baseline.events[key]);
    }
  } finally {
    await state.close();
    await opened.close();
  }
}

const TEST_NAME =
  'a worker process exits mid-batch: its leases expire, the rest is reprocessed, the mirror matches a run without the crash';

describe('a worker crash on PGlite (a data directory the child opens)', () => {
  it(TEST_NAME, async () => {
    const root = mkdtempSync(join(tmpdir(), 'act-crash-'));
    const dataDir = join(root, 'data');
    const target: CrashTarget = {
      childConnection: { pglite: { dataDir } },
      async open() {
        const db = await PGlite.create(dataDir);
        return {
          connection: { pglite: db },
          query: async (text, params) => (await db.query(text, params)).rows as never,
          close: () => db.close(),
        };
      },
      async destroy() {
        rmSync(root, { recursive: true, force: true });
      },
    };
    try {
      await crashAndRecover(target, randomSchema('act_crash'), randomSchema('act_clean'));
    } finally {
      await target.destroy([]);
    }
  });
});

describe.skipIf(!DATABASE_URL)('a worker crash on Postgres', () => {
  const h = postgresHarness();

  it(TEST_NAME, async () => {
    const connection: PostgresConnection = { connectionString: DATABASE_URL as string, poolOptions: { max: 2 } };
    const target: CrashTarget = {
      childConnection: connection,
      async open() {
        return { connection, query: h.query, async close() {} };
      },
      async destroy(schemas) {
        for (const schema of schemas) await h.query(`drop schema if exists "${schema}" cascade`);
      },
    };
    const schema = randomSchema('act_crash');
    const cleanSchema = randomSchema('act_clean');
    try {
      await crashAndRecover(target, schema, cleanSchema);
    } finally {
      await target.destroy([schema, cleanSchema]);
    }
  });
});
