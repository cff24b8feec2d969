/**
 * Bad input. fast-check drives random and mutated bodies and headers
 * through each connector's webhook processor behind createWebhookHandler
 * (memory store), then a smaller set through real node:http receivers
 * (toNodeHandler) for what only HTTP has: huge headers, chunked oversized
 * bodies. Checked per case:
 * - an unauthenticated request (garbage, forged body, forged signature,
 *   oversized, huge header) gets a 4xx and stores nothing — a 2xx is a
 *   forged signature accepted;
 * - an authentic request with a bad body (random bytes, invalid UTF-8,
 *   deep JSON, poison ids: NUL, lone surrogates, thousands of characters;
 *   wrong method) gets a 2xx or 4xx, never a 5xx nor a 429;
 * - the handler never throws, and the process sees no unhandled rejection
 *   or uncaught exception.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMemoryStateStore, createWebhookHandler, type MemoryStateStore } from '@act/core';
import { toNodeHandler } from '@act/core/node';
import fc from 'fast-check';
import type { BenchResult } from '../../src/lib.ts';
import { target } from '../../src/lib.ts';
import { type FuzzTarget, fuzzTargets } from '../fuzz-targets.ts';
import type { ChaosContext } from '../lib.ts';

type Kind =
  | 'garbage'
  | 'forged-body'
  | 'forged-signature'
  | 'oversized'
  | 'huge-header'
  | 'authentic-random'
  | 'authentic-invalid-utf8'
  | 'authentic-deep-json'
  | 'authentic-poison-ids'
  | 'authentic-mutated'
  | 'authentic-method';

interface Case {
  kind: Kind;
  body: Uint8Array<ArrayBuffer>;
  headers: Record<string, string>;
  method: string;
  seed: number;
}

const MAX = 1024 * 1024;
const encoder = new TextEncoder();
const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
const headerValue = fc.string({
  unit: fc.integer({ min: 0x20, max: 0xff }).map((code) => String.fromCharCode(code)),
  maxLength: 200,
});
const OVERSIZED = new Uint8Array(MAX + 1).fill(0x61);

function mutate(bytes: Uint8Array, op: number, at: number, extra: Uint8Array): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(bytes);
  const index = bytes.length === 0 ? 0 : at % bytes.length;
  switch (op % 6) {
    case 0:
      copy[index] = (copy[index] as number) ^ (1 << (at % 8));
      return copy;
    case 1:
      return bytes.slice(0, index);
    case 2:
      return new Uint8Array([...bytes, ...extra, 0x20]);
    case 3:
      return new Uint8Array([...bytes.slice(0, index), ...extra, 0x7b, ...bytes.slice(index)]);
    case 4:
      return new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]); // a BOM in front
    default:
      return new Uint8Array([...bytes.slice(0, index), 0xff, 0xfe, ...bytes.slice(index + 1)]);
  }
}

function deepJson(depth: number, kind: number): Uint8Array {
  const open = kind % 2 === 0 ? '['.repeat(depth) : '{"a":'.repeat(depth);
  const close = kind % 2 === 0 ? ']'.repeat(depth) : '}'.repeat(depth);
  return encoder.encode(`${open}1${close}`);
}

/**
 * A valid sample with one id (a string under a key ending in `id`) replaced by a poison value:
 * a NUL, a lone surrogate, or thousands of characters. No store can hold it, so it must be
 * answered for good (4xx, or kept and dead-lettered: 2xx), never with a retry status.
 */
function poisonIds(sample: string, poison: string, pick: number): Uint8Array {
  const value = JSON.parse(sample) as unknown;
  const slots: [Record<string, unknown>, string][] = [];
  const walk = (node: unknown) => {
    if (node === null || typeof node !== 'object') return;
    for (const [key, child] of Object.entries(node as Record<string, unknown>)) {
      if (typeof child === 'string' && /id$/i.test(key)) slots.push([node as Record<string, unknown>, key]);
      else walk(child);
    }
  };
  walk(value);
  const slot = slots[pick % Math.max(1, slots.length)];
  if (slot) slot[0][slot[1]] = poison;
  return encoder.encode(JSON.stringify(value));
}

