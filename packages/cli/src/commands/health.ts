import { parseArgs } from 'node:util';
import {
  assessFreshness,
  type FreshnessAssessment,
  type HealthFigureV1,
  type HealthSignalV1,
  type SyncStoreV1,
  type WebhookActivityV1,
} from '@act/core';
import { appHealth } from '../cli-app';
import { type CliIo, EXIT, formatDuration, formatTable, line } from '../cli-io';
import { assessOutbox, OUTBOX_WAIT_TARGET_MS } from '../cli-outbox';
import { SOURCES } from '../cli-sources';
import { notReady, STATE_OPTIONS, withState } from '../cli-state';
import { when } from '../cli-sync';
import { outboxTable } from './outbox';

export const HEALTH_USAGE = `Usage: act health [--json] [--pglite <dir>] [--schema <name>] [--app <url>]

Prints the freshness table, per source and tenant: pending and dead
deliveries, lag (age of the oldest waiting delivery), the source's freshness
target (the connector's, e.g. 30 s or 5 min) and status (@act/core assessFreshness):
red past the target, amber past half of it or with dead letters, green.
Then the connectors' health signals: tenants to reconnect (a refused refresh
token, red) and webhook sequence gaps (lost deliveries, amber), and the
conflicting redeliveries kept per source and tenant (a known delivery id with
a different body; act conflicts lists them).
Then the sync engine's view, per connected tenant and stream: how it is kept
fresh (webhooks, or polling while its webhooks are quiet), the last webhook,
the last successful poll and reconciliation, and what needs a look: a
connection to reconnect, a job failing in a row, a poller whose process died
holding its lease (red), a quiet webhook source (amber). act jobs has the detail.
Then the outbox per destination (act outbox has the detail): messages pending,
processing and dead, the oldest waiting one's age; red when one has waited over
${formatDuration(OUTBOX_WAIT_TARGET_MS)}, amber past half of that or with dead messages.
Exit code 1 when any source, signal, sync row or destination is red, or the database is not ready.
--json prints { "sources": [...], "signals": [...], "sync": [...], "outbox": [...] }.

  --app <url>   ask a running app (the demo) through its dashboard route
                instead of opening the database (token: ACT_DASHBOARD_TOKEN);
                the way beside an app on PGlite, whose directory it owns`;

