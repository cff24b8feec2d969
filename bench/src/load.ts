/**
 * The load generator, forked as its own process so it never shares an event
 * loop with the server under test. Gets its job as the first IPC message,
 * answers the autocannon summary and exits.
 */
import { createPrivateKey, randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { ghlBody, signGhl, signTemplate, templateBody } from './payloads.ts';

export interface LoadJob {
  url: string;
  connections: number;
  durationSec: number;
  kind: 'template' | 'ghl';
  /** Requests per second over all connections (paced); unlimited without. */
  overallRate?: number;
  ghlPrivatePem?: string;
  tenants?: number;
  /** Distinct records updated (versions increase); defaults to one record per request. */
  records?: number;
}

export interface LoadSummary {
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSec: number;
  rps: number;
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
  statuses: Record<string, number>;
}

process.once('message', async (job: LoadJob) => {
  const run = randomUUID().slice(0, 8);
  const tenants = job.tenants ?? 4;
  const key = job.ghlPrivatePem ? createPrivateKey(job.ghlPrivatePem) : undefined;
  let counter = 0;
  const statuses: Record<string, number> = {};
  const instance = autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.durationSec,
    pipelining: 1,
    ...(job.overallRate ? { overallRate: job.overallRate } : {}),
    requests: [
      {
        method: 'POST',
        setupRequest(request: Record<string, unknown>) {
          counter++;
          const tenant = `t${counter % tenants}`;
          const now = Date.now();
          if (job.kind === 'ghl' && key) {
            const body = ghlBody(`wh-${run}-${counter}`, tenant, `c-${counter}`, now);
            return {
              ...request,
              body,
              headers: { 'content-type': 'application/json', 'x-ghl-signature': signGhl(body, key) },
            };
          }
          const record = job.records ? `r${counter % job.records}` : `r${counter}`;
          const body = templateBody(`d-${run}-${counter}`, tenant, now, record);
          return {
            ...request,
            body,
            headers: { 'content-type': 'application/json', 'x-template-signature': signTemplate(body, now) },
          };
        },
      },
    ],
  });
  instance.on('response', (_client: unknown, statusCode: number) => {
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
  });
  const result = await instance;
  const ok = result['2xx'];
  const summary: LoadSummary = {
    requests: result.requests.total,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSec: result.duration,
    rps: ok / result.duration,
    latency: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.mean,
    },
    statuses,
  };
  process.send?.(summary, () => process.exit(0));
});