function caseArbitrary(target: FuzzTarget): fc.Arbitrary<Case> {
  const garbageBody = fc.oneof(
    fc.uint8Array({ maxLength: 2_000 }),
    fc.jsonValue({ maxDepth: 4 }).map((value) => encoder.encode(JSON.stringify(value) ?? 'null')),
    fc.string({ maxLength: 500 }).map((text) => encoder.encode(text)),
    fc.nat(50).map((index) => encoder.encode(target.sample(index))),
  );
  const randomHeaders = fc
    .tuple(
      fc.dictionary(headerName, headerValue, { maxKeys: 6 }),
      fc.subarray(target.authHeaders),
      fc.array(headerValue, { minLength: target.authHeaders.length, maxLength: target.authHeaders.length }),
    )
    .map(([extra, names, values]) => {
      const headers: Record<string, string> = { ...extra };
      names.forEach((name, index) => {
        headers[name] = values[index] as string;
      });
      return headers;
    });
  const seed = fc.nat();
  const sampleBody = fc.nat(200).map((index) => encoder.encode(target.sample(index)));
  const extra = fc.uint8Array({ minLength: 1, maxLength: 20 });

  const forgedBody = fc.tuple(sampleBody, fc.nat(), fc.nat(), extra, seed).map(([body, op, at, bytes, s]): Case => {
    let mutated = mutate(body, op, at, bytes);
    if (Buffer.from(mutated).equals(Buffer.from(body))) mutated = new Uint8Array([...body, 0x20]);
    // Signed for the original body, sent with the mutated one.
    return { kind: 'forged-body', body: new Uint8Array(mutated), headers: target.sign(body), method: 'POST', seed: s };
  });
  const forgedSignature = fc.tuple(sampleBody, fc.nat(), seed).map(
    ([body, choice, s]): Case => ({
      kind: 'forged-signature',
      body,
      headers: target.forge(body, choice),
      method: 'POST',
      seed: s,
    }),
  );
  const garbage = fc
    .tuple(garbageBody, randomHeaders, seed)
    .map(([body, headers, s]): Case => ({ kind: 'garbage', body, headers, method: 'POST', seed: s }));
  const oversized = fc.tuple(fc.boolean(), fc.nat(1_000), seed).map(([signed, grow, s]): Case => {
    const body = grow === 0 ? OVERSIZED : new Uint8Array(MAX + 1 + grow).fill(0x7b);
    return { kind: 'oversized', body, headers: signed ? target.sign(body) : {}, method: 'POST', seed: s };
  });
  const hugeHeader = fc.tuple(sampleBody, fc.integer({ min: 8_000, max: 200_000 }), fc.nat(), seed).map(
    ([body, size, which, s]): Case => ({
      kind: 'huge-header',
      body,
      headers: { [target.authHeaders[which % target.authHeaders.length] as string]: 'A'.repeat(size) },
      method: 'POST',
      seed: s,
    }),
  );
  const authentic = (kind: Kind, body: fc.Arbitrary<Uint8Array>) =>
    fc.tuple(body, seed).map(
      ([bytes, s]): Case => ({
        kind,
        body: new Uint8Array(bytes),
        headers: target.sign(bytes),
        method: 'POST',
        seed: s,
      }),
    );
  const invalidUtf8 = fc
    .tuple(
      sampleBody,
      fc.nat(),
      fc.constantFrom([0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x28, 0xa1]),
    )
    .map(([body, at, bad]) => {
      const index = body.length === 0 ? 0 : at % body.length;
      return new Uint8Array([...body.slice(0, index), ...bad, ...body.slice(index)]);
    });
  const deep = fc
    .tuple(fc.integer({ min: 1_000, max: 200_000 }), fc.nat())
    .map(([depth, kind]) => deepJson(depth, kind));
  const poisonValue = fc.oneof(
    fc.string({ maxLength: 20 }).map((text) => `${text}\u0000${text}`),
    fc.string({ maxLength: 20 }).map((text) => `${text}\ud800`),
    fc.string({ minLength: 600, maxLength: 3_000, unit: 'grapheme-ascii' }),
  );
  const poisoned = fc
    .tuple(fc.nat(200), poisonValue, fc.nat())
    .map(([index, poison, pick]) => poisonIds(target.sample(index), poison, pick));
  const authenticMutated = fc
    .tuple(sampleBody, fc.nat(), fc.nat(), extra)
    .map(([body, op, at, bytes]) => mutate(body, op, at, bytes));
  const method = fc.tuple(sampleBody, fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'), seed).map(
    ([body, verb, s]): Case => ({
      kind: 'authentic-method',
      body: verb === 'GET' || verb === 'HEAD' ? new Uint8Array() : body,
      headers: target.sign(body),
      method: verb,
      seed: s,
    }),
  );

  return fc.oneof(
    { arbitrary: garbage, weight: 30 },
    { arbitrary: forgedBody, weight: 20 },
    { arbitrary: forgedSignature, weight: 20 },
    { arbitrary: authentic('authentic-random', garbageBody), weight: 12 },
    { arbitrary: authentic('authentic-invalid-utf8', invalidUtf8), weight: 5 },
    { arbitrary: authentic('authentic-mutated', authenticMutated), weight: 8 },
    { arbitrary: authentic('authentic-deep-json', deep), weight: 1 },
    { arbitrary: authentic('authentic-poison-ids', poisoned), weight: 3 },
    { arbitrary: method, weight: 2 },
    { arbitrary: hugeHeader, weight: 1 },
    { arbitrary: oversized, weight: 1 },
  );
}

