/**
 * The simulated Template API for the backfill benchmark, its own process:
 * `GET /v1/accounts/:account/records?limit=&cursor=` answers pages of
 * generated records (nothing is held in memory), oldest first. It enforces
 * Template's published limit per account, a token bucket of 100 requests
 * refilled over 10 s, answering 429 with Retry-After when it is empty, and
 * sends X-RateLimit-Remaining on every answer.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ApiSimJob {
  recordsPerTenant: number;
  capacity: number;
  refillPerSec: number;
}

export interface ApiSimStats {
  tenants: Record<string, { ok: number; limited: number; firstMs: number; lastMs: number }>;
}

process.once('message', (job: ApiSimJob) => {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const stats: ApiSimStats = { tenants: {} };
  const base = Date.parse('2024-01-01T00:00:00.000Z');
  const server = createServer({ keepAlive: true }, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const match = /^\/v1\/accounts\/([^/]+)\/records$/.exec(url.pathname);
    if (!match) {
      res.writeHead(404).end();
      return;
    }
    const account = decodeURIComponent(match[1] as string);
    const now = performance.now();
    const bucket = buckets.get(account) ?? { tokens: job.capacity, at: now };
    bucket.tokens = Math.min(job.capacity, bucket.tokens + ((now - bucket.at) / 1000) * job.refillPerSec);
    bucket.at = now;
    buckets.set(account, bucket);
    let tenant = stats.tenants[account];
    if (!tenant) {
      tenant = { ok: 0, limited: 0, firstMs: Date.now(), lastMs: Date.now() };
      stats.tenants[account] = tenant;
    }
    tenant.lastMs = Date.now();
    if (bucket.tokens < 1) {
      tenant.limited++;
      const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / job.refillPerSec));
      res.writeHead(429, {
        'retry-after': String(retryAfter),
        'x-ratelimit-remaining': '0',
        'content-type': 'application/json',
      });
      res.end('{"error":"rate limited"}');
      return;
    }
    bucket.tokens -= 1;
    tenant.ok++;
    const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit') ?? 100)));
    const offset = Number(url.searchParams.get('cursor') ?? 0);
    const end = Math.min(job.recordsPerTenant, offset + limit);
    const records = [];
    for (let index = offset; index < end; index++) {
      records.push({
        id: `rec_${index}`,
        name: `Record ${index}`,
        email: `rec_${index}@example.com`,
        status: index % 3 === 0 ? 'active' : 'lead',
        updated_at: new Date(base + index * 1000).toISOString(),
        notes: 'backfilled record with a little padding to look like a real one',
      });
    }
    const body = JSON.stringify({ records, next_cursor: end < job.recordsPerTenant ? String(end) : null });
    res.writeHead(200, {
      'content-type': 'application/json',
      'x-ratelimit-remaining': String(Math.floor(bucket.tokens)),
    });
    res.end(body);
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  process.on('message', (message) => {
    if (message === 'stats') process.send?.(stats);
  });
});