const OPTIONS = {
  ...STATE_OPTIONS,
  json: { type: 'boolean' },
  app: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Row {
  figure: HealthFigureV1;
  assessment: FreshnessAssessment | null;
}

export async function health(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true });
  if (values.help) {
    line(io.stdout, HEALTH_USAGE);
    return EXIT.ok;
  }
  if (values.app !== undefined) return appHealth(io, values.app, values.json === true);
  const targets = new Map(SOURCES.map((source) => [source.id as string, source.receiver().freshnessTargetMs]));
  return withState(values, io, async (state, description) => {
    const why = await notReady(state);
    if (why) {
      line(io.stderr, `[@act/cli] ${description} is not ready: ${why}`);
      return EXIT.failed;
    }
    const rows: Row[] = (await state.store.health()).map((figure) => {
      const target = targets.get(figure.source);
      return { figure, assessment: target === undefined ? null : assessFreshness(figure, target) };
    });
    const red = rows.filter((row) => row.assessment?.status === 'red');
    const signals: HealthSignalV1[] = [];
    for (const source of SOURCES) {
      const connector = source.receiver();
      signals.push(
        ...(
          (await connector.healthSignals?.({
            store: state.store,
            credentials: state.credentials,
            ...(state.sync ? { sync: state.sync } : {}),
          })) ?? []
        ).filter(
          // The CLI's connector has no API credentials of its own; whether your app's has is for your app to say.
          (signal) => signal.code !== 'api_credentials_missing',
        ),
      );
    }
    const redSignals = signals.filter((signal) => signal.status === 'red');
    const syncRows = state.sync ? await syncView(state.sync, state.store.webhookActivity.bind(state.store)) : [];
    const redSync = syncRows.filter((row) => row.status === 'red');
    const now = new Date();
    const outboxRows = await state.outbox.stats({ now });
    const redOutbox = outboxRows.filter((row) => assessOutbox(row, now).status === 'red');

    if (values.json) {
      line(
        io.stdout,
        JSON.stringify(
          {
            sources: rows.map(({ figure, assessment }) => ({
              source: figure.source,
              tenant: figure.tenant,
              pending: figure.pending,
              processing: figure.processing,
              dead: figure.dead,
              lagMs: assessment?.lagMs ?? figure.oldestPendingAgeMs ?? 0,
              targetMs: assessment?.targetMs ?? null,
              status: assessment?.status ?? 'unknown',
              reason: assessment?.reason ?? null,
              lastEventAt: figure.lastEventAt?.toISOString() ?? null,
              latencyP95Ms: figure.latencyP95Ms,
              conflicts: figure.conflicts ?? 0,
            })),
            signals: signals.map((signal) => ({ ...signal, since: signal.since?.toISOString() ?? null })),
            sync: syncRows.map((row) => ({
              ...row,
              lastWebhookAt: row.lastWebhookAt?.toISOString() ?? null,
              lastPollAt: row.lastPollAt?.toISOString() ?? null,
              lastReconcileAt: row.lastReconcileAt?.toISOString() ?? null,
            })),
            outbox: outboxRows.map((row) => {
              const assessment = assessOutbox(row, now);
              return {
                destination: row.destination,
                pending: row.pending,
                processing: row.processing,
                dead: row.dead,
                waitMs: assessment.waitMs,
                targetMs: OUTBOX_WAIT_TARGET_MS,
                status: assessment.status,
                reason: assessment.reason ?? null,
                lastError: row.lastError ?? null,
                lastErrorAt: row.lastErrorAt?.toISOString() ?? null,
              };
            }),
          },
          null,
          2,
        ),
      );
    } else if (rows.length === 0) {
      line(io.stdout, `${description}: no deliveries or events yet`);
    }
    if (!values.json && rows.length > 0) {
      const table = rows.map(({ figure, assessment }) => [
        figure.source,
        figure.tenant,
        String(figure.pending),
        String(figure.dead),
        formatDuration(assessment?.lagMs ?? figure.oldestPendingAgeMs ?? 0),
        assessment ? formatDuration(assessment.targetMs) : '-',
        assessment ? `${assessment.status}${assessment.reason ? ` (${assessment.reason})` : ''}` : 'unknown source',
      ]);
      line(io.stdout, formatTable(['source', 'tenant', 'pending', 'dead', 'lag', 'target', 'status'], table));
    }
    if (!values.json && signals.length > 0) {
      line(io.stdout, '');
      line(
        io.stdout,
        formatTable(
          ['source', 'tenant', 'signal', 'status', 'what to do'],
          signals.map((signal) => [signal.source, signal.tenant, signal.code, signal.status, signal.message]),
        ),
      );
    }
    const withConflicts = rows.filter(({ figure }) => (figure.conflicts ?? 0) > 0);
    if (!values.json && withConflicts.length > 0) {
      line(io.stdout, '');
      line(
        io.stdout,
        formatTable(
          ['source', 'tenant', 'conflicts', 'what it means'],
          withConflicts.map(({ figure }) => [
            figure.source,
            figure.tenant,
            String(figure.conflicts),
            'redeliveries of a known id with a different body: kept, applied only where newer (act conflicts)',
          ]),
        ),
      );
    }
    if (!values.json && syncRows.length > 0) {
      line(io.stdout, '');
      line(
        io.stdout,
        formatTable(
          ['source', 'tenant', 'stream', 'mode', 'last webhook', 'last poll', 'last reconcile', 'status'],
          syncRows.map((row) => [
            row.source,
            row.tenant,
            row.stream || '-',
            row.mode ?? 'poll only',
            when(row.lastWebhookAt),
            when(row.lastPollAt),
            when(row.lastReconcileAt),
            `${row.status}${row.reason ? ` (${row.reason})` : ''}`,
          ]),
        ),
      );
    }
    if (!values.json && outboxRows.length > 0) {
      line(io.stdout, '');
      line(io.stdout, outboxTable(outboxRows, now));
    }
    if (red.length > 0) line(io.stderr, `[@act/cli] ${red.length} source/tenant(s) past the freshness target`);
    if (redSync.length > 0) line(io.stderr, `[@act/cli] ${redSync.length} synced stream(s) need a look (act jobs)`);
    if (redSignals.length > 0) line(io.stderr, `[@act/cli] ${redSignals.length} connection(s) must be reconnected`);
    if (redOutbox.length > 0) {
      line(io.stderr, `[@act/cli] ${redOutbox.length} outbox destination(s) not delivering (act outbox)`);
    }
    if (red.length > 0 || redSignals.length > 0 || redSync.length > 0 || redOutbox.length > 0) return EXIT.failed;
    return EXIT.ok;
  });
}