const unauthenticated = (kind: Kind, target: FuzzTarget) =>
  kind === 'garbage' ||
  kind === 'forged-signature' ||
  kind === 'oversized' ||
  kind === 'huge-header' ||
  (kind === 'forged-body' && target.bodyBound);

interface Tally {
  cases: number;
  byKind: Record<string, number>;
  statuses: Record<string, number>;
  non4xxForUnauthenticated: number;
  forgedAccepted: number;
  storedUnauthenticated: number;
  serverErrors: number;
  /** An authentic request answered 429 (the status some providers retry forever). */
  retryStatus: number;
  thrown: number;
  examples: string[];
}

function storedCount(store: MemoryStateStore): number {
  return Object.values(store.counts()).reduce((sum, n) => sum + n, 0);
}

export async function fuzzOne(target: FuzzTarget, runs: number, seed: number): Promise<Tally> {
  const tally: Tally = {
    cases: 0,
    byKind: {},
    statuses: {},
    non4xxForUnauthenticated: 0,
    forgedAccepted: 0,
    storedUnauthenticated: 0,
    serverErrors: 0,
    retryStatus: 0,
    thrown: 0,
    examples: [],
  };
  let store = createMemoryStateStore({ maxEvents: 10 });
  let handler = createWebhookHandler({ processor: target.processor, store });
  const example = (what: string, c: Case, status: number) => {
    if (tally.examples.length < 10) {
      const preview = Buffer.from(c.body.slice(0, 120)).toString('latin1');
      tally.examples.push(
        `${target.name} ${what}: ${c.kind} ${c.method} → ${status}; headers ${JSON.stringify(Object.keys(c.headers))}; body ${JSON.stringify(preview)}`,
      );
    }
  };
  await fc.assert(
    fc.asyncProperty(caseArbitrary(target), async (c) => {
      tally.cases++;
      tally.byKind[c.kind] = (tally.byKind[c.kind] ?? 0) + 1;
      if (tally.cases % 5_000 === 0) {
        store = createMemoryStateStore({ maxEvents: 10 });
        handler = createWebhookHandler({ processor: target.processor, store });
      }
      const before = storedCount(store);
      let status: number;
      try {
        const request = new Request(`https://receiver.example/webhooks/${target.name}`, {
          method: c.method,
          headers: { 'content-type': 'application/json', ...c.headers },
          ...(c.method === 'GET' || c.method === 'HEAD' ? {} : { body: c.body as BodyInit }),
        });
        const response = await handler(request);
        await response.arrayBuffer();
        status = response.status;
      } catch (error) {
        tally.thrown++;
        example(`threw ${error instanceof Error ? error.message : String(error)}`, c, -1);
        return true;
      }
      tally.statuses[status] = (tally.statuses[status] ?? 0) + 1;
      const stored = storedCount(store) - before;
      if (unauthenticated(c.kind, target)) {
        if (status >= 200 && status < 300) {
          tally.forgedAccepted++;
          example('ACCEPTED', c, status);
        }
        if (status < 400 || status >= 500) {
          tally.non4xxForUnauthenticated++;
          example('non-4xx', c, status);
        }
        if (stored > 0) {
          tally.storedUnauthenticated++;
          example('stored', c, status);
        }
      } else if (status >= 500) {
        tally.serverErrors++;
        example('5xx', c, status);
      } else if (status === 429) {
        tally.retryStatus++;
        example('429', c, status);
      }
      return true;
    }),
    { numRuns: runs, seed, endOnFailure: true },
  );
  return tally;
}

