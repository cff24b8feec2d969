/**
 * Shared pieces of the chaos suite: a scratch database per scenario, the
 * receiver and worker processes, a provider simulator that signs, sends and
 * retries like the provider does, and the expected-vs-mirror comparison.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { SourceEntryV1 } from '@act/core';
import pg from 'pg';

export const CHAOS_DIR = fileURLToPath(new URL('.', import.meta.url));

export interface ChaosContext {
  quick: boolean;
  databaseUrl: string;
  /** `restart` scenario: restart the whole server (`server`) or cut off only the scenario's database (`database`). */
  outage: 'server' | 'database';
  log(message: string): void;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Deterministic pseudo-random numbers (the kit's mulberry32), so a plan can be rebuilt from its seed. */
export { seededRandom as rng, shuffle } from '@act/connector-kit/testing';

// ---------------------------------------------------------------------------
// Scratch databases

export interface ScratchDatabase {
  name: string;
  url: string;
  /** A small pool on the scratch database, for the comparison queries. */
  pool: pg.Pool;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.href;
}

/** `create database act_chaos_<label>_<random>`; `drop()` force-drops it. */
export async function createScratchDatabase(baseUrl: string, label: string): Promise<ScratchDatabase> {
  const name = `act_chaos_${label}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(baseUrl, name);
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  // An idle connection dropped by the server (57P01 on a restart) must not crash the process.
  pool.on('error', (error) => console.error(`postgres pool: ${error.message}`));
  pool.on('error', () => undefined);
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end().catch(() => undefined);
      for (let attempt = 0; attempt < 5; attempt++) {
        const client = new pg.Client({ connectionString: baseUrl });
        try {
          await client.connect();
          await client.query(`drop database if exists "${name}" with (force)`);
          return;
        } catch {
          await sleep(1_000);
        } finally {
          await client.end().catch(() => undefined);
        }
      }
    },
  };
}

/** Run the act_ migrations and the connectors' own (in this process, before any child starts). */
export async function migrate(url: string, connectors: readonly ('template' | 'ghl' | 'xero')[]): Promise<void> {
  const { createPostgresState } = await import('@act/sink-supabase');
  const list = [];
  for (const id of connectors) list.push(await connectorFor(id));
  const state = createPostgresState({ connectionString: url, poolOptions: { max: 2 } });
  try {
    await state.migrate({ connectors: list as never });
  } finally {
    await state.close();
  }
}

/** A connector's quiet receiver (its migrations), from the `source` entry its package exports. */
async function connectorFor(id: string) {
  const { source } = (await import(`@act/connector-${id}`)) as { source: SourceEntryV1 };
  return source.createConnector();
}

// ---------------------------------------------------------------------------
// Child processes

export interface Proc {
  name: string;
  child: ChildProcess;
  /** Resolves with the first message whose `type` matches. */
  waitFor<T>(type: string, timeoutMs?: number): Promise<T>;
  send(message: unknown): void;
  /** Ask it to stop cleanly; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Set when the parent killed it on purpose. */
  killedOnPurpose: boolean;
}

/** Fork bench/chaos/procs/<module>.ts with a job. */
export function spawnProc(module: string, name: string, job: Record<string, unknown>): Proc {
  const path = fileURLToPath(new URL(`./procs/${module}.ts`, import.meta.url));
  const child = fork(path, [], {
    env: { ...process.env, CHAOS_PROC: name },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<string, ((message: unknown) => void)[]>();
  const inbox: { type: string }[] = [];
  child.on('message', (message: { type: string }) => {
    const resolvers = waiting.get(message?.type);
    const resolve = resolvers?.shift();
    if (resolve) resolve(message);
    else inbox.push(message);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const proc: Proc = {
    name,
    child,
    killedOnPurpose: false,
    exited,
    waitFor<T>(type: string, timeoutMs = 60_000) {
      const index = inbox.findIndex((message) => message.type === type);
      if (index >= 0) return Promise.resolve(inbox.splice(index, 1)[0] as T);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: no '${type}' in ${timeoutMs} ms`)), timeoutMs);
        exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (${code ?? signal}) before '${type}'`));
        });
        const list = waiting.get(type) ?? [];
        list.push((message) => {
          clearTimeout(timer);
          resolve(message as T);
        });
        waiting.set(type, list);
      });
    },
    send(message) {
      if (child.connected) child.send(message as never);
    },
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      proc.killedOnPurpose = true;
      proc.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    kill(signal = 'SIGKILL') {
      proc.killedOnPurpose = true;
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
  child.send({ type: 'job', ...job });
  return proc;
}

export interface ReceiverJob {
  databaseUrl: string;
  /** The connector id (its package's `source` entry builds the receiver). */
  connector: string;
  /** The connector's environment variables (its webhook secret or keys). */
  env: Record<string, string>;
  poolMax?: number;
}

export async function startReceiver(name: string, job: ReceiverJob): Promise<{ proc: Proc; url: string }> {
  const proc = spawnProc('receiver', name, job as unknown as Record<string, unknown>);
  const { port } = await proc.waitFor<{ port: number }>('listening');
  return { proc, url: `http://127.0.0.1:${port}/webhook` };
}

export interface WorkerJob {
  databaseUrl: string;
  /** The connector id (its package's `source` entry builds the connector). */
  connector: string;
  /** The connector's environment variables (API credentials, base URLs). */
  env: Record<string, string>;
  /** Settings merged over the environment's (API timeouts, poller options). */
  settings?: Record<string, unknown>;
  pollTenants?: string[];
  pollIntervalMs?: number;
  workers?: number;
  batchSize?: number;
  concurrency?: number;
  leaseMs?: number;
  idleDelayMs?: number;
  poolMax?: number;
}

