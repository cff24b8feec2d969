/**
 * `pre-auth`: unauthenticated load against a receiver (issue 11, finding 4). A body
 * must be read before its signature can be checked; 2,000 connections that each
 * declare 1,000,000 bytes, send 999,999 of them (a tenth send only the headers) and
 * stall once took a demo from 253 MB to 2.25 GB and /health to 5.7 s, and stayed
 * open past 140 s. Here they hit a GoHighLevel receiver (pre-auth-server.ts: node:http
 * with `serverTimeouts()`, the default receive limits) in a process of its own.
 * Measured: its RSS growth under load and after, /health latency under load, the
 * answers (429 + Retry-After, GHL's only retried status), when the connections
 * close (the 10 s body deadline), and that an authentic delivery still gets in.
 */
import { connect, type Socket } from 'node:net';
import { type BenchResult, percentile, round, target } from '../../src/lib.ts';
import { type ChaosContext, type Proc, sleep, spawnProc } from '../lib.ts';
import { ghlKeyPair, signGhl } from '../provider.ts';

const MB = 1024 * 1024;
const DECLARED = 1_000_000;
/** The library's default `bodyTimeoutMs`; the server runs with the defaults. */
const BODY_TIMEOUT_MS = 10_000;

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  load: { bodies: number; bufferedBytes: number; refused: number; timedOut: number };
  /** Deliveries in the server's inbox. */
  stored: number;
}

interface Stalled {
  socket: Socket;
  status?: number;
  retryAfter?: string | undefined;
  closedAt?: number;
}

function openStalled(port: number, head: string, body: Buffer | undefined): Promise<Stalled> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const entry: Stalled = { socket };
    let received = '';
    socket.on('data', (data: Buffer) => {
      if (entry.status !== undefined) return;
      received += data.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      entry.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0);
      entry.retryAfter = /\r\nretry-after: *([^\r]*)/i.exec(received.slice(0, end))?.[1];
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      entry.closedAt = Date.now();
    });
    socket.once('connect', () => {
      socket.write(head);
      if (body) socket.write(body);
      resolve(entry);
    });
  });
}