/** The same processors behind real node:http servers: huge headers and chunked oversized bodies. */
async function httpChecks(targets: FuzzTarget[], quick: boolean) {
  const results: Record<string, unknown>[] = [];
  for (const target of targets) {
    const store = createMemoryStateStore();
    const server = createServer(toNodeHandler(createWebhookHandler({ processor: target.processor, store })) as never);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
    const statuses: Record<string, number> = {};
    let bad = 0;
    const rounds = quick ? 5 : 20;
    const check = async (label: string, init: RequestInit & { duplex?: 'half' }, ok: (status: number) => boolean) => {
      let status = 0;
      try {
        const response = await fetch(url, {
          method: 'POST',
          ...init,
          signal: AbortSignal.timeout(10_000),
        } as RequestInit);
        await response.arrayBuffer();
        status = response.status;
      } catch {
        status = 0; // the server may reset a connection it refuses (431): not an acceptance
      }
      statuses[`${label}:${status}`] = (statuses[`${label}:${status}`] ?? 0) + 1;
      if (!ok(status)) bad++;
    };
    for (let round = 0; round < rounds; round++) {
      const body = target.sample(round);
      // A header larger than Node's 16 KiB limit: 431 from node:http itself.
      await check(
        'huge-header',
        { body, headers: { [target.authHeaders[0] as string]: 'B'.repeat(20_000 + round * 1_000) } },
        (s) => s === 431 || s === 0,
      );
      // Many headers.
      const many: Record<string, string> = {};
      for (let index = 0; index < 150; index++) many[`x-h-${index}`] = 'v'.repeat(50);
      await check('many-headers', { body, headers: many }, (s) => s >= 400 && s < 500);
      // A chunked body without Content-Length, over the 1 MiB limit (signed): 413.
      const big = new Uint8Array(MAX + 1_000 + round).fill(0x5b);
      const stream = new ReadableStream({
        start(controller) {
          for (let offset = 0; offset < big.length; offset += 64 * 1024)
            controller.enqueue(big.slice(offset, offset + 64 * 1024));
          controller.close();
        },
      });
      await check(
        'chunked-oversized',
        { body: stream, duplex: 'half', headers: target.sign(big) },
        (s) => s === 413 || s === 0,
      );
      // Invalid UTF-8, unsigned: 401.
      await check('invalid-utf8', { body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }, (s) => s >= 400 && s < 500);
    }
    const stored = Object.values(store.counts()).reduce((sum, n) => sum + n, 0);
    // Still alive afterwards: an authentic delivery is stored.
    const alive = target.sample(999);
    const last = await fetch(url, { method: 'POST', body: alive, headers: target.sign(encoder.encode(alive)) })
      .then(async (response) => {
        await response.arrayBuffer();
        return response.status;
      })
      .catch(() => 0);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    results.push({ target: target.name, statuses, bad, storedUnauthenticated: stored, aliveAfter: last });
  }
  return results;
}