export async function startWorker(name: string, job: WorkerJob): Promise<Proc> {
  const proc = spawnProc('worker', name, job as unknown as Record<string, unknown>);
  await proc.waitFor('ready');
  return proc;
}

// ---------------------------------------------------------------------------
// Sending

export interface SendResult {
  status: number;
  /** Network error text, when there was no answer. */
  error?: string;
}

/** POST one body; never throws. */
export async function post(
  url: string,
  body: string | Uint8Array<ArrayBuffer>,
  headers: Record<string, string>,
  timeoutMs = 30_000,
): Promise<SendResult> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    return { status: response.status };
  } catch (error) {
    return { status: 0, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Run `task` over `items` with `concurrency` lanes. */
export async function lanes<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>,
) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

// ---------------------------------------------------------------------------
// Waiting and checking

export interface InboxCounts {
  total: number;
  pending: number;
  processing: number;
  done: number;
  dead: number;
}

export async function inboxCounts(pool: pg.Pool): Promise<InboxCounts> {
  const { rows } = await pool.query<{ status: string; n: string }>(
    'select status, count(*)::text as n from act_deliveries group by status',
  );
  const counts: InboxCounts = { total: 0, pending: 0, processing: 0, done: 0, dead: 0 };
  for (const row of rows) {
    const n = Number(row.n);
    counts.total += n;
    if (row.status in counts) (counts as unknown as Record<string, number>)[row.status] = n;
  }
  return counts;
}

/** Wait until nothing is pending or processing (or the time is up). */
export async function waitDrained(pool: pg.Pool, timeoutMs: number, log?: (message: string) => void): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let lastLog = 0;
  while (Date.now() < deadline) {
    const counts = await inboxCounts(pool).catch(() => undefined);
    if (counts && counts.pending === 0 && counts.processing === 0) return true;
    if (log && counts && Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(
        `  draining: ${counts.pending} pending, ${counts.processing} processing, ${counts.done} done, ${counts.dead} dead`,
      );
    }
    await sleep(250);
  }
  return false;
}

export interface ExpectedRow {
  tenant: string;
  id: string;
  version: number;
  deleted: boolean;
  /** A column whose value identifies the version (name / first name / reference). */
  marker: string | null;
}

export interface MirrorCheck {
  expected: number;
  lost: number;
  stale: number;
  duplicated: number;
  phantom: number;
}

/**
 * Compare the mirror with the expected final state, by SQL.
 * - lost: an expected record with no row;
 * - stale: a row not at its newest version (version, tombstone or marker column differ);
 * - duplicated: rows beyond one per key, plus rows for records that were never sent (phantoms).
 */
export async function checkMirror(
  pool: pg.Pool,
  table: { name: string; tenantColumn: string; markerColumn: string | null },
  expected: readonly ExpectedRow[],
): Promise<MirrorCheck> {
  const t = table.tenantColumn;
  const marker = table.markerColumn ? `m."${table.markerColumn}"` : 'null';
  const params = [
    expected.map((row) => row.tenant),
    expected.map((row) => row.id),
    expected.map((row) => String(row.version)),
    expected.map((row) => row.deleted),
    expected.map((row) => row.marker),
  ];
  const { rows } = await pool.query<{ lost: string; stale: string }>(
    `with e as (select * from unnest($1::text[], $2::text[], $3::bigint[], $4::boolean[], $5::text[])
                  as e(tenant, id, version, deleted, marker))
     select count(*) filter (where m.id is null)::text as lost,
            count(*) filter (where m.id is not null and (
              m._version is distinct from e.version
              or (m._deleted_at is not null) <> e.deleted
              or (not e.deleted and e.marker is not null and ${marker} is distinct from e.marker)))::text as stale
       from e left join "${table.name}" m on m."${t}" = e.tenant and m.id = e.id`,
    params,
  );
  const dup = await pool.query<{ extra: string }>(
    `select (count(*) - count(distinct ("${t}", id)))::text as extra from "${table.name}"`,
  );
  const phantom = await pool.query<{ n: string }>(
    `select count(*)::text as n from "${table.name}" m
      where not exists (select 1 from unnest($1::text[], $2::text[]) as e(tenant, id) where e.tenant = m."${t}" and e.id = m.id)`,
    [params[0], params[1]],
  );
  return {
    expected: expected.length,
    lost: Number(rows[0]?.lost),
    stale: Number(rows[0]?.stale),
    duplicated: Number(dup.rows[0]?.extra) + Number(phantom.rows[0]?.n),
    phantom: Number(phantom.rows[0]?.n),
  };
}

/** Acknowledged deliveries (by dedupe key) that are not `done` in the inbox. */
export async function ackedNotApplied(pool: pg.Pool, dedupeKeys: readonly string[]): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `select count(*)::text as n from unnest($1::text[]) as k(key)
      where not exists (select 1 from act_deliveries d where d.dedupe_key = k.key and d.status = 'done')`,
    [dedupeKeys],
  );
  return Number(rows[0]?.n);
}

/** Inbox rows beyond one per dedupe key (the unique index should make this 0). */
export async function inboxDuplicates(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    'select (count(*) - count(distinct dedupe_key))::text as n from act_deliveries',
  );
  return Number(rows[0]?.n);
}