export async function preAuth(context: ChaosContext): Promise<BenchResult> {
  const connections = context.quick ? 500 : 2_000;
  const sent = context.quick ? 200_000 : DECLARED - 1;
  const headersOnly = Math.round(connections / 10);
  const { publicPem, privateKey } = await ghlKeyPair();
  const server: Proc = spawnProc('pre-auth-server', 'pre-auth-server', { ghlPublicPem: publicPem });
  try {
    const { port } = await server.waitFor<{ port: number }>('listening');
    const memory = (gc = false) => {
      server.send({ type: 'memory', gc });
      return server.waitFor<Memory>('memory');
    };
    const health = async (samples: number) => {
      const latencies: number[] = [];
      for (let index = 0; index < samples; index++) {
        const startedAt = performance.now();
        await (await fetch(`http://127.0.0.1:${port}/health`)).arrayBuffer();
        latencies.push(performance.now() - startedAt);
      }
      return latencies;
    };
    await health(5);
    const baseline = await memory(true);
    context.log(`  baseline RSS ${round(baseline.rss / MB, 1)} MB; opening ${connections} stalled connections`);

    const head = `POST /webhooks/ghl HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nx-ghl-signature: Zm9yZ2Vk\r\nContent-Length: ${DECLARED}\r\n\r\n`;
    const body = Buffer.alloc(sent, 0x20);
    const startedAt = Date.now();
    const stalled: Stalled[] = [];
    for (let batch = 0; batch < connections; batch += 100) {
      stalled.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(100, connections - batch) }, (_, offset) =>
            openStalled(port, head, batch + offset < headersOnly ? undefined : body),
          ),
        )),
      );
    }
    const openedMs = Date.now() - startedAt;

    let peak = baseline.rss;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, (await memory()).rss);
        await sleep(100);
      }
    })();
    await sleep(1_000);
    const latencies = await health(20);
    const closeBy = startedAt + openedMs + BODY_TIMEOUT_MS + 10_000;
    while (Date.now() < closeBy && stalled.some((entry) => entry.closedAt === undefined)) await sleep(200);
    sampling = false;
    await sampler;
    const closeTimes = stalled.flatMap((entry) => (entry.closedAt === undefined ? [] : [entry.closedAt - startedAt]));
    const open = stalled.filter((entry) => entry.closedAt === undefined).length;
    for (const entry of stalled) entry.socket.destroy();
    const answers: Record<string, number> = {};
    for (const entry of stalled) {
      const key = entry.status === undefined ? 'none' : `${entry.status}${entry.retryAfter ? ' + Retry-After' : ''}`;
      answers[key] = (answers[key] ?? 0) + 1;
    }
    await sleep(500);
    const after = await memory(true);

    // An authentic delivery still gets in.
    const delivery = JSON.stringify({
      type: 'ContactUpdate',
      locationId: 'loc_preauth',
      id: 'contact_preauth',
      webhookId: `preauth-${Date.now()}`,
      timestamp: new Date().toISOString(),
      firstName: 'After',
    });
    const alive = await fetch(`http://127.0.0.1:${port}/webhooks/ghl`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await signGhl(delivery, privateKey)) },
      body: delivery,
    });
    await alive.arrayBuffer();
    const { stored } = await memory();

    const growth = (peak - baseline.rss) / MB;
    const afterGrowth = (after.rss - baseline.rss) / MB;
    const retained = (after.heapUsed + after.external - baseline.heapUsed - baseline.external) / MB;
    const answered429 = answers['429 + Retry-After'] ?? 0;
    return {
      figures: [
        {
          connections,
          'sent of 1,000,000': sent,
          'opened (ms)': openedMs,
          'baseline RSS (MB)': round(baseline.rss / MB, 1),
          'peak growth (MB)': round(growth, 1),
          'growth after (MB)': round(afterGrowth, 1),
          'heap+external after (MB)': round(retained, 1),
          '/health p50 (ms)': round(percentile(latencies, 50), 1),
          '/health max (ms)': round(Math.max(...latencies), 1),
          'last closed (s)': round(Math.max(0, ...closeTimes) / 1000, 1),
          'still open': open,
          'refused unread': after.load.refused,
          'timed out': after.load.timedOut,
        },
      ],
      parameters: {
        connections,
        declaredBytes: DECLARED,
        sentBytes: sent,
        headersOnly,
        bodyTimeoutMs: BODY_TIMEOUT_MS,
        answers,
        healthMs: latencies.map((ms) => round(ms, 1)),
        load: after.load,
        aliveStatus: alive.status,
      },
      targets: [
        target('chaos.pre-auth.rss_growth_mb', growth, '<=', 150, 'server RSS under load minus before'),
        target('chaos.pre-auth.health_p50_ms', percentile(latencies, 50), '<=', 100, 'GET /health under load'),
        target('chaos.pre-auth.open_after_deadline', open, '<=', 0, 'connections open 10 s past the body deadline'),
        target(
          'chaos.pre-auth.not_retry_status',
          connections - answered429,
          '<=',
          0,
          'stalled connections not answered 429 + Retry-After',
        ),
        target(
          'chaos.pre-auth.heap_external_retained_mb',
          retained,
          '<=',
          10,
          'heap + external after the connections closed, minus before',
        ),
        target('chaos.pre-auth.authentic_after', alive.status === 200 ? 1 : 0, '>=', 1, 'a signed delivery afterwards'),
        target(
          'chaos.pre-auth.stored_unverified',
          stored - (alive.status === 200 ? 1 : 0),
          '<=',
          0,
          'deliveries stored besides the signed one',
        ),
        // Every chaos file carries the three; no mirror is involved here.
        target('chaos.pre-auth.lost', 0, '<=', 0, 'not applicable: no mirror'),
        target('chaos.pre-auth.duplicated', 0, '<=', 0, 'not applicable: no mirror'),
        target('chaos.pre-auth.stale', 0, '<=', 0, 'not applicable: no mirror'),
      ],
      notes: [
        `RSS after the connections closed stays ${round(afterGrowth, 1)} MB above the start while the heap and buffers are back (${round(retained, 1)} MB): the allocator and V8 keep the pages for reuse.`,
      ],
    };
  } finally {
    await server.stop(5_000);
  }
}