export async function fuzz(context: ChaosContext): Promise<BenchResult> {
  const runs = context.quick ? 5_000 : 100_000;
  let unhandled = 0;
  let uncaught = 0;
  const onUnhandled = () => {
    unhandled++;
  };
  const onUncaught = (error: unknown) => {
    uncaught++;
    console.error('uncaught exception during fuzzing', error);
  };
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUncaught);
  try {
    const targets = await fuzzTargets();
    const figures: Record<string, unknown>[] = [];
    const tallies: Record<string, Tally> = {};
    for (const [index, target] of targets.entries()) {
      const started = Date.now();
      const tally = await fuzzOne(target, runs, 20_260_000 + index);
      tallies[target.name] = tally;
      const seconds = (Date.now() - started) / 1000;
      context.log(`  ${target.name}: ${tally.cases} cases in ${seconds.toFixed(1)} s`);
      figures.push({
        processor: target.name,
        cases: tally.cases,
        '2xx': Object.entries(tally.statuses)
          .filter(([s]) => s.startsWith('2'))
          .reduce((sum, [, n]) => sum + n, 0),
        '4xx': Object.entries(tally.statuses)
          .filter(([s]) => s.startsWith('4'))
          .reduce((sum, [, n]) => sum + n, 0),
        '5xx': Object.entries(tally.statuses)
          .filter(([s]) => s.startsWith('5'))
          .reduce((sum, [, n]) => sum + n, 0),
        'forged accepted': tally.forgedAccepted,
        'unauth non-4xx': tally.non4xxForUnauthenticated,
        'unauth stored': tally.storedUnauthenticated,
        'auth 5xx': tally.serverErrors,
        'auth 429': tally.retryStatus,
        thrown: tally.thrown,
        seconds: Math.round(seconds * 10) / 10,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const http = await httpChecks(targets, context.quick);
    const sum = (pick: (tally: Tally) => number) =>
      Object.values(tallies).reduce((total, tally) => total + pick(tally), 0);
    const minCases = Math.min(...Object.values(tallies).map((tally) => tally.cases));
    const httpBad = http.reduce((total, row) => total + (row.bad as number) + (row.storedUnauthenticated as number), 0);
    const httpDead = http.filter((row) => row.aliveAfter !== 200).length;
    const targetsList = [
      target('chaos.fuzz.min_cases_per_processor', minCases, '>=', runs),
      target(
        'chaos.fuzz.forged_accepted',
        sum((t) => t.forgedAccepted),
        '<=',
        0,
        'a 2xx for a forged or unsigned request',
      ),
      target(
        'chaos.fuzz.unauthenticated_non_4xx',
        sum((t) => t.non4xxForUnauthenticated),
        '<=',
        0,
      ),
      target(
        'chaos.fuzz.stored_unverified',
        sum((t) => t.storedUnauthenticated),
        '<=',
        0,
        'deliveries stored for an unverified request',
      ),
      target(
        'chaos.fuzz.authentic_5xx',
        sum((t) => t.serverErrors),
        '<=',
        0,
        'a 5xx for an authentic but malformed request',
      ),
      target(
        'chaos.fuzz.authentic_429',
        sum((t) => t.retryStatus),
        '<=',
        0,
        'a 429 (retried by the provider, forever for a poison delivery) for an authentic request',
      ),
      target(
        'chaos.fuzz.handler_threw',
        sum((t) => t.thrown),
        '<=',
        0,
      ),
      target('chaos.fuzz.unhandled_rejections', unhandled + uncaught, '<=', 0),
      target(
        'chaos.fuzz.http_unexpected',
        httpBad + httpDead,
        '<=',
        0,
        'node:http checks: wrong status, stored, or server dead afterwards',
      ),
      // The scenario's own row shape: lost/duplicated/stale do not apply to fuzzing (nothing is expected in a mirror).
      target('chaos.fuzz.lost', 0, '<=', 0, 'not applicable: no mirror'),
      target('chaos.fuzz.duplicated', 0, '<=', 0, 'not applicable: no mirror'),
      target('chaos.fuzz.stale', 0, '<=', 0, 'not applicable: no mirror'),
    ];
    return {
      figures,
      parameters: {
        runsPerProcessor: runs,
        seeds: targets.map((_, index) => 20_260_000 + index),
        kinds: Object.fromEntries(Object.entries(tallies).map(([name, tally]) => [name, tally.byKind])),
        statuses: Object.fromEntries(Object.entries(tallies).map(([name, tally]) => [name, tally.statuses])),
        http,
      },
      targets: targetsList,
      notes: Object.values(tallies).flatMap((tally) => tally.examples),
    };
  } finally {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUncaught);
  }
}
