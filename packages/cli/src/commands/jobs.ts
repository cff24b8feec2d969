// `act jobs`: the sync engine's recurring work (polls, reconciles, token
// refreshes, discovery, retention) as the state's sync store has it, and the
// record of recent runs.
import { parseArgs } from 'node:util';
import type { JobKindV1, JobRunV1, JobV1 } from '@act/core';
import { type CliIo, EXIT, formatDuration, formatTable, line, usageError } from '../cli-io';
import { STATE_OPTIONS } from '../cli-state';
import { when, withSyncStore } from '../cli-sync';

const KINDS: readonly JobKindV1[] = ['poll', 'reconcile', 'retention', 'refresh', 'renew', 'discover'];

export const JOBS_USAGE = `Usage: act jobs [--source <id>] [--tenant <id>] [--kind <kind>] [--json]
       act jobs --runs [--source <id>] [--tenant <id>] [--kind <kind>] [--limit <n>] [--json]

Lists the scheduler's jobs, by key: kind, source, tenant, target (the
poller's stream), when each runs next, the outcome of its last run, its last
success (what a polled stream's freshness is graded on), the failed runs in a
row (reset by a success) and the scheduler running it now, if any.

  --runs            the recent runs instead, newest first: when each finished,
                    its outcome, how long it took, the scheduler that ran it,
                    what it did (pages, created, ...) and its error
  --source <id>     one source ('' for global jobs such as retention)
  --tenant <id>     one tenant
  --kind <kind>     ${KINDS.join(', ')}
  --limit <n>       most runs (default 20)
  --json            print { "jobs": [...] } or { "runs": [...] }`;

const OPTIONS = {
  ...STATE_OPTIONS,
  runs: { type: 'boolean' },
  source: { type: 'string' },
  tenant: { type: 'string' },
  kind: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const jobJson = (job: JobV1) => ({
  key: job.key,
  kind: job.kind,
  source: job.source,
  tenant: job.tenant,
  target: job.target,
  nextRunAt: job.nextRunAt.toISOString(),
  lastStartedAt: job.lastStartedAt?.toISOString() ?? null,
  lastFinishedAt: job.lastFinishedAt?.toISOString() ?? null,
  lastSuccessAt: job.lastSuccessAt?.toISOString() ?? null,
  lastOutcome: job.lastOutcome,
  lastError: job.lastError,
  consecutiveFailures: job.consecutiveFailures,
  leaseOwner: job.leaseOwner,
  leaseExpiresAt: job.leaseExpiresAt?.toISOString() ?? null,
});

const runJson = (run: JobRunV1) => ({
  id: run.id,
  key: run.key,
  kind: run.kind,
  source: run.source,
  tenant: run.tenant,
  target: run.target,
  owner: run.owner,
  startedAt: run.startedAt.toISOString(),
  finishedAt: run.finishedAt.toISOString(),
  outcome: run.outcome,
  error: run.error,
  errorClass: run.errorClass,
  counts: run.counts,
});

const dash = (text: string | null | undefined) => (text ? text : '-');

export async function jobs(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true });
  if (values.help) {
    line(io.stdout, JOBS_USAGE);
    return EXIT.ok;
  }
  const kind = values.kind;
  if (kind !== undefined && !KINDS.includes(kind as JobKindV1)) {
    throw usageError(`--kind must be one of ${KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  }
  if (values.limit !== undefined && !values.runs) throw usageError('--limit is for act jobs --runs');
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    throw usageError(`--limit must be a positive whole number, got ${JSON.stringify(values.limit)}`);
  }
  const filter = {
    ...(values.source !== undefined ? { source: values.source } : {}),
    ...(values.tenant !== undefined ? { tenant: values.tenant } : {}),
    ...(kind !== undefined ? { kind: kind as JobKindV1 } : {}),
  };
  return withSyncStore(values, io, async (sync, description) => {
    if (values.runs) {
      const runs = await sync.listJobRuns({ ...filter, limit });
      if (values.json) {
        line(io.stdout, JSON.stringify({ runs: runs.map(runJson) }, null, 2));
      } else if (runs.length === 0) {
        line(io.stdout, `${description}: no job runs yet`);
      } else {
        line(
          io.stdout,
          formatTable(
            ['finished', 'kind', 'source', 'tenant', 'target', 'outcome', 'took', 'by', 'counts', 'error'],
            runs.map((run) => [
              when(run.finishedAt),
              run.kind,
              dash(run.source),
              dash(run.tenant),
              dash(run.target),
              run.outcome,
              formatDuration(run.finishedAt.getTime() - run.startedAt.getTime()),
              run.owner,
              Object.entries(run.counts)
                .map(([name, count]) => `${name} ${count}`)
                .join(', ') || '-',
              run.error ? `${run.errorClass ? `${run.errorClass}: ` : ''}${run.error}` : '-',
            ]),
          ),
        );
      }
      return EXIT.ok;
    }
    const found = await sync.listJobs(filter);
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (values.json) {
      line(io.stdout, JSON.stringify({ jobs: found.map(jobJson) }, null, 2));
      return EXIT.ok;
    }
    if (found.length === 0) {
      line(io.stdout, `${description}: no jobs yet (a running scheduler plans them)`);
      return EXIT.ok;
    }
    line(
      io.stdout,
      formatTable(
        ['kind', 'source', 'tenant', 'target', 'next run', 'last outcome', 'last success', 'failures', 'running'],
        found.map((job) => [
          job.kind,
          dash(job.source),
          dash(job.tenant),
          dash(job.target),
          when(job.nextRunAt),
          job.lastOutcome
            ? `${job.lastOutcome}${job.lastOutcome === 'failed' && job.lastError ? ` (${job.lastError})` : ''}`
            : 'never run',
          when(job.lastSuccessAt),
          String(job.consecutiveFailures),
          job.leaseOwner ? `${job.leaseOwner} until ${when(job.leaseExpiresAt)}` : '-',
        ]),
      ),
    );
    return EXIT.ok;
  });
}
