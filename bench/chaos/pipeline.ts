/**
 * The shape every end-to-end scenario shares: a scratch database, receiver
 * and worker processes, the provider sending a plan of changes through HTTP,
 * optional chaos while it runs (kills, an outage), then the drain and the
 * comparison of the mirror with the truth.
 */
import type { BenchResult } from '../src/lib.ts';
import { target } from '../src/lib.ts';
import {
  ackedNotApplied,
  type ChaosContext,
  checkMirror,
  createScratchDatabase,
  inboxCounts,
  inboxDuplicates,
  lanes,
  migrate,
  type Proc,
  type ScratchDatabase,
  startReceiver,
  startWorker,
  type WorkerJob,
} from './lib.ts';
import {
  type Change,
  deliver,
  GHL_POLICY,
  ghlKeyPair,
  newStats,
  type Plan,
  type ProviderPolicy,
  RETRY_ALL_POLICY,
  type SendStats,
  signGhl,
  signTemplate,
  TEMPLATE_SECRET,
} from './provider.ts';

export interface PipelineOptions {
  label: string;
  connector: 'template' | 'ghl';
  plan: Plan;
  receivers: number;
  workerProcs: number;
  workerJob?: Partial<WorkerJob>;
  /** Ordered sends: each entry is one delivery attempt chain (a change may appear several times). */
  sends: Change[];
  concurrency: number;
  /** Send some entries together (deletes racing updates): groups of indexes into `sends` sent at once. */
  /** Round-robin receivers per send (scale-out). */
  policy?: ProviderPolicy;
  /** Runs alongside the sending; gets the live worker list (it may replace entries). */
  chaos?: (control: ChaosControl) => Promise<Record<string, unknown>>;
  drainTimeoutMs: number;
}

export interface ChaosControl {
  db: ScratchDatabase;
  workers: Proc[];
  respawnWorker(index: number): Promise<void>;
  /** Fraction of sends finished. */
  progress(): number;
  sendingDone(): boolean;
  log(message: string): void;
}