interface SyncRow {
  source: string;
  tenant: string;
  /** The poll job's stream; `''` for a tenant without one. */
  stream: string;
  /** `polling` while the tenant's webhooks are quiet; `null` for a source that never received one. */
  mode: 'webhooks' | 'polling' | null;
  lastWebhookAt: Date | null;
  lastPollAt: Date | null;
  lastReconcileAt: Date | null;
  status: 'green' | 'amber' | 'red';
  reason?: string;
}

/** A lease expired this long ago with no run since: the process running the job died. */
const DEAD_LEASE_MS = 5 * 60_000;

/**
 * The sync engine's view from the database alone: the CLI has no API
 * credentials, so it cannot know a poller's interval (the app's scheduler
 * grades that: `Scheduler.status()`); it reports what the records show.
 */
async function syncView(
  sync: SyncStoreV1,
  webhookActivity: (request: { since: Date }) => Promise<WebhookActivityV1[]>,
): Promise<SyncRow[]> {
  const now = Date.now();
  const [connections, jobs, modes, activity] = await Promise.all([
    sync.listConnections(),
    sync.listJobs(),
    sync.listSourceModes(),
    webhookActivity({ since: new Date(now - 7 * 24 * 3_600_000) }),
  ]);
  const key = (source: string, tenant: string) => `${source}\u0000${tenant}`;
  const modeOf = new Map(modes.map((mode) => [key(mode.source, mode.tenant), mode.mode]));
  const lastWebhook = new Map(activity.map((entry) => [key(entry.source, entry.tenant), entry.lastDeliveryAt]));
  const rows: SyncRow[] = [];
  for (const connection of connections) {
    if (connection.status === 'disconnected') continue;
    const id = key(connection.source, connection.tenant);
    const own = jobs.filter((job) => job.source === connection.source && job.tenant === connection.tenant);
    const reconcile = own.find((job) => job.kind === 'reconcile');
    const failing = own.filter((job) => job.consecutiveFailures >= 3);
    const base = {
      source: connection.source,
      tenant: connection.tenant,
      mode: modeOf.get(id) ?? (lastWebhook.has(id) ? 'webhooks' : null),
      lastWebhookAt: lastWebhook.get(id) ?? null,
      lastReconcileAt: reconcile?.lastSuccessAt ?? null,
    } as const;
    const grade = (job?: (typeof own)[number]): Pick<SyncRow, 'status' | 'reason'> => {
      if (connection.status === 'reconnect_required')
        return {
          status: 'red',
          reason: `reconnect required${connection.statusReason ? `: ${connection.statusReason}` : ''}`,
        };
      if (job?.leaseExpiresAt && now - job.leaseExpiresAt.getTime() > DEAD_LEASE_MS)
        return { status: 'red', reason: `poller stopped: ${job.leaseOwner ?? 'its process'} died holding the job` };
      const failed = job ? (job.consecutiveFailures >= 3 ? [job] : []) : failing;
      if (failed.length > 0)
        return { status: 'red', reason: `${failed[0]?.key} failed ${failed[0]?.consecutiveFailures} times in a row` };
      if (base.mode === 'polling') return { status: 'amber', reason: 'webhooks quiet: polling until they resume' };
      return { status: 'green' };
    };
    const polls = own.filter((job) => job.kind === 'poll');
    if (polls.length === 0) rows.push({ ...base, stream: '', lastPollAt: null, ...grade() });
    for (const job of polls) rows.push({ ...base, stream: job.target, lastPollAt: job.lastSuccessAt, ...grade(job) });
  }
  return rows;
}