export async function runPipeline(context: ChaosContext, options: PipelineOptions): Promise<BenchResult> {
  const db = await createScratchDatabase(context.databaseUrl, options.label);
  const procs: Proc[] = [];
  const workers: Proc[] = [];
  let unexpectedExits = 0;
  const watch = (proc: Proc) => {
    procs.push(proc);
    proc.exited.then(({ code, signal }) => {
      if (!proc.killedOnPurpose) {
        unexpectedExits++;
        context.log(`  ${proc.name} exited unexpectedly (${code ?? signal})`);
      }
    });
  };
  try {
    await migrate(db.url, [options.connector]);
    const keys = options.connector === 'ghl' ? await ghlKeyPair() : undefined;
    const receiverUrls: string[] = [];
    for (let index = 0; index < options.receivers; index++) {
      const receiver = await startReceiver(`receiver-${index}`, {
        databaseUrl: db.url,
        connector: options.connector,
        env: keys
          ? { GHL_WEBHOOK_ED25519_PUBLIC_KEYS: keys.publicPem }
          : { TEMPLATE_WEBHOOK_SECRET: TEMPLATE_SECRET, TEMPLATE_API_TOKEN: 'chaos' },
        poolMax: 10,
      });
      watch(receiver.proc);
      receiverUrls.push(receiver.url);
    }
    const workerJob: WorkerJob = {
      databaseUrl: db.url,
      connector: options.connector,
      // The worker verifies nothing and calls no API for these connectors: placeholders where a variable is required.
      env:
        options.connector === 'ghl'
          ? {}
          : { TEMPLATE_WEBHOOK_SECRET: 'unused-by-the-worker', TEMPLATE_API_TOKEN: 'chaos' },
      ...options.workerJob,
    };
    let spawned = 0;
    const spawnWorker = async () => {
      const proc = await startWorker(`worker-${spawned++}`, workerJob);
      watch(proc);
      return proc;
    };
    for (let index = 0; index < options.workerProcs; index++) workers.push(await spawnWorker());

    const signer =
      options.connector === 'ghl'
        ? (body: string) => signGhl(body, keys?.privateKey as CryptoKey)
        : (body: string) => signTemplate(body);
    const policy = options.policy ?? (options.connector === 'ghl' ? GHL_POLICY : RETRY_ALL_POLICY);
    const stats: SendStats = newStats();
    let finished = 0;
    let sendingDone = false;
    let rr = 0;
    const nextUrl = () => receiverUrls[rr++ % receiverUrls.length] as string;

    const started = Date.now();
    const sending = lanes(options.sends, options.concurrency, async (change) => {
      await deliver(change, nextUrl, signer, policy, stats);
      finished++;
    }).then(() => {
      sendingDone = true;
    });
    const control: ChaosControl = {
      db,
      workers,
      async respawnWorker(index) {
        workers[index] = await spawnWorker();
      },
      progress: () => finished / options.sends.length,
      sendingDone: () => sendingDone,
      log: context.log,
    };
    const chaosFigures = options.chaos ? options.chaos(control) : Promise.resolve({});
    let lastLog = Date.now();
    const ticker = setInterval(() => {
      if (Date.now() - lastLog >= 10_000) {
        lastLog = Date.now();
        context.log(
          `  sent ${finished}/${options.sends.length} (${stats.requests} requests, ${stats.acked.size} acked)`,
        );
      }
    }, 1_000);
    await sending;
    clearInterval(ticker);
    const sendSeconds = (Date.now() - started) / 1000;
    const chaos = await chaosFigures;
    context.log(`  sending done in ${sendSeconds.toFixed(1)} s; draining`);

    const drainStarted = Date.now();
    const { waitDrained } = await import('./lib.ts');
    const drained = await waitDrained(db.pool, options.drainTimeoutMs, context.log);
    const drainSeconds = (Date.now() - drainStarted) / 1000;

    const counts = await inboxCounts(db.pool);
    const table =
      options.connector === 'ghl'
        ? { name: 'ghl_contacts', tenantColumn: 'location_id', markerColumn: 'first_name' }
        : { name: 'template_records', tenantColumn: 'account_id', markerColumn: 'name' };
    // Only what the provider got acknowledged can be expected in the mirror: a
    // record none of whose changes were acknowledged is not expected at all,
    // and a record whose newest change was dropped (GHL) is reported as dropped.
    const source = options.connector;
    const mirror = await checkMirror(db.pool, table, options.plan.expected);
    const ackedKeys = [...stats.acked].map((id) => `${source}:${id}`);
    const notApplied = await ackedNotApplied(db.pool, ackedKeys);
    const inboxDup = await inboxDuplicates(db.pool);
    const notOnce = await db.pool.query<{ n: string }>(
      `select count(*)::text as n from act_deliveries d
        where d.status = 'done' and (select count(*) from act_integration_events e where e.delivery_id = d.id) <> 1`,
    );
    const appliedNotOnce = Number(notOnce.rows[0]?.n);
    const uniqueChanges = new Set(options.sends.map((change) => change.deliveryId)).size;

    const figures = [
      {
        scenario: options.label,
        changes: uniqueChanges,
        sends: options.sends.length,
        requests: stats.requests,
        retries: stats.retries,
        acked: stats.acked.size,
        dropped: stats.dropped.size,
        'inbox rows': counts.total,
        done: counts.done,
        dead: counts.dead,
        pending: counts.pending + counts.processing,
        records: mirror.expected,
        lost: mirror.lost,
        duplicated: mirror.duplicated + inboxDup,
        stale: mirror.stale,
        'applied≠1': appliedNotOnce,
        'send s': Math.round(sendSeconds * 10) / 10,
        'drain s': Math.round(drainSeconds * 10) / 10,
        ...chaos,
      },
    ];
    const targets = [
      target(`chaos.${options.label}.lost`, mirror.lost, '<=', 0, 'expected records with no mirror row'),
      target(
        `chaos.${options.label}.duplicated`,
        mirror.duplicated + inboxDup,
        '<=',
        0,
        'mirror rows beyond one per key or never sent, plus inbox rows beyond one per delivery',
      ),
      target(`chaos.${options.label}.stale`, mirror.stale, '<=', 0, 'rows not at their newest version'),
      target(`chaos.${options.label}.acked_not_applied`, notApplied, '<=', 0, 'acknowledged deliveries not done'),
      target(`chaos.${options.label}.dropped`, stats.dropped.size, '<=', 0, 'deliveries the provider gave up on'),
      target(`chaos.${options.label}.dead_letters`, counts.dead, '<=', 0),
      target(
        `chaos.${options.label}.applied_not_once`,
        appliedNotOnce,
        '<=',
        0,
        'done deliveries without exactly one integration event',
      ),
      target(
        `chaos.${options.label}.unexpected_exits`,
        unexpectedExits,
        '<=',
        0,
        'receiver/worker processes that died unasked',
      ),
      target(`chaos.${options.label}.drained`, drained ? 1 : 0, '>=', 1, 'inbox empty within the time limit'),
    ];
    return {
      figures,
      parameters: {
        connector: options.connector,
        receivers: options.receivers,
        workerProcesses: options.workerProcs,
        workerJob: { ...options.workerJob },
        senderConcurrency: options.concurrency,
        providerPolicy: policy,
        statuses: stats.statuses,
      },
      targets,
    };
  } finally {
    for (const proc of procs) await proc.stop(5_000).catch(() => undefined);
    await db.drop();
  }
}
